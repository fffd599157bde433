use std::num::NonZeroU64;

use chrono::TimeZone;
use proptest::prelude::*;

use super::*;

const M: u64 = 1_000_000;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
}

fn minutes(m: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(m)
}

fn threshold(n: u64) -> Rule {
    Rule::Threshold(NonZeroU64::new(n).unwrap())
}

fn every(n: u64) -> Rule {
    Rule::Every(NonZeroU64::new(n).unwrap())
}

/// Readings as (minute, estimate, std_error).
fn readings(points: &[(i64, u64, f64)]) -> Vec<Reading> {
    points
        .iter()
        .map(|&(m, estimate, std_error)| Reading {
            at: minutes(m),
            estimate,
            std_error,
        })
        .collect()
}

fn active(rules: &[Rule]) -> Vec<ActiveRule> {
    rules.iter().copied().map(ActiveRule::new).collect()
}

fn decide_at(
    cfg: DetectorConfig,
    rules: &[Rule],
    highest: Option<u64>,
    points: &[(i64, u64, f64)],
    now_minute: i64,
) -> Decision {
    let recent = readings(points);
    let history = MetricHistory {
        baseline: Some(0),
        highest_announced: highest,
        recorded: &[],
        recent: &recent,
    };
    decide(&cfg, &active(rules), &history, minutes(now_minute))
}

fn hold(minutes: i64) -> DetectorConfig {
    DetectorConfig::new(2.0, Duration::minutes(minutes)).unwrap()
}

#[test]
fn the_first_decision_records_every_passed_milestone_as_baseline_and_fires_nothing() {
    let rules = active(&[every(100 * M), threshold(150 * M)]);
    let cases = [
        (205 * M, vec![100 * M, 150 * M, 200 * M]),
        // 200.5M with a lower bound under 200M: 200M is not proven passed yet.
        (200_500_000, vec![100 * M, 150 * M]),
        (99 * M, vec![]),
        (0, vec![]),
    ];
    for (estimate, expected) in cases {
        let recent = readings(&[(0, estimate, estimate as f64 * 0.0081)]);
        let history = MetricHistory {
            baseline: None,
            highest_announced: None,
            recorded: &[],
            recent: &recent,
        };
        let decision = decide(&DetectorConfig::default(), &rules, &history, minutes(0));
        let bound = recent[0].proven(2.0);
        assert_eq!(
            decision,
            Decision::Baseline {
                bound,
                reached: expected
            },
            "{estimate}"
        );
    }
}

/// Plays readings (minute, estimate) with 0.81% error through `decide` as the
/// watcher does, from the metric's first reading on; returns every decision.
fn watch(cfg: DetectorConfig, rules: &[ActiveRule], points: &[(i64, u64)]) -> Vec<Decision> {
    let mut recent = Vec::new();
    let (mut baseline, mut highest, mut out) = (None, None, Vec::new());
    for &(minute, estimate) in points {
        recent.push(Reading {
            at: minutes(minute),
            estimate,
            std_error: estimate as f64 * 0.0081,
        });
        let history = MetricHistory {
            baseline,
            highest_announced: highest,
            recorded: &[],
            recent: &recent,
        };
        let decision = decide(&cfg, rules, &history, minutes(minute));
        match &decision {
            Decision::Baseline { bound, .. } => baseline = Some(*bound),
            Decision::Fire { milestone, .. } => highest = Some(*milestone),
            _ => {}
        }
        out.push(decision);
    }
    out
}

#[test]
fn a_metric_first_read_at_zero_announces_the_first_milestone_it_crosses() {
    let rules = active(&[threshold(1_000)]);

    let decisions = watch(DetectorConfig::default(), &rules, &[(0, 0), (1, 1_500)]);

    assert_eq!(
        decisions,
        [
            Decision::Baseline {
                bound: 0,
                reached: vec![]
            },
            fire(1_000, vec![])
        ]
    );
}

#[test]
fn a_rule_added_later_keeps_its_own_baseline_and_never_swallows_another_rules_milestone() {
    // 250M and 150M were added while the count read 200.5M (lower bound ≈ 197.3M):
    // 150M is theirs and passed; 200M belongs to `every 100M` and is still to fire.
    let added_at = Reading {
        at: minutes(0),
        estimate: 200_500_000,
        std_error: 200_500_000.0 * 0.0081,
    }
    .proven(2.0);
    let rules = [
        ActiveRule::new(every(100 * M)),
        ActiveRule {
            rule: threshold(150 * M),
            passed_when_added: Some(added_at),
        },
        ActiveRule {
            rule: threshold(250 * M),
            passed_when_added: Some(added_at),
        },
    ];
    let points = [(0, 120 * M), (10, 200_500_000), (20, 205 * M)];

    let fast = watch(DetectorConfig::default(), &rules, &points);
    let held = watch(
        hold(15),
        &rules,
        &[(0, 120 * M), (10, 205 * M), (30, 205 * M)],
    );

    assert_eq!(fast[1], Decision::Nothing, "{fast:?}");
    assert_eq!(fast[2], fire(200 * M, vec![]), "{fast:?}");
    assert_eq!(held[1], pending(200 * M, 25), "{held:?}");
    assert_eq!(held[2], fire(200 * M, vec![]), "{held:?}");
}

