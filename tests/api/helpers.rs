//! Shared test set-up: a fresh database per test (SQLite file, or a new PostgreSQL
//! database when `TEST_POSTGRES_URL` is set), the Bot API simulator, and the real bot
//! built through `App::build` exactly as `main` builds it.

pub use crate::clock::Clock;
use chrono::{DateTime, TimeZone, Utc};
use milestone_bot::app::App;
use milestone_bot::config::Config;
use milestone_bot::milestones::watcher::{CountError, Counter};
use milestone_bot::sketch::Estimate;
use milestone_bot::storage::{Backend, Db};
use milestone_bot::vocab::MetricName;
use sqlx::Connection;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use telegram_sim::{BotUser, ChatId, ChatKind, SimConfig, TelegramSim, UserId};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How long a test waits for the bot to react before it fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Runs the same test body on every backend: `sqlite` always, `postgres` when
/// `TEST_POSTGRES_URL` is set (the module name lets CI select them).
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(milestone_bot::storage::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(milestone_bot::storage::Backend::Postgres).await } )*
        }
    };
}

/// A throwaway database: a SQLite file in a temporary directory, or a fresh
/// PostgreSQL database. Either goes away when the value is dropped, so a test that
/// fails (panics) leaves nothing behind; [`TestDatabase::drop_now`] does it sooner.
pub enum TestDatabase {
    Sqlite { dir: tempfile::TempDir, url: String },
    Postgres { guard: PgDatabase, url: String },
}

impl TestDatabase {
    /// A fresh database, or `None` (with a line saying so) when the backend's service
    /// is not configured. With `REQUIRE_SERVICES=1` (set by `.ci/run`) a missing
    /// service fails the test instead.
    pub async fn new(backend: Backend) -> Option<TestDatabase> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("bot.db").display());
                Some(TestDatabase::Sqlite { dir, url })
            }
            Backend::Postgres => {
                let admin_url = service_url("TEST_POSTGRES_URL")?;
                let guard = PgDatabase::create(&admin_url).await;
                let url = guard.url();
                Some(TestDatabase::Postgres { guard, url })
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }

    /// The PostgreSQL database's name (`None` on SQLite).
    #[allow(dead_code)] // used by the clean-up test
    pub fn postgres_name(&self) -> Option<&str> {
        match self {
            TestDatabase::Postgres { guard, .. } => Some(&guard.name),
            TestDatabase::Sqlite { .. } => None,
        }
    }

    /// Removes the database now (a PostgreSQL one is dropped with its connections).
    pub async fn drop_now(self) {
        match self {
            TestDatabase::Postgres { guard, .. } => guard.drop_now().await,
            TestDatabase::Sqlite { dir, .. } => drop(dir),
        }
    }
}

/// Every PostgreSQL test database's name starts with this; `.ci/run` drops any left
/// over by a killed run.
pub const PG_PREFIX: &str = "mbtest_";

/// A PostgreSQL database created for one test and dropped when this guard goes,
/// also when the test panics: `Drop` runs during unwinding, and drops the database
/// (`WITH (FORCE)`, so connections still open do not hold it) from a thread of its
/// own, since an async runtime cannot be blocked on from inside itself.
pub struct PgDatabase {
    /// `TEST_POSTGRES_URL`: the server, and a database to connect to for `CREATE`/`DROP`.
    admin_url: String,
    /// `mbtest_<random>`.
    pub name: String,
    /// Set once dropped, so `Drop` does nothing more.
    dropped: bool,
}

impl PgDatabase {
    /// Creates `mbtest_<random>` on the server of `admin_url`.
    pub async fn create(admin_url: &str) -> PgDatabase {
        let name = format!("{PG_PREFIX}{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .expect("TEST_POSTGRES_URL reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let _ = admin.close().await;
        PgDatabase {
            admin_url: admin_url.to_owned(),
            name,
            dropped: false,
        }
    }

    /// The URL of the test database itself.
    pub fn url(&self) -> String {
        let mut url = url::Url::parse(&self.admin_url).expect("TEST_POSTGRES_URL is a URL");
        url.set_path(&self.name);
        url.to_string()
    }

    /// Drops the database now.
    pub async fn drop_now(mut self) {
        drop_database(&self.admin_url, &self.name).await;
        self.dropped = true;
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropping =
            std::thread::spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(drop_database(&admin_url, &name)),
                    Err(err) => eprintln!("could not drop test database {name}: {err}"),
                }
            });
        // Never panic here: a panic while unwinding would abort the test binary.
        let _ = dropping.join();
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    let dropped = match sqlx::PgConnection::connect(admin_url).await {
        Ok(mut admin) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await
        .map(drop),
        Err(err) => Err(err),
    };
    if let Err(err) = dropped {
        eprintln!("could not drop test database {name}: {err}");
    }
}

