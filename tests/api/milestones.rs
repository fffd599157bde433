//! Milestones against a real database: rules, baseline, firing exactly once (also
//! with two watchers at once), release modes, templates; and end to end, ids sent
//! to the running bot's ingest become one announcement with its deliveries.

use crate::helpers::{FakeCounter, TestApp, TestDatabase, eventually, t};
use milestone_bot::config::{MilestonesConfig, parse_rules};
use milestone_bot::milestones::detector::DetectorConfig;
use milestone_bot::milestones::release;
use milestone_bot::milestones::rules_store::{self, RuleStoreError};
use milestone_bot::milestones::settings::{self, ReleaseMode};
use milestone_bot::milestones::template::TemplateContext;
use milestone_bot::milestones::texts::{self, Slot, TextsError};
use milestone_bot::milestones::watcher::{Applied, WatchedMetric, Watcher};
use milestone_bot::storage::announcements::AnnouncementState;
use milestone_bot::storage::chats::{self, ChatKind, NewChat};
use milestone_bot::storage::{Backend, Db};
use milestone_bot::vocab::{AnnouncementId, MetricName, UserId};
use sqlx::Row;

crate::on_every_backend!(
    rules_are_added_listed_and_removed_and_bad_ones_are_refused_with_the_reason,
    the_first_reading_records_passed_milestones_as_baseline_and_announces_nothing,
    growth_past_a_milestone_writes_one_announcement_with_one_pending_delivery_per_subscribed_chat,
    a_jump_over_several_milestones_announces_the_highest_and_records_the_others_as_skipped,
    a_restarted_watcher_does_not_announce_a_milestone_again,
    a_rule_added_below_the_count_is_recorded_as_baseline_not_announced,
    in_approve_mode_the_announcement_waits_as_a_draft_until_approved_or_timed_out,
    a_milestone_inside_the_minimum_gap_is_held_as_a_draft_until_the_gap_has_passed,
    two_watchers_at_once_on_one_database_announce_a_milestone_once,
    templates_are_checked_when_saved_and_rendered_into_the_announcement,
    ids_ingested_past_a_milestone_become_one_announcement_delivered_once_to_every_chat,
    in_approve_mode_admins_are_told_and_their_approval_sends_the_announcement,
);

const M: u64 = 1_000_000;

fn name(raw: &str) -> MetricName {
    MetricName::parse(raw).unwrap()
}

fn mau() -> Vec<WatchedMetric> {
    vec![WatchedMetric {
        name: MetricName::parse("mau").unwrap(),
        label: "monthly active users".into(),
    }]
}

fn config(rules: &str) -> MilestonesConfig {
    MilestonesConfig {
        default_rules: parse_rules(rules).unwrap(),
        ..MilestonesConfig::default()
    }
}

async fn database(backend: Backend) -> Option<(TestDatabase, Db)> {
    milestone_bot::telemetry::init_with_default("warn");
    let database = TestDatabase::new(backend).await?;
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    Some((database, db))
}

async fn watcher(db: &Db, counter: &FakeCounter, config: MilestonesConfig) -> Watcher<FakeCounter> {
    let watcher = Watcher::new(db.clone(), counter.clone(), mau(), config);
    watcher.seed_rules().await.unwrap();
    watcher
}

async fn subscribe_chats(db: &Db, n: i64) {
    for i in 0..n {
        let chat = NewChat {
            id: (-100_000 - i).into(),
            kind: ChatKind::Channel,
            title: Some(format!("Channel {i}")),
            username: None,
        };
        chats::subscribe(db, &chat, t(-60)).await.unwrap();
    }
}

