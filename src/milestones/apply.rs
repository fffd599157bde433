//! One metric's decision, made and recorded in one transaction: take the metric's
//! lock, read what is recorded, run the pure detector, and write the outcome (the
//! milestone rows, and for a firing the announcement with its deliveries). Two
//! watchers on one database decide a metric one after the other, and the second
//! sees what the first recorded; the unique keys on `milestones_reached` and the
//! announcement's `dedupe_key` are the backstop.

use super::counter::{CountError, WatchedMetric};
use super::detector::{Decision, DetectorConfig, Reading, decide};
use super::release::HeldBecause;
use super::release::{Release, release_for};
use super::rule_check::RuleStoreError;
use super::settings::{ReleaseSettings, effective};
use super::state;
use super::template::TemplateContext;
use super::template::vars::MAX_METRIC_LABEL_LEN;
use super::texts::compose;
use crate::storage::StorageError;
use crate::storage::announcements::{self, AnnouncementKind, AnnouncementState, NewAnnouncement};
use crate::storage::milestones::reached::{self, Reached, Reason};
use crate::storage::milestones::{metrics, readings};
use crate::vocab::{AnnouncementId, MetricName};
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

/// What the watcher did for one metric.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// No milestone is due (or nothing has been counted yet).
    Nothing,
    /// `milestone` is cleared but not yet for the hold time.
    Pending {
        milestone: u64,
        clears_at: DateTime<Utc>,
    },
    /// The metric's first reading: these milestones were newly recorded as already
    /// passed; nothing is announced.
    Baseline { milestones: Vec<u64> },
    /// `milestone` fired: recorded, with its announcement (queued or draft).
    Announced {
        milestone: u64,
        skipped: Vec<u64>,
        /// `None` only if an announcement with the same dedupe key already existed.
        announcement_id: Option<AnnouncementId>,
        state: AnnouncementState,
        release_at: Option<DateTime<Utc>>,
        held: Option<HeldBecause>,
    },
    /// Another instance recorded `milestone` first; nothing was written.
    AlreadyRecorded { milestone: u64 },
}