/// The URL of a service the test needs, or `None` after saying the test is skipped.
pub fn service_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("REQUIRE_SERVICES").is_ok_and(|v| v == "1") => {
            panic!("{var} is not set but REQUIRE_SERVICES=1")
        }
        _ => {
            eprintln!("skipped: {var} not set");
            None
        }
    }
}

/// The bot running against the simulator, with its own database and ports.
pub struct TestApp {
    pub sim: TelegramSim,
    pub token: String,
    pub bot: BotUser,
    /// The limits the simulator enforces and the bot paces by.
    pub clock: Clock,
    /// The admin configured in `ADMIN_IDS`; their private chat has the same id.
    pub admin: UserId,
    pub db: Db,
    #[allow(dead_code)] // used by the HTTP suites
    pub http_addr: SocketAddr,
    database: Option<TestDatabase>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Settings for a test bot, as environment variables would give them.
pub fn test_env(
    sim: &TelegramSim,
    token: &str,
    database_url: &str,
    admin: UserId,
) -> HashMap<String, String> {
    let admin = admin.0.to_string();
    [
        ("TELOXIDE_TOKEN", token),
        ("TELEGRAM_API_URL", &sim.api_url()),
        ("DATABASE_URL", database_url),
        ("HTTP_ADDR", "127.0.0.1:0"),
        ("POLL_TIMEOUT", "1s"),
        ("ADMIN_IDS", &admin),
        // Announcements go out as text unless a test is about the milestone card
        // (tests/api/pictures.rs turns it on): the card's upload would change what
        // other tests count and time.
        ("CARD", "off"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

impl TestApp {
    /// Starts a simulator and the bot on `backend`; `None` when the backend is skipped.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with a chance to change the settings first.
    pub async fn spawn_with(
        backend: Backend,
        tweak: impl FnOnce(&mut HashMap<String, String>),
    ) -> Option<TestApp> {
        Self::spawn_on(Clock::fast(), backend, tweak).await
    }

    /// Like [`TestApp::spawn_with`] on the given clock: [`Clock::Telegram`] for a
    /// test whose subject is Telegram's real limits; every other test gets the
    /// scaled clock through `spawn` and `spawn_with`.
    pub async fn spawn_on(
        clock: Clock,
        backend: Backend,
        tweak: impl FnOnce(&mut HashMap<String, String>),
    ) -> Option<TestApp> {
        milestone_bot::telemetry::init_with_default("warn");
        let database = TestDatabase::new(backend).await?;
        let sim = TelegramSim::start(SimConfig::default())
            .await
            .expect("the simulator starts");
        let token = format!(
            "{}:TEST{}",
            100_000 + rand::random::<u32>() % 900_000,
            rand::random::<u64>()
        );
        let bot = sim.add_bot(&token, "milestone_test_bot");
        let admin_chat = sim.create_chat(
            ChatKind::Private {
                first_name: "Admin".into(),
                username: Some("admin".into()),
            },
            "Admin",
        );
        let admin = UserId(admin_chat.0);
        let mut env = test_env(&sim, &token, database.url(), admin);
        clock.apply(&mut env, &sim);
        tweak(&mut env);
        let config = Config::from_env(&env).expect("test settings are valid");
        let app = App::build(config).await.expect("the app builds");
        let db = app.db().clone();
        let http_addr = app.http_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        let test_app = TestApp {
            sim,
            token,
            bot,
            clock,
            admin,
            db,
            http_addr,
            database: Some(database),
            stop: Some(stop),
            task: Some(task),
        };
        test_app.wait_until_polling().await;
        Some(test_app)
    }

    /// The bot has started once it registered its command menu (after `getMe`, before
    /// polling); updates pushed earlier simply wait in the simulator's queue.
    async fn wait_until_polling(&self) {
        let token = self.token.clone();
        let started = self
            .sim
            .wait_for(DEADLINE, move |sim| {
                (!sim.commands(&token).is_empty()).then_some(())
            })
            .await;
        assert!(started.is_some(), "the bot never registered its commands");
    }

    /// A person sends `text` in `chat`, as soon as the bot's last message there is
    /// one per-chat window old.
    ///
    /// A person reads the answer before typing the next command; a test answers in
    /// milliseconds, and the bot's reply would then land inside the per-chat window
    /// of its previous one: a 429 whose `retry_after` (whole seconds) the reply
    /// waits out, a second per command. Waiting for the window to end (the
    /// simulator's own record of the last message, not a fixed sleep) keeps every
    /// reply inside the limits, on either clock.
    pub async fn send_text(&self, chat: ChatId, from: UserId, text: &str) -> i32 {
        self.clock.chat_window_passed(&self.sim, chat).await;
        self.sim.send_text(&self.token, chat, from, text)
    }

    /// The test database's URL, for running the CLI against it.
    pub fn database_url(&self) -> String {
        self.database
            .as_ref()
            .map(|d| d.url().to_owned())
            .unwrap_or_default()
    }

    /// Stops the bot gracefully, checks it stopped cleanly, and removes the database.
    pub async fn stop(mut self) {
        self.stop_bot().await;
        if let Some(database) = self.database.take() {
            self.db.close().await;
            database.drop_now().await;
        }
    }

    /// Stops the bot gracefully and checks it stopped cleanly; the database stays
    /// (another instance may still use it) until [`TestApp::stop`].
    pub async fn stop_bot(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let result = tokio::time::timeout(DEADLINE, task)
                .await
                .expect("the bot stops within the deadline");
            result
                .expect("the bot task did not panic")
                .expect("the bot stopped without error");
        }
    }
}

/// Polls `check` (a database state: what the simulator sees is better waited for
/// with `sim.wait_for`, which wakes on every delivery) every 25 ms until it returns
/// `Some` or [`DEADLINE`] passes; the failure says what, how long and how often.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_explained(what, check, String::new).await
}

/// [`eventually`], whose failure adds what `explain` says then (a log's tail, the
/// rows that are not there yet).
pub async fn eventually_explained<T, F, Fut>(
    what: &str,
    mut check: F,
    explain: impl FnOnce() -> String,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = tokio::time::Instant::now();
    let mut checks = 0u32;
    loop {
        checks += 1;
        if let Some(v) = check().await {
            return v;
        }
        let waited = started.elapsed();
        if waited >= DEADLINE {
            panic!(
                "timed out waiting for: {what} (checked {checks} times over {waited:.1?}; \
                 still not so at the deadline of {DEADLINE:?})\n{}",
                explain()
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Broadcast settings that keep tests quick: idle polls, retries, progress edits and
/// the lease all in milliseconds rather than seconds.
pub fn fast_broadcast(env: &mut HashMap<String, String>) {
    for (k, v) in [
        ("BROADCAST_POLL_INTERVAL", "50ms"),
        ("BROADCAST_RETRY_BASE", "50ms"),
        ("BROADCAST_PROGRESS_INTERVAL", "200ms"),
        ("BROADCAST_LEASE_TTL", "2s"),
        ("BROADCAST_REQUEST_TIMEOUT", "2s"),
    ] {
        env.insert(k.to_owned(), v.to_owned());
    }
}

/// Creates `n` chats of `kind` in the simulator and records them as subscribed (the
/// way membership updates would, in one transaction, so thousands take a moment).
pub async fn subscribed_chats(
    sim: &TelegramSim,
    db: &Db,
    kind: telegram_sim::ChatKind,
    n: usize,
) -> Vec<telegram_sim::ChatId> {
    let stored = match &kind {
        telegram_sim::ChatKind::Private { .. } => "private",
        telegram_sim::ChatKind::Group => "group",
        telegram_sim::ChatKind::Supergroup { .. } => "supergroup",
        telegram_sim::ChatKind::Channel { .. } => "channel",
    };
    let ids: Vec<_> = (0..n)
        .map(|i| sim.create_chat(kind.clone(), &format!("{stored} {i}")))
        .collect();
    let mut tx = db.pool().begin().await.expect("a transaction");
    for id in &ids {
        sqlx::query(
            "INSERT INTO chats (id, kind, title, subscribed, subscribed_at, updated_at) VALUES ($1, $2, $3, 1, $4, $4)",
        )
        .bind(id.0)
        .bind(stored)
        .bind(format!("chat {}", id.0))
        .bind(chrono::Utc::now().timestamp_millis())
        .execute(&mut *tx)
        .await
        .expect("insert a chat");
    }
    tx.commit().await.expect("commit the chats");
    ids
}

/// A queued announcement with its thank-you note (if any), created the way the
/// watcher creates one: with its deliveries, in one transaction.
pub async fn queue_announcement(
    db: &Db,
    new: milestone_bot::storage::announcements::NewAnnouncement,
) -> i64 {
    let mut tx = db.pool().begin().await.expect("a transaction");
    let id = milestone_bot::storage::announcements::create(&mut tx, &new)
        .await
        .expect("create the announcement")
        .expect("a new dedupe key");
    tx.commit().await.expect("commit the announcement");
    id.get()
}

/// An announcement ready to queue: text, optional note, no media, created by `admin`.
pub fn announcement(
    announce: &str,
    thanks: Option<&str>,
    admin: Option<i64>,
) -> milestone_bot::storage::announcements::NewAnnouncement {
    use milestone_bot::storage::announcements::{
        AnnouncementKind, AnnouncementState, NewAnnouncement,
    };
    NewAnnouncement {
        dedupe_key: format!("test:{}", rand::random::<u64>()),
        kind: AnnouncementKind::Manual,
        metric: Some(milestone_bot::vocab::MetricName::parse("mau").unwrap()),
        milestone: Some(1_000_000),
        state: AnnouncementState::Queued,
        announce_text: Some(announce.to_owned()),
        thanks_text: thanks.map(str::to_owned),
        media_kind: None,
        media_ref: None,
        options: "{}".into(),
        created_by: admin.map(milestone_bot::vocab::UserId),
        created_at: chrono::Utc::now(),
        release_at: None,
    }
}

/// The announcement's state as stored.
pub async fn announcement_state(db: &Db, id: i64) -> String {
    use sqlx::Row;
    sqlx::query("SELECT state FROM announcements WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .expect("the announcement exists")
        .get("state")
}

/// Waits (up to `deadline`) until the announcement reaches `state`.
pub async fn wait_for_state(db: &Db, id: i64, state: &str, deadline: Duration) {
    let end = tokio::time::Instant::now() + deadline;
    loop {
        let now = announcement_state(db, id).await;
        if now == state {
            return;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "announcement {id} is {now}, not {state}, after {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// One delivery row, for asserts: (state, step, attempts, announce id, thanks id, last error).
pub async fn delivery(
    db: &Db,
    announcement_id: i64,
    chat: i64,
) -> (
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
) {
    use sqlx::Row;
    let r = sqlx::query(
        "SELECT state, step, CAST(attempts AS BIGINT) AS attempts, announce_message_id, thanks_message_id, last_error
         FROM deliveries WHERE announcement_id = $1 AND chat_id = $2",
    )
    .bind(announcement_id)
    .bind(chat)
    .fetch_one(db.pool())
    .await
    .expect("the delivery exists");
    (
        r.get("state"),
        r.get("step"),
        r.get("attempts"),
        r.get("announce_message_id"),
        r.get("thanks_message_id"),
        r.get("last_error"),
    )
}

/// `n` channels that add the bot (as Telegram tells it), once the database has them.
pub async fn channels_with_the_bot(app: &TestApp, n: usize) -> Vec<telegram_sim::ChatId> {
    let owner = app.sim.create_user("Olga");
    let chats: Vec<telegram_sim::ChatId> = (0..n)
        .map(|i| {
            app.sim.create_chat(
                telegram_sim::ChatKind::Channel { username: None },
                &format!("News {i}"),
            )
        })
        .collect();
    for &c in &chats {
        app.sim.bot_added_to_chat(&app.token, c, owner, true);
    }
    eventually("channels subscribed", || async {
        (milestone_bot::storage::chats::list_subscribed(&app.db)
            .await
            .unwrap()
            .len()
            == n)
            .then_some(())
    })
    .await;
    chats
}

/// Counts set by the test, per metric (0 until set), for driving the milestone
/// watcher without a sketch store.
#[derive(Clone, Default)]
pub struct FakeCounter(Arc<Mutex<HashMap<String, u64>>>);

impl FakeCounter {
    pub fn set(&self, metric: &str, value: u64) {
        self.0.lock().unwrap().insert(metric.to_owned(), value);
    }
}

impl Counter for FakeCounter {
    async fn count(&self, metric: &MetricName, _at: DateTime<Utc>) -> Result<Estimate, CountError> {
        let value = self
            .0
            .lock()
            .unwrap()
            .get(metric.as_str())
            .copied()
            .unwrap_or(0);
        Ok(Estimate::new(value))
    }
}

/// Minutes after a fixed moment in the past (2026-11-26 12:00 UTC): every release
/// time built from it has passed by the wall clock the sender goes by.
pub fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}