async fn scalar(db: &Db, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(db.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn announcements(db: &Db) -> i64 {
    scalar(db, "SELECT COUNT(*) FROM announcements").await
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

fn announced(applied: Option<&Applied>) -> (u64, AnnouncementId, AnnouncementState) {
    match applied {
        Some(Applied::Announced {
            milestone,
            announcement_id: Some(id),
            state,
            ..
        }) => (*milestone, *id, *state),
        other => panic!("expected an announcement, got {other:?}"),
    }
}

async fn rules_are_added_listed_and_removed_and_bad_ones_are_refused_with_the_reason(
    backend: Backend,
) {
    let Some((database, db)) = database(backend).await else {
        return;
    };

    let add = |metric: &'static str, rule: &'static str, by: Option<i64>| {
        let db = db.clone();
        async move {
            rules_store::add_rule(
                &db,
                &rules_store::check_metric(metric)?,
                rule,
                by.map(UserId),
                &DetectorConfig::default(),
            )
            .await
        }
    };
    let first = add("mau", "200,000,000", None).await.unwrap().rule;
    let series = add("mau", "every 10M", Some(1001)).await.unwrap().rule;
    add("dau", "round", None).await.unwrap();
    let duplicate = add("mau", "200M", None).await.unwrap_err();
    let zero = add("mau", "every 0", None).await.unwrap_err();
    let nonsense = add("mau", "weekly", None).await.unwrap_err();
    let too_large = add("mau", "18,446,744,073,709,551,615", None)
        .await
        .unwrap_err();
    let bad_metric = add("MAU", "200M", None).await.unwrap_err();
    let removed = rules_store::remove_rule(&db, first.id).await.unwrap();
    let missing = rules_store::remove_rule(&db, first.id).await.unwrap_err();

    assert_eq!(first.rule, "200M");
    assert!(
        matches!(duplicate, RuleStoreError::Duplicate { id, .. } if id == first.id),
        "{duplicate}"
    );
    assert!(
        duplicate
            .to_string()
            .contains("already has the rule \"200M\""),
        "{duplicate}"
    );
    assert!(zero.to_string().contains("zero"), "{zero}");
    assert!(
        nonsense
            .to_string()
            .contains("\"weekly\" is not a milestone rule"),
        "{nonsense}"
    );
    assert!(
        matches!(too_large, RuleStoreError::TooLarge { .. }),
        "{too_large}"
    );
    assert!(
        matches!(bad_metric, RuleStoreError::BadMetric(_)),
        "{bad_metric}"
    );
    assert_eq!(removed.rule, "200M");
    assert!(
        matches!(missing, RuleStoreError::NotFound(id) if id == first.id),
        "{missing}"
    );
    let mau: Vec<String> = rules_store::list_rules(&db, Some(&name("mau")))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.rule)
        .collect();
    assert_eq!(mau, ["every 10M"]);
    assert_eq!(rules_store::list_rules(&db, None).await.unwrap().len(), 2);
    assert_eq!(series.created_by, Some(UserId(1001)));
    db.close().await;
    database.drop_now().await;
}

async fn the_first_reading_records_passed_milestones_as_baseline_and_announces_nothing(
    backend: Backend,
) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    subscribe_chats(&db, 2).await;
    let counter = FakeCounter::default();
    counter.set("mau", 150 * M);
    let watcher = watcher(&db, &counter, config("mau=round")).await;

    let outcome = watcher.tick(t(0)).await;

    let Some(Applied::Baseline { milestones }) = outcome.applied("mau") else {
        panic!("{outcome:?}")
    };
    assert_eq!(milestones.len(), 16, "1K, 2K, 5K … 100M");
    assert_eq!(milestones.last(), Some(&(100 * M)));
    let rows = reached(&db).await;
    assert_eq!(rows.len(), 16);
    assert!(rows.iter().all(|(_, reason)| reason == "baseline"));
    assert_eq!(announcements(&db).await, 0);
    db.close().await;
    database.drop_now().await;
}

async fn growth_past_a_milestone_writes_one_announcement_with_one_pending_delivery_per_subscribed_chat(
    backend: Backend,
) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    subscribe_chats(&db, 3).await;
    chats::mark_gone(&db, (-100_002).into(), "kicked", t(-30))
        .await
        .unwrap();
    let counter = FakeCounter::default();
    counter.set("mau", 150 * M);
    let watcher = watcher(&db, &counter, config("mau=round")).await;
    watcher.tick(t(0)).await;
    counter.set("mau", 199 * M);
    let below = watcher.tick(t(5)).await;

    counter.set("mau", 210 * M);
    let fired = watcher.tick(t(10)).await;
    let again = watcher.tick(t(15)).await;

    assert_eq!(below.applied("mau"), Some(&Applied::Nothing));
    let (milestone, id, state) = announced(fired.applied("mau"));
    assert_eq!((milestone, state), (200 * M, AnnouncementState::Queued));
    assert_eq!(again.applied("mau"), Some(&Applied::Nothing));
    assert_eq!(announcements(&db).await, 1);
    let mut conn = db.pool().acquire().await.unwrap();
    let deliveries = milestone_bot::storage::announcements::delivery_counts(&mut conn, id)
        .await
        .unwrap();
    drop(conn);
    assert_eq!(deliveries, [("pending".to_string(), 2)]);
    let row = sqlx::query(
        "SELECT dedupe_key, announce_text, thanks_text FROM announcements WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(
        row.try_get::<String, _>(0).unwrap(),
        "milestone:mau:200000000"
    );
    let text: String = row.try_get(1).unwrap();
    assert!(
        text.contains("200,000,000") && text.contains("monthly active users"),
        "{text}"
    );
    assert!(row.try_get::<String, _>(2).unwrap().contains("200 million"));
    assert_eq!(
        reached(&db).await.last(),
        Some(&(200 * M, "announced".to_string()))
    );
    db.close().await;
    database.drop_now().await;
}

