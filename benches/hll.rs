//! Ingest speed and accuracy of our HyperLogLog against other Rust ones.
//!
//! `cargo bench --bench hll` prints one markdown table. Every implementation
//! gets the same input, 10 M distinct u64 ids as 8-byte little-endian keys
//! (`&[u8]`), single-threaded, 16384 registers (precision 14) everywhere;
//! the best of several runs counts. yo-kv gets its fast path: one `pfadd` call
//! over all ids. hyperloglogplus hashes with std's `RandomState` (its documented
//! setup); datasketches uses its own hash.
//!
//! Accuracy: ids 0..N are fed through a bijective mixer and the estimates read
//! at each power of ten; ours must equal yo-kv's exactly, since both claim to be
//! Redis's `PFCOUNT`.

use std::collections::hash_map::RandomState;
use std::hint::black_box;
use std::time::{Duration, Instant};

use datasketches::hll::{HllSketch, HllType};
use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};
use milestone_bot::sketch::hll::{Hll, STANDARD_ERROR};
use yo_kv::keyspace::Keyspace;

const INGEST_IDS: u64 = 10_000_000;
const KEY: &[u8] = b"bench";

/// splitmix64's finalizer: a bijection, so distinct inputs stay distinct.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .expect("at least one run")
}

fn ingest(ids: &[[u8; 8]]) -> Vec<(&'static str, Duration)> {
    let slices = || ids.iter().map(|id| id.as_slice());
    vec![
        (
            "milestone-bot `Hll::add`",
            best_of(5, || {
                let mut hll = Hll::new();
                for id in ids {
                    hll.add(id);
                }
                black_box(&hll);
            }),
        ),
        (
            "milestone-bot `Hll::add_many`",
            best_of(5, || {
                let mut hll = Hll::new();
                black_box(hll.add_many(slices()));
            }),
        ),
        (
            "yo-kv `Keyspace::pfadd`",
            best_of(5, || {
                let mut ks = Keyspace::new();
                black_box(ks.pfadd(KEY, slices()).expect("pfadd"));
            }),
        ),
        (
            "hyperloglogplus `HyperLogLogPlus::insert`",
            best_of(3, || {
                let mut hll: HyperLogLogPlus<[u8], _> =
                    HyperLogLogPlus::new(14, RandomState::new()).expect("precision");
                for id in slices() {
                    hll.insert(id);
                }
                black_box(&hll);
            }),
        ),
        (
            "datasketches `HllSketch::update` (Hll8)",
            best_of(3, || {
                let mut hll = HllSketch::new(14, HllType::Hll8).expect("lg_k");
                for id in slices() {
                    hll.update(id);
                }
                black_box(&hll);
            }),
        ),
    ]
}

/// Estimates of each implementation at 10^3 .. 10^max_exp distinct ids.
fn accuracy(max_exp: u32) -> Vec<(u64, [f64; 4])> {
    let mut ours = Hll::new();
    let mut ks = Keyspace::new();
    let mut plus: HyperLogLogPlus<[u8], _> =
        HyperLogLogPlus::new(14, RandomState::new()).expect("precision");
    let mut ds = HllSketch::new(14, HllType::Hll8).expect("lg_k");
    let mut rows = Vec::new();
    let mut added = 0u64;
    for exp in 3..=max_exp {
        let n = 10u64.pow(exp);
        let batch: Vec<[u8; 8]> = (added..n).map(|i| mix(i).to_le_bytes()).collect();
        ours.add_many(batch.iter().map(|id| id.as_slice()));
        ks.pfadd(KEY, batch.iter().map(|id| id.as_slice()))
            .expect("pfadd");
        for id in &batch {
            plus.insert(id.as_slice());
            ds.update(id.as_slice());
        }
        added = n;
        let redis_like = ks.pfcount(std::iter::once(KEY)).expect("pfcount");
        assert_eq!(ours.count(), redis_like, "ours and yo-kv disagree at {n}");
        let estimates = [
            ours.count() as f64,
            redis_like as f64,
            plus.count(),
            ds.estimate(),
        ];
        rows.push((n, estimates.map(|e| (e - n as f64) / n as f64 * 100.0)));
    }
    rows
}

fn main() {
    let ids: Vec<[u8; 8]> = (0..INGEST_IDS).map(|i| mix(i).to_le_bytes()).collect();
    let times = ingest(&ids);
    let max_exp = std::env::var("HLL_BENCH_MAX_EXP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let errors = accuracy(max_exp);

    // One table: a row per implementation (both of ours share one sketch, so
    // one accuracy), ingest rate, then relative error at each n.
    let yo = times[2].1.as_secs_f64();
    let columns: String = errors
        .iter()
        .map(|(n, _)| format!(" error n=1e{} |", n.ilog10()))
        .collect();
    println!(
        "| implementation (precision 14; standard error {:.2} %) | M ids/s | vs yo-kv |{columns}",
        STANDARD_ERROR * 100.0
    );
    println!("| --- | ---: | ---: |{}", " ---: |".repeat(errors.len()));
    for (row, (name, time)) in times.iter().enumerate() {
        let rate = INGEST_IDS as f64 / time.as_secs_f64() / 1e6;
        let which = row.saturating_sub(1); // add and add_many: the same sketch
        let cells: String = errors
            .iter()
            .map(|(_, e)| format!(" {:+.3} % |", e[which]))
            .collect();
        println!(
            "| {name} | {rate:.1} | {:.2}x |{cells}",
            yo / time.as_secs_f64()
        );
    }
}
