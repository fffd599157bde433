//! Announcement and thank-you templates: Telegram HTML with `{variables}`.
//!
//! A template is checked once, when it is saved ([`Template::parse`]): its
//! variables exist, its HTML is what Telegram accepts, and rendered with the
//! longest values its variables can take it fits Telegram's limit. Rendering then
//! cannot fail; values are escaped by [`escape_html`], the only escaping there is
//! (Telegram HTML itself is [`crate::text::html`]).
//!
//! A variable whose value is empty (`{country_rank}` for a count below every
//! country) takes the separator right before it along (` — `, `, `, …), so
//! "passed 1,000 users — {country_rank}." reads "passed 1,000 users.".

pub mod vars;

use chrono::NaiveDate;

use crate::text::html::{self, CAPTION_LIMIT, TEXT_LIMIT, escape_html};
use crate::vocab::MetricName;
use vars::{Var, known_names};

/// The default announcement. `{country_rank}` reads as the end of a sentence.
pub const DEFAULT_ANNOUNCEMENT: &str = "🎉 <b>{milestone_words} {metric_label}!</b>\n\n\
Today we passed <b>{milestone}</b> {metric_label} — {country_rank}.\n\n\
Thank you for being one of them.";

/// The default thank-you note, sent after the announcement.
pub const DEFAULT_THANKS: &str = "💙 <b>Thank you</b>\n\n\
We could never have reached {milestone_words} {metric_label} on our own. Everyone \
who opened the app, told a friend or sent us feedback brought us here, and every \
one of you counts. On to the next milestone, together!";

/// What a template becomes: a message's text, or a photo's or animation's caption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateKind {
    /// `sendMessage` text: at most 4096 characters, never empty.
    Text,
    /// A media caption: at most 1024 characters, may be empty.
    Caption,
}

impl TemplateKind {
    /// Telegram's limit, in UTF-16 code units of visible text.
    pub fn limit(self) -> usize {
        match self {
            TemplateKind::Text => TEXT_LIMIT,
            TemplateKind::Caption => CAPTION_LIMIT,
        }
    }
}

/// The values of one announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateContext {
    /// The milestone announced.
    pub milestone: u64,
    /// The metric's name, e.g. `mau`.
    pub metric: MetricName,
    /// What the metric counts, e.g. `monthly active users`.
    pub metric_label: String,
    /// The current estimate (at or above the milestone).
    pub count: u64,
    /// The day the milestone was reached.
    pub date: NaiveDate,
    /// Days since this metric's previous milestone; `None` for the first.
    pub days_since_previous: Option<i64>,
}

/// Why a template was refused. Positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A message text must have visible characters.
    #[error("the template is empty; Telegram does not send empty messages")]
    Empty,
    /// `{name}` with a name we do not know.
    #[error(
        "unknown variable {{{name}}} at character {position}; known: {}",
        known_names()
    )]
    UnknownVariable { name: String, position: usize },
    /// A `{` without its `}`.
    #[error("\"{{\" at character {position} is never closed (write {{{{ for a literal brace)")]
    UnclosedBrace { position: usize },
    /// A `}` that closes no variable.
    #[error("\"}}\" at character {position} closes no variable (write }}}} for a literal brace)")]
    StrayBrace { position: usize },
    /// The template's own HTML is not what Telegram accepts.
    #[error("the HTML is not valid for Telegram: {0}")]
    Html(#[from] html::HtmlError),
    /// Too long, counted with the longest values the variables can take.
    #[error(
        "over the {limit}-character limit by {over} characters (counting the longest values the variables can take)"
    )]
    TooLong { limit: usize, over: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Template HTML, already validated, with `{{` and `}}` unescaped.
    Html(String),
    Var(Var),
}

/// A checked template, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    kind: TemplateKind,
    segments: Vec<Segment>,
}

impl Template {
    /// Checks variables, HTML and length (see the module docs).
    pub fn parse(src: &str, kind: TemplateKind) -> Result<Template, TemplateError> {
        let (segments, skeleton) = split(src)?;
        let visible = html::visible_text(&skeleton)?;
        if kind == TemplateKind::Text && visible.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let template = Template {
            source: src.to_string(),
            kind,
            segments,
        };
        let longest = html::visible_text(&template.render_with(Var::longest_value))?;
        let len = html::telegram_len(&longest);
        if len > kind.limit() {
            return Err(TemplateError::TooLong {
                limit: kind.limit(),
                over: len - kind.limit(),
            });
        }
        Ok(template)
    }

    /// The text as written, to store.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn kind(&self) -> TemplateKind {
        self.kind
    }

    /// The message, Telegram HTML, within the kind's limit.
    pub fn render(&self, ctx: &TemplateContext) -> String {
        self.render_with(|var| var.value(ctx))
    }

    fn render_with(&self, value: impl Fn(Var) -> String) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Html(html) => out.push_str(html),
                Segment::Var(var) => match value(*var) {
                    v if v.is_empty() => drop_separator(&mut out),
                    v => out.push_str(&escape_html(&v)),
                },
            }
        }
        out
    }
}

/// The separators an empty value takes along when they end the text before it.
const SEPARATORS: [&str; 6] = [" — ", " – ", " - ", ", ", "; ", ": "];

fn drop_separator(out: &mut String) {
    if let Some(sep) = SEPARATORS.iter().find(|sep| out.ends_with(**sep)) {
        out.truncate(out.len() - sep.len());
    }
}

/// Parses and renders without sending, for `/milestone preview`.
pub fn preview(
    src: &str,
    kind: TemplateKind,
    ctx: &TemplateContext,
) -> Result<String, TemplateError> {
    Ok(Template::parse(src, kind)?.render(ctx))
}

/// Splits `src` into HTML and variables, and builds the skeleton the HTML check
/// reads: `src` with each `{var}` replaced by as many `x`, so that positions in
/// HTML errors are positions in `src`.
fn split(src: &str) -> Result<(Vec<Segment>, String), TemplateError> {
    let mut segments = Vec::new();
    let mut skeleton = String::with_capacity(src.len());
    let mut literal = String::new();
    let mut chars = src.char_indices().peekable();
    let position = |byte: usize| src[..byte].chars().count() + 1;
    while let Some((i, c)) = chars.next() {
        match c {
            '{' | '}' if chars.peek().map(|&(_, n)| n) == Some(c) => {
                chars.next();
                literal.push(c);
                skeleton.extend([c, c]);
            }
            '}' => {
                return Err(TemplateError::StrayBrace {
                    position: position(i),
                });
            }
            '{' => {
                let rest = &src[i + 1..];
                let end = rest
                    .find(['}', '{', '\n'])
                    .filter(|&e| rest[e..].starts_with('}'))
                    .ok_or(TemplateError::UnclosedBrace {
                        position: position(i),
                    })?;
                let name = &rest[..end];
                let var = Var::from_name(name).ok_or_else(|| TemplateError::UnknownVariable {
                    name: name.to_string(),
                    position: position(i),
                })?;
                segments.push(Segment::Html(std::mem::take(&mut literal)));
                segments.push(Segment::Var(var));
                skeleton.extend(std::iter::repeat_n('x', name.chars().count() + 2));
                while chars.peek().is_some_and(|&(j, _)| j <= i + 1 + end) {
                    chars.next();
                }
            }
            _ => {
                literal.push(c);
                skeleton.push(c);
            }
        }
    }
    segments.push(Segment::Html(literal));
    segments.retain(|s| !matches!(s, Segment::Html(h) if h.is_empty()));
    Ok((segments, skeleton))
}

#[cfg(test)]
mod tests;
