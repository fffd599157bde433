//! What is counted: a metric is a validated name and a window of days.

use chrono::{Days, NaiveDate};
use std::fmt;
use std::str::FromStr;

/// A metric's name as it appears in Redis keys, URLs and commands: lowercase ASCII
/// letters, digits and `_`, 1 to 32 characters. Anything else is refused here, so a
/// name can be put in a key (`PREFIX:NAME:DAY`) or a log line without escaping.
/// In JSON it is the bare string, checked again when read.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct MetricName(String);

/// Why a string is not a metric name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricNameError {
    /// The name is empty.
    #[error("a metric name cannot be empty")]
    Empty,
    /// The name is longer than [`MetricName::MAX_LEN`] bytes.
    #[error("a metric name is at most 32 characters")]
    TooLong,
    /// The name holds something other than `a-z`, `0-9` and `_`.
    #[error("a metric name uses only lowercase letters, digits and _")]
    BadCharacter,
}

impl MetricName {
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, MetricNameError> {
        if raw.is_empty() {
            return Err(MetricNameError::Empty);
        }
        if raw.len() > Self::MAX_LEN {
            return Err(MetricNameError::TooLong);
        }
        let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
        if !raw.bytes().all(ok) {
            return Err(MetricNameError::BadCharacter);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl TryFrom<String> for MetricName {
    type Error = MetricNameError;
    fn try_from(raw: String) -> Result<Self, MetricNameError> {
        Self::parse(&raw)
    }
}

impl From<MetricName> for String {
    fn from(name: MetricName) -> String {
        name.0
    }
}

impl FromStr for MetricName {
    type Err = MetricNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A metric: one sketch per UTC day, counted as the union of the last
/// `window_days` days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub name: MetricName,
    /// How many days, ending at the day asked about, the count covers (1 for `dau`).
    pub window_days: u16,
    /// Words for people: "monthly active users".
    pub label: String,
}

/// The longest window accepted: a year (leap years included).
pub const MAX_WINDOW_DAYS: u16 = 366;

impl Metric {
    /// The days the count at `at` covers, oldest first, `at` last.
    pub fn window(&self, at: NaiveDate) -> Vec<NaiveDate> {
        let first = at
            .checked_sub_days(Days::new(u64::from(self.window_days.max(1)) - 1))
            .unwrap_or(NaiveDate::MIN);
        first.iter_days().take_while(|d| *d <= at).collect()
    }

    /// `dau` 1, `wau` 7 and `mau` 30: what `METRICS` defaults to.
    pub fn defaults() -> Vec<Metric> {
        ["dau", "wau", "mau"]
            .iter()
            .map(|name| {
                let (days, label) = known(name).expect("a known metric");
                Metric {
                    name: MetricName(name.to_string()),
                    window_days: days,
                    label: label.to_owned(),
                }
            })
            .collect()
    }

    /// One item of `METRICS`: `name:days[:label]`, e.g. `signups:1:new sign-ups`.
    /// `dau`, `wau` and `mau` may be given by name alone.
    pub fn parse_spec(spec: &str) -> Result<Metric, String> {
        let mut parts = spec.splitn(3, ':');
        let raw_name = parts.next().unwrap_or_default().trim();
        let name = MetricName::parse(raw_name).map_err(|e| format!("{raw_name:?}: {e}"))?;
        let (window_days, label) = match (parts.next(), known(raw_name)) {
            (None, Some((days, label))) => (days, label.to_owned()),
            (None, None) => return Err(format!("{raw_name:?} needs a window: {raw_name}:DAYS")),
            (Some(days), known) => {
                let days: u16 = days
                    .trim()
                    .parse()
                    .ok()
                    .filter(|d| (1..=MAX_WINDOW_DAYS).contains(d))
                    .ok_or_else(|| format!("{raw_name:?}: the window is 1 to 366 days"))?;
                let label = match (parts.next().map(str::trim), known) {
                    (Some(label), _) if !label.is_empty() => label.to_owned(),
                    (_, Some((_, label))) => label.to_owned(),
                    _ => raw_name.replace('_', " "),
                };
                (days, label)
            }
        };
        Ok(Metric {
            name,
            window_days,
            label,
        })
    }
}

fn known(name: &str) -> Option<(u16, &'static str)> {
    match name {
        "dau" => Some((1, "daily active users")),
        "wau" => Some((7, "weekly active users")),
        "mau" => Some((30, "monthly active users")),
        _ => None,
    }
}

/// The configured metrics, in the order given; names are unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics(Vec<Metric>);

impl Metrics {
    /// Parses `METRICS`: comma-separated [`Metric::parse_spec`] items.
    pub fn parse(raw: &str) -> Result<Metrics, String> {
        let mut metrics: Vec<Metric> = Vec::new();
        for spec in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let metric = Metric::parse_spec(spec)?;
            if metrics.iter().any(|m| m.name == metric.name) {
                return Err(format!("{} is listed twice", metric.name));
            }
            metrics.push(metric);
        }
        if metrics.is_empty() {
            return Err("lists no metric".into());
        }
        Ok(Metrics(metrics))
    }

    pub fn get(&self, name: &str) -> Option<&Metric> {
        self.0.iter().find(|m| m.name.as_str() == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Metric> {
        self.0.iter()
    }

    /// The names, for error messages: `dau, wau, mau`.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.0.iter().map(|m| m.name.as_str()).collect();
        names.join(", ")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics(Metric::defaults())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_name_is_lowercase_letters_digits_and_underscores() {
        for good in ["dau", "mau", "signups_2", "a", &"x".repeat(32)] {
            assert!(MetricName::parse(good).is_ok(), "{good}");
        }
        let cases = [
            ("", MetricNameError::Empty),
            (&"x".repeat(33), MetricNameError::TooLong),
            ("MAU", MetricNameError::BadCharacter),
            ("m-au", MetricNameError::BadCharacter),
            ("m:au", MetricNameError::BadCharacter),
            ("mäu", MetricNameError::BadCharacter),
            (" mau", MetricNameError::BadCharacter),
        ];
        for (bad, expected) in cases {
            assert_eq!(MetricName::parse(bad), Err(expected), "{bad:?}");
        }
    }

    #[test]
    fn the_window_ends_at_the_day_asked_and_has_window_days_days() {
        let mau = Metric::parse_spec("mau").unwrap();
        let at = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let days = mau.window(at);
        assert_eq!(days.len(), 30);
        assert_eq!(days.last(), Some(&at));
        assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 10, 28).unwrap());
        let dau = Metric::parse_spec("dau").unwrap();
        assert_eq!(dau.window(at), vec![at]);
    }

    #[test]
    fn metrics_default_to_dau_wau_and_mau() {
        let metrics = Metrics::default();
        assert_eq!(metrics.names(), "dau, wau, mau");
        assert_eq!(metrics.get("wau").unwrap().window_days, 7);
        assert_eq!(metrics.get("mau").unwrap().label, "monthly active users");
    }

    #[test]
    fn metrics_spec_takes_name_days_and_an_optional_label() {
        let metrics = Metrics::parse("dau, mau:28, signups:1:new sign-ups: all of them").unwrap();
        assert_eq!(metrics.get("dau").unwrap().window_days, 1);
        assert_eq!(metrics.get("mau").unwrap().window_days, 28);
        assert_eq!(metrics.get("mau").unwrap().label, "monthly active users");
        let signups = metrics.get("signups").unwrap();
        assert_eq!(signups.label, "new sign-ups: all of them");
        assert_eq!(
            Metrics::parse("paying_users:30")
                .unwrap()
                .get("paying_users")
                .unwrap()
                .label,
            "paying users"
        );
    }

    #[test]
    fn a_bad_metrics_spec_is_refused_with_the_reason() {
        for (bad, says) in [
            ("", "no metric"),
            ("signups", "needs a window"),
            ("mau:0", "1 to 366"),
            ("mau:367", "1 to 366"),
            ("mau:x", "1 to 366"),
            ("Mau:1", "lowercase"),
            ("dau,dau:2", "twice"),
        ] {
            let err = Metrics::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad:?} gave {err}");
        }
    }
}
