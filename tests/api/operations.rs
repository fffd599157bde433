//! What operators watch: `/healthz`, `/readyz` (and `/health`), Prometheus
//! `/metrics`, and JSON logs from the real binary.

use crate::helpers::{DEADLINE, TestApp, TestDatabase};
use milestone_bot::storage::Backend;
use serde_json::Value;
use std::process::Stdio;
use telegram_sim::{ChatKind, SimConfig, TelegramSim, UserId};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

crate::on_every_backend!(
    healthz_says_alive_and_readyz_says_ready_when_every_part_answers,
    readyz_answers_503_naming_the_database_once_it_stops_answering,
    metrics_are_prometheus_text_that_counts_updates_and_bot_api_calls,
);

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let resp = reqwest::get(format!("http://{}{path}", app.http_addr))
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn healthz_says_alive_and_readyz_says_ready_when_every_part_answers(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };

    let (alive, _) = get(&app, "/healthz").await;
    let (ready, body) = get(&app, "/readyz").await;
    let (health, _) = get(&app, "/health").await;

    assert_eq!((alive, ready, health), (200, 200, 200), "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["status"], "ok");
    app.stop().await;
}

async fn readyz_answers_503_naming_the_database_once_it_stops_answering(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };

    app.db.close().await;

    let (ready, body) = get(&app, "/readyz").await;
    let (alive, _) = get(&app, "/healthz").await;
    assert_eq!(ready, 503, "{body}");
    assert_eq!(alive, 200, "the process itself is alive");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["status"], "not ready");
    assert!(body["not_ready"]["database"].is_string(), "{body}");
    assert!(body["not_ready"].get("bot_api").is_none(), "{body}");
    // The bot cannot stop cleanly without its database; the test ends here.
}

/// The value of the sample `name{labels}` in a scrape.
fn sample(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(ref buckets) => {
                buckets.last().map_or(0.0, |b| b.count)
            }
            prometheus_parse::Value::Summary(_) => f64::NAN,
        })
}

async fn metrics_are_prometheus_text_that_counts_updates_and_bot_api_calls(backend: Backend) {
    const TOKEN: &str = "metrics-test-ingest-token-0123456789";
    let Some(app) = TestApp::spawn_with(backend, |env| {
        env.insert("INGEST_TOKEN".into(), TOKEN.into());
    })
    .await
    else {
        return;
    };
    let ids: Vec<String> = (0..250).map(|i| format!("user-{i}")).collect();
    let posted = reqwest::Client::new()
        .post(format!("http://{}/v1/events", app.http_addr))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({ "metric": "wau", "ids": ids }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 202);
    let ann = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Ann".into(),
            username: None,
        },
        "Ann",
    );
    app.send_text(ann, UserId(ann.0), "/start").await;
    app.sim
        .wait_for(DEADLINE, |s| s.messages(ann).pop())
        .await
        .expect("answered");
    crate::helpers::subscribed_chats(&app.sim, &app.db, ChatKind::Channel { username: None }, 2)
        .await;
    let id = crate::helpers::queue_announcement(
        &app.db,
        crate::helpers::announcement("Counted", None, None),
    )
    .await;
    crate::helpers::wait_for_state(&app.db, id, "done", DEADLINE).await;

    let resp = reqwest::get(format!("http://{}/metrics", app.http_addr))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    let text = resp.text().await.unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("Prometheus text format");

    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let updates = sample(
        &scrape,
        "milestone_bot_updates_total",
        &[("kind", "message")],
    );
    assert!(updates.is_some_and(|n| n >= 1.0), "{text}");
    let replies = sample(
        &scrape,
        "milestone_bot_telegram_requests_total",
        &[("method", "sendMessage"), ("code", "200")],
    );
    assert!(replies.is_some_and(|n| n >= 1.0), "{text}");
    assert!(
        sample(
            &scrape,
            "milestone_bot_telegram_request_seconds_count",
            &[("method", "sendMessage")]
        )
        .is_some(),
        "a histogram of call times: {text}"
    );
    let sent = sample(
        &scrape,
        "milestone_bot_deliveries_total",
        &[("outcome", "sent")],
    );
    assert!(sent.is_some_and(|n| n >= 2.0), "{text}");
    let ingested = sample(
        &scrape,
        "milestone_bot_ingest_ids_total",
        &[("metric", "wau")],
    );
    assert!(ingested.is_some_and(|n| n >= 250.0), "{text}");
    for gauge in [
        "milestone_bot_leader",
        "milestone_bot_queue_pending",
        "milestone_bot_send_rate",
    ] {
        assert!(sample(&scrape, gauge, &[]).is_some(), "{gauge}: {text}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_format_json_writes_one_object_per_line_with_the_token_redacted() {
    let database = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let sim = TelegramSim::start(SimConfig::default()).await.unwrap();
    let token = format!(
        "{}:JSONLOG{}",
        100_000 + rand::random::<u32>() % 900_000,
        rand::random::<u64>()
    );
    sim.add_bot(&token, "milestone_json_bot");
    let mut bot = Command::new(env!("CARGO_BIN_EXE_milestone-bot"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELOXIDE_TOKEN", &token)
        .env("TELEGRAM_API_URL", sim.api_url())
        .env("DATABASE_URL", database.url())
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("POLL_TIMEOUT", "1s")
        .env("LOG_FORMAT", "json")
        // Debug-level lines from teloxide and reqwest carry request URLs.
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the bot binary starts");
    let mut lines = BufReader::new(bot.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let started = tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let done = line.contains("taking updates");
            seen.push(line);
            if done {
                return;
            }
        }
    })
    .await;
    bot.start_kill().unwrap();
    let _ = bot.wait().await;
    assert!(started.is_ok(), "no start-up line: {seen:#?}");

    let secret = token.split(':').nth(1).unwrap();
    for line in &seen {
        let object: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        for key in ["timestamp", "level", "target", "message", "fields"] {
            assert!(object.get(key).is_some(), "{key} missing: {line}");
        }
        assert!(!line.contains(secret), "the token leaked: {line}");
    }
    let starting = seen
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|o| o["message"] == "starting")
        .expect("the start-up line");
    assert_eq!(starting["level"], "INFO");
    assert_eq!(starting["fields"]["bot"], "milestone_json_bot");
    database.drop_now().await;
}