async fn a_jump_over_several_milestones_announces_the_highest_and_records_the_others_as_skipped(
    backend: Backend,
) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    let counter = FakeCounter::default();
    counter.set("mau", 1_500_000);
    let watcher = watcher(&db, &counter, config("mau=round")).await;
    watcher.tick(t(0)).await;

    counter.set("mau", 60 * M);
    let outcome = watcher.tick(t(5)).await;

    let Some(Applied::Announced {
        milestone, skipped, ..
    }) = outcome.applied("mau")
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(*milestone, 50 * M);
    assert_eq!(skipped, &[2 * M, 5 * M, 10 * M, 20 * M]);
    let rows = reached(&db).await;
    let after_baseline: Vec<_> = rows
        .iter()
        .filter(|(m, _)| *m > M)
        .map(|(m, r)| (*m / M, r.as_str()))
        .collect();
    assert_eq!(
        after_baseline,
        [
            (2, "skipped"),
            (5, "skipped"),
            (10, "skipped"),
            (20, "skipped"),
            (50, "announced")
        ]
    );
    assert_eq!(announcements(&db).await, 1);
    db.close().await;
    database.drop_now().await;
}

async fn a_restarted_watcher_does_not_announce_a_milestone_again(backend: Backend) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    let counter = FakeCounter::default();
    counter.set("mau", 150 * M);
    let first = watcher(&db, &counter, config("mau=round")).await;
    first.tick(t(0)).await;
    counter.set("mau", 210 * M);
    first.tick(t(5)).await;
    drop(first);

    let second = watcher(&db, &counter, config("mau=round")).await;
    let outcome = second.tick(t(10)).await;

    assert_eq!(outcome.applied("mau"), Some(&Applied::Nothing));
    assert_eq!(announcements(&db).await, 1);
    db.close().await;
    database.drop_now().await;
}

async fn a_rule_added_below_the_count_is_recorded_as_baseline_not_announced(backend: Backend) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    let counter = FakeCounter::default();
    counter.set("mau", 150 * M);
    let watcher = watcher(&db, &counter, config("mau=every 100M")).await;
    watcher.tick(t(0)).await;

    let added = rules_store::add_rule(&db, &name("mau"), "120M", None, &DetectorConfig::default())
        .await
        .unwrap();
    let outcome = watcher.tick(t(5)).await;

    assert_eq!(added.baseline, [120 * M]);
    assert_eq!(outcome.applied("mau"), Some(&Applied::Nothing));
    assert!(reached(&db).await.contains(&(120 * M, "baseline".into())));
    assert_eq!(announcements(&db).await, 0);
    counter.set("mau", 210 * M);
    announced(watcher.tick(t(10)).await.applied("mau"));
    db.close().await;
    database.drop_now().await;
}

