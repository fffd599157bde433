//! Live progress for admins: one message per admin per broadcast, edited as the
//! broadcast goes (no more than once per interval), then a final tally. This is also
//! where a broadcast with nothing left becomes `done`.

mod eta;
mod tally;
mod unknown;

use tally::RateMeter;
pub use tally::{Tally, render, shown_state, tally};
pub use unknown::{UnknownChats, unknown_chats};

use super::pace::{Pacer, turn};
use crate::storage::{Db, Millis, StorageError};
use chrono::Utc;
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};
use tokio::time::Instant;

/// Keeps every admin's progress message current.
pub struct Progress {
    db: Db,
    bot: Bot,
    admin_ids: Vec<i64>,
    interval: Duration,
    pacer: Arc<Mutex<Pacer>>,
    meters: HashMap<i64, RateMeter>,
    /// Per (announcement, chat): when the message was last edited, and its text.
    shown: HashMap<(i64, i64), (Instant, String)>,
    /// Broadcasts whose unknown deliveries were reported since they last ended.
    reported: HashSet<i64>,
}

/// How long the report's resend button stays valid: a report may be read hours
/// later; after that, `/milestone resend-unknown` asks again.
const RESEND_BUTTON_TTL: chrono::Duration = chrono::Duration::hours(24);

impl Progress {
    pub fn new(
        db: Db,
        bot: Bot,
        admin_ids: Vec<i64>,
        interval: Duration,
        pacer: Arc<Mutex<Pacer>>,
    ) -> Self {
        Self {
            db,
            bot,
            admin_ids,
            interval,
            pacer,
            meters: HashMap::new(),
            shown: HashMap::new(),
            reported: HashSet::new(),
        }
    }

