//! Graceful shutdown of the real binary: SIGTERM while it runs ends it cleanly, with
//! what it acknowledged kept.

use crate::helpers::{DEADLINE, TestDatabase, eventually};
use milestone_bot::storage::{Backend, Db, chats};
use std::process::Stdio;
use telegram_sim::{ChatKind, SimConfig, TelegramSim};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_bot_cleanly_and_keeps_what_it_recorded() {
    let database = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let sim = TelegramSim::start(SimConfig::default()).await.unwrap();
    let token = format!(
        "{}:TERM{}",
        100_000 + rand::random::<u32>() % 900_000,
        rand::random::<u32>()
    );
    sim.add_bot(&token, "milestone_term_bot");
    let owner = sim.create_user("Olga");
    let bot = Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELOXIDE_TOKEN", &token)
        .env("TELEGRAM_API_URL", sim.api_url())
        .env("DATABASE_URL", database.url())
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("POLL_TIMEOUT", "5s")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the bot binary starts");
    let channel = sim.create_chat(ChatKind::Channel { username: None }, "News");
    sim.bot_added_to_chat(&token, channel, owner, true);
    let db = Db::connect(database.url()).await.unwrap();
    eventually("the channel is recorded", || async {
        chats::get(&db, channel.0.into()).await.ok().flatten()
    })
    .await;

    let pid = bot.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(DEADLINE, bot.wait_with_output())
        .await
        .expect("it stops within the deadline (a long poll is cut short)")
        .unwrap();

    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {log}", out.status);
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
    assert!(
        !log.contains(token.split(':').nth(1).unwrap()),
        "the token leaked: {log}"
    );
    assert!(
        chats::get(&db, channel.0.into())
            .await
            .unwrap()
            .is_some_and(|c| c.subscribed)
    );
    db.close().await;
}
