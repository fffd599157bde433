//! Crash safety with the real binary: SIGKILL the bot in the middle of a broadcast,
//! start it again, and count what every chat received.

use crate::helpers::{
    TestDatabase, announcement, queue_announcement, subscribed_chats, wait_for_state,
};
use milestone_bot::broadcast::progress;
use milestone_bot::storage::{Backend, Db};
use sqlx::Row;
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;
use telegram_sim::{ChatId, ChatKind, Faults, Limits, Rate, SimConfig, TelegramSim};
use tokio::process::{Child, Command};

crate::on_every_backend!(
    a_killed_sender_never_doubles_nor_drops_a_message_except_the_unknown_in_flight
);

const CHATS: usize = 3_000;
const RATE: u32 = 500;
const IN_FLIGHT: usize = 16;

/// The real `milestone-bot` binary against the in-process simulator and the test
/// database, as an operator would run it.
fn start_bot(sim: &TelegramSim, token: &str, database_url: &str, admin: i64) -> Child {
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
        .env("BROADCAST_IN_FLIGHT", IN_FLIGHT.to_string())
        .env("BROADCAST_LEASE_TTL", "1s")
        .env("BROADCAST_POLL_INTERVAL", "50ms")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the bot binary starts")
}

/// The PostgreSQL `application_name` of the bot the test kills.
const KILLED_BOT: &str = "milestone_bot_killed";

/// Waits until the server has closed every session of the killed bot. A statement
/// the bot sent just before it died is still read and run by its server process
/// (autocommit, so it commits) before that process sees the closed socket; counting
/// rows earlier can see an in-flight row that is `sent` a moment later.
async fn killed_bot_sessions_ended(db: &Db) {
    crate::helpers::eventually("the killed bot's PostgreSQL sessions end", || async {
        let open: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1")
                .bind(KILLED_BOT)
                .fetch_one(db.pool())
                .await
                .ok()?;
        (open == 0).then_some(())
    })
    .await;
}

async fn a_killed_sender_never_doubles_nor_drops_a_message_except_the_unknown_in_flight(
    backend: Backend,
) {
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    let limits = Limits {
        global: Rate::new(RATE, Duration::from_secs(1)),
        ..Limits::default()
    };
    let faults = Faults {
        latency: Duration::from_millis(20),
        jitter: Duration::from_millis(20),
        ..Faults::default()
    };
    let sim = TelegramSim::start(SimConfig { limits, faults })
        .await
        .unwrap();
    let token = format!(
        "{}:CRASH{}",
        100_000 + rand::random::<u32>() % 900_000,
        rand::random::<u32>()
    );
    sim.add_bot(&token, "milestone_crash_bot");
    let admin = sim.create_chat(
        ChatKind::Private {
            first_name: "Admin".into(),
            username: None,
        },
        "Admin",
    );
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    let chats = subscribed_chats(&sim, &db, ChatKind::Channel { username: None }, CHATS).await;
    let id = queue_announcement(&db, announcement("Crash-safe?", None, None)).await;

    // Arrange: a bot half-way through the broadcast.
    let first_url = match backend {
        Backend::Postgres => {
            let mut url = url::Url::parse(database.url()).expect("a URL");
            url.query_pairs_mut()
                .append_pair("application_name", KILLED_BOT);
            url.to_string()
        }
        Backend::Sqlite => database.url().to_owned(),
    };
    let mut first = start_bot(&sim, &token, &first_url, admin.0);
    let halfway = sim
        .wait_for(Duration::from_secs(20), |s| {
            (s.all_messages().len() >= CHATS / 3).then_some(())
        })
        .await;
    assert!(
        halfway.is_some(),
        "the first bot never got a third of the way"
    );

    // Act: SIGKILL, then start again.
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    if backend == Backend::Postgres {
        killed_bot_sessions_ended(&db).await;
    }
    let in_flight_at_kill: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'in_flight'")
            .fetch_one(db.pool())
            .await
            .unwrap()
            .get("n");
    let delivered_at_kill = sim.all_messages().len();
    assert!(
        delivered_at_kill < CHATS,
        "the kill came too late to test anything"
    );
    let mut second = start_bot(&sim, &token, database.url(), admin.0);
    wait_for_state(&db, id, "done", Duration::from_secs(30)).await;

    // Assert: exactly once everywhere, except the unknown, which are at most the
    // rows that were in flight and received the message at most once.
    let tally = progress::tally(&db, id.into()).await.unwrap();
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
    let mut received: HashMap<ChatId, usize> = HashMap::new();
    for m in sim.all_messages().iter().filter(|m| m.chat_id != admin) {
        *received.entry(m.chat_id).or_default() += 1;
    }
    eprintln!(
        "crash test ({backend}): {delivered_at_kill} delivered at the kill, {in_flight_at_kill} in flight, {} unknown, {} sent",
        unknown.len(),
        tally.sent
    );
    assert_eq!(
        unknown.len() as i64,
        in_flight_at_kill,
        "exactly the rows in flight became unknown"
    );
    assert!(
        unknown.len() <= IN_FLIGHT,
        "never more unknown than requests in flight"
    );
    assert_eq!(
        tally.sent as usize + unknown.len(),
        CHATS,
        "nothing lost: {tally:?}"
    );
    for chat in &chats {
        let n = received.get(chat).copied().unwrap_or(0);
        if unknown.contains(&chat.0) {
            assert!(n <= 1, "unknown chat {chat:?} got {n}");
        } else {
            assert_eq!(n, 1, "chat {chat:?} got {n}");
        }
    }
    if !unknown.is_empty() {
        let report = sim.messages(admin);
        assert!(
            report
                .iter()
                .any(|m| m.text.as_deref().unwrap_or("").contains("in flight")),
            "admins are told"
        );
    }
    second.start_kill().unwrap();
    second.wait().await.unwrap();
    db.close().await;
    database.drop_now().await;
}
