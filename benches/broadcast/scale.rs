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

use milestone_bot::storage::announcements::{
    self, AnnouncementKind, AnnouncementState, NewAnnouncement,
};
use milestone_bot::storage::{Backend, Db};
use sqlx::{Connection, Row};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use telegram_sim::{ChatId, ChatKind, Faults, Limits, MemberStatus, SimConfig, TelegramSim};
use tokio::process::{Child, Command};

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

/// VmHWM and VmRSS of a process, in KiB.
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The machine, for the table's caption.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem_gib:.0} GiB RAM, load average {load} at the start")
}

/// A fresh database for one run, removed afterwards.
enum Database {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl Database {
    async fn new(backend: Backend) -> anyhow::Result<Database> {
        Ok(match backend {
            Backend::Sqlite => {
                // Next to the target directory, not in /tmp: a million chats and
                // their deliveries take a few hundred megabytes.
                let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("bot.db").display());
                Database::Sqlite { _dir: dir, url }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_POSTGRES_URL")
                    .map_err(|_| anyhow::anyhow!("--database postgres needs TEST_POSTGRES_URL"))?;
                let name = format!("mbbench_{}", rand::random::<u32>());
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await?;
                let mut url = url::Url::parse(&admin_url)?;
                url.set_path(&name);
                Database::Postgres {
                    admin_url,
                    name,
                    url: url.to_string(),
                }
            }
        })
    }

    fn url(&self) -> &str {
        match self {
            Database::Sqlite { url, .. } | Database::Postgres { url, .. } => url,
        }
    }

    async fn drop_now(self) {
        if let Database::Postgres {
            admin_url, name, ..
        } = &self
            && let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut admin)
            .await;
        }
    }
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
async fn queue(db: &Db, key: &str) -> anyhow::Result<(i64, i64, Duration)> {
    let started = Instant::now();
    let mut tx = db.pool().begin().await?;
    let id = announcements::create(&mut tx, &announcement(key))
        .await?
        .ok_or_else(|| anyhow::anyhow!("announcement {key} exists"))?;
    tx.commit().await?;
    let took = started.elapsed();
    let mut conn = db.pool().acquire().await?;
    let n = announcements::delivery_count(&mut conn, id).await?;
    Ok((id, n, took))
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

/// The bot binary against the simulator, configured as an operator on the paid
/// pace would.
fn start_bot(
    binary: &str,
    sim: &TelegramSim,
    token: &str,
    url: &str,
    admin: i64,
    log: std::fs::File,
) -> anyhow::Result<Child> {
    Ok(Command::new(binary)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELOXIDE_TOKEN", token)
        .env("TELEGRAM_API_URL", sim.api_url())
        .env("DATABASE_URL", url)
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("ADMIN_IDS", admin.to_string())
        .env("BROADCAST_PAID", "true")
        .env("RUST_LOG", "warn")
        .envs(
            std::env::vars()
                .filter(|(k, _)| k.starts_with("BOT_ENV_"))
                .map(|(k, v)| (k.trim_start_matches("BOT_ENV_").to_owned(), v)),
        )
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()?)
}

/// The bot's memory, sampled every 100 ms while it runs.
struct Sampler {
    pid: u32,
    peak_rss: Arc<AtomicU64>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let peak_rss = Arc::new(AtomicU64::new(0));
        let peak = peak_rss.clone();
        tokio::spawn(async move {
            while let Some((_, rss)) = memory_kib(pid) {
                peak.fetch_max(rss, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Sampler { pid, peak_rss }
    }

    /// VmHWM now (the kernel's peak since the start).
    fn hwm(&self) -> u64 {
        memory_kib(self.pid).map_or(0, |(hwm, _)| hwm)
    }

    fn rss(&self) -> u64 {
        memory_kib(self.pid).map_or(0, |(_, rss)| rss)
    }

    /// The bot's threads now, for the progress lines.
    fn threads(&self) -> usize {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("Threads:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    }
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

/// The delivery indexes as they were before migration 0170 (a claim index over
/// every row, the foreign key on PostgreSQL, no tally index on SQLite): the anchor.
async fn restore_schema_before_0170(db: &Db) -> anyhow::Result<()> {
    let statements: &[&'static str] = match db.backend() {
        Backend::Sqlite => &[
            "DROP INDEX deliveries_tally",
            "DROP INDEX deliveries_claim",
            "CREATE INDEX deliveries_claim ON deliveries (claim)",
        ],
        Backend::Postgres => &[
            "DROP INDEX deliveries_claim",
            "CREATE INDEX deliveries_claim ON deliveries (claim)",
            "ALTER TABLE deliveries ADD CONSTRAINT deliveries_announcement_id_fkey
               FOREIGN KEY (announcement_id) REFERENCES announcements (id)",
        ],
    };
    let mut tx = db.pool().begin().await?;
    for sql in statements {
        sqlx::query(*sql).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Queueing alone: `n` chats written directly, then two announcements queued, with
/// the schema before migration 0170 (the anchor) and with this build's.
async fn queue_only(backend: Backend, n: usize) -> anyhow::Result<()> {
    let name = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    for anchor in [true, false] {
        let schema = if anchor {
            "before 0170 (anchor)"
        } else {
            "this build"
        };
        let database = Database::new(backend).await?;
        let db = Db::connect_and_migrate(database.url()).await?;
        if anchor {
            restore_schema_before_0170(&db).await?;
        }
        let started = Instant::now();
        sqlx::query(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < $1)
             INSERT INTO chats (id, kind, title, subscribed, subscribed_at, updated_at)
             SELECT -1001000000000 - i, 'channel', 'Channel', 1, 0, 0 FROM seq",
        )
        .bind(n as i64)
        .execute(db.pool())
        .await?;
        eprintln!(
            "  {n} chats written in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        for key in ["first", "second"] {
            let (id, queued, took) = queue(&db, key).await?;
            println!(
                "| {name} | {schema} | {n} | queue the {key} announcement | {queued} deliveries | {:.2} s |",
                took.as_secs_f64()
            );
            // What every progress tick asks while the broadcast runs.
            let started = Instant::now();
            let t = milestone_bot::broadcast::progress::tally(&db, id).await?;
            println!(
                "| {name} | {schema} | {n} | one progress tally of it | {} counted | {:.3} s |",
                t.total(),
                started.elapsed().as_secs_f64()
            );
        }
        db.close().await;
        database.drop_now().await;
    }
    Ok(())
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
        return queue_only(backend, n).await;
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
