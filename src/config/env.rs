//! Reading variables: four small helpers in the spirit of crates.io's env_vars.

use super::ConfigError;
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// A source of configuration variables: the process environment in production, a map
/// in tests.
pub trait Env {
    /// The raw value, `None` when unset. Empty values count as unset.
    fn get(&self, var: &str) -> Option<String>;
}

/// The real process environment (after dotenvy has loaded `.env`).
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, var: &str) -> Option<String> {
        std::env::var(var).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Env for HashMap<String, String> {
    fn get(&self, var: &str) -> Option<String> {
        HashMap::get(self, var)
            .cloned()
            .filter(|v| !v.trim().is_empty())
    }
}

impl dyn Env + '_ {
    /// A required variable.
    pub fn required(&self, var: &'static str) -> Result<String, ConfigError> {
        self.get(var)
            .ok_or_else(|| ConfigError::new(var, "is not set"))
    }

    /// A string with a default.
    pub fn string_or(&self, var: &'static str, default: &str) -> String {
        self.get(var).unwrap_or_else(|| default.to_owned())
    }

    /// A parsed value with a default; the error quotes the value (never use this for
    /// secrets).
    pub fn parse_or<T>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e| ConfigError::new(var, format!("{raw:?} is not valid: {e}"))),
        }
    }

    /// A duration in humantime form (`30s`, `5m`, `1h 30m`) with a default.
    pub fn duration_or(
        &self,
        var: &'static str,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => humantime::parse_duration(raw.trim()).map_err(|e| {
                ConfigError::new(
                    var,
                    format!("{raw:?} is not a duration like 30s or 5m: {e}"),
                )
            }),
        }
    }

    /// A comma-separated list of parsed values, empty when unset.
    pub fn list<T>(&self, var: &'static str) -> Result<Vec<T>, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        let Some(raw) = self.get(var) else {
            return Ok(Vec::new());
        };
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|item| {
                item.parse()
                    .map_err(|e| ConfigError::new(var, format!("{item:?} is not valid: {e}")))
            })
            .collect()
    }
}

/// An environment of the given pairs, as the tests of each settings area build it.
#[cfg(test)]
pub(crate) fn pairs(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
