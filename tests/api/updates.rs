//! How updates reach the bot: by webhook (secret checked, answered at once, each
//! update handled once) or by long polling with one poller per bot across
//! instances (no 409 from Telegram, a standby takes over).

use crate::helpers::{DEADLINE, TestApp, eventually, test_env};
use milestone_bot::app::App;
use milestone_bot::config::Config;
use milestone_bot::storage::Backend;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use telegram_sim::{ChatId, ChatKind, TelegramSim, UserId};
use tokio::sync::oneshot;

crate::on_every_backend!(
    in_webhook_mode_the_bot_registers_its_url_never_polls_and_answers_what_telegram_posts,
    a_webhook_post_without_the_right_secret_is_refused_and_changes_nothing,
    an_update_telegram_delivers_twice_is_handled_once,
    a_standby_instance_never_polls_beside_the_first_and_takes_over_when_it_stops,
);

const SECRET: &str = "hook-Secret_42";

/// A free local port: the webhook URL must name the port the bot will listen on.
fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Webhook settings for a bot listening on `addr`.
fn webhook_env(addr: SocketAddr) -> impl FnOnce(&mut HashMap<String, String>) {
    move |env| {
        env.insert("HTTP_ADDR".into(), addr.to_string());
        env.insert("WEBHOOK_URL".into(), format!("http://{addr}/tg/hook"));
        env.insert("WEBHOOK_SECRET".into(), SECRET.into());
    }
}

fn person(sim: &TelegramSim, name: &str) -> ChatId {
    sim.create_chat(
        ChatKind::Private {
            first_name: name.into(),
            username: None,
        },
        name,
    )
}

