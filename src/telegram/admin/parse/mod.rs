//! Reading `/milestone …` into an [`AdminAction`], refusing bad input with a message
//! that says what is wrong and shows the usage. Pure: no I/O, table-tested.

use crate::milestones::rules::{Rule, RuleError};
use crate::text::number::{NumberError, parse_count};

/// Which part of a post a template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Announce,
    Thanks,
    /// The milestone card's title line.
    Card,
}

/// A milestone named by its rule id (`#3`, `3`) or by its value (`200M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A plain number without unit or separators: an id if one exists, else a value.
    IdOrValue(u64),
    /// A count written with a unit or separators (`200M`, `1,000,000`).
    Value(u64),
    /// Written as `#N`: an id and nothing else.
    Id(i64),
}

/// One admin request, fully parsed and validated.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminAction {
    Overview,
    Help,
    Status,
    List {
        metric: Option<String>,
    },
    Add {
        metric: String,
        rule: Rule,
        text: Option<String>,
    },
    Remove {
        id: i64,
    },
    /// Record what the count has passed as baseline (after importing history).
    Baseline {
        metric: String,
    },
    Template {
        metric: String,
        part: Part,
        text: String,
    },
    Preview {
        metric: Option<String>,
        target: Target,
    },
    Announce {
        metric: Option<String>,
        target: Target,
    },
    Thanks {
        text: String,
    },
    Broadcasts,
    Pause {
        id: i64,
    },
    Resume {
        id: i64,
    },
    Cancel {
        id: i64,
    },
    ResendUnknown {
        id: i64,
    },
    Approve {
        id: i64,
    },
    Edit {
        id: i64,
        text: String,
    },
    Withdraw {
        id: i64,
    },
    Chats,
    Admins,
    AdminAdd {
        user_id: i64,
    },
    AdminRemove {
        user_id: i64,
    },
}

/// Bad input: what is wrong, and the usage line of the subcommand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}\nUsage: {usage}")]
pub struct UsageError {
    pub problem: String,
    pub usage: &'static str,
}

/// Every subcommand with its usage line; the order is the order of `/milestone help`.
pub const USAGE: &[(&str, &str)] = &[
    ("status", "/milestone status"),
    ("list", "/milestone list [metric]"),
    (
        "add",
        "/milestone add <metric> <threshold|every N|round> [text]",
    ),
    ("remove", "/milestone remove <id>"),
    ("baseline", "/milestone baseline <metric>"),
    (
        "template",
        "/milestone template <metric> announce|thanks|card <text>",
    ),
    ("preview", "/milestone preview [metric] <id|threshold>"),
    ("announce", "/milestone announce [metric] <id|threshold>"),
    ("thanks", "/milestone thanks <text>"),
    ("approve", "/milestone approve <announcement id>"),
    ("edit", "/milestone edit <announcement id> <text>"),
    ("withdraw", "/milestone withdraw <announcement id>"),
    ("broadcasts", "/milestone broadcasts"),
    ("pause", "/milestone pause <announcement id>"),
    ("resume", "/milestone resume <announcement id>"),
    ("cancel", "/milestone cancel <announcement id>"),
    (
        "resend-unknown",
        "/milestone resend-unknown <announcement id>",
    ),
    ("chats", "/milestone chats"),
    ("admins", "/milestone admins [add|remove <user id>]"),
    ("help", "/milestone help"),
];

fn usage(sub: &str) -> &'static str {
    USAGE
        .iter()
        .find(|(name, _)| *name == sub)
        .map(|(_, u)| *u)
        .unwrap_or("/milestone help")
}

