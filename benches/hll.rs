//! HyperLogLog ingest on the ids services send: `cargo bench --bench hll`.
//!
//! Four id shapes, 10 M distinct ids each, as one `Vec<Vec<u8>>` that every
//! implementation gets, single-threaded, 16384 registers (precision 14):
//! 10-digit decimal user ids, 29-byte prefixed ids (`user:` and 24 digits),
//! 36-byte UUID strings and 8-byte binary keys. Each id is its own exactly
//! sized allocation, made in order, as a JSON body parsed into strings gives.
//!
//! Rows: the hash-and-max floor (yo-kv's MurmurHash64A and register placement,
//! then a plain byte max into 16384 one-byte registers: no encoding, no change
//! tracking; what any Redis-compatible sketch must at least do), yo-kv's
//! `Keyspace::pfadd` (one call over all ids, its fast path), ours
//! (`Hll::add_many`, and `Hll::add` in a loop), and two non-Redis crates for
//! context (hyperloglogplus hashes with std's `RandomState`, its documented
//! set-up; datasketches with its own hash). Then ours ÷ yo-kv and ours ÷ floor.
//!
//! A rate is ids per second of the bench thread's own CPU time (the
//! scheduler's count in `/proc/thread-self/schedstat`), so other processes on a
//! shared machine do not count against whichever implementation they
//! interrupted; on an idle machine it is the wall-clock rate. That count moves
//! in scheduler ticks (4 ms here), so one measurement is several passes over
//! the ids, each into a new sketch. The implementations take turns, round after
//! round; each one's best round counts.
//!
//! Every shape also checks that our count equals yo-kv's `PFCOUNT` (Redis's
//! estimator) at 10^3 .. 10^7 ids; the bench stops if they ever differ.

use std::collections::hash_map::RandomState;
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use datasketches::hll::{HllSketch, HllType};
use hyperloglogplus::{HyperLogLog, HyperLogLogPlus};
use milestone_bot::sketch::hll::{Hll, REGISTERS};
use yo_kv::keyspace::Keyspace;

const IDS: u64 = 10_000_000;
const KEY: &[u8] = b"bench";
/// Rounds in which every implementation is measured once.
const ROUNDS: usize = 5;
/// Passes over all the ids (each into a new sketch) in one measurement.
const PASSES: u32 = 4;

/// splitmix64's finalizer: a bijection, so distinct inputs stay distinct.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An id shape: its name and how to write the `i`-th id (distinct for
/// distinct `i`) into a buffer.
struct Shape {
    name: &'static str,
    id: fn(u64, &mut Vec<u8>),
}

const SHAPES: [Shape; 4] = [
    Shape {
        name: "decimal, 10 B",
        // Spread over 1e9..9e9 like Telegram-style user ids.
        id: |i, out| text(out, format_args!("{}", 1_000_000_000 + i * 797)),
    },
    Shape {
        name: "prefixed, 29 B",
        id: |i, out| text(out, format_args!("user:{:024}", mix(i))),
    },
    Shape {
        name: "UUID, 36 B",
        id: |i, out| {
            // All 64 bits of mix(i) are in the first three groups and the fourth.
            let (a, b) = (mix(i), mix(i ^ (1 << 63)));
            text(
                out,
                format_args!(
                    "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    (a >> 4) & 0xfff,
                    8 | (a & 3),
                    (((a >> 2) & 3) << 10) | (b & 0x3ff),
                    b >> 16,
                ),
            )
        },
    },
    Shape {
        name: "binary, 8 B",
        id: |i, out| out.extend_from_slice(&mix(i).to_le_bytes()),
    },
];

fn text(out: &mut Vec<u8>, args: std::fmt::Arguments) {
    out.write_fmt(args).expect("writing to a Vec");
}

/// The shape's ids, each an exact-size allocation made in order.
fn ids(shape: &Shape) -> Vec<Vec<u8>> {
    let mut buffer = Vec::new();
    (0..IDS)
        .map(|i| {
            buffer.clear();
            (shape.id)(i, &mut buffer);
            buffer.clone()
        })
        .collect()
}

/// CPU time this thread has run, from the scheduler's own nanosecond count.
fn thread_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("/proc/thread-self/schedstat (Linux)");
    let nanos = stat.split_whitespace().next().and_then(|n| n.parse().ok());
    Duration::from_nanos(nanos.expect("schedstat starts with nanoseconds on the CPU"))
}

