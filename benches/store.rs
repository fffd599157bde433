//! Sketch store throughput: `cargo bench --bench store`.
//!
//! Ingest (ids/s, end to end: `add` in batches, then `flush`) of the embedded store on
//! SQLite (and PostgreSQL with `TEST_POSTGRES_URL`) and of the Redis backend's
//! pipelined `PFADD` (`TEST_REDIS_URL`, default redis://127.0.0.1:6379, and a Redis
//! Cluster when `TEST_REDIS_CLUSTER_URLS` lists its nodes: `.ci/redis-cluster.sh
//! start`); then the time of a 30-day `mau` count on each: warm (the same instance
//! again, median of many) and cold (the first count of a freshly opened instance,
//! median over several). Prints one markdown table.

use chrono::{Days, NaiveDate};
use milestone_bot::sketch::redis::RedisConnection;
use milestone_bot::sketch::{EmbeddedStore, Metrics, RedisStore, SketchStore, SketchStoreKind};
use milestone_bot::storage::Db;
use std::time::{Duration, Instant};

const INGEST_IDS: u64 = 2_000_000;
const BATCH: usize = 50_000;
const DAY_IDS: u64 = 20_000;
const COUNT_RUNS: usize = 200;
/// Fresh instances, each counted once, for the cold figure.
const COLD_RUNS: usize = 9;

struct Row {
    backend: String,
    ingest: Option<f64>,
    count_warm: Duration,
    count_cold: Option<Duration>,
}

fn ids(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|i| format!("user-{i}")).collect()
}

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

async fn measure(name: &str, store: SketchStoreKind, fresh: Vec<SketchStoreKind>, n: u64) -> Row {
    let mau = Metrics::default().get("mau").unwrap().clone();
    // Ingest: distinct ids into one day, then make them durable.
    let all = ids(0..n);
    let started = Instant::now();
    for chunk in all.chunks(BATCH) {
        store.add(&mau.name, at(), chunk).await.unwrap();
    }
    store.flush().await.unwrap();
    let ingest = n as f64 / started.elapsed().as_secs_f64();

    // Fill the other 29 days of the window.
    for d in 1..30u64 {
        let day = at().checked_sub_days(Days::new(d)).unwrap();
        let day_ids = ids(n + d * DAY_IDS..n + (d + 1) * DAY_IDS);
        store.add(&mau.name, day, &day_ids).await.unwrap();
    }
    store.flush().await.unwrap();

    let mut cold = Vec::with_capacity(fresh.len());
    for instance in &fresh {
        let started = Instant::now();
        std::hint::black_box(instance.count(&mau, at()).await.unwrap());
        cold.push(started.elapsed());
    }
    cold.sort();
    let count_cold = cold.get(cold.len() / 2).copied();
    let mut times = Vec::with_capacity(COUNT_RUNS);
    for _ in 0..COUNT_RUNS {
        let started = Instant::now();
        std::hint::black_box(store.count(&mau, at()).await.unwrap());
        times.push(started.elapsed());
    }
    times.sort();
    Row {
        backend: name.to_owned(),
        ingest: Some(ingest),
        count_warm: times[times.len() / 2],
        count_cold,
    }
}

/// Measures a Redis store, then deletes the keys under `pattern`.
async fn redis_row(name: &str, store: RedisStore, pattern: &str) -> Row {
    let mut conn: RedisConnection = store.connection();
    let row = measure(name, SketchStoreKind::Redis(store), Vec::new(), INGEST_IDS).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut conn)
        .await
        .unwrap();
    redis::cmd("DEL")
        .arg(keys)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    row
}

async fn embedded(url: &str) -> SketchStoreKind {
    let db = Db::connect_and_migrate(url).await.unwrap();
    SketchStoreKind::Embedded(EmbeddedStore::new(db))
}

/// The bench's PostgreSQL database, dropped when this value goes, also when the
/// bench panics half-way. Named like the test databases (`mbtest_…`) so `.ci/run`
/// clears any a killed run leaves behind.
struct BenchDatabase {
    admin_url: url::Url,
    name: String,
}

impl BenchDatabase {
    async fn create(base: &str) -> BenchDatabase {
        let mut admin_url = url::Url::parse(base).unwrap();
        admin_url.set_path("postgres");
        let name = format!("mbtest_bench_{:08x}", rand::random::<u32>());
        let admin = Db::connect(admin_url.as_str()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(admin.pool())
            .await
            .unwrap();
        admin.close().await;
        BenchDatabase { admin_url, name }
    }

    fn url(&self) -> String {
        let mut url = self.admin_url.clone();
        url.set_path(&self.name);
        url.to_string()
    }
}

impl Drop for BenchDatabase {
    /// From a thread of its own: the bench's runtime cannot be blocked on from inside.
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.to_string(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let Ok(admin) = Db::connect(&admin_url).await else {
                    return;
                };
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                    .execute(admin.pool())
                    .await;
                admin.close().await;
            });
        })
        .join();
    }
}

/// Instances opened now and counted only after the data is in: nothing cached.
async fn fresh_instances(url: &str) -> Vec<SketchStoreKind> {
    let mut instances = Vec::with_capacity(COLD_RUNS);
    for _ in 0..COLD_RUNS {
        instances.push(embedded(url).await);
    }
    instances
}

#[tokio::main]
async fn main() {
    let mut rows = Vec::new();

    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let store = embedded(&sqlite).await;
    let fresh = fresh_instances(&sqlite).await;
    rows.push(measure("embedded, SQLite", store, fresh, INGEST_IDS).await);

    if let Ok(base) = std::env::var("TEST_POSTGRES_URL") {
        let database = BenchDatabase::create(&base).await;
        let store = embedded(&database.url()).await;
        let fresh = fresh_instances(&database.url()).await;
        rows.push(measure("embedded, PostgreSQL", store, fresh, INGEST_IDS).await);
        drop(database);
    }

    let redis_url =
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("bench_{:08x}", rand::random::<u32>());
    match RedisStore::connect(&redis_url, &prefix).await {
        Ok(store) => {
            let pattern = format!("{prefix}:*");
            rows.push(redis_row("Redis (pipelined PFADD)", store, &pattern).await);
        }
        Err(err) => eprintln!("skipped Redis: {err}"),
    }

    match std::env::var("TEST_REDIS_CLUSTER_URLS") {
        Ok(urls) => {
            let nodes: Vec<String> = urls.split(',').map(|u| u.trim().to_owned()).collect();
            let store = RedisStore::connect_cluster(&nodes, &prefix).await.unwrap();
            let name = format!("Redis Cluster, {} nodes (pipelined PFADD)", nodes.len());
            rows.push(redis_row(&name, store, &format!("{{{prefix}:*")).await);
        }
        Err(_) => eprintln!("skipped Redis Cluster: TEST_REDIS_CLUSTER_URLS not set"),
    }

    println!(
        "| backend | ingest (ids/s, add + flush) | 30-day mau count, warm (median of {COUNT_RUNS}) | 30-day mau count, cold (first on a fresh instance, median of {COLD_RUNS}) |"
    );
    println!("|---|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {:.1} µs | {} |",
            row.backend,
            row.ingest
                .map_or("-".into(), |r| format!("{:.2} M", r / 1e6)),
            row.count_warm.as_secs_f64() * 1e6,
            row.count_cold
                .map_or("-".into(), |d| format!("{:.1} µs", d.as_secs_f64() * 1e6)),
        );
    }
    println!(
        "\n{INGEST_IDS} distinct ids ingested into one day in batches of {BATCH}; the window's other 29 days hold {DAY_IDS} ids each."
    );
}
