//! `milestone-bot sketch export|import`: copy one day's sketch between the store and
//! a Redis key, as the raw bytes Redis keeps (`SET`/`GET`), checked on the way.

use crate::sketch::{Hll, MetricName, SketchStore, SketchStoreKind};
use crate::text::number::format_grouped;
use anyhow::{Context, bail};
use chrono::NaiveDate;
use redis::aio::MultiplexedConnection;

#[derive(clap::Subcommand, Debug)]
pub enum SketchCommand {
    /// Write a day's sketch from the store into Redis as KEY (overwriting it).
    Export(TransferArgs),
    /// Read the HyperLogLog at KEY from Redis into a day's sketch (merged with it).
    Import(TransferArgs),
}

#[derive(clap::Args, Debug)]
pub struct TransferArgs {
    /// The metric, e.g. mau.
    #[arg(long)]
    pub metric: String,
    /// The UTC day of the sketch.
    #[arg(long)]
    pub day: NaiveDate,
    /// The Redis server, e.g. redis://127.0.0.1:6379.
    #[arg(long = "redis")]
    pub redis_url: String,
    /// The Redis key to write or read.
    #[arg(long)]
    pub key: String,
}

/// The URL may hold a password, so errors name the flag, never the value.
async fn connect(url: &str) -> anyhow::Result<MultiplexedConnection> {
    let client = redis::Client::open(url).context("--redis is not a Redis URL")?;
    client
        .get_multiplexed_async_connection()
        .await
        .context("cannot connect to the Redis server given by --redis")
}

/// Writes the day's sketch to `key`; returns the count Redis itself reports for it.
pub async fn export(
    store: &SketchStoreKind,
    metric: &MetricName,
    day: NaiveDate,
    redis_url: &str,
    key: &str,
) -> anyhow::Result<u64> {
    let Some(sketch) = store.day_sketch(metric, day).await? else {
        bail!("nothing was recorded for {metric} on {day}: no sketch to export");
    };
    let mut conn = connect(redis_url).await?;
    let (_, redis_count): ((), u64) = redis::pipe()
        .cmd("SET")
        .arg(key)
        .arg(sketch.to_redis_bytes())
        .cmd("PFCOUNT")
        .arg(key)
        .query_async(&mut conn)
        .await
        .with_context(|| format!("Redis refused the sketch written to {key}"))?;
    Ok(redis_count)
}

/// Reads `key` from Redis and merges it into the day's sketch; returns the day's
/// count afterwards.
pub async fn import(
    store: &SketchStoreKind,
    metric: &MetricName,
    day: NaiveDate,
    redis_url: &str,
    key: &str,
) -> anyhow::Result<u64> {
    let mut conn = connect(redis_url).await?;
    let bytes: Option<Vec<u8>> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await
        .with_context(|| format!("cannot read {key} (a HyperLogLog is a Redis string)"))?;
    let Some(bytes) = bytes else {
        bail!("{key} does not exist in Redis");
    };
    let sketch =
        Hll::from_redis_bytes(&bytes).with_context(|| format!("{key} is not a HyperLogLog"))?;
    store.put_day_sketch(metric, day, sketch).await?;
    store.flush().await?;
    let merged = store.day_sketch(metric, day).await?.unwrap_or_default();
    Ok(merged.count())
}

/// `exported mau 2026-11-26 to key (Redis counts 1,234)`.
pub fn exported(metric: &MetricName, day: NaiveDate, key: &str, count: u64) -> String {
    format!(
        "exported {metric} {day} to {key} (Redis counts {})",
        format_grouped(count)
    )
}

/// `imported key into mau 2026-11-26 (the day now counts 1,234)`.
pub fn imported(metric: &MetricName, day: NaiveDate, key: &str, count: u64) -> String {
    format!(
        "imported {key} into {metric} {day} (the day now counts {})",
        format_grouped(count)
    )
}
