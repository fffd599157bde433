//! `--scale`: the bot as its own process (the release binary) against the simulator
//! in this one, so the bot's peak memory (VmHWM, read from `/proc/<pid>/status`) is
//! the bot's alone. Chats subscribe the way Telegram tells a bot: one
//! `my_chat_member` update per chat, long-polled 100 at a time. Then an announcement
//! is queued for all of them (timed: one `INSERT … SELECT` in its transaction) and
//! the bot broadcasts it at the paid pace.
//!
//! `cargo bench --bench broadcast -- --scale [--chats N] [--database sqlite|postgres]
//!  [--broadcast N] [--binary PATH] [--label TEXT] [--latency-ms 150] [--jitter-ms 0]
//!  [--subscribe-latency-ms MS]`
//! - `--broadcast N`: stop after N messages (a million at 1000/s take 17 minutes);
//!   without it, the whole broadcast.
//! - `--binary PATH`: another build of the bot (an anchor: an older commit).
//! - `--queue-only`: no bot; N chats written directly, then the queueing timed
//!   (twice: a first and a second announcement) and one progress tally, with the
//!   delivery indexes before migration 0170 (the anchor) and with this build's.
//!
//! PostgreSQL comes from `TEST_POSTGRES_URL`; a fresh database is created and dropped.
//! `BOT_ENV_NAME=value` in the bench's environment gives the bot `NAME=value` (e.g.
//! `BOT_ENV_MALLOC_ARENA_MAX=2`).

use milestone_bot::storage::announcements::{
    self, AnnouncementKind, AnnouncementState, NewAnnouncement,
};
use milestone_bot::storage::{Backend, Db};
use setup::{Database, Sampler, machine, mib, start_bot};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use telegram_sim::{ChatId, ChatKind, Faults, Limits, MemberStatus, SimConfig, TelegramSim};

#[path = "queue_only.rs"]
mod queue_only;
#[path = "scale_setup.rs"]
mod setup;

/// How many updates may wait in the simulator before the feeder pauses: Telegram
/// queues them on its side; this keeps the simulator's own memory in bounds.
const FEED_AHEAD: usize = 20_000;

fn value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn number(name: &str) -> Option<u64> {
    value(name).and_then(|v| v.replace('_', "").parse().ok())
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn announcement(key: &str) -> NewAnnouncement {
    NewAnnouncement {
        dedupe_key: key.into(),
        kind: AnnouncementKind::Manual,
        metric: None,
        milestone: None,
        state: AnnouncementState::Queued,
        announce_text: Some("<b>1,000,000</b> chats follow us".into()),
        thanks_text: None,
        media_kind: None,
        media_ref: None,
        options: "{}".into(),
        created_by: None,
        created_at: chrono::Utc::now(),
        release_at: None,
    }
}

/// Writes the announcement and its deliveries in one transaction, as the watcher
/// and the admin commands do; returns its id, how many deliveries it has and the
/// time from `BEGIN` to `COMMIT` done.
pub(super) async fn queue(db: &Db, key: &str) -> anyhow::Result<(i64, i64, Duration)> {
    let started = Instant::now();
    let mut tx = db.pool().begin().await?;
    let id = announcements::create(&mut tx, &announcement(key))
        .await?
        .ok_or_else(|| anyhow::anyhow!("announcement {key} exists"))?;
    tx.commit().await?;
    let took = started.elapsed();
    let mut conn = db.pool().acquire().await?;
    let n = announcements::delivery_count(&mut conn, id).await?;
    Ok((id.get(), n, took))
}

async fn subscribed(db: &Db) -> anyhow::Result<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM chats WHERE subscribed = 1")
            .fetch_one(db.pool())
            .await?
            .try_get("n")?,
    )
}

