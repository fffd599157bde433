//! The pure milestone detector: given the readings of one metric and what was
//! already recorded, decide whether a milestone fires now.
//!
//! # Guarantees
//! - **Confidence.** A milestone `M` fires only when the lower bound
//!   `estimate − k·std_error` of the readings is at least `M`. If every estimate is
//!   within `k − 1` standard errors of the true count (with the default `k = 2`:
//!   within one, which HyperLogLog honours about 68% of the time per reading and
//!   the sketch's bias never approaches), a firing implies the true count is above
//!   `M`, and no later reading can put the count confidently back below `M`.
//! - **Hold.** With `hold > 0`, the lower bound must have stayed at or above `M`
//!   at every reading since one taken at or before `now − hold`.
//! - **Highest only, never backwards.** Of several milestones cleared at once the
//!   highest fires and the others are reported as skipped; a milestone at or below
//!   the highest announced (by the watcher or by hand) or skipped never fires.
//! - **Baseline.** The first decision for a metric (`baseline == None`), whatever
//!   its reading, zero included, records every milestone the lower bound has passed
//!   as already reached and fires nothing: the bot does not announce the past when
//!   it is installed, and announces every crossing after that.
//!
//! # Rule changes
//! A rule added later has its own baseline (see [`live`](super::live)): only its
//! milestones already passed when it was added are out. Rules never re-baseline the
//! metric, so a milestone another rule was about to fire (cleared but held, or just
//! short of the confidence margin) still fires.

use chrono::{DateTime, Duration, Utc};

use super::live::{ActiveRule, Live};
use super::rules::{Rule, milestones_in};

/// A reading is stored as it is read; the detector adds what it proves.
pub use crate::storage::milestones::readings::Reading;

/// What a reading proves, with `k` standard errors of confidence.
impl Reading {
    /// `estimate − k·std_error`, at least 0. A reading whose error is not a finite,
    /// non-negative number proves nothing and gets 0.
    fn lower_bound(&self, k: f64) -> f64 {
        if !(self.std_error.is_finite() && self.std_error >= 0.0) {
            return 0.0;
        }
        (self.estimate as f64 - k * self.std_error).max(0.0)
    }

    /// The highest count this reading proves was passed: the lower bound, in whole
    /// ids. Every milestone at or below it is "already passed" for a baseline.
    pub fn proven(&self, k: f64) -> u64 {
        // `as` saturates, and floor() keeps the comparison M ≤ bound exact.
        self.lower_bound(k).floor() as u64
    }
}

/// How sure the detector must be before a milestone fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorConfig {
    /// Standard errors the estimate must clear a milestone by.
    confidence_k: f64,
    /// How long the lower bound must stay above a milestone before it fires.
    hold: Duration,
}

/// Why a [`DetectorConfig`] was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DetectorConfigError {
    /// `k` must be a finite number ≥ 0 (0 trusts the raw estimate).
    #[error("the confidence multiple must be a number of standard errors ≥ 0, got {0}")]
    BadConfidence(f64),
    /// A negative hold has no meaning.
    #[error("the hold time must not be negative")]
    NegativeHold,
}

impl DetectorConfig {
    /// Validates `confidence_k` (finite, ≥ 0) and `hold` (≥ 0).
    pub fn new(confidence_k: f64, hold: Duration) -> Result<Self, DetectorConfigError> {
        if !(confidence_k.is_finite() && confidence_k >= 0.0) {
            return Err(DetectorConfigError::BadConfidence(confidence_k));
        }
        if hold < Duration::zero() {
            return Err(DetectorConfigError::NegativeHold);
        }
        Ok(Self { confidence_k, hold })
    }

    pub fn confidence_k(&self) -> f64 {
        self.confidence_k
    }

    pub fn hold(&self) -> Duration {
        self.hold
    }
}

/// Two standard errors (about 97.7% one-sided), no hold.
impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            confidence_k: 2.0,
            hold: Duration::zero(),
        }
    }
}

/// What the watcher knows about a metric before deciding.
#[derive(Debug, Clone, Copy)]
pub struct MetricHistory<'a> {
    /// The metric's baseline: milestones at or below it were passed before the bot
    /// watched. `None` until the first decision recorded it.
    pub baseline: Option<u64>,
    /// The highest milestone announced (by the watcher or by hand) or skipped.
    pub highest_announced: Option<u64>,
    /// Milestones recorded above both (a rule's baseline): they never fire.
    pub recorded: &'a [u64],
    /// Readings ordered by time, newest last, reaching back at least `hold` before
    /// `now` (with one reading at or before `now − hold`), or a milestone cannot
    /// clear the hold.
    pub recent: &'a [Reading],
}

impl MetricHistory<'_> {
    /// Nothing at or below it fires.
    pub fn floor(&self) -> u64 {
        self.baseline
            .unwrap_or(0)
            .max(self.highest_announced.unwrap_or(0))
    }
}

