//! Where the watcher's counts come from: the [`Counter`] trait, so tests can use a
//! fake, and [`SketchCounter`], the sketch store the app runs with; and
//! [`WatchedMetric`], a metric as the watcher reads it.

use crate::sketch::{Estimate, Metrics, SketchStore, SketchStoreKind};
use crate::vocab::MetricName;
use chrono::{DateTime, Utc};
use std::future::Future;

/// A metric the watcher reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedMetric {
    /// `mau`: the sketch store's metric name.
    pub name: MetricName,
    /// `monthly active users`: what `{metric_label}` shows.
    pub label: String,
}

/// Why a metric could not be counted (no ids in the message, ever).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CountError(pub String);

/// A source of counts.
pub trait Counter: Send + Sync {
    /// The count of `metric` at `at`, with its standard error.
    fn count(
        &self,
        metric: &MetricName,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Estimate, CountError>> + Send;
}

/// The configured metrics, counted by the sketch store over their windows.
#[derive(Clone)]
pub struct SketchCounter {
    pub store: SketchStoreKind,
    pub metrics: Metrics,
}

impl SketchCounter {
    /// The metrics to watch, with their labels.
    pub fn watched(&self) -> Vec<WatchedMetric> {
        watched(&self.metrics)
    }
}

/// `METRICS` as the watcher sees them.
pub fn watched(metrics: &Metrics) -> Vec<WatchedMetric> {
    metrics
        .iter()
        .map(|m| WatchedMetric {
            name: m.name.clone(),
            label: m.label.clone(),
        })
        .collect()
}

impl Counter for SketchCounter {
    async fn count(&self, metric: &MetricName, at: DateTime<Utc>) -> Result<Estimate, CountError> {
        let metric = self
            .metrics
            .get(metric.as_str())
            .ok_or_else(|| CountError(format!("{metric} is not in METRICS")))?;
        self.store
            .count(metric, at.date_naive())
            .await
            .map_err(|e| CountError(e.to_string()))
    }
}
