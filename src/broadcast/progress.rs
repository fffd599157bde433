//! Live progress for admins: one message per admin per broadcast, edited as the
//! broadcast goes (no more than once per interval), then a final tally. This is also
//! where a broadcast with nothing left becomes `done`.

use super::pace::Pacer;
use crate::storage::{Db, Millis, StorageError};
use chrono::Utc;
use sqlx::Row;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use teloxide::prelude::*;
use teloxide::types::{MessageId, ParseMode};

/// Deliveries of one announcement by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: i64,
    pub skipped: i64,
    pub failed: i64,
    pub unknown: i64,
    pub cancelled: i64,
    pub withdrawn: i64,
    /// Pending or in flight.
    pub left: i64,
}

impl Tally {
    /// Deliveries that reached an end.
    pub fn processed(&self) -> i64 {
        self.sent + self.skipped + self.failed + self.unknown + self.cancelled + self.withdrawn
    }

    pub fn total(&self) -> i64 {
        self.processed() + self.left
    }
}

/// Counts the deliveries of an announcement by state.
pub async fn tally(db: &Db, announcement_id: i64) -> Result<Tally, StorageError> {
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n FROM deliveries WHERE announcement_id = $1 GROUP BY state",
    )
    .bind(announcement_id)
    .fetch_all(db.pool())
    .await?;
    let mut t = Tally::default();
    for r in &rows {
        let n: i64 = r.try_get("n")?;
        match r.try_get::<String, _>("state")?.as_str() {
            "sent" => t.sent += n,
            "skipped" => t.skipped += n,
            "failed" => t.failed += n,
            "unknown" => t.unknown += n,
            "cancelled" => t.cancelled += n,
            "withdrawn" => t.withdrawn += n,
            _ => t.left += n,
        }
    }
    Ok(t)
}

/// The progress text; `rate` in messages per second.
pub fn render(id: i64, state: &str, t: &Tally, rate: Option<f64>, eta: Option<Duration>) -> String {
    let head = match state {
        "done" => format!("✅ <b>Broadcast #{id} finished</b>"),
        "cancelled" => format!("⛔ <b>Broadcast #{id} cancelled</b>"),
        "paused" => format!("⏸ <b>Broadcast #{id} paused</b>"),
        _ => format!("📣 <b>Broadcast #{id} sending</b>"),
    };
    let mut lines = vec![
        head,
        format!(
            "sent {} · skipped {} · failed {} · left {} (of {})",
            t.sent,
            t.skipped,
            t.failed,
            t.left,
            t.total()
        ),
    ];
    if t.unknown > 0 {
        lines.push(format!(
            "unknown {} (in flight at a crash; not resent unless an admin asks)",
            t.unknown
        ));
    }
    if t.withdrawn > 0 || t.cancelled > 0 {
        lines.push(format!(
            "withdrawn {} · cancelled {}",
            t.withdrawn, t.cancelled
        ));
    }
    if state == "sending" {
        match (rate, eta) {
            (Some(r), Some(eta)) => lines.push(format!(
                "rate {r:.1}/s · ETA {}",
                humantime::format_duration(Duration::from_secs(eta.as_secs()))
            )),
            (Some(r), None) => lines.push(format!("rate {r:.1}/s")),
            _ => {}
        }
    }
    lines.join("\n")
}

/// The measured rate over the last half minute, and the time left at that rate.
#[derive(Debug, Default)]
struct RateMeter {
    samples: VecDeque<(Instant, i64)>,
}

impl RateMeter {
    fn observe(
        &mut self,
        now: Instant,
        processed: i64,
        left: i64,
    ) -> (Option<f64>, Option<Duration>) {
        self.samples.push_back((now, processed));
        while self
            .samples
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(30))
        {
            self.samples.pop_front();
        }
        let (t0, p0) = *self.samples.front().expect("just pushed");
        let secs = now.duration_since(t0).as_secs_f64();
        if secs < 0.5 {
            return (None, None);
        }
        let rate = (processed - p0) as f64 / secs;
        let eta = (rate > 0.0).then(|| Duration::from_secs_f64(left as f64 / rate));
        (Some(rate), eta)
    }
}

/// Keeps every admin's progress message current.
pub struct Progress {
    db: Db,
    bot: Bot,
    admin_ids: Vec<i64>,
    interval: Duration,
    pacer: Arc<Mutex<Pacer>>,
    meters: HashMap<i64, RateMeter>,
    /// Per (announcement, chat): when the message was last edited, and its text.
    shown: HashMap<(i64, i64), (Instant, String)>,
}

