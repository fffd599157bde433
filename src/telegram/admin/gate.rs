//! Who may use admin commands: configured admins (`ADMIN_IDS`) and admins added from
//! Telegram, in a private chat with the bot.
//!
//! The gate stands in the handler tree ([`crate::telegram::handler_tree`]): it
//! injects its [`Admission`] of each `/milestone` message, the command's handler
//! runs only for an [`Admin`] it admitted, and everyone else is refused (and
//! audited) before any handler of admin work sees the message.

use crate::storage::admins;
use crate::storage::audit::Actor;
use crate::telegram::BotContext;
use crate::vocab::UserId;
use std::sync::Arc;
use teloxide::types::Message;

/// An admin in a private chat with the bot: what the gate hands the admin
/// handlers, so none of them runs for anyone else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admin(pub UserId);

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

/// The gate's verdict on a message.
#[derive(Debug, Clone)]
pub enum Admission {
    /// An admin in a private chat: goes on.
    Admitted(Admin),
    /// Anyone else, or an admin outside a private chat; `who` is how the audit
    /// names them.
    Refused { who: Actor, refusal: Refusal },
    /// The admin list could not be read: the update fails and is logged.
    Unknown(Arc<anyhow::Error>),
}

impl Admission {
    /// The admin let through, if any: the gate's filter in the handler tree.
    pub fn admitted(self) -> Option<Admin> {
        match self {
            Admission::Admitted(admin) => Some(admin),
            _ => None,
        }
    }
}

/// Decides on `msg`: injected into the handler tree for the branches after it.
pub async fn admission(msg: Message, ctx: BotContext) -> Admission {
    let Some(user) = &msg.from else {
        return Admission::Refused {
            who: actor_unknown(),
            refusal: Refusal::NotAdmin,
        };
    };
    let user = UserId::from(user.id);
    match is_admin(&ctx, user).await {
        Err(err) => Admission::Unknown(Arc::new(err)),
        Ok(false) => Admission::Refused {
            who: stranger(&ctx, user),
            refusal: Refusal::NotAdmin,
        },
        Ok(true) if !msg.chat.is_private() => Admission::Refused {
            who: Actor::Admin(user),
            refusal: Refusal::NotPrivate,
        },
        Ok(true) => Admission::Admitted(Admin(user)),
    }
}

pub async fn is_admin(ctx: &BotContext, user: UserId) -> anyhow::Result<bool> {
    Ok(ctx.admin_ids.contains(&user) || admins::contains(&ctx.db, user).await?)
}

/// How the audit names `user`: an admin by their id, anyone else by pseudonym only.
pub async fn actor(ctx: &BotContext, user: UserId) -> anyhow::Result<Actor> {
    Ok(if is_admin(ctx, user).await? {
        Actor::Admin(user)
    } else {
        stranger(ctx, user)
    })
}

fn stranger(ctx: &BotContext, user: UserId) -> Actor {
    Actor::Stranger(ctx.pseudonyms.user(user).as_str().to_owned())
}

/// Someone Telegram did not name (no sender).
fn actor_unknown() -> Actor {
    Actor::Stranger("u-?".into())
}