async fn in_approve_mode_the_announcement_waits_as_a_draft_until_approved_or_timed_out(
    backend: Backend,
) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    subscribe_chats(&db, 1).await;
    let counter = FakeCounter::default();
    counter.set("mau", 150 * M);
    let watcher = watcher(&db, &counter, config("mau=every 100M")).await;
    watcher.tick(t(0)).await;
    settings::set_release_mode(&db, &name("mau"), Some(ReleaseMode::Approve))
        .await
        .unwrap();
    settings::set_approve_timeout(
        &db,
        &name("mau"),
        Some(std::time::Duration::from_secs(3600)),
    )
    .await
    .unwrap();
    let mut events = watcher.subscribe();

    counter.set("mau", 210 * M);
    let (_, first, state) = announced(watcher.tick(t(5)).await.applied("mau"));
    let drafts = release::drafts(&db).await.unwrap();
    let approved = release::approve(&db, first).await.unwrap();
    let approved_twice = release::approve(&db, first).await.unwrap();
    counter.set("mau", 310 * M);
    let (_, second, _) = announced(watcher.tick(t(10)).await.applied("mau"));
    let before_timeout = watcher.tick(t(69)).await;
    let after_timeout = watcher.tick(t(71)).await;

    assert_eq!(state, AnnouncementState::Draft);
    assert_eq!(drafts.len(), 1);
    assert_eq!(
        (drafts[0].announcement_id, drafts[0].milestone),
        (first, 200 * M)
    );
    assert_eq!(drafts[0].release_at, Some(t(65)));
    assert!(approved && !approved_twice);
    assert!(before_timeout.released.is_empty());
    assert_eq!(after_timeout.released, [second]);
    assert!(release::drafts(&db).await.unwrap().is_empty());
    let event = events.try_recv().unwrap();
    assert!(
        matches!(event, milestone_bot::milestones::watcher::MilestoneEvent::Drafted { announcement_id, .. } if announcement_id == first),
        "{event:?}"
    );
    db.close().await;
    database.drop_now().await;
}

async fn a_milestone_inside_the_minimum_gap_is_held_as_a_draft_until_the_gap_has_passed(
    backend: Backend,
) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    let counter = FakeCounter::default();
    counter.set("mau", 150 * M);
    let mut config = config("mau=every 100M");
    config.release.min_gap = Some(std::time::Duration::from_secs(24 * 3600));
    let watcher = watcher(&db, &counter, config).await;
    watcher.tick(t(0)).await;

    counter.set("mau", 210 * M);
    let (_, _, first_state) = announced(watcher.tick(t(5)).await.applied("mau"));
    counter.set("mau", 310 * M);
    let (_, second, second_state) = announced(watcher.tick(t(65)).await.applied("mau"));
    let released = watcher.tick(t(5 + 24 * 60)).await.released;

    assert_eq!(first_state, AnnouncementState::Queued);
    assert_eq!(second_state, AnnouncementState::Draft);
    assert_eq!(released, [second]);
    db.close().await;
    database.drop_now().await;
}

async fn two_watchers_at_once_on_one_database_announce_a_milestone_once(backend: Backend) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    subscribe_chats(&db, 5).await;
    let other_db = Db::connect(database.url()).await.unwrap();
    let counter = FakeCounter::default();
    counter.set("mau", 150 * M);
    let a = watcher(&db, &counter, config("mau=round")).await;
    let b = watcher(&other_db, &counter, config("mau=round")).await;
    tokio::join!(a.tick(t(0)), b.tick(t(0)));

    counter.set("mau", 210 * M);
    let mut outcomes = Vec::new();
    for minute in 1..=5 {
        let (x, y) = tokio::join!(a.tick(t(minute)), b.tick(t(minute)));
        outcomes.extend([x, y]);
    }

    let fired: usize = outcomes.iter().map(|o| o.announcements().len()).sum();
    assert_eq!(fired, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| o.metrics.iter().all(|m| m.result.is_ok())),
        "{outcomes:?}"
    );
    assert_eq!(announcements(&db).await, 1);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM deliveries").await, 5);
    assert_eq!(
        scalar(&db, "SELECT COUNT(DISTINCT chat_id) FROM deliveries").await,
        5
    );
    other_db.close().await;
    db.close().await;
    database.drop_now().await;
}

