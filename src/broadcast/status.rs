//! Whether this instance's broadcast sender is running, and if not, why: shared by
//! the sender (which sets it) with `GET /health` and `/milestone status` (which show
//! it), so a sender in trouble is never silent.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::{Arc, Mutex};

/// What the sender is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderState {
    /// Not started yet.
    Starting,
    /// `BROADCAST_WORKER=false`: this instance never sends.
    Disabled,
    /// Another instance holds the sender lease and sends; this one stands by.
    Standby,
    /// This instance is the sender.
    Running,
    /// Not sending because of an error; the sender retries with backoff.
    Failing,
    /// Shut down.
    Stopped,
}

/// A snapshot of the sender's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderReport {
    pub state: SenderState,
    /// Whether deliveries are going out from this instance.
    pub running: bool,
    /// What went wrong, when failing (secrets scrubbed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Since when the sender is in this state.
    pub since: DateTime<Utc>,
}

impl SenderReport {
    /// One line for admins.
    pub fn describe(&self) -> String {
        match (&self.state, &self.error) {
            (SenderState::Running, _) => "running".into(),
            (SenderState::Starting, _) => "starting".into(),
            (SenderState::Disabled, _) => {
                "not running on this instance (BROADCAST_WORKER=false)".into()
            }
            (SenderState::Standby, _) => {
                "standing by: another instance holds the sender lease".into()
            }
            (SenderState::Stopped, _) => "stopped".into(),
            (SenderState::Failing, error) => format!(
                "NOT RUNNING since {}: {} (retrying)",
                self.since.format("%Y-%m-%d %H:%M:%S UTC"),
                error.as_deref().unwrap_or("unknown error")
            ),
        }
    }
}

/// The shared handle; cheap to clone.
#[derive(Debug, Clone)]
pub struct SenderStatus {
    inner: Arc<Mutex<SenderReport>>,
}

impl Default for SenderStatus {
    fn default() -> Self {
        Self::new()
    }
}

impl SenderStatus {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Mutex::new(SenderReport {
                state: SenderState::Starting,
                running: false,
                error: None,
                since: Utc::now(),
            })),
        }
    }

    pub fn get(&self) -> SenderReport {
        self.inner.lock().expect("not poisoned").clone()
    }

    /// Moves to `state` (keeping `since` when nothing changes).
    pub fn set(&self, state: SenderState) {
        self.update(state, None);
    }

    /// The sender cannot work: says why (scrubbed of secrets), until it recovers.
    pub fn fail(&self, error: &str) {
        let error = crate::telemetry::redact(error);
        self.update(SenderState::Failing, Some(error));
    }

    fn update(&self, state: SenderState, error: Option<String>) {
        let mut report = self.inner.lock().expect("not poisoned");
        if report.state != state {
            report.since = Utc::now();
        }
        report.running = state == SenderState::Running;
        crate::telemetry::metrics::set_leader("sender", report.running);
        report.state = state;
        report.error = error;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_sender_says_it_is_not_running_and_why_until_it_recovers() {
        let status = SenderStatus::new();
        status.set(SenderState::Running);
        assert!(status.get().running);
        status.fail("database error: no such table: deliveries");
        let report = status.get();
        assert!(!report.running);
        assert!(
            report.describe().starts_with("NOT RUNNING since"),
            "{}",
            report.describe()
        );
        assert!(report.describe().contains("no such table"));
        let since = report.since;
        status.fail("database error: still broken");
        assert_eq!(status.get().since, since, "failing since the first error");
        status.set(SenderState::Running);
        assert_eq!(status.get().error, None);
        assert_eq!(status.get().describe(), "running");
    }
}
