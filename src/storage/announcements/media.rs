//! What an announcement posts: its texts, its media (the milestone card included)
//! and its options, read for the sender and changed by an admin's edit.

use crate::storage::{Db, Millis, StorageError, deliveries};
use crate::vocab::{AnnouncementId, MediaKind, MetricName, Part, UserId};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Whether an announcement is a thank-you note on its own (no announcement part).
pub async fn is_thanks_only(db: &Db, id: AnnouncementId) -> Result<bool, StorageError> {
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
    /// `None` for an announcement of no metric, or (never written so) of a stored
    /// name that is no metric name: either way it has no card.
    pub metric: Option<MetricName>,
    pub milestone: Option<u64>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
    /// `card:gif` / `card:png` once a card is decided, `card:off` once left out,
    /// or the announcement's own media.
    pub media_ref: Option<String>,
}

/// The facts of [`CardFacts`] for one announcement.
pub async fn card_facts(db: &Db, id: AnnouncementId) -> Result<CardFacts, StorageError> {
    let row = sqlx::query(
        "SELECT metric, milestone, created_at, created_by, media_ref FROM announcements WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    Ok(CardFacts {
        metric: row
            .try_get::<Option<String>, _>("metric")?
            .and_then(|m| MetricName::parse(&m).ok()),
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
    db: &Db,
    id: AnnouncementId,
    kind: MediaKind,
    reference: &str,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE announcements SET media_kind = $2, media_ref = $3
         WHERE id = $1 AND media_file_id IS NULL
           AND (media_ref IS NULL OR (media_ref = $3 AND media_kind = $2))",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(reference.to_owned())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records that an announcement goes out without its card (`card:off`), so the
/// decision holds after a restart. Only a card not yet uploaded can be left out.
pub async fn leave_out_card(db: &Db, id: AnnouncementId) -> Result<(), StorageError> {
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
pub async fn awaiting_card(db: &Db) -> Result<Vec<AnnouncementId>, StorageError> {
    let rows = sqlx::query(
        "SELECT id FROM announcements
         WHERE state IN ('queued', 'sending') AND announce_text IS NOT NULL
           AND metric IS NOT NULL AND milestone IS NOT NULL AND media_file_id IS NULL
           AND (media_ref IS NULL OR media_ref IN ('card:gif', 'card:png'))
         ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(AnnouncementId(r.try_get("id")?)))
        .collect()
}

/// What to post for an announcement, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContent {
    pub announce_text: Option<String>,
    pub thanks_text: Option<String>,
    /// The media's kind and source (a path, a URL, a file id or `card:…`); `None`
    /// without media (or with a kind this version does not know).
    pub media: Option<(MediaKind, String)>,
    /// Telegram's file id once the media was uploaded.
    pub media_file_id: Option<String>,
    /// JSON options (silent, pin, link preview).
    pub options: String,
}

/// The content of `id`.
pub async fn stored_content(db: &Db, id: AnnouncementId) -> Result<StoredContent, StorageError> {
    let row = sqlx::query(
        "SELECT announce_text, thanks_text, media_kind, media_ref, media_file_id, options
         FROM announcements WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let media_kind: Option<String> = row.try_get("media_kind")?;
    let media_ref: Option<String> = row.try_get("media_ref")?;
    let media_kind = media_kind.and_then(|k| k.parse::<MediaKind>().ok());
    Ok(StoredContent {
        announce_text: row.try_get("announce_text")?,
        thanks_text: row.try_get("thanks_text")?,
        media: media_kind.zip(media_ref),
        media_file_id: row.try_get("media_file_id")?,
        options: row.try_get("options")?,
    })
}

/// Remembers the file id of the first upload so later sends reuse it.
pub async fn save_file_id(db: &Db, id: AnnouncementId, file_id: &str) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE announcements SET media_file_id = $2 WHERE id = $1 AND media_file_id IS NULL",
    )
    .bind(id)
    .bind(file_id.to_owned())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Whether `id` leads with media (its announcement is then a caption).
pub async fn has_media(db: &Db, id: AnnouncementId) -> Result<bool, StorageError> {
    Ok(
        sqlx::query("SELECT media_kind FROM announcements WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?
            .try_get::<Option<String>, _>("media_kind")?
            .is_some(),
    )
}

/// An admin's edit: replaces the text of one part of `id` and, in the same
/// transaction, turns every delivery that posted that part into an edit of it.
/// Returns how many chats will be edited.
pub async fn edit_text(
    db: &Db,
    id: AnnouncementId,
    part: Part,
    text: &str,
) -> Result<u64, StorageError> {
    let sql = match part {
        Part::Announcement => "UPDATE announcements SET announce_text = $2 WHERE id = $1",
        Part::Thanks => "UPDATE announcements SET thanks_text = $2 WHERE id = $1",
    };
    let mut tx = db.pool().begin().await?;
    sqlx::query(sql)
        .bind(id)
        .bind(text.to_owned())
        .execute(&mut *tx)
        .await?;
    let edits = deliveries::requeue_for_edit(&mut tx, id, part).await?;
    tx.commit().await?;
    Ok(edits)
}
