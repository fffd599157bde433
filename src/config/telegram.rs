//! Settings for talking to the Bot API.

use super::{ConfigError, Env};
use std::fmt;
use std::time::Duration;
use url::Url;

/// The bot token. Its `Debug` and `Display` never show the secret part, so it can sit
/// in structs that get logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Checks the shape Telegram issues (`<bot id>:<secret>`), so a typo is caught at
    /// start rather than as a 401 loop.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (id, secret) = raw
            .split_once(':')
            .ok_or("is not a bot token (expected <bot id>:<secret> from @BotFather)")?;
        let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit());
        let secret_ok = !secret.is_empty()
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok || !secret_ok {
            return Err("is not a bot token (expected <bot id>:<secret> from @BotFather)".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for the HTTP client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The bot's numeric id, the part before the colon; safe to log.
    pub fn bot_id(&self) -> &str {
        self.0.split(':').next().unwrap_or_default()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({}:<redacted>)", self.bot_id())
    }
}

/// Telegram's own Bot API server.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org/";

#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// `TELOXIDE_TOKEN`: the bot token from @BotFather (required for `run`).
    pub token: Token,
    /// `TELEGRAM_API_URL`: another Bot API server (a local `telegram-bot-api`, or the
    /// simulator).
    pub api_url: Url,
    /// `ADMIN_IDS`: Telegram user ids allowed to use `/milestone` commands.
    pub admin_ids: Vec<i64>,
    /// `POLL_TIMEOUT`: how long one `getUpdates` long poll waits; also bounds how long
    /// a shutdown waits for the poll in flight.
    pub poll_timeout: Duration,
    /// `CONFIRM_TTL`: how long an admin's Send button stays valid.
    pub confirm_ttl: Duration,
}

impl TelegramConfig {
    pub fn from_env(env: &dyn Env) -> Result<Self, ConfigError> {
        let token = Token::parse(&env.required("TELOXIDE_TOKEN")?)
            .map_err(|problem| ConfigError::new("TELOXIDE_TOKEN", problem))?;
        let raw_url = env.string_or("TELEGRAM_API_URL", DEFAULT_API_URL);
        let api_url = Url::parse(&raw_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                ConfigError::new(
                    "TELEGRAM_API_URL",
                    format!("{raw_url:?} is not an http(s) URL"),
                )
            })?;
        let poll_timeout = env.duration_or("POLL_TIMEOUT", Duration::from_secs(10))?;
        if poll_timeout > Duration::from_secs(50) {
            return Err(ConfigError::new("POLL_TIMEOUT", "must be at most 50s"));
        }
        let confirm_ttl = env.duration_or("CONFIRM_TTL", Duration::from_secs(600))?;
        Ok(Self {
            token,
            api_url,
            admin_ids: env.list("ADMIN_IDS")?,
            poll_timeout,
            confirm_ttl,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_accepted_only_in_botfathers_shape() {
        for good in ["123:abc", "123456789:AAH-x_y"] {
            assert!(Token::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "abc", ":abc", "123:", "12a:abc", "123:a b"] {
            assert!(Token::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let token = Token::parse("42:supersecret").unwrap();
        let shown = format!("{token:?}");
        assert!(!shown.contains("supersecret"));
        assert!(shown.contains("42"));
    }
}
