//! Prometheus metrics, served at `GET /metrics` in the text format.
//!
//! Every metric is named here, once, with the function that records it, so a
//! dashboard's names are this file's names. Recording goes through the `metrics`
//! facade into one process-wide recorder (installed on first use); the bot's HTTP
//! server renders it. Labels are bounded sets: update kinds, Bot API method names,
//! answer codes, delivery outcomes, configured metric names, lease names. Never a
//! user, a chat or a text.

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Updates taken in, by kind (`message`, `my_chat_member`, `callback_query`, …).
pub const UPDATES: &str = "milestone_bot_updates_total";
/// Bot API calls by method and answer (`200`, `429`, `403`, `400`, `5xx`,
/// `timeout`, `network`, …).
pub const TELEGRAM_REQUESTS: &str = "milestone_bot_telegram_requests_total";
/// How long Bot API calls took, answered or not.
pub const TELEGRAM_SECONDS: &str = "milestone_bot_telegram_request_seconds";
/// Deliveries finished, by outcome (`sent`, `failed`, `gone`, `unknown`, `retry`, …).
pub const DELIVERIES: &str = "milestone_bot_deliveries_total";
/// Deliveries waiting to be sent (all broadcasts).
pub const QUEUE_PENDING: &str = "milestone_bot_queue_pending";
/// Messages per second the sender achieved over the last sampling window.
pub const SEND_RATE: &str = "milestone_bot_send_rate";
/// User ids taken in by ingest, per metric.
pub const INGEST_IDS: &str = "milestone_bot_ingest_ids_total";
/// The newest estimate of each metric, and its standard error (in ids).
pub const METRIC_ESTIMATE: &str = "milestone_bot_metric_estimate";
pub const METRIC_STD_ERROR: &str = "milestone_bot_metric_std_error";
/// Milestones recorded, per metric and how (`announced`, `baseline`, `skipped`, …).
pub const MILESTONES: &str = "milestone_bot_milestones_total";
/// 1 on the instance holding the lease (`sender`, `updates`), else 0.
pub const LEADER: &str = "milestone_bot_leader";

/// Bot API latency buckets, in seconds: a fast answer is tens of milliseconds; the
/// tail shows flood waits and timeouts.
const SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use. If another recorder was
/// installed first (a test harness, an embedding program), ours still renders
/// what is recorded through it: nothing, but `/metrics` stays valid.
fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(TELEGRAM_SECONDS.into()), SECONDS_BUCKETS)
            .expect("the bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows ours only");
        }
        describe();
        handle
    })
}

/// Installs the recorder now, so the first scrape already lists every metric.
pub fn install() {
    handle();
}

/// The text format Prometheus scrapes.
pub fn render() -> String {
    let handle = handle();
    handle.run_upkeep();
    handle.render()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(UPDATES, "Telegram updates taken in, by kind");
    describe_counter!(TELEGRAM_REQUESTS, "Bot API calls, by method and answer");
    describe_histogram!(
        TELEGRAM_SECONDS,
        metrics::Unit::Seconds,
        "Bot API call time"
    );
    describe_counter!(DELIVERIES, "Broadcast deliveries finished, by outcome");
    describe_gauge!(QUEUE_PENDING, "Broadcast deliveries waiting to be sent");
    describe_gauge!(SEND_RATE, "Messages per second sent over the last window");
    describe_counter!(INGEST_IDS, "User ids ingested, per metric");
    describe_gauge!(METRIC_ESTIMATE, "Newest estimate of each metric");
    describe_gauge!(METRIC_STD_ERROR, "Standard error of the newest estimate");
    describe_counter!(MILESTONES, "Milestones recorded, per metric and how");
    describe_gauge!(LEADER, "1 on the instance holding the lease");
    // Counters appear on the first scrape with 0, so rates work from the start.
    for lease in ["sender", "updates"] {
        gauge!(LEADER, "lease" => lease).set(0.0);
    }
    gauge!(QUEUE_PENDING).set(0.0);
    gauge!(SEND_RATE).set(0.0);
}

