//! `milestone_templates`: announcement and thank-you texts per metric (milestone 0)
//! or per milestone, and the announcement's optional media. Rows are written only
//! after `milestones::texts` validated them.

use super::super::{Millis, StorageError};
use super::{from_db, metric_from_db, to_db};
use crate::vocab::MediaKind;
use crate::vocab::MetricName;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// Which of a milestone's two posts a template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    /// The announcement itself (the caption when there is media).
    Announce,
    /// The thank-you note sent after it.
    Thanks,
    /// The milestone card's title line (plain text; `render::cards`).
    Card,
}

impl Slot {
    pub fn as_str(self) -> &'static str {
        match self {
            Slot::Announce => "announce",
            Slot::Thanks => "thanks",
            Slot::Card => "card",
        }
    }

    fn parse(s: &str) -> Result<Self, StorageError> {
        match s {
            "announce" => Ok(Slot::Announce),
            "thanks" => Ok(Slot::Thanks),
            "card" => Ok(Slot::Card),
            other => Err(StorageError::Corrupt(format!("template slot {other:?}"))),
        }
    }
}

/// A stored template row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub metric: MetricName,
    /// `None` for the metric-wide row.
    pub milestone: Option<u64>,
    pub slot: Slot,
    /// `None` keeps the default text.
    pub body: Option<String>,
    /// Photo or animation, with `media_ref`; `None` too for a kind this version
    /// does not know (the media is then left out, as it always was).
    pub media_kind: Option<MediaKind>,
    pub media_ref: Option<String>,
}

fn from_row(row: &AnyRow) -> Result<TemplateRow, StorageError> {
    let milestone = from_db(row.try_get("milestone")?)?;
    Ok(TemplateRow {
        metric: metric_from_db(row.try_get("metric")?)?,
        milestone: (milestone != 0).then_some(milestone),
        slot: Slot::parse(&row.try_get::<String, _>("slot")?)?,
        body: row.try_get("body")?,
        media_kind: row
            .try_get::<Option<String>, _>("media_kind")?
            .and_then(|kind| kind.parse().ok()),
        media_ref: row.try_get("media_ref")?,
    })
}

/// Sets a template's text (`None` back to the default).
pub async fn upsert_body(
    conn: &mut AnyConnection,
    metric: &MetricName,
    milestone: Option<u64>,
    slot: Slot,
    body: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO milestone_templates (metric, milestone, slot, body, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (metric, milestone, slot) DO UPDATE SET
           body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(metric.as_str().to_owned())
    .bind(to_db(milestone.unwrap_or(0))?)
    .bind(slot.as_str())
    .bind(body.map(str::to_owned))
    .bind(Millis::from(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets (or with `None` removes) the announcement's media.
pub async fn upsert_media(
    conn: &mut AnyConnection,
    metric: &MetricName,
    milestone: Option<u64>,
    media: Option<(MediaKind, &str)>,
    at: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO milestone_templates (metric, milestone, slot, media_kind, media_ref, updated_at)
         VALUES ($1, $2, 'announce', $3, $4, $5)
         ON CONFLICT (metric, milestone, slot) DO UPDATE SET
           media_kind = excluded.media_kind, media_ref = excluded.media_ref,
           updated_at = excluded.updated_at",
    )
    .bind(metric.as_str().to_owned())
    .bind(to_db(milestone.unwrap_or(0))?)
    .bind(media.map(|m| m.0.as_str()))
    .bind(media.map(|m| m.1.to_owned()))
    .bind(Millis::from(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every template row of the metric: metric-wide and per milestone.
pub async fn for_metric(
    conn: &mut AnyConnection,
    metric: &MetricName,
) -> Result<Vec<TemplateRow>, StorageError> {
    let rows = sqlx::query(
        "SELECT metric, milestone, slot, body, media_kind, media_ref FROM milestone_templates
         WHERE metric = $1 ORDER BY milestone, slot",
    )
    .bind(metric.as_str().to_owned())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(from_row).collect()
}
