//! `milestone-bot demo` as a newcomer runs it: the real binary, no token, no
//! services; it must finish on its own, quickly, with every post delivered once.

use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

/// The demo promises "under a minute"; a run that takes longer has failed.
const LIMIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn the_demo_exits_cleanly_and_reports_both_posts_in_every_channel_and_no_429() {
    let dir = tempfile::tempdir().unwrap();
    let card = dir.path().join("card.gif");
    let run = Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .args(["demo", "--channels", "3", "--card", card.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();

    let out = tokio::time::timeout(LIMIT, run)
        .await
        .expect("the demo finishes within a minute")
        .expect("the binary runs");

    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    for i in 1..=3 {
        let line = format!("Demo Channel {i} (channel): 2 messages, announcement + thank-you");
        assert!(stdout.contains(&line), "no {line:?} in:\n{stdout}");
    }
    assert!(
        stdout.contains("Demo Group (group): 2 messages, announcement + thank-you"),
        "{stdout}"
    );
    assert!(
        stdout.contains("milestone 10K reached → announcement #1 queued for 4 chats"),
        "{stdout}"
    );
    assert!(
        stdout.contains("429 Too Many Requests received: 0"),
        "{stdout}"
    );
    assert!(stdout.contains("[card, uploaded]"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "uploaded once, then re-sent by file id): {}",
            card.display()
        )),
        "{stdout}"
    );
    let gif = std::fs::read(&card).expect("the demo wrote its card");
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(&gif[..]).expect("a valid GIF");
    assert_eq!((decoder.width(), decoder.height()), (1280, 720));
    let mut frames = 0;
    while decoder.read_next_frame().expect("a valid frame").is_some() {
        frames += 1;
    }
    assert!(frames > 1, "animated: {frames} frames");
}
