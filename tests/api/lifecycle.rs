//! Announcements' lifecycle, one writer per transition: a draft the watcher held
//! leaves the draft state only by the watcher's own release (so its `Released`
//! event fires), never by the sender starting broadcasts; a broadcast becomes
//! `done` only through its owner, which says whether it did.

use crate::helpers::{FakeCounter, TestDatabase, announcement, queue_announcement, t};
use chrono::Utc;
use milestone_bot::broadcast::queue;
use milestone_bot::config::{MilestonesConfig, parse_rules};
use milestone_bot::milestones::watcher::{Applied, MilestoneEvent, WatchedMetric, Watcher};
use milestone_bot::storage::announcements::{self, AnnouncementState, Transition};
use milestone_bot::storage::chats::{self, ChatKind, NewChat};
use milestone_bot::storage::deliveries::{self, Finish};
use milestone_bot::storage::{Backend, Db};
use milestone_bot::vocab::{AnnouncementId, MetricName};

crate::on_every_backend!(
    a_held_draft_past_its_release_time_is_released_by_the_watcher_alone_and_its_event_fires,
    a_broadcast_is_done_only_from_sending_once_drained_and_the_owner_says_when,
);

const M: u64 = 1_000_000;

async fn state(db: &Db, id: impl Into<AnnouncementId>) -> AnnouncementState {
    announcements::status(db, id.into())
        .await
        .unwrap()
        .unwrap()
        .state
}

async fn a_held_draft_past_its_release_time_is_released_by_the_watcher_alone_and_its_event_fires(
    backend: Backend,
) {
    milestone_bot::telemetry::init_with_default("warn");
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    let counter = FakeCounter::default();
    let mut config = MilestonesConfig {
        default_rules: parse_rules("mau=every 100M").unwrap(),
        ..MilestonesConfig::default()
    };
    config.release.min_gap = Some(std::time::Duration::from_secs(24 * 3600));
    let metric = WatchedMetric {
        name: MetricName::parse("mau").unwrap(),
        label: "monthly active users".into(),
    };
    let watcher = Watcher::new(db.clone(), counter.clone(), vec![metric], config);
    watcher.seed_rules().await.unwrap();
    counter.set("mau", 150 * M);
    watcher.tick(t(0)).await;
    counter.set("mau", 210 * M);
    watcher.tick(t(5)).await;
    counter.set("mau", 310 * M);
    let held = match watcher.tick(t(65)).await.applied("mau") {
        Some(Applied::Announced {
            announcement_id: Some(id),
            release_at,
            ..
        }) => {
            assert_eq!(*release_at, Some(t(5 + 24 * 60)));
            *id
        }
        other => panic!("expected a held draft, got {other:?}"),
    };
    let mut events = watcher.subscribe();

    queue::start_queued(&db).await.unwrap();
    let after_the_sender = state(&db, held).await;
    let released = watcher.tick(t(5 + 24 * 60)).await.released;
    let after_the_watcher = state(&db, held).await;
    queue::start_queued(&db).await.unwrap();
    let after_the_sender_again = state(&db, held).await;

    assert_eq!(after_the_sender, AnnouncementState::Draft);
    assert_eq!(released, [held]);
    assert_eq!(after_the_watcher, AnnouncementState::Queued);
    assert_eq!(after_the_sender_again, AnnouncementState::Sending);
    let mut fired = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let MilestoneEvent::Released { announcement_id } = event {
            fired.push(announcement_id);
        }
    }
    assert_eq!(fired, [held]);
    db.close().await;
    database.drop_now().await;
}

async fn a_broadcast_is_done_only_from_sending_once_drained_and_the_owner_says_when(
    backend: Backend,
) {
    milestone_bot::telemetry::init_with_default("warn");
    let Some(database) = TestDatabase::new(backend).await else {
        return;
    };
    let db = Db::connect_and_migrate(database.url()).await.unwrap();
    for i in 0..2 {
        let chat = NewChat {
            id: (-100_000 - i).into(),
            kind: ChatKind::Channel,
            title: None,
            username: None,
        };
        chats::subscribe(&db, &chat, Utc::now()).await.unwrap();
    }
    let id = AnnouncementId(queue_announcement(&db, announcement("Hi", None, None)).await);

    let while_queued = announcements::finish_if_drained(&db, id).await.unwrap();
    queue::start_queued(&db).await.unwrap();
    let while_pending = announcements::finish_if_drained(&db, id).await.unwrap();
    for job in deliveries::claim(&db, 10).await.unwrap() {
        let posted = Finish::Posted {
            message_id: 1,
            then: None,
        };
        assert!(queue::finish(&db, &job, &posted).await.unwrap());
    }
    let drained = announcements::finish_if_drained(&db, id).await.unwrap();
    let again = announcements::finish_if_drained(&db, id).await.unwrap();
    use AnnouncementState::{Paused, Queued, Sending};
    let pause_done = announcements::transition(&db, id, &[Queued, Sending], Paused)
        .await
        .unwrap();
    let pause_missing = announcements::transition(&db, AnnouncementId(-1), &[Sending], Paused)
        .await
        .unwrap();

    assert!(!while_queued && !while_pending);
    assert!(drained && !again);
    assert_eq!(state(&db, id.get()).await, AnnouncementState::Done);
    assert!(
        matches!(pause_done, Transition::Refused(s) if s.state == AnnouncementState::Done),
        "{pause_done:?}"
    );
    assert_eq!(pause_missing, Transition::Missing);
    db.close().await;
    database.drop_now().await;
}
