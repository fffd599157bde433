//! Understanding `DATABASE_URL` before anything connects.

use std::fmt;

/// Which database is behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// A database URL whose scheme the bot supports.
#[derive(Debug, Clone)]
pub struct DatabaseUrl {
    pub backend: Backend,
    pub url: String,
}

/// Why a database URL was refused; never echoes a password.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("expected sqlite://PATH or postgres://USER@HOST/DB, got {0:?}")]
    Scheme(String),
    #[error("not a valid URL: {0}")]
    Malformed(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let raw = raw.trim();
        let scheme = raw.split_once(':').map(|(s, _)| s).unwrap_or("");
        let backend = match scheme {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" => Backend::Postgres,
            _ => {
                let shown: String = raw.chars().take_while(|c| *c != '@').take(40).collect();
                return Err(UrlError::Scheme(shown));
            }
        };
        if backend == Backend::Postgres {
            url::Url::parse(raw).map_err(|e| UrlError::Malformed(e.to_string()))?;
        } else if raw.len() <= "sqlite://".len() {
            return Err(UrlError::Malformed("the sqlite URL names no file".into()));
        }
        Ok(Self {
            backend,
            url: raw.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_urls_are_recognised() {
        let cases = [
            ("sqlite://milestone-bot.db?mode=rwc", Backend::Sqlite),
            ("sqlite::memory:", Backend::Sqlite),
            ("postgres://postgres@127.0.0.1:5432/bot", Backend::Postgres),
            ("postgresql://u:p@h/db", Backend::Postgres),
        ];
        for (url, backend) in cases {
            let parsed = DatabaseUrl::parse(url);
            assert_eq!(parsed.map(|p| p.backend).ok(), Some(backend), "{url}");
        }
    }

    #[test]
    fn unsupported_or_malformed_urls_are_refused_without_echoing_passwords() {
        for url in [
            "",
            "mysql://a/b",
            "just-a-file.db",
            "postgres://u:pw@[bad/db",
            "sqlite://",
        ] {
            let err = DatabaseUrl::parse(url).unwrap_err().to_string();
            assert!(!err.contains("pw"), "{err}");
        }
    }
}
