//! Announcements waiting as drafts, and how each kind leaves that state.
//!
//! Two kinds of draft, told apart by `confirm_nonce`:
//! - held by the milestone watcher (`RELEASE_MODE=approve`, `MILESTONE_MIN_GAP`;
//!   no nonce): listed for admins, released by `/milestone approve` ([`approve`])
//!   or by the watcher once their `release_at` has passed
//!   ([`super::release_due_drafts`], the only other way out of `draft`);
//! - written for a confirmation (a manual announcement, a thank-you note; the nonce
//!   of its Send / Cancel buttons): released only by that Send, cancelled for good
//!   by Cancel, by its expiry, or when the buttons never reached the admin.

use super::AnnouncementState;
use crate::storage::deliveries;
use crate::storage::milestones::{from_db, metric_from_db};
use crate::storage::{Millis, StorageError};
use crate::vocab::{AnnouncementId, ChatId, MetricName, UserId};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// A draft milestone announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub announcement_id: AnnouncementId,
    pub metric: MetricName,
    pub milestone: u64,
    pub created_at: DateTime<Utc>,
    /// When it goes out by itself; `None`: only when an admin approves it.
    pub release_at: Option<DateTime<Utc>>,
}

/// Every milestone draft the watcher held, oldest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Draft>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, metric, milestone, created_at, release_at FROM announcements
         WHERE kind = 'milestone' AND state = 'draft' AND confirm_nonce IS NULL
         ORDER BY created_at, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Draft {
                announcement_id: r.try_get("id")?,
                metric: metric_from_db(
                    r.try_get::<Option<String>, _>("metric")?
                        .unwrap_or_default(),
                )?,
                milestone: from_db(r.try_get::<Option<i64>, _>("milestone")?.unwrap_or(0))?,
                created_at: Millis::to(r.try_get("created_at")?)?,
                release_at: r
                    .try_get::<Option<i64>, _>("release_at")?
                    .map(Millis::to)
                    .transpose()?,
            })
        })
        .collect()
}

/// What an announcement is, for deciding how it may leave the draft state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftInfo {
    /// `milestone`, `manual` or `thanks`.
    pub kind: String,
    pub metric: Option<MetricName>,
    pub milestone: Option<u64>,
    pub state: AnnouncementState,
    /// Whether only a Send button may release it.
    pub behind_confirmation: bool,
}

pub async fn info(
    conn: &mut AnyConnection,
    id: AnnouncementId,
) -> Result<Option<DraftInfo>, StorageError> {
    let row = sqlx::query(
        "SELECT kind, metric, milestone, state, confirm_nonce FROM announcements WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        Ok(DraftInfo {
            kind: r.try_get("kind")?,
            metric: r
                .try_get::<Option<String>, _>("metric")?
                .map(metric_from_db)
                .transpose()?,
            milestone: r
                .try_get::<Option<i64>, _>("milestone")?
                .map(from_db)
                .transpose()?,
            state: AnnouncementState::parse(&r.try_get::<String, _>("state")?)?,
            behind_confirmation: r.try_get::<Option<String>, _>("confirm_nonce")?.is_some(),
        })
    })
    .transpose()
}

/// Ties a draft to the confirmation whose Send alone may release it.
pub async fn set_confirmation(
    conn: &mut AnyConnection,
    id: AnnouncementId,
    nonce: &str,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE announcements SET confirm_nonce = $2 WHERE id = $1")
        .bind(id)
        .bind(nonce.to_owned())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Queues a draft the watcher held (an admin approved it), remembering who, where to
/// show progress and when; `false` when it is no such draft.
pub async fn approve(
    conn: &mut AnyConnection,
    id: AnnouncementId,
    by: Option<UserId>,
    progress_chat_id: Option<ChatId>,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE announcements SET state = 'queued', created_by = COALESCE(created_by, $2),
           progress_chat_id = COALESCE($3, progress_chat_id), release_at = $4
         WHERE id = $1 AND state = 'draft' AND confirm_nonce IS NULL",
    )
    .bind(id)
    .bind(by)
    .bind(progress_chat_id)
    .bind(Millis::from(at))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues a draft written for a confirmation (its Send was pressed); `false` when
/// it is no such draft any more (cancelled, expired, released).
pub async fn release_confirmed(
    conn: &mut AnyConnection,
    id: AnnouncementId,
    by: UserId,
    progress_chat_id: ChatId,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE announcements SET state = 'queued', created_by = COALESCE(created_by, $2),
           progress_chat_id = $3, release_at = $4
         WHERE id = $1 AND state = 'draft' AND confirm_nonce IS NOT NULL",
    )
    .bind(id)
    .bind(by)
    .bind(progress_chat_id)
    .bind(Millis::from(at))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels a draft for good, with its deliveries; `false` when it is not a draft.
pub async fn cancel(
    conn: &mut AnyConnection,
    id: AnnouncementId,
    at: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE announcements SET state = 'cancelled', finished_at = $2
         WHERE id = $1 AND state = 'draft'",
    )
    .bind(id)
    .bind(Millis::from(at))
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    deliveries::cancel_pending(conn, id, at).await?;
    Ok(true)
}

/// Cancels every draft whose confirmation expired unused; their ids.
pub async fn cancel_expired(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<Vec<AnnouncementId>, StorageError> {
    let rows = sqlx::query(
        "SELECT a.id FROM announcements a JOIN confirmations c ON c.nonce = a.confirm_nonce
         WHERE a.state = 'draft' AND c.used_at IS NULL AND c.expires_at <= $1
         ORDER BY a.id",
    )
    .bind(Millis::from(now))
    .fetch_all(&mut *conn)
    .await?;
    let mut cancelled = Vec::new();
    for row in rows {
        let id = AnnouncementId(row.try_get("id")?);
        if cancel(conn, id, now).await? {
            cancelled.push(id);
        }
    }
    Ok(cancelled)
}
