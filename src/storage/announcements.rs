//! Announcements and their deliveries: created together, in the caller's transaction.
//!
//! The milestone watcher, the admin commands and the broadcast worker all meet here.
//! Creating an announcement writes one pending delivery per subscribed chat in the same
//! transaction, guarded by the unique `dedupe_key`, so a restart, a retry or a second
//! instance cannot create it twice.

use super::{Millis, StorageError};
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

/// The lifecycle of an announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnouncementState {
    /// Not sent yet: held by the milestone watcher (an admin's approval, or its
    /// `release_at`), or written for a Send / Cancel confirmation (its Send only).
    Draft,
    /// Deliveries may be sent.
    Queued,
    Sending,
    Paused,
    Done,
    Cancelled,
}

impl AnnouncementState {
    pub fn as_str(self) -> &'static str {
        match self {
            AnnouncementState::Draft => "draft",
            AnnouncementState::Queued => "queued",
            AnnouncementState::Sending => "sending",
            AnnouncementState::Paused => "paused",
            AnnouncementState::Done => "done",
            AnnouncementState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, StorageError> {
        Ok(match s {
            "draft" => Self::Draft,
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "paused" => Self::Paused,
            "done" => Self::Done,
            "cancelled" => Self::Cancelled,
            other => {
                return Err(StorageError::Corrupt(format!(
                    "announcement state {other:?}"
                )));
            }
        })
    }
}

/// An announcement ready to be written: text already rendered and validated.
#[derive(Debug, Clone)]
pub struct NewAnnouncement {
    /// Unique per announcement, e.g. `milestone:mau:200000000`.
    pub dedupe_key: String,
    pub kind: AnnouncementKind,
    pub metric: Option<String>,
    pub milestone: Option<u64>,
    pub state: AnnouncementState,
    pub announce_text: Option<String>,
    pub thanks_text: Option<String>,
    pub media_kind: Option<String>,
    pub media_ref: Option<String>,
    /// JSON options (silent, pin, link preview).
    pub options: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub release_at: Option<DateTime<Utc>>,
}

/// Writes the announcement and one pending delivery per subscribed chat. Returns
/// `None` (and writes nothing) when an announcement with this `dedupe_key` exists.
/// Run it inside the transaction that records the cause (the milestone row).
pub async fn create(
    conn: &mut AnyConnection,
    new: &NewAnnouncement,
) -> Result<Option<i64>, StorageError> {
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
    .bind(new.metric.clone())
    .bind(milestone)
    .bind(new.state.as_str())
    .bind(new.announce_text.clone())
    .bind(new.thanks_text.clone())
    .bind(new.media_kind.clone())
    .bind(new.media_ref.clone())
    .bind(new.options.clone())
    .bind(new.created_by)
    .bind(Millis::from(new.created_at))
    .bind(new.release_at.map(Millis::from))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get("id")?;
    let first_step = if new.announce_text.is_some() {
        "announce"
    } else {
        "thanks"
    };
    sqlx::query(
        "INSERT INTO deliveries (announcement_id, chat_id, state, step, next_attempt_at, updated_at)
         SELECT $1, id, 'pending', $2, $3, $3 FROM chats WHERE subscribed = 1",
    )
    .bind(id)
    .bind(first_step)
    .bind(Millis::from(new.created_at))
    .execute(&mut *conn)
    .await?;
    Ok(Some(id))
}

/// Deliveries of an announcement by state, for progress and tests.
pub async fn delivery_counts(
    conn: &mut AnyConnection,
    announcement_id: i64,
) -> Result<Vec<(String, i64)>, StorageError> {
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n FROM deliveries WHERE announcement_id = $1 GROUP BY state ORDER BY state",
    )
    .bind(announcement_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("state")?, r.try_get("n")?)))
        .collect()
}

/// How many chats an announcement will reach (its deliveries).
pub async fn delivery_count(
    conn: &mut AnyConnection,
    announcement_id: i64,
) -> Result<i64, StorageError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE announcement_id = $1")
        .bind(announcement_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// An announcement with its deliveries counted by state, for admins.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub id: i64,
    pub kind: String,
    pub metric: Option<String>,
    pub milestone: Option<i64>,
    pub state: String,
    pub created_at: DateTime<Utc>,
    /// Deliveries per state (`pending`, `sent`, `failed`, …).
    pub tally: Vec<(String, i64)>,
}

