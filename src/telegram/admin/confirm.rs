//! Confirmations, asking: a dangerous action is shown with Send / Cancel buttons and
//! remembered as [`Pending`]; it runs only when the admin who asked presses Send
//! (`press`), once, before it expires, while still an admin. Every other press
//! (someone else, a second press, a stale button, an admin removed since) is
//! answered and starts nothing.
//!
//! A draft written for a confirmation leaves the draft state only through it: Send
//! queues it; Cancel, expiry, a press by its admin after removal, or buttons that
//! never reached the admin cancel it for good (`/milestone approve` cannot touch it).

use crate::storage::admins;
use crate::storage::announcements::drafts;
use crate::telegram::BotContext;
use crate::vocab::{AnnouncementId, MetricName, UserId};
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// What Send starts; stored as JSON with the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Pending {
    /// Queue an announcement that was written as a draft for this confirmation.
    Release {
        announcement_id: AnnouncementId,
        /// The earlier announcement of the same milestone the admin was shown when
        /// asked (a repeat on purpose); `None`: there was none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        acknowledged: Option<AnnouncementId>,
    },
    /// Edit an announcement (or, for a thank-you note on its own, the note) in every
    /// chat it reached.
    Edit {
        announcement_id: AnnouncementId,
        text: String,
        thanks_only: bool,
    },
    /// Delete an announcement in every chat it reached.
    Withdraw { announcement_id: AnnouncementId },
    /// Resend deliveries whose outcome is unknown (no answer from Telegram, or in
    /// flight when a sender stopped).
    ResendUnknown { announcement_id: AnnouncementId },
    /// Record every milestone the metric's count has passed as baseline.
    Baseline { metric: MetricName },
}

/// What the callback data of our buttons starts with: `c:NONCE:send|cancel`.
pub(super) const PREFIX: &str = "c:";

/// Sends `text` with Send / Cancel buttons, remembering `pending` for `admin_id`.
pub async fn ask(
    bot: &Bot,
    ctx: &BotContext,
    admin_id: UserId,
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
    admin_id: UserId,
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
    admin_id: UserId,
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
    admin_id: UserId,
    chat: ChatId,
    new: &crate::storage::announcements::NewAnnouncement,
    acknowledged: Option<AnnouncementId>,
    describe: impl FnOnce(AnnouncementId, i64) -> String,
) -> anyhow::Result<AnnouncementId> {
    use crate::storage::announcements;
    let nonce = new_nonce();
    let mut tx = ctx.db.pool().begin().await?;
    let id = announcements::create(&mut tx, new)
        .await?
        .ok_or_else(|| anyhow::anyhow!("draft key {} already used", new.dedupe_key))?;
    drafts::set_confirmation(&mut tx, id, &nonce).await?;
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
        drafts::cancel(&mut conn, id, Utc::now()).await?;
        tracing::warn!(
            announcement_id = id.get(),
            "draft cancelled: its confirmation could not be sent"
        );
        return Err(err);
    }
    Ok(id)
}
