//! Finishing a claimed delivery: its outcome written under its claim, so a row
//! another instance has since declared unknown is never overwritten.

use super::{DeliveryState, Job, Step, now_ms};
use crate::storage::{Db, StorageError};
use crate::vocab::{AnnouncementId, ChatId};

/// How a claimed delivery ends (or goes back to the queue).
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    /// A part was posted; `then` is the next step and when it may go (the note
    /// after the announcement), or `None` when the delivery is complete.
    Posted {
        message_id: i64,
        then: Option<(Step, i64)>,
    },
    /// An edit or a withdrawal went through.
    Changed,
    /// The chat is gone; nothing more goes there.
    Skipped(String),
    /// Failed for good, with Telegram's words.
    Failed(String),
    /// Try again at this time (UTC ms); the attempt counts.
    Retry { at: i64, error: String },
    /// Back to the queue at this time without counting an attempt (429, shutdown).
    Release { at: i64 },
    /// Telegram may or may not have it: never resent without an admin.
    Unknown(String),
    /// The chat moved: the delivery follows it and is due at once.
    MovedTo(ChatId),
}

impl Finish {
    /// The `outcome` label of `milestone_bot_deliveries_total`.
    pub fn label(&self) -> &'static str {
        match self {
            Finish::Posted { .. } => "sent",
            Finish::Changed => "changed",
            Finish::Skipped(_) => "skipped",
            Finish::Failed(_) => "failed",
            Finish::Retry { .. } => "retry",
            Finish::Release { .. } => "released",
            Finish::Unknown(_) => "unknown",
            Finish::MovedTo(_) => "moved",
        }
    }
}

/// Records how a claimed delivery ended (for [`Finish::MovedTo`], points it at the
/// new chat, due at once). Returns `false` if the row was no longer this claim's
/// (another instance declared it unknown meanwhile).
pub async fn finish(db: &Db, job: &Job, how: &Finish) -> Result<bool, StorageError> {
    let now = now_ms();
    let q = match how {
        Finish::Posted { message_id, then } => {
            let column_sql = match (job.step, then) {
                (Step::Announce, Some(_)) => {
                    "UPDATE deliveries SET state = 'pending', announce_message_id = $3, step = $4,
                       next_attempt_at = $5, attempts = 0, last_error = NULL, updated_at = $6
                     WHERE id = $1 AND claim = $2 AND state = 'in_flight'"
                }
                (Step::Announce, None) => {
                    "UPDATE deliveries SET state = 'sent', announce_message_id = $3, step = $4,
                       next_attempt_at = $5, sent_at = $6, last_error = NULL, updated_at = $6
                     WHERE id = $1 AND claim = $2 AND state = 'in_flight'"
                }
                _ => {
                    "UPDATE deliveries SET state = 'sent', thanks_message_id = $3, step = $4,
                       next_attempt_at = $5, sent_at = $6, last_error = NULL, updated_at = $6
                     WHERE id = $1 AND claim = $2 AND state = 'in_flight'"
                }
            };
            let (step, at) = then.unwrap_or((job.step, now));
            sqlx::query(column_sql)
                .bind(job.id)
                .bind(job.claim)
                .bind(*message_id)
                .bind(step.as_str())
                .bind(at)
                .bind(now)
        }
        // A withdrawal ends the delivery; an edit gives it back the state it had (a
        // chat whose note failed still reads "failed" after its announcement's edit).
        Finish::Changed if job.step == Step::Withdraw => sqlx::query(
            "UPDATE deliveries SET state = 'withdrawn', attempts = 0, last_error = NULL,
               prior_state = NULL, updated_at = $3
             WHERE id = $1 AND claim = $2 AND state = 'in_flight'",
        )
        .bind(job.id)
        .bind(job.claim)
        .bind(now),
        Finish::Changed => sqlx::query(
            "UPDATE deliveries SET state = COALESCE(prior_state, 'sent'), prior_state = NULL,
               attempts = 0, updated_at = $3,
               last_error = CASE WHEN prior_state IN ('failed', 'unknown', 'skipped')
                            THEN last_error ELSE NULL END
             WHERE id = $1 AND claim = $2 AND state = 'in_flight'",
        )
        .bind(job.id)
        .bind(job.claim)
        .bind(now),
        Finish::Skipped(reason) | Finish::Failed(reason) | Finish::Unknown(reason) => {
            let state = match how {
                Finish::Skipped(_) => DeliveryState::Skipped,
                Finish::Failed(_) => DeliveryState::Failed,
                _ => DeliveryState::Unknown,
            };
            sqlx::query(
                "UPDATE deliveries SET state = $3, last_error = $4, attempts = attempts + 1, updated_at = $5
                 WHERE id = $1 AND claim = $2 AND state = 'in_flight'",
            )
            .bind(job.id)
            .bind(job.claim)
            .bind(state.as_str())
            .bind(reason.clone())
            .bind(now)
        }
        Finish::Retry { at, error } => sqlx::query(
            "UPDATE deliveries SET state = 'pending', attempts = attempts + 1, next_attempt_at = $3,
               last_error = $4, updated_at = $5
             WHERE id = $1 AND claim = $2 AND state = 'in_flight'",
        )
        .bind(job.id)
        .bind(job.claim)
        .bind(*at)
        .bind(error.clone())
        .bind(now),
        Finish::Release { at } => sqlx::query(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = $3, updated_at = $4
             WHERE id = $1 AND claim = $2 AND state = 'in_flight'",
        )
        .bind(job.id)
        .bind(job.claim)
        .bind(*at)
        .bind(now),
        Finish::MovedTo(to) => sqlx::query(
            "UPDATE deliveries SET chat_id = $3, state = 'pending', next_attempt_at = $4, updated_at = $4
             WHERE id = $1 AND claim = $2 AND state = 'in_flight'",
        )
        .bind(job.id)
        .bind(job.claim)
        .bind(*to)
        .bind(now),
    };
    Ok(q.execute(db.pool()).await?.rows_affected() > 0)
}

/// Whether `chat` already has its own delivery of `announcement` (a delivery moving
/// there would be its second).
pub async fn has_delivery(
    db: &Db,
    announcement: AnnouncementId,
    chat: ChatId,
) -> Result<bool, StorageError> {
    Ok(
        sqlx::query("SELECT 1 FROM deliveries WHERE announcement_id = $1 AND chat_id = $2")
            .bind(announcement)
            .bind(chat)
            .fetch_optional(db.pool())
            .await?
            .is_some(),
    )
}
