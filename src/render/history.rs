//! The status chart's data: each metric's status (`milestones::status`) with its
//! readings of the chart's window.

use super::chart::{MetricHistory, StatusChart, WINDOW};
use crate::milestones::rules::Rule;
use crate::milestones::status;
use crate::milestones::watcher::WatchedMetric;
use crate::storage::milestones::readings;
use crate::storage::{Db, StorageError};
use chrono::{DateTime, Utc};

/// Every metric the database knows or the bot watches, as the chart draws them.
pub async fn status_chart(
    db: &Db,
    watched: &[WatchedMetric],
    now: DateTime<Utc>,
) -> Result<StatusChart, StorageError> {
    let statuses = status::status(db, watched, now).await?;
    let mut conn = db.pool().acquire().await?;
    let mut metrics = Vec::with_capacity(statuses.len());
    for s in statuses {
        let readings = readings::since(&mut conn, &s.metric, now - WINDOW).await?;
        metrics.push(MetricHistory {
            rules: s
                .rules
                .iter()
                .filter_map(|r| r.parse::<Rule>().ok())
                .collect(),
            reached: s.last.as_ref().map(|l| l.milestone),
            next: s.next,
            expected: s.expected,
            label: s.label,
            metric: s.metric.clone(),
            readings,
        });
    }
    Ok(StatusChart { now, metrics })
}
