//! The variables a template can use, their values, and the longest values they
//! can take (for the length check when a template is saved).

use super::TemplateContext;
use crate::milestones::country::{country_rank, longest_phrase};
use crate::text::number::{format_grouped, format_short, format_words};

/// The longest metric name the length check assumes, in UTF-16 code units.
/// Whoever creates metrics must refuse longer names.
pub const MAX_METRIC_LEN: usize = 32;

/// The longest metric label ("monthly active users") the length check assumes, in
/// UTF-16 code units (`html::telegram_len`). Whoever stores labels must refuse
/// longer ones.
pub const MAX_METRIC_LABEL_LEN: usize = 64;

/// What `{days_since_previous}` shows when there is no previous milestone.
pub const NO_PREVIOUS: &str = "—";

/// A template variable, written `{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// `200,000,000`
    Milestone,
    /// `200M`
    MilestoneShort,
    /// `200 million`
    MilestoneWords,
    /// `mau`
    Metric,
    /// `monthly active users`
    MetricLabel,
    /// The current estimate, grouped: `201,234,567`
    Count,
    /// `26 November 2026`
    Date,
    /// Days since the previous milestone of this metric, or [`NO_PREVIOUS`].
    DaysSincePrevious,
    /// Where the milestone (not the count) would rank among countries:
    /// `if it were a country, it would be the 8th most populous in the world, …`
    /// (top 100), `more people than live in Iceland`, or empty below every country.
    CountryRank,
}

impl Var {
    pub const ALL: [Var; 9] = [
        Var::Milestone,
        Var::MilestoneShort,
        Var::MilestoneWords,
        Var::Metric,
        Var::MetricLabel,
        Var::Count,
        Var::Date,
        Var::DaysSincePrevious,
        Var::CountryRank,
    ];

    /// The name written between braces.
    pub fn name(self) -> &'static str {
        match self {
            Var::Milestone => "milestone",
            Var::MilestoneShort => "milestone_short",
            Var::MilestoneWords => "milestone_words",
            Var::Metric => "metric",
            Var::MetricLabel => "metric_label",
            Var::Count => "count",
            Var::Date => "date",
            Var::DaysSincePrevious => "days_since_previous",
            Var::CountryRank => "country_rank",
        }
    }

    pub fn from_name(name: &str) -> Option<Var> {
        Var::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The unescaped value for an announcement.
    pub fn value(self, ctx: &TemplateContext) -> String {
        match self {
            Var::Milestone => format_grouped(ctx.milestone),
            Var::MilestoneShort => format_short(ctx.milestone),
            Var::MilestoneWords => format_words(ctx.milestone),
            Var::Metric => ctx.metric.to_string(),
            Var::MetricLabel => ctx.metric_label.clone(),
            Var::Count => format_grouped(ctx.count),
            Var::Date => ctx.date.format("%-d %B %Y").to_string(),
            Var::DaysSincePrevious => ctx
                .days_since_previous
                .map_or_else(|| NO_PREVIOUS.to_string(), |d| d.to_string()),
            Var::CountryRank => country_rank(ctx.milestone).phrase(),
        }
    }

    /// A value at least as long, in UTF-16 code units, as any this variable can
    /// take (dates assumed before the year 10000).
    pub fn longest_value(self) -> String {
        let longest = |f: fn(u64) -> String| {
            let candidates = (1..=19).map(|k| 10u64.pow(k) - 1).chain([u64::MAX]);
            candidates
                .map(f)
                .max_by_key(|s| s.encode_utf16().count())
                .unwrap_or_default()
        };
        match self {
            Var::Milestone | Var::Count => format_grouped(u64::MAX),
            Var::MilestoneShort => longest(format_short),
            Var::MilestoneWords => longest(format_words),
            Var::Metric => "m".repeat(MAX_METRIC_LEN),
            Var::MetricLabel => "m".repeat(MAX_METRIC_LABEL_LEN),
            Var::Date => "30 September 9999".to_string(),
            Var::DaysSincePrevious => i64::MIN.to_string(),
            Var::CountryRank => longest_phrase(),
        }
    }
}

/// `{milestone}, {milestone_short}, …` for error messages.
pub fn known_names() -> String {
    Var::ALL
        .iter()
        .map(|v| format!("{{{}}}", v.name()))
        .collect::<Vec<_>>()
        .join(", ")
}
