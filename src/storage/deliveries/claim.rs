//! Claiming due deliveries (marking them in flight before any request) and
//! recovering what a crash left in flight.
//!
//! A claim is one `UPDATE … WHERE id IN (SELECT … LIMIT n)` stamping a fresh claim
//! number: atomic on SQLite (one writer at a time) and, with `FOR UPDATE SKIP
//! LOCKED`, safe against a second claimer on PostgreSQL. Every finish is guarded by
//! that claim number and the `in_flight` state (see [`super::finish`]).

use super::{Step, now_ms};
use crate::storage::{Backend, Db, StorageError};
use crate::vocab::ChatKind;
use crate::vocab::{AnnouncementId, ChatId};
use sqlx::Row;

/// A claimed delivery, in flight in the database.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub claim: i64,
    pub announcement_id: AnnouncementId,
    pub chat_id: ChatId,
    pub step: Step,
    pub attempts: u32,
    pub announce_message_id: Option<i64>,
    pub thanks_message_id: Option<i64>,
    /// `None` when the chat row is gone (the delivery is then skipped).
    pub chat_kind: Option<ChatKind>,
    /// The chat's forum topic.
    pub thread_id: Option<i64>,
    /// Why the chat is gone, if it left after the delivery was queued.
    pub chat_gone: Option<String>,
}

impl Job {
    pub fn is_group(&self) -> bool {
        self.chat_kind.is_some_and(ChatKind::is_group)
    }
}

/// Claims due deliveries in due order. `retries first` variants take only
/// deliveries that failed before (`attempts > 0`, a partial index of their own):
/// a retry goes as soon as its backoff ends, ahead of the backlog, so its wait
/// overlaps the rest of the broadcast instead of trailing after it.
const CLAIM_SQLITE: &str = "UPDATE deliveries SET state = 'in_flight', claim = $1, updated_at = $2
     WHERE id IN (
       SELECT d.id FROM deliveries d JOIN announcements a ON a.id = d.announcement_id
       WHERE d.state = 'pending' AND d.next_attempt_at <= $2 AND a.state = 'sending'
         AND (a.withdrawn_at IS NULL OR d.step = 'withdraw')
       ORDER BY d.next_attempt_at, d.id LIMIT $3)";

const CLAIM_POSTGRES: &str =
    "UPDATE deliveries SET state = 'in_flight', claim = $1, updated_at = $2
     WHERE id IN (
       SELECT d.id FROM deliveries d JOIN announcements a ON a.id = d.announcement_id
       WHERE d.state = 'pending' AND d.next_attempt_at <= $2 AND a.state = 'sending'
         AND (a.withdrawn_at IS NULL OR d.step = 'withdraw')
       ORDER BY d.next_attempt_at, d.id LIMIT $3
       FOR UPDATE OF d SKIP LOCKED)";

const CLAIM_RETRIES_SQLITE: &str =
    "UPDATE deliveries SET state = 'in_flight', claim = $1, updated_at = $2
     WHERE id IN (
       SELECT d.id FROM deliveries d JOIN announcements a ON a.id = d.announcement_id
       WHERE d.state = 'pending' AND d.attempts > 0 AND d.next_attempt_at <= $2
         AND a.state = 'sending' AND (a.withdrawn_at IS NULL OR d.step = 'withdraw')
       ORDER BY d.next_attempt_at, d.id LIMIT $3)";

const CLAIM_RETRIES_POSTGRES: &str =
    "UPDATE deliveries SET state = 'in_flight', claim = $1, updated_at = $2
     WHERE id IN (
       SELECT d.id FROM deliveries d JOIN announcements a ON a.id = d.announcement_id
       WHERE d.state = 'pending' AND d.attempts > 0 AND d.next_attempt_at <= $2
         AND a.state = 'sending' AND (a.withdrawn_at IS NULL OR d.step = 'withdraw')
       ORDER BY d.next_attempt_at, d.id LIMIT $3
       FOR UPDATE OF d SKIP LOCKED)";

