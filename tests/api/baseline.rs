//! A milestone an admin asked for is announced (issue 14, point 1): the baseline is
//! a metric's first reading, zero included; adding or removing a rule never
//! swallows another rule's milestone; `baseline` imports history quietly; a
//! milestone announced by hand is never announced again, nor a lower one after it.

use crate::helpers::{
    DEADLINE, FakeCounter, TestApp, TestDatabase, channels_with_the_bot, eventually,
    fast_broadcast, t,
};
use chrono::{Duration, Utc};
use milestone_bot::config::{MilestonesConfig, SketchConfig, parse_rules};
use milestone_bot::milestones::detector::DetectorConfig;
use milestone_bot::milestones::watcher::{Applied, SketchCounter, WatchedMetric, Watcher};
use milestone_bot::sketch::SketchStoreKind;
use milestone_bot::storage::{Backend, Db};
use milestone_bot::vocab::MetricName;
use sqlx::Row;
use std::collections::HashMap;
use std::process::Stdio;
use telegram_sim::{ChatId, SentMessage, UserId};
use tokio::io::AsyncWriteExt;

crate::on_every_backend!(
    a_milestone_added_while_the_count_is_zero_is_announced_when_recorded_ids_pass_it,
    a_rule_added_or_removed_never_swallows_a_milestone_about_to_fire,
    a_milestone_waiting_out_the_hold_still_fires_after_a_rule_is_added,
    the_baseline_command_records_what_the_lower_bound_passed_and_later_crossings_are_announced,
    baseline_from_telegram_records_only_after_send,
    a_milestone_announced_by_hand_is_never_announced_by_the_watcher_nor_a_lower_one_after_it,
);

const M: u64 = 1_000_000;

/// Runs the real binary against `database_url`, feeding `stdin` if given; (success,
/// stdout and stderr).
async fn cli(database_url: &str, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .current_dir(dir.path())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let out = child.wait_with_output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `n` made-up ids, one a line, from `from`.
fn ids(from: u64, to: u64) -> String {
    (from..to).map(|i| format!("user-{i}\n")).collect()
}

fn mau() -> Vec<WatchedMetric> {
    vec![WatchedMetric {
        name: MetricName::parse("mau").unwrap(),
        label: "monthly active users".into(),
    }]
}

fn config(rules: &str, hold_minutes: i64) -> MilestonesConfig {
    MilestonesConfig {
        default_rules: parse_rules(rules).unwrap(),
        detector: DetectorConfig::new(2.0, Duration::minutes(hold_minutes)).unwrap(),
        ..MilestonesConfig::default()
    }
}

async fn database(backend: Backend) -> Option<(TestDatabase, Db)> {
    milestone_bot::telemetry::init_with_default("warn");
    let database = TestDatabase::new(backend).await?;
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    Some((database, db))
}

/// (milestone, reason) of every recorded milestone of `mau`, lowest first.
async fn reached(db: &Db) -> Vec<(u64, String)> {
    sqlx::query(
        "SELECT milestone, reason FROM milestones_reached WHERE metric = 'mau' ORDER BY milestone",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get::<i64, _>(0).unwrap() as u64,
            r.try_get(1).unwrap(),
        )
    })
    .collect()
}

async fn announcements(db: &Db) -> i64 {
    sqlx::query("SELECT COUNT(*) FROM announcements")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

fn announced(applied: Option<&Applied>) -> u64 {
    match applied {
        Some(Applied::Announced { milestone, .. }) => *milestone,
        other => panic!("expected an announcement, got {other:?}"),
    }
}

/// Waits until the watcher of the running bot has read `metric` once.
async fn first_reading(db: &Db, metric: &'static str) {
    eventually("the watcher's first reading", || async move {
        sqlx::query("SELECT 1 FROM milestone_readings WHERE metric = $1")
            .bind(metric)
            .fetch_optional(db.pool())
            .await
            .unwrap()
            .map(drop)
    })
    .await;
}

/// Waits until the running bot's watcher has read `metric` at `at_least` or more
/// and decided on it: a later reading exists, and ticks run one after another.
async fn decided_at(db: &Db, metric: &'static str, at_least: i64) {
    eventually("a decision on the grown count", || async move {
        let later: i64 = sqlx::query(
            "SELECT COUNT(*) FROM milestone_readings WHERE metric = $1 AND at > (
               SELECT MIN(at) FROM milestone_readings WHERE metric = $1 AND estimate >= $2)",
        )
        .bind(metric)
        .bind(at_least)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        (later > 0).then_some(())
    })
    .await;
}

