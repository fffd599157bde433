//! The lifecycle of an announcement, one function per transition: the only code
//! that writes `announcements.state` (drafts' own exits are in [`super::drafts`]).
//!
//! ```text
//! draft ──approve / Send / release_due_drafts──▶ queued ──start_queued──▶ sending
//! sending ──finish_if_drained──▶ done         queued|sending ◀──transition──▶ paused
//! draft|queued|sending|paused ──transition / drafts::cancel──▶ cancelled
//! done|cancelled (paused for a withdrawal) ──reopen──▶ sending (new work)
//! ```
//! Each returns whether it changed a row, so the caller reports what happened, not
//! what it asked for.

use crate::storage::{Db, Millis, StorageError};
use crate::vocab::{AnnouncementId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use std::fmt;

/// The lifecycle of an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnouncementState {
    /// Not sent yet: held by the milestone watcher (an admin's approval, or its
    /// `release_at`), or written for a Send / Cancel confirmation (its Send only).
    Draft,
    /// Deliveries may be sent.
    Queued,
    Sending,
    Paused,
    Done,
    Cancelled,
}

impl AnnouncementState {
    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementState::Draft => "draft",
            AnnouncementState::Queued => "queued",
            AnnouncementState::Sending => "sending",
            AnnouncementState::Paused => "paused",
            AnnouncementState::Done => "done",
            AnnouncementState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, StorageError> {
        Ok(match s {
            "draft" => Self::Draft,
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "paused" => Self::Paused,
            "done" => Self::Done,
            "cancelled" => Self::Cancelled,
            other => {
                return Err(StorageError::Corrupt(format!(
                    "announcement state {other:?}"
                )));
            }
        })
    }
}

impl fmt::Display for AnnouncementState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an announcement is: its state, and whether an admin withdrew it (its
/// deletions then go out whatever the state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub state: AnnouncementState,
    pub withdrawn: bool,
}

fn status_from(row: &sqlx::any::AnyRow) -> Result<Status, StorageError> {
    Ok(Status {
        state: AnnouncementState::parse(&row.try_get::<String, _>("state")?)?,
        withdrawn: row.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
    })
}

/// The status of `id`; `None` when there is no such announcement.
pub async fn status(db: &Db, id: AnnouncementId) -> Result<Option<Status>, StorageError> {
    let row = sqlx::query("SELECT state, withdrawn_at FROM announcements WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(status_from).transpose()
}

/// How a [`transition`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The announcement moved.
    Moved,
    /// It is in none of the states it may leave from (or it was withdrawn); this is
    /// where it is now.
    Refused(Status),
    /// No announcement has this id.
    Missing,
}

/// Moves `id` to `to` if it is in one of `from` and not withdrawn. A change made
/// meanwhile by someone else (the sender finished it) is refused with what it is now.
pub async fn transition(
    db: &Db,
    id: AnnouncementId,
    from: &[AnnouncementState],
    to: AnnouncementState,
) -> Result<Transition, StorageError> {
    let Some(now) = status(db, id).await? else {
        return Ok(Transition::Missing);
    };
    if now.withdrawn || !from.contains(&now.state) {
        return Ok(Transition::Refused(now));
    }
    let done = sqlx::query("UPDATE announcements SET state = $3 WHERE id = $1 AND state = $2")
        .bind(id)
        .bind(now.state.as_str())
        .bind(to.as_str())
        .execute(db.pool())
        .await?;
    if done.rows_affected() > 0 {
        return Ok(Transition::Moved);
    }
    Ok(match status(db, id).await? {
        Some(status) => Transition::Refused(status),
        None => Transition::Missing,
    })
}

