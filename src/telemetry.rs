//! Logging with `tracing`, and the one place secrets are scrubbed from output.
//!
//! teloxide puts the bot token in every request URL, and a network error's text
//! carries that URL. Rather than trusting every call site to remember, the log writer
//! itself replaces each registered secret with `<redacted>`, and [`redact`] does the
//! same for errors printed outside the logger.

use std::io::{self, IsTerminal, Write};
use std::sync::RwLock;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

mod json;
pub mod metrics;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Adds a value that must never be printed (bot token, ingest token).
pub fn register_secret(secret: &str) {
    if secret.len() < 4 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_owned());
    }
}

/// `text` with every registered secret replaced.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_owned();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "<redacted>");
        }
        // The secret half of a bot token can appear on its own (URL-encoded paths).
        if let Some((_, tail)) = secret.split_once(':')
            && tail.len() >= 8
            && out.contains(tail)
        {
            out = out.replace(tail, "<redacted>");
        }
    }
    out
}

/// How log lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event (the default).
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message` and the
    /// event's other `fields`, for log collectors.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("{other:?} is not a log format (text or json)")),
        }
    }
}

/// The filter when `RUST_LOG` is unset.
const DEFAULT_FILTER: &str = "info,sqlx=warn,hyper=warn,reqwest=warn";

/// Installs the global subscriber: `RUST_LOG` filter (default `info`), records from the
/// `log` crate (teloxide, sqlx) included, every line redacted. Safe to call twice.
pub fn init(format: LogFormat) {
    init_with(DEFAULT_FILTER, format);
}

/// Text logs with another filter when `RUST_LOG` is unset: tests and the demo show
/// warnings only (the demo keeps the terminal for its story).
pub fn init_with_default(default_filter: &str) {
    init_with(default_filter, LogFormat::Text);
}

fn init_with(default_filter: &str, format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // Colour codes only for a person watching a terminal: piped into a file,
    // journald or a log collector they are noise in every line.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(io::stderr().is_terminal())
        .with_writer(RedactingStderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.event_format(json::JsonLines).try_init(),
    };
}

/// A `MakeWriter` handing out one buffered writer per event.
#[derive(Clone, Copy)]
pub struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingLine;
    fn make_writer(&'a self) -> Self::Writer {
        RedactingLine(Vec::with_capacity(256))
    }
}

/// Collects one formatted event and writes it, redacted, when dropped.
pub struct RedactingLine(Vec<u8>);

impl Write for RedactingLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingLine {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let line = redact(&String::from_utf8_lossy(&self.0));
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_token_is_replaced_wherever_it_appears() {
        register_secret("4242:SECRETsecretSECRET");
        let url = "error sending request for url (http://x/bot4242:SECRETsecretSECRET/GetMe)";
        let shown = redact(url);
        assert!(!shown.contains("SECRETsecretSECRET"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert_eq!(redact("nothing to hide"), "nothing to hide");
    }

    #[test]
    fn the_secret_half_alone_is_also_replaced() {
        register_secret("77:anotherSecretValue");
        assert!(!redact("path /bot77%3AanotherSecretValue/x").contains("anotherSecretValue"));
    }
}
