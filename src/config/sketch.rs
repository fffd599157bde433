//! Settings of the sketch store and of HTTP ingest.

use super::{ConfigError, Env};
use crate::sketch::Metrics;
use crate::sketch::settings::{RedisServers, SketchBackend};
use std::fmt;
use std::time::Duration;

/// The sketch store and the metrics it counts.
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
            "redis" => {
                let servers = redis_servers(env)?;
                let prefix = redis_prefix(env)?;
                if matches!(servers, RedisServers::Cluster { .. }) && prefix.contains(['{', '}']) {
                    // A brace would move the hash tag and scatter a metric's days.
                    return Err(ConfigError::new(
                        "REDIS_PREFIX",
                        "cannot hold { or } with REDIS_CLUSTER_NODES (the bot adds the hash tag)",
                    ));
                }
                SketchBackend::Redis { servers, prefix }
            }
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

/// `REDIS_CLUSTER_NODES` when set (then `REDIS_URL` is not read), else `REDIS_URL`.
fn redis_servers(env: &dyn Env) -> Result<RedisServers, ConfigError> {
    match env.get("REDIS_CLUSTER_NODES") {
        Some(raw) => Ok(RedisServers::Cluster {
            nodes: redis_cluster_nodes(&raw)?,
            url_ignored: env.get("REDIS_URL").is_some(),
        }),
        None => Ok(RedisServers::Single {
            url: redis_url(env)?,
        }),
    }
}

/// Comma-separated `redis://host:port` URLs. A bad one is named by its position,
/// never quoted: it may hold a password.
fn redis_cluster_nodes(raw: &str) -> Result<Vec<String>, ConfigError> {
    let var = "REDIS_CLUSTER_NODES";
    let nodes: Vec<String> = raw.split(',').map(|n| n.trim().to_owned()).collect();
    let total = nodes.len();
    for (i, node) in nodes.iter().enumerate() {
        let tcp = node.starts_with("redis://") || node.starts_with("rediss://");
        if !tcp || redis::Client::open(node.as_str()).is_err() {
            let what = if node.is_empty() {
                "is empty"
            } else {
                "is not a Redis URL"
            };
            return Err(ConfigError::new(
                var,
                format!(
                    "node {} of {total} {what}; expected comma-separated URLs like \
                     redis://10.0.0.1:6379,redis://10.0.0.2:6379",
                    i + 1
                ),
            ));
        }
    }
    redis::cluster::ClusterClient::new(nodes.clone()).map_err(|_| {
        ConfigError::new(
            var,
            "the nodes must all carry the same user name and password (or none)",
        )
    })?;
    Ok(nodes)
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
        super::secret_matches(self.0.as_bytes(), presented)
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
    use crate::config::env::pairs as env;

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
                servers: RedisServers::Single {
                    url: "redis://127.0.0.1:6379".into()
                },
                prefix: "milestone".into()
            }
        );
    }

    #[test]
    fn cluster_nodes_win_over_the_redis_url_and_say_it_is_ignored() {
        let nodes = "redis://10.0.0.1:7000, redis://10.0.0.2:7000,redis://10.0.0.3:7000";
        let with_url = SketchConfig::from_env(&env(&[
            ("SKETCH_BACKEND", "redis"),
            ("REDIS_CLUSTER_NODES", nodes),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("REDIS_PREFIX", "app"),
        ]))
        .unwrap();
        let expected = vec![
            "redis://10.0.0.1:7000".to_owned(),
            "redis://10.0.0.2:7000".to_owned(),
            "redis://10.0.0.3:7000".to_owned(),
        ];
        assert_eq!(
            with_url.backend,
            SketchBackend::Redis {
                servers: RedisServers::Cluster {
                    nodes: expected.clone(),
                    url_ignored: true
                },
                prefix: "app".into()
            }
        );
        let without_url = SketchConfig::from_env(&env(&[
            ("SKETCH_BACKEND", "redis"),
            ("REDIS_CLUSTER_NODES", "redis://10.0.0.1:7000"),
            ("REDIS_URL", "not even a url"),
        ]));
        // An ignored REDIS_URL is not checked either.
        assert!(without_url.is_ok(), "{without_url:?}");
    }

    #[test]
    fn a_malformed_cluster_node_is_named_by_position_without_its_password() {
        let cases = [
            (
                "redis://:hunter2@10.0.0.1:7000,http://:hunter2@10.0.0.2:7000",
                "node 2 of 2",
            ),
            (
                "redis://:hunter2@10.0.0.1:7000,,redis://10.0.0.3:7000",
                "node 2 of 3 is empty",
            ),
            ("10.0.0.1:7000", "node 1 of 1 is not a Redis URL"),
            ("unix:///tmp/hunter2.sock", "node 1 of 1"),
            (
                "redis://:hunter2@10.0.0.1:7000,redis://:other@10.0.0.2:7000",
                "same user name and password",
            ),
        ];
        for (raw, says) in cases {
            let err = SketchConfig::from_env(&env(&[
                ("SKETCH_BACKEND", "redis"),
                ("REDIS_CLUSTER_NODES", raw),
            ]))
            .unwrap_err();
            let text = err.to_string();
            assert_eq!(err.var, "REDIS_CLUSTER_NODES", "{raw}: {text}");
            assert!(text.contains(says), "{raw}: {text}");
            assert!(!text.contains("hunter2"), "{raw}: {text}");
        }
    }

    #[test]
    fn a_cluster_prefix_cannot_move_the_hash_tag() {
        let err = SketchConfig::from_env(&env(&[
            ("SKETCH_BACKEND", "redis"),
            ("REDIS_CLUSTER_NODES", "redis://10.0.0.1:7000"),
            ("REDIS_PREFIX", "}app"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "REDIS_PREFIX", "{err}");
        // A single server has no slots: its keys may hold braces as before.
        let single = SketchConfig::from_env(&env(&[
            ("SKETCH_BACKEND", "redis"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("REDIS_PREFIX", "{app}"),
        ]));
        assert!(single.is_ok(), "{single:?}");
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
