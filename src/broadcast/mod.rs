//! The broadcast engine: deliveries go from the queue to Telegram at Telegram's pace,
//! every Bot API error handled, crash-safe, with live progress for admins.
//!
//! # Layout
//! The logic lives here; the SQL is the owners' in `storage` (`deliveries`,
//! `announcements`, `leases`, `progress_messages`), whose transitions take and return
//! typed states. Nothing here imports `telegram`: what only the Telegram side can do
//! (the resend button) is handed in when the app is wired.
//! - [`pace`]: the rate arithmetic (global spacing, per chat, per group), pure;
//!   `pace::turn` waits for those moments in `tokio::time`, for deliveries and
//!   progress messages alike.
//! - [`queue`]: the queue as the sender sees it: claim due deliveries (in flight
//!   before the request), record their outcomes, follow a withdrawal or cancel,
//!   load what to post.
//! - [`send`]: the Bot API calls (HTML, media by file id, previews, pins, topics).
//! - [`api`]: how those calls go on the wire (JSON, the answer read at once).
//! - [`card`]: milestone announcements led by their card, drawn once, uploaded once.
//! - [`outcome`]: Telegram's errors mapped to what the worker does, pure.
//! - [`worker`]: the loop, several requests in flight, drivable step by step.
//! - [`lease`]: one sender per bot token across instances.
//! - [`status`]: whether this instance's sender runs, and if not, why (`/health`).
//! - [`progress`]: the admins' live progress message and the final tally; asks the
//!   announcements' owner to finish a drained broadcast.
//! - [`ops`]: pause, resume, cancel, resend unknown, edit, withdraw.

pub mod api;
pub mod card;
pub mod lease;
pub mod ops;
pub mod outcome;
pub mod pace;
pub mod progress;
pub mod queue;
pub mod send;
pub mod status;
pub mod worker;

pub use status::{SenderReport, SenderState, SenderStatus};
pub use worker::{StepOutcome, Worker};

use std::sync::Arc;
use tokio::sync::Notify;

/// Wakes the worker when work is queued, instead of waiting for its next poll, and
/// tells how the sender is doing.
#[derive(Clone, Debug)]
pub struct BroadcastHandle {
    wake: Arc<Notify>,
    status: SenderStatus,
}

impl BroadcastHandle {
    /// Call after queueing an announcement or an operation on one.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Whether this instance's sender runs, and if not, why.
    pub fn sender(&self) -> SenderReport {
        self.status.get()
    }
}
