//! Announcements admins write by hand (`/milestone announce`, `/milestone thanks`)
//! and release with their Send button.
//!
//! A milestone announced by hand is recorded as reached (`manual`, linked to its
//! announcement) in the transaction that queues it, under the metric's lock: the
//! watcher never announces it again, nor any lower milestone after it. Announcing
//! again what was already announced is allowed, but only after the admin was shown
//! the earlier announcement ([`earlier`]); if one appears between the question and
//! the Send, the draft is cancelled instead.

use super::detector::Reading;
use crate::storage::announcements::drafts;
use crate::storage::milestones::reached::{self, Reached, Reason};
use crate::storage::milestones::{metrics, readings};
use crate::storage::{Db, StorageError};
use crate::vocab::{AnnouncementId, ChatId, MetricName, UserId};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

/// An earlier announcement of a milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    pub announcement_id: AnnouncementId,
    /// When the milestone was recorded with it.
    pub at: DateTime<Utc>,
}

/// The announcement `milestone` of `metric` already had (by the watcher or by
/// hand), if any.
pub async fn earlier(
    db: &Db,
    metric: &MetricName,
    milestone: u64,
) -> Result<Option<Earlier>, StorageError> {
    let mut conn = db.pool().acquire().await?;
    Ok(announced(&mut conn, metric, milestone)
        .await?
        .map(|(e, _)| e))
}

async fn announced(
    conn: &mut AnyConnection,
    metric: &MetricName,
    milestone: u64,
) -> Result<Option<(Earlier, Reached)>, StorageError> {
    Ok(reached::get(conn, metric, milestone).await?.and_then(|r| {
        r.announcement_id.map(|announcement_id| {
            (
                Earlier {
                    announcement_id,
                    at: r.reached_at,
                },
                r,
            )
        })
    }))
}

/// What a Send on a hand-written draft did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Released {
    /// Queued (and, for a milestone, recorded as reached).
    Queued,
    /// It was no draft any more (cancelled, expired, already sent): nothing changed.
    NotADraft,
    /// The milestone was announced after the admin was asked: the draft is
    /// cancelled, nothing is sent.
    AnnouncedMeanwhile(Earlier),
}

/// Releases the draft `id` on its Send. `acknowledged` is the earlier announcement
/// the admin was shown when asked, if any.
pub async fn release(
    db: &Db,
    id: AnnouncementId,
    admin: UserId,
    progress_chat: ChatId,
    acknowledged: Option<AnnouncementId>,
    now: DateTime<Utc>,
) -> Result<Released, StorageError> {
    let mut tx = db.begin_write().await?;
    let Some(info) = drafts::info(&mut tx, id).await? else {
        return Ok(Released::NotADraft);
    };
    if let (Some(metric), Some(milestone)) = (&info.metric, info.milestone) {
        metrics::ensure(&mut tx, metric, now).await?;
        metrics::lock(&mut tx, metric, now).await?;
        if let Some((earlier, _)) = announced(&mut tx, metric, milestone).await?
            && Some(earlier.announcement_id) != acknowledged
            && earlier.announcement_id != id
        {
            drafts::cancel(&mut tx, id, now).await?;
            tx.commit().await?;
            return Ok(Released::AnnouncedMeanwhile(earlier));
        }
    }
    if !drafts::release_confirmed(&mut tx, id, admin, progress_chat, now).await? {
        return Ok(Released::NotADraft);
    }
    if let (Some(metric), Some(milestone)) = (&info.metric, info.milestone) {
        record(&mut tx, metric, milestone, id, now).await?;
    }
    tx.commit().await?;
    Ok(Released::Queued)
}

/// Records `milestone` as announced by hand with announcement `id`: a new row, or a
/// baseline/skipped row that had no announcement; a row with one stays as it is.
async fn record(
    conn: &mut AnyConnection,
    metric: &MetricName,
    milestone: u64,
    id: AnnouncementId,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let latest = readings::latest(conn, metric).await?.unwrap_or(Reading {
        at: now,
        estimate: 0,
        std_error: 0.0,
    });
    let row = Reached {
        metric: metric.clone(),
        milestone,
        reason: Reason::Manual,
        reached_at: now,
        estimate: latest.estimate,
        std_error: latest.std_error,
        announcement_id: Some(id),
    };
    if !reached::insert(conn, &row).await? {
        reached::mark_manual(conn, metric, milestone, id).await?;
    }
    tracing::info!(
        metric = metric.as_str(),
        milestone,
        announcement_id = id.get(),
        "milestone announced by hand"
    );
    Ok(())
}
