//! The milestone watcher: every `WATCH_INTERVAL` it reads each metric, stores the
//! reading, and decides and records in one transaction per metric ([`super::apply`]);
//! then it releases drafts whose time has come.
//!
//! [`Watcher::tick`] is one round at a given time, so tests drive the watcher step
//! by step; [`Watcher::run`] is the loop the app runs under its stop token. Counts
//! come through the small [`Counter`] trait: the sketch store in production, a fake
//! in tests.

pub use super::apply::{Applied, WatchError};
use super::apply::{decide_and_apply, retention};
pub use super::counter::{CountError, Counter, SketchCounter, WatchedMetric};
use super::detector::Reading;
use super::release::{HeldBecause, release_due};
use super::rule_check::RuleStoreError;
use super::settings::MilestonesConfig;
use crate::storage::Db;
use crate::storage::milestones::readings;
use crate::vocab::{AnnouncementId, MetricName};
use chrono::{DateTime, Utc};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// One metric's part of a tick.
#[derive(Debug)]
pub struct MetricTick {
    pub metric: MetricName,
    /// What was read and stored, if counting worked.
    pub reading: Option<Reading>,
    pub result: Result<Applied, WatchError>,
}

/// What one tick did.
#[derive(Debug, Default)]
pub struct TickOutcome {
    pub metrics: Vec<MetricTick>,
    /// Drafts queued because their release time passed.
    pub released: Vec<AnnouncementId>,
}

impl TickOutcome {
    /// What happened to `metric`, if it was watched and its round succeeded.
    pub fn applied(&self, metric: &str) -> Option<&Applied> {
        self.metrics
            .iter()
            .find(|m| m.metric.as_str() == metric)
            .and_then(|m| m.result.as_ref().ok())
    }

    /// The ids of the announcements this tick wrote.
    pub fn announcements(&self) -> Vec<AnnouncementId> {
        self.metrics
            .iter()
            .filter_map(|m| match &m.result {
                Ok(Applied::Announced {
                    announcement_id: Some(id),
                    ..
                }) => Some(*id),
                _ => None,
            })
            .collect()
    }
}

/// What admins are told about, as it happens (the durable list is
/// [`release::drafts`](super::release::drafts)).
#[derive(Debug, Clone, PartialEq)]
pub enum MilestoneEvent {
    /// Queued for broadcast at once.
    Announced {
        metric: MetricName,
        milestone: u64,
        announcement_id: AnnouncementId,
    },
    /// Written as a draft: waits for approval or `release_at`.
    Drafted {
        metric: MetricName,
        milestone: u64,
        announcement_id: AnnouncementId,
        release_at: Option<DateTime<Utc>>,
        held: HeldBecause,
    },
    /// A draft was queued because its release time passed.
    Released { announcement_id: AnnouncementId },
}

/// Reads metrics and records milestones. Cheap to share behind an `Arc`.
pub struct Watcher<C> {
    db: Db,
    counter: C,
    metrics: Vec<WatchedMetric>,
    config: MilestonesConfig,
    /// Subscribers (the admin notifier) hear of announcements and drafts.
    events: broadcast::Sender<MilestoneEvent>,
}

impl<C: Counter> Watcher<C> {
    pub fn new(db: Db, counter: C, metrics: Vec<WatchedMetric>, config: MilestonesConfig) -> Self {
        let (events, _) = broadcast::channel(64);
        Self {
            db,
            counter,
            metrics,
            config,
            events,
        }
    }

    /// Copies `MILESTONE_RULES` into the database for watched metrics seen for the
    /// first time. Call once before the first tick.
    pub async fn seed_rules(&self) -> Result<(), RuleStoreError> {
        let names: Vec<MetricName> = self.metrics.iter().map(|m| m.name.clone()).collect();
        super::rules_store::seed_defaults(&self.db, &names, &self.config.default_rules).await
    }

    /// Events from now on; a slow receiver misses old ones (`Lagged`), never blocks.
    pub fn subscribe(&self) -> broadcast::Receiver<MilestoneEvent> {
        self.events.subscribe()
    }

