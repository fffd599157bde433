//! Telegram's HTML parse mode, checked roughly as Telegram does, so a bot's
//! template bugs surface in tests as the same 400 they would in production.

/// Tags Telegram accepts in `parse_mode: HTML`.
const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
];

/// Parses `html` and returns the visible text (tags removed, entities
/// decoded), or the message Telegram puts after "can't parse entities: ".
pub fn visible_text(html: &str) -> Result<String, String> {
    let mut out = String::with_capacity(html.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < html.len() {
        match bytes[i] {
            b'<' => {
                let end = html[i..]
                    .find('>')
                    .map(|e| i + e)
                    .ok_or_else(|| format!("Unclosed start tag at byte offset {i}"))?;
                let inner = &html[i + 1..end];
                if let Some(name) = inner.strip_prefix('/') {
                    close_tag(&mut open, name.trim(), i)?;
                } else {
                    open.push(open_tag(inner, i)?);
                }
                i = end + 1;
            }
            b'&' => {
                let (decoded, len) = entity(&html[i..]);
                out.push_str(&decoded);
                i += len;
            }
            _ => {
                let ch = html[i..].chars().next().unwrap_or_default();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    match open.last() {
        Some(tag) => Err(format!(
            "Can't find end tag corresponding to start tag \"{tag}\""
        )),
        None => Ok(out),
    }
}

/// The tag's name, if Telegram knows it.
fn open_tag(inner: &str, offset: usize) -> Result<String, String> {
    let name: String = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_ascii_lowercase();
    if !TAGS.contains(&name.as_str()) {
        return Err(format!(
            "Unsupported start tag \"{name}\" at byte offset {offset}"
        ));
    }
    Ok(name)
}

/// Pops the innermost open tag, which must be `name`.
fn close_tag(open: &mut Vec<String>, name: &str, offset: usize) -> Result<(), String> {
    let name = name.to_ascii_lowercase();
    match open.pop() {
        Some(expected) if expected == name => Ok(()),
        Some(expected) => Err(format!(
            "Unmatched end tag at byte offset {offset}, expected \"</{expected}>\", found \"</{name}>\""
        )),
        None => Err(format!("Unexpected end tag at byte offset {offset}")),
    }
}

/// Decodes the entity at the start of `s`; unknown ones stay literal, as in
/// Telegram. Returns the text and the bytes consumed.
fn entity(s: &str) -> (String, usize) {
    let Some(semi) = s.find(';').filter(|&p| p <= 10) else {
        return ("&".into(), 1);
    };
    let body = &s[1..semi];
    let named = match body {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => None,
    };
    let numeric = || {
        let n = body.strip_prefix('#')?;
        let code = match n.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => n.parse().ok()?,
        };
        char::from_u32(code)
    };
    match named.or_else(numeric) {
        Some(c) => (c.to_string(), semi + 1),
        None => ("&".into(), 1),
    }
}

/// Telegram's length measure: UTF-16 code units of the visible text (as its entity
/// offsets count), so an emoji outside the Basic Multilingual Plane counts two.
pub fn visible_len(text: &str, parse_mode: Option<&str>) -> Result<usize, String> {
    match parse_mode {
        Some(m) if m.eq_ignore_ascii_case("html") => Ok(visible_text(text)?.encode_utf16().count()),
        _ => Ok(text.encode_utf16().count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_html_yields_its_visible_text() {
        let cases = [
            ("<b>200,000,000</b> users", "200,000,000 users"),
            ("<a href=\"https://x\">link</a> &amp; &lt;3", "link & <3"),
            ("<i><b>x</b></i>&#33;&#x21;", "x!!"),
            ("Tom & Jerry", "Tom & Jerry"),
            ("<B>caps</B>", "caps"),
        ];
        for (html, text) in cases {
            assert_eq!(visible_text(html).as_deref(), Ok(text), "{html}");
        }
    }

    #[test]
    fn malformed_html_is_refused_with_telegrams_wording() {
        let cases = [
            (
                "<blink>x</blink>",
                "Unsupported start tag \"blink\" at byte offset 0",
            ),
            (
                "<b>x",
                "Can't find end tag corresponding to start tag \"b\"",
            ),
            (
                "<b>x</i>",
                "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\"",
            ),
            ("x</b>", "Unexpected end tag at byte offset 1"),
            ("1 < 2", "Unclosed start tag at byte offset 2"),
        ];
        for (html, err) in cases {
            assert_eq!(visible_text(html), Err(err.to_string()), "{html}");
        }
    }

    #[test]
    fn length_counts_characters_not_bytes_or_markup() {
        assert_eq!(visible_len("<b>héllo</b>", Some("HTML")), Ok(5));
        assert_eq!(visible_len("<b>🎉</b>", Some("HTML")), Ok(2));
        assert_eq!(visible_len("🎉🎉", None), Ok(4));
        assert_eq!(visible_len("<b>héllo</b>", None), Ok(12));
    }
}
