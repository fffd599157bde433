//! Recording how a claimed delivery ended, counted in the metrics; a delivery whose
//! chat moved follows it, unless the new chat has its own delivery already.

use crate::storage::deliveries::{self, Finish, Job};
use crate::storage::{Db, StorageError};

/// Records how a claimed delivery ended. Returns `false` if the row was no longer
/// this claim's (another instance declared it unknown meanwhile).
pub async fn finish(db: &Db, job: &Job, how: &Finish) -> Result<bool, StorageError> {
    if let Finish::MovedTo(to) = how {
        if deliveries::has_delivery(db, job.announcement_id, *to).await? {
            let how = Finish::Skipped(format!("migrated to {to}, which has its own delivery"));
            return Box::pin(finish(db, job, &how)).await;
        }
        // Due again at once in its new chat: not an outcome yet.
        return deliveries::finish(db, job, how).await;
    }
    let written = deliveries::finish(db, job, how).await?;
    if written {
        crate::telemetry::metrics::delivery(how.label(), matches!(how, Finish::Posted { .. }));
    }
    Ok(written)
}
