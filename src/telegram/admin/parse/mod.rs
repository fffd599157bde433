//! Reading `/milestone …` into an [`AdminAction`], refusing bad input with a message
//! that says what is wrong and shows the usage. Pure: no I/O, table-tested.
//!
//! Teloxide's command machinery (`#[derive(BotCommands)]`) picks the subcommand by
//! its name and hands the rest of the line to the variant's `parse_with` reader; the
//! variants' doc comments are the usage lines `/milestone help` lists. The readers
//! below do by hand only what the machinery cannot express: metric names known at
//! run time, counts like `200M`, ids like `#3`, and free text after them.

use crate::milestones::rules::{Rule, RuleError};
pub use crate::milestones::texts::Slot;
use crate::text::number::{NumberError, parse_count};
use crate::vocab::{AnnouncementId, MetricName, RuleId, UserId};
use teloxide::utils::command::{BotCommands, ParseError};

/// A milestone named by its rule id (`#3`, `3`) or by its value (`200M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A plain number without unit or separators: an id if one exists, else a value.
    IdOrValue(u64),
    /// A count written with a unit or separators (`200M`, `1,000,000`).
    Value(u64),
    /// Written as `#N`: an id and nothing else.
    Id(RuleId),
}

/// What `/milestone admins` changes, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChange {
    Add(UserId),
    Remove(UserId),
}

/// One admin request, fully parsed and validated: a subcommand of `/milestone`.
/// Each doc comment is the subcommand's usage line; their order is the order of
/// `/milestone help`. Read it with [`parse`], which knows the configured metrics.
// The usage lines are written as admins read them (`<metric>`, `[text]`), not as
// rustdoc markup.
#[allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
#[derive(BotCommands, Debug, Clone, PartialEq)]
#[command(prefix = "", rename_rule = "kebab-case")]
pub enum AdminAction {
    /// `/milestone` alone: the overview, which lists the subcommands.
    #[command(rename = "", hide)]
    Overview,
    /// /milestone status
    Status,
    /// /milestone list [metric]
    #[command(parse_with = list_args)]
    List { metric: Option<MetricName> },
    /// /milestone add <metric> <threshold|every N|round> [text]
    #[command(parse_with = add_args)]
    Add {
        metric: MetricName,
        rule: Rule,
        text: Option<String>,
    },
    /// /milestone remove <id>
    #[command(parse_with = one_id)]
    Remove { id: RuleId },
    // Records what the count has passed as baseline (after importing history).
    /// /milestone baseline <metric>
    #[command(parse_with = baseline_args)]
    Baseline { metric: MetricName },
    /// /milestone template <metric> announce|thanks|card <text>
    #[command(parse_with = template_args)]
    Template {
        metric: MetricName,
        part: Slot,
        text: String,
    },
    /// /milestone preview [metric] <id|threshold>
    #[command(parse_with = metric_and_target)]
    Preview {
        metric: Option<MetricName>,
        target: Target,
    },
    /// /milestone announce [metric] <id|threshold>
    #[command(parse_with = metric_and_target)]
    Announce {
        metric: Option<MetricName>,
        target: Target,
    },
    /// /milestone thanks <text>
    #[command(parse_with = note_text)]
    Thanks { text: String },
    /// /milestone approve <announcement id>
    #[command(parse_with = one_id)]
    Approve { id: AnnouncementId },
    /// /milestone edit <announcement id> <text>
    #[command(parse_with = edit_args)]
    Edit { id: AnnouncementId, text: String },
    /// /milestone withdraw <announcement id>
    #[command(parse_with = one_id)]
    Withdraw { id: AnnouncementId },
    /// /milestone broadcasts
    Broadcasts,
    /// /milestone pause <announcement id>
    #[command(parse_with = one_id)]
    Pause { id: AnnouncementId },
    /// /milestone resume <announcement id>
    #[command(parse_with = one_id)]
    Resume { id: AnnouncementId },
    /// /milestone cancel <announcement id>
    #[command(parse_with = one_id)]
    Cancel { id: AnnouncementId },
    /// /milestone resend-unknown <announcement id>
    #[command(parse_with = one_id)]
    ResendUnknown { id: AnnouncementId },
    /// /milestone chats
    Chats,
    /// /milestone admins [add|remove <user id>]
    #[command(parse_with = admins_args)]
    Admins { change: Option<AdminChange> },
    /// /milestone help
    Help,
}

