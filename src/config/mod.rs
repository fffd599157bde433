//! Typed settings from the environment.
//!
//! Every variable is read through [`Env`], so tests pass a map instead of mutating the
//! process environment, and every problem is reported as one [`ConfigError`] line that
//! names the variable. Each area of the bot has a small file here that reads its
//! settings. Settings are handed down, never read up: where an area's settings
//! struct belongs to the area itself (`milestones::settings::MilestonesConfig`,
//! `sketch::settings::SketchBackend`), this module builds it through [`FromEnv`]
//! and no module below imports `config`.

mod broadcast;
mod card;
mod env;
mod milestones;
mod sketch;
mod telegram;

pub use crate::milestones::settings::{MilestonesConfig, parse_rules};
pub use crate::sketch::settings::{RedisServers, SketchBackend};
pub use broadcast::BroadcastConfig;
pub use card::CardConfig;
pub use env::{Env, ProcessEnv};
pub use sketch::{IngestConfig, IngestToken, SketchConfig};
pub use telegram::{TelegramConfig, Token, WebhookConfig, WebhookSecret};

use std::net::SocketAddr;

/// A setting that is missing or malformed; shown to the operator as one line.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault, as the operator would type it.
    pub var: &'static str,
    /// What is wrong with it, in words an operator can act on.
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &'static str, problem: impl Into<String>) -> Self {
        Self {
            var,
            problem: problem.into(),
        }
    }
}

/// Reads a settings struct that another module owns (so `config` may build it while
/// that module never imports `config`): `MilestonesConfig::from_env(&env)`.
pub trait FromEnv: Sized {
    /// Every variable of the area; the first problem found is the error.
    fn from_env(env: &dyn Env) -> Result<Self, ConfigError>;
}

/// `LOG_FORMAT`: `text` (default) or `json`. Read before anything else, so the
/// first log line already has the chosen shape.
pub fn log_format(env: &dyn Env) -> Result<crate::telemetry::LogFormat, ConfigError> {
    env.parse_or("LOG_FORMAT", crate::telemetry::LogFormat::Text)
}

/// Whether `presented` equals the secret `expected`, in time that depends only on
/// the lengths, not on where the first difference is, so a secret cannot be guessed
/// byte by byte. `expected` is never empty (every secret is parsed non-empty).
fn secret_matches(expected: &[u8], presented: &[u8]) -> bool {
    let mut diff = expected.len() ^ presented.len();
    for (i, b) in presented.iter().enumerate() {
        diff |= usize::from(b ^ expected[i % expected.len()]);
    }
    diff == 0
}

/// Where the bot keeps its state.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://milestone-bot.db?mode=rwc";

/// Settings shared by every subcommand: the database.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: `sqlite://…` (default, file created on first start) or `postgres://…`.
    pub url: String,
}

impl DatabaseConfig {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let url = env.string_or("DATABASE_URL", DEFAULT_DATABASE_URL);
        crate::storage::DatabaseUrl::parse(&url)
            .map_err(|e| ConfigError::new("DATABASE_URL", e.to_string()))?;
        // Whatever a driver's error might quote later, the password is scrubbed.
        if let Some(password) = url::Url::parse(&url)
            .ok()
            .and_then(|u| u.password().map(str::to_owned))
        {
            crate::telemetry::register_secret(&password);
        }
        Ok(Self { url })
    }
}

/// The bot's own HTTP server (health, metrics, ingest).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `HTTP_ADDR`: where the HTTP server listens; port 0 picks a free port.
    pub addr: SocketAddr,
}

impl HttpConfig {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        Ok(Self {
            addr: env.parse_or("HTTP_ADDR", "127.0.0.1:8080".parse().expect("valid"))?,
        })
    }
}

/// Everything `milestone-bot run` needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub telegram: TelegramConfig,
    pub http: HttpConfig,
    pub sketch: SketchConfig,
    pub ingest: IngestConfig,
    pub milestones: MilestonesConfig,
    pub broadcast: BroadcastConfig,
    /// The milestone card (`CARD`, `CARD_THEME`, `CARD_LOGO`).
    pub card: CardConfig,
}

impl Config {
    /// Reads every setting `run` needs; the first problem found stops the start.
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseConfig::from_env(env)?,
            telegram: TelegramConfig::from_env(env)?,
            http: HttpConfig::from_env(env)?,
            sketch: SketchConfig::from_env(env)?,
            ingest: IngestConfig::from_env(env)?,
            milestones: MilestonesConfig::from_env(env)?,
            broadcast: BroadcastConfig::from_env(env)?,
            card: CardConfig::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::env::pairs as env;

    #[test]
    fn defaults_need_only_a_token() {
        let config = Config::from_env(&env(&[("TELOXIDE_TOKEN", "123:abc")])).unwrap();
        assert_eq!(config.database.url, DEFAULT_DATABASE_URL);
        assert_eq!(config.http.addr.port(), 8080);
    }

    #[test]
    fn each_bad_variable_is_named_in_the_error() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "TELOXIDE_TOKEN"),
            (&[("TELOXIDE_TOKEN", "")], "TELOXIDE_TOKEN"),
            (&[("TELOXIDE_TOKEN", "not a token")], "TELOXIDE_TOKEN"),
            (
                &[("TELOXIDE_TOKEN", "1:a"), ("DATABASE_URL", "mysql://x")],
                "DATABASE_URL",
            ),
            (
                &[("TELOXIDE_TOKEN", "1:a"), ("DATABASE_URL", "::nonsense")],
                "DATABASE_URL",
            ),
            (
                &[("TELOXIDE_TOKEN", "1:a"), ("HTTP_ADDR", "localhost")],
                "HTTP_ADDR",
            ),
            (
                &[("TELOXIDE_TOKEN", "1:a"), ("TELEGRAM_API_URL", "not a url")],
                "TELEGRAM_API_URL",
            ),
            (
                &[("TELOXIDE_TOKEN", "1:a"), ("ADMIN_IDS", "12,abc")],
                "ADMIN_IDS",
            ),
            (
                &[("TELOXIDE_TOKEN", "1:a"), ("POLL_TIMEOUT", "ten")],
                "POLL_TIMEOUT",
            ),
        ];
        for (pairs, var) in cases {
            let err = Config::from_env(&env(pairs)).unwrap_err();
            assert_eq!(err.var, *var, "{pairs:?} gave {err}");
            assert!(err.to_string().starts_with(var), "{err}");
        }
    }

    #[test]
    fn the_token_never_appears_in_an_error() {
        let err = Config::from_env(&env(&[("TELOXIDE_TOKEN", "hunter2 x")])).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
