//! Webhooks and the one-poller rule: 409 for a second `getUpdates`, updates
//! POSTed with the secret header, retried until the bot answers 2xx.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{Router, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use serde_json::{Value, json};
use telegram_sim::ChatKind;
use tokio::net::TcpListener;

use crate::helpers::{TOKEN, TestSim, spawn};

fn private(t: &TestSim) -> telegram_sim::ChatId {
    t.sim.create_chat(
        ChatKind::Private {
            first_name: "Ann".into(),
            username: None,
        },
        "",
    )
}

/// What a fake bot's webhook received: the secret header and the body.
type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A webhook receiver answering `status` to every POST; returns its URL.
async fn receiver(status: Arc<Mutex<StatusCode>>) -> (String, Received) {
    let received: Received = Arc::default();
    async fn take(
        State((status, received)): State<(Arc<Mutex<StatusCode>>, Received)>,
        headers: HeaderMap,
        body: axum::Json<Value>,
    ) -> StatusCode {
        let secret = headers
            .get("x-telegram-bot-api-secret-token")
            .map(|v| v.to_str().unwrap().to_owned());
        received.lock().unwrap().push((secret, body.0));
        *status.lock().unwrap()
    }
    let app = Router::new()
        .route("/hook", post(take))
        .with_state((status, received.clone()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test]
async fn a_second_concurrent_get_updates_is_answered_409_as_telegram_does() {
    let t = spawn().await;
    let first = {
        let client = t.client.clone();
        let url = t.url("getUpdates");
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({ "timeout": 2 }))
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (status, body) = t.call("getUpdates", json!({ "timeout": 1 })).await;

    assert_eq!(status, 409);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("terminated by other getUpdates request"),
        "{body}"
    );
    assert_eq!(first.await.unwrap(), 200, "the first poll goes on");
    assert_eq!(t.sim.stats(TOKEN).conflicts, 1);
    let (after, _) = t.call("getUpdates", json!({})).await;
    assert_eq!(after, 200, "once the first poll ended, polling works again");
}

#[tokio::test]
async fn a_poll_whose_client_went_away_does_not_hold_off_the_next_poller() {
    let t = spawn().await;
    let client = reqwest::Client::new();
    let url = t.url("getUpdates");
    let abandoned = tokio::spawn(async move {
        let _ = client
            .post(url)
            .json(&json!({ "timeout": 30 }))
            .send()
            .await;
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The process holding the poll dies: its connection closes.
    abandoned.abort();
    let _ = abandoned.await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (status, body) = t.call("getUpdates", json!({ "timeout": 0 })).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(t.sim.stats(TOKEN).conflicts, 0);
}

#[tokio::test]
async fn with_a_webhook_set_updates_are_posted_with_the_secret_and_get_updates_is_409() {
    let t = spawn().await;
    let (url, received) = receiver(Arc::new(Mutex::new(StatusCode::OK))).await;
    let (status, _) = t
        .call(
            "setWebhook",
            json!({ "url": url, "secret_token": "s3cret_-X" }),
        )
        .await;
    assert_eq!(status, 200);
    let chat = private(&t);

    t.sim
        .send_text(TOKEN, chat, telegram_sim::UserId(chat.0), "/start");

    let got = t
        .sim
        .wait_for(Duration::from_secs(5), |_| {
            received.lock().unwrap().first().cloned()
        })
        .await
        .expect("the update was posted");
    assert_eq!(got.0.as_deref(), Some("s3cret_-X"));
    assert_eq!(got.1["message"]["text"], "/start");
    assert!(got.1["update_id"].as_i64().is_some());
    let (polled, body) = t.call("getUpdates", json!({})).await;
    assert_eq!(polled, 409);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("webhook is active"),
        "{body}"
    );
    let (_, info) = t.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], url);
    assert_eq!(info["result"]["pending_update_count"], 0);
}

#[tokio::test]
async fn a_failed_webhook_delivery_is_retried_until_answered_and_shown_meanwhile() {
    let t = spawn().await;
    let status = Arc::new(Mutex::new(StatusCode::INTERNAL_SERVER_ERROR));
    let (url, received) = receiver(status.clone()).await;
    t.call("setWebhook", json!({ "url": url, "secret_token": "abc" }))
        .await;
    let chat = private(&t);
    t.sim
        .send_text(TOKEN, chat, telegram_sim::UserId(chat.0), "hello");

    t.sim
        .wait_for(Duration::from_secs(5), |_| {
            (received.lock().unwrap().len() >= 2).then_some(())
        })
        .await
        .expect("the failed delivery was retried");
    let (_, info) = t.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["pending_update_count"], 1);
    assert!(
        info["result"]["last_error_message"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{info}"
    );
    *status.lock().unwrap() = StatusCode::OK;
    t.sim
        .wait_for(Duration::from_secs(5), |s| {
            (s.pending_updates(TOKEN) == 0).then_some(())
        })
        .await
        .expect("delivered once the bot answers 200");
    let stats = t.sim.stats(TOKEN);
    assert_eq!(stats.webhook_delivered, 1);
    assert!(stats.webhook_failed >= 2);
    let ids: Vec<_> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(_, u)| u["update_id"].clone())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "the same update each time: {ids:?}"
    );
}

#[tokio::test]
async fn delete_webhook_goes_back_to_polling_and_keeps_what_is_pending() {
    let t = spawn().await;
    // Nobody listens here: every delivery fails, the update stays pending.
    t.call(
        "setWebhook",
        json!({ "url": "http://127.0.0.1:9/hook", "secret_token": "abc" }),
    )
    .await;
    let chat = private(&t);
    t.sim
        .send_text(TOKEN, chat, telegram_sim::UserId(chat.0), "kept");

    let (status, _) = t.call("deleteWebhook", json!({})).await;
    assert_eq!(status, 200);
    let (polled, body) = t.call("getUpdates", json!({})).await;

    assert_eq!(polled, 200);
    assert_eq!(body["result"][0]["message"]["text"], "kept");
    let (_, info) = t.call("getWebhookInfo", json!({})).await;
    assert_eq!(info["result"]["url"], "");
}

#[tokio::test]
async fn a_secret_with_characters_telegram_refuses_is_refused() {
    let t = spawn().await;
    let (status, body) = t
        .call(
            "setWebhook",
            json!({ "url": "https://example.com/h", "secret_token": "a b" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}
