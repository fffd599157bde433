//! One behavioural suite for every sketch store backend: embedded on SQLite (always),
//! embedded on PostgreSQL (`TEST_POSTGRES_URL`), Redis (`TEST_REDIS_URL`) and Redis
//! Cluster (`TEST_REDIS_CLUSTER_URLS`, comma-separated seed nodes; `.ci/redis-cluster.sh`
//! starts one). A backend whose variable is unset prints `skipped: … not set` and
//! passes, or fails with `REQUIRE_SERVICES=1`.

use chrono::{Days, NaiveDate};
use futures::FutureExt;
use milestone_bot::sketch::redis::RedisConnection;
use milestone_bot::sketch::{
    EmbeddedStore, Estimate, Hll, Metric, MetricName, Metrics, RedisStore, SketchStore,
    SketchStoreKind,
};
use milestone_bot::storage::Db;
use std::panic::AssertUnwindSafe;

#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Sqlite,
    Postgres,
    Redis,
    RedisCluster,
}

/// A store on throwaway storage: a temporary SQLite file, a fresh PostgreSQL
/// database `mbtest_<random>` (dropped after, even when the case panics), or a
/// unique Redis key prefix (deleted), on a single server or a cluster.
pub struct TestStore {
    pub store: SketchStoreKind,
    kind: Kind,
    /// The database URL, the Redis URL or the cluster's comma-separated node URLs,
    /// for opening a second instance.
    url: String,
    /// The Redis key prefix.
    name: String,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database, dropped with this value.
    pg: Option<crate::helpers::PgDatabase>,
}

fn random_name() -> String {
    format!("test_{:016x}", rand::random::<u64>())
}

impl TestStore {
    /// `None`, after saying so, when the backend's server is not configured.
    pub async fn new(kind: Kind) -> Option<TestStore> {
        let name = random_name();
        let (url, dir, pg) = match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                (url, Some(dir), None)
            }
            Kind::Postgres => {
                let base = env_or_skip("TEST_POSTGRES_URL")?;
                let pg = crate::helpers::PgDatabase::create(&pg_url(&base, "postgres")).await;
                (pg.url(), None, Some(pg))
            }
            Kind::Redis => (env_or_skip("TEST_REDIS_URL")?, None, None),
            Kind::RedisCluster => (env_or_skip("TEST_REDIS_CLUSTER_URLS")?, None, None),
        };
        Some(TestStore {
            store: open(kind, &url, &name).await,
            kind,
            url,
            name,
            _dir: dir,
            pg,
        })
    }

    /// The PostgreSQL database's name, when the store is on one.
    pub fn postgres_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|pg| pg.name.as_str())
    }

    /// Another instance on the same storage, as a restarted or second process has.
    pub async fn open(&self) -> SketchStoreKind {
        open(self.kind, &self.url, &self.name).await
    }

    async fn cleanup(mut self) {
        match self.kind {
            Kind::Sqlite => {}
            Kind::Postgres => {
                if let Some(pg) = self.pg.take() {
                    pg.drop_now().await;
                }
            }
            Kind::Redis => delete_keys(&self.url, &format!("{}:*", self.name)).await,
            Kind::RedisCluster => {
                let mut conn = RedisConnection::cluster(&cluster_nodes(&self.url))
                    .await
                    .unwrap();
                delete_keys_on(&mut conn, &format!("{{{}:*", self.name)).await;
            }
        }
    }
}

async fn open(kind: Kind, url: &str, prefix: &str) -> SketchStoreKind {
    match kind {
        Kind::Sqlite | Kind::Postgres => {
            let db = Db::connect_and_migrate(url).await.unwrap();
            SketchStoreKind::Embedded(EmbeddedStore::new(db))
        }
        Kind::Redis => SketchStoreKind::Redis(RedisStore::connect(url, prefix).await.unwrap()),
        Kind::RedisCluster => SketchStoreKind::Redis(
            RedisStore::connect_cluster(&cluster_nodes(url), prefix)
                .await
                .unwrap(),
        ),
    }
}

pub fn env_or_skip(var: &str) -> Option<String> {
    crate::helpers::service_url(var)
}

fn pg_url(base: &str, database: &str) -> String {
    let mut url = url::Url::parse(base).expect("TEST_POSTGRES_URL is a URL");
    url.set_path(database);
    url.to_string()
}

