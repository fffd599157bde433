//! What admins can do to a broadcast: pause, resume, cancel, resend the unknown,
//! edit or withdraw it everywhere. Each is one small SQL change; the worker notices
//! on its next claim (call [`super::BroadcastHandle::wake`] to make that now).
//!
//! Edits and withdrawals are deliveries too: they go through the same queue, pace
//! and error handling as the posts.

use super::progress::{self, Tally};
use super::queue::{self, Step};
use crate::storage::{Db, Millis, StorageError};
use chrono::Utc;
use sqlx::Row;

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// No announcement has this id.
    #[error("there is no broadcast #{0}")]
    NotFound(i64),
    /// The announcement is in a state where this makes no sense (e.g. resuming a
    /// finished broadcast, editing one still sending).
    #[error("broadcast #{id} is {state}: {what}")]
    WrongState {
        id: i64,
        state: String,
        what: &'static str,
    },
    /// The new text is empty or too long for Telegram.
    #[error("{0}")]
    BadText(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for OpsError {
    fn from(e: sqlx::Error) -> Self {
        OpsError::Storage(e.into())
    }
}

fn now() -> i64 {
    Millis::from(Utc::now())
}

/// The announcement's state as admins see it: a withdrawn broadcast reads
/// `withdrawing` while its deletions go out and `withdrawn` after.
async fn state_of(db: &Db, id: i64) -> Result<String, OpsError> {
    let row = sqlx::query("SELECT state, withdrawn_at FROM announcements WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(OpsError::NotFound(id))?;
    let state: String = row.try_get("state")?;
    let withdrawn = row.try_get::<Option<i64>, _>("withdrawn_at")?.is_some();
    Ok(progress::shown_state(&state, withdrawn).to_owned())
}

/// Moves `id` from one of `from` to `to`, or says why not.
async fn transition(
    db: &Db,
    id: i64,
    from: &'static str,
    to: &'static str,
    what: &'static str,
) -> Result<(), OpsError> {
    // `from` is a comma-separated list of states, matched in SQL with instr/strpos
    // would differ per database; compare in Rust instead (one row).
    let state = state_of(db, id).await?;
    if !from.split(',').any(|s| s == state) {
        return Err(OpsError::WrongState { id, state, what });
    }
    let done = sqlx::query("UPDATE announcements SET state = $3 WHERE id = $1 AND state = $2")
        .bind(id)
        .bind(state.clone())
        .bind(to)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        // Changed under us (the worker finished it meanwhile): report what it is now.
        let state = state_of(db, id).await?;
        return Err(OpsError::WrongState { id, state, what });
    }
    Ok(())
}

/// Stops claiming deliveries of `id`; requests in flight finish.
pub async fn pause(db: &Db, id: i64) -> Result<(), OpsError> {
    transition(
        db,
        id,
        "queued,sending",
        "paused",
        "only a queued or sending broadcast can be paused",
    )
    .await
}

/// Lets a paused broadcast go on where it stopped.
pub async fn resume(db: &Db, id: i64) -> Result<(), OpsError> {
    transition(
        db,
        id,
        "paused",
        "sending",
        "only a paused broadcast can be resumed",
    )
    .await
}

/// Cancels `id`: nothing more is posted; what was posted stays (see [`withdraw`]).
/// Returns how many deliveries were cancelled.
pub async fn cancel(db: &Db, id: i64) -> Result<u64, OpsError> {
    transition(
        db,
        id,
        "draft,queued,sending,paused",
        "cancelled",
        "it has already ended",
    )
    .await?;
    let done = sqlx::query(
        "UPDATE deliveries SET state = 'cancelled', updated_at = $2 WHERE announcement_id = $1 AND state = 'pending'",
    )
    .bind(id)
    .bind(now())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Sends again the deliveries a crash left unknown (an admin decided a duplicate is
/// better than a gap). Returns how many were queued.
pub async fn resend_unknown(db: &Db, id: i64) -> Result<u64, OpsError> {
    let state = state_of(db, id).await?;
    if matches!(state.as_str(), "cancelled" | "withdrawn" | "withdrawing") {
        return Err(OpsError::WrongState {
            id,
            state,
            what: "it sends nothing more",
        });
    }
    let done = sqlx::query(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = $2, attempts = 0, updated_at = $2
         WHERE announcement_id = $1 AND state = 'unknown'",
    )
    .bind(id)
    .bind(now())
    .execute(db.pool())
    .await?;
    if done.rows_affected() > 0 {
        reopen(db, id).await?;
    }
    Ok(done.rows_affected())
}

/// Which part of the pair an edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditPart {
    Announcement,
    Thanks,
}

/// Only a finished broadcast can be edited: its message ids are all known.
pub fn check_editable(id: i64, state: String) -> Result<(), OpsError> {
    if state == "done" {
        return Ok(());
    }
    Err(OpsError::WrongState {
        id,
        state,
        what: "only a finished broadcast can be edited",
    })
}

/// A broadcast still sending must be paused or cancelled before it is withdrawn; a
/// withdrawn one may be withdrawn again (deletions that failed are tried again).
pub fn check_withdrawable(id: i64, state: String) -> Result<(), OpsError> {
    if !matches!(state.as_str(), "sending" | "queued") {
        return Ok(());
    }
    Err(OpsError::WrongState {
        id,
        state,
        what: "pause or cancel it before withdrawing",
    })
}

/// Changes the text of a finished broadcast's announcement (or caption) or note in
/// every chat where that message was posted, whatever its delivery ended as (a chat
/// whose note failed still gets its announcement edited, and still reads "failed"). `text` is Telegram HTML, rendered and checked by the
/// caller like any template. Returns how many chats will be edited.
pub async fn edit(db: &Db, id: i64, part: EditPart, text: &str) -> Result<u64, OpsError> {
    check_editable(id, state_of(db, id).await?)?;
    if text.trim().is_empty() {
        return Err(OpsError::BadText("the new text is empty"));
    }
    let has_media = sqlx::query("SELECT media_kind FROM announcements WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?
        .try_get::<Option<String>, _>("media_kind")?
        .is_some();
    let limit = if has_media && part == EditPart::Announcement {
        1024
    } else {
        4096
    };
    // Telegram counts the visible text (tags stripped) in UTF-16 units.
    let visible = crate::text::html::visible_text(text)
        .map_err(|_| OpsError::BadText("the new text is not valid Telegram HTML"))?;
    if crate::text::html::telegram_len(&visible) > limit {
        return Err(OpsError::BadText(
            "the new text is longer than Telegram allows",
        ));
    }
    let (set_text, step, column) = match part {
        EditPart::Announcement => (
            "UPDATE announcements SET announce_text = $2 WHERE id = $1",
            Step::EditAnnounce,
            "UPDATE deliveries SET prior_state = state, state = 'pending', step = $2, attempts = 0,
               next_attempt_at = $3, updated_at = $3
             WHERE announcement_id = $1 AND state NOT IN ('pending', 'in_flight', 'withdrawn')
               AND announce_message_id IS NOT NULL",
        ),
        EditPart::Thanks => (
            "UPDATE announcements SET thanks_text = $2 WHERE id = $1",
            Step::EditThanks,
            "UPDATE deliveries SET prior_state = state, state = 'pending', step = $2, attempts = 0,
               next_attempt_at = $3, updated_at = $3
             WHERE announcement_id = $1 AND state NOT IN ('pending', 'in_flight', 'withdrawn')
               AND thanks_message_id IS NOT NULL",
        ),
    };
    let mut tx = db.pool().begin().await?;
    sqlx::query(set_text)
        .bind(id)
        .bind(text.to_owned())
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query(column)
        .bind(id)
        .bind(step.as_str())
        .bind(now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    if done.rows_affected() > 0 {
        reopen(db, id).await?;
    }
    Ok(done.rows_affected())
}

/// Deletes the broadcast's messages in every chat it reached, whatever state each
/// delivery ended in, and cancels what was not posted yet. A send on the wire is
/// deleted once answered, and no note follows (see `queue::follow_announcement`).
/// Returns how many chats will see their messages deleted now.
pub async fn withdraw(db: &Db, id: i64) -> Result<u64, OpsError> {
    check_withdrawable(id, state_of(db, id).await?)?;
    // The mark first, committed on its own: a send answered from now on sees it.
    queue::mark_withdrawn(db, id).await?;
    let chats = queue::withdraw_posted(db, id).await?;
    reopen_with(db, id, true).await?;
    Ok(chats)
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

/// Counts where broadcast `id`'s messages are.
pub async fn reach(db: &Db, id: i64) -> Result<Reach, OpsError> {
    state_of(db, id).await?;
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
    .bind(id)
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

/// Puts a broadcast with new work back to `sending`, so the worker claims it and
/// the progress message shows it.
async fn reopen(db: &Db, id: i64) -> Result<(), OpsError> {
    reopen_with(db, id, false).await
}

/// Like [`reopen`]; `paused_too` also restarts a paused broadcast (a withdrawal
/// must go out even if the posting was paused).
async fn reopen_with(db: &Db, id: i64, paused_too: bool) -> Result<(), OpsError> {
    let sql = if paused_too {
        "UPDATE announcements SET state = 'sending', finished_at = NULL WHERE id = $1 AND state IN ('done', 'cancelled', 'paused')"
    } else {
        "UPDATE announcements SET state = 'sending', finished_at = NULL WHERE id = $1 AND state IN ('done', 'cancelled')"
    };
    sqlx::query(sql).bind(id).execute(db.pool()).await?;
    sqlx::query("UPDATE broadcast_progress SET final = 0 WHERE announcement_id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The deliveries of `id` by state, with the announcement's state.
pub async fn status(db: &Db, id: i64) -> Result<(String, Tally), OpsError> {
    let state = state_of(db, id).await?;
    Ok((state, progress::tally(db, id).await?))
}

/// Sets (or clears) the forum topic a chat wants the bot's posts in.
pub async fn set_chat_topic(
    db: &Db,
    chat_id: i64,
    thread_id: Option<i64>,
) -> Result<bool, OpsError> {
    let done = sqlx::query("UPDATE chats SET thread_id = $2 WHERE id = $1")
        .bind(chat_id)
        .bind(thread_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}
