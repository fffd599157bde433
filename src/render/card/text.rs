//! Setting the card's text in the room it has: the largest size that fits, cut
//! with an ellipsis, wrapped into lines, escaped for SVG.

use crate::render::font::{self, Weight};

/// The largest size from `max` down to `min` at which `text` fits `room`.
pub(super) fn fitting_size(text: &str, weight: Weight, max: f32, min: f32, room: f32) -> f32 {
    let per_px = font::width(text, weight, 1.0).max(f32::EPSILON);
    (room / per_px).clamp(min, max)
}

/// `text` cut with an ellipsis to fit `room` px at `size` (with `tracking` px
/// between letters).
pub(super) fn fit(text: &str, weight: Weight, size: f32, tracking: f32, room: f32) -> String {
    let fits = |s: &str| font::width(s, weight, size) + tracking * s.chars().count() as f32 <= room;
    if fits(text) {
        return text.to_owned();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect::<String>().trim_end().to_owned() + "…";
        if fits(&cut) {
            return cut;
        }
    }
    String::new()
}

/// Words into at most `max_lines` lines of `room` px; the last one cut if need be.
pub(super) fn wrap(
    text: &str,
    weight: Weight,
    size: f32,
    room: f32,
    max_lines: usize,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if font::width(&candidate, weight, size) <= room || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_owned()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines - 1).join(" ");
        lines.push(fit(&rest, weight, size, 0.0, room));
    }
    lines
        .into_iter()
        .map(|l| fit(&l, weight, size, 0.0, room))
        .collect()
}

/// Text for an SVG text node or attribute: Telegram's escaping
/// ([`escape_html`](crate::text::html::escape_html)), which is XML's too, after
/// control characters (which XML 1.0 forbids) become spaces.
pub(super) fn xml(s: &str) -> String {
    crate::text::html::escape_html(&s.replace(|c: char| c.is_control(), " "))
}
