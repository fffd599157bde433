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

/// Why a database URL was refused. Never carries the URL itself, nor any part of
/// it after the scheme: user, password, host and path stay out of errors (an
/// operator's `postgre://user:secret@db/x` typo must not print `secret`).
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// The scheme is not one we support; carries the scheme alone, when it looks like
    /// one (letters, digits, `+ - .`), else `None`.
    #[error("expected sqlite://PATH or postgres://USER@HOST/DB, got {}", shown_scheme(.0))]
    Scheme(Option<String>),
    /// The URL does not parse; carries the parser's words, which never quote it.
    #[error("not a valid URL: {0}")]
    Malformed(String),
}

fn shown_scheme(scheme: &Option<String>) -> String {
    match scheme {
        Some(scheme) => format!("a {scheme:?} URL"),
        None => "a value without a URL scheme".into(),
    }
}

/// The scheme of `raw` if it has a well-formed one (RFC 3986: a letter, then
/// letters, digits, `+`, `-`, `.`), which is then safe to show.
fn scheme_of(raw: &str) -> Option<&str> {
    let (scheme, _) = raw.split_once(':')?;
    let mut chars = scheme.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && scheme.len() <= 20;
    well_formed.then_some(scheme)
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, UrlError> {
        let raw = raw.trim();
        let scheme = scheme_of(raw);
        let backend = match scheme {
            Some("sqlite") => Backend::Sqlite,
            Some("postgres" | "postgresql") => Backend::Postgres,
            _ => return Err(UrlError::Scheme(scheme.map(str::to_owned))),
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
            "postgre://u:pw@db/x",
            "postgres//u:pw@db/x",
            "u:pw@db/x",
            "mysql://u:pw@db/x",
        ] {
            let err = DatabaseUrl::parse(url).unwrap_err().to_string();
            assert!(!err.contains("pw"), "{err}");
        }
    }

    #[test]
    fn a_wrong_scheme_is_named_so_the_typo_can_be_seen() {
        let err = DatabaseUrl::parse("postgre://u:pw@db/x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected sqlite://PATH or postgres://USER@HOST/DB, got a \"postgre\" URL"
        );
    }
}
