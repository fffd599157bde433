//! Delivered messages: media file ids, edits, deletes, HTML and lengths,
//! commands and callback answers.

use serde_json::json;
use telegram_sim::{ChatKind, SentKind};

use crate::helpers::{TOKEN, TestSim, spawn_unlimited};

async fn upload_photo(t: &TestSim, chat: i64) -> serde_json::Value {
    let part = reqwest::multipart::Part::bytes(vec![1u8; 2048]).file_name("m.png");
    let form = reqwest::multipart::Form::new()
        .text("chat_id", chat.to_string())
        .text("caption", "<b>1M</b> users")
        .text("parse_mode", "HTML")
        .part("photo", part);
    let resp = t
        .client
        .post(t.url("sendPhoto"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn an_uploaded_photo_gets_a_new_file_id_that_a_resend_keeps() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let first = upload_photo(&t, chat.0).await;
    let file_id = first["result"]["photo"][0]["file_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(first["result"]["caption"], "1M users");

    let (status, again) = t
        .call("sendPhoto", json!({ "chat_id": chat.0, "photo": file_id }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["result"]["photo"][0]["file_id"], file_id.as_str());

    let second_upload = upload_photo(&t, chat.0).await;
    assert_ne!(
        second_upload["result"]["photo"][0]["file_id"],
        file_id.as_str()
    );

    let recorded = t.sim.messages(chat);
    let uploaded: Vec<bool> = recorded.iter().map(|m| m.uploaded).collect();
    assert_eq!(uploaded, [true, false, true]);
    assert!(recorded.iter().all(|m| m.kind == SentKind::Photo));
    assert_eq!(t.sim.stats(TOKEN).uploads, 2);
    assert_eq!(t.sim.stats(TOKEN).upload_bytes, 4096);
}

#[tokio::test]
async fn an_uploaded_animation_is_kept_whole_with_its_stated_size_for_tests_to_decode() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let gif = b"GIF89a-pretend-frames".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("chat_id", chat.0.to_string())
        .text("width", "1280")
        .text("height", "720")
        .text("duration", "2")
        .part(
            "animation",
            reqwest::multipart::Part::bytes(gif.clone()).file_name("milestone.gif"),
        );
    let resp = t
        .client
        .post(t.url("sendAnimation"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    let file_id = body["result"]["animation"]["file_id"].as_str().unwrap();

    let kept = t.sim.uploaded_file(file_id).expect("the upload is kept");
    assert_eq!(kept.bytes, gif);
    assert_eq!(kept.kind, SentKind::Animation);
    assert_eq!(kept.file_name.as_deref(), Some("milestone.gif"));
    assert_eq!(
        (kept.width, kept.height, kept.duration),
        (Some(1280), Some(720), Some(2))
    );
    let over_http = t
        .client
        .get(format!("{}_sim/files/{file_id}", t.sim.api_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(over_http.headers()["content-type"], "image/gif");
    assert_eq!(over_http.bytes().await.unwrap().to_vec(), gif);
    let listed: serde_json::Value = t
        .client
        .get(format!("{}_sim/files", t.sim.api_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["size"], gif.len());
}

#[tokio::test]
async fn a_photo_over_telegrams_10_mb_limit_is_refused() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let form = reqwest::multipart::Form::new()
        .text("chat_id", chat.0.to_string())
        .part(
            "photo",
            reqwest::multipart::Part::bytes(vec![0u8; (10 << 20) + 1]).file_name("big.png"),
        );
    let resp = t
        .client
        .post(t.url("sendPhoto"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(t.sim.uploaded_files().is_empty());
    assert!(t.sim.messages(chat).is_empty());
}

#[tokio::test]
async fn an_unknown_file_id_is_refused() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let (status, body) = t
        .call(
            "sendAnimation",
            json!({ "chat_id": chat.0, "animation": "nope" }),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Bad Request: wrong file identifier/HTTP URL specified"
    );
}

#[tokio::test]
async fn edits_and_deletes_apply_to_the_records_and_keep_history() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let (_, sent) = t.send(chat, "sent 0 of 10").await;
    let id = sent["result"]["message_id"].clone();
    let edit = json!({ "chat_id": chat.0, "message_id": id, "text": "sent 10 of 10" });
    let (status, edited) = t.call("editMessageText", edit.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(edited["result"]["text"], "sent 10 of 10");

    let (status, same) = t.call("editMessageText", edit).await;
    assert_eq!(status, 400);
    assert!(
        same["description"]
            .as_str()
            .unwrap()
            .contains("message is not modified")
    );

    let m = &t.sim.messages(chat)[0];
    assert_eq!(m.text.as_deref(), Some("sent 10 of 10"));
    assert_eq!(m.history.len(), 1);
    assert_eq!(m.history[0].text.as_deref(), Some("sent 0 of 10"));

    let del = json!({ "chat_id": chat.0, "message_id": id });
    assert_eq!(t.call("deleteMessage", del.clone()).await.0, 200);
    assert!(t.sim.messages(chat)[0].deleted);
    let (status, body) = t.call("deleteMessage", del).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Bad Request: message to delete not found"
    );
}

#[tokio::test]
async fn malformed_html_is_refused_with_cant_parse_entities() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let body = json!({ "chat_id": chat.0, "text": "<b>bold</i>", "parse_mode": "HTML" });
    let (status, answer) = t.call("sendMessage", body).await;
    assert_eq!(status, 400);
    let description = answer["description"].as_str().unwrap();
    assert!(
        description.starts_with("Bad Request: can't parse entities: "),
        "{description}"
    );
    assert!(t.sim.messages(chat).is_empty());
}

#[tokio::test]
async fn length_limits_count_visible_characters_not_markup() {
    let t = spawn_unlimited().await;
    let chat = t.channel();
    let fits = format!("<b>{}</b>", "é".repeat(4096));
    let ok = json!({ "chat_id": chat.0, "text": fits, "parse_mode": "HTML" });
    assert_eq!(t.call("sendMessage", ok).await.0, 200);
    let (status, body) = t.send(chat, &"x".repeat(4097)).await;
    assert_eq!(
        (status, body["description"].as_str().unwrap()),
        (400, "Bad Request: message is too long")
    );
    let caption = json!({ "chat_id": chat.0, "photo": "https://example.invalid/a.png", "caption": "y".repeat(1025) });
    let (status, body) = t.call("sendPhoto", caption).await;
    assert_eq!(
        (status, body["description"].as_str().unwrap()),
        (400, "Bad Request: message caption is too long")
    );
}

#[tokio::test]
async fn commands_are_recorded_per_scope_and_language() {
    let t = spawn_unlimited().await;
    let public = json!([{ "command": "help", "description": "Help" }]);
    let admins = json!([{ "command": "milestone", "description": "Manage" }]);
    let scope = json!({ "type": "chat", "chat_id": 42 });
    t.call("setMyCommands", json!({ "commands": public })).await;
    t.call(
        "setMyCommands",
        json!({ "commands": admins, "scope": scope, "language_code": "en" }),
    )
    .await;
    let sets = t.sim.commands(TOKEN);
    assert_eq!(sets.len(), 2);
    let (_, got) = t
        .call(
            "getMyCommands",
            json!({ "scope": scope, "language_code": "en" }),
        )
        .await;
    assert_eq!(got["result"], admins);
    let (_, default) = t.call("getMyCommands", json!({})).await;
    assert_eq!(default["result"], public);
}

#[tokio::test]
async fn a_button_press_reaches_the_bot_and_its_answer_is_recorded() {
    let t = spawn_unlimited().await;
    let chat = t.sim.create_chat(
        ChatKind::Private {
            first_name: "Ann".into(),
            username: None,
        },
        "",
    );
    let keyboard = json!({ "inline_keyboard": [[{ "text": "Yes", "callback_data": "confirm" }]] });
    let (_, sent) = t
        .call(
            "sendMessage",
            json!({ "chat_id": chat.0, "text": "Sure?", "reply_markup": keyboard }),
        )
        .await;
    let message_id = sent["result"]["message_id"].as_i64().unwrap() as i32;
    let user = telegram_sim::UserId(chat.0);
    let id = t.sim.press_button(TOKEN, chat, message_id, user, "confirm");

    let (_, updates) = t.call("getUpdates", json!({})).await;
    let query = &updates["result"][0]["callback_query"];
    assert_eq!(query["id"], id.as_str());
    assert_eq!(query["data"], "confirm");
    assert_eq!(query["message"]["reply_markup"], keyboard);

    t.call(
        "answerCallbackQuery",
        json!({ "callback_query_id": id, "text": "Done" }),
    )
    .await;
    let answers = t.sim.callback_answers();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].text.as_deref(), Some("Done"));
}
