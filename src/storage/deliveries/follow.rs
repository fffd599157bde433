//! Deliveries following their announcement (cancelled, withdrawn, edited, unknown
//! ones resent) and their chat (a group that became a supergroup).
//!
//! A withdrawal acts on every message the bot posted for the broadcast, whatever
//! state its delivery ended in; a send on the wire when the admin presses Send
//! learns its message id only later, so it follows once its outcome is recorded
//! ([`follow_withdrawal`]; the rule is in `broadcast::queue::follow`).

use super::{Step, now_ms};
use crate::storage::{Db, Millis, StorageError};
use crate::vocab::{AnnouncementId, ChatId, Part};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

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

/// Turns every delivery of `announcement` that posted something into a deletion
/// and cancels the ones that posted nothing. Returns how many chats will see a
/// message deleted now (sends on the wire follow when answered).
pub async fn withdraw_posted(db: &Db, announcement: AnnouncementId) -> Result<u64, StorageError> {
    let now = now_ms();
    let mut tx = db.pool().begin().await?;
    sqlx::query(CANCEL_UNPOSTED)
        .bind(announcement)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let withdrawn = sqlx::query(WITHDRAW_POSTED)
        .bind(announcement)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(withdrawn.rows_affected())
}

/// Delivery `id` of a withdrawn broadcast follows it: deleted if it posted
/// something, cancelled if not. Returns how many rows changed (0 or 1).
pub async fn follow_withdrawal(db: &Db, id: i64) -> Result<u64, StorageError> {
    run_on_one(db, id, &[CANCEL_ONE_UNPOSTED, WITHDRAW_ONE]).await
}

/// Delivery `id` of a cancelled broadcast posts nothing more. Returns how many rows
/// changed (0 or 1).
pub async fn follow_cancel(db: &Db, id: i64) -> Result<u64, StorageError> {
    run_on_one(db, id, &[CANCEL_ONE_POST]).await
}

async fn run_on_one(db: &Db, id: i64, statements: &[&'static str]) -> Result<u64, StorageError> {
    let now = now_ms();
    let mut changed = 0;
    for sql in statements {
        changed += sqlx::query(*sql)
            .bind(id)
            .bind(now)
            .execute(db.pool())
            .await?
            .rows_affected();
    }
    Ok(changed)
}

/// Cancels every pending delivery of `announcement`; how many.
pub async fn cancel_pending(
    conn: &mut AnyConnection,
    announcement: AnnouncementId,
    at: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let done = sqlx::query(
        "UPDATE deliveries SET state = 'cancelled', updated_at = $2
         WHERE announcement_id = $1 AND state = 'pending'",
    )
    .bind(announcement)
    .bind(Millis::from(at))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Puts the unknown deliveries of `announcement` back in the queue, due now, with
/// their attempts reset; how many.
pub async fn requeue_unknown(db: &Db, announcement: AnnouncementId) -> Result<u64, StorageError> {
    let done = sqlx::query(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = $2, attempts = 0, updated_at = $2
         WHERE announcement_id = $1 AND state = 'unknown'",
    )
    .bind(announcement)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Every ended delivery of `announcement` whose `part` was posted becomes an edit
/// of it, due now; the state it had comes back once the edit is done. How many.
pub async fn requeue_for_edit(
    conn: &mut AnyConnection,
    announcement: AnnouncementId,
    part: Part,
) -> Result<u64, StorageError> {
    let (sql, step) = match part {
        Part::Announcement => (
            "UPDATE deliveries SET prior_state = state, state = 'pending', step = $2, attempts = 0,
               next_attempt_at = $3, updated_at = $3
             WHERE announcement_id = $1 AND state NOT IN ('pending', 'in_flight', 'withdrawn')
               AND announce_message_id IS NOT NULL",
            Step::EditAnnounce,
        ),
        Part::Thanks => (
            "UPDATE deliveries SET prior_state = state, state = 'pending', step = $2, attempts = 0,
               next_attempt_at = $3, updated_at = $3
             WHERE announcement_id = $1 AND state NOT IN ('pending', 'in_flight', 'withdrawn')
               AND thanks_message_id IS NOT NULL",
            Step::EditThanks,
        ),
    };
    let done = sqlx::query(sql)
        .bind(announcement)
        .bind(step.as_str())
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}

/// Deliveries waiting for a chat's old id follow it to the new one, so a broadcast
/// under way still reaches it (where the new id already has one, the old one is
/// left). Runs in the transaction that moves the chat.
pub async fn follow_chat(
    conn: &mut AnyConnection,
    from: ChatId,
    to: ChatId,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE deliveries SET chat_id = $2, updated_at = $3
         WHERE chat_id = $1 AND state = 'pending'
           AND NOT EXISTS (SELECT 1 FROM deliveries d2
                           WHERE d2.announcement_id = deliveries.announcement_id AND d2.chat_id = $2)",
    )
    .bind(from)
    .bind(to)
    .bind(Millis::from(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Where a broadcast's messages are, for the confirmation shown before an edit or a
/// withdrawal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// Chats with the announcement posted (and not withdrawn).
    pub announced: i64,
    /// Chats with the thank-you note posted (and not withdrawn).
    pub thanked: i64,
    /// Chats with either.
    pub posted: i64,
    /// Sends on the wire right now: they are deleted too if Telegram posts them.
    pub on_the_wire: i64,
    /// Chats whose post is of unknown outcome: Telegram may have posted it, but the
    /// bot has no message id to delete or edit.
    pub unknown: i64,
}

/// Counts where `announcement`'s messages are.
pub async fn reach(db: &Db, announcement: AnnouncementId) -> Result<Reach, StorageError> {
    let row = sqlx::query(
        "SELECT
           COUNT(CASE WHEN announce_message_id IS NOT NULL AND state NOT IN ('withdrawn', 'in_flight') THEN 1 END) AS announced,
           COUNT(CASE WHEN thanks_message_id IS NOT NULL AND state NOT IN ('withdrawn', 'in_flight') THEN 1 END) AS thanked,
           COUNT(CASE WHEN (announce_message_id IS NOT NULL OR thanks_message_id IS NOT NULL)
                       AND state NOT IN ('withdrawn', 'in_flight') THEN 1 END) AS posted,
           COUNT(CASE WHEN state = 'in_flight' THEN 1 END) AS on_the_wire,
           COUNT(CASE WHEN state = 'unknown' THEN 1 END) AS unknown
         FROM deliveries WHERE announcement_id = $1",
    )
    .bind(announcement)
    .fetch_one(db.pool())
    .await?;
    Ok(Reach {
        announced: row.try_get("announced")?,
        thanked: row.try_get("thanked")?,
        posted: row.try_get("posted")?,
        on_the_wire: row.try_get("on_the_wire")?,
        unknown: row.try_get("unknown")?,
    })
}
