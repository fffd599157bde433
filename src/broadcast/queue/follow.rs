//! A delivery follows its announcement: once an admin withdraws or cancels a
//! broadcast, every delivery obeys, including the ones whose request was on the wire
//! at that moment.
//!
//! A withdrawal acts on every message the bot posted for the broadcast, whatever
//! state its delivery ended in (sent, failed after the announcement, cancelled before
//! the note, unknown after the announcement…). A send on the wire when the admin
//! presses Send learns its message id only later, so two writers share one rule:
//! - the withdrawal first records `announcements.withdrawn_at` (committed on its
//!   own), then turns every delivery with a message id into a deletion
//!   (`storage::deliveries::withdraw_posted`);
//! - the worker first records a delivery's outcome (committed), then reads the
//!   announcement and, if it was withdrawn meanwhile, turns that one delivery into a
//!   deletion itself ([`follow_announcement`]).
//!
//! Whichever order the commits land in, one of the two sees the other's write, so no
//! posted message escapes the withdrawal and nothing is posted after it. Cancelling
//! works the same way with the announcement's `cancelled` state.

use crate::storage::announcements::{self, AnnouncementState};
use crate::storage::deliveries::{self, Job};
use crate::storage::{Db, StorageError};
use crate::vocab::AnnouncementId;

/// Called after a claimed delivery's outcome is recorded: if its announcement was
/// withdrawn or cancelled meanwhile, the delivery follows (deleted, or cancelled
/// when it posted nothing). Returns whether it changed.
pub async fn follow_announcement(db: &Db, job: &Job) -> Result<bool, StorageError> {
    let Some(status) = announcements::status(db, job.announcement_id).await? else {
        return Ok(false);
    };
    let changed = if status.withdrawn {
        deliveries::follow_withdrawal(db, job.id).await?
    } else if status.state == AnnouncementState::Cancelled {
        deliveries::follow_cancel(db, job.id).await?
    } else {
        0
    };
    Ok(changed > 0)
}

/// Whether a claimed post may still go: its broadcast is sending and not withdrawn.
/// Checked just before the request, so a pause, cancel or withdrawal catches the
/// rows already claimed.
pub async fn may_post(db: &Db, announcement_id: AnnouncementId) -> Result<bool, StorageError> {
    Ok(announcements::status(db, announcement_id)
        .await?
        .is_some_and(|s| s.state == AnnouncementState::Sending && !s.withdrawn))
}
