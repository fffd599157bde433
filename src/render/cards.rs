//! Cards for milestones: the settings (`CARD`, the look) and what the database
//! knows (the metric's label, its previous milestone, its own title line), made
//! into a [`Card`] and drawn as configured. Used by the broadcast, by
//! `/milestone preview` and by `milestone-bot card`.

use super::RenderError;
use super::animate;
use super::card::{self, Card, DEFAULT_TITLE, Look};
use crate::milestones::country::{CountryRank, country_rank};
use crate::milestones::template::{Template, TemplateContext, TemplateKind};
use crate::milestones::watcher::WatchedMetric;
use crate::storage::milestones::reached;
use crate::storage::milestones::templates::{self, Slot};
use crate::storage::{Db, StorageError};
use crate::text::html;
use crate::vocab::MetricName;
use chrono::NaiveDate;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The longest title line, in characters, a metric's template may make.
pub const MAX_TITLE_CHARS: usize = 60;
/// A country comparison reads well down to the country of this rank; below, the
/// card leaves it out ("the 231st most populous" says little).
const COUNTRY_RANK_SHOWN: usize = 100;

/// What a milestone's announcement carries (`CARD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CardFormat {
    /// The count-up as a GIF, sent with `sendAnimation` (the default).
    #[default]
    Gif,
    /// The still card, sent with `sendPhoto`.
    Png,
    /// No card: the announcement is text.
    Off,
}

impl FromStr for CardFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gif" | "animation" | "" => Ok(CardFormat::Gif),
            "png" | "photo" => Ok(CardFormat::Png),
            "off" | "none" | "false" | "0" => Ok(CardFormat::Off),
            other => Err(format!("\"{other}\" is not gif, png or off")),
        }
    }
}

impl fmt::Display for CardFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CardFormat::Gif => "gif",
            CardFormat::Png => "png",
            CardFormat::Off => "off",
        })
    }
}

/// A drawn card, ready to upload.
#[derive(Debug, Clone)]
pub struct Picture {
    pub bytes: Vec<u8>,
    /// A GIF for `sendAnimation`; else a PNG for `sendPhoto`.
    pub animated: bool,
    pub width: u32,
    pub height: u32,
    /// The animation's length (0 for a still card).
    pub duration_ms: u32,
    pub frames: usize,
}

impl Picture {
    /// The upload's file name; Telegram reads the type from it.
    pub fn file_name(&self) -> &'static str {
        if self.animated {
            "milestone.gif"
        } else {
            "milestone.png"
        }
    }
}

/// Makes and draws cards with the configured look.
#[derive(Debug, Clone)]
pub struct CardMaker {
    format: CardFormat,
    look: Arc<Look>,
    /// Labels of the configured metrics ("monthly active users").
    watched: Arc<Vec<WatchedMetric>>,
}

impl CardMaker {
    pub fn new(format: CardFormat, look: Look, watched: Vec<WatchedMetric>) -> Self {
        CardMaker {
            format,
            look: Arc::new(look),
            watched: Arc::new(watched),
        }
    }

    pub fn format(&self) -> CardFormat {
        self.format
    }

    /// The same maker drawing `format` instead.
    pub fn with_format(&self, format: CardFormat) -> Self {
        CardMaker {
            format,
            ..self.clone()
        }
    }

    /// What the card of `metric` at `milestone` says, dated `date`.
    pub async fn card(
        &self,
        db: &Db,
        metric: &MetricName,
        milestone: u64,
        date: NaiveDate,
    ) -> Result<Card, StorageError> {
        let mut conn = db.pool().acquire().await?;
        let from = reached::highest_below(&mut conn, metric, milestone)
            .await?
            .unwrap_or(0);
        let rows = templates::for_metric(&mut conn, metric).await?;
        let own = |m: Option<u64>| {
            rows.iter()
                .find(|r| r.slot == Slot::Card && r.milestone == m)
                .and_then(|r| r.body.clone())
        };
        let template = own(Some(milestone)).or_else(|| own(None));
        let label = self
            .watched
            .iter()
            .find(|m| &m.name == metric)
            .map_or_else(|| metric.to_string(), |m| m.label.clone());
        let ctx = TemplateContext {
            milestone,
            metric: metric.clone(),
            metric_label: label.clone(),
            count: milestone,
            date,
            days_since_previous: None,
        };
        Ok(Card {
            title: title_line(template.as_deref(), &ctx),
            milestone,
            from,
            label,
            date,
            country: country_line(milestone),
        })
    }

