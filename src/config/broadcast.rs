//! Settings for the broadcast worker: Telegram's pace and how hard to retry.

use super::{ConfigError, Env};
use std::time::Duration;

/// How the broadcast worker paces and retries its sends.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastConfig {
    /// `BROADCAST_WORKER`: whether this instance may send (`true`); an instance set to
    /// `false` serves commands only. With several instances a lease still picks one.
    pub enabled: bool,
    /// `BROADCAST_RATE`: messages per second for the whole bot (Telegram's free limit
    /// is 30).
    pub rate: f64,
    /// `BROADCAST_PAID`: send with `allow_paid_broadcast`, which lifts the global pace
    /// to `BROADCAST_PAID_RATE` (Telegram charges Stars for it).
    pub paid: bool,
    /// `BROADCAST_PAID_RATE`: messages per second when `BROADCAST_PAID` is on.
    pub paid_rate: f64,
    /// `BROADCAST_PER_CHAT_INTERVAL`: the least time between two messages into one chat.
    pub per_chat_interval: Duration,
    /// `BROADCAST_GROUP_PER_MINUTE`: messages per minute into one group or supergroup.
    pub group_per_minute: u32,
    /// `BROADCAST_IN_FLIGHT`: requests on the wire at once, so the pace holds despite
    /// latency. Unset: enough for one second of latency at the pace (at least 4).
    pub in_flight: usize,
    /// `BROADCAST_MAX_ATTEMPTS`: tries per message for 5xx and network errors before
    /// the delivery is marked failed.
    pub max_attempts: u32,
    /// `BROADCAST_RETRY_BASE`: the delay before the second retry (the first goes as soon
    /// as its chat allows); each next one doubles, with jitter.
    pub retry_base: Duration,
    /// `BROADCAST_REQUEST_TIMEOUT`: how long one call may wait for Telegram's answer.
    /// A post still unanswered may have been posted: it becomes `unknown`, never
    /// resent by itself (an edit or deletion is simply retried).
    pub request_timeout: Duration,
    /// `BROADCAST_SILENT`: send without a notification unless the announcement says.
    pub silent: bool,
    /// `BROADCAST_PIN`: pin the announcement in each chat unless the announcement says.
    pub pin: bool,
    /// `BROADCAST_PROGRESS_INTERVAL`: the least time between two edits of an admin's
    /// progress message.
    pub progress_interval: Duration,
    /// `BROADCAST_POLL_INTERVAL`: how often an idle worker looks for work queued by
    /// another process (work queued by this one wakes it at once).
    pub poll_interval: Duration,
    /// `BROADCAST_LEASE_TTL`: how long the sender's lease lasts without renewal; a
    /// crashed sender's work is taken over after this.
    pub lease_ttl: Duration,
}

impl BroadcastConfig {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let rate: f64 = env.parse_or("BROADCAST_RATE", 30.0)?;
        let paid_rate: f64 = env.parse_or("BROADCAST_PAID_RATE", 1000.0)?;
        for (var, value) in [("BROADCAST_RATE", rate), ("BROADCAST_PAID_RATE", paid_rate)] {
            if !(value.is_finite() && value > 0.0 && value <= 100_000.0) {
                return Err(ConfigError::new(
                    var,
                    "must be a number of messages per second above 0",
                ));
            }
        }
        let paid = env.parse_or("BROADCAST_PAID", false)?;
        let pace = if paid { paid_rate } else { rate };
        let derived = (pace.ceil() as usize).max(4);
        let in_flight = env.parse_or("BROADCAST_IN_FLIGHT", derived)?;
        if in_flight == 0 {
            return Err(ConfigError::new(
                "BROADCAST_IN_FLIGHT",
                "must be at least 1",
            ));
        }
        let group_per_minute = env.parse_or("BROADCAST_GROUP_PER_MINUTE", 20)?;
        if group_per_minute == 0 {
            return Err(ConfigError::new(
                "BROADCAST_GROUP_PER_MINUTE",
                "must be at least 1",
            ));
        }
        let max_attempts = env.parse_or("BROADCAST_MAX_ATTEMPTS", 5)?;
        if max_attempts == 0 {
            return Err(ConfigError::new(
                "BROADCAST_MAX_ATTEMPTS",
                "must be at least 1",
            ));
        }
        let lease_ttl = env.duration_or("BROADCAST_LEASE_TTL", Duration::from_secs(15))?;
        if lease_ttl < Duration::from_secs(1) {
            return Err(ConfigError::new(
                "BROADCAST_LEASE_TTL",
                "must be at least 1s",
            ));
        }
        Ok(Self {
            enabled: env.parse_or("BROADCAST_WORKER", true)?,
            rate,
            paid,
            paid_rate,
            per_chat_interval: env
                .duration_or("BROADCAST_PER_CHAT_INTERVAL", Duration::from_secs(1))?,
            group_per_minute,
            in_flight,
            max_attempts,
            retry_base: env.duration_or("BROADCAST_RETRY_BASE", Duration::from_secs(2))?,
            request_timeout: env
                .duration_or("BROADCAST_REQUEST_TIMEOUT", Duration::from_secs(30))?,
            silent: env.parse_or("BROADCAST_SILENT", false)?,
            pin: env.parse_or("BROADCAST_PIN", false)?,
            progress_interval: env
                .duration_or("BROADCAST_PROGRESS_INTERVAL", Duration::from_secs(3))?,
            poll_interval: env.duration_or("BROADCAST_POLL_INTERVAL", Duration::from_secs(1))?,
            lease_ttl,
        })
    }

    /// The global pace actually in force: the paid rate when paid broadcasts are on.
    pub fn pace(&self) -> f64 {
        if self.paid { self.paid_rate } else { self.rate }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::pairs as env;

    #[test]
    fn defaults_follow_telegrams_published_limits() {
        let c = BroadcastConfig::from_env(&env(&[])).unwrap();
        assert_eq!(c.pace(), 30.0);
        assert_eq!(c.per_chat_interval, Duration::from_secs(1));
        assert_eq!(c.group_per_minute, 20);
        assert_eq!(c.max_attempts, 5);
        assert_eq!(c.in_flight, 30);
        assert!(c.enabled && !c.paid && !c.silent && !c.pin);
    }

    #[test]
    fn paid_broadcasts_raise_the_pace_and_the_requests_in_flight() {
        let c = BroadcastConfig::from_env(&env(&[("BROADCAST_PAID", "true")])).unwrap();
        assert_eq!(c.pace(), 1000.0);
        assert_eq!(c.in_flight, 1000);
    }

    #[test]
    fn each_bad_variable_is_named() {
        for (var, value) in [
            ("BROADCAST_RATE", "0"),
            ("BROADCAST_RATE", "fast"),
            ("BROADCAST_PAID", "maybe"),
            ("BROADCAST_IN_FLIGHT", "0"),
            ("BROADCAST_MAX_ATTEMPTS", "0"),
            ("BROADCAST_GROUP_PER_MINUTE", "0"),
            ("BROADCAST_PER_CHAT_INTERVAL", "soon"),
            ("BROADCAST_LEASE_TTL", "10ms"),
        ] {
            let err = BroadcastConfig::from_env(&env(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{value}");
        }
    }
}
