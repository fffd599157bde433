use super::*;
use crate::milestones::country::country_rank;

fn ctx(milestone: u64) -> TemplateContext {
    TemplateContext {
        milestone,
        metric: MetricName::parse("mau").unwrap(),
        metric_label: "monthly active users".to_string(),
        count: milestone.saturating_add(1_234),
        date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        days_since_previous: Some(42),
    }
}

fn render(src: &str, ctx: &TemplateContext) -> String {
    Template::parse(src, TemplateKind::Text)
        .unwrap_or_else(|e| panic!("{src:?}: {e}"))
        .render(ctx)
}

#[test]
fn every_variable_renders_its_value() {
    let ctx = ctx(200_000_000);
    let cases = [
        ("{milestone}", "200,000,000".to_string()),
        ("{milestone_short}", "200M".to_string()),
        ("{milestone_words}", "200 million".to_string()),
        ("{metric}", "mau".to_string()),
        ("{metric_label}", "monthly active users".to_string()),
        ("{count}", "200,001,234".to_string()),
        ("{date}", "26 November 2026".to_string()),
        ("{days_since_previous}", "42".to_string()),
        ("{country_rank}", country_rank(200_000_000).phrase()),
    ];
    for (src, expected) in cases {
        assert_eq!(render(src, &ctx), expected, "{src}");
    }
}

#[test]
fn without_a_previous_milestone_the_days_show_a_dash() {
    let ctx = TemplateContext {
        days_since_previous: None,
        ..ctx(1_000)
    };
    assert_eq!(render("{days_since_previous}", &ctx), "—");
}

#[test]
fn values_are_escaped_and_template_html_is_kept() {
    let ctx = TemplateContext {
        metric_label: "Q&A <fans>".to_string(),
        ..ctx(1_000)
    };
    assert_eq!(
        render("<b>{metric_label}</b> &amp; co", &ctx),
        "<b>Q&amp;A &lt;fans&gt;</b> &amp; co"
    );
}

#[test]
fn doubled_braces_are_literal_braces() {
    assert_eq!(
        render("{{milestone}} is {milestone_short}}}", &ctx(2_000)),
        "{milestone} is 2K}"
    );
}

#[test]
fn templates_with_mistakes_are_refused_with_the_place_and_the_reason() {
    let cases: Vec<(&str, TemplateError)> = vec![
        (
            "Hi {milestnoe}!",
            TemplateError::UnknownVariable {
                name: "milestnoe".into(),
                position: 4,
            },
        ),
        (
            "{}",
            TemplateError::UnknownVariable {
                name: "".into(),
                position: 1,
            },
        ),
        (
            "Hi {milestone",
            TemplateError::UnclosedBrace { position: 4 },
        ),
        (
            "{a {milestone}",
            TemplateError::UnclosedBrace { position: 1 },
        ),
        ("Hi } there", TemplateError::StrayBrace { position: 4 }),
        ("   \n ", TemplateError::Empty),
    ];
    for (src, expected) in cases {
        assert_eq!(
            Template::parse(src, TemplateKind::Text),
            Err(expected),
            "{src}"
        );
    }
}

#[test]
fn an_unknown_variable_message_lists_the_known_ones() {
    let message = Template::parse("{typo}", TemplateKind::Text)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("unknown variable {typo} at character 1; known: {milestone}, "),
        "{message}"
    );
    assert!(message.contains("{country_rank}"), "{message}");
}

#[test]
fn html_errors_point_at_the_character_in_the_source() {
    let err = Template::parse("{milestone} & more", TemplateKind::Text).unwrap_err();
    let TemplateError::Html(html) = err else {
        panic!("{err:?}")
    };
    assert_eq!(html.position, 13);
    let err = Template::parse("<b>{count}", TemplateKind::Text).unwrap_err();
    assert!(
        err.to_string()
            .contains("<b> is never closed at character 1"),
        "{err}"
    );
}

