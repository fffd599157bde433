//! The bot as a child process and what the scale bench reads of it: its memory from
//! `/proc`, the machine it runs on, and a throwaway database per run.

use milestone_bot::storage::Backend;
use sqlx::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use telegram_sim::TelegramSim;
use tokio::process::{Child, Command};

/// VmHWM and VmRSS of a process, in KiB.
pub(super) fn memory_kib(pid: u32) -> Option<(u64, u64)> {
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

pub(super) fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The machine, for the table's caption.
pub(super) fn machine() -> String {
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
pub(super) enum Database {
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
    pub(super) async fn new(backend: Backend) -> anyhow::Result<Database> {
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

    pub(super) fn url(&self) -> &str {
        match self {
            Database::Sqlite { url, .. } | Database::Postgres { url, .. } => url,
        }
    }

    pub(super) async fn drop_now(self) {
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

/// The bot binary against the simulator, configured as an operator on the paid
/// pace would.
pub(super) fn start_bot(
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
pub(super) struct Sampler {
    pid: u32,
    pub(super) peak_rss: Arc<AtomicU64>,
}

impl Sampler {
    pub(super) fn start(pid: u32) -> Sampler {
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
    pub(super) fn hwm(&self) -> u64 {
        memory_kib(self.pid).map_or(0, |(hwm, _)| hwm)
    }

    pub(super) fn rss(&self) -> u64 {
        memory_kib(self.pid).map_or(0, |(_, rss)| rss)
    }

    /// The bot's threads now, for the progress lines.
    pub(super) fn threads(&self) -> usize {
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