async fn templates_are_checked_when_saved_and_rendered_into_the_announcement(backend: Backend) {
    let Some((database, db)) = database(backend).await else {
        return;
    };
    let counter = FakeCounter::default();
    counter.set("mau", 150 * M);
    let watcher = watcher(&db, &counter, config("mau=every 100M")).await;
    watcher.tick(t(0)).await;

    let typo = texts::set_template(
        &db,
        &name("mau"),
        None,
        Slot::Announce,
        Some("We hit {milestone_wrods}!"),
    )
    .await
    .unwrap_err();
    texts::set_template(
        &db,
        &name("mau"),
        None,
        Slot::Announce,
        Some("<b>{milestone_short}</b> {metric_label}"),
    )
    .await
    .unwrap();
    texts::set_template(
        &db,
        &name("mau"),
        Some(200 * M),
        Slot::Thanks,
        Some("Thanks for {milestone_words} &amp; more"),
    )
    .await
    .unwrap();
    let ctx = TemplateContext {
        milestone: 300 * M,
        metric: name("mau"),
        metric_label: "monthly active users".into(),
        count: 301 * M,
        date: t(0).date_naive(),
        days_since_previous: None,
    };
    let preview = texts::preview(&db, &ctx).await.unwrap();
    counter.set("mau", 210 * M);
    let (_, id, _) = announced(watcher.tick(t(5)).await.applied("mau"));

    assert!(matches!(&typo, TextsError::Template { .. }), "{typo}");
    assert!(typo.to_string().contains("{milestone_wrods}"), "{typo}");
    assert_eq!(preview.announce, "<b>300M</b> monthly active users");
    assert_eq!(announcements(&db).await, 1, "a preview sends nothing");
    let row = sqlx::query("SELECT announce_text, thanks_text FROM announcements WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(
        row.try_get::<String, _>(0).unwrap(),
        "<b>200M</b> monthly active users"
    );
    assert_eq!(
        row.try_get::<String, _>(1).unwrap(),
        "Thanks for 200 million &amp; more"
    );
    db.close().await;
    database.drop_now().await;
}

const INGEST_TOKEN: &str = "milestone-e2e-token-0123456789abcdef";

/// The real app watching `dau` every 100 ms with ingest on, plus `extra` settings.
async fn spawn_watching_dau(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    TestApp::spawn_with(backend, |env| {
        let base = [
            ("METRICS", "dau"),
            ("WATCH_INTERVAL", "100ms"),
            ("INGEST_TOKEN", INGEST_TOKEN),
        ];
        for (k, v) in base.iter().chain(extra) {
            env.insert((*k).into(), (*v).into());
        }
    })
    .await
}

/// Waits until the watcher recorded `dau`'s first reading as a baseline, so what is
/// ingested next is growth.
async fn wait_for_baseline(app: &TestApp) {
    eventually("the first reading is a baseline", || async {
        let row = sqlx::query("SELECT baseline_bound FROM milestone_metrics WHERE metric = 'dau'")
            .fetch_optional(app.db.pool())
            .await
            .unwrap()?;
        row.try_get::<Option<i64>, _>(0).unwrap().map(drop)
    })
    .await;
}