async fn a_milestone_added_while_the_count_is_zero_is_announced_when_recorded_ids_pass_it(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn_with(backend, |env| {
        env.insert("WATCH_INTERVAL".into(), "100ms".into());
        fast_broadcast(env);
    })
    .await
    else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];
    first_reading(&app.db, "mau").await;
    let url = app.database_url();

    let added = cli(&url, &["milestone", "add", "mau", "1000"], None).await;
    let recorded = cli(
        &url,
        &["record", "--metric", "mau", "-"],
        Some(&ids(0, 1_500)),
    )
    .await;

    assert!(added.0, "{added:?}");
    assert!(recorded.0, "{recorded:?}");
    let posts = app
        .sim
        .wait_for(DEADLINE, |sim| {
            Some(sim.messages(channel)).filter(|m| m.len() >= 2)
        })
        .await
        .expect("the announcement and its thank-you note arrive");
    let text = posts[0].text.clone().unwrap_or_default();
    assert!(text.contains("1,000"), "{text}");
    app.stop().await;
}

async fn a_rule_added_or_removed_never_swallows_a_milestone_about_to_fire(backend: Backend) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    let url = database.url().to_owned();
    let counter = FakeCounter::default();
    counter.set("mau", 120 * M);
    let watcher = Watcher::new(
        db.clone(),
        counter.clone(),
        mau(),
        config("mau=every 100M", 0),
    );
    watcher.seed_rules().await.unwrap();
    watcher.tick(t(0)).await;
    // 200.5M: the lower bound (≈ 197.3M) has not cleared 200M yet.
    counter.set("mau", 200_500_000);
    let short = watcher.tick(t(5)).await;

    let added = cli(&url, &["milestone", "add", "mau", "150M"], None).await;
    let other = cli(&url, &["milestone", "add", "mau", "every", "1B"], None).await;
    let other_id = other
        .1
        .split("(id ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no id in {other:?}"))
        .to_owned();
    let removed = cli(&url, &["milestone", "remove", &other_id], None).await;
    let after_edits = watcher.tick(t(10)).await;
    counter.set("mau", 205 * M);
    let fired = watcher.tick(t(15)).await;

    assert_eq!(short.applied("mau"), Some(&Applied::Nothing), "{short:?}");
    assert!(
        added.0 && other.0 && removed.0,
        "{added:?} {other:?} {removed:?}"
    );
    assert_eq!(
        after_edits.applied("mau"),
        Some(&Applied::Nothing),
        "{after_edits:?}"
    );
    assert_eq!(announced(fired.applied("mau")), 200 * M);
    assert!(
        added
            .1
            .contains("recorded as baseline (not announced): 150M"),
        "{added:?}"
    );
    let rows = reached(&db).await;
    assert!(rows.contains(&(150 * M, "baseline".into())), "{rows:?}");
    assert!(rows.contains(&(200 * M, "announced".into())), "{rows:?}");
    db.close().await;
    database.drop_now().await;
}