/// What the watcher should record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to record.
    Nothing,
    /// First decision: the metric's baseline is `bound` (the lower bound of its
    /// first reading); `reached` are the milestones passed before the bot watched
    /// (at most [`LIST_CAP`](super::rules::LIST_CAP), the highest). Record, never
    /// announce.
    Baseline { bound: u64, reached: Vec<u64> },
    /// Announce `milestone`; record `skipped` (cleared at the same time, lower,
    /// at most [`LIST_CAP`](super::rules::LIST_CAP) listed) as passed over.
    Fire { milestone: u64, skipped: Vec<u64> },
    /// `milestone` is cleared with confidence but not yet for the hold time; it
    /// fires at `clears_at` if the lower bound stays above it. For status only.
    Pending {
        milestone: u64,
        clears_at: DateTime<Utc>,
    },
}

/// Decides, for one metric, what happened by `now`. Pure: same inputs, same answer.
pub fn decide(
    cfg: &DetectorConfig,
    rules: &[ActiveRule],
    history: &MetricHistory,
    now: DateTime<Utc>,
) -> Decision {
    let Some(newest) = history.recent.last() else {
        return Decision::Nothing;
    };
    if history.baseline.is_none() {
        let bound = newest.proven(cfg.confidence_k);
        let plain: Vec<Rule> = rules.iter().map(|r| r.rule).collect();
        return Decision::Baseline {
            bound,
            reached: milestones_in(&plain, 0, bound),
        };
    }
    let live = Live {
        rules,
        floor: history.floor(),
        recorded: history.recorded,
    };
    let bounds: Vec<f64> = history
        .recent
        .iter()
        .map(|r| r.lower_bound(cfg.confidence_k))
        .collect();
    let held = history
        .recent
        .iter()
        .rposition(|r| r.at <= now - cfg.hold)
        .map(|start| {
            bounds[start..]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
        });
    // `as` saturates, and floor() keeps the comparison M ≤ bound exact.
    if let Some(milestone) = held.and_then(|b| live.highest_at_or_below(b.floor() as u64)) {
        return Decision::Fire {
            milestone,
            skipped: live.in_range(live.floor, milestone - 1),
        };
    }
    pending(cfg, &live, history.recent, &bounds)
}

/// The milestone the newest reading clears, and when its streak will have held.
fn pending(cfg: &DetectorConfig, live: &Live, readings: &[Reading], bounds: &[f64]) -> Decision {
    let newest = bounds.last().copied().unwrap_or(0.0);
    let Some(milestone) = live.highest_at_or_below(newest.floor() as u64) else {
        return Decision::Nothing;
    };
    let streak_start = bounds
        .iter()
        .rposition(|&b| b < milestone as f64)
        .map_or(0, |i| i + 1);
    Decision::Pending {
        milestone,
        clears_at: readings[streak_start].at + cfg.hold,
    }
}

/// Growth in ids per day: the least-squares slope of the estimates over the
/// readings within `window` of the newest. `None` with fewer than two readings at
/// distinct times.
pub fn growth_per_day(readings: &[Reading], window: Duration) -> Option<f64> {
    fit(readings, window).map(|line| line.slope)
}

/// When the fitted trend reaches `milestone`, or `None` when the count is flat or
/// shrinking (or the date is beyond what a date can hold). A milestone the trend
/// already reached gives the newest reading's time.
pub fn expected_date(
    readings: &[Reading],
    window: Duration,
    milestone: u64,
) -> Option<DateTime<Utc>> {
    let line = fit(readings, window).filter(|line| line.slope > 0.0)?;
    let days = ((milestone as f64 - line.value_at_newest) / line.slope).max(0.0);
    let seconds = days * 86_400.0;
    if !seconds.is_finite() || seconds > 1e15 {
        return None;
    }
    line.newest_at
        .checked_add_signed(Duration::try_seconds(seconds.ceil() as i64)?)
}

struct Line {
    /// Ids per day.
    slope: f64,
    /// The fitted count at the newest reading's time (less noisy than its estimate).
    value_at_newest: f64,
    newest_at: DateTime<Utc>,
}

fn fit(readings: &[Reading], window: Duration) -> Option<Line> {
    let newest_at = readings.last()?.at;
    let points: Vec<(f64, f64)> = readings
        .iter()
        .filter(|r| r.at >= newest_at - window && r.at <= newest_at)
        .map(|r| {
            let days = (r.at - newest_at).num_milliseconds() as f64 / 86_400_000.0;
            (days, r.estimate as f64)
        })
        .collect();
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    if points.len() < 2 || sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some(Line {
        slope,
        value_at_newest: mean_y - slope * mean_x,
        newest_at,
    })
}

#[cfg(test)]
mod tests;
