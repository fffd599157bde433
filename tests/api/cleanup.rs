//! Tests clean up after themselves: a PostgreSQL test database is dropped when its
//! test fails (panics), not only when it reaches its last line.

use crate::helpers::{PG_PREFIX, TestApp, TestDatabase, service_url};
use milestone_bot::storage::Backend;
use sqlx::Connection;

/// Runs `body` in a task of its own, which panics after telling the database name;
/// returns that name once the task has ended (and unwound).
async fn name_after_a_panic<F, Fut>(body: F) -> String
where
    F: FnOnce(tokio::sync::oneshot::Sender<String>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let (tell, told) = tokio::sync::oneshot::channel();
    let outcome = tokio::spawn(async move { body(tell).await }).await;
    assert!(
        outcome.is_err_and(|e| e.is_panic()),
        "the test body panicked"
    );
    told.await.expect("the body told its database's name")
}

async fn exists(admin_url: &str, name: &str) -> bool {
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    let found = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut admin)
        .await
        .unwrap()
        .is_some();
    let _ = admin.close().await;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_postgres_test_drops_its_database() {
    let Some(admin_url) = service_url("TEST_POSTGRES_URL") else {
        return;
    };
    let name = name_after_a_panic(|tell| async move {
        let database = TestDatabase::new(Backend::Postgres).await.unwrap();
        let name = database.postgres_name().unwrap().to_owned();
        assert!(name.starts_with(PG_PREFIX), "{name}");
        let _ = tell.send(name);
        panic!("a failing test");
    })
    .await;
    assert!(!exists(&admin_url, &name).await, "{name} is left over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_postgres_test_with_the_bot_running_drops_its_database() {
    let Some(admin_url) = service_url("TEST_POSTGRES_URL") else {
        return;
    };
    let name = name_after_a_panic(|tell| async move {
        let app = TestApp::spawn(Backend::Postgres).await.unwrap();
        let url = url::Url::parse(&app.database_url()).unwrap();
        let _ = tell.send(url.path().trim_start_matches('/').to_owned());
        panic!("a failing test, with the bot still connected");
    })
    .await;
    assert!(!exists(&admin_url, &name).await, "{name} is left over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_postgres_sketch_store_case_drops_its_database() {
    let Some(admin_url) = service_url("TEST_POSTGRES_URL") else {
        return;
    };
    let name = name_after_a_panic(|tell| async move {
        let store = crate::sketch_store::TestStore::new(crate::sketch_store::Kind::Postgres)
            .await
            .unwrap();
        let _ = tell.send(store.postgres_name().unwrap().to_owned());
        panic!("a failing case outside the suite's own catch_unwind");
    })
    .await;
    assert!(!exists(&admin_url, &name).await, "{name} is left over");
}
