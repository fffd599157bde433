//! Picture speed: `cargo bench --bench render`.
//!
//! The milestone card as a still PNG, the card's count-up GIF (every frame drawn and
//! encoded) and the status chart (three metrics, 30 days of 5-minute readings) as a
//! PNG; each timed on one thread (the renderers use one core), median and best of
//! many runs, with the output's size. Prints one markdown table.

use chrono::{Duration as Days, NaiveDate, Utc};
use milestone_bot::milestones::detector::Reading;
use milestone_bot::milestones::rules::Rule;
use milestone_bot::render::animate;
use milestone_bot::render::card::{self, Card, Look};
use milestone_bot::render::chart::{MetricHistory, StatusChart};
use std::time::{Duration, Instant};

const RUNS: usize = 15;
/// What each picture must stay under (the targets).
const TARGET: Duration = Duration::from_millis(200);

fn the_card() -> Card {
    Card {
        title: card::DEFAULT_TITLE.into(),
        milestone: 200_000_000,
        from: 100_000_000,
        label: "monthly active users".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        country: milestone_bot::render::cards::country_line(200_000_000),
    }
}

fn the_chart() -> StatusChart {
    let now = Utc::now();
    let series = |metric: &str, label: &str, from: f64, per_day: f64, next: u64| {
        let readings: Vec<Reading> = (0..8640i64)
            .map(|i| {
                let estimate = from + per_day * i as f64 / 288.0;
                Reading {
                    at: now - Days::minutes(5 * (8640 - i)),
                    estimate: estimate as u64,
                    std_error: estimate * 0.0081,
                }
            })
            .collect();
        MetricHistory {
            metric: milestone_bot::vocab::MetricName::parse(metric).expect("a metric name"),
            label: Some(label.into()),
            readings,
            rules: vec![Rule::RoundNumbers],
            reached: None,
            next: Some(next),
            expected: Some(now + Days::days(4)),
        }
    };
    StatusChart {
        now,
        metrics: vec![
            series("dau", "daily active users", 40e6, 0.2e6, 50_000_000),
            series("wau", "weekly active users", 90e6, 0.5e6, 100_000_000),
            series("mau", "monthly active users", 150e6, 1.5e6, 200_000_000),
        ],
    }
}

/// (median, best, output bytes, note) of `RUNS` runs of `f`.
fn measure(f: impl Fn() -> (usize, String)) -> (Duration, Duration, usize, String) {
    let (bytes, note) = f(); // warm-up: fonts parsed, caches filled
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    times.sort();
    (times[RUNS / 2], times[0], bytes, note)
}

fn main() {
    let look = Look::default();
    let c = the_card();
    let chart = the_chart();
    let rows = [
        (
            "card, still PNG (1280×720)",
            measure(|| (card::png(&c, &look).unwrap().len(), String::new())),
        ),
        (
            "card, count-up GIF (1280×720, all frames)",
            measure(|| {
                let a = animate::gif(&c, &look).unwrap();
                (
                    a.bytes.len(),
                    format!(
                        "{} frames, {:.2} s",
                        a.frames,
                        f64::from(a.duration_ms) / 1000.0
                    ),
                )
            }),
        ),
        (
            "status chart PNG (3 metrics × 8,640 readings)",
            measure(|| (chart.png().unwrap().unwrap().len(), String::new())),
        ),
    ];
    println!("| picture | median | best | size | target < 200 ms | |");
    println!("|---|---:|---:|---:|:---:|---|");
    for (name, (median, best, bytes, note)) in rows {
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.0} KB | {} | {note} |",
            median.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e3,
            bytes as f64 / 1024.0,
            if median < TARGET { "yes" } else { "no" }
        );
    }
    println!("\n{RUNS} runs each after a warm-up, one thread.");
}
