//! How the demo tells its story: every line stamped with the time since the start,
//! messages shortened to one readable line. Formatting only, so it is tested here.

use crate::milestones::detector::Reading;
use crate::text::number::format_grouped;
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// Prints story lines stamped with the time since the demo started.
#[derive(Debug, Clone, Copy)]
pub struct Narrator {
    pub start: Instant,
    /// The same moment on the wall clock, for stamping what the database recorded.
    start_utc: DateTime<Utc>,
}

impl Narrator {
    pub fn new() -> Self {
        Narrator {
            start: Instant::now(),
            start_utc: Utc::now(),
        }
    }

    /// A line stamped at a wall-clock time the bot recorded (a reading, a milestone),
    /// so the story's times agree with the simulator's.
    pub fn say_at_utc(&self, at: DateTime<Utc>, text: impl AsRef<str>) {
        let elapsed = (at - self.start_utc).to_std().unwrap_or_default();
        println!("{} {}", stamp(elapsed), text.as_ref());
    }

    /// A line stamped now.
    pub fn say(&self, text: impl AsRef<str>) {
        self.say_at(Instant::now(), text);
    }

    /// A line stamped at `at` (e.g. when the simulator accepted a message).
    pub fn say_at(&self, at: Instant, text: impl AsRef<str>) {
        println!(
            "{} {}",
            stamp(at.saturating_duration_since(self.start)),
            text.as_ref()
        );
    }

    /// A heading between the acts, unstamped.
    pub fn act(&self, title: &str) {
        println!("\n== {title}");
    }
}

impl Default for Narrator {
    fn default() -> Self {
        Self::new()
    }
}

/// `[  1.25s]`: fixed width, so the story's lines align.
pub fn stamp(elapsed: Duration) -> String {
    format!("[{:>6.2}s]", elapsed.as_secs_f64())
}

/// `10,600 ids in today's sketch → dau reads 10,611 ± 86 (0.81%)`.
pub fn reading(metric: &str, ids: u64, r: &Reading) -> String {
    format!(
        "{} ids in today's sketch → {metric} reads {} ± {:.0} ({:.2}%)",
        format_grouped(ids),
        format_grouped(r.estimate),
        r.std_error,
        100.0 * r.std_error / (r.estimate.max(1) as f64)
    )
}

/// A message as one line: the HTML tags dropped, entities decoded, lines joined by
/// ` · `, cut to `max` characters with `…`.
pub fn one_line(html: &str, max: usize) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let joined: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = joined.join(" · ");
    if joined.chars().count() <= max {
        return joined;
    }
    let cut: String = joined.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// What a chat received, for the summary: exactly the two posts is the good case.
pub fn delivered(count: usize) -> &'static str {
    match count {
        2 => "announcement + thank-you",
        0 => "nothing",
        1 => "only one of the two posts",
        _ => "duplicates!",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_has_a_fixed_width_with_hundredths() {
        assert_eq!(stamp(Duration::from_millis(1250)), "[  1.25s]");
        assert_eq!(stamp(Duration::from_secs(42)), "[ 42.00s]");
    }

    #[test]
    fn a_message_becomes_one_line_without_tags_and_with_entities_decoded() {
        let html = "🎉 <b>10 thousand</b>\n\nTom &amp; Jerry &lt;3";

        assert_eq!(one_line(html, 100), "🎉 10 thousand · Tom & Jerry <3");
    }

    #[test]
    fn a_long_message_is_cut_with_an_ellipsis() {
        assert_eq!(one_line("abcdef ghij", 8), "abcdef…");
        assert_eq!(one_line("abc", 3), "abc");
    }

    #[test]
    fn a_reading_shows_the_estimate_with_its_error_in_ids_and_percent() {
        let r = Reading {
            at: Utc::now(),
            estimate: 10_000,
            std_error: 81.25,
        };

        assert_eq!(
            reading("dau", 9_990, &r),
            "9,990 ids in today's sketch → dau reads 10,000 ± 81 (0.81%)"
        );
    }

    #[test]
    fn only_exactly_two_posts_count_as_announcement_and_thank_you() {
        assert_eq!(delivered(2), "announcement + thank-you");
        assert_eq!(delivered(3), "duplicates!");
        assert_eq!(delivered(1), "only one of the two posts");
    }
}
