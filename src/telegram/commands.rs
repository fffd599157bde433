//! The public commands: /start and /help everywhere, /subscribe and /unsubscribe for
//! a private chat's own user or a group's admins.

use super::{BotContext, HandlerResult, new_chat, replies};
use crate::storage::chats;
use chrono::Utc;
use teloxide::prelude::*;
use teloxide::types::UserId;
use teloxide::utils::command::BotCommands;

/// Public commands; the doc comments are the command menu's descriptions.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum PublicCommand {
    /// What this bot does.
    Start,
    /// What this bot does and its commands.
    Help,
    /// Receive milestone posts in this chat.
    Subscribe,
    /// Stop receiving milestone posts in this chat.
    Unsubscribe,
}

/// Telegram's stand-in sender for anonymous group admins.
const GROUP_ANONYMOUS_BOT: u64 = 1087968824;

#[tracing::instrument(skip_all, fields(chat = %crate::privacy::Chat(msg.chat.id.into()), command = ?cmd))]
pub async fn on_public(
    bot: Bot,
    msg: Message,
    cmd: PublicCommand,
    ctx: BotContext,
) -> HandlerResult {
    let reply = match cmd {
        PublicCommand::Start | PublicCommand::Help => replies::HELP,
        PublicCommand::Subscribe | PublicCommand::Unsubscribe => {
            if !may_change_subscription(&bot, &msg).await? {
                replies::GROUP_ADMINS_ONLY
            } else if cmd == PublicCommand::Subscribe {
                match chats::get(&ctx.db, msg.chat.id.into()).await? {
                    Some(chat) if chat.subscribed => replies::ALREADY_SUBSCRIBED,
                    _ => {
                        chats::subscribe(&ctx.db, &new_chat(&msg.chat), Utc::now()).await?;
                        replies::SUBSCRIBED
                    }
                }
            } else if chats::mark_gone(&ctx.db, msg.chat.id.into(), chats::UNSUBSCRIBED, Utc::now())
                .await?
            {
                replies::UNSUBSCRIBED
            } else {
                replies::NOT_SUBSCRIBED
            }
        }
    };
    super::reply_html(&bot, msg.chat.id, reply).await?;
    Ok(())
}

/// In a private chat the person decides for themselves; in a group only its admins
/// (asked of Telegram each time, since admin lists change) or an anonymous admin.
async fn may_change_subscription(bot: &Bot, msg: &Message) -> anyhow::Result<bool> {
    if msg.chat.is_private() {
        return Ok(true);
    }
    if msg
        .sender_chat
        .as_ref()
        .is_some_and(|c| c.id == msg.chat.id)
    {
        return Ok(true); // posted as the group itself: only admins can
    }
    let Some(user) = &msg.from else {
        return Ok(false);
    };
    if user.id == UserId(GROUP_ANONYMOUS_BOT) {
        return Ok(false);
    }
    let member = bot.get_chat_member(msg.chat.id, user.id).await?;
    Ok(member.kind.is_privileged())
}
