//! Pace under faults: a failed send waits out its backoff in the queue, holding no
//! send slot, and goes again as soon as it may, ahead of the backlog, so its wait
//! overlaps the rest of the broadcast instead of trailing after it.

use crate::broadcast::{LONG, channel, delivered, spawn_on};
use crate::helpers::Clock;
use crate::helpers::{
    announcement, delivery, queue_announcement, subscribed_chats, wait_for_state,
};
use milestone_bot::storage::Backend;
use telegram_sim::Fault;

crate::on_every_backend!(a_failed_send_is_retried_ahead_of_the_backlog,);

async fn a_failed_send_is_retried_ahead_of_the_backlog(backend: Backend) {
    let Some(app) = spawn_on(Clock::Telegram, backend, &[("BROADCAST_RATE", "10")]).await else {
        return;
    };
    // Six seconds of work; the first chat's first send is answered 500, the second
    // chat's connection is closed without an answer.
    let chats = subscribed_chats(&app.sim, &app.db, channel(), 60).await;
    app.sim.fail_next(chats[0], 1, Fault::ServerError);
    app.sim.fail_next(chats[1], 1, Fault::Drop);

    let id = queue_announcement(&app.db, announcement("Go", None, None)).await;
    wait_for_state(&app.db, id, "done", LONG).await;

    let order: Vec<_> = delivered(&app.sim, app.admin)
        .into_iter()
        .map(|m| m.chat_id)
        .collect();
    assert_eq!(order.len(), 60);
    for chat in &chats[..2] {
        let place = order.iter().position(|c| c == chat).unwrap();
        assert!(
            place < 30,
            "retried a second later, not after the other {} chats: #{place}",
            order.len() - 1
        );
        let (state, _, attempts, ..) = delivery(&app.db, id, chat.0).await;
        assert_eq!((state.as_str(), attempts), ("sent", 1));
    }
    app.stop().await;
}
