//! The clock a test's bot and simulator share: Telegram's real flood limits, or the
//! same limits with every window divided by [`FACTOR`], told to both sides.
//!
//! Paused tokio time cannot drive these end-to-end tests (real sockets, and
//! sqlx-sqlite's own thread, whose queries auto-advanced timeouts would cut short),
//! so "driving time" means the test decides the limits: the simulator enforces them
//! ([`telegram_sim::Limits`]) and the bot paces by them (`BROADCAST_RATE`,
//! `BROADCAST_PER_CHAT_INTERVAL`, `BROADCAST_GROUP_PER_MINUTE`), so a mistake in the
//! pace still shows as a 429 at the simulator, only ten times sooner.
//!
//! Every `TestApp` gets [`Clock::Scaled`] unless its test is about Telegram's real
//! limits (the pace, the ETA in seconds, texts that print seconds): those ask for
//! [`Clock::Telegram`].

use std::collections::HashMap;
use std::time::Duration;
use telegram_sim::{ChatId, Limits, Rate, TelegramSim};

/// Windows are this many times shorter on the scaled clock.
///
/// Measured on the SQLite tests (116), two cores also running two `yes`: factor 5
/// summed 143 s of test time, 10 summed 133 s, 20 summed 132 s, all passing. The
/// rest of the time is not the limits' (start-up, rates the tests set themselves,
/// a 429's whole second), so beyond 10 the gain is nil while the per-chat window
/// (100 ms at 10) nears the jitter of a loaded machine.
pub const FACTOR: u32 = 10;

/// The absolute lateness the bot's per-chat spacing tolerates on either clock.
///
/// The pace's `HEADROOM` (2%) is 20 ms of a one-second window but only 2 ms of a
/// 100 ms one, and a send woken 2 ms late by a busy machine would then land inside
/// the window of the message before it: a 429 that says nothing about the pace. So
/// on the scaled clock the bot is told the per-chat window plus these 20 ms, the
/// tolerance it has at Telegram's real limits (the one place where bot and server
/// do not hold the very same number; the bot is the stricter). The group and global limits need no
/// such margin: their windows stay long (6 s, and the pacer's own one-second burst
/// window).
pub const JITTER: Duration = Duration::from_millis(20);

/// Which limits the simulator enforces and the bot paces by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Telegram's published limits: 30 messages a second, one a second per chat,
    /// 20 a minute per group. For tests whose subject they are.
    Telegram,
    /// The same limits with every window divided by the factor: one message per
    /// 100 ms into a chat, 20 per 6 s into a group, and 300 a second overall (the
    /// global rate keeps its one-second window, the one the pacer's burst guard
    /// counts, so bot and server count the same window).
    ///
    /// A 429 still costs whole seconds: Telegram's `retry_after` is an integer
    /// and teloxide reads no fractions, so the simulator keeps answering at least
    /// `retry_after: 1` (honest in Telegram's unit) even for a 100 ms window, and
    /// the bot waits a real second. The pace never provokes one; replies are not
    /// paced by the bot, though (they wait out a 429), and a command answered in a
    /// few milliseconds (measured: 7 ms) lands inside the window of the previous
    /// reply. So tests send commands once the chat's window has passed
    /// ([`Clock::chat_window_passed`], `TestApp::send_text`), as a person reading
    /// the reply would; a reply in several parts still waits a real second per
    /// part, as it does in production.
    Scaled(u32),
}

impl Clock {
    /// The clock every test gets unless it asks for Telegram's.
    pub const fn fast() -> Clock {
        Clock::Scaled(FACTOR)
    }
    fn factor(self) -> u32 {
        match self {
            Clock::Telegram => 1,
            Clock::Scaled(factor) => factor.max(1),
        }
    }

    /// The simulator's window for one chat: the least time between two messages
    /// into it, which the bot's pace must keep (tests assert it).
    pub fn per_chat(self) -> Duration {
        Duration::from_secs(1) / self.factor()
    }

    /// Waits until the last message in `chat` is one per-chat window old, so what
    /// the bot sends there next fits the limit; see `TestApp::send_text`.
    pub async fn chat_window_passed(self, sim: &TelegramSim, chat: ChatId) {
        if let Some(last) = sim.messages(chat).last() {
            tokio::time::sleep_until((last.at + self.per_chat()).into()).await;
        }
    }

    /// The limits the simulator enforces on this clock.
    pub fn limits(self) -> Limits {
        let real = Limits::default();
        let f = self.factor();
        Limits {
            global: Rate::new(real.global.max * f, real.global.per),
            per_chat: Rate::new(real.per_chat.max, real.per_chat.per / f),
            per_group: Rate::new(real.per_group.max, real.per_group.per / f),
            ..real
        }
    }

    /// Tells the simulator its limits and writes the bot's pace for the same ones
    /// into `env`; a test's own settings, applied after, still win.
    pub fn apply(self, env: &mut HashMap<String, String>, sim: &TelegramSim) {
        sim.set_limits(self.limits());
        if self == Clock::Telegram {
            return;
        }
        let f = self.factor();
        let per_chat = self.per_chat() + JITTER;
        for (k, v) in [
            ("BROADCAST_RATE", (30 * f).to_string()),
            (
                "BROADCAST_PER_CHAT_INTERVAL",
                format!("{}ms", per_chat.as_millis()),
            ),
            ("BROADCAST_GROUP_PER_MINUTE", (20 * f).to_string()),
        ] {
            env.insert(k.to_owned(), v);
        }
    }
}
