//! Confirmations, answering: a press on Send or Cancel under a question `confirm`
//! asked. Send runs what the confirmation holds ([`confirmed`]) when the admin who
//! asked presses it, once, before it expires, while still an admin; every other
//! press is answered, audited where it matters, and starts nothing.

use super::confirm::{PREFIX, Pending};
use super::{broadcast_actions, gate, record_actions};
use crate::storage::admins;
use crate::storage::announcements::drafts;
use crate::telegram::BotContext;
use crate::vocab::UserId;
use chrono::Utc;
use teloxide::prelude::*;
use teloxide::types::{CallbackQuery, MaybeInaccessibleMessage, ParseMode};

/// Is this callback one of ours?
pub fn is_confirmation(q: &CallbackQuery) -> bool {
    q.data.as_deref().is_some_and(|d| d.starts_with(PREFIX))
}

/// Handles a press on Send or Cancel.
#[tracing::instrument(skip_all, fields(user = %crate::privacy::User(q.from.id.into())))]
pub async fn on_press(
    bot: Bot,
    q: CallbackQuery,
    ctx: BotContext,
) -> crate::telegram::HandlerResult {
    let data = q.data.clone().unwrap_or_default();
    let (nonce, choice) = data[PREFIX.len()..].split_once(':').unwrap_or(("", ""));
    let user = UserId::from(q.from.id);
    let now = Utc::now();
    let answer = match admins::get_confirmation(&ctx.db, nonce).await? {
        None => "This button is no longer valid.".to_owned(),
        Some(c) if c.admin_id != user => {
            audit(&ctx, user, &data, "refused: not the admin who asked").await?;
            "Only the admin who asked can confirm this.".to_owned()
        }
        Some(c) if c.used_at.is_some() => "Already done.".to_owned(),
        Some(c) if !gate::is_admin(&ctx, user).await? => {
            // Only the asker may press, and they are no admin any more: nobody can
            // confirm this, so whatever it guards is cancelled.
            if admins::use_confirmation(&ctx.db, nonce, "refused", now).await? {
                cancel_draft(&ctx, &c.action).await?;
            }
            audit(&ctx, user, &c.action, "refused: no longer an admin").await?;
            clear_buttons(&bot, &q, "Refused: no longer an admin; nothing was sent.").await;
            "You are no longer an admin of this bot; nothing was done.".to_owned()
        }
        Some(c) if c.expires_at <= now => {
            cancel_draft(&ctx, &c.action).await?;
            clear_buttons(&bot, &q, "Expired: nothing was sent.").await;
            "This confirmation expired; please ask again.".to_owned()
        }
        Some(c) => {
            let outcome = if choice == "send" {
                "sent"
            } else {
                "cancelled"
            };
            if !admins::use_confirmation(&ctx.db, nonce, outcome, now).await? {
                "Already done.".to_owned()
            } else if choice == "send" {
                let pending: Pending = serde_json::from_str(&c.action)?;
                let chat = q
                    .message
                    .as_ref()
                    .map(|m| m.chat().id)
                    .unwrap_or_else(|| user.private_chat().into());
                let reply = confirmed(&ctx, user, chat, &pending).await?;
                audit(&ctx, user, &c.action, "ok: confirmed").await?;
                clear_buttons(&bot, &q, "✅ Confirmed.").await;
                reply
            } else {
                cancel_draft(&ctx, &c.action).await?;
                audit(&ctx, user, &c.action, "ok: cancelled").await?;
                clear_buttons(&bot, &q, "Cancelled: nothing was sent.").await;
                "Cancelled.".to_owned()
            }
        }
    };
    bot.answer_callback_query(q.id.clone()).text(answer).await?;
    Ok(())
}

/// Cancels the draft a confirmation was guarding, if it guards one.
async fn cancel_draft(ctx: &BotContext, action: &str) -> anyhow::Result<()> {
    if let Ok(Pending::Release {
        announcement_id, ..
    }) = serde_json::from_str::<Pending>(action)
    {
        let mut conn = ctx.db.pool().acquire().await?;
        if drafts::cancel(&mut conn, announcement_id, Utc::now()).await? {
            tracing::info!(announcement_id = announcement_id.get(), "draft cancelled");
        }
    }
    Ok(())
}

/// Replaces the buttons with a line saying how it ended; cosmetic, so failures are
/// only logged.
async fn clear_buttons(bot: &Bot, q: &CallbackQuery, note: &str) {
    let Some(MaybeInaccessibleMessage::Regular(msg)) = &q.message else {
        return;
    };
    let text = format!(
        "{}\n\n<i>{note}</i>",
        crate::text::html::escape_html(msg.text().unwrap_or_default())
    );
    if let Err(err) = bot
        .edit_message_text(msg.chat.id, msg.id, text)
        .parse_mode(ParseMode::Html)
        .await
    {
        tracing::warn!(error = %err, "could not update the confirmation message");
    }
}

/// Audits a press; someone who is not an admin is kept as a pseudonym, without
/// what their button carried.
async fn audit(ctx: &BotContext, user: UserId, detail: &str, result: &str) -> anyhow::Result<()> {
    let who = gate::actor(ctx, user).await?;
    let detail = match who {
        crate::storage::audit::Actor::Admin(_) => detail.chars().take(500).collect(),
        _ => String::new(),
    };
    crate::storage::audit::record(
        &ctx.db,
        &crate::storage::audit::AuditEntry {
            at: Utc::now(),
            who,
            action: "confirm".into(),
            detail,
            result: result.into(),
        },
    )
    .await?;
    Ok(())
}

/// Runs what a confirmed Send starts.
pub async fn confirmed(
    ctx: &BotContext,
    admin: UserId,
    chat: ChatId,
    pending: &Pending,
) -> anyhow::Result<String> {
    match pending {
        Pending::Release {
            announcement_id,
            acknowledged,
        } => {
            use crate::milestones::manual::{self, Released};
            let id = *announcement_id;
            let released =
                manual::release(&ctx.db, id, admin, chat.into(), *acknowledged, Utc::now()).await?;
            Ok(match released {
                Released::Queued => {
                    ctx.broadcast.wake();
                    format!("Announcement #{id} is on its way.")
                }
                Released::NotADraft => {
                    format!("Announcement #{id} is no longer a draft; nothing changed.")
                }
                Released::AnnouncedMeanwhile(earlier) => format!(
                    "Nothing sent: this milestone was announced meanwhile (#{}); announcement #{id} is cancelled.",
                    earlier.announcement_id
                ),
            })
        }
        Pending::Edit {
            announcement_id,
            text,
            thanks_only,
        } => broadcast_actions::confirmed_edit(ctx, *announcement_id, text, *thanks_only).await,
        Pending::Withdraw { announcement_id } => {
            broadcast_actions::confirmed_withdraw(ctx, *announcement_id).await
        }
        Pending::ResendUnknown { announcement_id } => {
            broadcast_actions::confirmed_resend_unknown(ctx, *announcement_id).await
        }
        Pending::Baseline { metric } => record_actions::confirmed_baseline(ctx, metric).await,
    }
}
