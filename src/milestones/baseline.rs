//! Importing history quietly: `milestone-bot baseline <metric>` and
//! `/milestone baseline <metric>` count the metric now and record every milestone
//! the lower bound (estimate − `CONFIDENCE_K`·σ) has passed as `baseline`, so none
//! of them is ever announced. Without it, the bot announces every crossing after
//! its first reading of a metric (zero included), imports too.
//!
//! The count is stored as a reading, and the metric's baseline raised to the lower
//! bound, in one transaction under the metric's lock.

use super::apply::WatchError;
use super::apply::reached_row;
use super::counter::Counter;
use super::detector::{DetectorConfig, Reading};
use super::rules::milestones_in;
use super::state;
use crate::storage::Db;
use crate::storage::milestones::reached::{self, Reason};
use crate::storage::milestones::{metrics, readings};
use crate::vocab::MetricName;
use chrono::{DateTime, Utc};

/// What a baseline recorded (or, for [`plan`], would record).
#[derive(Debug, Clone, PartialEq)]
pub struct Baselined {
    pub metric: MetricName,
    /// The count it was taken at.
    pub reading: Reading,
    /// The lower bound: milestones at or below it are passed.
    pub bound: u64,
    /// The milestones newly recorded as `baseline`, lowest first (at most
    /// [`LIST_CAP`](super::rules::LIST_CAP), the highest).
    pub recorded: Vec<u64>,
}

/// Counts `metric` now and says what a baseline would record, writing nothing.
pub async fn plan(
    db: &Db,
    counter: &impl Counter,
    metric: &MetricName,
    detector: &DetectorConfig,
    now: DateTime<Utc>,
) -> Result<Baselined, WatchError> {
    let reading = count(counter, metric, now).await?;
    let bound = reading.proven(detector.confidence_k());
    let mut conn = db.pool().acquire().await?;
    let state = state::load(&mut conn, metric).await?;
    let mut recorded = milestones_in(&state.plain_rules(), 0, bound);
    let mut known = Vec::new();
    for &m in &recorded {
        if reached::get(&mut conn, metric, m).await?.is_some() {
            known.push(m);
        }
    }
    recorded.retain(|m| !known.contains(m));
    Ok(Baselined {
        metric: metric.clone(),
        reading,
        bound,
        recorded,
    })
}

/// Counts `metric` now and records its baseline (see the module docs).
pub async fn baseline(
    db: &Db,
    counter: &impl Counter,
    metric: &MetricName,
    detector: &DetectorConfig,
    now: DateTime<Utc>,
) -> Result<Baselined, WatchError> {
    let reading = count(counter, metric, now).await?;
    let bound = reading.proven(detector.confidence_k());
    let mut tx = db.pool().begin().await?;
    metrics::ensure(&mut tx, metric, now).await?;
    metrics::lock(&mut tx, metric, now).await?;
    readings::insert(&mut tx, metric, &reading).await?;
    let state = state::load(&mut tx, metric).await?;
    let mut recorded = Vec::new();
    for milestone in milestones_in(&state.plain_rules(), 0, bound) {
        let row = reached_row(metric, milestone, Reason::Baseline, &reading, now);
        if reached::insert(&mut tx, &row).await? {
            recorded.push(milestone);
        }
    }
    metrics::raise_baseline(&mut tx, metric, bound).await?;
    tx.commit().await?;
    tracing::info!(
        metric = metric.as_str(),
        bound,
        recorded = recorded.len(),
        "baseline recorded by hand"
    );
    Ok(Baselined {
        metric: metric.clone(),
        reading,
        bound,
        recorded,
    })
}

async fn count(
    counter: &impl Counter,
    metric: &MetricName,
    now: DateTime<Utc>,
) -> Result<Reading, WatchError> {
    let estimate = counter.count(metric, now).await?;
    Ok(Reading {
        at: now,
        estimate: estimate.value,
        std_error: estimate.std_error,
    })
}