impl Summary {
    /// `sent 10 · skipped 1 · failed 0 · left 3`, the line admins read.
    pub fn tally_line(&self) -> String {
        let get = |s: &str| {
            self.tally
                .iter()
                .find(|(k, _)| k == s)
                .map_or(0, |(_, n)| *n)
        };
        let left = get("pending") + get("in_flight");
        let mut line = format!(
            "sent {} · skipped {} · failed {} · left {left}",
            get("sent"),
            get("skipped"),
            get("failed")
        );
        if get("unknown") > 0 {
            line.push_str(&format!(" · unknown {}", get("unknown")));
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
        let id: i64 = row.try_get("id")?;
        out.push(Summary {
            id,
            kind: row.try_get("kind")?,
            metric: row.try_get("metric")?,
            milestone: row.try_get("milestone")?,
            state: row.try_get("state")?,
            created_at: Millis::to(row.try_get("created_at")?)?,
            tally: delivery_counts(conn, id).await?,
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

/// Whether an announcement is a thank-you note on its own (no announcement part).
pub async fn is_thanks_only(db: &super::Db, id: i64) -> Result<bool, StorageError> {
    let row = sqlx::query("SELECT announce_text FROM announcements WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<Option<String>, _>("announce_text")?.is_none(),
        None => false,
    })
}

/// What the broadcast needs to lead an announcement with its milestone card.
#[derive(Debug, Clone, PartialEq)]
pub struct CardFacts {
    pub metric: Option<String>,
    pub milestone: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<i64>,
    /// `card:gif` / `card:png` once a card is decided, `card:off` once left out,
    /// or the announcement's own media.
    pub media_ref: Option<String>,
}

/// The facts of [`CardFacts`] for one announcement.
pub async fn card_facts(db: &super::Db, id: i64) -> Result<CardFacts, StorageError> {
    let row = sqlx::query(
        "SELECT metric, milestone, created_at, created_by, media_ref FROM announcements WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    Ok(CardFacts {
        metric: row.try_get("metric")?,
        milestone: row
            .try_get::<Option<i64>, _>("milestone")?
            .map(|m| {
                u64::try_from(m).map_err(|_| StorageError::Corrupt("negative milestone".into()))
            })
            .transpose()?,
        created_at: Millis::to(row.try_get("created_at")?)?,
        created_by: row.try_get("created_by")?,
        media_ref: row.try_get("media_ref")?,
    })
}

/// Gives an announcement without media its card (`kind` photo or animation,
/// `reference` `card:…`), before its first post; `false` if it has media already.
pub async fn set_card(
    db: &super::Db,
    id: i64,
    kind: &str,
    reference: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE announcements SET media_kind = $2, media_ref = $3
         WHERE id = $1 AND media_file_id IS NULL
           AND (media_ref IS NULL OR (media_ref = $3 AND media_kind = $2))",
    )
    .bind(id)
    .bind(kind.to_owned())
    .bind(reference.to_owned())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records that an announcement goes out without its card (`card:off`), so the
/// decision holds after a restart. Only a card not yet uploaded can be left out.
pub async fn leave_out_card(db: &super::Db, id: i64) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE announcements SET media_kind = NULL, media_ref = 'card:off'
         WHERE id = $1 AND media_file_id IS NULL
           AND (media_ref IS NULL OR media_ref LIKE 'card:%')",
    )
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Announcements about to be (or being) broadcast that may still need their
/// milestone card drawn: a milestone, text, no media of their own, nothing uploaded.
pub async fn awaiting_card(db: &super::Db) -> Result<Vec<i64>, StorageError> {
    let rows = sqlx::query(
        "SELECT id FROM announcements
         WHERE state IN ('queued', 'sending') AND announce_text IS NOT NULL
           AND metric IS NOT NULL AND milestone IS NOT NULL AND media_file_id IS NULL
           AND (media_ref IS NULL OR media_ref IN ('card:gif', 'card:png'))
         ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
}
