//! Recording a delivery's outcome, which must not be lost: a failed write is
//! retried with backoff (the row stays in flight meanwhile, holding its permit), and
//! the sender status says so until it goes through.

use super::Worker;
use crate::broadcast::outcome;
use crate::broadcast::queue::{self, Finish, Job};
use crate::storage::StorageError;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// After shutdown began, how many more tries an outcome gets before the row is left
/// in flight (it then reads unknown at the next start: never sent twice).
const TRIES_AFTER_STOP: u32 = 5;

impl Worker {
    /// Writes how `job` ended, then makes it follow a withdrawal or cancel that came
    /// while it was on the wire.
    pub(super) async fn record(&self, job: &Job, finish: &Finish, stop: &CancellationToken) {
        let db = &self.inner.db;
        let written = self
            .retry_write(job, stop, "record a delivery's outcome", || {
                queue::finish(db, job, finish)
            })
            .await;
        match written {
            Some(true) => {
                self.retry_write(
                    job,
                    stop,
                    "apply a withdrawal or cancel to a delivery",
                    || queue::follow_announcement(db, job),
                )
                .await;
            }
            Some(false) => tracing::warn!(
                delivery = job.id,
                "the delivery was taken over while in flight; its outcome here is not recorded"
            ),
            None => {}
        }
    }

    /// Runs `write` until it succeeds; `None` if shutdown cut the retries short.
    async fn retry_write<T, F, Fut>(
        &self,
        job: &Job,
        stop: &CancellationToken,
        what: &'static str,
        mut write: F,
    ) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StorageError>>,
    {
        let inner = &self.inner;
        let mut failures = 0;
        let mut after_stop = 0;
        let result = loop {
            match write().await {
                Ok(done) => break Some(done),
                Err(err) => {
                    if failures == 0 {
                        inner.stuck_outcomes.fetch_add(1, Ordering::SeqCst);
                    }
                    failures += 1;
                    let why = format!("could not {what}: {err}");
                    inner.status.fail(&why);
                    if stop.is_cancelled() {
                        after_stop += 1;
                        if after_stop > TRIES_AFTER_STOP {
                            tracing::error!(delivery = job.id, error = %why, "giving up at shutdown; the delivery stays in flight and reads unknown at the next start");
                            break None;
                        }
                    }
                    let wait = outcome::backoff(
                        failures,
                        Duration::from_millis(100),
                        rand::random::<f64>(),
                    )
                    .min(Duration::from_secs(5));
                    tracing::error!(delivery = job.id, error = %why, retry_in = ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        };
        if failures > 0 {
            inner.stuck_outcomes.fetch_sub(1, Ordering::SeqCst);
        }
        result
    }
}
