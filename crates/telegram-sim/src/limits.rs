//! Telegram's flood limits as sliding windows, so a client that bursts gets
//! the same 429 `retry_after` it would get from Telegram.

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant},
};

use serde::{Deserialize, Serialize};

use crate::model::ChatId;

/// At most `max` messages in any window of `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// Messages allowed inside one window.
    pub max: u32,
    /// The window's length, in milliseconds on the wire.
    #[serde(with = "crate::serde_ms")]
    pub per: Duration,
}

impl Rate {
    /// `max` messages per `per`.
    pub const fn new(max: u32, per: Duration) -> Self {
        Self { max, per }
    }
}

/// The limits a bot is held to; the defaults are Telegram's published ones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Off turns every check off (benchmarks of the client's own pacing
    /// still see the pace in the records).
    pub enabled: bool,
    /// All chats together: 30 messages per second.
    pub global: Rate,
    /// All chats together when the bot sets `allow_paid_broadcast`.
    pub paid_global: Rate,
    /// One chat: one message per second.
    pub per_chat: Rate,
    /// One group or supergroup: 20 messages per minute (on top of `per_chat`).
    pub per_group: Rate,
    /// Whether edits count as messages (Telegram's docs are vague; off).
    pub count_edits: bool,
    /// Longest text after entity parsing, in UTF-16 code units.
    pub max_text_chars: usize,
    /// Longest caption after entity parsing, in UTF-16 code units.
    pub max_caption_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            enabled: true,
            global: Rate::new(30, Duration::from_secs(1)),
            paid_global: Rate::new(1000, Duration::from_secs(1)),
            per_chat: Rate::new(1, Duration::from_secs(1)),
            per_group: Rate::new(20, Duration::from_secs(60)),
            count_edits: false,
            max_text_chars: 4096,
            max_caption_chars: 1024,
        }
    }
}

impl Limits {
    /// No flood limits, Telegram's length limits kept.
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }
}

/// The moments of accepted messages, one window per scope.
#[derive(Debug, Default)]
struct Window(VecDeque<Instant>);

impl Window {
    /// How long until one more message fits, or `None` if it fits now.
    fn wait(&mut self, rate: Rate, now: Instant) -> Option<Duration> {
        while let Some(&first) = self.0.front() {
            if now.duration_since(first) >= rate.per {
                self.0.pop_front();
            } else {
                break;
            }
        }
        if (self.0.len() as u32) < rate.max {
            return None;
        }
        if rate.max == 0 {
            return Some(rate.per);
        }
        let blocking = self.0[self.0.len() - rate.max as usize];
        Some(rate.per - now.duration_since(blocking))
    }
}

/// One bot's windows. Rejected messages are not counted: only deliveries
/// take a place in a window.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    global: Window,
    chats: HashMap<ChatId, Window>,
    groups: HashMap<ChatId, Window>,
}

impl RateLimiter {
    /// Checks one message to `chat`; on success records it, otherwise
    /// returns the whole seconds to wait (at least one).
    pub fn admit(
        &mut self,
        limits: &Limits,
        chat: ChatId,
        is_group: bool,
        paid: bool,
        now: Instant,
    ) -> Result<(), u64> {
        if !limits.enabled {
            return Ok(());
        }
        let global_rate = if paid {
            limits.paid_global
        } else {
            limits.global
        };
        let mut waits = vec![
            self.global.wait(global_rate, now),
            self.chats
                .entry(chat)
                .or_default()
                .wait(limits.per_chat, now),
        ];
        if is_group {
            waits.push(
                self.groups
                    .entry(chat)
                    .or_default()
                    .wait(limits.per_group, now),
            );
        }
        if let Some(longest) = waits.into_iter().flatten().max() {
            return Err(longest.as_secs_f64().ceil().max(1.0) as u64);
        }
        self.global.0.push_back(now);
        self.chats.entry(chat).or_default().0.push_back(now);
        if is_group {
            self.groups.entry(chat).or_default().0.push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: ChatId = ChatId(1);

    fn limits(global: u32) -> Limits {
        Limits {
            global: Rate::new(global, Duration::from_secs(1)),
            ..Limits::default()
        }
    }

    #[test]
    fn a_second_message_to_one_chat_within_a_second_waits_one_second() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        assert_eq!(rl.admit(&limits(30), CHAT, false, false, t0), Ok(()));
        let second = rl.admit(
            &limits(30),
            CHAT,
            false,
            false,
            t0 + Duration::from_millis(300),
        );
        assert_eq!(second, Err(1));
        let later = rl.admit(&limits(30), CHAT, false, false, t0 + Duration::from_secs(1));
        assert_eq!(later, Ok(()));
    }

    #[test]
    fn the_global_limit_counts_messages_across_chats() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(rl.admit(&limits(3), ChatId(i), false, false, t0), Ok(()));
        }
        assert_eq!(rl.admit(&limits(3), ChatId(9), false, false, t0), Err(1));
        assert_eq!(rl.admit(&limits(3), ChatId(9), false, true, t0), Ok(()));
    }

    #[test]
    fn a_group_over_twenty_a_minute_waits_for_the_oldest_to_expire() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..20 {
            let t = t0 + Duration::from_secs(i);
            assert_eq!(rl.admit(&Limits::default(), CHAT, true, false, t), Ok(()));
        }
        let t = t0 + Duration::from_secs(20);
        assert_eq!(rl.admit(&Limits::default(), CHAT, true, false, t), Err(40));
    }

    #[test]
    fn disabled_limits_admit_everything() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(rl.admit(&Limits::off(), CHAT, true, false, t0), Ok(()));
        }
    }
}
