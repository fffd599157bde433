//! `milestone-bot card` and `milestone-bot status --chart`, the real binary.

use super::{colours, gif_frames, milestone_bot, readings, spawn};
use milestone_bot::storage::Backend;
use resvg::tiny_skia::Pixmap;

crate::on_every_backend!(status_chart_writes_the_same_chart_as_the_admin_gets,);

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
