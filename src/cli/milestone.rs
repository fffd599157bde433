//! `milestone-bot milestone add|list|remove`: the rules admins edit with
//! `/milestone`, scriptable, on the same database as a running bot (which picks a
//! change up on its next reading).

use crate::milestones::detector::DetectorConfig;
use crate::milestones::rules_store::{self, StoredRule};
use crate::sketch::Metrics;
use crate::storage::Db;
use crate::text::number::format_short;
use crate::vocab::{MetricName, RuleId};
use clap::Subcommand;
use clap::builder::TypedValueParser;
use std::fmt::Write;

#[derive(Subcommand, Debug)]
pub enum MilestoneCommand {
    /// Add a rule: a threshold (200M, 1.5B, 200,000,000), a series (every 10M) or
    /// round (1K, 2K, 5K, 10K, …).
    Add {
        /// The metric, e.g. mau.
        metric: String,
        /// The rule; `every 10M` may be written without quotes.
        #[arg(required = true, num_args = 1..)]
        rule: Vec<String>,
    },
    /// List the rules, of one metric or of all.
    List {
        /// Only this metric's rules.
        metric: Option<String>,
    },
    /// Remove a rule by the id `list` shows.
    Remove {
        #[arg(value_parser = clap::value_parser!(i64).map(RuleId))]
        id: RuleId,
    },
}

/// Runs the command; the text to print. `detector` gives the lower bound a new
/// rule's baseline is taken at (`CONFIDENCE_K`).
pub async fn run(
    db: &Db,
    metrics: &Metrics,
    detector: &DetectorConfig,
    command: MilestoneCommand,
) -> Result<String, rules_store::RuleStoreError> {
    Ok(match command {
        MilestoneCommand::Add { metric, rule } => {
            let name = rules_store::check_metric(&metric)?;
            let added = rules_store::add_rule(db, &name, &rule.join(" "), None, detector).await?;
            let rule = &added.rule;
            let mut out = format!("added {} to {} (id {})", rule.rule, rule.metric, rule.id);
            if !added.baseline.is_empty() {
                let passed: Vec<String> = added.baseline.iter().map(|&m| format_short(m)).collect();
                let _ = write!(
                    out,
                    "\nalready passed, recorded as baseline (not announced): {}",
                    passed.join(", ")
                );
            }
            if metrics.get(&metric).is_none() {
                let _ = write!(
                    out,
                    "\nnote: {metric} is not in METRICS ({}); the watcher does not read it",
                    metrics.names()
                );
            }
            out
        }
        MilestoneCommand::List { metric } => match metric.as_deref().map(MetricName::parse) {
            // A name that is no metric name has no rules.
            Some(Err(_)) => table(&[]),
            Some(Ok(name)) => table(&rules_store::list_rules(db, Some(&name)).await?),
            None => table(&rules_store::list_rules(db, None).await?),
        },
        MilestoneCommand::Remove { id } => {
            let removed = rules_store::remove_rule(db, id).await?;
            format!(
                "removed {} from {} (id {})",
                removed.rule, removed.metric, removed.id
            )
        }
    })
}

/// The rules as an aligned plain-text table.
pub fn table(rules: &[StoredRule]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<6} {:<16} {:<32} ADDED (UTC)",
        "ID", "METRIC", "RULE"
    );
    for r in rules {
        let _ = writeln!(
            out,
            "{:<6} {:<16} {:<32} {}",
            r.id,
            r.metric,
            r.rule,
            r.created_at.format("%Y-%m-%d %H:%M")
        );
    }
    let _ = write!(out, "{} rule(s)", rules.len());
    out
}
