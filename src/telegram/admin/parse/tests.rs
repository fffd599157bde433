//! Table tests of `/milestone` parsing: what reads, and what is refused and how.

use super::*;

fn name(raw: &str) -> MetricName {
    MetricName::parse(raw).unwrap()
}

fn metrics() -> Vec<String> {
    vec!["dau".into(), "wau".into(), "mau".into()]
}

#[test]
fn well_formed_commands_parse_into_actions() {
    let cases: Vec<(&str, AdminAction)> = vec![
        ("", AdminAction::Overview),
        ("status", AdminAction::Status),
        ("list", AdminAction::List { metric: None }),
        (
            "list MAU",
            AdminAction::List {
                metric: Some(name("mau")),
            },
        ),
        (
            "add mau 200M",
            AdminAction::Add {
                metric: name("mau"),
                rule: Rule::parse("200M").unwrap(),
                text: None,
            },
        ),
        (
            "add mau every 10M Ten more million!",
            AdminAction::Add {
                metric: name("mau"),
                rule: Rule::parse("every 10M").unwrap(),
                text: Some("Ten more million!".into()),
            },
        ),
        (
            "add dau round",
            AdminAction::Add {
                metric: name("dau"),
                rule: Rule::RoundNumbers,
                text: None,
            },
        ),
        ("remove 3", AdminAction::Remove { id: RuleId(3) }),
        ("remove #3", AdminAction::Remove { id: RuleId(3) }),
        (
            "baseline MAU",
            AdminAction::Baseline {
                metric: name("mau"),
            },
        ),
        (
            "template mau thanks Thank <b>you</b>",
            AdminAction::Template {
                metric: name("mau"),
                part: Slot::Thanks,
                text: "Thank <b>you</b>".into(),
            },
        ),
        (
            "template mau card Acme · {milestone_short}",
            AdminAction::Template {
                metric: name("mau"),
                part: Slot::Card,
                text: "Acme · {milestone_short}".into(),
            },
        ),
        (
            "preview 200M",
            AdminAction::Preview {
                metric: None,
                target: Target::Value(200_000_000),
            },
        ),
        (
            "preview mau 7",
            AdminAction::Preview {
                metric: Some(name("mau")),
                target: Target::IdOrValue(7),
            },
        ),
        (
            "announce #7",
            AdminAction::Announce {
                metric: None,
                target: Target::Id(RuleId(7)),
            },
        ),
        (
            "thanks You are great",
            AdminAction::Thanks {
                text: "You are great".into(),
            },
        ),
        (
            "edit 4 New text",
            AdminAction::Edit {
                id: AnnouncementId(4),
                text: "New text".into(),
            },
        ),
        (
            "resend-unknown 9",
            AdminAction::ResendUnknown {
                id: AnnouncementId(9),
            },
        ),
        ("admins", AdminAction::Admins { change: None }),
        (
            "admins add 42",
            AdminAction::Admins {
                change: Some(AdminChange::Add(UserId(42))),
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parse(input, &metrics()), Ok(expected), "{input}");
    }
}

#[test]
fn bad_input_says_what_is_wrong_and_shows_the_usage() {
    let cases = [
        ("add mau -5", "negative", "/milestone add"),
        ("add mau abc", "abc", "/milestone add"),
        ("add mau 1e40", "1e40", "/milestone add"),
        ("add mau 0", "0", "/milestone add"),
        ("add mau 99999999999999999999999", "large", "/milestone add"),
        ("add users 200M", "unknown metric", "/milestone add"),
        ("add mau", "which milestone", "/milestone add"),
        ("frobnicate", "unknown subcommand", "/milestone help"),
        ("remove abc", "not an id", "/milestone remove"),
        ("remove", "missing", "/milestone remove"),
        ("remove -1", "not an id", "/milestone remove"),
        (
            "template mau footer hi",
            "not a template",
            "/milestone template",
        ),
        ("template mau thanks", "missing", "/milestone template"),
        ("thanks", "missing", "/milestone thanks"),
        ("preview", "which milestone", "/milestone preview"),
        (
            "admins add bob",
            "not a Telegram user id",
            "/milestone admins",
        ),
        ("status now", "no arguments", "/milestone status"),
        ("baseline", "which metric", "/milestone baseline"),
        ("baseline users", "unknown metric", "/milestone baseline"),
        ("baseline mau dau", "one metric", "/milestone baseline"),
    ];
    for (input, problem, usage) in cases {
        let e = parse(input, &metrics()).expect_err(input);
        let shown = e.to_string();
        assert!(
            shown.to_lowercase().contains(&problem.to_lowercase()),
            "{input}: {shown}"
        );
        assert!(shown.contains(usage), "{input}: {shown}");
    }
}

#[test]
fn every_subcommand_has_a_usage_line() {
    for (name, line) in usage() {
        assert!(line.starts_with(&format!("/milestone {name}")), "{line}");
    }
}

#[test]
fn the_usage_lines_are_the_ones_admins_always_saw_in_that_order() {
    let lines: Vec<String> = usage().into_iter().map(|(_, line)| line).collect();
    assert_eq!(
        lines,
        [
            "/milestone status",
            "/milestone list [metric]",
            "/milestone add <metric> <threshold|every N|round> [text]",
            "/milestone remove <id>",
            "/milestone baseline <metric>",
            "/milestone template <metric> announce|thanks|card <text>",
            "/milestone preview [metric] <id|threshold>",
            "/milestone announce [metric] <id|threshold>",
            "/milestone thanks <text>",
            "/milestone approve <announcement id>",
            "/milestone edit <announcement id> <text>",
            "/milestone withdraw <announcement id>",
            "/milestone broadcasts",
            "/milestone pause <announcement id>",
            "/milestone resume <announcement id>",
            "/milestone cancel <announcement id>",
            "/milestone resend-unknown <announcement id>",
            "/milestone chats",
            "/milestone admins [add|remove <user id>]",
            "/milestone help",
        ]
    );
}

#[test]
fn words_are_split_on_any_whitespace_and_the_subcommand_in_any_case() {
    assert_eq!(
        parse("THANKS\n  You are great", &metrics()),
        Ok(AdminAction::Thanks {
            text: "You are great".into()
        })
    );
    assert_eq!(
        parse("  Remove\t#3 ", &metrics()),
        Ok(AdminAction::Remove { id: RuleId(3) })
    );
}

#[test]
fn only_the_subcommands_listed_are_read() {
    for input in ["overview", "add@bot mau 5", "add@ mau 5", "admin-add 5"] {
        let e = parse(input, &metrics()).expect_err(input);
        assert!(e.problem.starts_with("unknown subcommand"), "{input}: {e}");
        assert_eq!(e.usage, "/milestone help", "{input}");
    }
}

#[test]
fn a_metric_is_checked_before_what_follows_it() {
    for input in [
        "add users abc",
        "template users footer",
        "template",
        "preview users abc",
    ] {
        let e = parse(input, &metrics()).expect_err(input);
        assert!(e.problem.starts_with("unknown metric"), "{input}: {e}");
    }
}