async fn ingest(app: &TestApp, from: u64, to: u64) {
    let ids: Vec<String> = (from..to).map(|i| format!("user-{i}")).collect();
    let response = reqwest::Client::new()
        .post(format!("http://{}/v1/events", app.http_addr))
        .bearer_auth(INGEST_TOKEN)
        .json(&serde_json::json!({ "metric": "dau", "ids": ids }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
}

async fn ids_ingested_past_a_milestone_become_one_announcement_delivered_once_to_every_chat(
    backend: Backend,
) {
    let Some(app) = spawn_watching_dau(backend, &[("MILESTONE_RULES", "dau=1K;dau=10K")]).await
    else {
        return;
    };
    let channels = crate::helpers::channels_with_the_bot(&app, 3).await;
    ingest(&app, 0, 500).await;
    wait_for_baseline(&app).await;

    ingest(&app, 500, 2_000).await;

    let id: i64 = eventually("the milestone is announced", || async {
        let row =
            sqlx::query("SELECT id FROM announcements WHERE dedupe_key = 'milestone:dau:1000'")
                .fetch_optional(app.db.pool())
                .await
                .unwrap()?;
        Some(row.try_get(0).unwrap())
    })
    .await;
    // The watcher looks again (two more readings: the first one's decision is
    // committed before the next reading is taken) and announces nothing more.
    eventually(
        "the watcher read dau twice more after announcing",
        || async {
            let later: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM milestone_readings WHERE metric = 'dau' \
             AND at > (SELECT created_at FROM announcements WHERE id = $1)",
            )
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
            (later >= 2).then_some(())
        },
    )
    .await;
    assert_eq!(announcements(&app.db).await, 1);
    let chat_ids: Vec<i64> =
        sqlx::query("SELECT chat_id FROM deliveries WHERE announcement_id = $1 ORDER BY chat_id")
            .bind(id)
            .fetch_all(app.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
    let mut expected: Vec<i64> = channels.iter().map(|c| c.0).collect();
    expected.sort();
    assert_eq!(chat_ids, expected, "one delivery per subscribed chat");
    // The broadcast worker then takes each delivery to its channel: the announcement
    // and the thank-you note, once each, in that order.
    for &channel in &channels {
        let posts = app
            .sim
            .wait_for(crate::helpers::DEADLINE, |sim| {
                Some(sim.messages(channel)).filter(|m| m.len() >= 2)
            })
            .await
            .expect("both posts arrive");
        assert_eq!(posts.len(), 2, "{posts:?}");
        assert!(
            posts[0]
                .text
                .as_deref()
                .unwrap_or_default()
                .contains("1,000"),
            "{posts:?}"
        );
    }
    app.stop().await;
}

fn cli(database_url: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_milestone_commands_edit_the_rules_and_status_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bot.db").display());

    let added = cli(&url, &["milestone", "add", "mau", "every", "10M"]);
    let duplicate = cli(&url, &["milestone", "add", "mau", "every 10,000,000"]);
    let invalid = cli(&url, &["milestone", "add", "mau", "10 apples"]);
    let threshold = cli(&url, &["milestone", "add", "mau", "250M"]);
    let listed = cli(&url, &["milestone", "list", "mau"]);
    let removed = cli(&url, &["milestone", "remove", "2"]);
    let missing = cli(&url, &["milestone", "remove", "2"]);
    let status = cli(&url, &["status"]);

    assert!(
        added.0 && added.1.contains("added every 10M to mau (id 1)"),
        "{added:?}"
    );
    assert!(
        !duplicate.0
            && duplicate
                .1
                .contains("already has the rule \"every 10M\" (id 1)"),
        "{duplicate:?}"
    );
    assert!(
        !invalid.0 && invalid.1.contains("unknown unit \"apples\""),
        "{invalid:?}"
    );
    assert!(threshold.0, "{threshold:?}");
    assert!(
        listed.1.contains("every 10M")
            && listed.1.contains("250M")
            && listed.1.contains("2 rule(s)"),
        "{listed:?}"
    );
    assert!(
        removed.0 && removed.1.contains("removed 250M from mau"),
        "{removed:?}"
    );
    assert!(
        !missing.0 && missing.1.contains("no milestone rule with id 2"),
        "{missing:?}"
    );
    assert!(
        status.0
            && status.1.contains("mau (monthly active users)")
            && status.1.contains("rules: every 10M\n"),
        "{status:?}"
    );
}

async fn in_approve_mode_admins_are_told_and_their_approval_sends_the_announcement(
    backend: Backend,
) {
    let Some(app) = spawn_watching_dau(
        backend,
        &[("MILESTONE_RULES", "dau=1K"), ("RELEASE_MODE", "approve")],
    )
    .await
    else {
        return;
    };
    let channel = crate::helpers::channels_with_the_bot(&app, 1).await[0];
    let admin_chat = telegram_sim::ChatId(app.admin.0);
    ingest(&app, 0, 10).await;
    wait_for_baseline(&app).await;

    ingest(&app, 10, 1_500).await;

    let notice = app
        .sim
        .wait_for(crate::helpers::DEADLINE, |sim| {
            sim.messages(admin_chat).into_iter().find(|m| {
                m.text
                    .as_deref()
                    .unwrap_or_default()
                    .contains("waits for your approval")
            })
        })
        .await
        .expect("the admin is told a draft waits");
    let text = notice.text.unwrap_or_default();
    let id: i64 = text
        .split("/milestone approve ")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no approve command in {text}"));
    assert!(
        app.sim.messages(channel).is_empty(),
        "nothing is sent before approval"
    );

    app.sim.send_text(
        &app.token,
        admin_chat,
        app.admin,
        &format!("/milestone approve {id}"),
    );

    let posts = app
        .sim
        .wait_for(crate::helpers::DEADLINE, |sim| {
            Some(sim.messages(channel)).filter(|m| m.len() >= 2)
        })
        .await
        .expect("announcement and thank-you note after approval");
    assert_eq!(posts.len(), 2);
    app.stop().await;
}
