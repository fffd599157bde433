//! Injected faults: 500s, dropped connections, latency, slow and late answers,
//! and one-shot failures.

use std::time::{Duration, Instant};

use telegram_sim::{Fault, Faults};

use crate::helpers::{TOKEN, spawn_unlimited};

#[tokio::test]
async fn an_error_rate_of_one_answers_every_call_500() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    t.sim.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let (status, body) = t.send(chat, "hi").await;
    assert_eq!(status, 500);
    assert_eq!(body["description"], "Internal Server Error");
    assert_eq!(t.sim.stats(TOKEN).server_errors, 1);
    assert!(t.sim.messages(chat).is_empty());
}

#[tokio::test]
async fn a_seeded_error_share_fails_some_calls_and_replays_the_same_ones() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let faults = Faults {
        error_rate: 0.5,
        seed: 42,
        ..Faults::default()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        t.sim.set_faults(faults.clone());
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(t.send(chat, "hi").await.0);
        }
        runs.push(statuses);
    }
    let failed = runs[0].iter().filter(|s| **s == 500).count();
    assert!((5..=35).contains(&failed), "{failed} of 40 failed");
    assert_eq!(runs[0], runs[1]);
}

#[tokio::test]
async fn a_dropped_connection_is_seen_by_the_client_as_a_connection_error() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    t.sim.set_faults(Faults {
        drop_rate: 1.0,
        ..Faults::default()
    });
    let body = serde_json::json!({ "chat_id": chat.0, "text": "hi" });
    let result = t.client.post(t.url("sendMessage")).json(&body).send().await;
    let err = result.expect_err("no answer");
    assert!(!err.is_timeout() && !err.is_status(), "{err:?}");
    assert_eq!(t.sim.stats(TOKEN).dropped, 1);
    assert!(t.sim.messages(chat).is_empty());
}

#[tokio::test]
async fn injected_latency_delays_every_answer() {
    let t = spawn_unlimited().await;
    t.sim.set_faults(Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    });
    let started = Instant::now();
    assert_eq!(t.call("getMe", serde_json::json!({})).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_slow_answer_outlasts_the_clients_timeout() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let slow = Faults {
        slow_rate: 1.0,
        slow_delay: Duration::from_secs(3),
        ..Faults::default()
    };
    t.sim.set_faults(slow);
    let body = serde_json::json!({ "chat_id": chat.0, "text": "hi" });
    let req = t
        .client
        .post(t.url("sendMessage"))
        .json(&body)
        .timeout(Duration::from_millis(300));
    let err = req.send().await.expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(t.sim.stats(TOKEN).slowed, 1);
}

#[tokio::test]
async fn queued_faults_fail_exactly_the_next_n_sends_to_that_chat() {
    let t = spawn_unlimited().await;
    let (chat, other) = (t.channel(), t.channel());
    t.sim.fail_next(chat, 2, Fault::RetryAfter { secs: 7 });
    assert_eq!(t.send(other, "hi").await.0, 200);
    for _ in 0..2 {
        let (status, body) = t.send(chat, "hi").await;
        assert_eq!(status, 429);
        assert_eq!(body["parameters"]["retry_after"], 7);
    }
    assert_eq!(t.send(chat, "hi").await.0, 200);
    assert_eq!(t.sim.stats(TOKEN).too_many_requests, 2);
}

#[tokio::test]
async fn a_queued_drop_closes_the_connection_once() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    t.sim.fail_next(chat, 1, Fault::Drop);
    let body = serde_json::json!({ "chat_id": chat.0, "text": "hi" });
    assert!(
        t.client
            .post(t.url("sendMessage"))
            .json(&body)
            .send()
            .await
            .is_err()
    );
    assert_eq!(t.send(chat, "hi").await.0, 200);
    assert_eq!(t.sim.messages(chat).len(), 1);
}

#[tokio::test]
async fn a_late_answer_delivers_at_once_and_answers_after_the_clients_timeout() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    t.sim.fail_next(chat, 1, Fault::LateAnswer { ms: 2_000 });
    let body = serde_json::json!({ "chat_id": chat.0, "text": "hi" });
    let req = t
        .client
        .post(t.url("sendMessage"))
        .json(&body)
        .timeout(Duration::from_millis(300));
    let err = req.send().await.expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(t.sim.messages(chat).len(), 1, "posted all the same");
    assert_eq!(t.sim.stats(TOKEN).late_answers, 1);
}