/// One row of the decision table; readings are (minute, estimate, std_error) and
/// `now` is minute 0.
struct Case {
    name: &'static str,
    cfg: DetectorConfig,
    rules: Vec<Rule>,
    highest: Option<u64>,
    points: Vec<(i64, u64, f64)>,
    expected: Decision,
}

fn fire(milestone: u64, skipped: Vec<u64>) -> Decision {
    Decision::Fire { milestone, skipped }
}

fn pending(milestone: u64, clears_at_minute: i64) -> Decision {
    Decision::Pending {
        milestone,
        clears_at: minutes(clears_at_minute),
    }
}

#[test]
fn decisions_follow_confidence_hold_and_history() {
    let s = 8_100.0; // 0.81% of 1M
    let default = DetectorConfig::default();
    let trusting = DetectorConfig::new(0.0, Duration::zero()).unwrap();
    let one = || vec![threshold(M)];
    #[rustfmt::skip]
    let cases = [
        Case { name: "no readings: nothing", cfg: default, rules: one(), highest: None,
            points: vec![], expected: Decision::Nothing },
        Case { name: "clearing by 2σ fires", cfg: default, rules: one(), highest: None,
            points: vec![(0, M + 16_200, s)], expected: fire(M, vec![]) },
        Case { name: "above but within 2σ waits", cfg: default, rules: one(), highest: None,
            points: vec![(0, M + 16_199, s)], expected: Decision::Nothing },
        Case { name: "k = 0 trusts the raw estimate", cfg: trusting, rules: one(), highest: None,
            points: vec![(0, M, s)], expected: fire(M, vec![]) },
        Case { name: "a jump announces the highest and skips the rest above the last reached",
            cfg: default, rules: vec![every(M)], highest: Some(M),
            points: vec![(0, 4 * M + 100_000, s)], expected: fire(4 * M, vec![2 * M, 3 * M]) },
        Case { name: "a reached milestone never fires again", cfg: default, rules: one(),
            highest: Some(M), points: vec![(0, 2 * M, s)], expected: Decision::Nothing },
        Case { name: "a lower milestone never fires after a higher one", cfg: default,
            rules: vec![threshold(M), threshold(3 * M)], highest: Some(3 * M),
            points: vec![(0, 2 * M, s)], expected: Decision::Nothing },
        Case { name: "an unusable standard error proves nothing", cfg: default, rules: one(),
            highest: None, points: vec![(0, 2 * M, f64::NAN)], expected: Decision::Nothing },
        Case { name: "a hold not yet elapsed is pending", cfg: hold(60), rules: one(), highest: None,
            points: vec![(-70, 900_000, s), (-30, 2 * M, s), (0, 2 * M, s)], expected: pending(M, 30) },
        Case { name: "a hold elapsed with an unbroken streak fires", cfg: hold(60), rules: one(),
            highest: None, points: vec![(-70, 2 * M, s), (-30, 2 * M, s), (0, 2 * M, s)],
            expected: fire(M, vec![]) },
        Case { name: "a dip inside the hold restarts the streak", cfg: hold(60), rules: one(),
            highest: None, points: vec![(-70, 2 * M, s), (-30, M, s), (0, 2 * M, s)],
            expected: pending(M, 60) },
        Case { name: "without a reading old enough the hold cannot be proven", cfg: hold(60),
            rules: one(), highest: None, points: vec![(-50, 2 * M, s), (0, 2 * M, s)],
            expected: pending(M, 10) },
        Case { name: "the held milestone fires while a higher one is still pending", cfg: hold(60),
            rules: vec![threshold(M), threshold(3 * M)], highest: None,
            points: vec![(-70, 2 * M, s), (-10, 4 * M, s), (0, 4 * M, s)], expected: fire(M, vec![]) },
    ];
    for case in cases {
        let got = decide_at(case.cfg, &case.rules, case.highest, &case.points, 0);
        assert_eq!(got, case.expected, "{}", case.name);
    }
}

#[test]
fn invalid_detector_settings_are_refused() {
    assert!(DetectorConfig::new(f64::NAN, Duration::zero()).is_err());
    assert!(DetectorConfig::new(-1.0, Duration::zero()).is_err());
    assert!(DetectorConfig::new(f64::INFINITY, Duration::zero()).is_err());
    assert!(DetectorConfig::new(2.0, Duration::minutes(-1)).is_err());
    assert!(DetectorConfig::new(3.0, Duration::hours(1)).is_ok());
}

fn daily(estimates: &[u64]) -> Vec<Reading> {
    estimates
        .iter()
        .enumerate()
        .map(|(day, &estimate)| Reading {
            at: t0() + Duration::days(day as i64),
            estimate,
            std_error: 0.0,
        })
        .collect()
}

