//! Pictures end to end: the milestone card leading a broadcast (uploaded once,
//! re-sent by file id, decoded here), what happens when it cannot lead, the card in
//! `/milestone preview`, the growth chart answering `/milestone status`, and the
//! `card` and `status --chart` commands. Shared set-up and decoding here.

mod admin;
mod broadcast;
mod cli;

use crate::helpers::{DEADLINE, TestApp, announcement, fast_broadcast};
use chrono::{Duration, Utc};
use milestone_bot::milestones::detector::Reading;
use milestone_bot::storage::Backend;
use milestone_bot::storage::announcements::{AnnouncementKind, NewAnnouncement};
use telegram_sim::{ChatId, SentMessage, UploadedFile};

pub async fn spawn(backend: Backend, card: &str) -> Option<TestApp> {
    let card = card.to_owned();
    TestApp::spawn_with(backend, move |env| {
        fast_broadcast(env);
        env.insert("CARD".into(), card);
    })
    .await
}

/// A milestone announcement as the watcher writes it.
pub fn milestone(metric: &str, value: u64, text: &str) -> NewAnnouncement {
    NewAnnouncement {
        kind: AnnouncementKind::Milestone,
        metric: Some(milestone_bot::vocab::MetricName::parse(metric).unwrap()),
        milestone: Some(value),
        created_by: None,
        ..announcement(text, Some("Thank you!"), None)
    }
}

/// Every channel's messages, once each has `n`.
pub async fn wait_for_posts(app: &TestApp, chats: &[ChatId], n: usize) -> Vec<Vec<SentMessage>> {
    app.sim
        .wait_for(DEADLINE, |sim| {
            let all: Vec<Vec<SentMessage>> = chats.iter().map(|c| sim.messages(*c)).collect();
            all.iter().all(|m| m.len() >= n).then_some(all)
        })
        .await
        .expect("every chat got its posts")
}

/// The GIF's frames as a viewer sees them (each drawn over the ones before).
pub fn gif_frames(bytes: &[u8]) -> (u16, u16, Vec<Vec<u8>>) {
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
pub fn colours(rgba: &[u8]) -> usize {
    let mut seen: Vec<[u8; 3]> = rgba.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

pub fn upload_of(app: &TestApp, msg: &SentMessage) -> UploadedFile {
    let id = msg.file_id.as_deref().expect("media has a file id");
    app.sim.uploaded_file(id).expect("the file was uploaded")
}

/// Sends a command as the admin and waits until `n` messages arrived after it.
pub async fn admin_says(app: &TestApp, text: &str, n: usize) -> Vec<SentMessage> {
    let chat = ChatId(app.admin.0);
    let before = app.sim.messages(chat).len();
    app.send_text(chat, app.admin, text).await;
    app.sim
        .wait_for(DEADLINE, |sim| {
            let new: Vec<SentMessage> = sim.messages(chat).into_iter().skip(before).collect();
            (new.len() >= n).then_some(new)
        })
        .await
        .unwrap_or_else(|| panic!("no {n} replies to {text:?}"))
}

/// Readings of `metric` over the last `days` days, growing.
pub async fn readings(app: &TestApp, metric: &str, days: i64, from: f64, per_day: f64) {
    let mut conn = app.db.pool().acquire().await.unwrap();
    let now = Utc::now();
    for h in (0..days * 24).step_by(6) {
        let estimate = from + per_day * h as f64 / 24.0;
        let reading = Reading {
            at: now - Duration::days(days) + Duration::hours(h),
            estimate: estimate as u64,
            std_error: estimate * 0.0081,
        };
        milestone_bot::storage::milestones::readings::insert(
            &mut conn,
            &milestone_bot::vocab::MetricName::parse(metric).unwrap(),
            &reading,
        )
        .await
        .unwrap();
    }
}

/// Runs the binary in a fresh directory (its default SQLite database there).
pub fn milestone_bot(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
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
