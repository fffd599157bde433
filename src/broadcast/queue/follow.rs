//! A delivery follows its announcement: once an admin withdraws or cancels a
//! broadcast, every delivery obeys, including the ones whose request was on the wire
//! at that moment.
//!
//! A withdrawal acts on every message the bot posted for the broadcast, whatever
//! state its delivery ended in (sent, failed after the announcement, cancelled before
//! the note, unknown after the announcement…). A send on the wire when the admin
//! presses Send learns its message id only later, so two writers share one rule:
//! - the withdrawal first records `announcements.withdrawn_at` (committed on its
//!   own), then turns every delivery with a message id into a deletion;
//! - the worker first records a delivery's outcome (committed), then reads the
//!   announcement and, if it was withdrawn meanwhile, turns that one delivery into a
//!   deletion itself.
//!
//! Whichever order the commits land in, one of the two sees the other's write, so no
//! posted message escapes the withdrawal and nothing is posted after it. Cancelling
//! works the same way with the announcement's `cancelled` state.

use super::{Job, now_ms};
use crate::storage::{Db, StorageError};
use sqlx::Row;

/// Rows with a message of ours become deletions; rows in flight are left to their
/// sender (it follows the announcement once their answer is recorded).
const WITHDRAW_POSTED: &str =
    "UPDATE deliveries SET state = 'pending', step = 'withdraw', attempts = 0,
       next_attempt_at = $2, prior_state = NULL, updated_at = $2
     WHERE announcement_id = $1 AND state NOT IN ('in_flight', 'withdrawn')
       AND (announce_message_id IS NOT NULL OR thanks_message_id IS NOT NULL)";

/// Rows that posted nothing yet are cancelled.
const CANCEL_UNPOSTED: &str = "UPDATE deliveries SET state = 'cancelled', updated_at = $2
     WHERE announcement_id = $1 AND state = 'pending'
       AND announce_message_id IS NULL AND thanks_message_id IS NULL";

const WITHDRAW_ONE: &str =
    "UPDATE deliveries SET state = 'pending', step = 'withdraw', attempts = 0,
       next_attempt_at = $2, prior_state = NULL, updated_at = $2
     WHERE id = $1 AND state NOT IN ('in_flight', 'withdrawn')
       AND (announce_message_id IS NOT NULL OR thanks_message_id IS NOT NULL)
       AND NOT (state = 'pending' AND step = 'withdraw')";

const CANCEL_ONE_UNPOSTED: &str = "UPDATE deliveries SET state = 'cancelled', updated_at = $2
     WHERE id = $1 AND state = 'pending' AND step <> 'withdraw'
       AND announce_message_id IS NULL AND thanks_message_id IS NULL";

/// A cancelled broadcast posts nothing more: a note still to come is cancelled too.
const CANCEL_ONE_POST: &str = "UPDATE deliveries SET state = 'cancelled', updated_at = $2
     WHERE id = $1 AND state = 'pending' AND step IN ('announce', 'thanks')";

/// Records that `announcement_id` is withdrawn. Must be committed before
/// [`withdraw_posted`] runs (see the module's rule).
pub async fn mark_withdrawn(db: &Db, announcement_id: i64) -> Result<(), StorageError> {
    sqlx::query("UPDATE announcements SET withdrawn_at = COALESCE(withdrawn_at, $2) WHERE id = $1")
        .bind(announcement_id)
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Turns every delivery of `announcement_id` that posted something into a deletion
/// and cancels the ones that posted nothing. Returns how many chats will see a
/// message deleted now (sends on the wire follow when answered).
pub async fn withdraw_posted(db: &Db, announcement_id: i64) -> Result<u64, StorageError> {
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    sqlx::query(CANCEL_UNPOSTED)
        .bind(announcement_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let withdrawn = sqlx::query(WITHDRAW_POSTED)
        .bind(announcement_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(withdrawn.rows_affected())
}

/// Called after a claimed delivery's outcome is recorded: if its announcement was
/// withdrawn or cancelled meanwhile, the delivery follows (deleted, or cancelled
/// when it posted nothing). Returns whether it changed.
pub async fn follow_announcement(db: &Db, job: &Job) -> Result<bool, StorageError> {
    let Some((state, withdrawn)) = announcement_state(db, job.announcement_id).await? else {
        return Ok(false);
    };
    let now = now_ms();
    let statements: &[&'static str] = if withdrawn {
        &[CANCEL_ONE_UNPOSTED, WITHDRAW_ONE]
    } else if state == "cancelled" {
        &[CANCEL_ONE_POST]
    } else {
        &[]
    };
    let mut changed = 0;
    for sql in statements {
        changed += sqlx::query(*sql)
            .bind(job.id)
            .bind(now)
            .execute(db.pool())
            .await?
            .rows_affected();
    }
    Ok(changed > 0)
}

/// Whether a claimed post may still go: its broadcast is sending and not withdrawn.
/// Checked just before the request, so a pause, cancel or withdrawal catches the
/// rows already claimed.
pub async fn may_post(db: &Db, announcement_id: i64) -> Result<bool, StorageError> {
    Ok(announcement_state(db, announcement_id)
        .await?
        .is_some_and(|(state, withdrawn)| state == "sending" && !withdrawn))
}

async fn announcement_state(
    db: &Db,
    announcement_id: i64,
) -> Result<Option<(String, bool)>, StorageError> {
    let row = sqlx::query("SELECT state, withdrawn_at FROM announcements WHERE id = $1")
        .bind(announcement_id)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| {
        Ok((
            r.try_get("state")?,
            r.try_get::<Option<i64>, _>("withdrawn_at")?.is_some(),
        ))
    })
    .transpose()
}
