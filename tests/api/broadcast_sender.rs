//! The sender never dies silently: an error at start-up or in its loop is retried
//! with backoff and shown by `GET /health` and `/milestone status`; whoever
//! (re)takes the sender lease recovers what was left in flight first; an outcome
//! that cannot be written is retried, not dropped.

use crate::broadcast::{LONG, channel, spawn, test_worker};
use crate::helpers::{
    DEADLINE, TestApp, announcement, delivery, eventually, queue_announcement, subscribed_chats,
    wait_for_state,
};
use milestone_bot::broadcast::{SenderState, ops};
use milestone_bot::storage::Backend;
use std::time::Duration;
use telegram_sim::ChatId;
use tokio_util::sync::CancellationToken;

crate::on_every_backend!(
    a_sender_failing_at_start_up_says_why_keeps_retrying_and_recovers,
    health_and_status_say_the_sender_is_not_running_and_why_until_it_recovers,
    a_sender_that_takes_the_lease_back_recovers_what_another_left_in_flight,
    an_outcome_that_cannot_be_written_is_retried_until_it_is,
);

async fn execute(app: &TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(app.db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn mark_in_flight(app: &TestApp, id: i64, chats: &[ChatId]) {
    for chat in chats {
        sqlx::query(
            "UPDATE deliveries SET state = 'in_flight', claim = 999 WHERE announcement_id = $1 AND chat_id = $2",
        )
        .bind(id)
        .bind(chat.0)
        .execute(app.db.pool())
        .await
        .unwrap();
    }
}

async fn a_sender_failing_at_start_up_says_why_keeps_retrying_and_recovers(backend: Backend) {
    let Some(app) = spawn(backend, &[("BROADCAST_WORKER", "false")]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 4).await;
    let id = queue_announcement(&app.db, announcement("Hello", None, None)).await;
    mark_in_flight(&app, id, &chats[..1]).await;
    // The in-flight recovery cannot read its table.
    execute(&app, "ALTER TABLE deliveries RENAME TO deliveries_away").await;

    let worker = test_worker(&app, &app.token);
    let status = worker.status();
    let stop = CancellationToken::new();
    let task = tokio::spawn(worker.run(stop.clone()));
    let why = eventually("the failure is visible", || async {
        let report = status.get();
        (report.state == SenderState::Failing).then_some(report)
    })
    .await;
    assert!(!why.running);
    assert!(
        why.error
            .as_deref()
            .unwrap()
            .contains("recovering deliveries"),
        "{why:?}"
    );
    assert!(!task.is_finished(), "the sender does not give up");

    execute(&app, "ALTER TABLE deliveries_away RENAME TO deliveries").await;
    wait_for_state(&app.db, id, "done", LONG).await;

    assert_eq!(delivery(&app.db, id, chats[0].0).await.0, "unknown");
    for chat in &chats[1..] {
        assert_eq!(app.sim.messages(*chat).len(), 1);
    }
    assert_eq!(status.get().state, SenderState::Running);
    stop.cancel();
    task.await.unwrap().unwrap();
    assert_eq!(status.get().state, SenderState::Stopped);
    app.stop().await;
}

async fn health(app: &TestApp) -> serde_json::Value {
    reqwest::get(format!("http://{}/health", app.http_addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn admin_status(app: &TestApp) -> String {
    let chat = ChatId(app.admin.0);
    let before = app.sim.messages(chat).len();
    app.send_text(chat, app.admin, "/milestone status").await;
    app.sim
        .wait_for(DEADLINE, |sim| {
            sim.messages(chat)
                .into_iter()
                .skip(before)
                .filter_map(|m| m.text)
                .find(|t| t.contains("<b>Status</b>"))
        })
        .await
        .expect("a status reply")
}

async fn health_and_status_say_the_sender_is_not_running_and_why_until_it_recovers(
    backend: Backend,
) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 2).await;
    eventually("the sender runs", || async {
        (health(&app).await["sender"]["running"] == true).then_some(())
    })
    .await;
    assert!(
        admin_status(&app)
            .await
            .contains("Broadcast sender:</b> running")
    );

    execute(&app, "ALTER TABLE deliveries RENAME TO deliveries_away").await;
    let body = eventually("/health says why", || async {
        let body = health(&app).await;
        (body["sender"]["state"] == "failing").then_some(body)
    })
    .await;
    // Not ready (an orchestrator stops routing to it), but alive.
    assert_eq!(body["status"], "not ready");
    assert!(
        body["not_ready"]["sender"]
            .as_str()
            .is_some_and(|e| e.contains("claiming deliveries failed")),
        "{body}"
    );
    let alive = reqwest::get(format!("http://{}/healthz", app.http_addr))
        .await
        .unwrap()
        .status();
    assert_eq!(alive, 200, "the bot itself still serves");
    assert_eq!(body["sender"]["running"], false);
    let error = body["sender"]["error"].as_str().unwrap();
    assert!(error.contains("claiming deliveries failed"), "{body}");
    assert!(!error.contains(&app.token), "no token in {body}");
    let status = admin_status(&app).await;
    assert!(status.contains("NOT RUNNING since"), "{status}");
    assert!(status.contains("claiming deliveries failed"), "{status}");

    execute(&app, "ALTER TABLE deliveries_away RENAME TO deliveries").await;
    let id = queue_announcement(&app.db, announcement("Back", None, None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;
    for chat in &chats {
        assert_eq!(app.sim.messages(*chat).len(), 1);
    }
    let back = health(&app).await;
    assert_eq!(back["sender"]["state"], "running");
    assert_eq!(back["status"], "ok", "ready again: {back}");
    app.stop().await;
}

async fn a_sender_that_takes_the_lease_back_recovers_what_another_left_in_flight(backend: Backend) {
    let Some(app) = spawn(backend, &[("BROADCAST_WORKER", "false")]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 4).await;
    let worker = test_worker(&app, &app.token);
    let status = worker.status();
    let stop = CancellationToken::new();
    let task = tokio::spawn(worker.run(stop.clone()));
    eventually("it is the sender", || async {
        (status.get().state == SenderState::Running).then_some(())
    })
    .await;

    // Another instance takes the lease over (this one stands by), starts sending and
    // dies with two sends on the wire.
    let far = chrono::Utc::now().timestamp_millis() + 600_000;
    execute(
        &app,
        &format!("UPDATE broadcast_leases SET holder = 'other:1:0', expires_at = {far}"),
    )
    .await;
    eventually("it stands by", || async {
        (status.get().state == SenderState::Standby).then_some(())
    })
    .await;
    let id = queue_announcement(&app.db, announcement("Once", None, None)).await;
    mark_in_flight(&app, id, &chats[..2]).await;
    execute(&app, "UPDATE broadcast_leases SET expires_at = 0").await;

    wait_for_state(&app.db, id, "done", LONG).await;
    for chat in &chats[..2] {
        assert_eq!(delivery(&app.db, id, chat.0).await.0, "unknown");
        assert!(app.sim.messages(*chat).is_empty(), "never sent twice");
    }
    for chat in &chats[2..] {
        assert_eq!(app.sim.messages(*chat).len(), 1);
    }
    stop.cancel();
    task.await.unwrap().unwrap();
    app.stop().await;
}

async fn an_outcome_that_cannot_be_written_is_retried_until_it_is(backend: Backend) {
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 2).await;
    // The database refuses to record a delivery as sent, for a while.
    let (install, remove) = match backend {
        Backend::Sqlite => (
            vec![
                "CREATE TRIGGER refuse_sent BEFORE UPDATE OF state ON deliveries \
                 WHEN NEW.state = 'sent' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END",
            ],
            vec!["DROP TRIGGER refuse_sent"],
        ),
        Backend::Postgres => (
            vec![
                "CREATE FUNCTION refuse_sent() RETURNS trigger AS $body$ BEGIN \
                 IF NEW.state = 'sent' THEN RAISE EXCEPTION 'disk on fire'; END IF; \
                 RETURN NEW; END $body$ LANGUAGE plpgsql",
                "CREATE TRIGGER refuse_sent BEFORE UPDATE ON deliveries \
                 FOR EACH ROW EXECUTE FUNCTION refuse_sent()",
            ],
            vec!["DROP TRIGGER refuse_sent ON deliveries"],
        ),
    };
    for sql in install {
        execute(&app, sql).await;
    }
    let id = queue_announcement(&app.db, announcement("Keep me", None, None)).await;
    for chat in &chats {
        app.sim
            .wait_for(DEADLINE, |sim| {
                (!sim.messages(*chat).is_empty()).then_some(())
            })
            .await
            .expect("posted");
    }
    let body = eventually("the stuck write is visible", || async {
        let body = health(&app).await;
        (body["sender"]["state"] == "failing").then_some(body)
    })
    .await;
    assert!(
        body["sender"]["error"]
            .as_str()
            .unwrap()
            .contains("could not record a delivery's outcome"),
        "{body}"
    );
    // Arrange, not wait: the refusal lasts a while longer, so the write is retried
    // while it still fails (the sender's backoff starts at 100 ms) and not only once
    // the trigger is gone. No event to wait for: a refused write leaves no trace
    // outside the sender, whose status already says failing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for sql in remove {
        execute(&app, sql).await;
    }

    wait_for_state(&app.db, id, "done", LONG).await;
    for chat in &chats {
        assert_eq!(delivery(&app.db, id, chat.0).await.0, "sent");
        assert_eq!(app.sim.messages(*chat).len(), 1, "posted once");
    }
    assert_eq!(ops::status(&app.db, id.into()).await.unwrap().1.unknown, 0);
    app.stop().await;
}
