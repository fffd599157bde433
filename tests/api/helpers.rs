//! Shared test set-up: a fresh database per test (SQLite file, or a new PostgreSQL
//! database when `TEST_POSTGRES_URL` is set), the Bot API simulator, and the real bot
//! built through `App::build` exactly as `main` builds it.

use milestone_bot::app::App;
use milestone_bot::config::Config;
use milestone_bot::storage::{Backend, Db};
use sqlx::Connection;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use telegram_sim::{BotUser, SimConfig, TelegramSim};
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

/// A throwaway database; removed when the test calls [`TestDatabase::drop_now`].
pub enum TestDatabase {
    Sqlite {
        dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
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
                let name = format!("mbtest_{}", rand::random::<u64>());
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("TEST_POSTGRES_URL reachable");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create the test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Some(TestDatabase::Postgres {
                    admin_url,
                    name,
                    url: url.to_string(),
                })
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }

    /// Drops a PostgreSQL test database (SQLite's temp dir goes with the value).
    pub async fn drop_now(self) {
        if let TestDatabase::Postgres {
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
        if let TestDatabase::Sqlite { dir, .. } = self {
            drop(dir);
        }
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
    pub db: Db,
    #[allow(dead_code)] // used by the HTTP suites
    pub http_addr: SocketAddr,
    database: Option<TestDatabase>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Settings for a test bot, as environment variables would give them.
pub fn test_env(sim: &TelegramSim, token: &str, database_url: &str) -> HashMap<String, String> {
    [
        ("TELOXIDE_TOKEN", token),
        ("TELEGRAM_API_URL", &sim.api_url()),
        ("DATABASE_URL", database_url),
        ("HTTP_ADDR", "127.0.0.1:0"),
        ("POLL_TIMEOUT", "1s"),
        ("ADMIN_IDS", "1001"),
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
        milestone_bot::telemetry::init();
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
        let mut env = test_env(&sim, &token, database.url());
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

    /// Stops the bot gracefully, checks it stopped cleanly, and removes the database.
    pub async fn stop(mut self) {
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
        if let Some(database) = self.database.take() {
            self.db.close().await;
            database.drop_now().await;
        }
    }
}

/// Polls `check` until it returns `Some` or the deadline passes.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
