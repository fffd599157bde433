//! Tells admins what the milestone watcher did: a draft waiting for approval, an
//! announcement queued, a draft released. The broadcast's own progress message
//! follows for anything that is sent.

use crate::milestones::release::HeldBecause;
use crate::milestones::watcher::MilestoneEvent;
use crate::text::html::escape_html;
use crate::text::number::format_short;
use teloxide::prelude::*;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio_util::sync::CancellationToken;

/// The admin-facing line for an event; `None` for events the progress message covers.
pub fn describe(event: &MilestoneEvent) -> Option<String> {
    match event {
        MilestoneEvent::Drafted {
            metric,
            milestone,
            announcement_id,
            release_at,
            held,
        } => {
            let why = match held {
                HeldBecause::Approval => "waits for your approval",
                HeldBecause::MinGap => "is held by the minimum gap between announcements",
            };
            let when = release_at
                .map(|at| {
                    format!(
                        " It goes out by itself at {} UTC.",
                        at.format("%Y-%m-%d %H:%M")
                    )
                })
                .unwrap_or_default();
            Some(format!(
                "🏁 <b>{} {}</b> reached. Announcement #{announcement_id} {why}: \
                 <code>/milestone preview {} {}</code>, then <code>/milestone approve {announcement_id}</code>.{when}",
                format_short(*milestone),
                escape_html(metric.as_str()),
                escape_html(metric.as_str()),
                milestone
            ))
        }
        MilestoneEvent::Announced { .. } | MilestoneEvent::Released { .. } => None,
    }
}

/// Forwards watcher events to every configured admin until `stop`.
pub async fn run(
    bot: Bot,
    admin_ids: Vec<crate::vocab::UserId>,
    mut events: Receiver<MilestoneEvent>,
    stop: CancellationToken,
) {
    loop {
        let event = tokio::select! {
            () = stop.cancelled() => return,
            event = events.recv() => event,
        };
        let event = match event {
            Ok(event) => event,
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "admin notifications fell behind; some were skipped");
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let Some(text) = describe(&event) else {
            continue;
        };
        for admin in &admin_ids {
            let chat = admin.private_chat().into();
            if let Err(err) = super::reply_html(&bot, chat, text.clone()).await {
                tracing::warn!(admin = %crate::privacy::User(*admin), error = %err, "could not notify an admin");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::AnnouncementId;

    #[test]
    fn a_draft_waiting_for_approval_tells_admins_how_to_approve_it() {
        let event = MilestoneEvent::Drafted {
            metric: crate::vocab::MetricName::parse("mau").unwrap(),
            milestone: 200_000_000,
            announcement_id: AnnouncementId(7),
            release_at: None,
            held: HeldBecause::Approval,
        };
        let text = describe(&event).unwrap();
        assert!(
            text.contains("200M mau") && text.contains("/milestone approve 7"),
            "{text}"
        );
        assert!(!text.contains("by itself"));
    }

    #[test]
    fn queued_announcements_are_left_to_the_progress_message() {
        let event = MilestoneEvent::Announced {
            metric: crate::vocab::MetricName::parse("mau").unwrap(),
            milestone: 1,
            announcement_id: AnnouncementId(1),
        };
        assert_eq!(describe(&event), None);
    }
}
