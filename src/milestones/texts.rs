//! A metric's announcement and thank-you texts: per metric or per milestone, with
//! optional media, checked when saved and rendered when a milestone fires.
//!
//! Resolution, for milestone `M` of a metric: the text of the row for `M`, else of
//! the metric-wide row, else [`DEFAULT_ANNOUNCEMENT`] / [`DEFAULT_THANKS`]; media
//! the same way, independently. With media, the announcement is the caption and
//! must fit 1024 characters. Every save checks every combination it affects, so
//! rendering at send time cannot fail.

use super::template::{
    DEFAULT_ANNOUNCEMENT, DEFAULT_THANKS, Template, TemplateContext, TemplateError, TemplateKind,
};
use crate::storage::milestones::templates::{self, TemplateRow};
use crate::storage::{Db, StorageError};
use crate::vocab::{MediaKind, MetricName};
use chrono::Utc;
use sqlx::AnyConnection;

pub use crate::storage::milestones::templates::Slot;

/// A photo or animation sent with the announcement as caption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaKind,
    /// A file path, a URL or a Telegram file id.
    pub reference: String,
}

/// Why a text or media could not be saved or previewed.
#[derive(Debug, thiserror::Error)]
pub enum TextsError {
    /// The template itself is refused (unknown variable, HTML, length…).
    #[error("{what}: {source}")]
    Template {
        /// Which text, e.g. "the announcement of mau at 200M (as a caption)".
        what: String,
        source: TemplateError,
    },
    /// A media kind or reference that cannot be sent.
    #[error("{0}")]
    BadMedia(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for TextsError {
    fn from(e: sqlx::Error) -> Self {
        TextsError::Storage(e.into())
    }
}

/// The two posts of a milestone, rendered: Telegram HTML within its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub announce: String,
    pub thanks: String,
    pub media: Option<Media>,
}

/// The sources that apply to one milestone (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resolved {
    announce: String,
    thanks: String,
    media: Option<Media>,
}

fn resolve(rows: &[TemplateRow], milestone: Option<u64>) -> Resolved {
    let candidates = |slot: Slot| {
        let own = rows
            .iter()
            .filter(move |r| r.slot == slot && milestone.is_some() && r.milestone == milestone);
        let wide = rows
            .iter()
            .filter(move |r| r.slot == slot && r.milestone.is_none());
        own.chain(wide)
    };
    let body = |slot: Slot, default: &str| {
        candidates(slot)
            .find_map(|r| r.body.clone())
            .unwrap_or_else(|| default.to_owned())
    };
    let media = candidates(Slot::Announce).find_map(|r| {
        let kind = r.media_kind?;
        Some(Media {
            kind,
            reference: r.media_ref.clone()?,
        })
    });
    Resolved {
        announce: body(Slot::Announce, DEFAULT_ANNOUNCEMENT),
        thanks: body(Slot::Thanks, DEFAULT_THANKS),
        media,
    }
}

/// Parses both texts of one milestone, as they would be sent.
fn check(resolved: &Resolved, what: &str) -> Result<(Template, Template), TextsError> {
    let (kind, as_what) = match resolved.media {
        Some(_) => (TemplateKind::Caption, " (as the media's caption)"),
        None => (TemplateKind::Text, ""),
    };
    let announce =
        Template::parse(&resolved.announce, kind).map_err(|source| TextsError::Template {
            what: format!("the announcement {what}{as_what}"),
            source,
        })?;
    let thanks = Template::parse(&resolved.thanks, TemplateKind::Text).map_err(|source| {
        TextsError::Template {
            what: format!("the thank-you note {what}"),
            source,
        }
    })?;
    Ok((announce, thanks))
}

/// Checks every milestone the rows give texts for, and the metric-wide texts.
fn check_all(metric: &MetricName, rows: &[TemplateRow]) -> Result<(), TextsError> {
    let mut keys: Vec<Option<u64>> = rows.iter().map(|r| r.milestone).collect();
    keys.push(None);
    keys.sort();
    keys.dedup();
    for key in keys {
        let what = match key {
            None => format!("of {metric}"),
            Some(m) => format!("of {metric} at {}", crate::text::number::format_short(m)),
        };
        check(&resolve(rows, key), &what)?;
    }
    Ok(())
}

