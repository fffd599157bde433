//! The envelope, method names and authentication.

use serde_json::json;

use crate::helpers::{TOKEN, spawn};

#[tokio::test]
async fn method_names_are_matched_case_insensitively() {
    let t = spawn().await;
    for name in ["getMe", "GETME", "getme", "GetMe"] {
        let (status, body) = t.call(name, json!({})).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(body["result"]["id"], 123456, "{name}");
    }
}

#[tokio::test]
async fn successes_use_the_ok_result_envelope() {
    let t = spawn().await;
    let (_, body) = t.call("getMe", json!({})).await;
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["username"], "test_bot");
    assert_eq!(body["result"]["is_bot"], true);
}

#[tokio::test]
async fn an_unknown_token_is_answered_401_unauthorized() {
    let t = spawn().await;
    let url = format!("{}bot999:NOPE/getMe", t.sim.api_url());
    let resp = t.client.post(url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })
    );
}

#[tokio::test]
async fn an_unknown_method_is_answered_404_not_found() {
    let t = spawn().await;
    let (status, body) = t.call("sendTelepathy", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(body["description"], "Not Found");
    assert_eq!(t.sim.stats(TOKEN).client_errors, 1);
}

#[tokio::test]
async fn query_string_parameters_work_like_a_json_body() {
    let t = spawn().await;
    let chat = t.channel();
    let url = format!(
        "{}?chat_id={}&text=hello%20there",
        t.url("sendMessage"),
        chat.0
    );
    let resp = t.client.get(url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(t.sim.messages(chat)[0].text.as_deref(), Some("hello there"));
}
