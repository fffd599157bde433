//! Pictures for admins: the card in `/milestone preview`, the chart answering
//! `/milestone status`, the card's title template, the caption check at save.

use super::{admin_says, colours, gif_frames, readings, spawn, upload_of};
use crate::helpers::{TestApp, channels_with_the_bot};
use milestone_bot::storage::Backend;
use resvg::tiny_skia::Pixmap;
use telegram_sim::SentKind;

crate::on_every_backend!(
    preview_sends_the_card_with_the_announcement_as_caption_then_the_note,
    status_answers_with_the_growth_chart_captioned_by_the_text,
    status_without_any_reading_answers_with_text_only,
    the_cards_title_line_is_a_template_of_its_own,
    a_template_too_long_for_a_caption_is_refused_while_cards_are_on,
);

async fn preview_sends_the_card_with_the_announcement_as_caption_then_the_note(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];

    let sent = admin_says(&app, "/milestone preview mau 200M", 3).await;

    assert_eq!(sent[0].kind, SentKind::Animation, "{sent:?}");
    let caption = sent[0].text.clone().unwrap_or_default();
    assert!(caption.contains("200"), "{caption}");
    let file = upload_of(&app, &sent[0]);
    let (w, h, frames) = gif_frames(&file.bytes);
    assert_eq!((w, h), (1280, 720));
    assert!(frames.len() > 1);
    assert!(
        sent[1]
            .text
            .as_deref()
            .unwrap_or("")
            .to_lowercase()
            .contains("thank")
    );
    assert!(
        sent[2]
            .text
            .as_deref()
            .unwrap_or("")
            .contains("nothing was sent")
    );
    assert!(app.sim.messages(channel).is_empty());
    app.stop().await;
}

async fn status_answers_with_the_growth_chart_captioned_by_the_text(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    readings(&app, "mau", 20, 150_000_000.0, 2_000_000.0).await;

    let sent = admin_says(&app, "/milestone status", 1).await;

    let chart = sent
        .iter()
        .find(|m| m.kind == SentKind::Photo)
        .unwrap_or_else(|| panic!("a chart: {sent:?}"));
    let caption = chart.text.clone().unwrap_or_default();
    assert!(
        caption.contains("Status") && caption.contains("mau"),
        "{caption}"
    );
    let file = upload_of(&app, chart);
    assert_eq!(file.file_name.as_deref(), Some("status.png"));
    let png = Pixmap::decode_png(&file.bytes).expect("a valid PNG");
    assert_eq!(png.width(), 1280);
    assert!(png.height() >= 400, "one panel at least");
    assert!(colours(png.data()) > 16, "not blank");
    app.stop().await;
}

async fn status_without_any_reading_answers_with_text_only(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |env| {
        env.insert("METRICS".into(), "signups:1".into());
        env.insert("MILESTONE_RULES".into(), "signups=round".into());
        env.insert("WATCH_INTERVAL".into(), "1h".into());
    })
    .await
    else {
        return;
    };
    sqlx::query("DELETE FROM milestone_readings")
        .execute(app.db.pool())
        .await
        .unwrap();

    let sent = admin_says(&app, "/milestone status", 1).await;

    assert_eq!(sent[0].kind, SentKind::Text, "{sent:?}");
    assert!(
        sent[0]
            .text
            .as_deref()
            .unwrap_or("")
            .contains("no reading yet")
    );
    assert!(app.sim.uploaded_files().is_empty(), "no empty chart");
    app.stop().await;
}

async fn the_cards_title_line_is_a_template_of_its_own(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };

    let sent = admin_says(
        &app,
        "/milestone template mau card Acme · {milestone_short}",
        1,
    )
    .await;
    let reply = sent[0].text.clone().unwrap_or_default();
    assert!(reply.contains("It reads: <b>Acme · 200M</b>"), "{reply}");

    let bad = admin_says(&app, "/milestone template mau card {nope}", 1).await;
    assert!(
        bad[0]
            .text
            .as_deref()
            .unwrap_or("")
            .contains("unknown variable"),
        "{bad:?}"
    );
    app.stop().await;
}

async fn a_template_too_long_for_a_caption_is_refused_while_cards_are_on(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let long = "x".repeat(1100);

    let sent = admin_says(&app, &format!("/milestone template mau announce {long}"), 1).await;

    let reply = sent[0].text.clone().unwrap_or_default();
    assert!(reply.contains("caption"), "{reply}");
    assert!(reply.contains("1024"), "{reply}");
    app.stop().await;
}
