//! Pictures end to end: the milestone card leading a broadcast (uploaded once,
//! re-sent by file id, decoded here), what happens when it cannot lead, the card
//! in `/milestone preview`, the growth chart answering `/milestone status`, and
//! the `card` and `status --chart` commands.

use crate::helpers::{
    DEADLINE, TestApp, announcement, channels_with_the_bot, fast_broadcast, queue_announcement,
    wait_for_state,
};
use chrono::{Duration, Utc};
use milestone_bot::broadcast::ops;
use milestone_bot::milestones::detector::Reading;
use milestone_bot::storage::Backend;
use milestone_bot::storage::announcements::{AnnouncementKind, NewAnnouncement};
use resvg::tiny_skia::Pixmap;
use telegram_sim::{ChatId, SentKind, SentMessage, UploadedFile};

crate::on_every_backend!(
    a_milestone_broadcast_leads_with_its_animated_card_uploaded_once,
    with_card_png_the_announcement_leads_with_the_still_card,
    a_text_longer_than_a_caption_goes_out_without_the_card_and_the_admin_is_told_why,
    preview_sends_the_card_with_the_announcement_as_caption_then_the_note,
    status_answers_with_the_growth_chart_captioned_by_the_text,
    status_without_any_reading_answers_with_text_only,
    the_cards_title_line_is_a_template_of_its_own,
    a_template_too_long_for_a_caption_is_refused_while_cards_are_on,
    a_card_announcement_is_edited_as_a_caption_and_withdrawn,
    status_chart_writes_the_same_chart_as_the_admin_gets,
    a_starting_announcements_card_is_drawn_before_any_delivery_is_claimed,
);

async fn spawn(backend: Backend, card: &str) -> Option<TestApp> {
    let card = card.to_owned();
    TestApp::spawn_with(backend, move |env| {
        fast_broadcast(env);
        env.insert("CARD".into(), card);
    })
    .await
}

/// A milestone announcement as the watcher writes it.
fn milestone(metric: &str, value: u64, text: &str) -> NewAnnouncement {
    NewAnnouncement {
        kind: AnnouncementKind::Milestone,
        metric: Some(metric.into()),
        milestone: Some(value),
        created_by: None,
        ..announcement(text, Some("Thank you!"), None)
    }
}

/// Every channel's messages, once each has `n`.
async fn wait_for_posts(app: &TestApp, chats: &[ChatId], n: usize) -> Vec<Vec<SentMessage>> {
    app.sim
        .wait_for(DEADLINE, |sim| {
            let all: Vec<Vec<SentMessage>> = chats.iter().map(|c| sim.messages(*c)).collect();
            all.iter().all(|m| m.len() >= n).then_some(all)
        })
        .await
        .expect("every chat got its posts")
}

/// The GIF's frames as a viewer sees them (each drawn over the ones before).
fn gif_frames(bytes: &[u8]) -> (u16, u16, Vec<Vec<u8>>) {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(bytes).expect("a valid GIF");
    let (w, h) = (decoder.width(), decoder.height());
    let mut screen = vec![0u8; usize::from(w) * usize::from(h) * 4];
    let mut frames = Vec::new();
    while let Some(f) = decoder.read_next_frame().expect("a valid frame") {
        for y in 0..usize::from(f.height) {
            for x in 0..usize::from(f.width) {
                let s = (y * usize::from(f.width) + x) * 4;
                if f.buffer[s + 3] > 0 {
                    let t =
                        ((y + usize::from(f.top)) * usize::from(w) + x + usize::from(f.left)) * 4;
                    screen[t..t + 4].copy_from_slice(&f.buffer[s..s + 4]);
                }
            }
        }
        frames.push(screen.clone());
    }
    (w, h, frames)
}

