//! Confirmations: a dangerous action is shown with Send / Cancel buttons and runs only
//! when the admin who asked presses Send, once, before it expires, while still an
//! admin. Every other press (someone else, a second press, a stale button, an admin
//! removed since) is answered and starts nothing.
//!
//! A draft written for a confirmation leaves the draft state only through it: Send
//! queues it; Cancel, expiry, a press by its admin after removal, or buttons that
//! never reached the admin cancel it for good (`/milestone approve` cannot touch it).

use crate::storage::admins;
use crate::storage::announcements::drafts;
use crate::telegram::BotContext;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage, ParseMode,
};

/// What Send starts; stored as JSON with the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Pending {
    /// Queue an announcement that was written as a draft for this confirmation.
    Release {
        announcement_id: i64,
        /// The earlier announcement of the same milestone the admin was shown when
        /// asked (a repeat on purpose); `None`: there was none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        acknowledged: Option<i64>,
    },
    /// Edit an announcement (or, for a thank-you note on its own, the note) in every
    /// chat it reached.
    Edit {
        announcement_id: i64,
        text: String,
        thanks_only: bool,
    },
    /// Delete an announcement in every chat it reached.
    Withdraw { announcement_id: i64 },
    /// Resend deliveries whose outcome is unknown (no answer from Telegram, or in
    /// flight when a sender stopped).
    ResendUnknown { announcement_id: i64 },
    /// Record every milestone the metric's count has passed as baseline.
    Baseline { metric: String },
}

const PREFIX: &str = "c:";

/// Sends `text` with Send / Cancel buttons, remembering `pending` for `admin_id`.
pub async fn ask(
    bot: &Bot,
    ctx: &BotContext,
    admin_id: i64,
    chat: ChatId,
    text: String,
    pending: &Pending,
) -> anyhow::Result<()> {
    let ttl = Duration::from_std(ctx.confirm_ttl).unwrap_or(Duration::minutes(10));
    ask_with(
        bot,
        &ctx.db,
        &new_nonce(),
        admin_id,
        chat,
        text,
        pending,
        ttl,
    )
    .await
}

/// Like [`ask`], for parts that offer an action without an admin's command (the
/// broadcast report's resend button): valid for `ttl`.
pub async fn offer(
    bot: &Bot,
    db: &crate::storage::Db,
    admin_id: i64,
    chat: ChatId,
    text: String,
    pending: &Pending,
    ttl: Duration,
) -> anyhow::Result<()> {
    ask_with(bot, db, &new_nonce(), admin_id, chat, text, pending, ttl).await
}

fn new_nonce() -> String {
    format!("{:016x}", rand::random::<u64>())
}

#[allow(clippy::too_many_arguments)]
async fn ask_with(
    bot: &Bot,
    db: &crate::storage::Db,
    nonce: &str,
    admin_id: i64,
    chat: ChatId,
    text: String,
    pending: &Pending,
    ttl: Duration,
) -> anyhow::Result<()> {
    let now = Utc::now();
    admins::create_confirmation(
        db,
        nonce,
        admin_id,
        &serde_json::to_string(pending)?,
        now,
        now + ttl,
    )
    .await?;
    let buttons = InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("Send", format!("{PREFIX}{nonce}:send")),
        InlineKeyboardButton::callback("Cancel", format!("{PREFIX}{nonce}:cancel")),
    ]]);
    if let Err(err) = crate::telegram::send_html(bot, chat, text, Some(buttons)).await {
        // Buttons nobody saw must not be pressable later (a retried update, a
        // guessed nonce): the confirmation is spent.
        admins::use_confirmation(db, nonce, "unsent", Utc::now()).await?;
        return Err(err.into());
    }
    Ok(())
}

/// Writes `new` as a draft with its deliveries and asks the admin to release it;
/// `describe(id, reach)` writes the preview shown above the buttons. Only that Send
/// releases the draft; if the question cannot be asked, the draft is cancelled.
pub async fn ask_to_release(
    bot: &Bot,
    ctx: &BotContext,
    admin_id: i64,
    chat: ChatId,
    new: &crate::storage::announcements::NewAnnouncement,
    acknowledged: Option<i64>,
    describe: impl FnOnce(i64, i64) -> String,
) -> anyhow::Result<i64> {
    use crate::storage::announcements;
    let nonce = new_nonce();
    let mut tx = ctx.db.pool().begin().await?;
    let id = announcements::create(&mut tx, new)
        .await?
        .ok_or_else(|| anyhow::anyhow!("draft key {} already used", new.dedupe_key))?;
    drafts::set_confirmation(&mut tx, id.into(), &nonce).await?;
    let reach = announcements::delivery_count(&mut tx, id).await?;
    tx.commit().await?;
    let pending = Pending::Release {
        announcement_id: id,
        acknowledged,
    };
    let text = describe(id, reach);
    let ttl = Duration::from_std(ctx.confirm_ttl).unwrap_or(Duration::minutes(10));
    if let Err(err) = ask_with(bot, &ctx.db, &nonce, admin_id, chat, text, &pending, ttl).await {
        let mut conn = ctx.db.pool().acquire().await?;
        drafts::cancel(&mut conn, id.into(), Utc::now()).await?;
        tracing::warn!(
            announcement_id = id,
            "draft cancelled: its confirmation could not be sent"
        );
        return Err(err);
    }
    Ok(id)
}

/// Cancels the draft a confirmation was guarding, if it guards one.
async fn cancel_draft(ctx: &BotContext, action: &str) -> anyhow::Result<()> {
    if let Ok(Pending::Release {
        announcement_id, ..
    }) = serde_json::from_str::<Pending>(action)
    {
        let mut conn = ctx.db.pool().acquire().await?;
        if drafts::cancel(&mut conn, announcement_id.into(), Utc::now()).await? {
            tracing::info!(announcement_id, "draft cancelled");
        }
    }
    Ok(())
}

/// Is this callback one of ours?
pub fn is_confirmation(q: &CallbackQuery) -> bool {
    q.data.as_deref().is_some_and(|d| d.starts_with(PREFIX))
}

/// Handles a press on Send or Cancel.
#[tracing::instrument(skip_all, fields(user = %crate::privacy::User(q.from.id.0 as i64)))]
pub async fn on_press(
    bot: Bot,
    q: CallbackQuery,
    ctx: BotContext,
) -> crate::telegram::HandlerResult {
    let data = q.data.clone().unwrap_or_default();
    let (nonce, choice) = data[PREFIX.len()..].split_once(':').unwrap_or(("", ""));
    let user = q.from.id.0 as i64;
    let now = Utc::now();
    let answer = match admins::get_confirmation(&ctx.db, nonce).await? {
        None => "This button is no longer valid.".to_owned(),
        Some(c) if c.admin_id != user => {
            audit(&ctx, user, &data, "refused: not the admin who asked").await?;
            "Only the admin who asked can confirm this.".to_owned()
        }
        Some(c) if c.used_at.is_some() => "Already done.".to_owned(),
        Some(c) if !super::gate::is_admin(&ctx, user).await? => {
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
                    .unwrap_or(ChatId(user));
                let reply = super::actions::confirmed(&bot, &ctx, user, chat, &pending).await?;
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
async fn audit(ctx: &BotContext, user: i64, detail: &str, result: &str) -> anyhow::Result<()> {
    let who = super::gate::actor(ctx, Some(user)).await?;
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
