//! One sender per bot token across instances: a lease row with an expiry.
//!
//! Telegram's limits are per bot, so two processes sending for one token would
//! share (and break) one pace. The holder renews its lease well before it expires;
//! an instance that finds the lease expired takes it over, which is how a crashed
//! sender's work resumes elsewhere. A holder that cannot renew in time stops
//! claiming work before anyone else may take over. The row is `storage::leases`'s.

use crate::storage::{Db, Millis, StorageError, leases};
use chrono::Utc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// This process's claim on the sender role for one bot.
#[derive(Debug)]
pub struct Lease {
    db: Db,
    /// The token's numeric prefix: the scope of Telegram's limits, safe to store.
    bot_id: String,
    /// Who we are in the lease table: host, pid and a random part.
    holder: String,
    ttl: Duration,
    /// Until when we may act as the sender by our own clock (renewal time + ttl,
    /// less a margin for clock and query delays).
    valid_until: Mutex<Option<Instant>>,
    /// Bumped each time we take the lease after not holding it (first start, or
    /// after it lapsed): the holder must then recover what was left in flight.
    generation: AtomicU64,
}

impl Lease {
    pub fn new(db: Db, bot_id: &str, ttl: Duration) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
        let holder = format!(
            "{host}:{}:{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        Self {
            db,
            bot_id: bot_id.to_owned(),
            holder,
            ttl,
            valid_until: Mutex::new(None),
            generation: AtomicU64::new(0),
        }
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Takes the lease if it is free, expired or already ours, and extends it.
    /// Returns whether we hold it now.
    pub async fn acquire_or_renew(&self) -> Result<bool, StorageError> {
        let started = Instant::now();
        let now = Millis::from(Utc::now());
        let expires = now + self.ttl.as_millis() as i64;
        let held = leases::take(&self.db, &self.bot_id, &self.holder, expires, now).await?;
        let mut valid = self.valid_until.lock().expect("not poisoned");
        let was_valid = valid.is_some_and(|until| Instant::now() < until);
        if held && !was_valid {
            // Someone else may have held it meanwhile and left rows in flight.
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        *valid = held.then(|| started + self.ttl.mul_f64(0.8));
        Ok(held)
    }

    /// Changes each time this instance (re)takes the lease; see [`Lease`]'s field.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Whether we may still act as the sender.
    pub fn is_valid(&self) -> bool {
        self.valid_until
            .lock()
            .expect("not poisoned")
            .is_some_and(|until| Instant::now() < until)
    }

    /// How often to renew: a third of the lease, so two renewals may fail in a row.
    pub fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    /// Gives the lease up at a clean shutdown, so another instance need not wait.
    pub async fn release(&self) {
        *self.valid_until.lock().expect("not poisoned") = None;
        if let Err(err) = leases::give_up(&self.db, &self.bot_id, &self.holder).await {
            tracing::warn!(error = %err, "could not release the sender lease; it expires by itself");
        }
    }
}
