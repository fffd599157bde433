//! Injected trouble: latency, 500s, dropped connections, slow answers, and
//! one-shot failures queued for a chat. Random choices come from a seeded
//! generator so a failing run can be replayed.

use std::{
    collections::{HashMap, VecDeque},
    time::Duration,
};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::{
    error::ApiError,
    model::{ChatId, ChatState},
};

/// Random faults applied to API calls. The default injects nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every API call, polling included.
    #[serde(with = "crate::serde_ms")]
    pub latency: Duration,
    /// A further uniform random delay in `0..=jitter` on every call.
    #[serde(with = "crate::serde_ms")]
    pub jitter: Duration,
    /// Share (0.0–1.0) of calls answered 500 "Internal Server Error".
    pub error_rate: f64,
    /// Share of calls whose connection is closed without an answer.
    pub drop_rate: f64,
    /// Share of calls delayed by `slow_delay` (longer than a client timeout).
    pub slow_rate: f64,
    /// How long a slow call waits before it is handled.
    #[serde(with = "crate::serde_ms")]
    pub slow_delay: Duration,
    /// Seed of the generator deciding which calls fail.
    pub seed: u64,
    /// Keeps `getUpdates` free of the random faults (not of latency), since
    /// a client backs off for seconds after a failed poll.
    pub spare_get_updates: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            error_rate: 0.0,
            drop_rate: 0.0,
            slow_rate: 0.0,
            slow_delay: Duration::from_secs(30),
            seed: 0,
            spare_get_updates: true,
        }
    }
}

/// One failure queued for the next send to a chat, to exercise one error path
/// exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fault {
    /// 500 "Internal Server Error".
    ServerError,
    /// The connection closes without an answer.
    Drop,
    /// The answer comes only after this many milliseconds (then succeeds).
    Slow {
        /// The delay.
        ms: u64,
    },
    /// The message is delivered at once, but the answer comes only after this many
    /// milliseconds: past a client's timeout, the client cannot know it was posted.
    LateAnswer {
        /// The delay between delivering and answering.
        ms: u64,
    },
    /// 429 with this `retry_after`.
    RetryAfter {
        /// Seconds.
        secs: u64,
    },
    /// The error the given chat state causes (blocked, kicked, deleted…).
    State {
        /// Which one.
        state: ChatState,
    },
    /// The group-to-supergroup error, pointing at `to`.
    Migrated {
        /// The new chat id.
        to: ChatId,
    },
    /// Any code and description.
    Api {
        /// HTTP status and `error_code`.
        code: u16,
        /// Telegram's wording.
        description: String,
    },
}

/// What the random faults decided for one call.
#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    /// Handle the call after `delay`.
    Proceed { delay: Duration, slowed: bool },
    /// Answer 500 after `delay`.
    ServerError { delay: Duration },
    /// Close the connection after `delay`.
    Drop { delay: Duration },
}

/// The random generator and the queues of one-shot faults.
pub(crate) struct FaultState {
    pub faults: Faults,
    rng: StdRng,
    queued: HashMap<ChatId, VecDeque<Fault>>,
}

impl FaultState {
    pub fn new(faults: Faults) -> Self {
        let rng = StdRng::seed_from_u64(faults.seed);
        Self {
            faults,
            rng,
            queued: HashMap::new(),
        }
    }

    /// Replaces the settings and reseeds, so a test's sequence starts fresh.
    pub fn set(&mut self, faults: Faults) {
        *self = Self {
            queued: std::mem::take(&mut self.queued),
            ..Self::new(faults)
        };
    }

    /// Draws the fate of one call.
    pub fn draw(&mut self, is_poll: bool) -> Verdict {
        let f = &self.faults;
        let mut delay = f.latency;
        if !f.jitter.is_zero() {
            delay += self.rng.random_range(Duration::ZERO..=f.jitter);
        }
        if is_poll && f.spare_get_updates {
            return Verdict::Proceed {
                delay,
                slowed: false,
            };
        }
        let (drop_rate, error_rate, slow_rate) = (f.drop_rate, f.error_rate, f.slow_rate);
        if self.chance(drop_rate) {
            return Verdict::Drop { delay };
        }
        if self.chance(error_rate) {
            return Verdict::ServerError { delay };
        }
        if self.chance(slow_rate) {
            let slow_delay = self.faults.slow_delay;
            return Verdict::Proceed {
                delay: delay + slow_delay,
                slowed: true,
            };
        }
        Verdict::Proceed {
            delay,
            slowed: false,
        }
    }

    fn chance(&mut self, rate: f64) -> bool {
        rate > 0.0 && self.rng.random_bool(rate.clamp(0.0, 1.0))
    }

    /// Queues `n` copies of `fault` for the next sends to `chat`.
    pub fn queue(&mut self, chat: ChatId, n: usize, fault: Fault) {
        let q = self.queued.entry(chat).or_default();
        q.extend(std::iter::repeat_n(fault, n));
    }

    /// Takes the next queued fault for a send to `chat`, if any.
    pub fn take(&mut self, chat: ChatId) -> Option<Fault> {
        self.queued.get_mut(&chat)?.pop_front()
    }
}

/// The 429 or API error a queued fault stands for (drop, slow, late and 500 are
/// carried out by the server itself).
pub(crate) fn fault_error(fault: &Fault, state_error: impl Fn(ChatState) -> ApiError) -> ApiError {
    match fault {
        Fault::RetryAfter { secs } => ApiError::too_many_requests(*secs),
        Fault::State { state } => state_error(*state),
        Fault::Migrated { to } => ApiError::migrated(*to),
        Fault::Api { code, description } => ApiError::plain(*code, description.clone()),
        Fault::ServerError | Fault::Drop | Fault::Slow { .. } | Fault::LateAnswer { .. } => {
            ApiError::internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drops(seed: u64) -> Vec<bool> {
        let mut fs = FaultState::new(Faults {
            drop_rate: 0.5,
            seed,
            ..Faults::default()
        });
        (0..32)
            .map(|_| matches!(fs.draw(false), Verdict::Drop { .. }))
            .collect()
    }

    #[test]
    fn the_same_seed_drops_the_same_calls() {
        assert_eq!(drops(7), drops(7));
        assert_ne!(drops(7), drops(8));
    }

    #[test]
    fn polls_are_spared_random_faults_by_default() {
        let mut fs = FaultState::new(Faults {
            error_rate: 1.0,
            ..Faults::default()
        });
        assert_eq!(
            fs.draw(true),
            Verdict::Proceed {
                delay: Duration::ZERO,
                slowed: false
            }
        );
        assert_eq!(
            fs.draw(false),
            Verdict::ServerError {
                delay: Duration::ZERO
            }
        );
    }

    #[test]
    fn queued_faults_are_used_once_each_in_order() {
        let mut fs = FaultState::new(Faults::default());
        fs.queue(ChatId(5), 2, Fault::ServerError);
        assert_eq!(fs.take(ChatId(6)), None);
        assert_eq!(fs.take(ChatId(5)), Some(Fault::ServerError));
        assert_eq!(fs.take(ChatId(5)), Some(Fault::ServerError));
        assert_eq!(fs.take(ChatId(5)), None);
    }
}