    /// Draws `card` as configured; `None` when cards are off. CPU-bound (about a
    /// tenth of a second): async code calls [`CardMaker::draw_off_thread`].
    pub fn draw(&self, card: &Card) -> Result<Option<Picture>, RenderError> {
        match self.format {
            CardFormat::Off => Ok(None),
            CardFormat::Png => {
                let bytes = card::png(card, &self.look)?;
                Ok(Some(Picture {
                    bytes,
                    animated: false,
                    width: card::WIDTH,
                    height: card::HEIGHT,
                    duration_ms: 0,
                    frames: 1,
                }))
            }
            CardFormat::Gif => {
                let a = animate::gif(card, &self.look)?;
                Ok(Some(Picture {
                    bytes: a.bytes,
                    animated: true,
                    width: a.width,
                    height: a.height,
                    duration_ms: a.duration_ms,
                    frames: a.frames,
                }))
            }
        }
    }

    /// [`CardMaker::draw`] on tokio's blocking pool.
    pub async fn draw_off_thread(&self, card: Card) -> Result<Option<Picture>, RenderError> {
        let maker = self.clone();
        tokio::task::spawn_blocking(move || maker.draw(&card))
            .await
            .unwrap_or_else(|e| Err(RenderError::Encode(format!("the renderer stopped: {e}"))))
    }
}

/// The title line: the metric's template rendered as plain text, or the default.
pub fn title_line(template: Option<&str>, ctx: &TemplateContext) -> String {
    let rendered = template
        .and_then(|t| Template::parse(t, TemplateKind::Caption).ok())
        .map(|t| t.render(ctx))
        .and_then(|h| html::visible_text(&h).ok())
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    match rendered {
        Some(t) => t.chars().take(MAX_TITLE_CHARS).collect(),
        None => DEFAULT_TITLE.to_owned(),
    }
}

/// Checks a title line template before it is saved: known variables, no markup
/// that would show as such, short enough for the card.
pub fn check_title(template: &str) -> Result<(), String> {
    let parsed = Template::parse(template, TemplateKind::Caption).map_err(|e| e.to_string())?;
    let sample = TemplateContext {
        milestone: 200_000_000,
        metric: MetricName::parse("mau").expect("a metric name"),
        metric_label: "monthly active users".into(),
        count: 200_000_000,
        date: NaiveDate::from_ymd_opt(2026, 11, 26).expect("a date"),
        days_since_previous: None,
    };
    let text = html::visible_text(&parsed.render(&sample)).map_err(|e| e.to_string())?;
    if text.trim().is_empty() {
        return Err("the card's title line is empty".into());
    }
    if text.chars().count() > MAX_TITLE_CHARS {
        return Err(format!(
            "the card's title line is longer than {MAX_TITLE_CHARS} characters"
        ));
    }
    Ok(())
}

/// "If it were a country, …." for milestones that rank among the
/// [`COUNTRY_RANK_SHOWN`] most populous countries (or beyond them all).
pub fn country_line(milestone: u64) -> Option<String> {
    let rank = country_rank(milestone);
    let reads_well = match &rank {
        CountryRank::LargerThanAll { .. } => true,
        CountryRank::Rank { rank, .. } => *rank <= COUNTRY_RANK_SHOWN,
    };
    if !reads_well {
        return None;
    }
    let phrase = rank.phrase();
    let mut chars = phrase.chars();
    let first = chars.next()?;
    Some(format!("{}{}.", first.to_uppercase(), chars.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TemplateContext {
        TemplateContext {
            milestone: 200_000_000,
            metric: crate::vocab::MetricName::parse("mau").unwrap(),
            metric_label: "monthly active users".into(),
            count: 200_000_000,
            date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            days_since_previous: None,
        }
    }

    #[test]
    fn the_format_reads_gif_png_and_off() {
        assert_eq!("gif".parse(), Ok(CardFormat::Gif));
        assert_eq!("PNG".parse(), Ok(CardFormat::Png));
        assert_eq!("off".parse(), Ok(CardFormat::Off));
        assert!("jpeg".parse::<CardFormat>().is_err());
    }

    #[test]
    fn a_metric_template_gives_the_title_as_plain_text() {
        let title = title_line(
            Some("<b>Acme</b> · {milestone_short} {metric_label}"),
            &ctx(),
        );
        assert_eq!(title, "Acme · 200M monthly active users");
    }

    #[test]
    fn no_template_or_a_broken_one_gives_the_default_title() {
        assert_eq!(title_line(None, &ctx()), DEFAULT_TITLE);
        assert_eq!(title_line(Some("{nope}"), &ctx()), DEFAULT_TITLE);
    }

    #[test]
    fn a_title_template_is_checked_before_it_is_saved() {
        assert!(check_title("Acme · {date}").is_ok());
        assert!(check_title("{unknown}").is_err());
        assert!(check_title(&"x".repeat(MAX_TITLE_CHARS + 1)).is_err());
        assert!(check_title("<b></b>").is_err());
    }

    #[test]
    fn the_country_line_is_a_sentence_and_only_when_it_reads_well() {
        let line = country_line(200_000_000).unwrap();
        assert!(line.starts_with("If it were a country"), "{line}");
        assert!(line.ends_with('.'), "{line}");
        assert_eq!(country_line(10_000), None);
        assert!(country_line(u64::MAX).is_some());
    }
}
