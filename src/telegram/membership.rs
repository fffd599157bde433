//! Keeping the chat list right from what Telegram tells the bot about itself.

use super::{BotContext, HandlerResult, new_chat};
use crate::privacy::Chat;
use crate::storage::chats;
use chrono::Utc;
use teloxide::types::{ChatMemberKind, ChatMemberUpdated, Message};

/// The bot was added, promoted, removed, kicked or blocked somewhere.
#[tracing::instrument(skip_all, fields(chat = %Chat(upd.chat.id.into())))]
pub async fn on_my_chat_member(upd: ChatMemberUpdated, ctx: BotContext) -> HandlerResult {
    let now = Utc::now();
    let new = &upd.new_chat_member.kind;
    if new.is_present() {
        // A promotion or a change of rights is not a new invitation: a chat that
        // unsubscribed stays unsubscribed. Only an unknown chat is recorded then.
        let was_present = upd.old_chat_member.kind.is_present();
        let known = chats::get(&ctx.db, upd.chat.id.into()).await?;
        if was_present && known.is_some() {
            return Ok(());
        }
        // A person who said /unsubscribe and then blocks and unblocks the bot (or
        // restarts it) has not asked for posts again: only /subscribe undoes it.
        let unsubscribed = known.is_some_and(|c| {
            !c.subscribed && c.gone_reason.as_deref() == Some(chats::UNSUBSCRIBED)
        });
        if upd.chat.is_private() && unsubscribed {
            return Ok(());
        }
        if chats::subscribe(&ctx.db, &new_chat(&upd.chat), now).await? {
            tracing::info!(kind = %super::chat_kind(&upd.chat), "subscribed");
        }
        return Ok(());
    }
    let reason = match new {
        ChatMemberKind::Banned(_) if upd.chat.is_private() => "blocked",
        ChatMemberKind::Banned(_) => "kicked",
        _ => "left",
    };
    if chats::mark_gone(&ctx.db, upd.chat.id.into(), reason, now).await? {
        tracing::info!(reason, "chat gone");
    }
    Ok(())
}

/// A group became a supergroup: Telegram says so in both chats; the row moves once.
#[tracing::instrument(skip_all, fields(chat = %Chat(msg.chat.id.into())))]
pub async fn on_group_migrated(msg: Message, ctx: BotContext) -> HandlerResult {
    let (from, to) = match (msg.migrate_to_chat_id(), msg.migrate_from_chat_id()) {
        (Some(to), _) => (msg.chat.id, *to),
        (None, Some(from)) => (*from, msg.chat.id),
        (None, None) => return Ok(()),
    };
    if chats::migrate(&ctx.db, from.into(), to.into(), Utc::now()).await? {
        tracing::info!(from = %Chat(from.into()), to = %Chat(to.into()), "group migrated to a supergroup");
    }
    Ok(())
}
