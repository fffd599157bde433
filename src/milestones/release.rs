//! When a fired milestone's announcement goes out: at once, or as a draft (approve
//! mode, or held by the minimum gap), and how drafts leave that state.
//!
//! Admin hooks: [`drafts`] lists what waits, [`approve_by`] queues one. Only drafts
//! the watcher held can be approved; a draft written for a Send / Cancel
//! confirmation leaves only by its buttons (see `storage::announcements::drafts`). The
//! watcher calls [`release_due`] and [`cancel_expired`] on every tick. New drafts
//! are also announced as [`MilestoneEvent`](super::watcher::MilestoneEvent)s by the
//! watcher.

use super::settings::{ReleaseMode, ReleaseSettings};
use crate::storage::announcements::{self, AnnouncementState, drafts};
use crate::storage::{Db, StorageError};
use crate::vocab::{AnnouncementId, ChatId, UserId};
use chrono::{DateTime, Utc};

pub use crate::storage::announcements::drafts::Draft;

/// Why an announcement was written as a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldBecause {
    /// The metric's release mode is `approve`.
    Approval,
    /// The previous announcement of the metric was less than the minimum gap ago.
    MinGap,
}

/// The state a new announcement is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    pub state: AnnouncementState,
    /// When a draft goes out by itself; `None` for queued ones and for drafts that
    /// wait for an admin.
    pub release_at: Option<DateTime<Utc>>,
    /// Why it is a draft; `None` when queued.
    pub held: Option<HeldBecause>,
}

/// Decides how a milestone firing at `now` is released (pure). In approve mode the
/// draft goes out after the approval timeout, but never inside the minimum gap.
pub fn release_for(
    settings: &ReleaseSettings,
    previous_announced_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Release {
    let gap_ends = settings
        .min_gap
        .and_then(|gap| chrono::Duration::from_std(gap).ok())
        .zip(previous_announced_at)
        .map(|(gap, previous)| previous + gap)
        .filter(|&end| end > now);
    match settings.mode {
        ReleaseMode::Approve => {
            let timeout = settings
                .approve_timeout
                .and_then(|t| chrono::Duration::from_std(t).ok())
                .map(|t| now + t);
            Release {
                state: AnnouncementState::Draft,
                release_at: timeout.map(|t| gap_ends.map_or(t, |g| g.max(t))),
                held: Some(HeldBecause::Approval),
            }
        }
        ReleaseMode::Auto => match gap_ends {
            Some(end) => Release {
                state: AnnouncementState::Draft,
                release_at: Some(end),
                held: Some(HeldBecause::MinGap),
            },
            None => Release {
                state: AnnouncementState::Queued,
                release_at: None,
                held: None,
            },
        },
    }
}

/// Every milestone announcement waiting as a draft, oldest first.
pub async fn drafts(db: &Db) -> Result<Vec<Draft>, StorageError> {
    let mut conn = db.pool().acquire().await?;
    drafts::list(&mut conn).await
}

/// Queues a draft the watcher held, now; `false` if it is no such draft.
pub async fn approve(db: &Db, announcement_id: AnnouncementId) -> Result<bool, StorageError> {
    let mut conn = db.pool().acquire().await?;
    let queued = drafts::approve(&mut conn, announcement_id, None, None, Utc::now()).await?;
    if queued {
        tracing::info!(
            announcement_id = announcement_id.get(),
            "milestone draft approved"
        );
    }
    Ok(queued)
}

/// Why `/milestone approve` released nothing; the text is shown to the admin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotApproved {
    #[error("announcement #{0} is not a draft waiting for approval: there is no such announcement")]
    Unknown(AnnouncementId),
    /// Drafts behind Send / Cancel go out only by their Send button.
    #[error(
        "announcement #{0} waits for its own Send button; /milestone approve releases only milestone drafts the watcher held"
    )]
    BehindConfirmation(AnnouncementId),
    #[error("announcement #{0} was cancelled; it cannot be approved")]
    Cancelled(AnnouncementId),
    #[error("announcement #{0} is not a draft waiting for approval (it is {1})")]
    NotADraft(AnnouncementId, String),
}

