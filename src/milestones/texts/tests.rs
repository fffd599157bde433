use super::*;

fn mau() -> MetricName {
    MetricName::parse("mau").unwrap()
}

fn row(milestone: Option<u64>, slot: Slot, body: Option<&str>, media: Option<&str>) -> TemplateRow {
    TemplateRow {
        metric: mau(),
        milestone,
        slot,
        body: body.map(Into::into),
        media_kind: media.map(|_| MediaKind::Photo),
        media_ref: media.map(Into::into),
    }
}

#[test]
fn without_rows_both_texts_are_the_defaults_and_there_is_no_media() {
    let resolved = resolve(&[], Some(200));
    assert_eq!(resolved.announce, DEFAULT_ANNOUNCEMENT);
    assert_eq!(resolved.thanks, DEFAULT_THANKS);
    assert_eq!(resolved.media, None);
}

#[test]
fn a_milestone_text_wins_over_the_metric_text_which_wins_over_the_default() {
    let rows = [
        row(None, Slot::Announce, Some("metric {milestone}"), None),
        row(Some(200), Slot::Announce, Some("own {milestone}"), None),
        row(None, Slot::Thanks, Some("thanks"), None),
    ];
    assert_eq!(resolve(&rows, Some(200)).announce, "own {milestone}");
    assert_eq!(resolve(&rows, Some(300)).announce, "metric {milestone}");
    assert_eq!(resolve(&rows, Some(200)).thanks, "thanks");
    assert_eq!(resolve(&rows, None).announce, "metric {milestone}");
}

#[test]
fn media_resolves_independently_of_the_text() {
    let rows = [
        row(
            None,
            Slot::Announce,
            None,
            Some("https://example.com/cake.jpg"),
        ),
        row(Some(200), Slot::Announce, Some("own"), None),
    ];
    let resolved = resolve(&rows, Some(200));
    assert_eq!(resolved.announce, "own");
    assert_eq!(
        resolved.media.map(|m| m.reference),
        Some("https://example.com/cake.jpg".to_string())
    );
}

#[test]
fn a_text_too_long_for_a_caption_is_refused_once_media_applies_to_it() {
    let long = "x".repeat(2000);
    let text_only = [row(Some(200), Slot::Announce, Some(&long), None)];
    assert!(check_all(&mau(), &text_only).is_ok());

    let with_media = with_change(text_only.to_vec(), &mau(), None, Slot::Announce, |r| {
        r.media_kind = Some(MediaKind::Photo);
        r.media_ref = Some("file-id".into());
    });
    let err = check_all(&mau(), &with_media).unwrap_err().to_string();
    assert!(err.contains("mau at 200"), "{err}");
    assert!(err.contains("caption"), "{err}");
    assert!(err.contains("by 976"), "{err}");
}

#[test]
fn an_unknown_variable_is_refused_with_its_name() {
    let rows = [row(None, Slot::Thanks, Some("Thanks {typo}"), None)];
    let err = check_all(&mau(), &rows).unwrap_err().to_string();
    assert!(err.contains("thank-you note of mau"), "{err}");
    assert!(err.contains("{typo}"), "{err}");
}
