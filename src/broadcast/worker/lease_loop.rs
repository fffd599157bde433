//! Holding the sender lease: wait for it before sending, renew it while sending.

use super::Worker;
use tokio_util::sync::CancellationToken;

impl Worker {
    /// Waits until this instance holds the lease; `false` if stopped first.
    pub(super) async fn wait_for_lease(&self, stop: &CancellationToken) -> anyhow::Result<bool> {
        let lease = &self.inner.lease;
        let mut said = false;
        loop {
            match lease.acquire_or_renew().await {
                Ok(true) => return Ok(true),
                Ok(false) if !said => {
                    tracing::info!("another instance is sending for this bot; standing by");
                    said = true;
                }
                Ok(false) => {}
                Err(err) => tracing::warn!(error = %err, "could not check the sender lease"),
            }
            tokio::select! {
                () = stop.cancelled() => return Ok(false),
                () = tokio::time::sleep(lease.renew_every()) => {}
            }
        }
    }

    pub(super) async fn renew_lease(self, stop: CancellationToken) {
        let lease = &self.inner.lease;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(lease.renew_every()) => {}
            }
            match lease.acquire_or_renew().await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::error!("lost the sender lease to another instance; not claiming")
                }
                Err(err) => tracing::warn!(error = %err, "could not renew the sender lease"),
            }
        }
    }
}
