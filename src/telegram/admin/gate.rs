//! Who may use admin commands: configured admins (`ADMIN_IDS`) and admins added from
//! Telegram, in a private chat with the bot.

use crate::storage::admins;
use crate::storage::audit::Actor;
use crate::telegram::BotContext;
use teloxide::types::Message;

/// Why a command was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotAdmin,
    NotPrivate,
}

impl Refusal {
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::NotAdmin => "not an admin",
            Refusal::NotPrivate => "not a private chat",
        }
    }

    pub fn reply(self) -> &'static str {
        match self {
            Refusal::NotAdmin => "Sorry, only this bot's admins can use /milestone.",
            Refusal::NotPrivate => "Please use /milestone in a private chat with me.",
        }
    }
}

pub async fn is_admin(ctx: &BotContext, user_id: i64) -> anyhow::Result<bool> {
    Ok(ctx.admin_ids.contains(&user_id) || admins::contains(&ctx.db, user_id).await?)
}

/// How the audit names `user`: an admin by their id, anyone else by pseudonym only.
pub async fn actor(ctx: &BotContext, user: Option<i64>) -> anyhow::Result<Actor> {
    Ok(match user {
        Some(id) if is_admin(ctx, id).await? => Actor::Admin(id),
        Some(id) => Actor::Stranger(ctx.pseudonyms.user(id).as_str().to_owned()),
        None => Actor::Stranger("u-?".into()),
    })
}

/// `Ok(Ok(()))` when the sender may go on.
pub async fn check(ctx: &BotContext, msg: &Message) -> anyhow::Result<Result<(), Refusal>> {
    let Some(user) = &msg.from else {
        return Ok(Err(Refusal::NotAdmin));
    };
    if !is_admin(ctx, user.id.0 as i64).await? {
        return Ok(Err(Refusal::NotAdmin));
    }
    if !msg.chat.is_private() {
        return Ok(Err(Refusal::NotPrivate));
    }
    Ok(Ok(()))
}