async fn a_milestone_waiting_out_the_hold_still_fires_after_a_rule_is_added(backend: Backend) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    let counter = FakeCounter::default();
    counter.set("mau", 120 * M);
    let watcher = Watcher::new(
        db.clone(),
        counter.clone(),
        mau(),
        config("mau=every 100M", 30),
    );
    watcher.seed_rules().await.unwrap();
    watcher.tick(t(0)).await;
    counter.set("mau", 205 * M);
    let cleared = watcher.tick(t(5)).await;

    let added = cli(database.url(), &["milestone", "add", "mau", "300M"], None).await;
    let holding = watcher.tick(t(20)).await;
    let held = watcher.tick(t(40)).await;

    assert!(added.0, "{added:?}");
    assert!(
        matches!(
            cleared.applied("mau"),
            Some(Applied::Pending { milestone, .. }) if *milestone == 200 * M
        ),
        "{cleared:?}"
    );
    assert!(
        matches!(holding.applied("mau"), Some(Applied::Pending { .. })),
        "{holding:?}"
    );
    assert_eq!(announced(held.applied("mau")), 200 * M);
    db.close().await;
    database.drop_now().await;
}

async fn the_baseline_command_records_what_the_lower_bound_passed_and_later_crossings_are_announced(
    backend: Backend,
) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    let url = database.url().to_owned();
    let env: HashMap<String, String> = [("DATABASE_URL".to_owned(), url.clone())].into();
    let sketch = SketchConfig::from_env(&env).unwrap();
    let store = SketchStoreKind::open(&sketch.backend, Some(&db))
        .await
        .unwrap();
    let counter = SketchCounter {
        store,
        metrics: sketch.metrics.clone(),
    };
    let watcher = Watcher::new(db.clone(), counter, mau(), config("mau=round", 0));
    watcher.seed_rules().await.unwrap();
    let first = watcher.tick(Utc::now()).await;

    let imported = cli(
        &url,
        &["record", "--metric", "mau", "-"],
        Some(&ids(0, 6_000)),
    )
    .await;
    let baseline = cli(&url, &["baseline", "mau"], None).await;
    let after_import = watcher.tick(Utc::now()).await;
    let grown = cli(
        &url,
        &["record", "--metric", "mau", "-"],
        Some(&ids(6_000, 10_600)),
    )
    .await;
    let after_growth = watcher.tick(Utc::now()).await;
    let status = cli(&url, &["status"], None).await;

    assert_eq!(
        first.applied("mau"),
        Some(&Applied::Baseline { milestones: vec![] }),
        "the first reading, zero, is the baseline"
    );
    assert!(imported.0 && grown.0, "{imported:?} {grown:?}");
    assert!(
        baseline.0
            && baseline
                .1
                .contains("recorded as baseline (never announced): 1K, 2K, 5K"),
        "{baseline:?}"
    );
    assert_eq!(after_import.applied("mau"), Some(&Applied::Nothing));
    assert_eq!(announced(after_growth.applied("mau")), 10_000);
    assert_eq!(
        reached(&db).await,
        [
            (1_000, "baseline".into()),
            (2_000, "baseline".into()),
            (5_000, "baseline".into()),
            (10_000, "announced".into())
        ]
    );
    assert!(status.1.contains("10K on"), "{status:?}");
    db.close().await;
    database.drop_now().await;
}

/// Sends `text` as the admin and waits for the bot's reply in their chat (broadcast
/// progress messages arrive there on their own schedule and are skipped).
pub async fn ask(app: &TestApp, text: &str) -> SentMessage {
    let chat = ChatId(app.admin.0);
    let before = app.sim.messages(chat).len();
    app.send_text(chat, app.admin, text).await;
    app.sim
        .wait_for(DEADLINE, |sim| {
            sim.messages(chat)
                .into_iter()
                .skip(before)
                .find(|m| !is_progress(m))
        })
        .await
        .unwrap_or_else(|| panic!("no reply to {text:?}"))
}

fn is_progress(msg: &SentMessage) -> bool {
    let text = msg.text.clone().unwrap_or_default();
    ["✅", "⛔", "⏸", "📣"]
        .iter()
        .any(|mark| text.starts_with(&format!("{mark} <b>Broadcast #")))
}

