//! Settings of the sketch store and of HTTP ingest.

use super::{ConfigError, Env};
use crate::sketch::Metrics;
use std::fmt;
use std::time::Duration;

/// Where sketches live.
#[derive(Debug, Clone, PartialEq)]
pub enum SketchBackend {
    /// In the bot's SQL database (`DATABASE_URL`), cached in memory.
    Embedded,
    /// In Redis, as `PREFIX:METRIC:YYYY-MM-DD` keys.
    Redis {
        /// `REDIS_URL`, e.g. `redis://127.0.0.1:6379`; may hold a password, so it is
        /// never quoted in errors.
        url: String,
        /// `REDIS_PREFIX`, the first part of every key (default `milestone`).
        prefix: String,
    },
}

#[derive(Debug, Clone)]
pub struct SketchConfig {
    /// `SKETCH_BACKEND`: `embedded` (default) or `redis`.
    pub backend: SketchBackend,
    /// `SKETCH_FLUSH_INTERVAL`: how often the embedded store writes changed days to
    /// the database (default 1s); a crash loses at most this much.
    pub flush_interval: Duration,
    /// `METRICS`: comma-separated `name:days[:label]`, default `dau,wau,mau`
    /// (windows 1, 7 and 30 days).
    pub metrics: Metrics,
}

impl SketchConfig {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let backend = match env.string_or("SKETCH_BACKEND", "embedded").trim() {
            "embedded" => SketchBackend::Embedded,
            "redis" => SketchBackend::Redis {
                url: redis_url(env)?,
                prefix: redis_prefix(env)?,
            },
            other => {
                return Err(ConfigError::new(
                    "SKETCH_BACKEND",
                    format!("{other:?} is not embedded or redis"),
                ));
            }
        };
        let flush_interval = env.duration_or("SKETCH_FLUSH_INTERVAL", Duration::from_secs(1))?;
        if flush_interval.is_zero() {
            return Err(ConfigError::new(
                "SKETCH_FLUSH_INTERVAL",
                "must be above zero",
            ));
        }
        let metrics = match env.get("METRICS") {
            None => Metrics::default(),
            Some(raw) => Metrics::parse(&raw).map_err(|e| ConfigError::new("METRICS", e))?,
        };
        Ok(Self {
            backend,
            flush_interval,
            metrics,
        })
    }
}

fn redis_url(env: &dyn Env) -> Result<String, ConfigError> {
    let url = env.get("REDIS_URL").ok_or_else(|| {
        ConfigError::new("REDIS_URL", "is not set (SKETCH_BACKEND=redis needs it)")
    })?;
    redis::Client::open(url.trim()).map_err(|_| {
        ConfigError::new(
            "REDIS_URL",
            "is not a Redis URL like redis://127.0.0.1:6379",
        )
    })?;
    Ok(url.trim().to_owned())
}

fn redis_prefix(env: &dyn Env) -> Result<String, ConfigError> {
    let prefix = env.string_or("REDIS_PREFIX", "milestone").trim().to_owned();
    if prefix
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(ConfigError::new(
            "REDIS_PREFIX",
            "cannot hold spaces or control characters",
        ));
    }
    Ok(prefix)
}

/// The secret a client presents to `POST /v1/events`. Never shown: `Debug` hides it.
#[derive(Clone)]
pub struct IngestToken(String);

impl IngestToken {
    pub const MIN_LEN: usize = 16;

    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.len() < Self::MIN_LEN {
            return Err(format!(
                "must be at least {} characters (try: openssl rand -hex 32)",
                Self::MIN_LEN
            ));
        }
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be printable ASCII without spaces".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// For registering with the log redactor only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in time that depends only on the lengths, not on where the first
    /// difference is, so the token cannot be guessed byte by byte.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let expected = self.0.as_bytes();
        let mut diff = expected.len() ^ presented.len();
        for (i, b) in presented.iter().enumerate() {
            diff |= usize::from(b ^ expected[i % expected.len()]);
        }
        diff == 0
    }
}

impl fmt::Debug for IngestToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IngestToken(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// `INGEST_TOKEN`: the bearer token of `POST /v1/events`; unset turns the
    /// endpoint off (404).
    pub token: Option<IngestToken>,
    /// `INGEST_MAX_BODY`: the largest request body in bytes, or with a `KiB`/`MiB`
    /// suffix (default 8MiB).
    pub max_body: usize,
    /// `INGEST_MAX_IDS`: the most ids one request may carry (default 100000).
    pub max_ids: usize,
}