/// Claims up to `limit` due deliveries of sending broadcasts, retries first: they
/// are `in_flight` once this returns.
pub async fn claim(db: &Db, limit: usize) -> Result<Vec<Job>, StorageError> {
    let claim: i64 = rand::random::<i64>().abs();
    let (retries, rest) = match db.backend() {
        Backend::Sqlite => (CLAIM_RETRIES_SQLITE, CLAIM_SQLITE),
        Backend::Postgres => (CLAIM_RETRIES_POSTGRES, CLAIM_POSTGRES),
    };
    let now = now_ms();
    let mut claimed = 0;
    // One transaction: a failure between the two leaves nothing in flight unsent.
    let mut tx = db.pool().begin().await?;
    for sql in [retries, rest] {
        let left = limit as u64 - claimed;
        if left == 0 {
            break;
        }
        claimed += sqlx::query(sql)
            .bind(claim)
            .bind(now)
            .bind(left as i64)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    tx.commit().await?;
    if claimed == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT d.id, d.announcement_id, d.chat_id, d.step, d.attempts, d.announce_message_id,
                d.thanks_message_id, c.kind, c.thread_id, c.subscribed, c.gone_reason
         FROM deliveries d LEFT JOIN chats c ON c.id = d.chat_id
         WHERE d.claim = $1 AND d.state = 'in_flight'
         ORDER BY d.next_attempt_at, d.id",
    )
    .bind(claim)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Job {
                id: r.try_get("id")?,
                claim,
                announcement_id: AnnouncementId(r.try_get("announcement_id")?),
                chat_id: ChatId(r.try_get("chat_id")?),
                step: Step::parse(&r.try_get::<String, _>("step")?)?,
                attempts: u32::try_from(
                    r.try_get::<i32, _>("attempts")
                        .or_else(|_| r.try_get::<i64, _>("attempts").map(|v| v as i32))?,
                )
                .unwrap_or(0),
                announce_message_id: r.try_get("announce_message_id")?,
                thanks_message_id: r.try_get("thanks_message_id")?,
                chat_kind: r
                    .try_get::<Option<String>, _>("kind")?
                    .map(|k| k.parse())
                    .transpose()?,
                thread_id: r.try_get("thread_id")?,
                chat_gone: match r.try_get::<Option<i64>, _>("subscribed")? {
                    None => Some("the chat is no longer known".into()),
                    Some(0) => Some(
                        r.try_get::<Option<String>, _>("gone_reason")?
                            .unwrap_or_else(|| "gone".into()),
                    ),
                    Some(_) => None,
                },
            })
        })
        .collect()
}

/// After a crash: every delivery still in flight becomes `unknown` (Telegram may or
/// may not have posted it). Returns the count per announcement, for the report.
pub async fn recover_in_flight(db: &Db) -> Result<Vec<(AnnouncementId, i64)>, StorageError> {
    let rows = sqlx::query(
        "SELECT announcement_id, COUNT(*) AS n FROM deliveries WHERE state = 'in_flight'
         GROUP BY announcement_id ORDER BY announcement_id",
    )
    .fetch_all(db.pool())
    .await?;
    let counts = rows
        .iter()
        .map(|r| {
            Ok((
                AnnouncementId(r.try_get("announcement_id")?),
                r.try_get("n")?,
            ))
        })
        .collect::<Result<Vec<(AnnouncementId, i64)>, StorageError>>()?;
    if !counts.is_empty() {
        sqlx::query(
            "UPDATE deliveries SET state = 'unknown', last_error = 'in flight when the sender stopped',
               updated_at = $1 WHERE state = 'in_flight'",
        )
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    }
    Ok(counts)
}

/// When the next pending delivery of a sending broadcast falls due (UTC ms).
pub async fn next_due(db: &Db) -> Result<Option<i64>, StorageError> {
    let row = sqlx::query(
        "SELECT MIN(d.next_attempt_at) AS due FROM deliveries d
         JOIN announcements a ON a.id = d.announcement_id
         WHERE d.state = 'pending' AND a.state = 'sending'",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(row.try_get("due")?)
}

/// Deliveries waiting to be sent, across broadcasts (for `/metrics`).
pub async fn pending_count(db: &Db) -> Result<u64, StorageError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get::<i64, _>("n")?.max(0) as u64)
}