/// An update taken in.
pub fn update(kind: &'static str) {
    counter!(UPDATES, "kind" => kind).increment(1);
}

/// A Bot API call and how it ended.
pub fn telegram_request(method: &'static str, answer: &'static str, took: Duration) {
    counter!(TELEGRAM_REQUESTS, "method" => method, "code" => answer).increment(1);
    histogram!(TELEGRAM_SECONDS, "method" => method).record(took.as_secs_f64());
}

/// The `code` label of a Bot API call's result.
pub fn answer_of<T>(result: &Result<T, teloxide::RequestError>) -> &'static str {
    use teloxide::RequestError;
    match result {
        Ok(_) => "200",
        Err(RequestError::RetryAfter(_)) => "429",
        Err(RequestError::MigrateToChatId(_)) => "400",
        Err(RequestError::Api(api)) => {
            // teloxide keeps Telegram's description, not the number; the
            // description starts with the status text.
            let text = api.to_string();
            match () {
                _ if text.starts_with("Forbidden") => "403",
                _ if text.starts_with("Bad Request") => "400",
                _ if text.starts_with("Unauthorized") => "401",
                _ if text.starts_with("Not Found") => "404",
                _ if text.starts_with("Conflict") => "409",
                _ if text.contains("Internal Server Error") || text.contains("Bad Gateway") => {
                    "5xx"
                }
                _ => "4xx",
            }
        }
        Err(RequestError::Network(e)) if e.is_timeout() => "timeout",
        Err(RequestError::Network(_)) => "network",
        Err(RequestError::InvalidJson { .. }) => "invalid_json",
        Err(RequestError::Io(_)) => "io",
    }
}

/// Messages this process posted, for [`SEND_RATE`].
static POSTED: AtomicU64 = AtomicU64::new(0);

/// A delivery finished; `posted` when a message reached a chat.
pub fn delivery(outcome: &'static str, posted: bool) {
    counter!(DELIVERIES, "outcome" => outcome).increment(1);
    if posted {
        POSTED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Updates the sampled gauges every `every` until `stop`: the send rate over the
/// last interval, and the pending deliveries as `pending` counts them.
pub async fn sample<F, Fut>(every: Duration, pending: F, stop: tokio_util::sync::CancellationToken)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<u64>>,
{
    let mut last = (std::time::Instant::now(), POSTED.load(Ordering::Relaxed));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let now = (std::time::Instant::now(), POSTED.load(Ordering::Relaxed));
        let seconds = now.0.duration_since(last.0).as_secs_f64();
        if seconds > 0.0 {
            set_send_rate((now.1 - last.1) as f64 / seconds);
        }
        last = now;
        if let Some(n) = pending().await {
            set_queue_pending(n);
        }
    }
}

pub fn set_queue_pending(pending: u64) {
    gauge!(QUEUE_PENDING).set(pending as f64);
}

pub fn set_send_rate(per_second: f64) {
    gauge!(SEND_RATE).set(per_second);
}

/// Ids taken in for `metric` (a configured name).
pub fn ingested(metric: &str, ids: u64) {
    counter!(INGEST_IDS, "metric" => metric.to_owned()).increment(ids);
}

/// A metric's newest reading.
pub fn set_estimate(metric: &str, estimate: u64, std_error: f64) {
    gauge!(METRIC_ESTIMATE, "metric" => metric.to_owned()).set(estimate as f64);
    gauge!(METRIC_STD_ERROR, "metric" => metric.to_owned()).set(std_error);
}

/// Milestones recorded for `metric`, and how.
pub fn milestones(metric: &str, how: &'static str, n: u64) {
    counter!(MILESTONES, "metric" => metric.to_owned(), "how" => how).increment(n);
}

/// Whether this instance holds `lease`.
pub fn set_leader(lease: &'static str, holds: bool) {
    gauge!(LEADER, "lease" => lease).set(if holds { 1.0 } else { 0.0 });
}
