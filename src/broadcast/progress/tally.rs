//! What a progress message says: deliveries counted by state, the measured rate and
//! the time left, rendered for admins.

use crate::storage::announcements::AnnouncementState;
use crate::storage::deliveries::{self, DeliveryState};
use crate::storage::{Db, StorageError};
use crate::vocab::AnnouncementId;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// Deliveries of one announcement by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: i64,
    pub skipped: i64,
    pub failed: i64,
    pub unknown: i64,
    pub cancelled: i64,
    pub withdrawn: i64,
    /// Pending or in flight.
    pub left: i64,
}

impl Tally {
    /// Deliveries that reached an end.
    pub fn processed(&self) -> i64 {
        self.sent + self.skipped + self.failed + self.unknown + self.cancelled + self.withdrawn
    }

    pub fn total(&self) -> i64 {
        self.processed() + self.left
    }
}

/// Counts the deliveries of an announcement by state.
pub async fn tally(db: &Db, announcement_id: AnnouncementId) -> Result<Tally, StorageError> {
    let mut conn = db.acquire().await?;
    let mut t = Tally::default();
    for (state, n) in deliveries::counts(&mut conn, announcement_id).await? {
        match state {
            DeliveryState::Sent => t.sent += n,
            DeliveryState::Skipped => t.skipped += n,
            DeliveryState::Failed => t.failed += n,
            DeliveryState::Unknown => t.unknown += n,
            DeliveryState::Cancelled => t.cancelled += n,
            DeliveryState::Withdrawn => t.withdrawn += n,
            DeliveryState::Pending | DeliveryState::InFlight => t.left += n,
        }
    }
    Ok(t)
}

/// What an announcement state reads as once `withdrawn` is known: a withdrawn
/// broadcast reads `withdrawing` while its deletions go out and `withdrawn` after.
pub fn shown_state(state: AnnouncementState, withdrawn: bool) -> &'static str {
    use AnnouncementState::{Cancelled, Done};
    match (state, withdrawn) {
        (Done | Cancelled, true) => "withdrawn",
        (_, true) => "withdrawing",
        (other, false) => other.as_str(),
    }
}

/// The progress text; `state` as [`shown_state`] reads it; `rate` in messages per
/// second.
pub fn render(
    id: AnnouncementId,
    state: &str,
    t: &Tally,
    rate: Option<f64>,
    eta: Option<Duration>,
) -> String {
    let head = match state {
        "done" => format!("✅ <b>Broadcast #{id} finished</b>"),
        "cancelled" => format!("⛔ <b>Broadcast #{id} cancelled</b>"),
        "paused" => format!("⏸ <b>Broadcast #{id} paused</b>"),
        "withdrawn" => format!("🗑 <b>Broadcast #{id} withdrawn</b>"),
        "withdrawing" => format!("🗑 <b>Broadcast #{id} being withdrawn</b>"),
        _ => format!("📣 <b>Broadcast #{id} sending</b>"),
    };
    let mut lines = vec![
        head,
        format!(
            "sent {} · skipped {} · failed {} · left {} (of {})",
            t.sent,
            t.skipped,
            t.failed,
            t.left,
            t.total()
        ),
    ];
    if t.unknown > 0 {
        lines.push(format!(
            "unknown {} (Telegram may or may not have posted them; not resent unless an admin asks)",
            t.unknown
        ));
    }
    if t.withdrawn > 0 || t.cancelled > 0 {
        lines.push(format!(
            "withdrawn {} · cancelled {}",
            t.withdrawn, t.cancelled
        ));
    }
    if matches!(state, "sending" | "withdrawing") {
        match (rate, eta) {
            (Some(r), Some(eta)) => lines.push(format!(
                "rate {r:.1}/s · ETA {}",
                humantime::format_duration(whole_seconds(eta))
            )),
            (Some(r), None) => lines.push(format!("rate {r:.1}/s")),
            (None, Some(eta)) => lines.push(format!(
                "ETA {}",
                humantime::format_duration(whole_seconds(eta))
            )),
            _ => {}
        }
    }
    lines.join("\n")
}

/// A time left in whole seconds, rounded up: a wait of 0.4 s reads "1s", never "0s".
fn whole_seconds(eta: Duration) -> Duration {
    Duration::from_secs(eta.as_secs_f64().ceil() as u64)
}

/// The measured rate over the last half minute, and the time left at that rate.
#[derive(Debug, Default)]
pub(super) struct RateMeter {
    samples: VecDeque<(Instant, i64)>,
}

impl RateMeter {
    pub(super) fn observe(
        &mut self,
        now: Instant,
        processed: i64,
        left: i64,
    ) -> (Option<f64>, Option<Duration>) {
        self.samples.push_back((now, processed));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(30))
        {
            self.samples.pop_front();
        }
        let (t0, p0) = *self.samples.front().expect("just pushed");
        let secs = now.duration_since(t0).as_secs_f64();
        if secs < 0.5 {
            return (None, None);
        }
        let rate = (processed - p0) as f64 / secs;
        let eta = (rate > 0.0).then(|| Duration::from_secs_f64(left as f64 / rate));
        (Some(rate), eta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_counts_rate_and_eta_while_sending() {
        let t = Tally {
            sent: 90,
            skipped: 5,
            failed: 1,
            left: 904,
            ..Tally::default()
        };
        let text = render(
            AnnouncementId(7),
            "sending",
            &t,
            Some(30.0),
            Some(Duration::from_secs(30)),
        );
        assert!(text.contains("Broadcast #7 sending"), "{text}");
        assert!(
            text.contains("sent 90 · skipped 5 · failed 1 · left 904 (of 1000)"),
            "{text}"
        );
        assert!(text.contains("rate 30.0/s · ETA 30s"), "{text}");
    }

    #[test]
    fn a_wait_under_a_second_reads_one_second_never_zero() {
        let t = Tally {
            left: 1,
            ..Tally::default()
        };
        let text = render(
            AnnouncementId(7),
            "sending",
            &t,
            None,
            Some(Duration::from_millis(400)),
        );
        assert!(text.ends_with("ETA 1s"), "{text}");
    }

    #[test]
    fn the_final_tally_has_no_rate_and_mentions_unknown_deliveries() {
        let t = Tally {
            sent: 10,
            unknown: 2,
            ..Tally::default()
        };
        let text = render(AnnouncementId(3), "done", &t, Some(1.0), None);
        assert!(text.contains("finished"));
        assert!(text.contains("unknown 2"));
        assert!(!text.contains("rate"));
    }

    #[test]
    fn the_rate_is_measured_over_recent_samples() {
        let mut m = RateMeter::default();
        let t0 = Instant::now();
        assert_eq!(m.observe(t0, 0, 100), (None, None));
        let (rate, eta) = m.observe(t0 + Duration::from_secs(2), 60, 40);
        assert_eq!(rate, Some(30.0));
        assert_eq!(eta.map(|d| d.as_secs()), Some(1));
    }
}