/// An update exactly as Telegram shapes it: pushed for a second bot in the same
/// simulator and taken with `getUpdates`, ready to be POSTed to our webhook.
async fn update_as_telegram_sends_it(sim: &TelegramSim, chat: ChatId, text: &str) -> Value {
    let side = "999999:SIDE";
    if sim.stats(side) == Default::default() {
        sim.add_bot(side, "side_bot");
    }
    sim.send_text(side, chat, UserId(chat.0), text);
    let body: Value = reqwest::Client::new()
        .post(format!("{}bot{side}/getUpdates", sim.api_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let update = body["result"].as_array().unwrap().last().unwrap().clone();
    // Confirm it, so the next call returns only newer ones.
    let next = update["update_id"].as_i64().unwrap() + 1;
    reqwest::Client::new()
        .post(format!("{}bot{side}/getUpdates", sim.api_url()))
        .json(&json!({ "offset": next }))
        .send()
        .await
        .unwrap();
    update
}

async fn post_update(addr: SocketAddr, secret: Option<&str>, body: String) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/tg/hook"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(secret) = secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Posts `len` bytes (more than the webhook takes) with the right secret, and
/// returns the status the bot answers.
///
/// The bot answers 413 from the Content-Length alone and closes the connection
/// without reading the body, so a client still writing it may fail with a broken
/// pipe before it reads the answer (reqwest then returns an error, not the 413: a
/// flake seen once in three runs). Here the body is written best-effort while the
/// answer is read.
async fn post_oversized(addr: SocketAddr, secret: &str, len: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut from_bot, mut to_bot) = stream.into_split();
    let head = format!(
        "POST /tg/hook HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {len}\r\n\
         Connection: close\r\n\r\n"
    );
    to_bot.write_all(head.as_bytes()).await.unwrap();
    let writing = tokio::spawn(async move {
        let chunk = vec![b' '; 64 * 1024];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len());
            if to_bot.write_all(&chunk[..n]).await.is_err() {
                break;
            }
            left -= n;
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match from_bot.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    writing.abort();
    let status_line = String::from_utf8_lossy(&answer);
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {status_line:?}"))
}

fn texts(sim: &TelegramSim, chat: ChatId) -> Vec<String> {
    sim.messages(chat)
        .into_iter()
        .filter_map(|m| m.text)
        .collect()
}

async fn in_webhook_mode_the_bot_registers_its_url_never_polls_and_answers_what_telegram_posts(
    backend: Backend,
) {
    let addr = free_addr();
    let Some(app) = TestApp::spawn_with(backend, webhook_env(addr)).await else {
        return;
    };
    let ann = person(&app.sim, "Ann");

    app.send_text(ann, UserId(ann.0), "/start").await;

    let reply = app
        .sim
        .wait_for(DEADLINE, |s| s.messages(ann).pop())
        .await
        .expect("the bot answers an update Telegram posted to its webhook");
    assert!(reply.text.unwrap_or_default().contains("/subscribe"));
    let info: Value = reqwest::Client::new()
        .post(format!(
            "{}bot{}/getWebhookInfo",
            app.sim.api_url(),
            app.token
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["result"]["url"], format!("http://{addr}/tg/hook"));
    let stats = app.sim.stats(&app.token);
    assert_eq!(stats.polls, 0, "never getUpdates in webhook mode");
    assert_eq!(stats.conflicts, 0);
    assert!(stats.webhook_delivered >= 1);
    app.stop().await;
}

async fn a_webhook_post_without_the_right_secret_is_refused_and_changes_nothing(backend: Backend) {
    let addr = free_addr();
    let Some(app) = TestApp::spawn_with(backend, webhook_env(addr)).await else {
        return;
    };
    let ann = person(&app.sim, "Ann");
    let update = update_as_telegram_sends_it(&app.sim, ann, "/subscribe").await;

    let missing = post_update(addr, None, update.to_string()).await;
    let wrong = post_update(addr, Some("hook-Secret_43"), update.to_string()).await;
    let oversized = post_oversized(addr, SECRET, 2 << 20).await;

    assert_eq!((missing, wrong, oversized), (401, 401, 413));
    let subscribed = milestone_bot::storage::chats::list_subscribed(&app.db)
        .await
        .unwrap();
    assert!(subscribed.is_empty(), "{subscribed:?}");
    assert!(
        texts(&app.sim, ann).is_empty(),
        "no answer to a refused call"
    );
    // The same update with the secret is taken.
    assert_eq!(
        post_update(addr, Some(SECRET), update.to_string()).await,
        200
    );
    eventually("the person subscribed", || async {
        (milestone_bot::storage::chats::list_subscribed(&app.db)
            .await
            .unwrap()
            .len()
            == 1)
            .then_some(())
    })
    .await;
    app.stop().await;
}

async fn an_update_telegram_delivers_twice_is_handled_once(backend: Backend) {
    let addr = free_addr();
    let Some(app) = TestApp::spawn_with(backend, webhook_env(addr)).await else {
        return;
    };
    let ann = person(&app.sim, "Ann");
    let start = update_as_telegram_sends_it(&app.sim, ann, "/start").await;
    let subscribe = update_as_telegram_sends_it(&app.sim, ann, "/subscribe").await;

    // Telegram retries a delivery it did not see answered.
    assert_eq!(
        post_update(addr, Some(SECRET), start.to_string()).await,
        200
    );
    assert_eq!(
        post_update(addr, Some(SECRET), start.to_string()).await,
        200
    );
    assert_eq!(
        post_update(addr, Some(SECRET), subscribe.to_string()).await,
        200
    );

    // One chat's updates are handled in order: once /subscribe is answered, the
    // repeated /start has been handled or skipped.
    app.sim
        .wait_for(DEADLINE, |s| {
            s.messages(ann)
                .iter()
                .any(|m| {
                    m.text
                        .as_deref()
                        .is_some_and(|t| t.starts_with("Subscribed"))
                })
                .then_some(())
        })
        .await
        .expect("/subscribe answered");
    let answers = texts(&app.sim, ann);
    assert_eq!(answers.len(), 2, "one answer per update: {answers:?}");
    app.stop().await;
}

/// Waits until the holder of the "updates" lease has renewed it twice more (two new
/// expiry times seen), the standby trying to take it at each of its own turns.
async fn renewed_twice(app: &TestApp) {
    let bot_id = format!(
        "{}:updates",
        app.token.split(':').next().unwrap_or_default()
    );
    let seen = std::cell::RefCell::new(Vec::<i64>::new());
    eventually("two renewals of the updates lease", || async {
        let expires: i64 =
            sqlx::query_scalar("SELECT expires_at FROM broadcast_leases WHERE bot_id = $1")
                .bind(bot_id.clone())
                .fetch_optional(app.db.pool())
                .await
                .unwrap()?;
        let mut seen = seen.borrow_mut();
        if seen.last() != Some(&expires) {
            seen.push(expires);
        }
        (seen.len() >= 3).then_some(())
    })
    .await;
}

/// A second instance of the same bot: same token, database and simulator.
struct Standby {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn start_standby(app: &TestApp, lease_ttl: &str) -> Standby {
    let mut env = test_env(&app.sim, &app.token, &app.database_url(), app.admin);
    env.insert("BROADCAST_LEASE_TTL".into(), lease_ttl.into());
    let config = Config::from_env(&env).unwrap();
    let second = App::build(config).await.unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(second.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Standby { stop, task }
}

async fn a_standby_instance_never_polls_beside_the_first_and_takes_over_when_it_stops(
    backend: Backend,
) {
    // The shortest lease there is (1 s, renewed every 333 ms), so a few renewals
    // take about a second.
    let Some(mut first) = TestApp::spawn_with(backend, |env| {
        env.insert("BROADCAST_LEASE_TTL".into(), "1s".into());
    })
    .await
    else {
        return;
    };
    let standby = start_standby(&first, "1s").await;
    let ann = person(&first.sim, "Ann");

    // Both run for a few lease renewals.
    for text in ["/start", "/help"] {
        first.sim.send_text(&first.token, ann, UserId(ann.0), text);
    }
    first
        .sim
        .wait_for(DEADLINE, |s| (s.messages(ann).len() >= 2).then_some(()))
        .await
        .expect("answered while two instances run");
    renewed_twice(&first).await;
    let sim = first.sim.clone();
    let token = first.token.clone();
    first.stop_bot().await;
    sim.send_text(&token, ann, UserId(ann.0), "/start");

    sim.wait_for(DEADLINE, |s| (s.messages(ann).len() >= 3).then_some(()))
        .await
        .expect("the standby took over the updates");
    assert_eq!(texts(&sim, ann).len(), 3, "each update answered once");
    assert_eq!(
        sim.stats(&token).conflicts,
        0,
        "Telegram never saw two pollers"
    );
    let _ = standby.stop.send(());
    standby.task.await.unwrap().unwrap();
    first.stop().await;
}
