//! The admins' growth chart (`/milestone status`, `milestone-bot status --chart`):
//! per metric with readings, the estimate over the last [`WINDOW`] with its ±2σ
//! band, the milestones in range as labelled lines, and the trend to the next
//! milestone as a dashed line ending at its expected date. Drawn with plotters'
//! bitmap backend and the shipped font, at twice the size and scaled down, which
//! smooths plotters' lines; encoded as PNG.

use super::RenderError;
use super::font;
use crate::milestones::detector::Reading;
use crate::milestones::number::{format_grouped, format_short};
use crate::milestones::rules::{Rule, milestones_in};
use chrono::{DateTime, Duration, Utc};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
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
    pub metric: String,
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
                panel(area, metric, self.now)?;
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

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    m: &MetricHistory,
    now: DateTime<Utc>,
) -> Result<(), RenderError> {
    let s = SUPERSAMPLE as i32;
    let pts = points(&m.readings, now);
    let trend = forecast(m, &pts, now);
    let x0 = pts[0].0.min(pts[pts.len() - 1].0 - 1.0);
    let x1 = trend.map_or(0.0_f64, |f| f.to.0).max(0.0) + 0.5;
    let mut lo = pts.iter().map(|p| p.1 - 2.0 * p.2).fold(f64::MAX, f64::min);
    let mut hi = pts.iter().map(|p| p.1 + 2.0 * p.2).fold(f64::MIN, f64::max);
    if let Some(f) = trend {
        hi = hi.max(f.to.1);
    }
    let pad = ((hi - lo) * 0.12).max(hi.abs() * 0.02).max(1.0);
    lo = (lo - pad).max(0.0);
    hi += pad;

    let latest = m.readings.last().expect("drawn metrics have readings");
    let title = match &m.label {
        Some(label) => format!("{} · {label}", m.metric),
        None => m.metric.clone(),
    };
    let now_text = format!(
        "{} ± {}",
        format_grouped(latest.estimate),
        format_grouped(latest.std_error.round() as u64)
    );
    let mut chart = ChartBuilder::on(area)
        .margin_left(24 * s)
        .margin_right(36 * s)
        .margin_top(18 * s)
        .margin_bottom(10 * s)
        .x_label_area_size(36 * s)
        .y_label_area_size(84 * s)
        .caption(&title, ("sans-serif", 24 * s).into_font().color(&INK))
        .build_cartesian_2d(x0..x1, lo..hi)
        .map_err(chart_error)?;
    // Over a few days, days alone would repeat: show the hour too.
    let date_format = if x1 - x0 < 4.0 {
        "%b %-d %H:%M"
    } else {
        "%b %-d"
    };
    let label_font = ("sans-serif", 16 * s).into_font().color(&MUTED);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_max_light_lines(0)
        .bold_line_style(GRID.stroke_width(s as u32))
        .axis_style(GRID.stroke_width(s as u32))
        .x_labels(7)
        .y_labels(5)
        .label_style(label_font.clone())
        .x_label_formatter(&|x| {
            let at = now + Duration::minutes((x * 1440.0) as i64);
            at.format(date_format).to_string()
        })
        .y_label_formatter(&|y| format_short(y.max(0.0) as u64))
        .draw()
        .map_err(chart_error)?;

    // The milestones in range: reached ones grey, the next one orange.
    let in_range = milestones_in(&m.rules, lo.max(0.0) as u64, hi as u64);
    for milestone in in_range {
        let y = milestone as f64;
        if y <= lo || y >= hi {
            continue;
        }
        let is_next = Some(milestone) == m.next;
        let color = if is_next { NEXT } else { REACHED };
        chart
            .draw_series(DashedLineSeries::new(
                [(x0, y), (x1, y)],
                8 * s,
                6 * s,
                color.stroke_width(s as u32),
            ))
            .map_err(chart_error)?;
        let style = ("sans-serif", 17 * s)
            .into_font()
            .color(&color)
            .pos(Pos::new(HPos::Left, VPos::Bottom));
        let reached = m.reached.is_some_and(|r| r >= milestone);
        let text = match (is_next, reached) {
            (true, _) => format!("next: {}", format_short(milestone)),
            (false, true) => format!("{} ✓", format_short(milestone)),
            (false, false) => format_short(milestone),
        };
        chart
            .draw_series(std::iter::once(Text::new(
                text,
                (x0 + (x1 - x0) * 0.01, y + (hi - lo) * 0.012),
                style,
            )))
            .map_err(chart_error)?;
    }

    // ±2σ band, then the estimate over it.
    let band: Vec<(f64, f64)> = pts
        .iter()
        .map(|p| (p.0, p.1 + 2.0 * p.2))
        .chain(pts.iter().rev().map(|p| (p.0, (p.1 - 2.0 * p.2).max(lo))))
        .collect();
    chart
        .draw_series(std::iter::once(Polygon::new(
            band,
            SERIES.mix(0.16).filled(),
        )))
        .map_err(chart_error)?;
    chart
        .draw_series(LineSeries::new(
            pts.iter().map(|p| (p.0, p.1)),
            SERIES.stroke_width(3 * s as u32),
        ))
        .map_err(chart_error)?;
    let last = pts[pts.len() - 1];
    chart
        .draw_series(std::iter::once(Circle::new(
            (last.0, last.1),
            5 * s,
            SERIES.filled(),
        )))
        .map_err(chart_error)?;

    if let Some(f) = trend {
        chart
            .draw_series(DashedLineSeries::new(
                [f.from, f.to],
                10 * s,
                8 * s,
                NEXT.stroke_width(3 * s as u32),
            ))
            .map_err(chart_error)?;
        let when = m
            .expected
            .map(|e| e.format(date_format).to_string())
            .unwrap_or_default();
        let (text, anchor) = if f.reaches {
            chart
                .draw_series(std::iter::once(Circle::new(f.to, 6 * s, NEXT.filled())))
                .map_err(chart_error)?;
            (format!("~{when}"), HPos::Right)
        } else {
            (
                format!("{} ~{when} →", format_short(m.next.unwrap_or_default())),
                HPos::Right,
            )
        };
        // Above the end point, clear of the dashed line coming up to it.
        let style = ("sans-serif", 17 * s)
            .into_font()
            .color(&NEXT)
            .pos(Pos::new(anchor, VPos::Bottom));
        chart
            .draw_series(std::iter::once(Text::new(
                text,
                (f.to.0, f.to.1 + (hi - lo) * 0.035),
                style,
            )))
            .map_err(chart_error)?;
    }

    // The latest estimate, top right of the panel.
    let (w, _) = area.dim_in_pixel();
    let style = ("sans-serif", 20 * s)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Right, VPos::Top));
    area.draw_text(&now_text, &style, (w as i32 - 40 * s, 20 * s))
        .map_err(chart_error)?;
    Ok(())
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
