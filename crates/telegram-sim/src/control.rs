//! The control API under `/_sim/…`: the in-process handle's operations as
//! JSON over HTTP, for a simulator running as its own process (demo, bench).

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post, put},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    faults::{Fault, Faults},
    limits::Limits,
    model::{ChatId, ChatKind, ChatState, MemberStatus, SentMessage, Stats, UploadedFile, UserId},
    shared::Shared,
    sim::TelegramSim,
};

/// Routes relative to `/_sim`.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/bots", post(add_bot))
        .route("/users", post(create_user))
        .route("/chats", post(create_chat))
        .route("/chats/{chat}/members", post(set_member))
        .route("/chats/{chat}/state", put(set_state))
        .route("/chats/{chat}/fail_next", post(fail_next))
        .route("/chats/{chat}/migrate", post(migrate))
        .route("/chats/{chat}/messages", get(chat_messages))
        .route("/messages", get(all_messages))
        .route("/files", get(files))
        .route("/files/{file_id}", get(file_bytes))
        .route("/membership", post(membership))
        .route("/send_text", post(send_text))
        .route("/press_button", post(press_button))
        .route("/bots/{token}/stats", get(stats))
        .route("/limits", put(set_limits))
        .route("/faults", put(set_faults))
}

/// A handle over the same state as the server's.
fn sim(sh: Arc<Shared>) -> TelegramSim {
    TelegramSim::from_shared(sh)
}

#[derive(Deserialize)]
struct AddBot {
    token: String,
    username: String,
}

async fn add_bot(State(sh): State<Arc<Shared>>, Json(b): Json<AddBot>) -> Json<Value> {
    Json(json!(sim(sh).add_bot(&b.token, &b.username)))
}

#[derive(Deserialize)]
struct CreateUser {
    first_name: String,
}

async fn create_user(State(sh): State<Arc<Shared>>, Json(u): Json<CreateUser>) -> Json<Value> {
    Json(json!({ "user_id": sim(sh).create_user(&u.first_name) }))
}

#[derive(Deserialize)]
struct CreateChat {
    kind: ChatKind,
    #[serde(default)]
    title: String,
}

async fn create_chat(State(sh): State<Arc<Shared>>, Json(c): Json<CreateChat>) -> Json<Value> {
    Json(json!({ "chat_id": sim(sh).create_chat(c.kind, &c.title) }))
}

#[derive(Deserialize)]
struct SetMember {
    user_id: UserId,
    status: MemberStatus,
}

async fn set_member(
    State(sh): State<Arc<Shared>>,
    Path(chat): Path<i64>,
    Json(m): Json<SetMember>,
) -> Json<Value> {
    sim(sh).set_member_status(ChatId(chat), m.user_id, m.status);
    Json(json!(true))
}

async fn set_state(
    State(sh): State<Arc<Shared>>,
    Path(chat): Path<i64>,
    Json(state): Json<ChatState>,
) -> Json<Value> {
    sim(sh).set_chat_state(ChatId(chat), state);
    Json(json!(true))
}

#[derive(Deserialize)]
struct FailNext {
    n: usize,
    fault: Fault,
}

async fn fail_next(
    State(sh): State<Arc<Shared>>,
    Path(chat): Path<i64>,
    Json(f): Json<FailNext>,
) -> Json<Value> {
    sim(sh).fail_next(ChatId(chat), f.n, f.fault);
    Json(json!(true))
}

async fn migrate(State(sh): State<Arc<Shared>>, Path(chat): Path<i64>) -> Json<Value> {
    Json(json!({ "chat_id": sim(sh).migrate_group(ChatId(chat)) }))
}

async fn chat_messages(
    State(sh): State<Arc<Shared>>,
    Path(chat): Path<i64>,
) -> Json<Vec<SentMessage>> {
    Json(sim(sh).messages(ChatId(chat)))
}

async fn all_messages(State(sh): State<Arc<Shared>>) -> Json<Vec<SentMessage>> {
    Json(sim(sh).all_messages())
}

/// Every uploaded file, without its bytes.
async fn files(State(sh): State<Arc<Shared>>) -> Json<Vec<UploadedFile>> {
    Json(sim(sh).uploaded_files())
}

/// An uploaded file's bytes, typed by its name.
async fn file_bytes(State(sh): State<Arc<Shared>>, Path(file_id): Path<String>) -> Response {
    let Some(file) = sim(sh).uploaded_file(&file_id) else {
        return (StatusCode::NOT_FOUND, "no such upload").into_response();
    };
    let name = file.file_name.unwrap_or_default().to_ascii_lowercase();
    let mime = match name.rsplit('.').next() {
        Some("gif") => "image/gif",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, mime)], file.bytes).into_response()
}

/// What happens to the bot's membership.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum MembershipAction {
    Added,
    AddedAsAdmin,
    Removed,
    Kicked,
    Blocked,
}

#[derive(Deserialize)]
struct Membership {
    token: String,
    chat_id: ChatId,
    by: Option<UserId>,
    action: MembershipAction,
}

async fn membership(State(sh): State<Arc<Shared>>, Json(m): Json<Membership>) -> Json<Value> {
    let s = sim(sh);
    let by = m.by.unwrap_or(UserId(m.chat_id.0));
    match m.action {
        MembershipAction::Added => s.bot_added_to_chat(&m.token, m.chat_id, by, false),
        MembershipAction::AddedAsAdmin => s.bot_added_to_chat(&m.token, m.chat_id, by, true),
        MembershipAction::Removed => s.bot_removed_from_chat(&m.token, m.chat_id, by, false),
        MembershipAction::Kicked => s.bot_removed_from_chat(&m.token, m.chat_id, by, true),
        MembershipAction::Blocked => s.user_blocks_bot(&m.token, m.chat_id),
    }
    Json(json!(true))
}

#[derive(Deserialize)]
struct SendText {
    token: String,
    chat_id: ChatId,
    from: UserId,
    text: String,
}

async fn send_text(State(sh): State<Arc<Shared>>, Json(t): Json<SendText>) -> Json<Value> {
    let id = sim(sh).send_text(&t.token, t.chat_id, t.from, &t.text);
    Json(json!({ "message_id": id }))
}

#[derive(Deserialize)]
struct PressButton {
    token: String,
    chat_id: ChatId,
    message_id: i32,
    from: UserId,
    data: String,
}

async fn press_button(State(sh): State<Arc<Shared>>, Json(b): Json<PressButton>) -> Json<Value> {
    let id = sim(sh).press_button(&b.token, b.chat_id, b.message_id, b.from, &b.data);
    Json(json!({ "callback_query_id": id }))
}

async fn stats(State(sh): State<Arc<Shared>>, Path(token): Path<String>) -> Json<Stats> {
    Json(sim(sh).stats(&token))
}

async fn set_limits(State(sh): State<Arc<Shared>>, Json(l): Json<Limits>) -> Json<Value> {
    sim(sh).set_limits(l);
    Json(json!(true))
}

async fn set_faults(State(sh): State<Arc<Shared>>, Json(f): Json<Faults>) -> Json<Value> {
    sim(sh).set_faults(f);
    Json(json!(true))
}
