//! Growing the demo metric: made-up user ids go into today's sketch through the
//! bot's own store, in steps, and after each step the demo waits for the watcher
//! to read the new count, as it would in production.

use crate::milestones::detector::Reading;
use crate::sketch::{MetricName, SketchStore, SketchStoreKind};
use crate::storage::Db;
use crate::storage::milestones::reached::{self, Reached, Reason};
use crate::storage::milestones::readings;
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;

/// One step of growth: the distinct users today after it, and what it shows.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub users: u64,
    pub shows: &'static str,
}

/// The service's past activity, imported before the bot starts and recorded as a
/// baseline (`milestone-bot baseline`): 1K, 2K and 5K are behind it, not news.
pub const HISTORY: Step = Step {
    users: 6_000,
    shows: "the service already passed 1K, 2K and 5K before the bot was installed",
};

/// After the history: a count close to 10K that does not yet clear it by the
/// confidence margin, then one that does. The estimates of these ids are far
/// enough (4σ and more) from the firing line that the story is the same on every
/// run.
pub const STEPS: [Step; 2] = [
    Step {
        users: 9_800,
        shows: "close to 10K, but not clear of it by 2 standard errors: no announcement",
    },
    Step {
        users: 10_600,
        shows: "clear of 10K by more than 2 standard errors: the milestone fires",
    },
];

/// `demo-user-000042`: generated, never anyone's real id.
pub fn user_id(n: u64) -> String {
    format!("demo-user-{n:06}")
}

/// Adds users `from..to` to today's sketch of `metric`.
pub async fn record(
    store: &SketchStoreKind,
    metric: &MetricName,
    from: u64,
    to: u64,
) -> anyhow::Result<()> {
    let ids: Vec<String> = (from..to).map(user_id).collect();
    store
        .add(metric, Utc::now().date_naive(), &ids)
        .await
        .context("recording the demo ids")?;
    Ok(())
}

/// Waits for the first watcher reading taken after `after`: it counted every id
/// recorded before then.
pub async fn next_reading(
    db: &Db,
    metric: &MetricName,
    after: DateTime<Utc>,
    deadline: Duration,
) -> anyhow::Result<Reading> {
    poll(deadline, "a reading of the metric", || async {
        let mut conn = db.pool().acquire().await?;
        Ok(readings::since(&mut conn, metric, after)
            .await?
            .first()
            .copied())
    })
    .await
}

/// Waits until the watcher has recorded milestones of `metric` for `reason`.
pub async fn reached(
    db: &Db,
    metric: &MetricName,
    reason: Reason,
    deadline: Duration,
) -> anyhow::Result<Vec<Reached>> {
    poll(deadline, "the milestones to be recorded", || async {
        let mut conn = db.pool().acquire().await?;
        let all = reached::list(&mut conn, metric).await?;
        let these: Vec<Reached> = all.into_iter().filter(|r| r.reason == reason).collect();
        Ok((!these.is_empty()).then_some(these))
    })
    .await
}

/// Asks `check` every 50 ms until it has an answer; an error after `deadline`.
async fn poll<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let end = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(found) = check().await? {
            return Ok(found);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < end,
            "waited {deadline:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_user_ids_are_distinct_and_plainly_made_up() {
        assert_eq!(user_id(42), "demo-user-000042");
        assert_ne!(user_id(1), user_id(10));
    }

    #[test]
    fn the_steps_grow_from_the_history_and_only_the_last_passes_ten_thousand() {
        assert!(HISTORY.users < STEPS[0].users);
        assert!(STEPS.windows(2).all(|w| w[0].users < w[1].users));
        assert!(STEPS[0].users < 10_000);
        assert!(STEPS[1].users > 10_000);
    }
}
