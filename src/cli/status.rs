//! `milestone-bot status`: per metric, the estimate ± error, the last milestone, the
//! next one and when it is expected.

use crate::milestones::counter::watched;
use crate::milestones::status;
use crate::sketch::Metrics;
use crate::storage::{Db, StorageError};
use chrono::Utc;

/// The status text for every metric in the database or in `METRICS`.
pub async fn run(db: &Db, metrics: &Metrics) -> Result<String, StorageError> {
    let now = Utc::now();
    let statuses = status::status(db, &watched(metrics), now).await?;
    Ok(status::render(&statuses, now))
}
