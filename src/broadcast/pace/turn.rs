//! Waiting one's turn on the bot's one [`Pacer`], in `tokio::time`: a delivery waits
//! for its slot into its chat, then for room in the last second's window; a call that
//! is not a delivery (an admin's progress message) takes a global slot the same way.
//! The sender's tasks and the progress messages share these waits, so tests drive
//! them with paused time.

use super::{Pacer, Slot};
use crate::vocab::ChatId;
use std::sync::{Mutex, MutexGuard};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

/// Why a wait ended without a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoTurn {
    /// The chat is not ready before this moment: the delivery goes back until then.
    Defer(Instant),
    /// The sender was stopped at this moment, while the delivery waited.
    Stopped(Instant),
}

/// Waits for a delivery's turn into `chat`: its slot, then room in the window. A 429
/// that arrives meanwhile voids the slot, and a new one is taken.
pub async fn delivery(
    pacer: &Mutex<Pacer>,
    chat: ChatId,
    is_group: bool,
    stop: &CancellationToken,
) -> Result<(), NoTurn> {
    loop {
        let (slot, epoch) = {
            let mut pacer = lock(pacer);
            (
                pacer.schedule(chat, is_group, Instant::now()),
                pacer.epoch(),
            )
        };
        let at = match slot {
            Slot::Defer(until) => return Err(NoTurn::Defer(until)),
            Slot::At(at) => at,
        };
        wait_until(at, stop).await?;
        // A 429 arrived while we waited: our slot is void, take a new one.
        if lock(pacer).epoch() != epoch {
            continue;
        }
        return depart(pacer, stop).await;
    }
}

/// Waits for a global slot and room in the window for a call that is not a delivery:
/// admin messages count against the bot's pace like any other.
pub async fn call(pacer: &Mutex<Pacer>) {
    let at = lock(pacer).take_global(Instant::now());
    sleep_until(at).await;
    // No one cancels this token: a progress message, once due, is not cut short.
    let never = CancellationToken::new();
    let departed = depart(pacer, &never).await;
    debug_assert!(departed.is_ok(), "only a stop ends a departure without one");
}

/// Waits until the last second's departures leave room for one more, then records
/// this one (see [`Pacer::depart`]).
async fn depart(pacer: &Mutex<Pacer>, stop: &CancellationToken) -> Result<(), NoTurn> {
    loop {
        let verdict = lock(pacer).depart(Instant::now());
        let Err(until) = verdict else { return Ok(()) };
        wait_until(until, stop).await?;
    }
}

async fn wait_until(at: Instant, stop: &CancellationToken) -> Result<(), NoTurn> {
    tokio::select! {
        () = sleep_until(at) => Ok(()),
        () = stop.cancelled() => Err(NoTurn::Stopped(Instant::now())),
    }
}

fn lock(pacer: &Mutex<Pacer>) -> MutexGuard<'_, Pacer> {
    pacer.lock().expect("not poisoned")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcast::pace::PaceRules;
    use std::sync::Arc;
    use std::time::Duration;

    fn pacer(rate: f64) -> Arc<Mutex<Pacer>> {
        Arc::new(Mutex::new(Pacer::new(PaceRules::new(
            rate,
            Duration::from_secs(1),
            20,
        ))))
    }

    fn global(rate: f64) -> Duration {
        PaceRules::new(rate, Duration::from_secs(1), 20).global
    }

    /// Starts a delivery's wait in its own task; it reports when its turn came.
    fn wait_in_task(
        pacer: &Arc<Mutex<Pacer>>,
        chat: i64,
        stop: &CancellationToken,
    ) -> tokio::task::JoinHandle<Result<Instant, NoTurn>> {
        let (pacer, stop) = (pacer.clone(), stop.clone());
        tokio::spawn(async move {
            delivery(&pacer, ChatId(chat), false, &stop).await?;
            Ok(Instant::now())
        })
    }

    #[tokio::test(start_paused = true)]
    async fn deliveries_into_different_chats_leave_one_global_interval_apart() {
        let pacer = pacer(30.0);
        let stop = CancellationToken::new();
        let t0 = Instant::now();
        let waits: Vec<_> = (0..5)
            .map(|chat| wait_in_task(&pacer, chat, &stop))
            .collect();
        for (i, wait) in waits.into_iter().enumerate() {
            let left = wait.await.unwrap().unwrap();
            assert_eq!(left, t0 + global(30.0) * i as u32, "delivery #{i}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_chat_that_is_not_ready_soon_is_deferred_until_it_is() {
        let pacer = pacer(30.0);
        let stop = CancellationToken::new();
        let t0 = Instant::now();
        delivery(&pacer, ChatId(7), false, &stop).await.unwrap();
        let again = delivery(&pacer, ChatId(7), false, &stop).await;
        assert_eq!(again, Err(NoTurn::Defer(t0 + Duration::from_millis(1020))));
        assert_eq!(Instant::now(), t0, "a deferred delivery does not wait");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_while_waiting_voids_the_slot_and_the_delivery_goes_after_the_hold() {
        let pacer = pacer(30.0);
        let stop = CancellationToken::new();
        let t0 = Instant::now();
        let first = wait_in_task(&pacer, 1, &stop);
        let second = wait_in_task(&pacer, 2, &stop);
        tokio::task::yield_now().await;
        assert_eq!(first.await.unwrap(), Ok(t0));
        let hold = t0 + Duration::from_secs(5);
        pacer.lock().unwrap().hold(hold);
        assert_eq!(second.await.unwrap(), Ok(hold));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_while_waiting_gives_the_delivery_back_at_the_moment_of_the_stop() {
        let pacer = pacer(1.0);
        let stop = CancellationToken::new();
        let t0 = Instant::now();
        delivery(&pacer, ChatId(1), false, &stop).await.unwrap();
        let waiting = wait_in_task(&pacer, 2, &stop);
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.cancel();
        let stopped_at = t0 + Duration::from_millis(300);
        assert_eq!(waiting.await.unwrap(), Err(NoTurn::Stopped(stopped_at)));
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_stall_a_delivery_waits_for_the_last_seconds_departures_to_slide() {
        let pacer = pacer(30.0);
        let stop = CancellationToken::new();
        let t0 = Instant::now();
        // Thirty messages left at once (a runtime stalled, then woke every sender).
        for _ in 0..30 {
            pacer.lock().unwrap().depart(t0).unwrap();
        }
        delivery(&pacer, ChatId(1), false, &stop).await.unwrap();
        let window = pacer.lock().unwrap().window();
        assert_eq!(Instant::now(), t0 + window);
    }

    #[tokio::test(start_paused = true)]
    async fn an_admin_message_takes_the_next_global_slot_after_the_deliveries() {
        let pacer = pacer(30.0);
        let stop = CancellationToken::new();
        let t0 = Instant::now();
        delivery(&pacer, ChatId(1), false, &stop).await.unwrap();
        call(&pacer).await;
        assert_eq!(Instant::now(), t0 + global(30.0));
        delivery(&pacer, ChatId(2), false, &stop).await.unwrap();
        assert_eq!(Instant::now(), t0 + global(30.0) * 2);
    }
}