#[test]
fn growth_is_the_least_squares_slope_per_day_within_the_window() {
    let week = Duration::days(7);
    let cases: [(&str, Vec<Reading>, Option<f64>); 5] = [
        ("linear growth", daily(&[100, 200, 300, 400]), Some(100.0)),
        ("flat", daily(&[500, 500, 500]), Some(0.0)),
        ("shrinking", daily(&[300, 200, 100]), Some(-100.0)),
        ("one reading is not a trend", daily(&[100]), None),
        (
            "old readings fall outside the window",
            daily(&[900, 900, 0, 10, 20, 30, 40, 50, 60, 70, 80]),
            Some(10.0),
        ),
    ];
    for (name, readings, expected) in cases {
        let got = growth_per_day(&readings, week);
        match (got, expected) {
            (Some(g), Some(e)) => assert!((g - e).abs() < 1e-6, "{name}: {g} vs {e}"),
            _ => assert_eq!(got, expected, "{name}"),
        }
    }
}

#[test]
fn the_expected_date_follows_the_trend_and_is_none_without_growth() {
    let week = Duration::days(7);
    let rising = daily(&[191 * M, 192 * M, 193 * M, 194 * M, 195 * M]);
    let newest = rising.last().unwrap().at;
    assert_eq!(
        expected_date(&rising, week, 200 * M),
        Some(newest + Duration::days(5))
    );
    assert_eq!(expected_date(&rising, week, 150 * M), Some(newest));
    assert_eq!(expected_date(&daily(&[5, 5, 5]), week, 10), None);
    assert_eq!(expected_date(&daily(&[9, 7, 5]), week, 10), None);
    assert_eq!(expected_date(&daily(&[1, 2]), week, u64::MAX), None);
}

/// The true count over a series: rising slowly, flat, or wandering around `M`.
fn true_path() -> impl Strategy<Value = Vec<u64>> {
    let m = M as f64;
    prop_oneof![
        (0.95f64..1.0, prop::collection::vec(0.0f64..0.004, 2..120)).prop_map(
            move |(start, steps)| {
                steps
                    .iter()
                    .scan(start * m, |c, s| {
                        *c += s * m;
                        Some(*c as u64)
                    })
                    .collect()
            }
        ),
        (0.98f64..1.02, 2usize..120).prop_map(move |(level, n)| vec![(level * m) as u64; n]),
        prop::collection::vec(0.97f64..1.03, 2..120)
            .prop_map(move |v| v.iter().map(|x| (x * m) as u64).collect()),
    ]
}

/// Plays a series through `decide` as the watcher would; returns the firings with
/// the true count at the time.
fn play(rules: &[Rule], cfg: &DetectorConfig, truth: &[u64], noise: &[f64]) -> Vec<(u64, u64)> {
    let mut recent = Vec::new();
    let rules = active(rules);
    let (mut highest, mut baseline, mut fired) = (None, None, Vec::new());
    for (i, (&true_count, &u)) in truth.iter().zip(noise.iter().cycle()).enumerate() {
        let sigma = true_count as f64 * 0.0081;
        let at = minutes(10 * i as i64);
        let estimate = (true_count as f64 + u * sigma).round() as u64;
        recent.push(Reading {
            at,
            estimate,
            std_error: sigma,
        });
        let history = MetricHistory {
            baseline,
            highest_announced: highest,
            recorded: &[],
            recent: &recent,
        };
        match decide(cfg, &rules, &history, at) {
            Decision::Baseline { bound, .. } => baseline = Some(bound),
            Decision::Fire { milestone, .. } => {
                fired.push((milestone, true_count));
                highest = Some(milestone);
            }
            Decision::Nothing | Decision::Pending { .. } => {}
        }
    }
    fired
}

fn any_config() -> impl Strategy<Value = DetectorConfig> {
    prop_oneof![Just(0i64), Just(30), Just(120)]
        .prop_map(|m| DetectorConfig::new(2.0, Duration::minutes(m)).unwrap())
}

proptest! {
    #[test]
    fn noise_within_one_standard_error_never_fires_a_threshold_twice_or_above_the_truth(
        truth in true_path(),
        noise in prop::collection::vec(-1.0f64..=1.0, 1..50),
        cfg in any_config(),
    ) {
        let fired = play(&[threshold(M)], &cfg, &truth, &noise);
        prop_assert!(fired.len() <= 1, "fired {fired:?}");
        for (milestone, true_count) in fired {
            prop_assert!(milestone <= true_count, "{milestone} fired at true {true_count}");
        }
    }

    #[test]
    fn noise_within_one_standard_error_fires_a_series_in_increasing_order_below_the_truth(
        truth in true_path(),
        noise in prop::collection::vec(-1.0f64..=1.0, 1..50),
        cfg in any_config(),
    ) {
        let fired = play(&[every(M / 100)], &cfg, &truth, &noise);
        prop_assert!(fired.windows(2).all(|w| w[0].0 < w[1].0), "fired {fired:?}");
        for (milestone, true_count) in fired {
            prop_assert!(milestone <= true_count, "{milestone} fired at true {true_count}");
        }
    }
}