pub fn button(msg: &SentMessage, label: &str) -> String {
    let markup = msg.reply_markup.as_ref().expect("buttons");
    markup["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .find(|b| b["text"] == label)
        .and_then(|b| b["callback_data"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {label} button in {markup}"))
}

/// Presses `label` under `msg` as `by` and returns the bot's answer to the press.
pub async fn press(app: &TestApp, msg: &SentMessage, label: &str, by: UserId) -> String {
    let id = app.sim.press_button(
        &app.token,
        ChatId(app.admin.0),
        msg.message_id,
        by,
        &button(msg, label),
    );
    app.sim
        .wait_for(DEADLINE, move |sim| {
            sim.callback_answers()
                .into_iter()
                .find(|a| a.callback_query_id == id)
                .map(|a| a.text.unwrap_or_default())
        })
        .await
        .expect("the press is answered")
}

async fn baseline_from_telegram_records_only_after_send(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    first_reading(&app.db, "mau").await;
    let url = app.database_url();
    let imported = cli(
        &url,
        &["record", "--metric", "mau", "-"],
        Some(&ids(0, 6_000)),
    )
    .await;
    assert!(imported.0, "{imported:?}");

    let first = ask(&app, "/milestone baseline mau").await;
    let cancelled = press(&app, &first, "Cancel", app.admin).await;
    let after_cancel = reached(&app.db).await;
    let second = ask(&app, "/milestone baseline mau").await;
    let sent = press(&app, &second, "Send", app.admin).await;

    let preview = first.text.clone().unwrap_or_default();
    assert!(
        preview.contains("Recorded as passed, never announced: 1K, 2K, 5K"),
        "{preview}"
    );
    assert_eq!(cancelled, "Cancelled.");
    assert!(after_cancel.is_empty(), "{after_cancel:?}");
    assert!(sent.contains("recorded 1K, 2K, 5K"), "{sent}");
    assert_eq!(
        reached(&app.db).await,
        [
            (1_000, "baseline".into()),
            (2_000, "baseline".into()),
            (5_000, "baseline".into())
        ]
    );
    app.stop().await;
}

async fn a_milestone_announced_by_hand_is_never_announced_by_the_watcher_nor_a_lower_one_after_it(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn_with(backend, |env| {
        env.insert("WATCH_INTERVAL".into(), "100ms".into());
        env.insert("MILESTONE_RULES".into(), "mau=1K;mau=2K".into());
        fast_broadcast(env);
    })
    .await
    else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];
    first_reading(&app.db, "mau").await;
    let url = app.database_url();

    let first = ask(&app, "/milestone announce mau 2K").await;
    press(&app, &first, "Send", app.admin).await;
    app.sim
        .wait_for(DEADLINE, |sim| {
            Some(sim.messages(channel)).filter(|m| m.len() >= 2)
        })
        .await
        .expect("the manual announcement arrives");
    cli(
        &url,
        &["record", "--metric", "mau", "-"],
        Some(&ids(0, 1_500)),
    )
    .await;
    decided_at(&app.db, "mau", 1_400).await;
    cli(
        &url,
        &["record", "--metric", "mau", "-"],
        Some(&ids(1_500, 2_600)),
    )
    .await;
    decided_at(&app.db, "mau", 2_500).await;
    let by_watcher = announcements(&app.db).await;
    let again = ask(&app, "/milestone announce mau 2K").await;
    press(&app, &again, "Send", app.admin).await;

    assert_eq!(
        by_watcher, 1,
        "the watcher announced nothing after the manual 2K"
    );
    let rows = reached(&app.db).await;
    assert_eq!(rows, [(2_000, "manual".into())], "{rows:?}");
    let warning = again.text.clone().unwrap_or_default();
    assert!(
        warning.contains("2K mau was already announced") && warning.contains("(broadcast #1)"),
        "{warning}"
    );
    app.sim
        .wait_for(DEADLINE, |sim| {
            (sim.messages(channel).len() >= 4).then_some(())
        })
        .await
        .expect("the repeat, sent on purpose, goes out");
    assert_eq!(announcements(&app.db).await, 2);
    app.stop().await;
}
