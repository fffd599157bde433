//! What admins can do to a broadcast: pause, resume, cancel, resend the unknown,
//! edit or withdraw it everywhere. Each is a transition of the announcement and of
//! its deliveries, made by their owners (`storage::announcements`,
//! `storage::deliveries`); the worker notices on its next claim (call
//! [`super::BroadcastHandle::wake`] to make that now).
//!
//! Edits and withdrawals are deliveries too: they go through the same queue, pace
//! and error handling as the posts.

use super::progress::{self, Tally};
use crate::storage::announcements::{self, AnnouncementState, Status, Transition};
use crate::storage::{Db, StorageError, chats, deliveries, progress_messages};
use crate::vocab::{AnnouncementId, ChatId, Part};
use chrono::Utc;

pub use crate::storage::deliveries::Reach;

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// No announcement has this id.
    #[error("there is no broadcast #{0}")]
    NotFound(AnnouncementId),
    /// The announcement is in a state where this makes no sense (e.g. resuming a
    /// finished broadcast, editing one still sending). The message shows `state` as
    /// admins read it ([`shown`]).
    #[error("broadcast #{id} is {}: {what}", shown(*.state))]
    WrongState {
        id: AnnouncementId,
        state: Status,
        what: &'static str,
    },
    /// The new text is empty or too long for Telegram.
    #[error("{0}")]
    BadText(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The announcement's status, or `NotFound`.
async fn status_of(db: &Db, id: AnnouncementId) -> Result<Status, OpsError> {
    announcements::status(db, id)
        .await?
        .ok_or(OpsError::NotFound(id))
}

/// The state as admins read it: a withdrawn broadcast reads `withdrawing` while its
/// deletions go out and `withdrawn` after.
pub fn shown(status: Status) -> &'static str {
    progress::shown_state(status.state, status.withdrawn)
}

/// Moves `id` from one of `from` to `to`, or says why not.
async fn transition(
    db: &Db,
    id: AnnouncementId,
    from: &[AnnouncementState],
    to: AnnouncementState,
    what: &'static str,
) -> Result<(), OpsError> {
    match announcements::transition(db, id, from, to).await? {
        Transition::Moved => Ok(()),
        Transition::Refused(now) => Err(OpsError::WrongState {
            id,
            state: now,
            what,
        }),
        Transition::Missing => Err(OpsError::NotFound(id)),
    }
}

/// Stops claiming deliveries of `id`; requests in flight finish.
pub async fn pause(db: &Db, id: AnnouncementId) -> Result<(), OpsError> {
    use AnnouncementState::*;
    transition(
        db,
        id,
        &[Queued, Sending],
        Paused,
        "only a queued or sending broadcast can be paused",
    )
    .await
}

/// Lets a paused broadcast go on where it stopped.
pub async fn resume(db: &Db, id: AnnouncementId) -> Result<(), OpsError> {
    use AnnouncementState::*;
    transition(
        db,
        id,
        &[Paused],
        Sending,
        "only a paused broadcast can be resumed",
    )
    .await
}

/// Cancels `id`: nothing more is posted; what was posted stays (see [`withdraw`]).
/// Returns how many deliveries were cancelled.
pub async fn cancel(db: &Db, id: AnnouncementId) -> Result<u64, OpsError> {
    use AnnouncementState::*;
    transition(
        db,
        id,
        &[Draft, Queued, Sending, Paused],
        Cancelled,
        "it has already ended",
    )
    .await?;
    let mut conn = db.acquire().await?;
    Ok(deliveries::cancel_pending(&mut conn, id, Utc::now()).await?)
}

/// Sends again the deliveries a crash left unknown (an admin decided a duplicate is
/// better than a gap). Returns how many were queued.
pub async fn resend_unknown(db: &Db, id: AnnouncementId) -> Result<u64, OpsError> {
    let status = status_of(db, id).await?;
    if status.withdrawn || status.state == AnnouncementState::Cancelled {
        return Err(OpsError::WrongState {
            id,
            state: status,
            what: "it sends nothing more",
        });
    }
    let queued = deliveries::requeue_unknown(db, id).await?;
    if queued > 0 {
        reopen(db, id, false).await?;
    }
    Ok(queued)
}

/// Only a finished broadcast can be edited: its message ids are all known (a
/// withdrawn one reads `withdrawn`, not `done`, and cannot be).
pub fn check_editable(id: AnnouncementId, state: Status) -> Result<(), OpsError> {
    if state.state == AnnouncementState::Done && !state.withdrawn {
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
pub fn check_withdrawable(id: AnnouncementId, state: Status) -> Result<(), OpsError> {
    use AnnouncementState::{Queued, Sending};
    // A withdrawn one reads `withdrawing`/`withdrawn`, whatever its state.
    if state.withdrawn || !matches!(state.state, Sending | Queued) {
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
/// whose note failed still gets its announcement edited, and still reads "failed").
/// `text` is Telegram HTML, rendered and checked by the caller like any template.
/// Returns how many chats will be edited.
pub async fn edit(db: &Db, id: AnnouncementId, part: Part, text: &str) -> Result<u64, OpsError> {
    check_editable(id, status_of(db, id).await?)?;
    if text.trim().is_empty() {
        return Err(OpsError::BadText("the new text is empty"));
    }
    let has_media = announcements::has_media(db, id).await?;
    let limit = if has_media && part == Part::Announcement {
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
    let edits = announcements::edit_text(db, id, part, text).await?;
    if edits > 0 {
        reopen(db, id, false).await?;
    }
    Ok(edits)
}

/// Deletes the broadcast's messages in every chat it reached, whatever state each
/// delivery ended in, and cancels what was not posted yet. A send on the wire is
/// deleted once answered, and no note follows (see `queue::follow_announcement`).
/// Returns how many chats will see their messages deleted now.
pub async fn withdraw(db: &Db, id: AnnouncementId) -> Result<u64, OpsError> {
    check_withdrawable(id, status_of(db, id).await?)?;
    // The mark first, committed on its own: a send answered from now on sees it.
    announcements::mark_withdrawn(db, id).await?;
    let chats = deliveries::withdraw_posted(db, id).await?;
    reopen(db, id, true).await?;
    Ok(chats)
}

/// Counts where broadcast `id`'s messages are.
pub async fn reach(db: &Db, id: AnnouncementId) -> Result<Reach, OpsError> {
    status_of(db, id).await?;
    Ok(deliveries::reach(db, id).await?)
}

/// Puts a broadcast with new work back to `sending`, so the worker claims it and
/// the progress message shows it; `paused_too` also restarts a paused broadcast (a
/// withdrawal must go out even if the posting was paused).
async fn reopen(db: &Db, id: AnnouncementId, paused_too: bool) -> Result<(), OpsError> {
    announcements::reopen(db, id, paused_too).await?;
    progress_messages::reopen(db, id).await?;
    Ok(())
}

/// The announcement's status (shown to admins as [`shown`] reads it) and its
/// deliveries by state.
pub async fn status(db: &Db, id: AnnouncementId) -> Result<(Status, Tally), OpsError> {
    let state = status_of(db, id).await?;
    Ok((state, progress::tally(db, id).await?))
}

/// Sets (or clears) the forum topic a chat wants the bot's posts in.
pub async fn set_chat_topic(
    db: &Db,
    chat_id: ChatId,
    thread_id: Option<i64>,
) -> Result<bool, OpsError> {
    Ok(chats::set_topic(db, chat_id, thread_id).await?)
}