impl IngestConfig {
    pub const DEFAULT_MAX_BODY: usize = 8 << 20;
    pub const DEFAULT_MAX_IDS: usize = 100_000;

    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        // The token's own value is never quoted, even when it is refused.
        let token = env
            .get("INGEST_TOKEN")
            .map(|raw| IngestToken::parse(&raw).map_err(|e| ConfigError::new("INGEST_TOKEN", e)))
            .transpose()?;
        let max_body = match env.get("INGEST_MAX_BODY") {
            None => Self::DEFAULT_MAX_BODY,
            Some(raw) => parse_size(&raw).ok_or_else(|| {
                ConfigError::new(
                    "INGEST_MAX_BODY",
                    format!("{raw:?} is not a size like 8MiB, 512KiB or 1048576"),
                )
            })?,
        };
        let max_ids: usize = env.parse_or("INGEST_MAX_IDS", Self::DEFAULT_MAX_IDS)?;
        if max_ids == 0 {
            return Err(ConfigError::new("INGEST_MAX_IDS", "must be above zero"));
        }
        Ok(Self {
            token,
            max_body,
            max_ids,
        })
    }
}

/// `1048576`, `512KiB`, `8MiB` (also `KB`/`MB`/`k`/`m`, read as powers of 1024).
fn parse_size(raw: &str) -> Option<usize> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: usize = digits.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        _ => return None,
    };
    n.checked_mul(1 << shift).filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_embedded_one_second_and_ingest_off() {
        let sketch = SketchConfig::from_env(&env(&[])).unwrap();
        assert_eq!(sketch.backend, SketchBackend::Embedded);
        assert_eq!(sketch.flush_interval, Duration::from_secs(1));
        assert_eq!(sketch.metrics.names(), "dau, wau, mau");
        let ingest = IngestConfig::from_env(&env(&[])).unwrap();
        assert!(ingest.token.is_none());
        assert_eq!((ingest.max_body, ingest.max_ids), (8 << 20, 100_000));
    }

    #[test]
    fn the_redis_backend_takes_url_and_prefix() {
        let sketch = SketchConfig::from_env(&env(&[
            ("SKETCH_BACKEND", "redis"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
        ]))
        .unwrap();
        assert_eq!(
            sketch.backend,
            SketchBackend::Redis {
                url: "redis://127.0.0.1:6379".into(),
                prefix: "milestone".into()
            }
        );
    }

    #[test]
    fn sizes_take_plain_bytes_or_binary_suffixes() {
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("512KiB"), Some(512 << 10));
        assert_eq!(parse_size("8 MiB"), Some(8 << 20));
        for bad in ["", "0", "MiB", "8GiB", "-1", "1.5MiB"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn each_bad_variable_is_named_in_the_error() {
        let sketch_cases: &[(&[(&str, &str)], &str)] = &[
            (&[("SKETCH_BACKEND", "memcached")], "SKETCH_BACKEND"),
            (&[("SKETCH_BACKEND", "redis")], "REDIS_URL"),
            (
                &[("SKETCH_BACKEND", "redis"), ("REDIS_URL", "http://x")],
                "REDIS_URL",
            ),
            (
                &[
                    ("SKETCH_BACKEND", "redis"),
                    ("REDIS_URL", "redis://h"),
                    ("REDIS_PREFIX", "a b"),
                ],
                "REDIS_PREFIX",
            ),
            (
                &[("SKETCH_FLUSH_INTERVAL", "soon")],
                "SKETCH_FLUSH_INTERVAL",
            ),
            (&[("SKETCH_FLUSH_INTERVAL", "0s")], "SKETCH_FLUSH_INTERVAL"),
            (&[("METRICS", "mau:0")], "METRICS"),
        ];
        for (pairs, var) in sketch_cases {
            let err = SketchConfig::from_env(&env(pairs)).unwrap_err();
            assert_eq!(err.var, *var, "{pairs:?} gave {err}");
        }
        let ingest_cases: &[(&[(&str, &str)], &str)] = &[
            (&[("INGEST_TOKEN", "short")], "INGEST_TOKEN"),
            (&[("INGEST_MAX_BODY", "huge")], "INGEST_MAX_BODY"),
            (&[("INGEST_MAX_IDS", "0")], "INGEST_MAX_IDS"),
            (&[("INGEST_MAX_IDS", "many")], "INGEST_MAX_IDS"),
        ];
        for (pairs, var) in ingest_cases {
            let err = IngestConfig::from_env(&env(pairs)).unwrap_err();
            assert_eq!(err.var, *var, "{pairs:?} gave {err}");
        }
    }

    #[test]
    fn the_ingest_token_is_never_shown_and_compares_exactly() {
        let token = IngestToken::parse("0123456789abcdef-secret").unwrap();
        assert!(!format!("{token:?}").contains("secret"));
        assert!(token.matches(b"0123456789abcdef-secret"));
        for wrong in [
            &b""[..],
            b"0123456789abcdef-secreT",
            b"0123456789abcdef-secret0",
        ] {
            assert!(!token.matches(wrong));
        }
        let err = IngestConfig::from_env(&env(&[("INGEST_TOKEN", "hunter2")])).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
