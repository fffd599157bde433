//! What a rule operation refuses, and why: a metric name or rule text as an admin
//! typed it is checked here ([`check_metric`], [`parse_rule`]), and every rule
//! operation (adding, removing, loading a metric's stored rules) fails with a
//! [`RuleStoreError`] whose message is shown to admins as it is.

use super::rules::{Rule, RuleError};
use crate::storage::StorageError;
use crate::vocab::{MetricName, RuleId};

/// The largest milestone the database can record (`BIGINT`).
pub const MAX_MILESTONE: u64 = i64::MAX as u64;

/// Why a rule operation was refused. Messages are shown to admins as they are.
#[derive(Debug, thiserror::Error)]
pub enum RuleStoreError {
    /// Metric names are what the sketch store accepts: `a-z`, `0-9`, `_`, 1–32.
    #[error("\"{0}\" is not a metric name; use 1 to 32 lowercase letters, digits or _")]
    BadMetric(String),
    /// The rule text could not be read (the inner message names the input).
    #[error(transparent)]
    Invalid(#[from] RuleError),
    /// The milestone cannot be stored.
    #[error(
        "{rule} is beyond the largest milestone the bot can record (9,223,372,036,854,775,807)"
    )]
    TooLarge { rule: String },
    /// The metric already has this rule (compared in canonical form: 200M = 200,000,000).
    #[error("{metric} already has the rule \"{rule}\" (id {id})")]
    Duplicate {
        metric: String,
        rule: String,
        id: RuleId,
    },
    /// `remove` with an id no rule has.
    #[error("there is no milestone rule with id {0}; `milestone list` shows the ids")]
    NotFound(RuleId),
    /// A stored rule this version cannot read.
    #[error("the stored rule \"{rule}\" of {metric} is unreadable: {source}")]
    Corrupt {
        metric: String,
        rule: String,
        source: RuleError,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for RuleStoreError {
    fn from(e: sqlx::Error) -> Self {
        RuleStoreError::Storage(e.into())
    }
}

/// Reads a metric name as an admin typed it, checked the way the sketch store does.
pub fn check_metric(metric: &str) -> Result<MetricName, RuleStoreError> {
    MetricName::parse(metric).map_err(|_| RuleStoreError::BadMetric(metric.to_owned()))
}

/// Reads and checks a rule as an admin typed it.
pub fn parse_rule(text: &str) -> Result<Rule, RuleStoreError> {
    let rule = Rule::parse(text)?;
    let largest = match rule {
        Rule::Threshold(n) | Rule::Every(n) => n.get(),
        Rule::RoundNumbers => 0,
    };
    if largest > MAX_MILESTONE {
        return Err(RuleStoreError::TooLarge {
            rule: rule.to_string(),
        });
    }
    Ok(rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_follow_the_sketch_store() {
        for good in ["mau", "dau", "signups_2", &"x".repeat(32)] {
            assert!(check_metric(good).is_ok(), "{good}");
        }
        for bad in ["", "MAU", "m-au", "m au", &"x".repeat(33)] {
            assert!(check_metric(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rules_beyond_what_the_database_stores_are_refused_with_the_reason() {
        let err = parse_rule("18,446,744,073,709,551,615").unwrap_err();
        assert!(matches!(err, RuleStoreError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("largest milestone"), "{err}");
        assert!(parse_rule("every 10E").is_err());
        assert_eq!(
            parse_rule("9,223,372,036,854,775,807").unwrap().to_string(),
            "9,223,372,036,854,775,807"
        );
    }

    #[test]
    fn invalid_rules_keep_the_parser_message() {
        let err = parse_rule("every 0").unwrap_err();
        assert!(err.to_string().contains("zero"), "{err}");
    }
}