#[test]
fn a_variable_may_sit_in_a_link_but_not_in_a_tag_or_an_entity() {
    assert!(
        Template::parse(
            "<a href=\"https://x.org/{metric}\">x</a>",
            TemplateKind::Text
        )
        .is_ok()
    );
    assert!(Template::parse("<{metric}>x</{metric}>", TemplateKind::Text).is_err());
    assert!(Template::parse("&{metric};", TemplateKind::Text).is_err());
}

#[test]
fn length_is_checked_with_the_longest_values_against_each_kind_limit() {
    // {count} is at most 26 characters: 18,446,744,073,709,551,615.
    let cases = [
        (TemplateKind::Text, 4096 - 26, Ok(())),
        (
            TemplateKind::Text,
            4096 - 25,
            Err(TemplateError::TooLong {
                limit: 4096,
                over: 1,
            }),
        ),
        (TemplateKind::Caption, 1024 - 26, Ok(())),
        (
            TemplateKind::Caption,
            1024,
            Err(TemplateError::TooLong {
                limit: 1024,
                over: 26,
            }),
        ),
    ];
    for (kind, padding, expected) in cases {
        let src = format!("{}{{count}}", "a".repeat(padding));
        assert_eq!(
            Template::parse(&src, kind).map(|_| ()),
            expected,
            "{kind:?} {padding}"
        );
    }
}

#[test]
fn length_counts_utf16_units_of_visible_text_only() {
    // Each 🎉 is two UTF-16 units; tags and entities do not count beyond what they show.
    let fits = format!("<b>{}</b>&amp;", "🎉".repeat(511));
    assert!(Template::parse(&fits, TemplateKind::Caption).is_ok());
    let over = format!("<b>{}</b>&amp;", "🎉".repeat(512));
    assert_eq!(
        Template::parse(&over, TemplateKind::Caption),
        Err(TemplateError::TooLong {
            limit: 1024,
            over: 1
        })
    );
}

#[test]
fn the_length_error_says_by_how_much() {
    let err = Template::parse(&"a".repeat(4100), TemplateKind::Text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "over the 4096-character limit by 4 characters (counting the longest values the variables can take)"
    );
}

#[test]
fn an_empty_caption_is_allowed() {
    assert!(Template::parse("", TemplateKind::Caption).is_ok());
}

#[test]
fn the_defaults_parse_as_text_and_caption_and_render_valid_html_for_many_numbers() {
    for src in [DEFAULT_ANNOUNCEMENT, DEFAULT_THANKS] {
        for kind in [TemplateKind::Text, TemplateKind::Caption] {
            let template = Template::parse(src, kind).unwrap_or_else(|e| panic!("{e}"));
            for milestone in [
                1_000,
                1_000_000,
                200_000_000,
                1_500_000_000,
                10_000_000_000,
                u64::MAX,
            ] {
                let text = template.render(&ctx(milestone));
                let visible = html::visible_text(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert!(!visible.contains(['{', '}']), "{visible}");
                assert!(visible.contains("monthly active users"), "{visible}");
            }
        }
    }
}

#[test]
fn the_default_announcement_reads_as_a_sentence() {
    let text = render(DEFAULT_ANNOUNCEMENT, &ctx(200_000_000));
    let expected = format!(
        "🎉 <b>200 million monthly active users!</b>\n\nToday we passed <b>200,000,000</b> monthly active users — {}.\n\nThank you for being one of them.",
        country_rank(200_000_000).phrase()
    );
    assert_eq!(text, expected);
}

#[test]
fn below_every_country_the_default_announcement_has_no_country_clause() {
    let text = render(DEFAULT_ANNOUNCEMENT, &ctx(1_000));
    assert!(
        text.contains("Today we passed <b>1,000</b> monthly active users.\n"),
        "{text}"
    );
    assert_eq!(
        render("{metric_label}, {country_rank}!", &ctx(1_000)),
        "monthly active users!"
    );
}

#[test]
fn preview_renders_what_parse_and_render_would() {
    let ctx = ctx(5_000);
    assert_eq!(
        preview("<i>{milestone_short}</i>", TemplateKind::Caption, &ctx),
        Ok("<i>5K</i>".to_string())
    );
    assert!(preview("{nope}", TemplateKind::Caption, &ctx).is_err());
}
