//! Deliveries: one row per (announcement, chat), and the one module that reads and
//! writes them. Broadcast code decides; this module turns each decision into SQL.
//!
//! # Lifecycle
//! A delivery is written `pending` with its announcement, becomes `in_flight` when a
//! sender claims it (before any request), and ends `sent`, `skipped`, `failed`,
//! `unknown`, `cancelled` or `withdrawn`; an edit or a withdrawal puts an ended row
//! back to `pending` with a new [`Step`]. Every SQL text naming a state is here.
//!
//! # Layout
//! - `claim`: claim due deliveries, recover what a crash left in flight.
//! - `finish`: a claimed delivery's outcome, written under its claim.
//! - `follow`: deliveries following their announcement (cancel, withdraw, edit,
//!   resend) and their chat (migration).
//! - `report`: counts for progress, the ETA and the admins' reports.

mod claim;
mod finish;
mod follow;
mod report;

pub use claim::{Job, claim, next_due, pending_count, recover_in_flight};
pub use finish::{Finish, finish, has_delivery};
pub use follow::{
    Reach, cancel_pending, follow_cancel, follow_chat, follow_withdrawal, reach, requeue_for_edit,
    requeue_unknown, withdraw_posted,
};
pub use report::{Left, UnknownChat, count, counts, left, unknown_chats};

use super::{Millis, StorageError};
use crate::vocab::AnnouncementId;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// Where a delivery is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryState {
    /// Waiting for its `next_attempt_at`.
    Pending,
    /// Claimed by a sender: its request may be on the wire.
    InFlight,
    Sent,
    /// The chat is gone.
    Skipped,
    Failed,
    /// Telegram may or may not have posted it: never resent without an admin.
    Unknown,
    Cancelled,
    /// Its messages were deleted.
    Withdrawn,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::InFlight => "in_flight",
            DeliveryState::Sent => "sent",
            DeliveryState::Skipped => "skipped",
            DeliveryState::Failed => "failed",
            DeliveryState::Unknown => "unknown",
            DeliveryState::Cancelled => "cancelled",
            DeliveryState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Result<Self, StorageError> {
        Ok(match s {
            "pending" => DeliveryState::Pending,
            "in_flight" => DeliveryState::InFlight,
            "sent" => DeliveryState::Sent,
            "skipped" => DeliveryState::Skipped,
            "failed" => DeliveryState::Failed,
            "unknown" => DeliveryState::Unknown,
            "cancelled" => DeliveryState::Cancelled,
            "withdrawn" => DeliveryState::Withdrawn,
            other => return Err(StorageError::Corrupt(format!("delivery state {other:?}"))),
        })
    }

    /// Pending or in flight: the broadcast is not over while any delivery is.
    pub fn is_left(self) -> bool {
        matches!(self, DeliveryState::Pending | DeliveryState::InFlight)
    }
}

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

fn now_ms() -> i64 {
    Millis::from(Utc::now())
}

/// Writes one pending delivery of `announcement` per subscribed chat, starting at
/// `first`. Runs in the transaction that creates the announcement.
pub(super) async fn queue_for_subscribers(
    conn: &mut AnyConnection,
    announcement: AnnouncementId,
    first: Step,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO deliveries (announcement_id, chat_id, state, step, next_attempt_at, updated_at)
         SELECT $1, id, 'pending', $2, $3, $3 FROM chats WHERE subscribed = 1",
    )
    .bind(announcement)
    .bind(first.as_str())
    .bind(Millis::from(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_steps_read_back_from_their_stored_names() {
        use DeliveryState::*;
        for state in [
            Pending, InFlight, Sent, Skipped, Failed, Unknown, Cancelled, Withdrawn,
        ] {
            assert_eq!(DeliveryState::parse(state.as_str()).unwrap(), state);
        }
        for step in [
            Step::Announce,
            Step::Thanks,
            Step::EditAnnounce,
            Step::EditThanks,
            Step::Withdraw,
        ] {
            assert_eq!(Step::parse(step.as_str()).unwrap(), step);
        }
        assert!(DeliveryState::parse("sending").is_err());
    }
}
