//! What is recorded about a metric's milestones, loaded in one place for everyone
//! who decides or shows them: the watcher, a rule added, the `baseline` command and
//! the status. Read it inside the transaction that holds the metric's lock when
//! the answer is acted on.

use super::detector::{MetricHistory, Reading};
use super::live::{ActiveRule, Live};
use super::rule_check::RuleStoreError;
use super::rules::Rule;
use crate::storage::milestones::{metrics, reached, rules};
use crate::vocab::{MetricName, RuleId};
use sqlx::AnyConnection;

/// A metric's rules and recorded milestones.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricState {
    /// The rules with their own baselines, by id.
    pub rules: Vec<ActiveRule>,
    /// The rules' ids, in the order of `rules`.
    pub rule_ids: Vec<RuleId>,
    /// The metric's baseline (see [`MetricHistory::baseline`]).
    pub baseline: Option<u64>,
    /// The highest milestone announced (by the watcher or by hand) or skipped.
    pub highest_announced: Option<u64>,
    /// Milestones recorded above the floor (a rule's baseline rows).
    pub recorded: Vec<u64>,
}

impl MetricState {
    /// Nothing at or below it fires.
    pub fn floor(&self) -> u64 {
        self.baseline
            .unwrap_or(0)
            .max(self.highest_announced.unwrap_or(0))
    }

    /// The milestones that may still fire.
    pub fn live(&self) -> Live<'_> {
        Live {
            rules: &self.rules,
            floor: self.floor(),
            recorded: &self.recorded,
        }
    }

    /// The detector's view, with `recent` readings.
    pub fn history<'a>(&'a self, recent: &'a [Reading]) -> MetricHistory<'a> {
        MetricHistory {
            baseline: self.baseline,
            highest_announced: self.highest_announced,
            recorded: &self.recorded,
            recent,
        }
    }

    /// The rules as plain rules (for what a baseline records).
    pub fn plain_rules(&self) -> Vec<Rule> {
        self.rules.iter().map(|r| r.rule).collect()
    }
}

/// Loads the state of `metric` (a metric without a row has no baseline yet).
pub async fn load(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<MetricState, RuleStoreError> {
    let mut active = Vec::new();
    let mut rule_ids = Vec::new();
    for stored in rules::list_for(conn, metric).await? {
        let rule = Rule::parse(&stored.rule).map_err(|source| RuleStoreError::Corrupt {
            metric: stored.metric.to_string(),
            rule: stored.rule.clone(),
            source,
        })?;
        active.push(ActiveRule {
            rule,
            passed_when_added: stored.passed_when_added,
        });
        rule_ids.push(stored.id);
    }
    let baseline = metrics::get(conn, metric)
        .await?
        .and_then(|row| row.baseline);
    let highest_announced = reached::highest_announced(conn, metric).await?;
    let floor = baseline.unwrap_or(0).max(highest_announced.unwrap_or(0));
    let recorded = reached::above(conn, metric, floor).await?;
    Ok(MetricState {
        rules: active,
        rule_ids,
        baseline,
        highest_announced,
        recorded,
    })
}
