//! Telegram's pace as plain arithmetic: when may the next message go, and into
//! which chat. [`turn`] waits for those moments (in `tokio::time`) on the bot's one
//! shared [`Pacer`].
//!
//! Sends are spaced evenly rather than released from a token bucket: a bucket that
//! holds 30 tokens lets up to 60 messages land inside one second, and Telegram
//! answers that with a 429 whose `retry_after` stalls the whole bot. Every interval
//! carries a little headroom so network jitter cannot squeeze N+1 messages into a
//! window the server counts as N.

pub mod turn;

use crate::vocab::ChatId;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

/// Added to every interval so jitter on the way to the server cannot break a limit.
pub const HEADROOM: f64 = 1.02;

/// A chat whose next allowed moment is further away than this is not worth holding
/// a global slot for: its delivery goes back to the queue until then.
pub const DEFER_AFTER: Duration = Duration::from_millis(250);

/// The spacing the limits imply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaceRules {
    /// Between two messages of the whole bot.
    pub global: Duration,
    /// Between two messages into one private chat or channel.
    pub per_chat: Duration,
    /// Between two messages into one group or supergroup (the stricter of the
    /// per-chat interval and the per-minute group limit spread over the minute).
    pub per_group: Duration,
}

impl PaceRules {
    /// `rate` messages per second overall, one per `per_chat_interval` into a chat,
    /// `group_per_minute` into a group.
    pub fn new(rate: f64, per_chat_interval: Duration, group_per_minute: u32) -> Self {
        let global = Duration::from_secs_f64(HEADROOM / rate);
        let per_chat = per_chat_interval.mul_f64(HEADROOM);
        let group =
            Duration::from_secs_f64(60.0 / f64::from(group_per_minute.max(1))).mul_f64(HEADROOM);
        Self {
            global,
            per_chat,
            per_group: group.max(per_chat),
        }
    }

    /// The least time between two messages into a chat of this kind.
    pub fn chat_interval(&self, is_group: bool) -> Duration {
        if is_group {
            self.per_group
        } else {
            self.per_chat
        }
    }

    /// How many global slots fit into `window` (at least one).
    pub fn slots_in(&self, window: Duration) -> usize {
        ((window.as_secs_f64() / self.global.as_secs_f64()).floor() as usize).max(1)
    }
}

/// What the pacer decided for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Send at this moment (it may be now).
    At(Instant),
    /// The chat is not ready before this moment; put the delivery back until then.
    Defer(Instant),
}

/// The sender's schedule: the next free global moment and, per chat, the next
/// moment a message may go there. One per bot token.
#[derive(Debug)]
pub struct Pacer {
    rules: PaceRules,
    /// The earliest moment the next message of the bot may go.
    next_global: Option<Instant>,
    /// Per chat, the earliest moment the next message may go there.
    chats: HashMap<ChatId, Instant>,
    /// Bumped by every 429 hold, so slots handed out before it can be re-taken.
    epoch: u64,
    /// When the most recent messages actually left, oldest first: the last guard
    /// against a burst. Slots are spaced, but a stalled runtime wakes several senders
    /// at once; this keeps any window of [`Pacer::window`] to the rate regardless.
    departures: VecDeque<Instant>,
}

impl Pacer {
    pub fn new(rules: PaceRules) -> Self {
        Self {
            rules,
            next_global: None,
            chats: HashMap::new(),
            epoch: 0,
            departures: VecDeque::new(),
        }
    }

    /// The sliding window Telegram counts its per-second limit over, with headroom.
    pub fn window(&self) -> Duration {
        Duration::from_secs(1).mul_f64(HEADROOM)
    }

    /// How many messages may leave within one [`Pacer::window`]: the configured rate.
    fn window_cap(&self) -> usize {
        ((HEADROOM / self.rules.global.as_secs_f64()).round() as usize).max(1)
    }

