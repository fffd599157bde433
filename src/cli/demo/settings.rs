//! The demo bot's settings, given as a map of environment variables so the real
//! [`Config::from_env`](crate::config::Config::from_env) reads them: the demo runs
//! the production wiring, and a `.env` in the working directory cannot change it.

use crate::vocab::UserId;
use std::collections::HashMap;

/// The metric the demo grows: daily active users, one day's sketch.
pub const METRIC: &str = "dau";

/// A milestone fires when `estimate − CONFIDENCE_K × standard error` clears it.
pub const CONFIDENCE_K: f64 = 2.0;

/// How often the watcher reads the metric: short, so the story moves along.
pub const WATCH_INTERVAL: &str = "300ms";

/// The settings for the bot in the simulator at `api_url`, with its database at
/// `database_url` and `admin` as the only admin.
pub fn env(
    token: &str,
    api_url: &str,
    database_url: &str,
    admin: UserId,
) -> HashMap<String, String> {
    let admin = admin.to_string();
    let k = CONFIDENCE_K.to_string();
    [
        ("TELOXIDE_TOKEN", token),
        ("TELEGRAM_API_URL", api_url),
        ("DATABASE_URL", database_url),
        ("HTTP_ADDR", "127.0.0.1:0"),
        ("ADMIN_IDS", &admin),
        // Short polls: a shutdown waits for the poll in flight.
        ("POLL_TIMEOUT", "1s"),
        ("METRICS", METRIC),
        // 1K, 2K, 5K, 10K, 20K, 50K, …
        ("MILESTONE_RULES", "dau=round"),
        ("CONFIDENCE_K", &k),
        ("WATCH_INTERVAL", WATCH_INTERVAL),
        ("SKETCH_FLUSH_INTERVAL", "200ms"),
        // Telegram's real pace (30/s, 1/s per chat); only the idle poll and the
        // progress edits are quicker than in production, to fit a short run.
        ("BROADCAST_POLL_INTERVAL", "100ms"),
        ("BROADCAST_PROGRESS_INTERVAL", "1s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn the_demo_settings_are_a_valid_configuration() {
        let env = env(
            "712345:DEMO0123456789abcdef",
            "http://127.0.0.1:1/",
            "sqlite://demo.db?mode=rwc",
            UserId(100_000_001),
        );

        let config = Config::from_env(&env).expect("valid");

        assert_eq!(config.telegram.admin_ids, vec![UserId(100_000_001)]);
        assert!(config.sketch.metrics.get(METRIC).is_some());
    }
}