impl AdminAction {
    /// The subcommands that take nothing after their name (the machinery passes
    /// over whatever follows a variant without fields).
    fn takes_no_arguments(&self) -> bool {
        matches!(
            self,
            AdminAction::Overview
                | AdminAction::Status
                | AdminAction::Broadcasts
                | AdminAction::Chats
                | AdminAction::Help
        )
    }
}

/// Bad input: what is wrong, and the usage line of the subcommand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}\nUsage: {usage}")]
pub struct UsageError {
    pub problem: String,
    pub usage: String,
}

/// Every subcommand with its usage line, in the order of `/milestone help`: the
/// names and doc comments of [`AdminAction`]'s variants.
pub fn usage() -> Vec<(String, String)> {
    AdminAction::bot_commands()
        .into_iter()
        .map(|c| (c.command, c.description))
        .collect()
}

fn usage_of(sub: &str) -> String {
    usage()
        .into_iter()
        .find(|(name, _)| name == sub)
        .map(|(_, line)| line)
        .unwrap_or_else(|| "/milestone help".to_owned())
}

fn err(sub: &str, problem: impl Into<String>) -> UsageError {
    UsageError {
        problem: problem.into(),
        usage: usage_of(sub),
    }
}

/// What a reader found wrong; [`parse`] adds the subcommand's usage line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Problem(String);

fn problem(text: impl Into<String>) -> ParseError {
    ParseError::Custom(Box::new(Problem(text.into())))
}

tokio::task_local! {
    /// The configured metric names, while [`parse`] runs: the machinery hands a
    /// reader only the text, and a metric is checked where it stands in the line,
    /// before what follows it.
    static METRICS: Vec<String>;
}

/// Splits off the first whitespace-separated word.
fn word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Parses the text after `/milestone`. `metrics` are the configured metric names.
pub fn parse(args: &str, metrics: &[String]) -> Result<AdminAction, UsageError> {
    let (sub, rest) = word(args);
    let sub = sub.to_ascii_lowercase();
    let unknown = || err("help", format!("unknown subcommand {sub:?}"));
    if sub.contains('@') {
        // The machinery would read `add@name` as addressed to a bot.
        return Err(unknown());
    }
    let line = format!("{sub} {rest}");
    let action = METRICS
        .sync_scope(metrics.to_vec(), || AdminAction::parse(&line, ""))
        .map_err(|e| match e {
            ParseError::UnknownCommand(_) | ParseError::WrongBotName(_) => unknown(),
            ParseError::Custom(e) | ParseError::IncorrectFormat(e) => err(&sub, e.to_string()),
            other => err(&sub, other.to_string()),
        })?;
    if action.takes_no_arguments() && !rest.is_empty() {
        return Err(err(&sub, format!("{sub} takes no arguments")));
    }
    Ok(action)
}

fn list_args(rest: String) -> Result<(Option<MetricName>,), ParseError> {
    let (metric, extra) = word(&rest);
    if !extra.is_empty() {
        return Err(problem("list takes at most one metric"));
    }
    let metric = if metric.is_empty() {
        None
    } else {
        Some(known_metric(metric)?)
    };
    Ok((metric,))
}

fn add_args(rest: String) -> Result<(MetricName, Rule, Option<String>), ParseError> {
    let (metric, rest) = word(&rest);
    if metric.is_empty() {
        return Err(problem("say which metric and milestone"));
    }
    let metric = known_metric(metric)?;
    let (first, after_first) = word(rest);
    if first.is_empty() {
        return Err(problem(
            "say which milestone: a threshold (200M), every N, or round",
        ));
    }
    let (rule_text, text) = if first.eq_ignore_ascii_case("every") {
        let (step, text) = word(after_first);
        (format!("every {step}"), text)
    } else {
        (first.to_owned(), after_first)
    };
    let rule = Rule::parse(&rule_text).map_err(|e| match e {
        RuleError::Count(count) => problem(count_problem(&count)),
        other => problem(other.to_string()),
    })?;
    let text = (!text.is_empty()).then(|| text.to_owned());
    Ok((metric, rule, text))
}

fn baseline_args(rest: String) -> Result<(MetricName,), ParseError> {
    let (metric, extra) = word(&rest);
    if metric.is_empty() {
        return Err(problem("say which metric"));
    }
    if !extra.is_empty() {
        return Err(problem("baseline takes one metric"));
    }
    Ok((known_metric(metric)?,))
}

