//! Several instances of the real binary on one PostgreSQL database, as operators
//! run them: one sends, one polls, all serve; when the sender is SIGKILLed another
//! takes over within the lease's TTL, and nothing is doubled or silently lost.

use crate::helpers::{TestDatabase, announcement, queue_announcement, subscribed_chats};
use milestone_bot::broadcast::progress;
use milestone_bot::storage::{Backend, Db};
use sqlx::Row;
use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};
use telegram_sim::{ChatId, ChatKind, Limits, Rate, SimConfig, TelegramSim, UserId};
use tokio::process::{Child, Command};

const CHATS: usize = 300;
const RATE: u32 = 60;
const LEASE_TTL: Duration = Duration::from_secs(2);
const INSTANCES: usize = 3;

fn start_instance(sim: &TelegramSim, token: &str, database_url: &str, admin: i64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELOXIDE_TOKEN", token)
        .env("TELEGRAM_API_URL", sim.api_url())
        .env("DATABASE_URL", database_url)
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("POLL_TIMEOUT", "1s")
        .env("ADMIN_IDS", admin.to_string())
        .env("BROADCAST_RATE", RATE.to_string())
        .env("BROADCAST_IN_FLIGHT", "8")
        .env("BROADCAST_LEASE_TTL", format!("{}s", LEASE_TTL.as_secs()))
        .env("BROADCAST_POLL_INTERVAL", "50ms")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the bot binary starts")
}

/// The pid in the holder of `lease_key` (holders are `host:pid:random`).
async fn holder_pid(db: &Db, lease_key: &str) -> Option<u32> {
    let row = sqlx::query("SELECT holder FROM broadcast_leases WHERE bot_id = $1")
        .bind(lease_key.to_owned())
        .fetch_optional(db.pool())
        .await
        .unwrap()?;
    let holder: String = row.get("holder");
    holder.split(':').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_postgres_survive_the_sender_being_killed_without_a_double_post_or_a_409()
 {
    let Some(database) = TestDatabase::new(Backend::Postgres).await else {
        return;
    };
    let limits = Limits {
        global: Rate::new(RATE, Duration::from_secs(1)),
        ..Limits::default()
    };
    let sim = TelegramSim::start(SimConfig {
        limits,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let bot_id = 100_000 + rand::random::<u32>() % 900_000;
    let token = format!("{bot_id}:MULTI{}", rand::random::<u32>());
    sim.add_bot(&token, "milestone_multi_bot");
    let admin = sim.create_chat(
        ChatKind::Private {
            first_name: "Admin".into(),
            username: None,
        },
        "Admin",
    );
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    let chats = subscribed_chats(&sim, &db, ChatKind::Channel { username: None }, CHATS).await;
    let mut instances: Vec<Child> = (0..INSTANCES)
        .map(|_| start_instance(&sim, &token, database.url(), admin.0))
        .collect();
    // People write to the bot all along; every message must be answered once.
    let people: Vec<ChatId> = (0..6)
        .map(|i| {
            sim.create_chat(
                ChatKind::Private {
                    first_name: format!("P{i}"),
                    username: None,
                },
                "",
            )
        })
        .collect();
    for p in &people[..3] {
        sim.send_text(&token, *p, UserId(p.0), "/start");
    }
    let id = queue_announcement(&db, announcement("Three instances", None, None)).await;

    // Arrange: the broadcast 40% of the way.
    let forty = sim
        .wait_for(Duration::from_secs(30), |s| {
            (channel_messages(s, admin, &people) >= CHATS * 2 / 5).then_some(())
        })
        .await;
    assert!(forty.is_some(), "the broadcast never got to 40%");

    // Act: SIGKILL the instance holding the sender lease.
    let sender_pid = holder_pid(&db, &bot_id.to_string())
        .await
        .expect("someone holds the sender lease");
    let victim = instances
        .iter()
        .position(|c| c.id() == Some(sender_pid))
        .expect("the sender is one of ours");
    let mut killed = instances.remove(victim);
    killed.start_kill().unwrap();
    killed.wait().await.unwrap();
    let killed_at = Instant::now();
    let sent_at_kill = channel_messages(&sim, admin, &people);
    let in_flight_at_kill: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'in_flight'")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get("n");
    for p in &people[3..] {
        sim.send_text(&token, *p, UserId(p.0), "/start");
    }
    let resumed = sim
        .wait_for(Duration::from_secs(30), |s| {
            (channel_messages(s, admin, &people) > sent_at_kill).then(|| killed_at.elapsed())
        })
        .await
        .expect("another instance resumed the broadcast");
    crate::helpers::wait_for_state(&db, id, "done", Duration::from_secs(60)).await;
    sim.wait_for(Duration::from_secs(20), |s| {
        people
            .iter()
            .all(|p| !s.messages(*p).is_empty())
            .then_some(())
    })
    .await
    .expect("every person answered");

    // Assert.
    let unknown: Vec<i64> = sqlx::query(
        "SELECT chat_id FROM deliveries WHERE announcement_id = $1 AND state = 'unknown'",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("chat_id"))
    .collect();
    let tally = progress::tally(&db, id.into()).await.unwrap();
    eprintln!(
        "three instances: {sent_at_kill} sent at the kill, {in_flight_at_kill} in flight, \
         resumed after {resumed:?}, {} unknown, {} sent",
        unknown.len(),
        tally.sent
    );
    assert!(
        resumed <= LEASE_TTL + Duration::from_secs(3),
        "resumed after {resumed:?}, the lease lasts {LEASE_TTL:?}"
    );
    let mut received: HashMap<ChatId, usize> = HashMap::new();
    for m in sim.all_messages() {
        *received.entry(m.chat_id).or_default() += 1;
    }
    for chat in &chats {
        let n = received.get(chat).copied().unwrap_or(0);
        if unknown.contains(&chat.0) {
            assert!(n <= 1, "unknown chat {chat:?} got {n}");
        } else {
            assert_eq!(n, 1, "chat {chat:?} got {n}");
        }
    }
    assert!(
        (unknown.len() as i64) <= in_flight_at_kill,
        "only what was in flight may be unknown"
    );
    assert_eq!(tally.sent as usize + unknown.len(), CHATS, "{tally:?}");
    if !unknown.is_empty() {
        assert!(
            sim.messages(admin).iter().any(|m| m
                .text
                .as_deref()
                .unwrap_or("")
                .contains("in flight")),
            "admins are told about the unknown"
        );
    }
    for p in &people {
        assert_eq!(received.get(p), Some(&1), "each update answered once");
    }
    assert_eq!(
        sim.stats(&token).conflicts,
        0,
        "Telegram never saw two pollers"
    );
    for mut child in instances {
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }
    db.close().await;
    database.drop_now().await;
}

/// Messages in the broadcast's channels (not the admin's or the people's chats).
fn channel_messages(sim: &TelegramSim, admin: ChatId, people: &[ChatId]) -> usize {
    sim.all_messages()
        .iter()
        .filter(|m| m.chat_id != admin && !people.contains(&m.chat_id))
        .count()
}
