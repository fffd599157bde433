//! Announcements: the one module that reads and writes the `announcements` table.
//!
//! The milestone watcher, the admin commands and the broadcast worker all meet here.
//! Creating an announcement writes one pending delivery per subscribed chat in the same
//! transaction (through [`super::deliveries`]), guarded by the unique `dedupe_key`, so
//! a restart, a retry or a second instance cannot create it twice.
//!
//! # Layout
//! - this file: what an announcement is, [`create`], and the admins' summaries.
//! - [`lifecycle`]: [`AnnouncementState`] and its transitions, one function each,
//!   the only writers of `state`.
//! - [`drafts`]: drafts and how each kind leaves that state.
//! - [`media`]: what is posted (texts, media, options) and the milestone card.

pub mod drafts;
pub mod lifecycle;
pub mod media;

pub use lifecycle::{
    AnnouncementState, Showing, Status, Transition, created_by, finish_if_drained, mark_withdrawn,
    release_due_drafts, reopen, start_queued, status, to_show, transition,
};
pub use media::{
    CardFacts, StoredContent, awaiting_card, card_facts, edit_text, has_media, is_thanks_only,
    leave_out_card, save_file_id, set_card, stored_content,
};

use super::deliveries::{self, DeliveryState, Step};
use super::milestones::metric_from_db;
use super::{Millis, StorageError};
use crate::vocab::{AnnouncementId, MediaKind, MetricName, UserId};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// What kind of post an announcement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnouncementKind {
    /// Fired by the milestone watcher.
    Milestone,
    /// Started by an admin for a chosen milestone.
    Manual,
    /// A thank-you note on its own.
    Thanks,
}

impl AnnouncementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementKind::Milestone => "milestone",
            AnnouncementKind::Manual => "manual",
            AnnouncementKind::Thanks => "thanks",
        }
    }
}

/// An announcement ready to be written: text already rendered and validated.
#[derive(Debug, Clone)]
pub struct NewAnnouncement {
    /// Unique per announcement, e.g. `milestone:mau:200000000`.
    pub dedupe_key: String,
    pub kind: AnnouncementKind,
    pub metric: Option<MetricName>,
    pub milestone: Option<u64>,
    pub state: AnnouncementState,
    pub announce_text: Option<String>,
    pub thanks_text: Option<String>,
    pub media_kind: Option<MediaKind>,
    pub media_ref: Option<String>,
    /// JSON options (silent, pin, link preview).
    pub options: String,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub release_at: Option<DateTime<Utc>>,
}

/// Writes the announcement and one pending delivery per subscribed chat. Returns
/// `None` (and writes nothing) when an announcement with this `dedupe_key` exists.
/// Run it inside the transaction that records the cause (the milestone row).
pub async fn create(
    conn: &mut AnyConnection,
    new: &NewAnnouncement,
) -> Result<Option<AnnouncementId>, StorageError> {
    let milestone = new
        .milestone
        .map(i64::try_from)
        .transpose()
        .map_err(|_| StorageError::Corrupt("milestone above i64".into()))?;
    let row = sqlx::query(
        "INSERT INTO announcements (dedupe_key, kind, metric, milestone, state, announce_text,
            thanks_text, media_kind, media_ref, options, created_by, created_at, release_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (dedupe_key) DO NOTHING
         RETURNING id",
    )
    .bind(new.dedupe_key.clone())
    .bind(new.kind.as_str())
    .bind(new.metric.as_ref().map(|m| m.as_str().to_owned()))
    .bind(milestone)
    .bind(new.state.as_str())
    .bind(new.announce_text.clone())
    .bind(new.thanks_text.clone())
    .bind(new.media_kind.map(MediaKind::as_str))
    .bind(new.media_ref.clone())
    .bind(new.options.clone())
    .bind(new.created_by)
    .bind(Millis::from(new.created_at))
    .bind(new.release_at.map(Millis::from))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: AnnouncementId = row.try_get("id")?;
    let first_step = if new.announce_text.is_some() {
        Step::Announce
    } else {
        Step::Thanks
    };
    deliveries::queue_for_subscribers(conn, id, first_step, new.created_at).await?;
    Ok(Some(id))
}

/// Deliveries of an announcement by state, named as stored, for tests.
pub async fn delivery_counts(
    conn: &mut AnyConnection,
    announcement_id: AnnouncementId,
) -> Result<Vec<(String, i64)>, StorageError> {
    Ok(deliveries::counts(conn, announcement_id)
        .await?
        .into_iter()
        .map(|(state, n)| (state.as_str().to_owned(), n))
        .collect())
}

/// How many chats an announcement will reach (its deliveries).
pub async fn delivery_count(
    conn: &mut AnyConnection,
    announcement_id: AnnouncementId,
) -> Result<i64, StorageError> {
    deliveries::count(conn, announcement_id).await
}

/// An announcement with its deliveries counted by state, for admins.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: AnnouncementId,
    pub kind: String,
    pub metric: Option<MetricName>,
    pub milestone: Option<i64>,
    pub state: AnnouncementState,
    pub created_at: DateTime<Utc>,
    /// Deliveries per state.
    pub tally: Vec<(DeliveryState, i64)>,
}

impl Summary {
    /// `sent 10 · skipped 1 · failed 0 · left 3`, the line admins read.
    pub fn tally_line(&self) -> String {
        let get = |s: DeliveryState| {
            self.tally
                .iter()
                .find(|(k, _)| *k == s)
                .map_or(0, |(_, n)| *n)
        };
        let left = get(DeliveryState::Pending) + get(DeliveryState::InFlight);
        let mut line = format!(
            "sent {} · skipped {} · failed {} · left {left}",
            get(DeliveryState::Sent),
            get(DeliveryState::Skipped),
            get(DeliveryState::Failed)
        );
        if get(DeliveryState::Unknown) > 0 {
            line.push_str(&format!(" · unknown {}", get(DeliveryState::Unknown)));
        }
        line
    }
}

async fn summaries(
    conn: &mut AnyConnection,
    rows: Vec<sqlx::any::AnyRow>,
) -> Result<Vec<Summary>, StorageError> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let id: AnnouncementId = row.try_get("id")?;
        out.push(Summary {
            id,
            kind: row.try_get("kind")?,
            metric: row
                .try_get::<Option<String>, _>("metric")?
                .map(metric_from_db)
                .transpose()?,
            milestone: row.try_get("milestone")?,
            state: AnnouncementState::parse(&row.try_get::<String, _>("state")?)?,
            created_at: Millis::to(row.try_get("created_at")?)?,
            tally: deliveries::counts(conn, id).await?,
        });
    }
    Ok(out)
}

/// The most recent announcements, newest first.
pub async fn recent(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Summary>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, kind, metric, milestone, state, created_at FROM announcements
         ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    summaries(conn, rows).await
}

/// Announcements being broadcast (queued, sending or paused).
pub async fn active(conn: &mut AnyConnection) -> Result<Vec<Summary>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, kind, metric, milestone, state, created_at FROM announcements
         WHERE state IN ('queued', 'sending', 'paused') ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    summaries(conn, rows).await
}