/// `TEST_REDIS_CLUSTER_URLS` split into its node URLs.
pub fn cluster_nodes(urls: &str) -> Vec<String> {
    urls.split(',').map(|u| u.trim().to_owned()).collect()
}

pub async fn delete_keys(redis_url: &str, pattern: &str) {
    let mut conn = RedisConnection::single(redis_url).await.unwrap();
    delete_keys_on(&mut conn, pattern).await;
}

/// Deletes the keys matching `pattern`; on a cluster `KEYS` asks every primary and
/// `DEL` is split by slot by the client.
pub async fn delete_keys_on(conn: &mut RedisConnection, pattern: &str) {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(pattern)
        .query_async(conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        redis::cmd("DEL")
            .arg(keys)
            .query_async::<()>(conn)
            .await
            .unwrap();
    }
}

/// Runs one case on one backend, cleaning up even when the case fails.
async fn run(kind: Kind, case: impl AsyncFnOnce(&TestStore)) {
    let Some(test) = TestStore::new(kind).await else {
        return;
    };
    let outcome = AssertUnwindSafe(case(&test)).catch_unwind().await;
    test.cleanup().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Each case becomes a module with `on_sqlite`, `on_postgres`, `on_redis` and
/// `on_redis_cluster` tests.
macro_rules! on_every_backend {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            use super::*;
            #[tokio::test]
            async fn on_sqlite() { run(Kind::Sqlite, super::$case).await }
            #[tokio::test]
            async fn on_postgres() { run(Kind::Postgres, super::$case).await }
            #[tokio::test]
            async fn on_redis() { run(Kind::Redis, super::$case).await }
            #[tokio::test]
            async fn on_redis_cluster() { run(Kind::RedisCluster, super::$case).await }
        }
    )*};
}

on_every_backend!(
    a_count_is_within_three_standard_errors_of_the_truth,
    a_window_counts_ids_seen_on_several_of_its_days_once,
    a_flushed_store_reopened_counts_exactly_the_same,
    two_instances_writing_the_same_day_keep_each_others_ids,
    a_put_day_sketch_is_merged_with_the_stored_day,
    a_day_with_nothing_recorded_has_no_sketch_and_counts_zero,
    a_repeated_count_sees_what_another_instance_wrote_to_any_day_of_its_window,
);

/// The embedded store counts on a connection of its own: when the server closes it
/// (a restart), the next count opens another instead of failing.
#[tokio::test]
async fn a_count_survives_the_server_closing_every_connection_on_postgres() {
    run(Kind::Postgres, async |t: &TestStore| {
        let mau = metric("mau");
        t.store
            .add(&mau.name, day(26), &ids(0..1_000))
            .await
            .unwrap();
        t.store.flush().await.unwrap();
        t.store.count(&mau, day(26)).await.unwrap();

        let base = std::env::var("TEST_POSTGRES_URL").unwrap();
        let admin = Db::connect(&pg_url(&base, "postgres")).await.unwrap();
        let closed = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(t.postgres_name().expect("a PostgreSQL store").to_owned())
        .fetch_all(admin.pool())
        .await
        .unwrap();
        admin.close().await;
        assert!(!closed.is_empty(), "the store had connections to close");

        assert_close(t.store.count(&mau, day(26)).await.unwrap(), 1_000);
    })
    .await
}

pub fn metric(name: &str) -> Metric {
    Metrics::default().get(name).unwrap().clone()
}

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

pub fn ids(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|i| format!("user-{i}")).collect()
}

pub fn assert_close(estimate: Estimate, truth: u64) {
    let (lo, hi) = estimate.interval(3.0);
    assert!(
        (lo..=hi).contains(&truth),
        "{truth} is outside {estimate} ({lo}..={hi})"
    );
}

async fn a_count_is_within_three_standard_errors_of_the_truth(t: &TestStore) {
    let mau = metric("mau");
    for chunk in ids(0..50_000).chunks(7_000) {
        t.store.add(&mau.name, day(26), chunk).await.unwrap();
    }
    // Duplicates change nothing.
    t.store
        .add(&mau.name, day(26), &ids(0..1_000))
        .await
        .unwrap();
    assert_close(t.store.count(&mau, day(26)).await.unwrap(), 50_000);
}