async fn state_of(db: &Db, id: i64) -> anyhow::Result<String> {
    Ok(sqlx::query("SELECT state FROM announcements WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?
        .try_get("state")?)
}

struct Run {
    label: String,
    database: &'static str,
    chats: usize,
    idle_kib: u64,
    subscribe: Duration,
    subscribed_kib: u64,
    queue: Duration,
    queued: i64,
    measured: usize,
    span: Duration,
    pace: f64,
    too_many: u64,
    /// 429s the broadcast met (the bot logs each); the rest were the admin's
    /// progress messages, sent without `allow_paid_broadcast`.
    slowed: usize,
    duplicates: usize,
    losses: Option<usize>,
    broadcast_wall: Duration,
    end_kib: u64,
    end_rss_kib: u64,
}

/// Subscribes `n` channels through the bot, queues one announcement to all of
/// them and lets the bot broadcast it (or its first `limit` messages).
async fn run(
    binary: &str,
    label: &str,
    backend: Backend,
    n: usize,
    limit: Option<usize>,
    subscribe_faults: Faults,
    faults: Faults,
) -> anyhow::Result<Run> {
    let database = Database::new(backend).await?;
    let sim = TelegramSim::start(SimConfig {
        limits: Limits::default(),
        faults: subscribe_faults,
    })
    .await?;
    let token = "424242:SCALE";
    sim.add_bot(token, "scale_bot");
    let owner = sim.create_user("Owner");
    let admin = sim.create_chat(
        ChatKind::Private {
            first_name: "Admin".into(),
            username: None,
        },
        "Admin",
    );
    let log_path =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("scale-{label}-{n}.log"));
    let log = std::fs::File::create(&log_path)?;
    let mut bot = start_bot(binary, &sim, token, database.url(), admin.0, log)?;
    let pid = bot.id().expect("running");
    let sampler = Sampler::start(pid);
    // Ready once it polls.
    sim.wait_for(Duration::from_secs(60), |s| {
        (s.stats(token).polls > 0).then_some(())
    })
    .await
    .ok_or_else(|| anyhow::anyhow!("the bot never polled; see {}", log_path.display()))?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_kib = sampler.hwm();
    let db = Db::connect(database.url()).await?;

    // Subscriptions: the bot is added to n channels, as their owners would.
    let started = Instant::now();
    let mut ids = Vec::with_capacity(n);
    let mut last_report = Instant::now();
    for i in 0..n {
        while i % 1000 == 0 && sim.pending_updates(token) > FEED_AHEAD {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let chat = sim.create_chat(
            ChatKind::Channel { username: None },
            &format!("Channel {i}"),
        );
        sim.set_member_status(chat, owner, MemberStatus::Creator);
        sim.bot_added_to_chat(token, chat, owner, true);
        ids.push(chat);
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "  {i} pushed, {:.0}/s, bot RSS {}",
                i as f64 / started.elapsed().as_secs_f64(),
                mib(sampler.rss())
            );
            last_report = Instant::now();
        }
    }
    loop {
        let have = subscribed(&db).await?;
        if have as usize >= n {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!("  {have} subscribed, bot RSS {}", mib(sampler.rss()));
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let subscribe = started.elapsed();
    let subscribed_kib = sampler.hwm();
    eprintln!(
        "  {n} subscribed in {:.1} s, bot VmHWM {}",
        subscribe.as_secs_f64(),
        mib(subscribed_kib)
    );

    // Queueing, timed, then the broadcast.
    sim.set_faults(faults);
    let delivered_before = sim.stats(token).delivered;
    let (id, queued, queue_took) = queue(&db, "scale").await?;
    eprintln!(
        "  queued {queued} deliveries in {:.2} s",
        queue_took.as_secs_f64()
    );
    let want = limit.unwrap_or(n).min(n);
    let started = Instant::now();
    let mut last_report = Instant::now();
    loop {
        let delivered = (sim.stats(token).delivered - delivered_before) as usize;
        if delivered >= want && (limit.is_some() || state_of(&db, id).await? == "done") {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "  {delivered} delivered, bot RSS {} (VmHWM {}), {} threads",
                mib(sampler.rss()),
                mib(sampler.hwm()),
                sampler.threads()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let broadcast_wall = started.elapsed();
    let end_kib = sampler.hwm();
    let end_rss_kib = sampler.peak_rss.load(Ordering::Relaxed);
    bot.start_kill()?;
    bot.wait().await?;

    let stats = sim.stats(token);
    let slowed = std::fs::read_to_string(&log_path)?
        .lines()
        .filter(|l| l.contains("slow down"))
        .count();
    let all: Vec<_> = sim
        .all_messages()
        .into_iter()
        .filter(|m| m.chat_id != admin)
        .collect();
    let mut per_chat: HashMap<ChatId, usize> = HashMap::with_capacity(all.len());
    for m in &all {
        *per_chat.entry(m.chat_id).or_default() += 1;
    }
    let first = all.iter().map(|m| m.at).min().expect("messages");
    let last = all.iter().map(|m| m.at).max().expect("messages");
    let losses = limit
        .is_none()
        .then(|| ids.iter().filter(|c| !per_chat.contains_key(c)).count());
    db.close().await;
    database.drop_now().await;
    Ok(Run {
        label: label.to_owned(),
        database: match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        },
        chats: n,
        idle_kib,
        subscribe,
        subscribed_kib,
        queue: queue_took,
        queued,
        measured: all.len(),
        span: last - first,
        pace: 1000.0,
        too_many: stats.too_many_requests,
        slowed,
        duplicates: per_chat.values().map(|c| c.saturating_sub(1)).sum(),
        losses,
        broadcast_wall,
        end_kib,
        end_rss_kib,
    })
}

pub async fn main() -> anyhow::Result<()> {
    let n = number("--chats").unwrap_or(100_000) as usize;
    let backend = match value("--database").as_deref() {
        None | Some("sqlite") => Backend::Sqlite,
        Some("postgres") => Backend::Postgres,
        Some(other) => anyhow::bail!("--database sqlite|postgres, not {other}"),
    };
    println!(
        "Run {} on {}\n`cargo bench --bench broadcast -- {}`\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine(),
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    if flag("--queue-only") {
        println!(
            "| database | schema | chats | what | rows | time (queue: BEGIN … COMMIT) |\n|---|---|---|---|---|---|"
        );
        return queue_only::queue_only(backend, n).await;
    }
    let faults = Faults {
        latency: Duration::from_millis(number("--latency-ms").unwrap_or(150)),
        jitter: Duration::from_millis(number("--jitter-ms").unwrap_or(0)),
        ..Faults::default()
    };
    let subscribe_faults = Faults {
        latency: number("--subscribe-latency-ms").map_or(faults.latency, Duration::from_millis),
        ..faults.clone()
    };
    let limit = number("--broadcast").map(|v| v as usize);
    let ours = env!("CARGO_BIN_EXE_milestone-bot").to_owned();
    let binary = value("--binary").unwrap_or(ours);
    let label = value("--label").unwrap_or_else(|| "this build".into());
    eprintln!("{label}: {n} chats on {backend:?}, binary {binary}");
    let r = run(
        &binary,
        &label,
        backend,
        n,
        limit,
        subscribe_faults.clone(),
        faults.clone(),
    )
    .await?;
    println!(
        "| build | database | chats | bot idle | subscribe (my_chat_member) | bot VmHWM after | queue (1 INSERT … SELECT) | broadcast measured | achieved ÷ 1000/s | 429s (broadcast's) | duplicates | losses | bot VmHWM at the end (peak RSS sampled) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let achieved = r.measured.saturating_sub(1) as f64 / r.span.as_secs_f64();
    println!(
        "| {} | {} | {} | {} | {:.0} s ({:.0}/s) | {} | {:.2} s ({} rows) | {} msgs in {:.0} s | {:.3} ({:.0}/s) | {} ({}) | {} | {} | {} ({}) |",
        r.label,
        r.database,
        r.chats,
        mib(r.idle_kib),
        r.subscribe.as_secs_f64(),
        r.chats as f64 / r.subscribe.as_secs_f64(),
        mib(r.subscribed_kib),
        r.queue.as_secs_f64(),
        r.queued,
        r.measured,
        r.broadcast_wall.as_secs_f64(),
        achieved / r.pace,
        achieved,
        r.too_many,
        r.slowed,
        r.duplicates,
        r.losses.map_or("n/a (partial)".into(), |l| l.to_string()),
        mib(r.end_kib),
        mib(r.end_rss_kib),
    );
    println!(
        "\nThe bot is its own process (the release binary, BROADCAST_PAID=true, RUST_LOG=warn); \
         the simulator runs in the bench process with {} ms latency ({} ms while chats subscribe) \
         + up to {} ms jitter on every call, getUpdates included, and Telegram's limits on.",
        faults.latency.as_millis(),
        subscribe_faults.latency.as_millis(),
        faults.jitter.as_millis()
    );
    Ok(())
}