    /// One round at `now`: every metric, then due drafts (and drafts whose Send
    /// button expired are cancelled).
    pub async fn tick(&self, now: DateTime<Utc>) -> TickOutcome {
        let mut outcome = TickOutcome::default();
        for metric in &self.metrics {
            let tick = self.tick_metric(metric, now).await;
            match &tick.result {
                Ok(applied) => self.tell(metric, applied),
                Err(e) => {
                    tracing::error!(metric = %metric.name, error = %e, "milestone watch failed")
                }
            }
            outcome.metrics.push(tick);
        }
        match release_due(&self.db, now).await {
            Ok(released) => {
                for &announcement_id in &released {
                    tracing::info!(
                        announcement_id = announcement_id.get(),
                        "milestone draft released"
                    );
                    let _ = self
                        .events
                        .send(MilestoneEvent::Released { announcement_id });
                }
                outcome.released = released;
            }
            Err(e) => tracing::error!(error = %e, "releasing milestone drafts failed"),
        }
        match super::release::cancel_expired(&self.db, now).await {
            Ok(cancelled) => {
                for announcement_id in cancelled {
                    tracing::info!(
                        announcement_id = announcement_id.get(),
                        "draft cancelled: its Send button expired"
                    );
                }
            }
            Err(e) => tracing::error!(error = %e, "cancelling expired drafts failed"),
        }
        outcome
    }

    async fn tick_metric(&self, metric: &WatchedMetric, now: DateTime<Utc>) -> MetricTick {
        let reading = match self.read(metric, now).await {
            Ok(reading) => reading,
            Err(e) => {
                return MetricTick {
                    metric: metric.name.clone(),
                    reading: None,
                    result: Err(e),
                };
            }
        };
        MetricTick {
            metric: metric.name.clone(),
            reading: Some(reading),
            result: self.decide(metric, now).await,
        }
    }

    /// Counts the metric and stores the reading, pruning old ones.
    async fn read(
        &self,
        metric: &WatchedMetric,
        now: DateTime<Utc>,
    ) -> Result<Reading, WatchError> {
        let count = self.counter.count(&metric.name, now).await?;
        let reading = Reading {
            at: now,
            estimate: count.value,
            std_error: count.std_error,
        };
        crate::telemetry::metrics::set_estimate(
            metric.name.as_str(),
            reading.estimate,
            reading.std_error,
        );
        let mut conn = self.db.pool().acquire().await?;
        readings::insert(&mut conn, &metric.name, &reading).await?;
        let cutoff = now - retention(&self.config.detector);
        readings::prune(&mut conn, &metric.name, cutoff).await?;
        Ok(reading)
    }

    async fn decide(
        &self,
        metric: &WatchedMetric,
        now: DateTime<Utc>,
    ) -> Result<Applied, WatchError> {
        let mut tx = self.db.pool().begin().await?;
        let applied = decide_and_apply(
            &mut tx,
            metric,
            &self.config.detector,
            &self.config.release,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(applied)
    }

    fn tell(&self, metric: &WatchedMetric, applied: &Applied) {
        let event = match applied {
            Applied::Baseline { milestones } if !milestones.is_empty() => {
                tracing::info!(metric = %metric.name, count = milestones.len(), highest = milestones.last(), "milestones recorded as baseline");
                return;
            }
            Applied::Announced {
                milestone,
                announcement_id: Some(id),
                held,
                release_at,
                ..
            } => {
                tracing::info!(metric = %metric.name, milestone, announcement_id = id.get(), held = ?held, "milestone reached");
                match held {
                    None => MilestoneEvent::Announced {
                        metric: metric.name.clone(),
                        milestone: *milestone,
                        announcement_id: *id,
                    },
                    Some(held) => MilestoneEvent::Drafted {
                        metric: metric.name.clone(),
                        milestone: *milestone,
                        announcement_id: *id,
                        release_at: *release_at,
                        held: *held,
                    },
                }
            }
            _ => return,
        };
        let _ = self.events.send(event);
    }

    /// Ticks every `WATCH_INTERVAL` until `stop` is cancelled; a tick in progress
    /// finishes first (its transactions are short).
    pub async fn run(self, stop: CancellationToken) {
        let mut every = tokio::time::interval(self.config.watch_interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = every.tick() => {}
            }
            self.tick(Utc::now()).await;
        }
        tracing::info!("milestone watcher stopped");
    }
}
