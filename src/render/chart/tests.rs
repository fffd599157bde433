use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
}

fn growing(n: i64, every: Duration, from: f64, per_reading: f64) -> Vec<Reading> {
    (0..n)
        .map(|i| {
            let estimate = from + per_reading * i as f64;
            Reading {
                at: now() - every * (n - 1 - i) as i32,
                estimate: estimate as u64,
                std_error: estimate * 0.0081,
            }
        })
        .collect()
}

fn history(metric: &str, readings: Vec<Reading>) -> MetricHistory {
    MetricHistory {
        metric: MetricName::parse(metric).unwrap(),
        label: Some("monthly active users".into()),
        readings,
        rules: vec![Rule::RoundNumbers],
        reached: Some(100_000_000),
        next: Some(200_000_000),
        expected: Some(now() + Duration::days(5)),
    }
}

fn decode(png: &[u8]) -> Pixmap {
    Pixmap::decode_png(png).expect("a valid PNG")
}

/// Pixels close to `c`, to tell a drawn series from an empty frame.
fn count_near(p: &Pixmap, c: RGBColor) -> usize {
    p.pixels()
        .iter()
        .filter(|px| {
            let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).abs();
            d(px.red(), c.0) + d(px.green(), c.1) + d(px.blue(), c.2) < 40
        })
        .count()
}

#[test]
fn many_readings_are_averaged_into_at_most_the_point_budget_keeping_the_span() {
    let readings = growing(8640, Duration::minutes(5), 1.5e8, 5_000.0);
    let pts = points(&readings, now());
    assert!(pts.len() <= MAX_POINTS + 1, "{}", pts.len());
    assert!(pts[0].0 < -29.9 && pts[pts.len() - 1].0 > -0.1);
    assert!(pts.windows(2).all(|w| w[0].1 <= w[1].1), "still growing");
}

#[test]
fn few_readings_are_drawn_as_they_are() {
    let readings = growing(10, Duration::hours(1), 1_000.0, 10.0);
    assert_eq!(points(&readings, now()).len(), 10);
}

#[test]
fn the_trend_ends_on_the_next_milestone_at_its_expected_date_when_near() {
    let m = history("mau", growing(30, Duration::days(1), 1.5e8, 1.5e6));
    let pts = points(&m.readings, now());
    let f = forecast(&m, &pts, now()).unwrap();
    assert!(f.reaches);
    assert_eq!(f.to, (5.0, 200_000_000.0));
}

#[test]
fn a_far_milestone_cuts_the_trend_at_the_horizon_on_the_same_slope() {
    let mut m = history("mau", growing(3, Duration::days(1), 1.5e8, 1e5));
    m.expected = Some(now() + Duration::days(400));
    let pts = points(&m.readings, now());
    let f = forecast(&m, &pts, now()).unwrap();
    assert!(!f.reaches);
    assert!((f.to.0 - MIN_FORECAST_DAYS).abs() < 1e-9, "{f:?}");
    assert!(f.to.1 > f.from.1 && f.to.1 < 200_000_000.0, "{f:?}");
}

#[test]
fn without_an_expected_date_there_is_no_trend() {
    let mut m = history("mau", growing(3, Duration::days(1), 1.5e8, 0.0));
    m.expected = None;
    let pts = points(&m.readings, now());
    assert!(forecast(&m, &pts, now()).is_none());
}

#[test]
fn no_readings_anywhere_gives_no_chart() {
    let chart = StatusChart {
        now: now(),
        metrics: vec![history("mau", vec![]), history("dau", vec![])],
    };
    assert_eq!(chart.png().unwrap(), None);
}

#[test]
fn a_panel_per_metric_with_readings_and_a_line_for_those_without() {
    let chart = StatusChart {
        now: now(),
        metrics: vec![
            history("mau", growing(300, Duration::hours(2), 1.5e8, 1.6e5)),
            history("wau", vec![]),
        ],
    };

    let png = chart.png().unwrap().expect("a chart");

    let image = decode(&png);
    assert_eq!(
        (image.width(), image.height()),
        (WIDTH, HEADER_HEIGHT + PANEL_HEIGHT + FOOTER_HEIGHT)
    );
    assert!(count_near(&image, SERIES) > 2_000, "the estimate is drawn");
    assert!(
        count_near(&image, NEXT) > 300,
        "the trend and next milestone"
    );
    assert!(png.len() < 1 << 20, "{} bytes", png.len());
}

#[test]
fn a_single_reading_still_draws_a_point() {
    let mut m = history("dau", growing(1, Duration::hours(1), 9_000.0, 0.0));
    m.next = Some(10_000);
    m.expected = None;
    let png = StatusChart {
        now: now(),
        metrics: vec![m],
    }
    .png()
    .unwrap()
    .expect("a chart");
    assert!(count_near(&decode(&png), SERIES) > 50);
}
