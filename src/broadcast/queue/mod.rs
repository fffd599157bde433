//! The delivery queue as the sender sees it: due deliveries claimed (in flight
//! before any request), their outcomes recorded, each following its announcement,
//! and what to post loaded. The SQL is the owners': `storage::deliveries` for the
//! rows, `storage::announcements` for their broadcast's state and content.

mod finish;
mod follow;

pub use finish::finish;
pub use follow::{follow_announcement, may_post};

pub use crate::storage::announcements::{save_file_id, start_queued};
pub use crate::storage::deliveries::{
    Finish, Job, Step, claim, next_due, pending_count, recover_in_flight,
};

use super::send::{Content, Media, PostOptions, StoredOptions};
use crate::config::BroadcastConfig;
use crate::storage::announcements;
use crate::storage::{Db, StorageError};
use crate::vocab::AnnouncementId;
use std::sync::Mutex;

/// Loads what to post for an announcement; defaults come from the configuration.
pub async fn load_content(
    db: &Db,
    announcement_id: AnnouncementId,
    config: &BroadcastConfig,
) -> Result<Content, StorageError> {
    let row = announcements::stored_content(db, announcement_id).await?;
    let stored: StoredOptions = serde_json::from_str(&row.options).unwrap_or_default();
    let media = row.media.map(|(kind, source)| Media {
        kind,
        source,
        file_id: Mutex::new(row.media_file_id),
        upload: None,
    });
    Ok(Content {
        announce_text: row.announce_text,
        thanks_text: row.thanks_text,
        media,
        options: PostOptions {
            silent: stored.silent.unwrap_or(config.silent),
            pin: stored.pin.unwrap_or(config.pin),
            link_preview: stored.link_preview.unwrap_or(true),
            paid: config.paid,
        },
    })
}