/// Why one metric's round failed; the others go on.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The sketch store could not count.
    #[error("counting failed: {0}")]
    Count(#[from] CountError),
    /// The metric's rules could not be read.
    #[error(transparent)]
    Rules(#[from] RuleStoreError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The metric's row disappeared inside the transaction that created it.
    #[error("the milestone state of {0} vanished")]
    Vanished(String),
}

impl From<sqlx::Error> for WatchError {
    fn from(e: sqlx::Error) -> Self {
        WatchError::Storage(e.into())
    }
}

/// The dedupe key of a milestone's announcement.
pub fn dedupe_key(metric: &MetricName, milestone: u64) -> String {
    format!("milestone:{metric}:{milestone}")
}

/// Decides for `metric` at `now` and records the outcome, inside the caller's
/// transaction (which the caller commits).
pub(super) async fn decide_and_apply(
    conn: &mut AnyConnection,
    metric: &WatchedMetric,
    detector: &DetectorConfig,
    release: &ReleaseSettings,
    now: DateTime<Utc>,
) -> Result<Applied, WatchError> {
    let name = &metric.name;
    metrics::ensure(conn, name, now).await?;
    metrics::lock(conn, name, now).await?;
    let row = metrics::get(conn, name)
        .await?
        .ok_or_else(|| WatchError::Vanished(name.to_string()))?;
    let state = state::load(conn, name).await?;
    let recent = readings::since_cutoff(conn, name, now - detector.hold()).await?;
    let Some(newest) = recent.last().copied() else {
        return Ok(Applied::Nothing);
    };
    match decide(detector, &state.rules, &state.history(&recent), now) {
        Decision::Nothing => Ok(Applied::Nothing),
        Decision::Pending {
            milestone,
            clears_at,
        } => Ok(Applied::Pending {
            milestone,
            clears_at,
        }),
        Decision::Baseline { bound, reached } => {
            let mut recorded = Vec::new();
            for milestone in reached {
                let row = reached_row(name, milestone, Reason::Baseline, &newest, now);
                if reached::insert(conn, &row).await? {
                    recorded.push(milestone);
                }
            }
            metrics::raise_baseline(conn, name, bound).await?;
            Ok(Applied::Baseline {
                milestones: recorded,
            })
        }
        Decision::Fire { milestone, skipped } => {
            let settings = effective(Some(&row), release);
            fire(conn, metric, milestone, &skipped, &newest, &settings, now).await
        }
    }
}

/// A milestone's row, decided by `reading`.
pub(super) fn reached_row(
    metric: &MetricName,
    milestone: u64,
    reason: Reason,
    reading: &Reading,
    now: DateTime<Utc>,
) -> Reached {
    Reached {
        metric: metric.clone(),
        milestone,
        reason,
        reached_at: now,
        estimate: reading.estimate,
        std_error: reading.std_error,
        announcement_id: None,
    }
}

/// Records `milestone` as announced and `skipped` as passed over, and writes the
/// announcement with one pending delivery per subscribed chat.
async fn fire(
    conn: &mut AnyConnection,
    metric: &WatchedMetric,
    milestone: u64,
    skipped: &[u64],
    newest: &Reading,
    settings: &ReleaseSettings,
    now: DateTime<Utc>,
) -> Result<Applied, WatchError> {
    let name = &metric.name;
    let previous = reached::last_announced(conn, name).await?;
    let row = reached_row(name, milestone, Reason::Announced, newest, now);
    if !reached::insert(conn, &row).await? {
        return Ok(Applied::AlreadyRecorded { milestone });
    }
    for &m in skipped {
        reached::insert(conn, &reached_row(name, m, Reason::Skipped, newest, now)).await?;
    }
    let ctx = TemplateContext {
        milestone,
        metric: name.clone(),
        metric_label: metric.label.chars().take(MAX_METRIC_LABEL_LEN).collect(),
        count: newest.estimate.max(milestone),
        date: now.date_naive(),
        days_since_previous: previous
            .as_ref()
            .map(|p| (now.date_naive() - p.reached_at.date_naive()).num_days()),
    };
    let posts = compose(conn, &ctx).await?;
    let Release {
        state,
        release_at,
        held,
    } = release_for(settings, previous.as_ref().map(|p| p.reached_at), now);
    let new = NewAnnouncement {
        dedupe_key: dedupe_key(name, milestone),
        kind: AnnouncementKind::Milestone,
        metric: Some(name.clone()),
        milestone: Some(milestone),
        state,
        announce_text: Some(posts.announce),
        thanks_text: Some(posts.thanks),
        media_kind: posts.media.as_ref().map(|m| m.kind),
        media_ref: posts.media.map(|m| m.reference),
        options: "{}".to_owned(),
        created_by: None,
        created_at: now,
        release_at,
    };
    let announcement_id = announcements::create(conn, &new).await?;
    match announcement_id {
        Some(id) => reached::set_announcement(conn, name, milestone, id).await?,
        None => tracing::warn!(
            metric = name.as_str(),
            milestone,
            "an announcement with this milestone's key already exists; recorded without a new one"
        ),
    }
    Ok(Applied::Announced {
        milestone,
        skipped: skipped.to_vec(),
        announcement_id,
        state,
        release_at,
        held,
    })
}

/// How far back readings are kept: the growth window, the hold and the status
/// chart's history, with a day to spare. Older ones are pruned (the newest before
/// the cutoff stays).
pub fn retention(detector: &DetectorConfig) -> Duration {
    super::status::GROWTH_WINDOW
        .max(detector.hold())
        .max(super::status::HISTORY_WINDOW)
        + Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_kept_as_long_as_the_status_chart_shows_them() {
        let kept = retention(&DetectorConfig::default());
        assert!(kept > super::super::status::HISTORY_WINDOW, "{kept}");
    }
}
