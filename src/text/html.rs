//! Telegram's HTML subset (`parse_mode=HTML`): escaping, validation, and the
//! visible length Telegram counts against its limits.
//!
//! Validation follows the Bot API's "HTML style" section: only its tags and
//! attributes; only the entities `&lt; &gt; &amp; &quot;` and numeric ones; every
//! `<`, `>` and `&` outside a tag or entity escaped; tags properly nested and
//! closed; `pre` and `code` contain nothing but text (except `<pre><code
//! class="language-…">`); links, code and custom emoji do not contain each other;
//! blockquotes do not nest.

mod tag;

use tag::{Kind, Tag, parse_open_tag};

/// Telegram's limit on a message's text, in UTF-16 code units of visible text.
pub const TEXT_LIMIT: usize = 4096;

/// Telegram's limit on a media caption, counted the same way.
pub const CAPTION_LIMIT: usize = 1024;

/// A problem in a template's HTML, at a position counted in characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem} at character {position}")]
pub struct HtmlError {
    pub position: usize,
    pub problem: HtmlProblem,
}

/// What is wrong with the HTML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HtmlProblem {
    /// A `<` that starts no valid tag.
    #[error("a bare \"<\" (write &lt;)")]
    BareLessThan,
    /// A `>` outside a tag; Telegram's documentation asks for `&gt;`.
    #[error("a bare \">\" (write &gt;)")]
    BareGreaterThan,
    /// A `&` that starts no entity.
    #[error("a bare \"&\" (write &amp;)")]
    BareAmpersand,
    /// A named entity Telegram does not know.
    #[error("the entity &{0}; is not supported (use &lt; &gt; &amp; &quot; or a numeric one)")]
    UnknownEntity(String),
    /// A numeric entity outside Unicode scalar values.
    #[error("the entity &{0}; is not a valid character")]
    InvalidCodePoint(String),
    /// A tag outside Telegram's list.
    #[error(
        "<{0}> is not supported by Telegram (use b, strong, i, em, u, ins, s, strike, del, tg-spoiler, span class=\"tg-spoiler\", a href, tg-emoji emoji-id, code, pre, blockquote)"
    )]
    UnsupportedTag(String),
    /// An attribute the tag does not take, or a value it does not accept.
    #[error("<{tag}> does not accept the attribute {attribute}")]
    BadAttribute { tag: String, attribute: String },
    /// A required attribute is absent (`a href`, `tg-emoji emoji-id`, span's class).
    #[error("<{tag}> needs the attribute {attribute}")]
    MissingAttribute { tag: String, attribute: String },
    /// A `<` that begins a tag which never ends or is malformed.
    #[error("a malformed tag")]
    MalformedTag,
    /// An opening tag without its closing tag.
    #[error("<{0}> is never closed")]
    Unclosed(String),
    /// A closing tag with no matching opening tag.
    #[error("</{0}> closes nothing")]
    UnexpectedClose(String),
    /// A closing tag for another element than the innermost open one.
    #[error("</{found}> where </{expected}> was expected")]
    Mismatched { expected: String, found: String },
    /// A nesting Telegram refuses.
    #[error("<{tag}> cannot be inside <{parent}>")]
    NotAllowedInside { tag: String, parent: String },
}

/// Escapes text for Telegram HTML, in text and in quoted attribute values alike.
/// The one place values are escaped.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Telegram's length of a message: UTF-16 code units of its visible text.
pub fn telegram_len(visible: &str) -> usize {
    visible.encode_utf16().count()
}

/// Checks `src` against Telegram's HTML subset and returns its visible text
/// (tags removed, entities decoded).
pub fn visible_text(src: &str) -> Result<String, HtmlError> {
    let mut parser = Parser {
        src,
        pos: 0,
        open: Vec::new(),
        text: String::new(),
    };
    parser.run()?;
    Ok(parser.text)
}

