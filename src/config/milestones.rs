//! Milestone settings from the environment: the default rules, the detector's
//! confidence and hold, the watch interval and how announcements are released.
//! The struct itself is the watcher's own ([`MilestonesConfig`]); this file only
//! reads it from the variables.

use super::{ConfigError, Env, FromEnv};
use crate::milestones::detector::DetectorConfig;
use crate::milestones::settings::{
    DEFAULT_RULES, MilestonesConfig, ReleaseMode, ReleaseSettings, parse_rules,
};
use std::time::Duration;

impl FromEnv for MilestonesConfig {
    fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let watch_interval = env.duration_or("WATCH_INTERVAL", Duration::from_secs(300))?;
        if watch_interval.is_zero() {
            return Err(ConfigError::new("WATCH_INTERVAL", "must be longer than 0s"));
        }
        let k: f64 = env.parse_or("CONFIDENCE_K", 2.0)?;
        let hold = env.duration_or("MILESTONE_HOLD", Duration::ZERO)?;
        let hold = chrono::Duration::from_std(hold)
            .map_err(|_| ConfigError::new("MILESTONE_HOLD", "is too long"))?;
        let detector = DetectorConfig::new(k, hold)
            .map_err(|e| ConfigError::new("CONFIDENCE_K", e.to_string()))?;
        let default_rules = parse_rules(&env.string_or("MILESTONE_RULES", DEFAULT_RULES))
            .map_err(|problem| ConfigError::new("MILESTONE_RULES", problem))?;
        let optional = |var: &'static str| -> Result<Option<Duration>, ConfigError> {
            let d = env.duration_or(var, Duration::ZERO)?;
            Ok((!d.is_zero()).then_some(d))
        };
        let release = ReleaseSettings {
            mode: env
                .get("RELEASE_MODE")
                .map(|raw| raw.parse::<ReleaseMode>())
                .transpose()
                .map_err(|problem| ConfigError::new("RELEASE_MODE", problem))?
                .unwrap_or_default(),
            approve_timeout: optional("MILESTONE_APPROVE_TIMEOUT")?,
            min_gap: optional("MILESTONE_MIN_GAP")?,
        };
        Ok(Self {
            watch_interval,
            detector,
            default_rules,
            release,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::pairs as env;

    #[test]
    fn defaults_watch_every_five_minutes_with_two_standard_errors_and_round_numbers() {
        let config = MilestonesConfig::from_env(&env(&[])).unwrap();
        assert_eq!(config.watch_interval, Duration::from_secs(300));
        assert_eq!(config.detector, DetectorConfig::default());
        assert_eq!(config.default_rules.len(), 3);
        assert_eq!(config.release, ReleaseSettings::default());
    }

    #[test]
    fn every_setting_is_read() {
        let config = MilestonesConfig::from_env(&env(&[
            ("WATCH_INTERVAL", "30s"),
            ("CONFIDENCE_K", "3"),
            ("MILESTONE_HOLD", "10m"),
            (
                "MILESTONE_RULES",
                "mau=200,000,000; mau=every 1B ;dau=round",
            ),
            ("RELEASE_MODE", "approve"),
            ("MILESTONE_APPROVE_TIMEOUT", "2h"),
            ("MILESTONE_MIN_GAP", "1d"),
        ]))
        .unwrap();
        assert_eq!(config.watch_interval, Duration::from_secs(30));
        assert_eq!(config.detector.confidence_k(), 3.0);
        assert_eq!(config.detector.hold(), chrono::Duration::minutes(10));
        let rules: Vec<String> = config
            .default_rules
            .iter()
            .map(|(m, r)| format!("{m}={r}"))
            .collect();
        assert_eq!(rules, ["mau=200M", "mau=every 1B", "dau=round"]);
        assert_eq!(config.release.mode, ReleaseMode::Approve);
        assert_eq!(
            config.release.approve_timeout,
            Some(Duration::from_secs(7200))
        );
        assert_eq!(config.release.min_gap, Some(Duration::from_secs(86400)));
    }

    #[test]
    fn each_bad_variable_is_named_in_the_error() {
        let cases = [
            ("WATCH_INTERVAL", "soon"),
            ("WATCH_INTERVAL", "0s"),
            ("CONFIDENCE_K", "-1"),
            ("CONFIDENCE_K", "many"),
            ("MILESTONE_HOLD", "ages"),
            ("MILESTONE_RULES", "mau"),
            ("MILESTONE_RULES", "MAU=round"),
            ("MILESTONE_RULES", "mau=every 0"),
            ("RELEASE_MODE", "manual"),
            ("MILESTONE_MIN_GAP", "1 fortnight"),
        ];
        for (var, value) in cases {
            let err = MilestonesConfig::from_env(&env(&[(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{var}={value} gave {err}");
        }
    }
}
