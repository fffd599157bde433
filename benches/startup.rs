//! Start-up and footprint of the release binary: `cargo bench --bench startup`.
//!
//! Starts `milestone-bot run` (the binary cargo built with this bench, in its
//! own process) against the Bot API simulator (in this process, on loopback)
//! with SQLite in a fresh directory, and polls `GET /health` every
//! millisecond until it answers 200. The first start creates the database and
//! applies every migration; the restarts open the existing file. After each
//! start the bot idles for a second, then its memory is read from
//! `/proc/PID/status` (VmRSS now, VmHWM the peak so far) and it is stopped
//! with SIGTERM. Prints one markdown table, then the binary's size.
//!
//! `cargo bench --bench startup -- [--restarts N]` (default 10).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use telegram_sim::{SimConfig, TelegramSim};

const BINARY: &str = env!("CARGO_BIN_EXE_milestone-bot");
const TOKEN: &str = "123456:STARTUP";
/// How long the bot idles before its memory is read.
const IDLE: Duration = Duration::from_secs(1);
/// A start slower than this is a failure of the bench, not a figure.
const GIVE_UP: Duration = Duration::from_secs(30);

struct Start {
    to_health: Duration,
    rss_kib: u64,
    hwm_kib: u64,
}

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1)?.parse().ok()
}

/// A port nobody listens on right now.
fn free_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("a bound address")
}

/// Whether `GET /health` answers 200 now; `None` while nothing listens.
fn health(addr: SocketAddr) -> Option<bool> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(GIVE_UP)).ok()?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    Some(response.starts_with(b"HTTP/1.1 200"))
}

fn spawn_bot(dir: &Path, api_url: &str, http: SocketAddr) -> Child {
    let database = format!("sqlite://{}?mode=rwc", dir.join("bot.db").display());
    Command::new(BINARY)
        .arg("run")
        // No `.env` from the repository: only what is set here.
        .current_dir(dir)
        .env_clear()
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", api_url)
        .env("DATABASE_URL", database)
        .env("HTTP_ADDR", http.to_string())
        .env("RUST_LOG", "warn")
        // A shutdown waits for the long poll in flight; keep the stops short.
        .env("POLL_TIMEOUT", "1s")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting the release binary")
}

/// `VmRSS` and `VmHWM` of `pid`, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn start_once(dir: &Path, api_url: &str) -> Start {
    let http = free_addr();
    let started = Instant::now();
    let mut bot = spawn_bot(dir, api_url, http);
    loop {
        if health(http) == Some(true) {
            break;
        }
        assert!(
            started.elapsed() < GIVE_UP,
            "no /health answer within {GIVE_UP:?}"
        );
        if let Some(status) = bot.try_wait().expect("polling the child") {
            panic!("the bot exited before answering /health: {status}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let to_health = started.elapsed();
    std::thread::sleep(IDLE);
    let (rss_kib, hwm_kib) = memory_kib(bot.id());
    let stopped = Command::new("kill")
        .args(["-TERM", &bot.id().to_string()])
        .status()
        .expect("running kill");
    assert!(stopped.success(), "kill -TERM failed");
    let status = bot.wait().expect("waiting for the bot");
    assert!(status.success(), "the bot stopped with {status}");
    Start {
        to_health,
        rss_kib,
        hwm_kib,
    }
}

fn median<T: Copy + Ord>(mut values: Vec<T>) -> T {
    values.sort();
    values[values.len() / 2]
}

fn main() {
    let restarts = arg("--restarts").unwrap_or(10).max(1);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let sim = runtime
        .block_on(TelegramSim::start(SimConfig::default()))
        .expect("starting the simulator");
    sim.add_bot(TOKEN, "startup_bench_bot");
    let api_url = sim.api_url();
    let dir = tempfile::tempdir().expect("a temporary directory");

    let first = start_once(dir.path(), &api_url);
    let again: Vec<Start> = (0..restarts)
        .map(|_| start_once(dir.path(), &api_url))
        .collect();

    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1e3);
    let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
    println!(
        "| start (SQLite, simulator on loopback) | spawn to `/health` 200 | VmRSS after {}s idle | VmHWM (peak) |",
        IDLE.as_secs()
    );
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| first start: new database, all migrations | {} | {} | {} |",
        ms(first.to_health),
        mib(first.rss_kib),
        mib(first.hwm_kib)
    );
    println!(
        "| restart, existing database: median of {restarts} | {} | {} | {} |",
        ms(median(again.iter().map(|s| s.to_health).collect())),
        mib(median(again.iter().map(|s| s.rss_kib).collect())),
        mib(median(again.iter().map(|s| s.hwm_kib).collect())),
    );
    println!(
        "| restart, existing database: slowest of {restarts} | {} | {} | {} |",
        ms(again
            .iter()
            .map(|s| s.to_health)
            .max()
            .expect("one restart")),
        mib(again.iter().map(|s| s.rss_kib).max().expect("one restart")),
        mib(again.iter().map(|s| s.hwm_kib).max().expect("one restart")),
    );
    let size = |path: &Path| std::fs::metadata(path).expect("the binary").len() as f64 / 1048576.0;
    let stripped = dir.path().join("stripped");
    let strip = Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(BINARY)
        .status();
    let stripped = match strip {
        Ok(status) if status.success() => format!(", {:.1} MiB stripped", size(&stripped)),
        _ => String::new(),
    };
    println!(
        "\nThe binary: {:.1} MiB as built (release profile, `debug = 1`){stripped}.",
        size(Path::new(BINARY))
    );
}