/// An admin approves a draft the watcher held: it is queued, with its progress
/// shown in `progress_chat`.
pub async fn approve_by(
    db: &Db,
    announcement_id: AnnouncementId,
    admin: UserId,
    progress_chat: ChatId,
    now: DateTime<Utc>,
) -> Result<Result<(), NotApproved>, StorageError> {
    let mut conn = db.pool().acquire().await?;
    if drafts::approve(
        &mut conn,
        announcement_id,
        Some(admin),
        Some(progress_chat),
        now,
    )
    .await?
    {
        tracing::info!(
            announcement_id = announcement_id.get(),
            "milestone draft approved"
        );
        return Ok(Ok(()));
    }
    let why = match drafts::info(&mut conn, announcement_id).await? {
        None => NotApproved::Unknown(announcement_id),
        Some(d) if d.state == AnnouncementState::Draft && d.behind_confirmation => {
            NotApproved::BehindConfirmation(announcement_id)
        }
        Some(d) if d.state == AnnouncementState::Cancelled => {
            NotApproved::Cancelled(announcement_id)
        }
        Some(d) => NotApproved::NotADraft(announcement_id, d.state.to_string()),
    };
    Ok(Err(why))
}

/// Queues every draft whose release time has passed; their ids. The one path by
/// which a draft releases itself: the watcher calls it on every tick (so its
/// `Released` event fires), and the sender starts what it queued.
pub async fn release_due(db: &Db, now: DateTime<Utc>) -> Result<Vec<AnnouncementId>, StorageError> {
    let mut conn = db.acquire().await?;
    announcements::release_due_drafts(&mut conn, now).await
}

/// Cancels for good every draft whose Send button expired unpressed; their ids.
pub async fn cancel_expired(
    db: &Db,
    now: DateTime<Utc>,
) -> Result<Vec<AnnouncementId>, StorageError> {
    let mut conn = db.acquire().await?;
    drafts::cancel_expired(&mut conn, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, hour, 0, 0).unwrap()
    }

    fn settings(mode: ReleaseMode, timeout_h: Option<u64>, gap_h: Option<u64>) -> ReleaseSettings {
        let hours = |h: u64| Duration::from_secs(h * 3600);
        ReleaseSettings {
            mode,
            approve_timeout: timeout_h.map(hours),
            min_gap: gap_h.map(hours),
        }
    }

    #[test]
    fn release_follows_mode_timeout_and_gap() {
        use AnnouncementState::{Draft, Queued};
        use HeldBecause::{Approval, MinGap};
        // (settings, previous announcement at hour, expected state, release at hour, held)
        let cases = [
            (
                settings(ReleaseMode::Auto, None, None),
                Some(11),
                Queued,
                None,
                None,
            ),
            (
                settings(ReleaseMode::Auto, None, Some(6)),
                None,
                Queued,
                None,
                None,
            ),
            (
                settings(ReleaseMode::Auto, None, Some(6)),
                Some(2),
                Queued,
                None,
                None,
            ),
            (
                settings(ReleaseMode::Auto, None, Some(6)),
                Some(10),
                Draft,
                Some(16),
                Some(MinGap),
            ),
            (
                settings(ReleaseMode::Approve, None, None),
                None,
                Draft,
                None,
                Some(Approval),
            ),
            (
                settings(ReleaseMode::Approve, Some(2), None),
                None,
                Draft,
                Some(14),
                Some(Approval),
            ),
            (
                settings(ReleaseMode::Approve, Some(2), Some(6)),
                Some(10),
                Draft,
                Some(16),
                Some(Approval),
            ),
            (
                settings(ReleaseMode::Approve, Some(8), Some(6)),
                Some(10),
                Draft,
                Some(20),
                Some(Approval),
            ),
        ];
        for (i, (settings, previous, state, release_at, held)) in cases.into_iter().enumerate() {
            let got = release_for(&settings, previous.map(at), at(12));
            assert_eq!(got.state, state, "case {i}");
            assert_eq!(got.release_at, release_at.map(at), "case {i}");
            assert_eq!(got.held, held, "case {i}");
        }
    }
}
