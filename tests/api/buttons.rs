//! Buttons mean what they say (issue 14, point 2): `/milestone approve` releases
//! only drafts the watcher held; a draft behind Send / Cancel leaves only by its
//! buttons, and Cancel, expiry, an unsent question or an admin removed since the
//! question cancel it for good.

use crate::baseline::{ask, press};
use crate::helpers::{TestApp, channels_with_the_bot};
use milestone_bot::storage::Backend;
use telegram_sim::{ChatId, ChatKind, Fault, UserId};

crate::on_every_backend!(
    approve_releases_only_drafts_the_watcher_held,
    a_draft_whose_send_button_expired_unpressed_is_cancelled_by_the_watcher,
    a_draft_whose_confirmation_could_not_be_sent_is_cancelled_not_approvable,
    a_press_by_an_admin_removed_since_the_question_starts_nothing,
);

/// The states of every announcement, by id.
async fn states(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT state FROM announcements ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

fn text(msg: &telegram_sim::SentMessage) -> String {
    msg.text.clone().unwrap_or_default()
}

async fn approve_releases_only_drafts_the_watcher_held(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];
    let preview = ask(&app, "/milestone thanks Thank you!").await;
    assert!(text(&preview).contains("thank-you note #1"), "{preview:?}");

    let approve_draft = text(&ask(&app, "/milestone approve 1").await);
    let before_cancel = states(&app).await;
    let cancelled = press(&app, &preview, "Cancel", app.admin).await;
    let approve_cancelled = text(&ask(&app, "/milestone approve 1").await);
    let send_after_cancel = press(&app, &preview, "Send", app.admin).await;

    assert!(
        approve_draft.contains("waits for its own Send button"),
        "{approve_draft}"
    );
    assert_eq!(before_cancel, ["draft"], "approve released nothing");
    assert_eq!(cancelled, "Cancelled.");
    assert!(
        approve_cancelled.contains("was cancelled; it cannot be approved"),
        "{approve_cancelled}"
    );
    assert_eq!(send_after_cancel, "Already done.");
    assert_eq!(states(&app).await, ["cancelled"]);
    assert!(app.sim.messages(channel).is_empty(), "nothing was sent");
    app.stop().await;
}

async fn a_draft_whose_send_button_expired_unpressed_is_cancelled_by_the_watcher(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    ask(&app, "/milestone thanks Thank you!").await;

    let now = milestone_bot::milestones::release::cancel_expired(&app.db, chrono::Utc::now())
        .await
        .unwrap();
    let later = milestone_bot::milestones::release::cancel_expired(
        &app.db,
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    let approve = text(&ask(&app, "/milestone approve 1").await);

    assert!(now.is_empty(), "a live button keeps its draft");
    assert_eq!(
        later,
        [milestone_bot::vocab::AnnouncementId(1)],
        "CONFIRM_TTL (10 minutes) has passed an hour later"
    );
    assert_eq!(states(&app).await, ["cancelled"]);
    assert!(approve.contains("cannot be approved"), "{approve}");
    app.stop().await;
}

async fn a_draft_whose_confirmation_could_not_be_sent_is_cancelled_not_approvable(
    backend: Backend,
) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];
    let admin_chat = ChatId(app.admin.0);
    app.sim.fail_next(
        admin_chat,
        1,
        Fault::Api {
            code: 400,
            description: "Bad Request: message is too long".into(),
        },
    );

    let failed = text(&ask(&app, "/milestone thanks Thank you!").await);
    let approve = text(&ask(&app, "/milestone approve 1").await);

    assert!(failed.contains("Something went wrong"), "{failed}");
    assert_eq!(states(&app).await, ["cancelled"]);
    assert!(approve.contains("cannot be approved"), "{approve}");
    assert!(app.sim.messages(channel).is_empty(), "nothing was sent");
    app.stop().await;
}

async fn a_press_by_an_admin_removed_since_the_question_starts_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let channel = channels_with_the_bot(&app, 1).await[0];
    let helper = app.sim.create_chat(
        ChatKind::Private {
            first_name: "Hal".into(),
            username: None,
        },
        "Hal",
    );
    ask(&app, &format!("/milestone admins add {}", helper.0)).await;
    let before = app.sim.messages(helper).len();
    app.sim.send_text(
        &app.token,
        helper,
        UserId(helper.0),
        "/milestone thanks Hi!",
    );
    let preview = app
        .sim
        .wait_for(crate::helpers::DEADLINE, |sim| {
            sim.messages(helper).into_iter().nth(before)
        })
        .await
        .expect("the helper is asked to confirm");
    ask(&app, &format!("/milestone admins remove {}", helper.0)).await;

    let send = preview_press(&app, helper, &preview).await;

    assert!(send.contains("no longer an admin"), "{send}");
    assert_eq!(states(&app).await, ["cancelled"]);
    assert!(app.sim.messages(channel).is_empty(), "nothing was sent");
    app.stop().await;
}

/// Presses Send under `preview` in `chat` as that chat's user; the bot's answer.
async fn preview_press(app: &TestApp, chat: ChatId, preview: &telegram_sim::SentMessage) -> String {
    let id = app.sim.press_button(
        &app.token,
        chat,
        preview.message_id,
        UserId(chat.0),
        &crate::baseline::button(preview, "Send"),
    );
    app.sim
        .wait_for(crate::helpers::DEADLINE, move |sim| {
            sim.callback_answers()
                .into_iter()
                .find(|a| a.callback_query_id == id)
                .map(|a| a.text.unwrap_or_default())
        })
        .await
        .expect("the press is answered")
}
