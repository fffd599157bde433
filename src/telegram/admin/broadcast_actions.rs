//! Admin actions on broadcasts: pause, resume, cancel, and (after Send) edit,
//! withdraw and resend-unknown. Built on `broadcast::ops`; every change wakes the
//! worker so it acts at once.

use super::confirm::{self, Pending};
use super::error::ActionError;
use crate::broadcast::ops::{self, OpsError};
use crate::telegram::BotContext;
use crate::text::html::escape_html;
use crate::vocab::{AnnouncementId, Part, UserId};
use teloxide::prelude::*;

pub async fn pause(ctx: &BotContext, id: AnnouncementId) -> Result<String, ActionError> {
    ops::pause(&ctx.db, id).await?;
    Ok(format!(
        "Broadcast #{id} paused; /milestone resume {id} goes on."
    ))
}

pub async fn resume(ctx: &BotContext, id: AnnouncementId) -> Result<String, ActionError> {
    ops::resume(&ctx.db, id).await?;
    ctx.broadcast.wake();
    Ok(format!("Broadcast #{id} resumed."))
}

pub async fn cancel(ctx: &BotContext, id: AnnouncementId) -> Result<String, ActionError> {
    let cancelled = ops::cancel(&ctx.db, id).await?;
    Ok(format!(
        "Broadcast #{id} cancelled: {cancelled} chat(s) will not get it."
    ))
}

/// Asks before resending deliveries whose outcome is unknown (they may be doubles).
pub async fn ask_resend_unknown(
    bot: &Bot,
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    id: AnnouncementId,
) -> Result<String, ActionError> {
    let (_, tally) = ops::status(&ctx.db, id).await?;
    if tally.unknown == 0 {
        return Err(ActionError::User(format!(
            "broadcast #{id} has no deliveries of unknown outcome"
        )));
    }
    let text = format!(
        "Resend broadcast #{id} to the {} chat(s) whose delivery is unknown (Telegram did not answer, so it may or may not have posted it)? Some may get it twice.",
        tally.unknown
    );
    confirm::ask(
        bot,
        ctx,
        admin,
        chat,
        text,
        &Pending::ResendUnknown {
            announcement_id: id,
        },
    )
    .await?;
    Ok(String::new())
}

pub async fn ask_edit(
    bot: &Bot,
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    id: AnnouncementId,
    text: String,
) -> Result<String, ActionError> {
    crate::text::html::check_text(&text).map_err(ActionError::User)?;
    let (state, _) = ops::status(&ctx.db, id).await?;
    ops::check_editable(id, state)?;
    let thanks_only = crate::storage::announcements::is_thanks_only(&ctx.db, id).await?;
    let reach = ops::reach(&ctx.db, id).await?;
    let chats = if thanks_only {
        reach.thanked
    } else {
        reach.announced
    };
    let preview = format!(
        "Edit broadcast #{id} in the {chats} chat(s) where it was posted?{} The announcement will read:\n\n{text}",
        unknown_note(&reach)
    );
    confirm::ask(
        bot,
        ctx,
        admin,
        chat,
        preview,
        &Pending::Edit {
            announcement_id: id,
            text,
            thanks_only,
        },
    )
    .await?;
    Ok(String::new())
}

pub async fn ask_withdraw(
    bot: &Bot,
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    id: AnnouncementId,
) -> Result<String, ActionError> {
    let (state, _) = ops::status(&ctx.db, id).await?;
    ops::check_withdrawable(id, state)?;
    let reach = ops::reach(&ctx.db, id).await?;
    let mut text = format!(
        "Delete broadcast #{id} from the {} chat(s) where it was posted?",
        reach.posted
    );
    if reach.on_the_wire > 0 {
        text.push_str(&format!(
            " {} send(s) still on the wire are deleted too once Telegram answers.",
            reach.on_the_wire
        ));
    }
    text.push_str(&unknown_note(&reach));
    confirm::ask(
        bot,
        ctx,
        admin,
        chat,
        text,
        &Pending::Withdraw {
            announcement_id: id,
        },
    )
    .await?;
    Ok(String::new())
}

/// What the bot cannot touch: posts of unknown outcome have no message id.
fn unknown_note(reach: &ops::Reach) -> String {
    if reach.unknown == 0 {
        return String::new();
    }
    format!(
        " In {} more chat(s) a post's outcome is unknown (Telegram did not answer): \
         if it was posted there, the bot has no id for it and cannot change it.",
        reach.unknown
    )
}

/// Runs a confirmed edit of broadcast `id`.
pub async fn confirmed_edit(
    ctx: &BotContext,
    id: AnnouncementId,
    text: &str,
    thanks_only: bool,
) -> anyhow::Result<String> {
    let part = if thanks_only {
        Part::Thanks
    } else {
        Part::Announcement
    };
    reply(
        ctx,
        ops::edit(&ctx.db, id, part, text)
            .await
            .map(|n| format!("Editing broadcast #{id} in {n} chat(s).")),
    )
}

/// Runs a confirmed withdrawal of broadcast `id`.
pub async fn confirmed_withdraw(ctx: &BotContext, id: AnnouncementId) -> anyhow::Result<String> {
    reply(
        ctx,
        ops::withdraw(&ctx.db, id)
            .await
            .map(|n| format!("Withdrawing broadcast #{id} from {n} chat(s).")),
    )
}

/// Runs a confirmed resend of broadcast `id`'s unknown deliveries.
pub async fn confirmed_resend_unknown(
    ctx: &BotContext,
    id: AnnouncementId,
) -> anyhow::Result<String> {
    reply(
        ctx,
        ops::resend_unknown(&ctx.db, id)
            .await
            .map(|n| format!("Resending broadcast #{id} to {n} chat(s).")),
    )
}

/// Wakes the sender after a change; an operation refused (wrong state) is told, not
/// raised.
fn reply(ctx: &BotContext, result: Result<String, OpsError>) -> anyhow::Result<String> {
    match result {
        Ok(reply) => {
            ctx.broadcast.wake();
            Ok(reply)
        }
        Err(OpsError::Storage(e)) => Err(e.into()),
        Err(other) => Ok(format!(
            "Nothing changed: {}",
            escape_html(&other.to_string())
        )),
    }
}
