//! The delivery queue in SQL: claim due deliveries (marking them in flight before
//! any request), finish them after, and recover what a crash left in flight.
//!
//! A claim is one `UPDATE … WHERE id IN (SELECT … LIMIT n)` stamping a fresh claim
//! number: atomic on SQLite (one writer at a time) and, with `FOR UPDATE SKIP
//! LOCKED`, safe against a second claimer on PostgreSQL. Every finish is guarded by
//! that claim number and the `in_flight` state, so a row another instance has since
//! declared unknown is never overwritten.

mod finish;
mod follow;

pub use finish::{Finish, finish};
pub use follow::{follow_announcement, mark_withdrawn, may_post, withdraw_posted};

use super::send::{Content, Media, MediaKind, PostOptions, StoredOptions};
use crate::config::BroadcastConfig;
use crate::storage::chats::ChatKind;
use crate::storage::{Backend, Db, Millis, StorageError};
use chrono::Utc;
use sqlx::Row;
use std::sync::Mutex;

/// What a delivery does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Post the announcement.
    Announce,
    /// Post the thank-you note (after the announcement, if there is one).
    Thanks,
    /// Edit the posted announcement to the announcement's current text.
    EditAnnounce,
    /// Edit the posted thank-you note.
    EditThanks,
    /// Delete the posted messages.
    Withdraw,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Announce => "announce",
            Step::Thanks => "thanks",
            Step::EditAnnounce => "edit_announce",
            Step::EditThanks => "edit_thanks",
            Step::Withdraw => "withdraw",
        }
    }

    pub fn parse(s: &str) -> Result<Self, StorageError> {
        Ok(match s {
            "announce" => Step::Announce,
            "thanks" => Step::Thanks,
            "edit_announce" => Step::EditAnnounce,
            "edit_thanks" => Step::EditThanks,
            "withdraw" => Step::Withdraw,
            other => return Err(StorageError::Corrupt(format!("delivery step {other:?}"))),
        })
    }

    /// Whether this step posts a new message (and so counts against flood limits).
    pub fn posts(self) -> bool {
        matches!(self, Step::Announce | Step::Thanks)
    }
}

/// A claimed delivery, in flight in the database.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub claim: i64,
    pub announcement_id: i64,
    pub chat_id: i64,
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

pub(super) fn now_ms() -> i64 {
    Millis::from(Utc::now())
}

/// Moves queued announcements (and drafts whose release time has come) to
/// `sending`, so their deliveries may be claimed.
pub async fn start_due_announcements(db: &Db) -> Result<u64, StorageError> {
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE announcements SET state = 'sending', started_at = COALESCE(started_at, $1)
         WHERE state = 'queued' OR (state = 'draft' AND release_at IS NOT NULL AND release_at <= $1)",
    )
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
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

/// Claims up to `limit` due deliveries, retries first: they are `in_flight` once
/// this returns.
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
                announcement_id: r.try_get("announcement_id")?,
                chat_id: r.try_get("chat_id")?,
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
pub async fn recover_in_flight(db: &Db) -> Result<Vec<(i64, i64)>, StorageError> {
    let rows = sqlx::query(
        "SELECT announcement_id, COUNT(*) AS n FROM deliveries WHERE state = 'in_flight'
         GROUP BY announcement_id ORDER BY announcement_id",
    )
    .fetch_all(db.pool())
    .await?;
    let counts = rows
        .iter()
        .map(|r| Ok((r.try_get("announcement_id")?, r.try_get("n")?)))
        .collect::<Result<Vec<(i64, i64)>, StorageError>>()?;
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

/// Loads what to post for an announcement; defaults come from the configuration.
pub async fn load_content(
    db: &Db,
    announcement_id: i64,
    config: &BroadcastConfig,
) -> Result<Content, StorageError> {
    let row = sqlx::query(
        "SELECT announce_text, thanks_text, media_kind, media_ref, media_file_id, options
         FROM announcements WHERE id = $1",
    )
    .bind(announcement_id)
    .fetch_one(db.pool())
    .await?;
    let stored: StoredOptions =
        serde_json::from_str(&row.try_get::<String, _>("options")?).unwrap_or_default();
    let media_kind: Option<String> = row.try_get("media_kind")?;
    let media_ref: Option<String> = row.try_get("media_ref")?;
    let media = match (media_kind.as_deref().and_then(MediaKind::parse), media_ref) {
        (Some(kind), Some(source)) => Some(Media {
            kind,
            source,
            file_id: Mutex::new(row.try_get("media_file_id")?),
            upload: None,
        }),
        _ => None,
    };
    Ok(Content {
        announce_text: row.try_get("announce_text")?,
        thanks_text: row.try_get("thanks_text")?,
        media,
        options: PostOptions {
            silent: stored.silent.unwrap_or(config.silent),
            pin: stored.pin.unwrap_or(config.pin),
            link_preview: stored.link_preview.unwrap_or(true),
            paid: config.paid,
        },
    })
}

/// Remembers the file id of the first upload so later sends reuse it.
pub async fn save_file_id(
    db: &Db,
    announcement_id: i64,
    file_id: &str,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE announcements SET media_file_id = $2 WHERE id = $1 AND media_file_id IS NULL",
    )
    .bind(announcement_id)
    .bind(file_id.to_owned())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Deliveries waiting to be sent, across broadcasts (for `/metrics`).
pub async fn pending_count(db: &Db) -> Result<u64, StorageError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get::<i64, _>("n")?.max(0) as u64)
}
