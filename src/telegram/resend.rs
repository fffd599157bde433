//! The resend button the broadcast's unknown-deliveries report carries: the
//! Telegram side's [`ResendOffer`], handed to the worker when the app is wired, so
//! `broadcast` never imports `telegram`.

use crate::broadcast::progress::ResendOffer;
use crate::storage::Db;
use crate::telegram::admin::confirm::{self, Pending};
use crate::vocab::{AnnouncementId, UserId};
use futures::future::BoxFuture;
use teloxide::prelude::*;

/// Offers the resend as an admin confirmation (Send / Cancel buttons).
pub struct ResendButtons {
    bot: Bot,
    db: Db,
}

impl ResendButtons {
    pub fn new(bot: Bot, db: Db) -> Self {
        Self { bot, db }
    }
}

impl ResendOffer for ResendButtons {
    fn offer(
        &self,
        admin: UserId,
        text: String,
        announcement: AnnouncementId,
        ttl: chrono::Duration,
    ) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let resend = Pending::ResendUnknown {
                announcement_id: announcement,
            };
            confirm::offer(
                &self.bot,
                &self.db,
                admin,
                admin.private_chat().into(),
                text,
                &resend,
                ttl,
            )
            .await
        })
    }
}
