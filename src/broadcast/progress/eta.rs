//! The time left in a broadcast: the measured rate says how long the deliveries
//! left take at that pace, but some cannot go before their chat allows (a note
//! waits a second after its announcement, three in a group that may take 20 a
//! minute). The ETA is the later of the two, so it reads "ETA 3s", not "ETA 0s",
//! while the last group waits out its limit.

use crate::broadcast::pace::PaceRules;
use crate::storage::deliveries::{self, Step};
use crate::storage::{Db, Millis, StorageError};
use crate::vocab::AnnouncementId;
use crate::vocab::ChatKind;
use chrono::Utc;
use std::time::Duration;

/// Deliveries left of one kind: when the latest of them is due, and whether a note
/// must still follow them into their chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// When the latest of them may go (UTC ms); in the past when due now.
    pub due_ms: i64,
    /// Into groups (20 a minute) rather than channels or private chats.
    pub group: bool,
    /// A thank-you note follows each of them, one chat interval later.
    pub note_follows: bool,
}

/// The deliveries of `announcement_id` still to go, by kind.
pub async fn waiting(
    db: &Db,
    announcement_id: AnnouncementId,
) -> Result<Vec<Waiting>, StorageError> {
    Ok(deliveries::left(db, announcement_id)
        .await?
        .into_iter()
        .map(|left| Waiting {
            due_ms: left.due_ms,
            group: left.chat_kind.is_some_and(ChatKind::is_group),
            note_follows: left.step == Step::Announce && left.has_thanks,
        })
        .collect())
}

/// The time left: `left` deliveries at `rate` per second, but no sooner than the
/// last of `waiting` may go (and its note after it).
pub fn eta(
    left: i64,
    rate: Option<f64>,
    waiting: &[Waiting],
    now_ms: i64,
    rules: &PaceRules,
) -> Option<Duration> {
    let at_rate = rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(left as f64 / r));
    let floor = waiting
        .iter()
        .map(|w| {
            let due = Duration::from_millis((w.due_ms - now_ms).max(0) as u64);
            let note = if w.note_follows {
                rules.chat_interval(w.group)
            } else {
                Duration::ZERO
            };
            due + note
        })
        .max()
        .filter(|d| !d.is_zero());
    match (at_rate, floor) {
        (Some(a), Some(f)) => Some(a.max(f)),
        (a, f) => a.or(f),
    }
}

/// Now, as the queue stores time.
pub fn now_ms() -> i64 {
    Millis::from(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PaceRules {
        PaceRules::new(30.0, Duration::from_secs(1), 20)
    }

    #[test]
    fn the_eta_waits_for_the_chats_that_cannot_go_yet() {
        let now = 1_000_000;
        let group_note_in_3s = Waiting {
            due_ms: now + 3_060,
            group: true,
            note_follows: false,
        };
        let group_announcement_now = Waiting {
            due_ms: now - 10,
            group: true,
            note_follows: true,
        };
        let channel_note_due = Waiting {
            due_ms: now - 500,
            group: false,
            note_follows: false,
        };
        let cases = [
            // The last group waits out its 20-a-minute: 3 s, not 0 s.
            (1, Some(30.0), vec![group_note_in_3s], Some(3)),
            // Nothing processed lately (rate 0), still a wait to show.
            (1, Some(0.0), vec![group_note_in_3s], Some(3)),
            // An announcement into a group still to go: its note follows 3 s later.
            (1, None, vec![group_announcement_now], Some(3)),
            // Many left: the rate decides.
            (300, Some(30.0), vec![group_note_in_3s], Some(10)),
            // Everything due now, at rate.
            (60, Some(30.0), vec![channel_note_due], Some(2)),
            (0, None, vec![], None),
        ];
        for (left, rate, waiting, secs) in cases {
            let got = eta(left, rate, &waiting, now, &rules()).map(|d| d.as_secs());
            assert_eq!(got, secs, "{left} left at {rate:?} with {waiting:?}");
        }
    }
}
