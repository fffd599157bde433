//! The admins' growth chart (`/milestone status`, `milestone-bot status --chart`):
//! per metric with readings, the estimate over the last [`WINDOW`] with its ±2σ
//! band, the milestones in range as labelled lines, and the trend to the next
//! milestone as a dashed line ending at its expected date. Drawn with plotters'
//! bitmap backend and the shipped font, at twice the size and scaled down, which
//! smooths plotters' lines; encoded as PNG.

mod panel;

use super::RenderError;
use super::font;
use crate::milestones::detector::Reading;
use crate::milestones::rules::Rule;
use crate::vocab::MetricName;
use chrono::{DateTime, Duration, Utc};
use plotters::prelude::*;
use resvg::tiny_skia::{self, IntSize, Pixmap, PixmapPaint, Transform};

/// How far back the chart looks (or since the first reading, if later).
pub const WINDOW: Duration = crate::milestones::status::HISTORY_WINDOW;
/// The chart's width, and each metric's panel height, in px.
pub const WIDTH: u32 = 1280;
const PANEL_HEIGHT: u32 = 400;
const HEADER_HEIGHT: u32 = 70;
const FOOTER_HEIGHT: u32 = 44;
/// Drawn this many times larger, then scaled down.
const SUPERSAMPLE: u32 = 2;
/// At most this many points per line; readings are averaged into buckets.
const MAX_POINTS: usize = 360;
/// The forecast is drawn at most this far past now, relative to the history shown.
const MIN_FORECAST_DAYS: f64 = 3.0;

const INK: RGBColor = RGBColor(0x1f, 0x29, 0x37);
const MUTED: RGBColor = RGBColor(0x6b, 0x72, 0x80);
const GRID: RGBColor = RGBColor(0xe5, 0xe9, 0xf0);
const REACHED: RGBColor = RGBColor(0x9c, 0xa3, 0xaf);
const SERIES: RGBColor = RGBColor(0x1e, 0x88, 0xe5);
const NEXT: RGBColor = RGBColor(0xf5, 0x7c, 0x00);

/// One metric's history and outlook, as `milestones::status` knows them.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricHistory {
    pub metric: MetricName,
    /// `monthly active users`, when configured.
    pub label: Option<String>,
    /// The readings of the window, oldest first.
    pub readings: Vec<Reading>,
    /// The metric's rules, to find the milestones in range.
    pub rules: Vec<Rule>,
    /// The highest milestone recorded (announced, baseline or skipped).
    pub reached: Option<u64>,
    pub next: Option<u64>,
    /// When the trend reaches `next`.
    pub expected: Option<DateTime<Utc>>,
}

/// Every metric's history at `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChart {
    pub now: DateTime<Utc>,
    pub metrics: Vec<MetricHistory>,
}

impl StatusChart {
    /// The metrics a panel is drawn for: those with at least one reading.
    fn drawn(&self) -> Vec<&MetricHistory> {
        self.metrics
            .iter()
            .filter(|m| !m.readings.is_empty())
            .collect()
    }

    /// The chart as a PNG, or `None` when no metric has a reading yet (a chart of
    /// nothing tells an admin less than the text does).
    pub fn png(&self) -> Result<Option<Vec<u8>>, RenderError> {
        let drawn = self.drawn();
        if drawn.is_empty() {
            return Ok(None);
        }
        let missing: Vec<&str> = self
            .metrics
            .iter()
            .filter(|m| m.readings.is_empty())
            .map(|m| m.metric.as_str())
            .collect();
        let height = HEADER_HEIGHT
            + PANEL_HEIGHT * drawn.len() as u32
            + if missing.is_empty() { 0 } else { FOOTER_HEIGHT };
        let big = self.draw(&drawn, &missing, height * SUPERSAMPLE)?;
        let small = downscale(&big, WIDTH, height)?;
        small
            .encode_png()
            .map(Some)
            .map_err(|e| RenderError::Encode(e.to_string()))
    }