impl Progress {
    pub fn new(
        db: Db,
        bot: Bot,
        admin_ids: Vec<i64>,
        interval: Duration,
        pacer: Arc<Mutex<Pacer>>,
    ) -> Self {
        Self {
            db,
            bot,
            admin_ids,
            interval,
            pacer,
            meters: HashMap::new(),
            shown: HashMap::new(),
        }
    }

    /// One pass: finish broadcasts with nothing left, update every progress message.
    pub async fn tick(&mut self) -> Result<(), StorageError> {
        let rows = sqlx::query(
            "SELECT id, state, created_by FROM announcements
             WHERE state IN ('sending', 'paused')
                OR id IN (SELECT announcement_id FROM broadcast_progress WHERE final = 0)",
        )
        .fetch_all(self.db.pool())
        .await?;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let mut state: String = row.try_get("state")?;
            let created_by: Option<i64> = row.try_get("created_by")?;
            let t = tally(&self.db, id).await?;
            if state == "sending" && t.left == 0 {
                sqlx::query(
                    "UPDATE announcements SET state = 'done', finished_at = $2
                     WHERE id = $1 AND state = 'sending'
                       AND NOT EXISTS (SELECT 1 FROM deliveries
                                       WHERE announcement_id = $1 AND state IN ('pending', 'in_flight'))",
                )
                .bind(id)
                .bind(Millis::from(Utc::now()))
                .execute(self.db.pool())
                .await?;
                state = "done".into();
                tracing::info!(
                    announcement = id,
                    sent = t.sent,
                    skipped = t.skipped,
                    failed = t.failed,
                    unknown = t.unknown,
                    "broadcast finished"
                );
            }
            let (rate, eta) =
                self.meters
                    .entry(id)
                    .or_default()
                    .observe(Instant::now(), t.processed(), t.left);
            let text = render(id, &state, &t, rate, eta);
            let is_final = matches!(state.as_str(), "done" | "cancelled");
            self.show(id, created_by, &text, is_final).await?;
            if is_final {
                self.meters.remove(&id);
                self.shown.retain(|(a, _), _| *a != id);
            }
        }
        Ok(())
    }

    fn recipients(&self, created_by: Option<i64>) -> Vec<i64> {
        created_by.map_or_else(|| self.admin_ids.clone(), |admin| vec![admin])
    }

    async fn show(
        &mut self,
        id: i64,
        created_by: Option<i64>,
        text: &str,
        is_final: bool,
    ) -> Result<(), StorageError> {
        for chat in self.recipients(created_by) {
            sqlx::query(
                "INSERT INTO broadcast_progress (announcement_id, chat_id) VALUES ($1, $2)
                 ON CONFLICT (announcement_id, chat_id) DO NOTHING",
            )
            .bind(id)
            .bind(chat)
            .execute(self.db.pool())
            .await?;
        }
        let rows = sqlx::query(
            "SELECT chat_id, message_id FROM broadcast_progress WHERE announcement_id = $1 AND final = 0",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        for row in rows {
            let chat: i64 = row.try_get("chat_id")?;
            let message_id: Option<i64> = row.try_get("message_id")?;
            let now = Instant::now();
            let due = match self.shown.get(&(id, chat)) {
                Some((at, shown)) => {
                    shown != text && (is_final || now.duration_since(*at) >= self.interval)
                }
                None => true,
            };
            if !due {
                continue;
            }
            let delivered = match message_id {
                None => self.send(chat, text).await,
                Some(mid) => self.edit(chat, mid, text).await.map(|()| mid),
            };
            match delivered {
                Ok(mid) => {
                    self.shown.insert((id, chat), (now, text.to_owned()));
                    sqlx::query(
                        "UPDATE broadcast_progress SET message_id = $3, final = $4 WHERE announcement_id = $1 AND chat_id = $2",
                    )
                    .bind(id)
                    .bind(chat)
                    .bind(mid)
                    .bind(i64::from(is_final))
                    .execute(self.db.pool())
                    .await?;
                }
                // Flood control on the admin's chat: try again on the next tick.
                Err(teloxide::RequestError::RetryAfter(_)) => {}
                Err(err) => {
                    tracing::warn!(announcement = id, chat, error = %err, "could not update the progress message");
                    if is_final {
                        // An admin who never started the bot cannot get messages;
                        // don't try forever.
                        sqlx::query("UPDATE broadcast_progress SET final = 1 WHERE announcement_id = $1 AND chat_id = $2")
                            .bind(id)
                            .bind(chat)
                            .execute(self.db.pool())
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Waits for room in the bot's last-second window (see `Pacer::depart`).
    async fn depart(&self) {
        loop {
            let verdict = self
                .pacer
                .lock()
                .expect("not poisoned")
                .depart(Instant::now());
            match verdict {
                Ok(()) => return,
                Err(until) => tokio::time::sleep_until(until.into()).await,
            }
        }
    }

    async fn send(&self, chat: i64, text: &str) -> Result<i64, teloxide::RequestError> {
        let at = self
            .pacer
            .lock()
            .expect("not poisoned")
            .take_global(Instant::now());
        tokio::time::sleep_until(at.into()).await;
        self.depart().await;
        let msg = self
            .bot
            .send_message(ChatId(chat), text)
            .parse_mode(ParseMode::Html)
            .disable_notification(true)
            .await?;
        Ok(i64::from(msg.id.0))
    }

    async fn edit(
        &self,
        chat: i64,
        message_id: i64,
        text: &str,
    ) -> Result<(), teloxide::RequestError> {
        let at = self
            .pacer
            .lock()
            .expect("not poisoned")
            .take_global(Instant::now());
        tokio::time::sleep_until(at.into()).await;
        self.depart().await;
        let id = MessageId(i32::try_from(message_id).unwrap_or(i32::MAX));
        match self
            .bot
            .edit_message_text(ChatId(chat), id, text)
            .parse_mode(ParseMode::Html)
            .await
        {
            Ok(_) | Err(teloxide::RequestError::Api(teloxide::ApiError::MessageNotModified)) => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Tells the admins about deliveries a crash left unknown.
    pub async fn report_unknown(&self, counts: &[(i64, i64)]) -> Result<(), StorageError> {
        for &(id, n) in counts {
            tracing::warn!(
                announcement = id,
                unknown = n,
                "deliveries were in flight when the sender stopped; marked unknown, not resent"
            );
            let created_by: Option<i64> =
                sqlx::query("SELECT created_by FROM announcements WHERE id = $1")
                    .bind(id)
                    .fetch_optional(self.db.pool())
                    .await?
                    .map(|r| r.try_get("created_by"))
                    .transpose()?
                    .flatten();
            let text = format!(
                "⚠️ <b>Broadcast #{id}</b>: {n} deliveries were in flight when the sender stopped. \
                 Telegram may or may not have posted them, so they are marked unknown and will \
                 not be sent again unless an admin asks to resend them."
            );
            for chat in self.recipients(created_by) {
                if let Err(err) = self.send(chat, &text).await {
                    tracing::warn!(chat, error = %err, "could not report unknown deliveries");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_counts_rate_and_eta_while_sending() {
        let t = Tally {
            sent: 90,
            skipped: 5,
            failed: 1,
            left: 904,
            ..Tally::default()
        };
        let text = render(7, "sending", &t, Some(30.0), Some(Duration::from_secs(30)));
        assert!(text.contains("Broadcast #7 sending"), "{text}");
        assert!(
            text.contains("sent 90 · skipped 5 · failed 1 · left 904 (of 1000)"),
            "{text}"
        );
        assert!(text.contains("rate 30.0/s · ETA 30s"), "{text}");
    }

    #[test]
    fn the_final_tally_has_no_rate_and_mentions_unknown_deliveries() {
        let t = Tally {
            sent: 10,
            unknown: 2,
            ..Tally::default()
        };
        let text = render(3, "done", &t, Some(1.0), None);
        assert!(text.contains("finished"));
        assert!(text.contains("unknown 2"));
        assert!(!text.contains("rate"));
    }

    #[test]
    fn the_rate_is_measured_over_recent_samples() {
        let mut m = RateMeter::default();
        let t0 = Instant::now();
        assert_eq!(m.observe(t0, 0, 100), (None, None));
        let (rate, eta) = m.observe(t0 + Duration::from_secs(2), 60, 40);
        assert_eq!(rate, Some(30.0));
        assert_eq!(eta.map(|d| d.as_secs()), Some(1));
    }
}