/// queued → sending, for every queued announcement: the sender may claim their
/// deliveries. Returns how many started.
pub async fn start_queued(db: &Db) -> Result<u64, StorageError> {
    let done = sqlx::query(
        "UPDATE announcements SET state = 'sending', started_at = COALESCE(started_at, $1)
         WHERE state = 'queued'",
    )
    .bind(Millis::from(Utc::now()))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// draft → queued for every draft the milestone watcher held whose `release_at` is
/// at or before `now`: the one path by which a draft releases itself. Their ids.
pub async fn release_due_drafts(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<Vec<AnnouncementId>, StorageError> {
    let rows = sqlx::query(
        "UPDATE announcements SET state = 'queued'
         WHERE kind = 'milestone' AND state = 'draft' AND confirm_nonce IS NULL
           AND release_at IS NOT NULL AND release_at <= $1
         RETURNING id",
    )
    .bind(Millis::from(now))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok(AnnouncementId(r.try_get("id")?)))
        .collect()
}

/// sending → done, if no delivery of `id` is pending or in flight. Returns whether
/// it finished now (`false`: not sending any more, or work is left).
pub async fn finish_if_drained(db: &Db, id: AnnouncementId) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE announcements SET state = 'done', finished_at = $2
         WHERE id = $1 AND state = 'sending'
           AND NOT EXISTS (SELECT 1 FROM deliveries
                           WHERE announcement_id = $1 AND state IN ('pending', 'in_flight'))",
    )
    .bind(id)
    .bind(Millis::from(Utc::now()))
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// done or cancelled (and paused, with `paused_too`) → sending: the broadcast has
/// new work (an edit, a withdrawal, a resend). Returns whether it moved.
pub async fn reopen(db: &Db, id: AnnouncementId, paused_too: bool) -> Result<bool, StorageError> {
    let sql = if paused_too {
        "UPDATE announcements SET state = 'sending', finished_at = NULL WHERE id = $1 AND state IN ('done', 'cancelled', 'paused')"
    } else {
        "UPDATE announcements SET state = 'sending', finished_at = NULL WHERE id = $1 AND state IN ('done', 'cancelled')"
    };
    let done = sqlx::query(sql).bind(id).execute(db.pool()).await?;
    Ok(done.rows_affected() > 0)
}

/// Records that `id` is withdrawn (the first time only). Commit it before turning
/// deliveries into deletions (see `broadcast::queue::follow`).
pub async fn mark_withdrawn(db: &Db, id: AnnouncementId) -> Result<(), StorageError> {
    sqlx::query("UPDATE announcements SET withdrawn_at = COALESCE(withdrawn_at, $2) WHERE id = $1")
        .bind(id)
        .bind(Millis::from(Utc::now()))
        .execute(db.pool())
        .await?;
    Ok(())
}

/// An announcement whose progress admins are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Showing {
    pub id: AnnouncementId,
    pub status: Status,
    /// The admin who started it; `None` for the watcher's (every admin is shown).
    pub created_by: Option<UserId>,
}

/// Announcements sending or paused, and those whose final report is not shown yet.
pub async fn to_show(db: &Db) -> Result<Vec<Showing>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, state, created_by, withdrawn_at FROM announcements
         WHERE state IN ('sending', 'paused')
            OR id IN (SELECT announcement_id FROM broadcast_progress WHERE final = 0)",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Showing {
                id: AnnouncementId(r.try_get("id")?),
                status: status_from(r)?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect()
}

/// The admin who started `id`, if one did.
pub async fn created_by(db: &Db, id: AnnouncementId) -> Result<Option<UserId>, StorageError> {
    Ok(
        sqlx::query("SELECT created_by FROM announcements WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?
            .map(|r| r.try_get("created_by"))
            .transpose()?
            .flatten(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_from_their_stored_names() {
        use AnnouncementState::*;
        for state in [Draft, Queued, Sending, Paused, Done, Cancelled] {
            assert_eq!(AnnouncementState::parse(state.as_str()).unwrap(), state);
            assert_eq!(state.to_string(), state.as_str());
        }
        assert!(AnnouncementState::parse("withdrawn").is_err());
    }
}