    fn draw(
        &self,
        drawn: &[&MetricHistory],
        missing: &[&str],
        height: u32,
    ) -> Result<Vec<u8>, RenderError> {
        font::register_with_plotters();
        let s = SUPERSAMPLE as i32;
        let width = WIDTH * SUPERSAMPLE;
        let mut rgb = vec![255u8; (width * height * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
            root.fill(&WHITE).map_err(chart_error)?;
            let (header, rest) = root.split_vertically(HEADER_HEIGHT * SUPERSAMPLE);
            let title = ("sans-serif", 30 * s).into_font().color(&INK);
            header
                .draw_text("Growth", &title, (36 * s, 22 * s))
                .map_err(chart_error)?;
            let sub = ("sans-serif", 20 * s).into_font().color(&MUTED);
            let span = format!(
                "last {} days · ±2σ band · dashed: trend to the next milestone · {}",
                WINDOW.num_days(),
                self.now.format("%Y-%m-%d %H:%M UTC")
            );
            header
                .draw_text(&span, &sub, (150 * s, 27 * s))
                .map_err(chart_error)?;
            let (panels, footer) =
                rest.split_vertically(PANEL_HEIGHT * SUPERSAMPLE * drawn.len() as u32);
            for (area, metric) in panels.split_evenly((drawn.len(), 1)).iter().zip(drawn) {
                panel::draw(area, metric, self.now)?;
            }
            if !missing.is_empty() {
                footer
                    .draw_text(
                        &format!("No readings yet: {}", missing.join(", ")),
                        &sub,
                        (36 * s, 8 * s),
                    )
                    .map_err(chart_error)?;
            }
            root.present().map_err(chart_error)?;
        }
        Ok(rgb)
    }
}

fn chart_error(e: impl std::fmt::Display) -> RenderError {
    RenderError::Chart(e.to_string())
}

/// Days relative to `now` (negative in the past): the x axis.
fn days(at: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    (at - now).num_milliseconds() as f64 / 86_400_000.0
}

/// Readings averaged into at most [`MAX_POINTS`] buckets of equal time:
/// (day, estimate, σ).
fn points(readings: &[Reading], now: DateTime<Utc>) -> Vec<(f64, f64, f64)> {
    let raw: Vec<(f64, f64, f64)> = readings
        .iter()
        .map(|r| (days(r.at, now), r.estimate as f64, r.std_error))
        .collect();
    if raw.len() <= MAX_POINTS {
        return raw;
    }
    let (first, last) = (raw[0].0, raw[raw.len() - 1].0);
    let step = (last - first) / MAX_POINTS as f64;
    let mut out: Vec<(f64, f64, f64)> = Vec::with_capacity(MAX_POINTS + 1);
    let mut bucket = (0.0, 0.0, 0.0, 0usize);
    let mut index = 0usize;
    for p in raw {
        let i = (((p.0 - first) / step) as usize).min(MAX_POINTS - 1);
        if i != index && bucket.3 > 0 {
            let n = bucket.3 as f64;
            out.push((bucket.0 / n, bucket.1 / n, bucket.2 / n));
            bucket = (0.0, 0.0, 0.0, 0);
        }
        index = i;
        bucket = (bucket.0 + p.0, bucket.1 + p.1, bucket.2 + p.2, bucket.3 + 1);
    }
    if bucket.3 > 0 {
        let n = bucket.3 as f64;
        out.push((bucket.0 / n, bucket.1 / n, bucket.2 / n));
    }
    out
}

/// Where the dashed trend goes: from the newest reading to (day, value); `reaches`
/// when it ends on the next milestone (else it is cut at the horizon).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Forecast {
    from: (f64, f64),
    to: (f64, f64),
    reaches: bool,
}

fn forecast(m: &MetricHistory, pts: &[(f64, f64, f64)], now: DateTime<Utc>) -> Option<Forecast> {
    let (next, expected) = (m.next?, m.expected?);
    let &(x0, y0, _) = pts.last()?;
    let history = (x0 - pts[0].0).max(MIN_FORECAST_DAYS);
    let horizon = x0 + history;
    let end = days(expected, now).max(x0);
    if end <= horizon {
        return Some(Forecast {
            from: (x0, y0),
            to: (end, next as f64),
            reaches: true,
        });
    }
    let slope = (next as f64 - y0) / (end - x0);
    Some(Forecast {
        from: (x0, y0),
        to: (horizon, y0 + slope * (horizon - x0)),
        reaches: false,
    })
}

/// The supersampled RGB drawing, scaled to `width`×`height` with filtering.
fn downscale(rgb: &[u8], width: u32, height: u32) -> Result<Pixmap, RenderError> {
    let (bw, bh) = (width * SUPERSAMPLE, height * SUPERSAMPLE);
    let mut rgba = Vec::with_capacity((bw * bh * 4) as usize);
    for p in rgb.chunks_exact(3) {
        rgba.extend_from_slice(&[p[0], p[1], p[2], 255]);
    }
    let big = Pixmap::from_vec(rgba, IntSize::from_wh(bw, bh).ok_or(RenderError::Size)?)
        .ok_or(RenderError::Size)?;
    let mut small = Pixmap::new(width, height).ok_or(RenderError::Size)?;
    let k = 1.0 / SUPERSAMPLE as f32;
    let paint = PixmapPaint {
        quality: tiny_skia::FilterQuality::Bicubic,
        ..PixmapPaint::default()
    };
    small.draw_pixmap(
        0,
        0,
        big.as_ref(),
        &paint,
        Transform::from_scale(k, k),
        None,
    );
    Ok(small)
}

#[cfg(test)]
mod tests;
