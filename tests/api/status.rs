//! Status that reads well (issue 14, point 8): `milestone-bot status` and
//! `/milestone status` list metrics in the configured order, show growth and a
//! forecast only from readings at least an hour apart, and group every number.

use crate::baseline::ask;
use crate::helpers::{TestApp, eventually};
use chrono::{Duration, Utc};
use milestone_bot::milestones::detector::Reading;
use milestone_bot::storage::Backend;
use milestone_bot::storage::milestones::readings;
use sqlx::Row;

crate::on_every_backend!(
    status_lists_metrics_in_the_configured_order_and_forecasts_only_from_an_hour_of_history,
);

async fn status_lists_metrics_in_the_configured_order_and_forecasts_only_from_an_hour_of_history(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // The watcher's first round (at start; the next is WATCH_INTERVAL = 5m away) is
    // replaced by a history: dau read twice seconds apart, mau over two hours.
    eventually("the first round read every metric", || async {
        let n: i64 = sqlx::query("SELECT COUNT(DISTINCT metric) FROM milestone_readings")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        (n == 3).then_some(())
    })
    .await;
    sqlx::query("DELETE FROM milestone_readings")
        .execute(app.db.pool())
        .await
        .unwrap();
    let now = Utc::now();
    let history = [
        ("dau", Duration::seconds(50), 100),
        ("dau", Duration::seconds(1), 1_500_000),
        ("mau", Duration::hours(2), 1_000_000),
        ("mau", Duration::seconds(1), 3_000_000),
    ];
    let mut conn = app.db.pool().acquire().await.unwrap();
    for (metric, ago, estimate) in history {
        let reading = Reading {
            at: now - ago,
            estimate,
            std_error: estimate as f64 * 0.0081,
        };
        readings::insert(&mut conn, &metric.parse().unwrap(), &reading)
            .await
            .unwrap();
    }
    drop(conn);

    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .arg("status")
        .current_dir(tempfile::tempdir().unwrap().path())
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("the CLI runs");
    let printed = String::from_utf8_lossy(&cli.stdout).into_owned();
    let telegram = ask(&app, "/milestone status")
        .await
        .text
        .unwrap_or_default();

    for (name, shown) in [("cli", &printed), ("telegram", &telegram)] {
        let at = |metric: &str| {
            shown
                .find(&format!("{metric} ("))
                .unwrap_or_else(|| panic!("{name}: no {metric} in {shown}"))
        };
        assert!(
            at("dau") < at("wau") && at("wau") < at("mau"),
            "{name}: {shown}"
        );
        let dau = &shown[at("dau")..at("wau")];
        let mau = &shown[at("mau")..];
        assert!(
            dau.contains("growth: not enough history yet"),
            "{name}: {dau}"
        );
        assert!(
            dau.contains("next milestone: 2M, not enough history yet"),
            "{name}: {dau}"
        );
        assert!(mau.contains("count: 3,000,000 ± 24,300"), "{name}: {mau}");
        assert!(mau.contains("growth: +24,0"), "{name}: {mau}");
        assert!(
            mau.contains("next milestone: 5M, expected"),
            "{name}: {mau}"
        );
    }
    app.stop().await;
}
