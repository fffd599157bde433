//! One opening tag: its name and attributes, checked against Telegram's list.

use super::{HtmlProblem, decode_entity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// b, i, u, s, spoiler: may contain anything and be inside anything but code.
    Format,
    /// a, code, pre, tg-emoji: may not contain one another.
    Exclusive,
    Blockquote,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tag {
    pub(super) name: String,
    pub(super) kind: Kind,
    /// `<code class="language-…">`, allowed only directly inside `<pre>`.
    pub(super) language: bool,
}

/// Reads `name attr="value" …` and checks it against Telegram's tags.
pub(super) fn parse_open_tag(inner: &str) -> Result<Tag, HtmlProblem> {
    let inner = inner.trim_end().trim_end_matches('/');
    let name_end = inner
        .find(|c: char| c.is_whitespace())
        .unwrap_or(inner.len());
    let name = inner[..name_end].to_ascii_lowercase();
    let attributes = parse_attributes(&inner[name_end..]).ok_or(HtmlProblem::MalformedTag)?;
    let bad = |attribute: &str| HtmlProblem::BadAttribute {
        tag: name.clone(),
        attribute: attribute.to_string(),
    };
    let missing = |attribute: &str| HtmlProblem::MissingAttribute {
        tag: name.clone(),
        attribute: attribute.to_string(),
    };
    let (kind, allowed): (Kind, &[&str]) = match name.as_str() {
        "b" | "strong" | "i" | "em" | "u" | "ins" | "s" | "strike" | "del" | "tg-spoiler" => {
            (Kind::Format, &[])
        }
        "span" => (Kind::Format, &["class"]),
        "a" => (Kind::Exclusive, &["href"]),
        "tg-emoji" => (Kind::Exclusive, &["emoji-id"]),
        "code" => (Kind::Exclusive, &["class"]),
        "pre" => (Kind::Exclusive, &[]),
        "blockquote" => (Kind::Blockquote, &["expandable"]),
        _ => return Err(HtmlProblem::UnsupportedTag(name)),
    };
    for (attr, value) in &attributes {
        if !allowed.contains(&attr.as_str()) {
            return Err(bad(attr));
        }
        let valid = match attr.as_str() {
            "class" if name == "span" => value.as_deref() == Some("tg-spoiler"),
            "class" => value
                .as_deref()
                .and_then(|v| v.strip_prefix("language-"))
                .is_some_and(|lang| !lang.is_empty()),
            "emoji-id" => value
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit())),
            "href" => value.as_deref().is_some_and(|v| !v.is_empty()),
            "expandable" => value.is_none(),
            _ => false,
        };
        if !valid {
            return Err(bad(attr));
        }
    }
    let has = |a: &str| attributes.iter().any(|(n, _)| n == a);
    let required = match name.as_str() {
        "span" => Some("class=\"tg-spoiler\""),
        "a" => Some("href"),
        "tg-emoji" => Some("emoji-id"),
        _ => None,
    };
    if let Some(req) = required.filter(|r| !has(r.split('=').next().unwrap_or(r))) {
        return Err(missing(req));
    }
    let language = name == "code" && has("class");
    Ok(Tag {
        name,
        kind,
        language,
    })
}

/// `attr="value" flag attr='v'` → pairs; `None` when malformed. Values must be
/// quoted and may contain entities, which must be valid.
fn parse_attributes(mut s: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Some(out);
        }
        let name_end = s
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(s.len());
        let name = s[..name_end].to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return None;
        }
        s = s[name_end..].trim_start();
        let Some(after_eq) = s.strip_prefix('=') else {
            out.push((name, None));
            continue;
        };
        let after_eq = after_eq.trim_start();
        let quote = after_eq
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\''))?;
        let close = after_eq[1..].find(quote)?;
        let raw = &after_eq[1..1 + close];
        out.push((name, Some(decode_attribute(raw)?)));
        s = &after_eq[close + 2..];
    }
}

fn decode_attribute(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut i = 0;
    while let Some(c) = raw[i..].chars().next() {
        match c {
            '&' => {
                let (decoded, len) = decode_entity(&raw[i..]).ok()?;
                out.push(decoded);
                i += len;
            }
            '<' => return None,
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    Some(out)
}
