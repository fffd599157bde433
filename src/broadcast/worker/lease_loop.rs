//! Holding the sender lease: wait for it before sending, renew it while sending.

use super::Worker;
use crate::broadcast::status::SenderState;
use tokio_util::sync::CancellationToken;

impl Worker {
    /// Waits until this instance holds the lease; `false` if stopped first. Says
    /// in the status whether another instance sends or the lease cannot be read.
    pub(super) async fn wait_for_lease(&self, stop: &CancellationToken) -> bool {
        let lease = &self.inner.lease;
        let status = &self.inner.status;
        let mut said = false;
        loop {
            match lease.acquire_or_renew().await {
                Ok(true) => return true,
                Ok(false) => {
                    status.set(SenderState::Standby);
                    if !said {
                        tracing::info!("another instance is sending for this bot; standing by");
                        said = true;
                    }
                }
                Err(err) => {
                    let why = format!("could not check the sender lease: {err}");
                    tracing::warn!(error = %why, "retrying");
                    status.fail(&why);
                }
            }
            tokio::select! {
                () = stop.cancelled() => return false,
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
                    self.inner.status.set(SenderState::Standby);
                    tracing::error!("lost the sender lease to another instance; not claiming")
                }
                Err(err) => {
                    let why = format!("could not renew the sender lease: {err}");
                    tracing::warn!(error = %why, "retrying");
                    self.inner.status.fail(&why);
                }
            }
        }
    }
}