fn err(sub: &str, problem: impl Into<String>) -> UsageError {
    UsageError {
        problem: problem.into(),
        usage: usage(sub),
    }
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
    let no_args = |action: AdminAction| {
        if rest.is_empty() {
            Ok(action)
        } else {
            Err(err(&sub, format!("{sub} takes no arguments")))
        }
    };
    match sub.as_str() {
        "" => Ok(AdminAction::Overview),
        "help" => no_args(AdminAction::Help),
        "status" => no_args(AdminAction::Status),
        "broadcasts" => no_args(AdminAction::Broadcasts),
        "chats" => no_args(AdminAction::Chats),
        "list" => {
            let (metric, extra) = word(rest);
            if !extra.is_empty() {
                return Err(err(&sub, "list takes at most one metric"));
            }
            let metric = if metric.is_empty() {
                None
            } else {
                Some(known_metric(&sub, metric, metrics)?)
            };
            Ok(AdminAction::List { metric })
        }
        "add" => parse_add(rest, metrics),
        "remove" => Ok(AdminAction::Remove {
            id: only_id(&sub, rest)?,
        }),
        "baseline" => {
            let (metric, extra) = word(rest);
            if metric.is_empty() {
                return Err(err(&sub, "say which metric"));
            }
            if !extra.is_empty() {
                return Err(err(&sub, "baseline takes one metric"));
            }
            Ok(AdminAction::Baseline {
                metric: known_metric(&sub, metric, metrics)?,
            })
        }
        "template" => {
            let (metric, rest) = word(rest);
            let metric = known_metric(&sub, metric, metrics)?;
            let (part, text) = word(rest);
            let part = match part.to_ascii_lowercase().as_str() {
                "announce" | "announcement" => Part::Announce,
                "thanks" => Part::Thanks,
                "card" => Part::Card,
                "" => return Err(err(&sub, "say which template: announce, thanks or card")),
                other => {
                    return Err(err(
                        &sub,
                        format!("{other:?} is not a template; use announce, thanks or card"),
                    ));
                }
            };
            Ok(AdminAction::Template {
                metric,
                part,
                text: non_empty(&sub, text, "the template text")?,
            })
        }
        "preview" | "announce" => {
            let (first, second) = word(rest);
            let (metric, target_text) = if !second.is_empty() {
                (Some(known_metric(&sub, first, metrics)?), second)
            } else {
                (None, first)
            };
            let target = parse_target(&sub, target_text)?;
            Ok(if sub == "preview" {
                AdminAction::Preview { metric, target }
            } else {
                AdminAction::Announce { metric, target }
            })
        }
        "thanks" => Ok(AdminAction::Thanks {
            text: non_empty(&sub, rest, "the text of the note")?,
        }),
        "approve" => Ok(AdminAction::Approve {
            id: only_id(&sub, rest)?,
        }),
        "withdraw" => Ok(AdminAction::Withdraw {
            id: only_id(&sub, rest)?,
        }),
        "pause" => Ok(AdminAction::Pause {
            id: only_id(&sub, rest)?,
        }),
        "resume" => Ok(AdminAction::Resume {
            id: only_id(&sub, rest)?,
        }),
        "cancel" => Ok(AdminAction::Cancel {
            id: only_id(&sub, rest)?,
        }),
        "resend-unknown" => Ok(AdminAction::ResendUnknown {
            id: only_id(&sub, rest)?,
        }),
        "edit" => {
            let (id, text) = word(rest);
            Ok(AdminAction::Edit {
                id: parse_id(&sub, id)?,
                text: non_empty(&sub, text, "the new text")?,
            })
        }
        "admins" => {
            let (verb, user) = word(rest);
            match verb.to_ascii_lowercase().as_str() {
                "" => Ok(AdminAction::Admins),
                "add" => Ok(AdminAction::AdminAdd {
                    user_id: parse_user(&sub, user)?,
                }),
                "remove" => Ok(AdminAction::AdminRemove {
                    user_id: parse_user(&sub, user)?,
                }),
                other => Err(err(
                    &sub,
                    format!("{other:?} is not an admins action; use add or remove"),
                )),
            }
        }
        other => Err(err("help", format!("unknown subcommand {other:?}"))),
    }
}

fn parse_add(rest: &str, metrics: &[String]) -> Result<AdminAction, UsageError> {
    let (metric, rest) = word(rest);
    if metric.is_empty() {
        return Err(err("add", "say which metric and milestone"));
    }
    let metric = known_metric("add", metric, metrics)?;
    let (first, after_first) = word(rest);
    if first.is_empty() {
        return Err(err(
            "add",
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
        RuleError::Count(count) => err("add", count_problem(&count)),
        other => err("add", other.to_string()),
    })?;
    let text = (!text.is_empty()).then(|| text.to_owned());
    Ok(AdminAction::Add { metric, rule, text })
}

fn count_problem(e: &NumberError) -> String {
    e.to_string()
}

fn known_metric(sub: &str, name: &str, metrics: &[String]) -> Result<String, UsageError> {
    let lower = name.to_ascii_lowercase();
    if metrics.contains(&lower) {
        Ok(lower)
    } else {
        Err(err(
            sub,
            format!("unknown metric {name:?}; known: {}", metrics.join(", ")),
        ))
    }
}

fn non_empty(sub: &str, text: &str, what: &str) -> Result<String, UsageError> {
    let text = text.trim();
    if text.is_empty() {
        Err(err(sub, format!("{what} is missing")))
    } else {
        Ok(text.to_owned())
    }
}

fn parse_id(sub: &str, raw: &str) -> Result<i64, UsageError> {
    let digits = raw.strip_prefix('#').unwrap_or(raw);
    if digits.is_empty() {
        return Err(err(sub, "the id is missing"));
    }
    match digits.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(err(
            sub,
            format!("{raw:?} is not an id (a positive whole number, as /milestone list shows)"),
        )),
    }
}

fn only_id(sub: &str, rest: &str) -> Result<i64, UsageError> {
    let (id, extra) = word(rest);
    if !extra.is_empty() {
        return Err(err(sub, format!("unexpected {extra:?} after the id")));
    }
    parse_id(sub, id)
}

fn parse_user(sub: &str, raw: &str) -> Result<i64, UsageError> {
    match raw.trim().parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ if raw.trim().is_empty() => Err(err(sub, "the user id is missing")),
        _ => Err(err(
            sub,
            format!("{raw:?} is not a Telegram user id (a positive number)"),
        )),
    }
}

fn parse_target(sub: &str, raw: &str) -> Result<Target, UsageError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(err(
            sub,
            "say which milestone: its id (#3) or its value (200M)",
        ));
    }
    if let Some(id) = raw.strip_prefix('#') {
        return Ok(Target::Id(parse_id(sub, id)?));
    }
    let value = parse_count(raw).map_err(|e| err(sub, count_problem(&e)))?;
    Ok(if raw.bytes().all(|b| b.is_ascii_digit()) {
        Target::IdOrValue(value)
    } else {
        Target::Value(value)
    })
}

#[cfg(test)]
mod tests;
