use super::*;

#[test]
fn escaping_replaces_the_four_special_characters() {
    assert_eq!(
        escape_html(r#"<b> & "x" > 'y'"#),
        "&lt;b&gt; &amp; &quot;x&quot; &gt; &#39;y&#39;"
    );
    assert_eq!(escape_html("200,000,000 🎉"), "200,000,000 🎉");
}

#[test]
fn escaped_text_is_valid_html_whose_visible_text_is_the_original() {
    for s in [
        "a < b && c > d",
        "\"quoted\"",
        "it's",
        "&amp; literally",
        "plain",
    ] {
        assert_eq!(visible_text(&escape_html(s)).as_deref(), Ok(s));
    }
}

#[test]
fn html_that_telegram_accepts_is_valid_and_counts_only_visible_text() {
    let cases = [
        (
            "<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em>",
            "bold s i e",
        ),
        (
            "<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del>",
            "uiskd",
        ),
        (
            "<tg-spoiler>x</tg-spoiler><span class=\"tg-spoiler\">y</span>",
            "xy",
        ),
        ("<a href=\"https://x.org/?a=1&amp;b=2\">link</a>", "link"),
        (
            "<tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>",
            "👍",
        ),
        (
            "<pre><code class=\"language-rust\">fn main() {}</code></pre>",
            "fn main() {}",
        ),
        ("<code>x</code> <pre>y</pre>", "x y"),
        (
            "<blockquote>q</blockquote><blockquote expandable>e</blockquote>",
            "qe",
        ),
        (
            "<b>bold <i>italic <a href='https://x'>link</a></i></b>",
            "bold italic link",
        ),
        (
            "<blockquote><b>b</b> <a href=\"https://x\">l</a></blockquote>",
            "b l",
        ),
        ("&lt;&gt;&amp;&quot;&#169;&#x1F389;", "<>&\"©🎉"),
        ("<B>case</B>", "case"),
    ];
    for (html, visible) in cases {
        assert_eq!(visible_text(html).as_deref(), Ok(visible), "{html}");
    }
}

#[test]
fn html_that_telegram_refuses_is_reported_with_its_position() {
    let cases: Vec<(&str, usize, HtmlProblem)> = vec![
        ("a < b", 3, HtmlProblem::BareLessThan),
        ("a > b", 3, HtmlProblem::BareGreaterThan),
        ("Tom & Jerry", 5, HtmlProblem::BareAmpersand),
        ("&nbsp;", 1, HtmlProblem::UnknownEntity("nbsp".into())),
        (
            "&#xD800;",
            1,
            HtmlProblem::InvalidCodePoint("#xD800".into()),
        ),
        ("é<br>", 2, HtmlProblem::UnsupportedTag("br".into())),
        ("<p>x</p>", 1, HtmlProblem::UnsupportedTag("p".into())),
        (
            "<b class=\"x\">x</b>",
            1,
            HtmlProblem::BadAttribute {
                tag: "b".into(),
                attribute: "class".into(),
            },
        ),
        (
            "<span class=\"red\">x</span>",
            1,
            HtmlProblem::BadAttribute {
                tag: "span".into(),
                attribute: "class".into(),
            },
        ),
        (
            "<a>x</a>",
            1,
            HtmlProblem::MissingAttribute {
                tag: "a".into(),
                attribute: "href".into(),
            },
        ),
        (
            "<tg-emoji emoji-id=\"x1\">👍</tg-emoji>",
            1,
            HtmlProblem::BadAttribute {
                tag: "tg-emoji".into(),
                attribute: "emoji-id".into(),
            },
        ),
        ("<a href=x>x</a>", 1, HtmlProblem::MalformedTag),
        ("<b>x", 1, HtmlProblem::Unclosed("b".into())),
        ("x</b>", 2, HtmlProblem::UnexpectedClose("b".into())),
        (
            "<b><i>x</b></i>",
            8,
            HtmlProblem::Mismatched {
                expected: "i".into(),
                found: "b".into(),
            },
        ),
        (
            "<code><b>x</b></code>",
            7,
            HtmlProblem::NotAllowedInside {
                tag: "b".into(),
                parent: "code".into(),
            },
        ),
        (
            "<a href=\"h\"><code>x</code></a>",
            13,
            HtmlProblem::NotAllowedInside {
                tag: "code".into(),
                parent: "a".into(),
            },
        ),
        (
            "<a href=\"h\"><a href=\"h\">x</a></a>",
            13,
            HtmlProblem::NotAllowedInside {
                tag: "a".into(),
                parent: "a".into(),
            },
        ),
        (
            "<blockquote><blockquote>x</blockquote></blockquote>",
            13,
            HtmlProblem::NotAllowedInside {
                tag: "blockquote".into(),
                parent: "blockquote".into(),
            },
        ),
    ];
    for (html, position, problem) in cases {
        assert_eq!(
            visible_text(html),
            Err(HtmlError { position, problem }),
            "{html}"
        );
    }
}

#[test]
fn a_language_class_is_only_allowed_on_code_directly_inside_pre() {
    let err = visible_text("<code class=\"language-rust\">x</code>").unwrap_err();
    assert!(
        matches!(err.problem, HtmlProblem::BadAttribute { .. }),
        "{err}"
    );
}

#[test]
fn telegram_length_counts_utf16_code_units() {
    assert_eq!(telegram_len("abc"), 3);
    assert_eq!(telegram_len("é"), 1);
    assert_eq!(telegram_len("🎉"), 2);
}

#[test]
fn error_messages_say_what_to_write_instead() {
    let message = visible_text("Tom & Jerry").unwrap_err().to_string();
    assert_eq!(message, "a bare \"&\" (write &amp;) at character 5");
}
