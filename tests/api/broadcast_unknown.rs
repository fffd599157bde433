//! Never post twice: a send whose request was written but whose answer never came
//! may have been posted, so it is never sent again by itself. It is reported to the
//! admins, with a button to resend it; its thank-you note waits with it.

use crate::broadcast::{LONG, channel, spawn};
use crate::helpers::{
    announcement, delivery, queue_announcement, subscribed_chats, wait_for_state,
};
use milestone_bot::broadcast::ops;
use milestone_bot::storage::Backend;
use telegram_sim::{ChatId, Fault, SentMessage};

crate::on_every_backend!(
    a_send_answered_after_the_timeout_is_posted_once_reported_and_resent_only_on_request,
);

async fn a_send_answered_after_the_timeout_is_posted_once_reported_and_resent_only_on_request(
    backend: Backend,
) {
    // BROADCAST_REQUEST_TIMEOUT is 2s in tests; Telegram answers after 3s.
    let Some(app) = spawn(backend, &[]).await else {
        return;
    };
    let admin = ChatId(app.admin.0);
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 3).await;
    app.sim
        .fail_next(chats[1], 1, Fault::LateAnswer { ms: 3_000 });

    let id = queue_announcement(
        &app.db,
        announcement("Big news", Some("Thanks"), Some(app.admin.0)),
    )
    .await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let late = app.sim.messages(chats[1]);
    assert_eq!(late.len(), 1, "posted exactly once, no note: {late:?}");
    assert_eq!(late[0].text.as_deref(), Some("Big news"));
    let (state, step, ..) = delivery(&app.db, id, chats[1].0).await;
    assert_eq!(
        (state.as_str(), step.as_str()),
        ("unknown", "announce"),
        "the note waits with it"
    );
    for chat in [chats[0], chats[2]] {
        assert_eq!(app.sim.messages(chat).len(), 2);
    }
    let report = app
        .sim
        .wait_for(crate::helpers::DEADLINE, move |sim| {
            sim.messages(admin).into_iter().find(|m| {
                m.text
                    .as_deref()
                    .is_some_and(|t| t.contains("unknown outcome"))
            })
        })
        .await
        .expect("the admins are told");
    let text = report.text.clone().unwrap();
    assert!(text.contains("1 delivery of unknown outcome"), "{text}");
    assert!(text.contains(&format!("chat {}", chats[1].0)), "{text}");

    let press = app.sim.press_button(
        &app.token,
        admin,
        report.message_id,
        app.admin,
        &button(&report, "Send"),
    );
    app.sim
        .wait_for(crate::helpers::DEADLINE, |sim| {
            sim.callback_answers()
                .into_iter()
                .find(|a| a.callback_query_id == press)
        })
        .await
        .expect("the press is answered");
    let resent = app
        .sim
        .wait_for(LONG, |sim| {
            Some(sim.messages(chats[1])).filter(|m| m.len() == 3)
        })
        .await
        .expect("resent on request, then its note");
    assert_eq!(resent[2].text.as_deref(), Some("Thanks"));
    wait_for_state(&app.db, id, "done", LONG).await;
    assert_eq!(delivery(&app.db, id, chats[1].0).await.0, "sent");
    assert_eq!(ops::status(&app.db, id.into()).await.unwrap().1.unknown, 0);
    app.stop().await;
}

fn button(msg: &SentMessage, label: &str) -> String {
    let markup = msg.reply_markup.as_ref().expect("buttons");
    markup["inline_keyboard"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row.as_array().cloned().unwrap_or_default())
        .find(|b| b["text"] == label)
        .and_then(|b| b["callback_data"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {label} button in {markup}"))
}