    /// One pass: finish broadcasts with nothing left, update every progress message.
    pub async fn tick(&mut self) -> Result<(), StorageError> {
        let rows = sqlx::query(
            "SELECT id, state, created_by, withdrawn_at FROM announcements
             WHERE state IN ('sending', 'paused')
                OR id IN (SELECT announcement_id FROM broadcast_progress WHERE final = 0)",
        )
        .fetch_all(self.db.pool())
        .await?;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let mut state: String = row.try_get("state")?;
            let created_by: Option<i64> = row.try_get("created_by")?;
            let t = tally(&self.db, id).await?;
            if state == "sending" && t.left == 0 {
                sqlx::query(
                    "UPDATE announcements SET state = 'done', finished_at = $2
                     WHERE id = $1 AND state = 'sending'
                       AND NOT EXISTS (SELECT 1 FROM deliveries
                                       WHERE announcement_id = $1 AND state IN ('pending', 'in_flight'))",
                )
                .bind(id)
                .bind(Millis::from(Utc::now()))
                .execute(self.db.pool())
                .await?;
                state = "done".into();
                tracing::info!(
                    announcement = id,
                    sent = t.sent,
                    skipped = t.skipped,
                    failed = t.failed,
                    unknown = t.unknown,
                    "broadcast finished"
                );
            }
            let (rate, _) =
                self.meters
                    .entry(id)
                    .or_default()
                    .observe(Instant::now(), t.processed(), t.left);
            let eta = if state == "sending" && t.left > 0 {
                let waiting = eta::waiting(&self.db, id).await?;
                let rules = self.pacer.lock().expect("not poisoned").rules();
                eta::eta(t.left, rate, &waiting, eta::now_ms(), &rules)
            } else {
                None
            };
            let withdrawn = row.try_get::<Option<i64>, _>("withdrawn_at")?.is_some();
            let text = render(id, shown_state(&state, withdrawn), &t, rate, eta);
            let is_final = matches!(state.as_str(), "done" | "cancelled");
            self.show(id, created_by, &text, is_final).await?;
            if is_final {
                self.meters.remove(&id);
                self.shown.retain(|(a, _), _| *a != id);
                if t.unknown > 0 && self.reported.insert(id) {
                    self.report_unknown_chats(id, created_by).await?;
                }
            } else {
                self.reported.remove(&id);
            }
        }
        Ok(())
    }

    fn recipients(&self, created_by: Option<i64>) -> Vec<i64> {
        created_by.map_or_else(|| self.admin_ids.clone(), |admin| vec![admin])
    }

    async fn show(
        &mut self,
        id: i64,
        created_by: Option<i64>,
        text: &str,
        is_final: bool,
    ) -> Result<(), StorageError> {
        for chat in self.recipients(created_by) {
            sqlx::query(
                "INSERT INTO broadcast_progress (announcement_id, chat_id) VALUES ($1, $2)
                 ON CONFLICT (announcement_id, chat_id) DO NOTHING",
            )
            .bind(id)
            .bind(chat)
            .execute(self.db.pool())
            .await?;
        }
        let rows = sqlx::query(
            "SELECT chat_id, message_id FROM broadcast_progress WHERE announcement_id = $1 AND final = 0",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        for row in rows {
            let chat: i64 = row.try_get("chat_id")?;
            let message_id: Option<i64> = row.try_get("message_id")?;
            let now = Instant::now();
            let due = match self.shown.get(&(id, chat)) {
                Some((at, shown)) => {
                    shown != text && (is_final || now.duration_since(*at) >= self.interval)
                }
                None => true,
            };
            if !due {
                continue;
            }
            let delivered = match message_id {
                None => self.send(chat, text).await,
                Some(mid) => self.edit(chat, mid, text).await.map(|()| mid),
            };
            match delivered {
                Ok(mid) => {
                    self.shown.insert((id, chat), (now, text.to_owned()));
                    sqlx::query(
                        "UPDATE broadcast_progress SET message_id = $3, final = $4 WHERE announcement_id = $1 AND chat_id = $2",
                    )
                    .bind(id)
                    .bind(chat)
                    .bind(mid)
                    .bind(i64::from(is_final))
                    .execute(self.db.pool())
                    .await?;
                }
                // Flood control on the admin's chat: try again on the next tick.
                Err(teloxide::RequestError::RetryAfter(_)) => {}
                Err(err) => {
                    tracing::warn!(announcement = id, chat = %crate::privacy::Chat(chat), error = %err, "could not update the progress message");
                    if is_final {
                        // An admin who never started the bot cannot get messages;
                        // don't try forever.
                        sqlx::query("UPDATE broadcast_progress SET final = 1 WHERE announcement_id = $1 AND chat_id = $2")
                            .bind(id)
                            .bind(chat)
                            .execute(self.db.pool())
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Waits for the bot's pace: admin messages count against it like any other.
    async fn paced(&self) {
        turn::call(&self.pacer).await;
    }

    async fn send(&self, chat: i64, text: &str) -> Result<i64, teloxide::RequestError> {
        self.paced().await;
        let msg = self
            .bot
            .send_message(ChatId(chat), text)
            .parse_mode(ParseMode::Html)
            .disable_notification(true)
            .await?;
        Ok(i64::from(msg.id.0))
    }

    async fn edit(
        &self,
        chat: i64,
        message_id: i64,
        text: &str,
    ) -> Result<(), teloxide::RequestError> {
        self.paced().await;
        let id = MessageId(i32::try_from(message_id).unwrap_or(i32::MAX));
        match self
            .bot
            .edit_message_text(ChatId(chat), id, text)
            .parse_mode(ParseMode::Html)
            .await
        {
            Ok(_) | Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Tells the admins about deliveries a stopped sender left unknown, at once; the
    /// broadcast's final report lists them with the resend button.
    pub async fn report_unknown(&self, counts: &[(i64, i64)]) -> Result<(), StorageError> {
        for &(id, n) in counts {
            tracing::warn!(
                announcement = id,
                unknown = n,
                "deliveries were in flight when the sender stopped; marked unknown, not resent"
            );
            let created_by = self.created_by(id).await?;
            let text = format!(
                "⚠️ <b>Broadcast #{id}</b>: {n} deliveries were in flight when the sender stopped. \
                 Telegram may or may not have posted them, so they are marked unknown and will \
                 not be sent again unless an admin asks. The broadcast's final report lists \
                 them with a resend button."
            );
            for chat in self.recipients(created_by) {
                if let Err(err) = self.send(chat, &text).await {
                    tracing::warn!(error = %err, "could not report unknown deliveries");
                }
            }
            // A broadcast that had already ended shows its final report again.
            sqlx::query("UPDATE broadcast_progress SET final = 0 WHERE announcement_id = $1")
                .bind(id)
                .execute(self.db.pool())
                .await?;
        }
        Ok(())
    }

    /// Lists a finished broadcast's unknown deliveries to its admins, each with a
    /// resend button of their own.
    async fn report_unknown_chats(
        &self,
        id: i64,
        created_by: Option<i64>,
    ) -> Result<(), StorageError> {
        let chats = unknown_chats(&self.db, id).await?;
        tracing::warn!(
            announcement = id,
            unknown = chats.total(),
            "broadcast ended with deliveries of unknown outcome; reported to admins"
        );
        let text = unknown::render(id, &chats);
        let resend = crate::telegram::admin::confirm::Pending::ResendUnknown {
            announcement_id: id,
        };
        for admin in self.recipients(created_by) {
            self.paced().await;
            let offered = crate::telegram::admin::confirm::offer(
                &self.bot,
                &self.db,
                admin,
                ChatId(admin),
                text.clone(),
                &resend,
                RESEND_BUTTON_TTL,
            )
            .await;
            if let Err(err) = offered {
                tracing::warn!(announcement = id, error = %err, "could not send the unknown-deliveries report");
            }
        }
        Ok(())
    }

    async fn created_by(&self, id: i64) -> Result<Option<i64>, StorageError> {
        Ok(
            sqlx::query("SELECT created_by FROM announcements WHERE id = $1")
                .bind(id)
                .fetch_optional(self.db.pool())
                .await?
                .map(|r| r.try_get("created_by"))
                .transpose()?
                .flatten(),
        )
    }
}