    /// Records a message leaving `now`, or says when it may leave instead because
    /// the last window already holds the rate's worth.
    pub fn depart(&mut self, now: Instant) -> Result<(), Instant> {
        let window = self.window();
        while self
            .departures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.departures.pop_front();
        }
        if self.departures.len() >= self.window_cap() {
            let oldest = *self.departures.front().expect("a full window is not empty");
            return Err(oldest + window);
        }
        self.departures.push_back(now);
        Ok(())
    }

    pub fn rules(&self) -> PaceRules {
        self.rules
    }

    /// Hands out the next slot for a message into `chat`.
    pub fn schedule(&mut self, chat: ChatId, is_group: bool, now: Instant) -> Slot {
        let global = self.next_global.map_or(now, |g| g.max(now));
        let chat_ready = self.chats.get(&chat).copied().unwrap_or(now).max(now);
        if chat_ready > global + DEFER_AFTER {
            return Slot::Defer(chat_ready);
        }
        let at = global.max(chat_ready);
        self.next_global = Some(at + self.rules.global);
        self.chats
            .insert(chat, at + self.rules.chat_interval(is_group));
        self.forget_old(now);
        Slot::At(at)
    }

    /// A global slot for a call that is not a delivery (an admin's progress message).
    pub fn take_global(&mut self, now: Instant) -> Instant {
        let at = self.next_global.map_or(now, |g| g.max(now));
        self.next_global = Some(at + self.rules.global);
        at
    }

    /// The next free global moment, for a worker deciding when to claim more work.
    pub fn next_global(&self, now: Instant) -> Instant {
        self.next_global.map_or(now, |g| g.max(now))
    }

    /// Telegram said 429: nothing of this bot goes before `until`.
    pub fn hold(&mut self, until: Instant) {
        if self.next_global.is_none_or(|g| g < until) {
            self.next_global = Some(until);
        }
        self.epoch += 1;
    }

    /// Changes whenever [`Pacer::hold`] is called.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Keeps the per-chat map small: entries in the past constrain nothing.
    fn forget_old(&mut self, now: Instant) {
        if self.chats.len() > 4096 {
            self.chats.retain(|_, at| *at > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn rules(rate: f64) -> PaceRules {
        PaceRules::new(rate, Duration::from_secs(1), 20)
    }

    #[test]
    fn intervals_follow_the_configured_limits_with_headroom() {
        let cases = [
            (30.0, 1000, 20, 34_000, 1_020_000, 3_060_000),
            (1000.0, 1000, 20, 1_020, 1_020_000, 3_060_000),
            (200.0, 100, 600, 5_100, 102_000, 102_000),
        ];
        for (rate, chat_ms, group, global_us, chat_us, group_us) in cases {
            let r = PaceRules::new(rate, ms(chat_ms), group);
            assert_eq!(r.global.as_micros(), global_us, "{rate}/s global");
            assert_eq!(r.per_chat.as_micros(), chat_us, "{rate}/s chat");
            assert_eq!(r.per_group.as_micros(), group_us, "{rate}/s group");
        }
    }

    #[test]
    fn messages_to_different_chats_are_spaced_evenly_never_bursted() {
        let mut p = Pacer::new(rules(30.0));
        let t0 = Instant::now();
        let slots: Vec<_> = (0..31)
            .map(|chat| p.schedule(ChatId(chat), false, t0))
            .collect();
        for (i, slot) in slots.iter().enumerate() {
            assert_eq!(*slot, Slot::At(t0 + rules(30.0).global * i as u32));
        }
        // The 31st message lands more than one second after the first.
        let Slot::At(last) = slots[30] else { panic!() };
        assert!(last - t0 > Duration::from_secs(1));
    }

    #[test]
    fn a_chat_that_is_not_ready_soon_is_deferred_without_using_a_global_slot() {
        let mut p = Pacer::new(rules(30.0));
        let t0 = Instant::now();
        assert_eq!(p.schedule(ChatId(7), false, t0), Slot::At(t0));
        let again = p.schedule(ChatId(7), false, t0 + ms(40));
        assert_eq!(again, Slot::Defer(t0 + rules(30.0).per_chat));
        assert_eq!(
            p.schedule(ChatId(8), false, t0 + ms(40)),
            Slot::At(t0 + ms(40))
        );
    }

    #[test]
    fn a_chat_ready_within_the_defer_margin_waits_for_its_own_moment() {
        let mut p = Pacer::new(PaceRules::new(1000.0, ms(100), 600));
        let t0 = Instant::now();
        assert_eq!(p.schedule(ChatId(1), false, t0), Slot::At(t0));
        assert_eq!(p.schedule(ChatId(1), false, t0), Slot::At(t0 + ms(102)));
    }

    #[test]
    fn groups_are_spaced_by_the_per_minute_limit() {
        let mut p = Pacer::new(rules(30.0));
        let t0 = Instant::now();
        assert_eq!(p.schedule(ChatId(-5), true, t0), Slot::At(t0));
        let later = t0 + Duration::from_secs(2);
        assert_eq!(
            p.schedule(ChatId(-5), true, later),
            Slot::Defer(t0 + Duration::from_millis(3060))
        );
    }

    #[test]
    fn a_429_holds_every_later_slot_and_changes_the_epoch() {
        let mut p = Pacer::new(rules(30.0));
        let t0 = Instant::now();
        p.schedule(ChatId(1), false, t0);
        let epoch = p.epoch();
        p.hold(t0 + Duration::from_secs(5));
        assert_ne!(p.epoch(), epoch);
        assert_eq!(
            p.schedule(ChatId(2), false, t0),
            Slot::At(t0 + Duration::from_secs(5))
        );
    }

    #[test]
    fn after_an_idle_spell_the_next_message_goes_at_once() {
        let mut p = Pacer::new(rules(30.0));
        let t0 = Instant::now();
        p.schedule(ChatId(1), false, t0);
        let later = t0 + Duration::from_secs(10);
        assert_eq!(p.schedule(ChatId(2), false, later), Slot::At(later));
        assert_eq!(p.take_global(later), later + rules(30.0).global);
    }

    #[test]
    fn slots_in_a_window_are_counted_from_the_global_interval() {
        assert_eq!(rules(30.0).slots_in(ms(100)), 2);
        assert_eq!(rules(1000.0).slots_in(ms(100)), 98);
        assert_eq!(rules(1.0).slots_in(ms(100)), 1);
    }

    #[test]
    fn a_stalled_burst_is_held_to_the_rate_of_any_one_second_window() {
        let start = Instant::now();
        let mut pacer = Pacer::new(PaceRules::new(30.0, Duration::from_secs(1), 20));
        // Forty senders wake at the same instant after a stall.
        let verdicts: Vec<_> = (0..40).map(|_| pacer.depart(start)).collect();
        assert_eq!(verdicts.iter().filter(|v| v.is_ok()).count(), 30);
        let retry = verdicts.iter().find_map(|v| v.err()).unwrap();
        assert!(
            retry >= start + Duration::from_secs(1),
            "the rest wait for the window to slide"
        );
        assert!(pacer.depart(retry).is_ok());
    }
}
