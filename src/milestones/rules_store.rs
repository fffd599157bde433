//! Milestone rules in the database: what admins add, list and remove (through
//! `/milestone` or `milestone-bot milestone …`), and the configured defaults
//! (`MILESTONE_RULES`) copied in once, the first time a metric is watched. After
//! that the database is the truth: a default an admin removed stays removed.
//!
//! A rule added to a metric the bot already reads has its own baseline: its
//! milestones the lower bound of the newest reading has passed are recorded as
//! `baseline` and never fire; no other rule's milestone is touched (one about to
//! fire still fires). Removing a rule records nothing. Both take the metric's lock,
//! so they never interleave with a watcher's decision.

use super::apply::reached_row;
use super::detector::{DetectorConfig, Reading};
use super::live::{ActiveRule, Live};
use super::rules::{Rule, milestones_in};
use super::state;
use crate::storage::Db;
use crate::storage::milestones::reached::{self, Reason};
use crate::storage::milestones::{metrics, readings, rules};
use crate::vocab::{MetricName, RuleId, UserId};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

pub use super::rule_check::{MAX_MILESTONE, RuleStoreError, check_metric, parse_rule};
pub use crate::storage::milestones::rules::StoredRule;

/// A rule just added, with its own baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct AddedRule {
    pub rule: StoredRule,
    /// Its milestones the lower bound of the newest reading had already passed,
    /// newly recorded as `baseline` (at most [`LIST_CAP`](super::rules::LIST_CAP),
    /// the highest); empty when the metric has not been read yet.
    pub baseline: Vec<u64>,
}

/// Adds a rule to a metric; returns it as stored (canonical text, id) with the
/// milestones of its own that were already passed (`detector` gives the lower bound).
/// A name as typed is read with [`check_metric`] first.
pub async fn add_rule(
    db: &Db,
    metric: &MetricName,
    rule: &str,
    by: Option<UserId>,
    detector: &DetectorConfig,
) -> Result<AddedRule, RuleStoreError> {
    let rule = parse_rule(rule)?;
    let now = Utc::now();
    let mut tx = db.pool().begin().await?;
    metrics::ensure(&mut tx, metric, now).await?;
    metrics::bump_rules_version(&mut tx, metric).await?;
    let Some(id) = rules::insert(&mut tx, metric, &rule.to_string(), now, by).await? else {
        let existing = rules::list_for(&mut tx, metric).await?;
        let id = existing
            .iter()
            .find(|r| r.rule == rule.to_string())
            .map_or(RuleId(0), |r| r.id);
        return Err(RuleStoreError::Duplicate {
            metric: metric.to_string(),
            rule: rule.to_string(),
            id,
        });
    };
    let (passed_when_added, baseline) = match readings::latest(&mut tx, metric).await? {
        Some(newest) => {
            let bound = newest.proven(detector.confidence_k());
            rules::set_baseline(&mut tx, id, bound).await?;
            let recorded = baseline_rule(&mut tx, metric, id, rule, bound, &newest, now).await?;
            (Some(bound), recorded)
        }
        None => (None, Vec::new()),
    };
    tx.commit().await?;
    tracing::info!(metric = metric.as_str(), rule = %rule, id = id.get(), baseline = baseline.len(), "milestone rule added");
    Ok(AddedRule {
        rule: StoredRule {
            id,
            metric: metric.clone(),
            rule: rule.to_string(),
            created_at: DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now),
            created_by: by,
            passed_when_added,
        },
        baseline,
    })
}

/// Records the new rule's milestones at or below `bound` as `baseline`, except
/// those another rule may still fire (they stay that rule's to announce).
async fn baseline_rule(
    conn: &mut AnyConnection,
    metric: &MetricName,
    id: RuleId,
    rule: Rule,
    bound: u64,
    newest: &Reading,
    now: DateTime<Utc>,
) -> Result<Vec<u64>, RuleStoreError> {
    let state = state::load(conn, metric).await?;
    let others: Vec<ActiveRule> = state
        .rule_ids
        .iter()
        .zip(&state.rules)
        .filter(|(rule_id, _)| **rule_id != id)
        .map(|(_, r)| *r)
        .collect();
    let others = Live {
        rules: &others,
        floor: state.floor(),
        recorded: &[],
    };
    let mut recorded = Vec::new();
    for milestone in milestones_in(&[rule], 0, bound) {
        if others.contains(milestone) {
            continue;
        }
        let row = reached_row(metric, milestone, Reason::Baseline, newest, now);
        if reached::insert(conn, &row).await? {
            recorded.push(milestone);
        }
    }
    Ok(recorded)
}

/// Removes a rule by id; returns what was removed. Nothing is recorded: the other
/// rules' milestones fire as before.
pub async fn remove_rule(db: &Db, id: RuleId) -> Result<StoredRule, RuleStoreError> {
    let mut tx = db.pool().begin().await?;
    let removed = rules::delete(&mut tx, id)
        .await?
        .ok_or(RuleStoreError::NotFound(id))?;
    metrics::bump_rules_version(&mut tx, &removed.metric).await?;
    tx.commit().await?;
    tracing::info!(metric = %removed.metric, rule = %removed.rule, id = id.get(), "milestone rule removed");
    Ok(removed)
}

/// The rules of one metric, or of all, by metric then id.
pub async fn list_rules(
    db: &Db,
    metric: Option<&MetricName>,
) -> Result<Vec<StoredRule>, RuleStoreError> {
    let mut conn = db.pool().acquire().await?;
    Ok(match metric {
        Some(metric) => rules::list_for(&mut conn, metric).await?,
        None => rules::list_all(&mut conn).await?,
    })
}

/// Copies the configured default rules of each watched metric into the database,
/// once per metric ever (safe to call on every start, and from two instances).
pub async fn seed_defaults(
    db: &Db,
    watched: &[MetricName],
    defaults: &[(MetricName, Rule)],
) -> Result<(), RuleStoreError> {
    let now = Utc::now();
    for name in watched {
        let metric = name;
        let mut tx = db.pool().begin().await?;
        metrics::ensure(&mut tx, metric, now).await?;
        if metrics::mark_seeded(&mut tx, metric, now).await? {
            for (_, rule) in defaults.iter().filter(|(m, _)| m == name) {
                rules::insert(&mut tx, metric, &rule.to_string(), now, None).await?;
            }
            metrics::bump_rules_version(&mut tx, metric).await?;
            tracing::info!(metric = metric.as_str(), "default milestone rules seeded");
        }
        tx.commit().await?;
    }
    Ok(())
}