fn template_args(rest: String) -> Result<(MetricName, Slot, String), ParseError> {
    let (metric, rest) = word(&rest);
    let metric = known_metric(metric)?;
    let (part, text) = word(rest);
    let part = match part.to_ascii_lowercase().as_str() {
        "announce" | "announcement" => Slot::Announce,
        "thanks" => Slot::Thanks,
        "card" => Slot::Card,
        "" => return Err(problem("say which template: announce, thanks or card")),
        other => {
            return Err(problem(format!(
                "{other:?} is not a template; use announce, thanks or card"
            )));
        }
    };
    Ok((metric, part, non_empty(text, "the template text")?))
}

fn metric_and_target(rest: String) -> Result<(Option<MetricName>, Target), ParseError> {
    let (first, second) = word(&rest);
    let (metric, target_text) = if !second.is_empty() {
        (Some(known_metric(first)?), second)
    } else {
        (None, first)
    };
    Ok((metric, parse_target(target_text)?))
}

fn note_text(rest: String) -> Result<(String,), ParseError> {
    Ok((non_empty(&rest, "the text of the note")?,))
}

fn edit_args(rest: String) -> Result<(AnnouncementId, String), ParseError> {
    let (id, text) = word(&rest);
    Ok((parse_id(id)?.into(), non_empty(text, "the new text")?))
}

/// One id and nothing after it: an announcement's or a rule's, as the variant says.
fn one_id<Id: From<i64>>(rest: String) -> Result<(Id,), ParseError> {
    let (id, extra) = word(&rest);
    if !extra.is_empty() {
        return Err(problem(format!("unexpected {extra:?} after the id")));
    }
    Ok((parse_id(id)?.into(),))
}

fn admins_args(rest: String) -> Result<(Option<AdminChange>,), ParseError> {
    let (verb, user) = word(&rest);
    let change = match verb.to_ascii_lowercase().as_str() {
        "" => None,
        "add" => Some(AdminChange::Add(parse_user(user)?)),
        "remove" => Some(AdminChange::Remove(parse_user(user)?)),
        other => {
            return Err(problem(format!(
                "{other:?} is not an admins action; use add or remove"
            )));
        }
    };
    Ok((change,))
}

fn count_problem(e: &NumberError) -> String {
    e.to_string()
}

fn known_metric(name: &str) -> Result<MetricName, ParseError> {
    let lower = name.to_ascii_lowercase();
    METRICS
        .try_with(|metrics| match MetricName::parse(&lower) {
            // The configured names are metric names; one of them reads as one.
            Ok(known) if metrics.contains(&lower) => Ok(known),
            _ => Err(problem(format!(
                "unknown metric {name:?}; known: {}",
                metrics.join(", ")
            ))),
        })
        .unwrap_or_else(|_| Err(problem(format!("unknown metric {name:?}; known: "))))
}

fn non_empty(text: &str, what: &str) -> Result<String, ParseError> {
    let text = text.trim();
    if text.is_empty() {
        Err(problem(format!("{what} is missing")))
    } else {
        Ok(text.to_owned())
    }
}

fn parse_id(raw: &str) -> Result<i64, ParseError> {
    let digits = raw.strip_prefix('#').unwrap_or(raw);
    if digits.is_empty() {
        return Err(problem("the id is missing"));
    }
    match digits.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(problem(format!(
            "{raw:?} is not an id (a positive whole number, as /milestone list shows)"
        ))),
    }
}

fn parse_user(raw: &str) -> Result<UserId, ParseError> {
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(UserId(id)),
        _ if raw.trim().is_empty() => Err(problem("the user id is missing")),
        _ => Err(problem(format!(
            "{raw:?} is not a Telegram user id (a positive number)"
        ))),
    }
}

fn parse_target(raw: &str) -> Result<Target, ParseError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(problem(
            "say which milestone: its id (#3) or its value (200M)",
        ));
    }
    if let Some(id) = raw.strip_prefix('#') {
        return Ok(Target::Id(parse_id(id)?.into()));
    }
    let value = parse_count(raw).map_err(|e| problem(count_problem(&e)))?;
    Ok(if raw.bytes().all(|b| b.is_ascii_digit()) {
        Target::IdOrValue(value)
    } else {
        Target::Value(value)
    })
}

#[cfg(test)]
mod tests;