/// Distinct colours in an RGBA image: a blank picture has one or two.
fn colours(rgba: &[u8]) -> usize {
    let mut seen: Vec<[u8; 3]> = rgba.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

fn upload_of(app: &TestApp, msg: &SentMessage) -> UploadedFile {
    let id = msg.file_id.as_deref().expect("media has a file id");
    app.sim.uploaded_file(id).expect("the file was uploaded")
}

async fn a_milestone_broadcast_leads_with_its_animated_card_uploaded_once(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 3).await;
    let text = "🎉 <b>200 million monthly active users!</b>";

    queue_announcement(&app.db, milestone("mau", 200_000_000, text)).await;

    let posts = wait_for_posts(&app, &chats, 2).await;
    for chat in &posts {
        assert_eq!(chat[0].kind, SentKind::Animation, "{chat:?}");
        assert_eq!(
            chat[0].text.as_deref(),
            Some(text),
            "the text is the caption"
        );
        assert_eq!(chat[1].kind, SentKind::Text, "then the thank-you note");
    }
    let ids: Vec<&str> = posts
        .iter()
        .map(|c| c[0].file_id.as_deref().unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one file id for all: {ids:?}"
    );
    assert_eq!(posts.iter().filter(|c| c[0].uploaded).count(), 1);
    assert_eq!(app.sim.uploaded_files().len(), 1, "uploaded once");

    let file = upload_of(&app, &posts.iter().find(|c| c[0].uploaded).unwrap()[0]);
    assert!(file.size <= 1 << 20, "{} bytes", file.size);
    assert_eq!(file.file_name.as_deref(), Some("milestone.gif"));
    let (w, h, frames) = gif_frames(&file.bytes);
    assert_eq!((w, h), (1280, 720));
    assert_eq!(
        (file.width, file.height),
        (Some(1280), Some(720)),
        "as stated"
    );
    assert!(frames.len() >= 10, "a count-up, {} frames", frames.len());
    assert!(frames.windows(2).all(|f| f[0] != f[1]), "every frame moves");
    assert!(colours(frames.last().unwrap()) > 16, "not blank");
    assert_eq!(
        file.duration,
        Some(3),
        "about 2 s, rounded up to whole seconds"
    );
    app.stop().await;
}

async fn with_card_png_the_announcement_leads_with_the_still_card(backend: Backend) {
    let Some(app) = spawn(backend, "png").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;

    queue_announcement(&app.db, milestone("dau", 10_000, "<b>10K</b> a day!")).await;

    let posts = wait_for_posts(&app, &chats, 2).await;
    assert!(posts.iter().all(|c| c[0].kind == SentKind::Photo));
    let file = upload_of(&app, &posts.iter().find(|c| c[0].uploaded).unwrap()[0]);
    let png = Pixmap::decode_png(&file.bytes).expect("a valid PNG");
    assert_eq!((png.width(), png.height()), (1280, 720));
    assert!(colours(png.data()) > 16, "not blank");
    assert_eq!(app.sim.uploaded_files().len(), 1);
    app.stop().await;
}

async fn a_text_longer_than_a_caption_goes_out_without_the_card_and_the_admin_is_told_why(
    backend: Backend,
) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;
    let long = format!("<b>200M!</b> {}", "So many of you. ".repeat(80));

    let id = queue_announcement(&app.db, milestone("mau", 200_000_000, &long)).await;

    let posts = wait_for_posts(&app, &chats, 2).await;
    assert!(
        posts.iter().all(|c| c[0].kind == SentKind::Text),
        "{posts:?}"
    );
    assert!(app.sim.uploaded_files().is_empty());
    let admin = ChatId(app.admin.0);
    let told = app
        .sim
        .wait_for(DEADLINE, |sim| {
            sim.messages(admin)
                .into_iter()
                .find(|m| m.text.as_deref().unwrap_or("").contains("without its card"))
        })
        .await
        .expect("the admins are told");
    let told = told.text.unwrap();
    assert!(told.contains(&format!("#{id}")), "{told}");
    assert!(told.contains("longer than a caption"), "{told}");
    app.stop().await;
}

/// Sends a command as the admin and waits until `n` messages arrived after it.
async fn admin_says(app: &TestApp, text: &str, n: usize) -> Vec<SentMessage> {
    let chat = ChatId(app.admin.0);
    let before = app.sim.messages(chat).len();
    app.sim.send_text(&app.token, chat, app.admin, text);
    app.sim
        .wait_for(DEADLINE, |sim| {
            let new: Vec<SentMessage> = sim.messages(chat).into_iter().skip(before).collect();
            (new.len() >= n).then_some(new)
        })
        .await
        .unwrap_or_else(|| panic!("no {n} replies to {text:?}"))
}

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

