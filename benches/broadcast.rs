//! Broadcast throughput against the simulator: 10,000 chats, 150 ms latency, the
//! simulator enforcing Telegram's limits; at the free pace (30/s) and the paid one
//! (1000/s); and the pace under faults (400 chats, announcement and note, 5% of
//! calls answered 500, 2% of connections closed without an answer, one 5-second
//! flood 429 midway) against its ideal time. Prints markdown tables.
//!
//! `cargo bench --bench broadcast -- [--chats N] [--slow-chats N] [--faults-only]`
//! (`--slow-chats` sets the 30/s row's chats: 10,000 at 30/s take 333 s).
//! `BENCH_GAPS=1` also logs warnings and every pause over 150 ms between two
//! messages at the server, to see where time goes.
//!
//! `--scale`: the bot's own memory and pace at 100,000 and a million chats (see
//! `broadcast/scale.rs`).

use milestone_bot::broadcast::{Worker, progress};
use milestone_bot::config::BroadcastConfig;
use milestone_bot::storage::Db;
use milestone_bot::storage::announcements::{
    self, AnnouncementKind, AnnouncementState, NewAnnouncement,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use telegram_sim::{ChatId, ChatKind, Fault, Faults, Limits, SimConfig, TelegramSim};
use tokio_util::sync::CancellationToken;

#[path = "broadcast/scale.rs"]
mod scale;

/// One broadcast to measure.
struct Scenario {
    chats: usize,
    paid: bool,
    /// Send a thank-you note after each announcement.
    thanks: bool,
    /// 500s and dropped connections, as shares of all calls.
    error_rate: f64,
    drop_rate: f64,
    /// A 429 with this `retry_after` (seconds) on the send to the middle chat.
    flood_secs: Option<u64>,
}

struct Row {
    pace: f64,
    /// Every request the simulator saw, failed ones included.
    requests: u64,
    server_errors: u64,
    dropped: u64,
    flood_secs: u64,
    paid: bool,
    chats: usize,
    messages: usize,
    wall: Duration,
    server_span: Duration,
    too_many: u64,
    duplicates: usize,
    losses: usize,
    peak_kib: u64,
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

async fn run(scenario: &Scenario) -> anyhow::Result<Row> {
    let Scenario {
        chats,
        paid,
        thanks,
        ..
    } = *scenario;
    let faults = Faults {
        latency: Duration::from_millis(150),
        error_rate: scenario.error_rate,
        drop_rate: scenario.drop_rate,
        seed: 13,
        ..Faults::default()
    };
    let sim = TelegramSim::start(SimConfig {
        limits: Limits::default(),
        faults,
    })
    .await?;
    let token = "424242:BENCH";
    sim.add_bot(token, "bench_bot");
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = Db::connect_and_migrate(&url).await?;

    let ids: Vec<ChatId> = (0..chats)
        .map(|i| sim.create_chat(ChatKind::Channel { username: None }, &format!("c{i}")))
        .collect();
    let mut tx = db.pool().begin().await?;
    for id in &ids {
        sqlx::query("INSERT INTO chats (id, kind, title, subscribed, subscribed_at, updated_at) VALUES ($1, 'channel', 'c', 1, 0, 0)")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    let new = NewAnnouncement {
        dedupe_key: "bench".into(),
        kind: AnnouncementKind::Manual,
        metric: None,
        milestone: None,
        state: AnnouncementState::Queued,
        announce_text: Some("<b>10,000</b> chats".into()),
        thanks_text: thanks.then(|| "Thank you!".into()),
        media_kind: None,
        media_ref: None,
        options: "{}".into(),
        created_by: None,
        created_at: chrono::Utc::now(),
        release_at: None,
    };
    let id = announcements::create(&mut tx, &new).await?.expect("new");
    tx.commit().await?;

    let env: HashMap<String, String> = [
        ("BROADCAST_PAID", if paid { "true" } else { "false" }),
        ("BROADCAST_POLL_INTERVAL", "50ms"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = BroadcastConfig::from_env(&env)?;
    let pace = config.pace();
    let client = teloxide::net::default_reqwest_settings()
        .timeout(config.request_timeout)
        .build()?;
    let bot = teloxide::Bot::with_client(token, client).set_api_url(sim.api_url().parse()?);
    let worker = Worker::new(db.clone(), bot, config, vec![], "424242");
    if let Some(secs) = scenario.flood_secs {
        sim.fail_next(ids[chats / 2], 1, Fault::RetryAfter { secs });
    }
    let stop = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(worker.run(stop.clone()));
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if progress::tally(&db, id).await?.left == 0 {
            break;
        }
    }
    let wall = started.elapsed();
    stop.cancel();
    task.await??;

    let all = sim.all_messages();
    let stats = sim.stats(token);
    let per_chat_wanted = if thanks { 2 } else { 1 };
    let mut per_chat: HashMap<ChatId, usize> = HashMap::new();
    for m in &all {
        *per_chat.entry(m.chat_id).or_default() += 1;
    }
    if std::env::var("BENCH_GAPS").is_ok() {
        let mut times: Vec<_> = all.iter().map(|m| m.at).collect();
        times.sort();
        for w in times.windows(2) {
            let gap = w[1] - w[0];
            if gap > Duration::from_millis(150) {
                eprintln!("gap {:?} at {:?}", gap, w[0].duration_since(started));
            }
        }
        eprintln!(
            "first at {:?}, last at {:?}, done at {:?}",
            times[0].duration_since(started),
            times.last().unwrap().duration_since(started),
            wall
        );
    }
    let first = all.iter().map(|m| m.at).min().expect("messages");
    let last = all.iter().map(|m| m.at).max().expect("messages");
    Ok(Row {
        pace,
        requests: stats.requests,
        server_errors: stats.server_errors,
        dropped: stats.dropped,
        flood_secs: scenario.flood_secs.unwrap_or(0),
        paid,
        chats,
        messages: all.len(),
        wall,
        server_span: last - first,
        too_many: stats.too_many_requests,
        duplicates: per_chat
            .values()
            .map(|n| n.saturating_sub(per_chat_wanted))
            .sum(),
        losses: ids
            .iter()
            .map(|c| per_chat_wanted.saturating_sub(per_chat.get(c).copied().unwrap_or(0)))
            .sum(),
        peak_kib: peak_memory_kib(),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--scale") {
        return scale::main().await;
    }
    let chats = arg("--chats").unwrap_or(10_000);
    let slow_chats = arg("--slow-chats").unwrap_or(chats);
    println!(
        "Run {} with {:?}\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        std::env::args().skip(1).collect::<Vec<_>>()
    );
    if std::env::var("BENCH_GAPS").is_ok() {
        milestone_bot::telemetry::init_with_default("warn");
    }
    if !flag("--faults-only") {
        let mut rows = Vec::new();
        for (n, paid) in [(chats, true), (slow_chats, false)] {
            eprintln!("broadcasting to {n} chats, paid={paid} …");
            let plain = Scenario {
                chats: n,
                paid,
                thanks: false,
                error_rate: 0.0,
                drop_rate: 0.0,
                flood_secs: None,
            };
            rows.push(run(&plain).await?);
        }
        print_pace(&rows);
    }
    eprintln!("broadcasting to 400 chats under faults …");
    let faulty = Scenario {
        chats: 400,
        paid: false,
        thanks: true,
        error_rate: 0.05,
        drop_rate: 0.02,
        flood_secs: Some(5),
    };
    print_faults(&run(&faulty).await?);
    Ok(())
}

fn print_pace(rows: &[Row]) {
    println!(
        "| pace | chats | messages | wall time | server span | achieved ÷ pace | 429s | duplicates | losses | peak memory (VmHWM) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let achieved = (r.messages.saturating_sub(1)) as f64 / r.server_span.as_secs_f64();
        let note = if r.paid { " (paid)" } else { "" };
        println!(
            "| {:.0}/s{note} | {} | {} | {:.1} s | {:.1} s | {:.3} ({:.1}/s) | {} | {} | {} | {:.1} MiB |",
            r.pace,
            r.chats,
            r.messages,
            r.wall.as_secs_f64(),
            r.server_span.as_secs_f64(),
            achieved / r.pace,
            achieved,
            r.too_many,
            r.duplicates,
            r.losses,
            r.peak_kib as f64 / 1024.0
        );
    }
    println!(
        "\nLatency 150 ms per call; the simulator enforces 30/s, 1000/s paid, 1/s per chat; SQLite; \
              peak memory is the whole process (bot and simulator), cumulative over the rows.\n"
    );
}

/// The ideal: every request made, failed attempts included, at the pace, plus the
/// flood's `retry_after`; the broadcast's time is from the sender's start to the
/// last delivery's end.
fn print_faults(r: &Row) {
    let ideal = r.requests as f64 / r.pace + r.flood_secs as f64;
    let took = r.wall.as_secs_f64();
    println!(
        "| faults | chats | messages | requests (failed) | ideal | took | took ÷ ideal | 429s | duplicates | losses |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| 5% 500, 2% dropped, one {} s flood 429; 150 ms latency; {:.0}/s | {} | {} | {} ({} 500, {} dropped, {} 429) | {:.1} s | {:.1} s | {:.2} | {} | {} | {} |",
        r.flood_secs,
        r.pace,
        r.chats,
        r.messages,
        r.requests,
        r.server_errors,
        r.dropped,
        r.too_many,
        ideal,
        took,
        took / ideal,
        r.too_many,
        r.duplicates,
        r.losses
    );
}