/// `rows` with one row changed (or added) by `change`.
fn with_change(
    mut rows: Vec<TemplateRow>,
    metric: &MetricName,
    milestone: Option<u64>,
    slot: Slot,
    change: impl FnOnce(&mut TemplateRow),
) -> Vec<TemplateRow> {
    let index = rows
        .iter()
        .position(|r| r.milestone == milestone && r.slot == slot)
        .unwrap_or_else(|| {
            rows.push(TemplateRow {
                metric: metric.clone(),
                milestone,
                slot,
                body: None,
                media_kind: None,
                media_ref: None,
            });
            rows.len() - 1
        });
    change(&mut rows[index]);
    rows
}

/// Saves a text for a metric (`milestone: None`) or one of its milestones, after
/// checking it and every text it affects; `text: None` restores the default.
pub async fn set_template(
    db: &Db,
    metric: &MetricName,
    milestone: Option<u64>,
    slot: Slot,
    text: Option<&str>,
) -> Result<(), TextsError> {
    let mut conn = db.pool().acquire().await?;
    let rows = templates::for_metric(&mut conn, metric).await?;
    let rows = with_change(rows, metric, milestone, slot, |r| {
        r.body = text.map(str::to_owned);
    });
    check_all(metric, &rows)?;
    templates::upsert_body(&mut conn, metric, milestone, slot, text, Utc::now()).await?;
    Ok(())
}

/// Sets (or with `None` removes) the announcement's media, after checking that the
/// texts it applies to fit as a caption.
pub async fn set_media(
    db: &Db,
    metric: &MetricName,
    milestone: Option<u64>,
    media: Option<Media>,
) -> Result<(), TextsError> {
    if let Some(m) = &media
        && m.reference.trim().is_empty()
    {
        return Err(TextsError::BadMedia(
            "the media needs a file path, URL or Telegram file id".into(),
        ));
    }
    let mut conn = db.pool().acquire().await?;
    let rows = templates::for_metric(&mut conn, metric).await?;
    let rows = with_change(rows, metric, milestone, Slot::Announce, |r| {
        r.media_kind = media.as_ref().map(|m| m.kind);
        r.media_ref = media.as_ref().map(|m| m.reference.clone());
    });
    check_all(metric, &rows)?;
    let pair = media.as_ref().map(|m| (m.kind, m.reference.as_str()));
    templates::upsert_media(&mut conn, metric, milestone, pair, Utc::now()).await?;
    Ok(())
}

/// Renders a milestone's posts from the stored texts. A stored text that no longer
/// parses (saved by another version) falls back to the default, with a warning.
pub async fn compose(
    conn: &mut AnyConnection,
    ctx: &TemplateContext,
) -> Result<Composed, StorageError> {
    let rows = templates::for_metric(conn, &ctx.metric).await?;
    let resolved = resolve(&rows, Some(ctx.milestone));
    let (announce, thanks) = check(&resolved, ctx.metric.as_str()).unwrap_or_else(|e| {
        tracing::warn!(metric = %ctx.metric, error = %e, "stored template refused; using the defaults");
        let defaults = resolve(&[], None);
        check(&defaults, ctx.metric.as_str()).expect("the default templates are valid")
    });
    Ok(Composed {
        announce: announce.render(ctx),
        thanks: thanks.render(ctx),
        media: resolved
            .media
            .filter(|_| announce.kind() == TemplateKind::Caption),
    })
}

/// What a milestone's posts would look like, without sending anything.
pub async fn preview(db: &Db, ctx: &TemplateContext) -> Result<Composed, TextsError> {
    let mut conn = db.pool().acquire().await?;
    Ok(compose(&mut conn, ctx).await?)
}

#[cfg(test)]
mod tests;