/// Readings of `metric` over the last `days` days, growing.
async fn readings(app: &TestApp, metric: &str, days: i64, from: f64, per_day: f64) {
    let mut conn = app.db.pool().acquire().await.unwrap();
    let now = Utc::now();
    for h in (0..days * 24).step_by(6) {
        let estimate = from + per_day * h as f64 / 24.0;
        let reading = Reading {
            at: now - Duration::days(days) + Duration::hours(h),
            estimate: estimate as u64,
            std_error: estimate * 0.0081,
        };
        milestone_bot::storage::milestones::readings::insert(&mut conn, metric, &reading)
            .await
            .unwrap();
    }
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

async fn a_card_announcement_is_edited_as_a_caption_and_withdrawn(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;
    let id = queue_announcement(&app.db, milestone("mau", 200_000_000, "Typo")).await;
    wait_for_state(&app.db, id, "done", DEADLINE).await;

    let too_long = "x".repeat(1100);
    assert!(
        ops::edit(&app.db, id, ops::EditPart::Announcement, &too_long)
            .await
            .is_err(),
        "a caption cannot grow past 1024"
    );
    let edited = ops::edit(&app.db, id, ops::EditPart::Announcement, "Fixed")
        .await
        .unwrap();
    assert_eq!(edited, 2);
    wait_for_state(&app.db, id, "done", DEADLINE).await;
    for chat in &chats {
        let first = &app.sim.messages(*chat)[0];
        assert_eq!(first.kind, SentKind::Animation);
        assert_eq!(
            first.text.as_deref(),
            Some("Fixed"),
            "the caption was edited"
        );
    }

    ops::withdraw(&app.db, id).await.unwrap();
    wait_for_state(&app.db, id, "done", DEADLINE).await;
    for chat in &chats {
        assert!(app.sim.messages(*chat).iter().all(|m| m.deleted));
    }
    app.stop().await;
}

/// Runs the binary in a fresh directory (its default SQLite database there).
fn milestone_bot(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .current_dir(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_card_command_writes_the_count_up_gif_or_the_still_png() {
    let dir = tempfile::tempdir().unwrap();

    let (ok, out) = milestone_bot(
        dir.path(),
        &[
            "card", "--metric", "mau", "--value", "200M", "--out", "card.gif",
        ],
    );

    assert!(ok, "{out}");
    assert!(
        out.contains("wrote card.gif: the 200M card, 1280×720"),
        "{out}"
    );
    let (w, h, frames) = gif_frames(&std::fs::read(dir.path().join("card.gif")).unwrap());
    assert_eq!((w, h), (1280, 720));
    assert!(frames.len() > 1 && colours(frames.last().unwrap()) > 16);

    let (ok, out) = milestone_bot(
        dir.path(),
        &[
            "card", "--metric", "mau", "--value", "1.5B", "--out", "card.png",
        ],
    );
    assert!(ok, "{out}");
    let png = Pixmap::decode_png(&std::fs::read(dir.path().join("card.png")).unwrap()).unwrap();
    assert_eq!((png.width(), png.height()), (1280, 720));

    let (ok, out) = milestone_bot(
        dir.path(),
        &[
            "card", "--metric", "mau", "--value", "200M", "--out", "card.jpg",
        ],
    );
    assert!(!ok && out.contains(".gif"), "{out}");
}

#[test]
fn status_chart_says_when_there_is_nothing_to_chart() {
    let dir = tempfile::tempdir().unwrap();

    let (ok, out) = milestone_bot(dir.path(), &["status", "--chart", "chart.png"]);

    assert!(ok, "{out}");
    assert!(out.contains("no chart written"), "{out}");
    assert!(!dir.path().join("chart.png").exists());
}

async fn status_chart_writes_the_same_chart_as_the_admin_gets(backend: Backend) {
    let Some(app) = spawn(backend, "off").await else {
        return;
    };
    readings(&app, "mau", 10, 1_000_000.0, 50_000.0).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chart.png");

    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .args(["status", "--chart", path.to_str().unwrap()])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", app.database_url())
        .output()
        .await
        .unwrap();

    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("chart written to"), "{text}");
    let png = Pixmap::decode_png(&std::fs::read(&path).unwrap()).expect("a valid PNG");
    assert_eq!(png.width(), 1280);
    assert!(colours(png.data()) > 16);
    app.stop().await;
}

async fn a_starting_announcements_card_is_drawn_before_any_delivery_is_claimed(backend: Backend) {
    let Some(app) = spawn(backend, "gif").await else {
        return;
    };
    let chats = channels_with_the_bot(&app, 2).await;
    // Its deliveries fall due in an hour: nothing can be claimed before then.
    let mut new = milestone("mau", 200_000_000, "Soon");
    new.created_at = Utc::now() + Duration::hours(1);

    let id = queue_announcement(&app.db, new).await;

    crate::helpers::eventually("the card is drawn", || async {
        let media: Option<String> =
            sqlx::query_scalar("SELECT media_ref FROM announcements WHERE id = $1")
                .bind(id)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
        (media.as_deref() == Some("card:gif")).then_some(())
    })
    .await;
    for chat in &chats {
        assert!(app.sim.messages(*chat).is_empty(), "nothing sent yet");
        assert_eq!(
            crate::helpers::delivery(&app.db, id, chat.0).await.0,
            "pending"
        );
    }
    app.stop().await;
}
