//! Empirical CDFs of durations as step functions.

use super::axis::time_axis_to;
use super::canvas::{
    BAND_ALPHA, Canvas, Frame, LABEL, Swatch, compress, header, header_height, item, map, map_t,
    render,
};
use super::palette::series_colour;
use super::{CdfSeries, Chart};
use plotters::style::Color;

const WIDTH: i32 = 900;
const HEIGHT: i32 = 520;

/// A probability, clamped to 0..=1 (NaN → 0).
fn prob(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

pub(crate) fn cdf(name: &str, title: &str, x_label: &str, series: &[CdfSeries]) -> Chart {
    let mut legend: Vec<_> = series
        .iter()
        .enumerate()
        .map(|(i, s)| item(Swatch::Line(series_colour(i)), s.label.clone()))
        .collect();
    if let Some(i) = series.iter().position(|s| s.band.is_some()) {
        legend.push(item(Swatch::Band(series_colour(i)), "95% CI of the mean"));
    }
    let legend = vec![legend];
    let longest = series
        .iter()
        .filter_map(|s| s.runs.last().map(|r| r.0))
        .max()
        .unwrap_or(0);
    // A few very long values (a node that never recovers) would squeeze
    // the rest into the left edge: the axis ends at 1.25 × the largest
    // 99th percentile, and the label says so.
    let p99 = series
        .iter()
        .filter_map(|s| {
            let n = s.len();
            s.at_rank((99 * n).div_ceil(100).saturating_sub(1))
        })
        .max()
        .unwrap_or(0);
    let cap = p99.saturating_add(p99 / 4);
    let cut = p99 > 0 && longest > cap;
    let max = if cut { cap } else { longest };
    let x_label_cut;
    let x_label = if cut {
        x_label_cut = format!(
            "{x_label} (axis cut at 1.25 × the 99th percentile; longest {})",
            crate::time::format_duration(crate::time::SimDuration(longest))
        );
        x_label_cut.as_str()
    } else {
        x_label
    };
    let empty = series.iter().all(|s| s.runs.is_empty());
    let top = header_height(WIDTH, &legend) + 8;
    let f = Frame {
        l: 96,
        t: top,
        r: WIDTH - 36,
        b: HEIGHT - 78,
    };
    let (x_top, xt) = time_axis_to(if max == 0 { 60_000 } else { max }, f.r - f.l, LABEL);
    let x_ticks: Vec<(i32, String)> = xt
        .into_iter()
        .map(|(t, l)| (map_t(t, 0, x_top, f.l, f.r), l))
        .collect();
    let y_ticks: Vec<(i32, String)> = (0..=4)
        .map(|i| {
            let p = f64::from(i) * 0.25;
            (map(p, 0.0, 1.0, f.b, f.t), format!("{}%", i * 25))
        })
        .collect();
    let px = |t: u64| map_t(t, 0, x_top, f.l, f.r);
    let py = |p: f64| map(prob(p), 0.0, 1.0, f.b, f.t);
    render(
        name,
        title,
        WIDTH as u32,
        HEIGHT as u32,
        &|c: &dyn Canvas| {
            header(c, WIDTH, title, &legend);
            f.x_grid(c, &x_ticks, true);
            f.y_grid(c, &y_ticks);
            for (i, s) in series.iter().enumerate() {
                if let Some(band) = &s.band {
                    band_area(c, band, series_colour(i).mix(BAND_ALPHA), &px, &py);
                }
            }
            for (i, s) in series.iter().enumerate() {
                if s.runs.is_empty() {
                    continue;
                }
                let n = s.len() as f64;
                let mut pts = vec![(px(0), py(0.0))];
                let mut k = 0u64;
                for &(v, count) in &s.runs {
                    let before = k as f64 / n;
                    k += count;
                    pts.push((px(v), py(before)));
                    pts.push((px(v), py(k as f64 / n)));
                }
                pts.push((px(x_top), py(1.0)));
                c.line(&compress(pts), series_colour(i).to_rgba(), 3);
            }
            f.axes(c);
            f.x_title(c, x_label);
            f.y_title(c, "share at or below", 22);
            if empty {
                f.note(c, "no data");
            }
        },
    )
}

/// A band drawn as a step area between its low and high curves.
fn band_area(
    c: &dyn Canvas,
    band: &[(u64, f64, f64)],
    col: plotters::style::RGBAColor,
    px: &dyn Fn(u64) -> i32,
    py: &dyn Fn(f64) -> i32,
) {
    let mut b: Vec<(u64, f64, f64)> = band
        .iter()
        .map(|&(x, lo, hi)| (x, prob(lo.min(hi)), prob(lo.max(hi))))
        .collect();
    b.sort_by_key(|p| p.0);
    if b.is_empty() {
        return;
    }
    // Step edges: each point holds until the next one.
    let mut upper = Vec::with_capacity(2 * b.len());
    let mut lower = Vec::with_capacity(2 * b.len());
    for (i, &(x, lo, hi)) in b.iter().enumerate() {
        let x0 = px(x);
        let x1 = b.get(i + 1).map_or(x0 + 1, |n| px(n.0));
        upper.push((x0, py(hi)));
        upper.push((x1, py(hi)));
        lower.push((x0, py(lo)));
        lower.push((x1, py(lo)));
    }
    let mut poly = compress(upper);
    lower.reverse();
    poly.extend(compress(lower));
    c.polygon(&poly, col);
}