struct Parser<'a> {
    src: &'a str,
    /// Byte offset of the next unread character.
    pos: usize,
    /// Open elements, innermost last, with the byte offset of their `<`.
    open: Vec<(Tag, usize)>,
    text: String,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), HtmlError> {
        while let Some(c) = self.src[self.pos..].chars().next() {
            match c {
                '<' => self.tag()?,
                '&' => self.entity()?,
                '>' => return Err(self.error(self.pos, HtmlProblem::BareGreaterThan)),
                _ => {
                    self.text.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        match self.open.pop() {
            Some((tag, at)) => Err(self.error(at, HtmlProblem::Unclosed(tag.name))),
            None => Ok(()),
        }
    }

    fn error(&self, byte_offset: usize, problem: HtmlProblem) -> HtmlError {
        HtmlError {
            position: self.src[..byte_offset].chars().count() + 1,
            problem,
        }
    }

    fn entity(&mut self) -> Result<(), HtmlError> {
        let start = self.pos;
        let decoded = decode_entity(&self.src[start..]).map_err(|p| self.error(start, p))?;
        self.text.push(decoded.0);
        self.pos += decoded.1;
        Ok(())
    }

    fn tag(&mut self) -> Result<(), HtmlError> {
        let start = self.pos;
        let rest = &self.src[start + 1..];
        let first = rest.chars().next();
        if !first.is_some_and(|c| c.is_ascii_alphabetic() || c == '/') {
            return Err(self.error(start, HtmlProblem::BareLessThan));
        }
        let end = find_tag_end(rest).ok_or_else(|| self.error(start, HtmlProblem::MalformedTag))?;
        let inner = &rest[..end];
        self.pos = start + 1 + end + 1;
        match inner.strip_prefix('/') {
            Some(name) => self.close(name.trim().to_ascii_lowercase(), start),
            None => {
                let tag = parse_open_tag(inner).map_err(|p| self.error(start, p))?;
                self.check_nesting(&tag).map_err(|p| self.error(start, p))?;
                self.open.push((tag, start));
                Ok(())
            }
        }
    }

    fn close(&mut self, name: String, at: usize) -> Result<(), HtmlError> {
        match self.open.pop() {
            Some((tag, _)) if tag.name == name => Ok(()),
            Some((tag, _)) => Err(self.error(
                at,
                HtmlProblem::Mismatched {
                    expected: tag.name,
                    found: name,
                },
            )),
            None => Err(self.error(at, HtmlProblem::UnexpectedClose(name))),
        }
    }

    fn check_nesting(&self, tag: &Tag) -> Result<(), HtmlProblem> {
        let refuse = |parent: &Tag| HtmlProblem::NotAllowedInside {
            tag: tag.name.clone(),
            parent: parent.name.clone(),
        };
        if tag.language && self.open.last().is_none_or(|(p, _)| p.name != "pre") {
            return Err(HtmlProblem::BadAttribute {
                tag: "code".into(),
                attribute: "class (only for <code> directly inside <pre>)".into(),
            });
        }
        for (parent, _) in &self.open {
            let code_like = parent.name == "code" || parent.name == "pre";
            let pre_code = parent.name == "pre" && tag.name == "code";
            let refused = match tag.kind {
                _ if code_like && !pre_code => true,
                Kind::Format => false,
                Kind::Exclusive => parent.kind == Kind::Exclusive && !pre_code,
                Kind::Blockquote => parent.kind != Kind::Format,
            };
            if refused {
                return Err(refuse(parent));
            }
        }
        Ok(())
    }
}

/// The byte offset of the `>` ending a tag, skipping quoted attribute values.
fn find_tag_end(rest: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (None, '>') => return Some(i),
            (None, '<') => return None,
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    None
}

/// `&lt;` etc. at the start of `s`: the character and the entity's byte length.
fn decode_entity(s: &str) -> Result<(char, usize), HtmlProblem> {
    let end = s
        .char_indices()
        .take(12)
        .find(|&(_, c)| c == ';')
        .map(|(i, _)| i)
        .ok_or(HtmlProblem::BareAmpersand)?;
    let body = &s[1..end];
    let named = match body {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => None,
    };
    let numeric = || {
        let n = body.strip_prefix('#')?;
        let value = match n.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => n.parse().ok()?,
        };
        Some(char::from_u32(value).filter(|&c| c != '\0'))
    };
    match (named, numeric()) {
        (Some(c), _) => Ok((c, end + 1)),
        (None, Some(Some(c))) => Ok((c, end + 1)),
        (None, Some(None)) => Err(HtmlProblem::InvalidCodePoint(body.to_string())),
        (None, None) if body.chars().all(|c| c.is_ascii_alphanumeric() || c == '#') => {
            Err(HtmlProblem::UnknownEntity(body.to_string()))
        }
        (None, None) => Err(HtmlProblem::BareAmpersand),
    }
}

#[cfg(test)]
mod tests;

/// Checks free text an admin wrote (no template variables): valid Telegram HTML and
/// within the 4096-character limit. The error says what to fix.
pub fn check_text(src: &str) -> Result<(), String> {
    let visible = visible_text(src).map_err(|e| format!("invalid HTML: {e}"))?;
    let len = telegram_len(&visible);
    let limit = TEXT_LIMIT;
    if visible.trim().is_empty() {
        return Err("the text is empty".into());
    }
    if len > limit {
        return Err(format!(
            "over the {limit}-character limit by {} characters",
            len - limit
        ));
    }
    Ok(())
}