/// The implementations measured, in table order.
const ROWS: [&str; 6] = [
    "hash-and-max floor (yo-kv's `hll::place` + byte max)",
    "yo-kv `Keyspace::pfadd`",
    "milestone-bot `Hll::add_many`",
    "milestone-bot `Hll::add` in a loop",
    "hyperloglogplus `HyperLogLogPlus::insert`",
    "datasketches `HllSketch::update` (Hll8)",
];
const FLOOR: usize = 0;
const YO_KV: usize = 1;
const OURS: usize = 2;

/// One run of implementation `row` over `ids`.
fn run(row: usize, ids: &[Vec<u8>]) {
    let slices = || ids.iter().map(Vec::as_slice);
    match row {
        FLOOR => {
            let mut registers = vec![0u8; REGISTERS];
            for id in slices() {
                let (index, value) = yo_kv::hll::place(id);
                registers[index] = registers[index].max(value);
            }
            black_box(&registers);
        }
        YO_KV => {
            let mut ks = Keyspace::new();
            black_box(ks.pfadd(KEY, slices()).expect("pfadd"));
        }
        OURS => {
            let mut hll = Hll::new();
            black_box(hll.add_many(slices()));
        }
        3 => {
            let mut hll = Hll::new();
            for id in slices() {
                hll.add(id);
            }
            black_box(&hll);
        }
        4 => {
            let mut hll: HyperLogLogPlus<[u8], _> =
                HyperLogLogPlus::new(14, RandomState::new()).expect("precision");
            for id in slices() {
                hll.insert(id);
            }
            black_box(&hll);
        }
        _ => {
            let mut hll = HllSketch::new(14, HllType::Hll8).expect("lg_k");
            for id in slices() {
                hll.update(id);
            }
            black_box(&hll);
        }
    }
}

/// Each implementation's best CPU time over the rounds.
fn ingest(ids: &[Vec<u8>]) -> [Duration; ROWS.len()] {
    let mut best = [Duration::MAX; ROWS.len()];
    for _ in 0..ROUNDS {
        for (row, best) in best.iter_mut().enumerate() {
            let start = thread_cpu_time();
            for _ in 0..PASSES {
                run(row, ids);
            }
            *best = (*best).min((thread_cpu_time() - start) / PASSES);
        }
    }
    best
}

/// Stops the bench unless our count equals yo-kv's `PFCOUNT` at every power of
/// ten up to all of `ids`.
fn check_counts(shape: &str, ids: &[Vec<u8>]) {
    let mut ours = Hll::new();
    let mut ks = Keyspace::new();
    let mut added = 0;
    let mut n = 1000;
    while n <= ids.len() {
        let batch = &ids[added..n];
        ours.add_many(batch.iter().map(Vec::as_slice));
        ks.pfadd(KEY, batch.iter().map(Vec::as_slice))
            .expect("pfadd");
        let redis_like = ks.pfcount(std::iter::once(KEY)).expect("pfcount");
        assert_eq!(ours.count(), redis_like, "{shape}: counts differ at {n}");
        added = n;
        n *= 10;
    }
}

fn main() {
    let mut rates = Vec::new();
    for shape in &SHAPES {
        let ids = ids(shape);
        let times = ingest(&ids);
        check_counts(shape.name, &ids);
        rates.push(times.map(|t| IDS as f64 / t.as_secs_f64() / 1e6));
    }

    let header: String = SHAPES.iter().map(|s| format!(" {} |", s.name)).collect();
    println!("| M ids/s (10 M distinct ids, one core) |{header}");
    println!("| --- |{}", " ---: |".repeat(SHAPES.len()));
    for (row, name) in ROWS.iter().enumerate() {
        let cells: String = rates.iter().map(|r| format!(" {:.1} |", r[row])).collect();
        println!("| {name} |{cells}");
    }
    for (name, anchor) in [("yo-kv", YO_KV), ("the floor", FLOOR)] {
        let cells: String = rates
            .iter()
            .map(|r| format!(" **{:.2}×** |", r[OURS] / r[anchor]))
            .collect();
        println!("| `add_many` ÷ {name} |{cells}");
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("?").to_owned();
    println!(
        "\nIds per second of the bench thread's CPU time, best of {ROUNDS} interleaved rounds \
         of {PASSES} passes each \
         (load average at the end: {load}). Our count equals yo-kv's `PFCOUNT` at \
         10^3 .. 10^7 ids on every shape (checked)."
    );
}
