//! `POST /v1/events` over real HTTP: the production router with an embedded store on
//! a temporary SQLite database, bound to 127.0.0.1:0.

use crate::sketch_store::{assert_close, ids, metric};
use chrono::{Days, NaiveDate};
use milestone_bot::config::{IngestConfig, IngestToken};
use milestone_bot::http::health::Readiness;
use milestone_bot::http::ingest::Ingest;
use milestone_bot::http::{HttpState, router};
use milestone_bot::sketch::{EmbeddedStore, Metrics, SketchStore, SketchStoreKind};
use milestone_bot::storage::Db;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

const TOKEN: &str = "test-token-0123456789abcdef";

struct TestServer {
    url: String,
    store: SketchStoreKind,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn spawn(token: Option<&str>) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    let db = Db::connect_and_migrate(&url).await.unwrap();
    let store = SketchStoreKind::Embedded(EmbeddedStore::new(db.clone()));
    let ingest = token.map(|t| {
        Arc::new(Ingest {
            store: store.clone(),
            metrics: Metrics::default(),
            config: IngestConfig {
                token: Some(IngestToken::parse(t).unwrap()),
                max_body: 64 * 1024,
                max_ids: 1_000,
            },
        })
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(HttpState {
        ready: Arc::new(Readiness::new(db, store.clone(), None, None)),
        ingest,
        webhook: None,
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestServer {
        url: format!("http://{addr}/v1/events"),
        store,
        client: reqwest::Client::new(),
        _dir: dir,
    }
}

impl TestServer {
    async fn post(
        &self,
        content_type: &str,
        query: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{query}", self.url))
            .bearer_auth(TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    async fn post_json(&self, body: Value) -> (StatusCode, Value) {
        self.post("application/json", "", body.to_string()).await
    }
}

/// `n` days before today (UTC): recent enough for every window.
fn days_ago(n: u64) -> NaiveDate {
    chrono::Utc::now().date_naive() - Days::new(n)
}

/// A refusal names the field at fault and never quotes an id.
fn assert_refused(got: (StatusCode, Value), status: StatusCode, field: &str) {
    let (got_status, body) = got;
    assert_eq!(got_status, status, "{body}");
    assert_eq!(body["field"], field, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert!(
        !body.to_string().contains("user-"),
        "an id was echoed: {body}"
    );
}

#[tokio::test]
async fn a_json_batch_is_accepted_and_counted() {
    let server = spawn(Some(TOKEN)).await;
    let day = days_ago(6).to_string();
    let (status, body) = server
        .post_json(json!({"metric": "mau", "day": day, "ids": ids(0..1_000)}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(body, json!({"accepted": 1000, "metric": "mau", "day": day}));
    assert_close(
        server
            .store
            .count(&metric("mau"), days_ago(6))
            .await
            .unwrap(),
        1_000,
    );
}

#[tokio::test]
async fn a_json_batch_without_a_day_goes_to_today_and_takes_integer_ids() {
    let server = spawn(Some(TOKEN)).await;
    let (status, body) = server
        .post_json(json!({"metric": "dau", "ids": [1, 2, "3"]}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(body["day"], today.to_string());
    assert_eq!(
        server
            .store
            .count(&metric("dau"), today)
            .await
            .unwrap()
            .value,
        3
    );
}

#[tokio::test]
async fn newline_delimited_ids_take_metric_and_day_from_the_query() {
    let server = spawn(Some(TOKEN)).await;
    let lines = ids(0..500).join("\n") + "\n";
    let (status, body) = server
        .post(
            "text/plain; charset=utf-8",
            &format!("?metric=wau&day={}", days_ago(1)),
            lines,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], 500);
    let ndjson: String = ids(400..600)
        .iter()
        .map(|id| format!("\"{id}\"\n"))
        .collect();
    let (status, _) = server
        .post(
            "application/x-ndjson",
            &format!("?metric=wau&day={}", days_ago(0)),
            ndjson,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_close(
        server
            .store
            .count(&metric("wau"), days_ago(0))
            .await
            .unwrap(),
        600,
    );
}

#[tokio::test]
async fn without_ingest_token_the_endpoint_is_not_found() {
    let server = spawn(None).await;
    let (status, body) = server
        .post_json(json!({"metric": "mau", "ids": ["user-1"]}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn a_request_without_a_token_is_refused_with_401() {
    let server = spawn(Some(TOKEN)).await;
    let response = server
        .client
        .post(&server.url)
        .json(&json!({"metric": "mau", "ids": ["user-1"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let got = (response.status(), response.json().await.unwrap());
    assert_refused(got, StatusCode::UNAUTHORIZED, "authorization");
}

#[tokio::test]
async fn a_request_with_a_wrong_token_is_refused_with_401() {
    let server = spawn(Some(TOKEN)).await;
    let response = server
        .client
        .post(&server.url)
        .bearer_auth("test-token-0123456789abcdeX")
        .json(&json!({"metric": "mau", "ids": ["user-1"]}))
        .send()
        .await
        .unwrap();
    let got = (response.status(), response.json().await.unwrap());
    assert_refused(got, StatusCode::UNAUTHORIZED, "authorization");
}

#[tokio::test]
async fn an_unknown_or_missing_metric_is_refused() {
    let server = spawn(Some(TOKEN)).await;
    let got = server
        .post_json(json!({"metric": "nope", "ids": ["user-1"]}))
        .await;
    assert!(got.1["error"].as_str().unwrap().contains("dau, wau, mau"));
    assert_refused(got, StatusCode::BAD_REQUEST, "metric");
    let got = server.post_json(json!({"ids": ["user-1"]})).await;
    assert_refused(got, StatusCode::BAD_REQUEST, "metric");
}

#[tokio::test]
async fn a_malformed_future_or_too_old_day_is_refused() {
    let server = spawn(Some(TOKEN)).await;
    let too_old = days_ago(32).to_string(); // mau's 30 days, and a day of grace
    let day_after_tomorrow = (days_ago(0) + Days::new(2)).to_string();
    for bad in [
        "26/11/2026",
        "2026-13-01",
        "3026-01-01",
        &too_old,
        &day_after_tomorrow,
    ] {
        let got = server
            .post_json(json!({"metric": "mau", "day": bad, "ids": ["user-1"]}))
            .await;
        assert_refused(got, StatusCode::BAD_REQUEST, "day");
        let got = server
            .post("text/plain", &format!("?metric=mau&day={bad}"), "user-1\n")
            .await;
        assert_refused(got, StatusCode::BAD_REQUEST, "day");
    }
    let oldest = days_ago(31).to_string();
    let (status, body) = server
        .post_json(json!({"metric": "mau", "day": oldest, "ids": ["user-1"]}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn an_empty_id_is_refused_by_its_position() {
    let server = spawn(Some(TOKEN)).await;
    let got = server
        .post_json(json!({"metric": "mau", "ids": ["user-1", ""]}))
        .await;
    assert!(got.1["error"].as_str().unwrap().contains("index 1"));
    assert_refused(got, StatusCode::BAD_REQUEST, "ids");
    let got = server
        .post("text/plain", "?metric=mau", "user-1\n\nuser-2\n")
        .await;
    assert!(got.1["error"].as_str().unwrap().contains("line 2"));
    assert_refused(got, StatusCode::BAD_REQUEST, "ids");
}

#[tokio::test]
async fn more_ids_than_the_limit_are_refused_with_413() {
    let server = spawn(Some(TOKEN)).await;
    let got = server
        .post_json(json!({"metric": "mau", "ids": ids(0..1_001)}))
        .await;
    assert_refused(got, StatusCode::PAYLOAD_TOO_LARGE, "ids");
    assert_eq!(
        server
            .store
            .count(&metric("mau"), chrono::Utc::now().date_naive())
            .await
            .unwrap()
            .value,
        0
    );
}

/// Sends the head of a chunked request and `chunk`, then waits for an answer with
/// the rest of the body never sent: a server that reads the whole body first
/// never answers.
async fn answer_before_the_body_ends(
    server: &TestServer,
    content_type: &str,
    query: &str,
    chunk: &[u8],
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = url::Url::parse(&server.url).unwrap();
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST {}{query} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n",
        url.path()
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    conn.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
        .await
        .unwrap();
    conn.write_all(chunk).await.unwrap();
    conn.write_all(b"\r\n").await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let read = tokio::time::timeout(crate::helpers::DEADLINE, async {
        while !String::from_utf8_lossy(&answer).contains("\"field\"") {
            let n = conn.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer while the body was still coming: {}",
        String::from_utf8_lossy(&answer)
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_request_over_the_id_limit_is_refused_before_its_body_ends() {
    let server = spawn(Some(TOKEN)).await;
    let lines = ids(0..1_001).join("\n") + "\n";
    let answer =
        answer_before_the_body_ends(&server, "text/plain", "?metric=mau", lines.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""field":"ids""#), "{answer}");

    let json = format!(r#"{{"metric":"mau","ids":{}"#, json!(ids(0..1_001)));
    let json = json.trim_end_matches(']'); // the array and the object go on
    let answer = answer_before_the_body_ends(
        &server,
        "application/json",
        "",
        format!("{json},").as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""field":"ids""#), "{answer}");
    assert_eq!(
        server
            .store
            .count(&metric("mau"), days_ago(0))
            .await
            .unwrap()
            .value,
        0,
        "nothing recorded"
    );
}

#[tokio::test]
async fn a_body_over_the_size_limit_is_refused_with_413() {
    let server = spawn(Some(TOKEN)).await;
    let body = "user-1\n".repeat(20_000);
    let got = server.post("text/plain", "?metric=mau", body).await;
    assert_refused(got, StatusCode::PAYLOAD_TOO_LARGE, "body");
}

#[tokio::test]
async fn malformed_json_is_refused_without_quoting_it() {
    let server = spawn(Some(TOKEN)).await;
    let got = server
        .post(
            "application/json",
            "",
            r#"{"metric": "mau", "ids": "user-42"}"#,
        )
        .await;
    assert_refused(got, StatusCode::BAD_REQUEST, "body");
    let got = server
        .post(
            "application/json",
            "",
            r#"{"metric": "mau", "ids": ["user-42""#,
        )
        .await;
    assert_refused(got, StatusCode::BAD_REQUEST, "body");
}

#[tokio::test]
async fn an_unsupported_content_type_is_refused_with_415() {
    let server = spawn(Some(TOKEN)).await;
    let got = server.post("application/xml", "", "<ids/>").await;
    assert_refused(got, StatusCode::UNSUPPORTED_MEDIA_TYPE, "content-type");
}
