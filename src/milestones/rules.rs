//! Which counts are milestones: explicit thresholds and series.
//!
//! A metric has a set of rules; its milestones are the union of theirs. Series can
//! be huge (`every 1` has a milestone at every integer), so nothing here enumerates
//! a range: [`next_above`] and [`highest_at_or_below`] answer in constant time per
//! rule, and [`milestones_in`] lists at most [`LIST_CAP`] values, the highest ones.

use std::fmt;
use std::num::NonZeroU64;
use std::str::FromStr;

use crate::text::number::{NumberError, format_grouped, format_short, parse_count};

/// The smallest milestone of [`Rule::RoundNumbers`]. Announcing 1, 2 and 5 users
/// would be noise; a service that wants the series to start higher adds it anyway,
/// and everything already passed is recorded as a baseline on the first reading.
pub const ROUND_NUMBERS_MIN: u64 = 1_000;

/// How many milestones [`milestones_in`] lists at most. Only the highest milestone
/// reached matters to the detector; the list is for history and status messages.
pub const LIST_CAP: usize = 100;

/// One way of naming milestones. Stored as its [`Display`](fmt::Display) text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A single milestone, e.g. `200M`.
    Threshold(NonZeroU64),
    /// Every multiple of the step, e.g. `every 10M`: 10M, 20M, 30M, …
    Every(NonZeroU64),
    /// 1-2-5 × 10^k from [`ROUND_NUMBERS_MIN`]: 1K, 2K, 5K, 10K, 20K, 50K, …
    RoundNumbers,
}

/// Why a rule could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The text is neither a count, `every <count>` nor `round`.
    #[error(
        "\"{input}\" is not a milestone rule; write a count (200M), a series (every 10M) or round (1K, 2K, 5K, 10K, …)"
    )]
    Unrecognized { input: String },
    /// The count in a threshold or an `every` series is invalid.
    #[error(transparent)]
    Count(#[from] NumberError),
}

impl Rule {
    /// Reads `200M` (threshold), `every 10M` or `every:10M` (series), `round` or
    /// `1-2-5` (round numbers). Case and surrounding spaces do not matter.
    pub fn parse(s: &str) -> Result<Rule, RuleError> {
        let text = s.trim();
        let lower = text.to_ascii_lowercase();
        if matches!(lower.as_str(), "round" | "1-2-5" | "round numbers") {
            return Ok(Rule::RoundNumbers);
        }
        if lower.starts_with("every") {
            let step = &text["every".len()..];
            let step = step.strip_prefix(':').unwrap_or(step);
            return Ok(Rule::Every(nonzero(parse_count(step)?)));
        }
        if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return Ok(Rule::Threshold(nonzero(parse_count(text)?)));
        }
        Err(RuleError::Unrecognized {
            input: text.to_string(),
        })
    }

    /// The smallest milestone of this rule strictly above `x`.
    pub fn next_above(&self, x: u64) -> Option<u64> {
        match *self {
            Rule::Threshold(t) => (t.get() > x).then_some(t.get()),
            Rule::Every(step) => (x / step.get() + 1).checked_mul(step.get()),
            Rule::RoundNumbers => round_numbers().find(|&m| m > x),
        }
    }

    /// The largest milestone of this rule at or below `x`.
    pub fn highest_at_or_below(&self, x: u64) -> Option<u64> {
        match *self {
            Rule::Threshold(t) => (t.get() <= x).then_some(t.get()),
            Rule::Every(step) => Some(x / step.get() * step.get()).filter(|&m| m > 0),
            Rule::RoundNumbers => round_numbers().take_while(|&m| m <= x).last(),
        }
    }
}

fn nonzero(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).expect("parse_count refuses zero")
}

/// 1-2-5 × 10^k from [`ROUND_NUMBERS_MIN`] up to the largest that fits in u64.
fn round_numbers() -> impl Iterator<Item = u64> {
    (0..=u64::MAX.ilog10())
        .flat_map(|k| [1, 2, 5].map(|d| 10u64.pow(k).checked_mul(d)))
        .map_while(|m| m)
        .filter(|&m| m >= ROUND_NUMBERS_MIN)
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Rule, RuleError> {
        Rule::parse(s)
    }
}

/// The canonical text, which [`Rule::parse`] reads back to the same rule.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Threshold(t) => f.write_str(&canonical_count(t.get())),
            Rule::Every(step) => write!(f, "every {}", canonical_count(step.get())),
            Rule::RoundNumbers => f.write_str("round"),
        }
    }
}

/// The short form when it is exact (`200M`), else grouped digits (`1,234,567`).
fn canonical_count(n: u64) -> String {
    let short = format_short(n);
    if parse_count(&short) == Ok(n) {
        short
    } else {
        format_grouped(n)
    }
}

/// The smallest milestone of any rule strictly above `x`.
pub fn next_above(rules: &[Rule], x: u64) -> Option<u64> {
    rules.iter().filter_map(|r| r.next_above(x)).min()
}

/// The largest milestone of any rule at or below `x`.
pub fn highest_at_or_below(rules: &[Rule], x: u64) -> Option<u64> {
    rules.iter().filter_map(|r| r.highest_at_or_below(x)).max()
}