async fn a_window_counts_ids_seen_on_several_of_its_days_once(t: &TestStore) {
    let (dau, mau) = (metric("dau"), metric("mau"));
    for m in [&dau, &mau] {
        t.store.add(&m.name, day(24), &ids(0..1_000)).await.unwrap();
        t.store
            .add(&m.name, day(25), &ids(500..1_500))
            .await
            .unwrap();
        t.store
            .add(&m.name, day(26), &ids(1_000..2_000))
            .await
            .unwrap();
    }
    // 30 days before the 26th is outside the window ending on the 26th.
    let outside = day(26).checked_sub_days(Days::new(30)).unwrap();
    t.store
        .add(&mau.name, outside, &ids(5_000..9_000))
        .await
        .unwrap();

    assert_close(t.store.count(&mau, day(26)).await.unwrap(), 2_000);
    assert_close(t.store.count(&dau, day(26)).await.unwrap(), 1_000);
    assert_close(t.store.count(&dau, day(25)).await.unwrap(), 1_000);
    assert_close(t.store.count(&mau, day(24)).await.unwrap(), 5_000);
    assert_eq!(t.store.count(&dau, day(27)).await.unwrap().value, 0);
}

async fn a_flushed_store_reopened_counts_exactly_the_same(t: &TestStore) {
    let mau = metric("mau");
    t.store
        .add(&mau.name, day(25), &ids(0..3_000))
        .await
        .unwrap();
    t.store
        .add(&mau.name, day(26), &ids(2_000..20_000))
        .await
        .unwrap();
    let before = t.store.count(&mau, day(26)).await.unwrap();
    t.store.flush().await.unwrap();

    let reopened = t.open().await;
    assert_eq!(reopened.count(&mau, day(26)).await.unwrap(), before);
    let day_sketch = reopened.day_sketch(&mau.name, day(25)).await.unwrap();
    assert_eq!(
        day_sketch,
        t.store.day_sketch(&mau.name, day(25)).await.unwrap()
    );
}

async fn two_instances_writing_the_same_day_keep_each_others_ids(t: &TestStore) {
    let mau = metric("mau");
    let other = t.open().await;
    // Both read the day first, so each caches a version the other then overwrites.
    t.store.count(&mau, day(26)).await.unwrap();
    other.count(&mau, day(26)).await.unwrap();
    t.store
        .add(&mau.name, day(26), &ids(0..5_000))
        .await
        .unwrap();
    other
        .add(&mau.name, day(26), &ids(5_000..10_000))
        .await
        .unwrap();
    let (a, b) = tokio::join!(t.store.flush(), other.flush());
    a.unwrap();
    b.unwrap();

    assert_close(t.open().await.count(&mau, day(26)).await.unwrap(), 10_000);
    // Each instance also sees the other's ids, without restarting.
    assert_close(t.store.count(&mau, day(26)).await.unwrap(), 10_000);
    assert_close(other.count(&mau, day(26)).await.unwrap(), 10_000);
}

async fn a_repeated_count_sees_what_another_instance_wrote_to_any_day_of_its_window(t: &TestStore) {
    let mau = metric("mau");
    for (d, range) in [(20, 0..1_000), (25, 1_000..2_000), (26, 2_000..3_000)] {
        t.store.add(&mau.name, day(d), &ids(range)).await.unwrap();
    }
    t.store.flush().await.unwrap();
    // Counted twice: the second count is the repeated kind that reuses what it can.
    t.store.count(&mau, day(26)).await.unwrap();
    assert_close(t.store.count(&mau, day(26)).await.unwrap(), 3_000);

    // Another instance writes a closed day that has a row and one that had none.
    let other = t.open().await;
    let writes = [(25, 3_000..6_000), (22, 6_000..9_000)];
    for (d, range) in writes {
        other.add(&mau.name, day(d), &ids(range)).await.unwrap();
    }
    other.flush().await.unwrap();
    assert_close(t.store.count(&mau, day(26)).await.unwrap(), 9_000);

    // Then it rewrites an existing day only: no new row.
    other
        .add(&mau.name, day(20), &ids(9_000..12_000))
        .await
        .unwrap();
    other.flush().await.unwrap();
    assert_close(t.store.count(&mau, day(26)).await.unwrap(), 12_000);
}

async fn a_put_day_sketch_is_merged_with_the_stored_day(t: &TestStore) {
    let dau = metric("dau");
    t.store
        .add(&dau.name, day(26), &ids(0..1_000))
        .await
        .unwrap();
    t.store.flush().await.unwrap();
    let mut imported = Hll::new();
    for id in ids(500..2_000) {
        imported.add(id.as_bytes());
    }
    t.store
        .put_day_sketch(&dau.name, day(26), imported)
        .await
        .unwrap();
    t.store.flush().await.unwrap();
    assert_close(t.open().await.count(&dau, day(26)).await.unwrap(), 2_000);
}

