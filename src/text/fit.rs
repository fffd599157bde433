//! Fitting a reply into Telegram's message limit: 4096 characters of visible text,
//! counted in UTF-16 code units as Telegram counts them ("🎉" is two).
//!
//! A reply that fits goes as it is. A longer one (a preview or a confirmation
//! showing a full announcement and its thank-you note) is split into several
//! messages at blank lines that no HTML element spans, each but the last ending
//! with a note that it continues; a single paragraph too long even for a message
//! of its own is shortened, with a note saying so. The posts themselves are never
//! touched: their own limits are checked when they are written.

pub use super::html::TEXT_LIMIT;
use super::html::{escape_html, telegram_len, visible_text};

/// Room a message with buttons keeps free for the line that replaces its buttons
/// once pressed ("✅ Confirmed.", added by editing the message).
pub const BUTTONS_NOTE_ROOM: usize = 64;

/// Ends every message but the last of a split reply.
const CONTINUED: &str = "\n\n<i>(continued in the next message)</i>";

/// Ends a paragraph shortened to fit.
const SHORTENED: &str = "… <i>(shortened here to fit one message; the post itself is complete)</i>";

/// The visible length of `html` as Telegram counts it; for text that is not valid
/// Telegram HTML (Telegram would refuse it anyway) the raw length, an upper bound.
pub fn visible_len(html: &str) -> usize {
    match visible_text(html) {
        Ok(visible) => telegram_len(&visible),
        Err(_) => telegram_len(html),
    }
}

/// `html` as messages of at most `limit` visible characters each. Each but the
/// last ends with a note that the reply continues, where the note fits.
pub fn split(html: &str, limit: usize) -> Vec<String> {
    if visible_len(html) <= limit {
        return vec![html.to_owned()];
    }
    let mut messages: Vec<String> = Vec::new();
    let mut current = String::new();
    for block in blocks(html) {
        let joined = if current.is_empty() {
            block.clone()
        } else {
            format!("{current}\n\n{block}")
        };
        if visible_len(&joined) <= limit {
            current = joined;
            continue;
        }
        if !current.is_empty() {
            messages.push(std::mem::take(&mut current));
        }
        current = if visible_len(&block) <= limit {
            block
        } else {
            shorten(&block, limit)
        };
    }
    if !current.is_empty() {
        messages.push(current);
    }
    let last = messages.len().saturating_sub(1);
    for message in &mut messages[..last] {
        if visible_len(message) + visible_len(CONTINUED) <= limit {
            message.push_str(CONTINUED);
        }
    }
    messages
}

/// Sent under a long confirmation's last part, carrying the buttons: a message
/// short enough to take the note that replaces them when pressed.
pub const BUTTONS_BELOW_LONG_TEXT: &str =
    "⬆️ That was too long for one message, so it came in parts above. Send it?";

/// The paragraphs of `html` (split at blank lines), merged where an element spans
/// a blank line so that each block is valid HTML on its own. Text that is not
/// valid HTML as a whole is one block.
fn blocks(html: &str) -> Vec<String> {
    if visible_text(html).is_err() {
        return vec![html.to_owned()];
    }
    let mut blocks = Vec::new();
    let mut pending = String::new();
    for paragraph in html.split("\n\n") {
        if !pending.is_empty() {
            pending.push_str("\n\n");
        }
        pending.push_str(paragraph);
        if visible_text(&pending).is_ok() {
            blocks.push(std::mem::take(&mut pending));
        }
    }
    if !pending.is_empty() {
        blocks.push(pending);
    }
    blocks.retain(|b| !b.trim().is_empty());
    blocks
}

/// A block too long for one message: its visible text (formatting dropped), cut
/// to fit `budget` with [`SHORTENED`] after it.
fn shorten(block: &str, budget: usize) -> String {
    let visible = visible_text(block).unwrap_or_else(|_| block.to_owned());
    let room = budget.saturating_sub(visible_len(SHORTENED));
    let mut kept = String::new();
    let mut used = 0;
    for c in visible.chars() {
        used += c.len_utf16();
        if used > room {
            break;
        }
        kept.push(c);
    }
    format!("{}{SHORTENED}", escape_html(&kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(messages: &[String]) -> Vec<usize> {
        messages.iter().map(|m| visible_len(m)).collect()
    }

    #[test]
    fn a_reply_that_fits_is_left_alone() {
        let html = "<b>Preview</b>\n\nHello, <i>world</i>!";
        assert_eq!(split(html, TEXT_LIMIT), vec![html.to_owned()]);
    }

    #[test]
    fn length_is_counted_in_utf16_units_of_visible_text() {
        assert_eq!(visible_len("<b>🎉</b> &amp;"), 4);
        let two_thousand_emoji = "🎉".repeat(2_100); // 2,100 characters, 4,200 units
        let messages = split(&two_thousand_emoji, TEXT_LIMIT);
        assert!(messages.len() == 1 && messages[0].contains("shortened"));
        assert!(lens(&messages)[0] <= TEXT_LIMIT);
    }

    #[test]
    fn a_long_reply_is_split_at_blank_lines_each_part_within_the_limit() {
        let announce = "🎉".repeat(2_000);
        let thanks = "🙏".repeat(2_000);
        let html = format!(
            "<b>Announcement #1</b> of 200M mau:\n\n{announce}\n\n<b>Then the thank-you note:</b>\n\n{thanks}"
        );
        let messages = split(&html, TEXT_LIMIT);
        assert_eq!(messages.len(), 2, "{:?}", lens(&messages));
        assert!(messages[0].contains(&announce) && messages[0].contains("continued"));
        assert!(messages[1].contains(&thanks) && !messages[1].contains("continued"));
        for m in &messages {
            assert!(visible_len(m) <= TEXT_LIMIT);
            assert!(visible_text(m).is_ok(), "each part is valid HTML: {m}");
        }
    }

    #[test]
    fn a_blank_line_inside_an_element_is_not_a_split_point() {
        let quote = format!(
            "<blockquote>{}\n\n{}</blockquote>",
            "a".repeat(3_000),
            "b".repeat(500)
        );
        let html = format!("{}\n\n{quote}", "x".repeat(1_000));
        let messages = split(&html, TEXT_LIMIT);
        assert_eq!(messages.len(), 2);
        assert!(messages[1].starts_with("<blockquote>") && messages[1].contains("</blockquote>"));
    }

    #[test]
    fn a_paragraph_longer_than_a_message_is_shortened_with_a_note() {
        let html = format!("Header\n\n<b>{}</b>", "é".repeat(5_000));
        let messages = split(&html, TEXT_LIMIT);
        assert!(
            lens(&messages).iter().all(|&n| n <= TEXT_LIMIT),
            "{:?}",
            lens(&messages)
        );
        assert!(messages.last().unwrap().contains("shortened here"));
        assert!(messages.iter().all(|m| visible_text(m).is_ok()));
    }
}
