//! One metric's panel of the status chart: axes, the milestones in range, the ±2σ
//! band, the estimate, the dashed trend to the next milestone, the latest count.

use super::{
    GRID, INK, MUTED, MetricHistory, NEXT, REACHED, SERIES, SUPERSAMPLE, chart_error, forecast,
    points,
};
use crate::milestones::rules::milestones_in;
use crate::render::RenderError;
use crate::text::number::{format_grouped, format_short};
use chrono::{DateTime, Duration, Utc};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub(super) fn draw<DB: DrawingBackend>(
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
        None => m.metric.to_string(),
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