async fn a_day_with_nothing_recorded_has_no_sketch_and_counts_zero(t: &TestStore) {
    let mau = metric("mau");
    let name = MetricName::parse("mau").unwrap();
    assert_eq!(t.store.day_sketch(&name, day(1)).await.unwrap(), None);
    assert_eq!(t.store.count(&mau, day(1)).await.unwrap().value, 0);
}

mod redis_interop {
    use super::*;
    use milestone_bot::cli::sketch::{export, import};

    async fn redis() -> Option<(String, redis::aio::MultiplexedConnection)> {
        let url = env_or_skip("TEST_REDIS_URL")?;
        let conn = redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        Some((url, conn))
    }

    #[tokio::test]
    async fn a_key_written_by_plain_pfadd_is_read_unchanged_by_the_redis_backend() {
        let Some((url, mut conn)) = redis().await else {
            return;
        };
        let prefix = random_name();
        let mau = metric("mau");
        let key = format!("{prefix}:mau:2026-11-26");
        for chunk in ids(0..30_000).chunks(1_000) {
            redis::cmd("PFADD")
                .arg(&key)
                .arg(chunk)
                .query_async::<()>(&mut conn)
                .await
                .unwrap();
        }
        let bytes_before: Vec<u8> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let pfcount: u64 = redis::cmd("PFCOUNT")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();

        let store = RedisStore::connect(&url, &prefix).await.unwrap();
        let counted = store.count(&mau, day(26)).await.unwrap();
        let sketch = store.day_sketch(&mau.name, day(26)).await.unwrap().unwrap();
        let bytes_after: Vec<u8> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();

        delete_keys(&url, &format!("{prefix}:*")).await;
        assert_eq!(counted.value, pfcount);
        assert_eq!(sketch.count(), pfcount);
        // Only the cached-cardinality bytes of the header may differ (PFCOUNT writes them).
        assert_eq!(bytes_before[16..], bytes_after[16..]);
    }

    #[tokio::test]
    async fn an_exported_sketch_counts_the_same_in_redis_and_imports_back_unchanged() {
        let Some((url, mut conn)) = redis().await else {
            return;
        };
        let Some(t) = TestStore::new(Kind::Sqlite).await else {
            return;
        };
        let mau = metric("mau");
        let key = format!("{}:exported", random_name());
        t.store
            .add(&mau.name, day(26), &ids(0..40_000))
            .await
            .unwrap();
        let sketch = t.store.day_sketch(&mau.name, day(26)).await.unwrap();
        let embedded = sketch.clone().unwrap().count();

        let redis_count = export(&t.store, &mau.name, day(26), &url, &key)
            .await
            .unwrap();
        let pfcount: u64 = redis::cmd("PFCOUNT")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let imported = import(&t.store, &mau.name, day(20), &url, &key)
            .await
            .unwrap();
        let reimported = t.open().await.day_sketch(&mau.name, day(20)).await.unwrap();

        delete_keys(&url, &key).await;
        assert_eq!(redis_count, embedded);
        assert_eq!(pfcount, embedded);
        assert_eq!(imported, embedded);
        assert_eq!(reimported, sketch);
    }

    #[tokio::test]
    async fn importing_a_missing_or_non_sketch_key_is_refused_with_the_reason() {
        let Some((url, mut conn)) = redis().await else {
            return;
        };
        let Some(t) = TestStore::new(Kind::Sqlite).await else {
            return;
        };
        let mau = MetricName::parse("mau").unwrap();
        let key = format!("{}:not-a-sketch", random_name());
        redis::cmd("SET")
            .arg(&key)
            .arg("hello")
            .query_async::<()>(&mut conn)
            .await
            .unwrap();

        let missing = import(&t.store, &mau, day(26), &url, &format!("{key}:none")).await;
        let garbage = import(&t.store, &mau, day(26), &url, &key).await;

        delete_keys(&url, &key).await;
        assert!(format!("{:#}", missing.unwrap_err()).contains("does not exist"));
        assert!(format!("{:#}", garbage.unwrap_err()).contains("is not a HyperLogLog"));
    }
}
