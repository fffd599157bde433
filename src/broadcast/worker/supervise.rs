//! The sender never dies silently: [`Worker::run`] restarts the sender after any
//! error (a database outage at start-up, a failed recovery, a panic in the loop),
//! with backoff, saying in the sender status that it is not running and why, until
//! shutdown. Only a stop ends it. Each life runs the claim loop beside the lease
//! renewer and the progress reporter, and starts by recovering what was left in
//! flight.

use super::{Worker, nap, restart_backoff};
use crate::broadcast::progress::Progress;
use crate::broadcast::queue;
use crate::broadcast::status::SenderState;
use anyhow::Context;
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// A sender that ran this long before failing starts its backoff afresh.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

impl Worker {
    /// Runs until `stop` is cancelled: waits for the sender lease, recovers what was
    /// left in flight, then sends. On stop it claims nothing more, lets requests on
    /// the wire finish and records their outcome, and gives the lease up. An error
    /// never ends it: it is logged, shown, and the sender starts again.
    pub async fn run(self, stop: CancellationToken) -> anyhow::Result<()> {
        let status = &self.inner.status;
        let mut failures = 0;
        while !stop.is_cancelled() {
            let started = Instant::now();
            let why = match AssertUnwindSafe(self.serve(&stop)).catch_unwind().await {
                Ok(Ok(())) => break,
                Ok(Err(err)) => chain(&err),
                Err(panic) => format!("the sender panicked: {}", panic_text(&panic)),
            };
            if started.elapsed() >= HEALTHY_RUN {
                failures = 0;
            }
            failures += 1;
            let wait = restart_backoff(failures);
            status.fail(&why);
            tracing::error!(
                error = %crate::telemetry::redact(&why),
                retry_in = ?wait,
                "the broadcast sender failed; starting it again"
            );
            nap(&stop, wait).await;
        }
        status.set(SenderState::Stopped);
        tracing::info!("broadcast sender stopped");
        Ok(())
    }

    /// One life of the sender: lease, then the claim loop beside the lease renewer
    /// and the progress reporter. Returns `Ok` on stop, the error otherwise; the
    /// lease is given up either way, so another instance may take over.
    async fn serve(&self, stop: &CancellationToken) -> anyhow::Result<()> {
        let inner = &self.inner;
        if !self.wait_for_lease(stop).await {
            return Ok(());
        }
        tracing::info!(
            holder = inner.lease.holder(),
            "this instance is the broadcast sender"
        );
        // The lease renewer and the progress reporter run inside this task (not
        // spawned), so a sender that fails takes its lease renewals with it.
        let background = stop.child_token();
        let work = async {
            let result = self.claim_loop(stop).await;
            self.drain().await;
            background.cancel();
            result
        };
        let (result, (), ()) = tokio::join!(
            work,
            self.clone().renew_lease(background.clone()),
            report_progress(self.progress(), background.clone()),
        );
        inner.lease.release().await;
        result
    }

    /// Makes every delivery still in flight `unknown` (after waiting for this
    /// instance's own requests to be recorded) and tells the admins.
    pub(super) async fn recover(&self) -> anyhow::Result<()> {
        self.drain().await;
        let unknown = queue::recover_in_flight(&self.inner.db)
            .await
            .context("recovering deliveries left in flight")?;
        self.progress()
            .report_unknown(&unknown)
            .await
            .context("reporting deliveries left in flight")?;
        Ok(())
    }

    /// Waits until every claimed row of this instance has its outcome recorded.
    async fn drain(&self) {
        let all = u32::try_from(self.inner.config.in_flight).unwrap_or(u32::MAX);
        let _drained = self.inner.in_flight.acquire_many(all).await;
    }

    fn progress(&self) -> Progress {
        let inner = &self.inner;
        Progress::new(
            inner.db.clone(),
            inner.bot.clone(),
            inner.admin_ids.clone(),
            inner.config.progress_interval,
            inner.pacer.clone(),
        )
        .with_resend_offer(inner.resend.clone())
    }
}

/// Updates progress messages twice a second (each message is edited no more often
/// than its interval), and once more after the sender stops.
async fn report_progress(mut progress: Progress, stop: CancellationToken) {
    loop {
        if let Err(err) = progress.tick().await {
            tracing::warn!(error = %err, "updating broadcast progress failed");
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
    if let Err(err) = progress.tick().await {
        tracing::warn!(error = %err, "updating broadcast progress failed");
    }
}

/// An error and its causes on one line, each said once (sqlx repeats its source in
/// its own message).
fn chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}
