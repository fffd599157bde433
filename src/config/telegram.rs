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
    pub admin_ids: Vec<crate::vocab::UserId>,
    /// `POLL_TIMEOUT`: how long one `getUpdates` long poll waits; also bounds how long
    /// a shutdown waits for the poll in flight.
    pub poll_timeout: Duration,
    /// `CONFIRM_TTL`: how long an admin's Send button stays valid.
    pub confirm_ttl: Duration,
    /// `WEBHOOK_URL` and `WEBHOOK_SECRET`: take updates by webhook instead of long
    /// polling. `None` polls.
    pub webhook: Option<WebhookConfig>,
}

/// Where Telegram posts updates, and the secret it must present.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `WEBHOOK_URL`: the public HTTPS URL registered with `setWebhook`; the bot
    /// serves its path on `HTTP_ADDR` (a proxy in front maps one to the other).
    pub url: Url,
    /// `WEBHOOK_SECRET`: Telegram sends it in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret: WebhookSecret,
}

impl WebhookConfig {
    /// The path the bot serves updates on: the URL's own path.
    pub fn path(&self) -> &str {
        self.url.path()
    }
}

/// The webhook's shared secret: 1–256 of `A-Za-z0-9_-`, as Telegram allows.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = (1..=256).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err("must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -".into());
        }
        Ok(Self(raw.to_owned()))
    }

    /// For `setWebhook` and the log redactor only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in time that depends only on the lengths, not on where the first
    /// difference is, so the secret cannot be guessed byte by byte.
    pub fn matches(&self, presented: &[u8]) -> bool {
        super::secret_matches(self.0.as_bytes(), presented)
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

fn webhook_from_env(env: &dyn Env) -> Result<Option<WebhookConfig>, ConfigError> {
    let Some(raw_url) = env.get("WEBHOOK_URL").filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let url = Url::parse(raw_url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            ConfigError::new(
                "WEBHOOK_URL",
                format!("{raw_url:?} is not an http(s) URL like https://bot.example.com/telegram"),
            )
        })?;
    // The secret's own value is never quoted, even when it is refused.
    let secret = env
        .get("WEBHOOK_SECRET")
        .ok_or_else(|| {
            ConfigError::new(
                "WEBHOOK_SECRET",
                "is required with WEBHOOK_URL (1 to 256 of A-Z, a-z, 0-9, _ and -)",
            )
        })
        .and_then(|raw| {
            WebhookSecret::parse(raw.trim()).map_err(|e| ConfigError::new("WEBHOOK_SECRET", e))
        })?;
    Ok(Some(WebhookConfig { url, secret }))
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
            webhook: webhook_from_env(env)?,
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
    fn a_webhook_needs_a_url_and_a_secret_telegram_accepts() {
        let env = |pairs: &[(&str, &str)]| -> std::collections::HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(webhook_from_env(&env(&[])).unwrap().is_none());
        let ok = webhook_from_env(&env(&[
            ("WEBHOOK_URL", "https://bot.example.com/tg/hook"),
            ("WEBHOOK_SECRET", "s3cr3t_-X"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(ok.path(), "/tg/hook");
        assert!(ok.secret.matches(b"s3cr3t_-X"));
        assert!(!ok.secret.matches(b"s3cr3t_-Y"));
        let long = "a".repeat(257);
        let bad: &[&[(&str, &str)]] = &[
            &[("WEBHOOK_URL", "https://bot.example.com/h")],
            &[
                ("WEBHOOK_URL", "https://bot.example.com/h"),
                ("WEBHOOK_SECRET", ""),
            ],
            &[
                ("WEBHOOK_URL", "https://bot.example.com/h"),
                ("WEBHOOK_SECRET", "has space"),
            ],
            &[
                ("WEBHOOK_URL", "https://bot.example.com/h"),
                ("WEBHOOK_SECRET", "a+b"),
            ],
            &[
                ("WEBHOOK_URL", "https://bot.example.com/h"),
                ("WEBHOOK_SECRET", &long),
            ],
            &[("WEBHOOK_URL", "not a url"), ("WEBHOOK_SECRET", "abc")],
            &[
                ("WEBHOOK_URL", "ftp://bot.example.com/h"),
                ("WEBHOOK_SECRET", "abc"),
            ],
        ];
        for pairs in bad {
            let err = webhook_from_env(&env(pairs)).unwrap_err();
            assert!(err.var.starts_with("WEBHOOK_"), "{pairs:?} gave {err}");
            assert!(
                !err.to_string().contains("has space"),
                "the secret is never quoted"
            );
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