/// The milestones in `(lo_exclusive, hi_inclusive]`, ascending, without
/// duplicates; when there are more than [`LIST_CAP`], only the highest
/// [`LIST_CAP`] of them.
pub fn milestones_in(rules: &[Rule], lo_exclusive: u64, hi_inclusive: u64) -> Vec<u64> {
    walk_down(lo_exclusive, hi_inclusive, |x| {
        highest_at_or_below(rules, x)
    })
}

/// The values in `(lo_exclusive, hi_inclusive]` that `highest` finds walking down
/// from `hi_inclusive` (each call: the largest at or below its argument), ascending;
/// at most the highest [`LIST_CAP`] of them.
pub fn walk_down(
    lo_exclusive: u64,
    hi_inclusive: u64,
    highest: impl Fn(u64) -> Option<u64>,
) -> Vec<u64> {
    let mut found = Vec::new();
    let mut ceiling = hi_inclusive;
    while found.len() < LIST_CAP {
        match highest(ceiling) {
            Some(m) if m > lo_exclusive => {
                found.push(m);
                ceiling = m - 1;
            }
            _ => break,
        }
    }
    found.reverse();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threshold(n: u64) -> Rule {
        Rule::Threshold(NonZeroU64::new(n).unwrap())
    }

    fn every(n: u64) -> Rule {
        Rule::Every(NonZeroU64::new(n).unwrap())
    }

    #[test]
    fn rules_parse_from_the_forms_admins_type() {
        let cases = [
            ("200M", threshold(200_000_000)),
            ("200,000,000", threshold(200_000_000)),
            ("every 10M", every(10_000_000)),
            ("every:10M", every(10_000_000)),
            ("Every 1", every(1)),
            ("round", Rule::RoundNumbers),
            ("1-2-5", Rule::RoundNumbers),
            ("  ROUND ", Rule::RoundNumbers),
        ];
        for (input, expected) in cases {
            assert_eq!(Rule::parse(input), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn invalid_rules_are_refused_with_the_reason() {
        let s = |x: &str| x.to_string();
        let cases = [
            ("", RuleError::Unrecognized { input: s("") }),
            ("weekly", RuleError::Unrecognized { input: s("weekly") }),
            ("every", RuleError::Count(NumberError::Empty)),
            (
                "every 0",
                RuleError::Count(NumberError::Zero { input: s("0") }),
            ),
            (
                "-5",
                RuleError::Count(NumberError::Negative { input: s("-5") }),
            ),
            (
                "1.2345K",
                RuleError::Count(NumberError::Fractional {
                    input: s("1.2345K"),
                }),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Rule::parse(input), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn the_canonical_text_round_trips_through_parse() {
        let cases = [
            (threshold(200_000_000), "200M"),
            (threshold(1_234_567), "1,234,567"),
            (threshold(1_500_000_000), "1.5B"),
            (threshold(999), "999"),
            (threshold(u64::MAX), "18,446,744,073,709,551,615"),
            (every(10_000_000), "every 10M"),
            (every(1), "every 1"),
            (Rule::RoundNumbers, "round"),
        ];
        for (rule, text) in cases {
            assert_eq!(rule.to_string(), text);
            assert_eq!(Rule::parse(text), Ok(rule));
        }
    }

    #[test]
    fn round_numbers_are_one_two_five_times_powers_of_ten_from_the_minimum() {
        let first: Vec<u64> = round_numbers().take(7).collect();
        assert_eq!(
            first,
            [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000]
        );
        assert_eq!(round_numbers().last(), Some(10_000_000_000_000_000_000));
    }

    #[test]
    fn next_above_is_the_smallest_milestone_strictly_greater() {
        let rules = [threshold(250), every(100), Rule::RoundNumbers];
        let cases = [
            (0, Some(100)),
            (100, Some(200)),
            (200, Some(250)),
            (250, Some(300)),
            (999, Some(1_000)),
            (u64::MAX - 1, None),
        ];
        for (x, expected) in cases {
            assert_eq!(next_above(&rules, x), expected, "x = {x}");
        }
        assert_eq!(next_above(&[], 5), None);
    }

    #[test]
    fn highest_at_or_below_is_the_largest_milestone_not_above() {
        let rules = [threshold(250), every(100), Rule::RoundNumbers];
        let cases = [
            (0, None),
            (99, None),
            (100, Some(100)),
            (260, Some(250)),
            (2_050, Some(2_000)),
            (u64::MAX, Some(u64::MAX / 100 * 100)),
        ];
        for (x, expected) in cases {
            assert_eq!(highest_at_or_below(&rules, x), expected, "x = {x}");
        }
    }

    #[test]
    fn milestones_in_a_range_are_sorted_deduplicated_and_exclusive_of_the_low_end() {
        let rules = [
            threshold(250),
            every(100),
            threshold(300),
            Rule::RoundNumbers,
        ];
        assert_eq!(
            milestones_in(&rules, 100, 1_000),
            [200, 250, 300, 400, 500, 600, 700, 800, 900, 1_000]
        );
        assert_eq!(milestones_in(&rules, 1_000, 1_000), Vec::<u64>::new());
    }

    #[test]
    fn a_huge_range_lists_only_the_highest_milestones_up_to_the_cap() {
        let listed = milestones_in(&[every(1)], 0, 200_000_000);
        assert_eq!(listed.len(), LIST_CAP);
        assert_eq!(listed.first(), Some(&(200_000_000 - LIST_CAP as u64 + 1)));
        assert_eq!(listed.last(), Some(&200_000_000));
    }
}
