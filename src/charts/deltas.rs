//! Comparison deltas: one bar per metric, difference as a percentage of
//! the baseline mean, with its confidence interval.

use super::axis::{decimals, float_step};
use super::canvas::{
    Canvas, Frame, LABEL, Swatch, fit, header, header_height, item, map, render, text_width,
    whisker,
};
use super::palette::{AXIS, INK, MUTED, STRIPE, verdict_colour};
use super::{Chart, Delta};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

const WIDTH: i32 = 900;
const MAX_LABEL_W: i32 = 320;
/// Percentages beyond this are drawn at it.
const LIMIT: f64 = 1e6;

fn clamp_pct(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-LIMIT, LIMIT)
    }
}

fn pct_label(v: f64, d: usize) -> String {
    let s = format!("{v:+.d$}");
    if s.trim_start_matches(['+', '-'])
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        format!("{:.d$}%", 0.0)
    } else {
        format!("{s}%")
    }
}

pub(crate) fn deltas(title: &str, rows: &[Delta]) -> Chart {
    // Verdicts present, in a fixed order, then any others as given.
    let mut verdicts: Vec<&str> = Vec::new();
    for v in ["better", "worse", "higher", "lower"]
        .into_iter()
        .chain(rows.iter().map(|r| r.verdict.as_str()))
    {
        if rows.iter().any(|r| r.verdict == v) && !verdicts.contains(&v) {
            verdicts.push(v);
        }
    }
    let mut items: Vec<_> = verdicts
        .iter()
        .map(|v| item(Swatch::Fill(verdict_colour(v)), *v))
        .collect();
    items.push(item(Swatch::Whisker, "confidence interval"));
    let legend = vec![items];
    let vals: Vec<(f64, f64, f64)> = rows
        .iter()
        .map(|d| {
            let (lo, hi) = (clamp_pct(d.lo_pct), clamp_pct(d.hi_pct));
            (clamp_pct(d.pct), lo.min(hi), lo.max(hi))
        })
        .collect();
    let (mut lo, mut hi) = vals.iter().fold((0.0f64, 0.0f64), |(a, b), v| {
        (a.min(v.1).min(v.0), b.max(v.2).max(v.0))
    });
    if hi - lo < 1.0 {
        lo -= 0.5;
        hi += 0.5;
    }
    let step = float_step((hi - lo) * 1.1, 6);
    let dec = decimals(step);
    let lo_i = (lo / step).floor() as i64;
    let hi_i = (hi / step).ceil() as i64;
    let (d0, d1) = (lo_i as f64 * step, hi_i as f64 * step);
    let names: Vec<String> = rows
        .iter()
        .map(|r| fit(&r.metric, LABEL, MAX_LABEL_W))
        .collect();
    let name_w = names
        .iter()
        .map(|n| text_width(n, LABEL))
        .max()
        .unwrap_or(0);
    let values: Vec<String> = vals
        .iter()
        .map(|(p, lo, hi)| {
            let d = dec.max(1);
            format!(
                "{} [{}, {}]",
                pct_label(*p, d),
                pct_label(*lo, d),
                pct_label(*hi, d)
            )
        })
        .collect();
    let value_w = values
        .iter()
        .map(|v| text_width(v, LABEL))
        .max()
        .unwrap_or(0);
    let pitch = 36;
    let top = header_height(WIDTH, &legend) + 10;
    let plot_h = (rows.len() as i32 * pitch).max(3 * pitch);
    let f = Frame {
        l: 20 + name_w + 14,
        t: top,
        r: WIDTH - 24 - value_w - 14,
        b: top + plot_h,
    };
    let height = f.b + 78;
    let x_ticks: Vec<(i32, String)> = (lo_i..=hi_i)
        .map(|i| {
            let v = i as f64 * step;
            let l = if i == 0 {
                "0%".to_string()
            } else {
                pct_label(v, dec)
            };
            (map(v, d0, d1, f.l, f.r), l)
        })
        .collect();
    render(
        "deltas",
        title,
        WIDTH as u32,
        height as u32,
        &|c: &dyn Canvas| {
            header(c, WIDTH, title, &legend);
            let px = |v: f64| map(v, d0, d1, f.l, f.r);
            for i in (1..rows.len()).step_by(2) {
                let y = f.t + i as i32 * pitch;
                c.rect(f.l, y, f.r, y + pitch - 1, STRIPE.to_rgba());
            }
            f.x_grid(c, &x_ticks, true);
            let zero = px(0.0);
            for (i, ((p, lo, hi), r)) in vals.iter().zip(rows).enumerate() {
                let y = f.t + i as i32 * pitch + pitch / 2;
                let x = px(*p);
                let (a, b) = (zero.min(x), zero.max(x));
                c.rect(
                    a,
                    y - 9,
                    b.max(a + 1),
                    y + 9,
                    verdict_colour(&r.verdict).to_rgba(),
                );
                whisker(c, px(*lo), px(*hi), y, 7);
                c.circle((x, y), 3, INK.to_rgba(), true, 0);
                c.text(
                    &names[i],
                    (f.l - 12, y),
                    LABEL,
                    INK,
                    HPos::Right,
                    VPos::Center,
                );
                c.text(
                    &values[i],
                    (f.r + 14, y),
                    LABEL,
                    MUTED,
                    HPos::Left,
                    VPos::Center,
                );
            }
            c.line(&[(zero, f.t), (zero, f.b)], AXIS.to_rgba(), 2);
            c.line(&[(f.l, f.b), (f.r, f.b)], AXIS.to_rgba(), 1);
            f.x_title(c, "difference vs baseline mean (% of baseline)");
            if rows.is_empty() {
                f.note(c, "no metrics");
            }
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels() {
        assert_eq!(super::pct_label(12.34, 1), "+12.3%");
        assert_eq!(super::pct_label(-0.001, 1), "0.0%");
        assert_eq!(super::pct_label(-5.0, 0), "-5%");
    }
}
