//! Tick positions and labels, in integer arithmetic wherever the values
//! are integers (simulated time, counts), so that no platform's `log10`
//! or `powf` can move a tick.

use super::canvas::text_width;

const S: u64 = 1_000;
const M: u64 = 60 * S;
const H: u64 = 60 * M;
const D: u64 = 24 * H;

/// Candidate time steps [ms], ascending; after the table, 100 days times
/// 1, 2, 5, 10, ... (saturating).
fn time_steps() -> impl Iterator<Item = u64> {
    const TABLE: [u64; 33] = [
        100,
        200,
        500,
        S,
        2 * S,
        5 * S,
        10 * S,
        15 * S,
        30 * S,
        M,
        2 * M,
        5 * M,
        10 * M,
        15 * M,
        20 * M,
        30 * M,
        H,
        2 * H,
        3 * H,
        4 * H,
        6 * H,
        12 * H,
        D,
        2 * D,
        7 * D,
        14 * D,
        30 * D,
        60 * D,
        100 * D,
        200 * D,
        500 * D,
        1_000 * D,
        2_000 * D,
    ];
    let tail = (0..).map_while(|k: u32| {
        let base = 5_000 * D;
        let m = [1u64, 2, 5][(k % 3) as usize];
        10u64
            .checked_pow(k / 3)
            .and_then(|p| p.checked_mul(m))
            .and_then(|x| x.checked_mul(base))
    });
    TABLE.into_iter().chain(tail)
}

/// The label unit for a span [ms]: seconds below 3 minutes, minutes below
/// 3 hours, hours below 3 days, days from there.
fn unit_for(span_ms: u64) -> (u64, &'static str) {
    if span_ms < 3 * M {
        (S, "s")
    } else if span_ms < 3 * H {
        (M, "m")
    } else if span_ms < 3 * D {
        (H, "h")
    } else {
        (D, "d")
    }
}

/// Human label for an instant or duration `ms` on an axis spanning
/// `span_ms`: the span picks the unit (s, m, h or d) and a value that is
/// not a whole number of units gets the smaller units after it: "30m",
/// "2h", "1h30m", "3d", "1d12h", "1.5s".
pub fn time_ticks_label(ms: u64, span_ms: u64) -> String {
    let (unit, name) = unit_for(span_ms);
    const UNITS: [(u64, &str); 4] = [(D, "d"), (H, "h"), (M, "m"), (S, "s")];
    let mut out = String::new();
    let mut rest = ms;
    for &(u, n) in UNITS.iter().filter(|(u, _)| *u <= unit) {
        let q = rest / u;
        rest %= u;
        if u == S && rest > 0 {
            // Fractional seconds: "1.5s", "0.25s".
            let frac = format!("{rest:03}");
            out.push_str(&format!("{q}.{}s", frac.trim_end_matches('0')));
            rest = 0;
        } else if q > 0 {
            out.push_str(&format!("{q}{n}"));
        }
        if rest == 0 {
            break;
        }
    }
    if out.is_empty() {
        out = format!("0{name}");
    }
    out
}

/// At most this many ticks per pixel of axis: one per `px / 70`.
fn max_ticks(px: i32) -> u64 {
    (px.max(140) / 70) as u64
}

/// Ticks for a time axis from `from` to `to` (inclusive) drawn `px` wide
/// with labels of `size`: the smallest nice step whose labels do not
/// overlap. Returns (value, label) pairs.
pub(crate) fn time_ticks(from: u64, to: u64, px: i32, size: f64) -> Vec<(u64, String)> {
    let span = to.saturating_sub(from).max(1);
    for step in time_steps() {
        if span / step + 1 > max_ticks(px) {
            continue;
        }
        let ticks = multiples(from, to, step, span);
        if fits(&ticks, span, step, px, size) {
            return ticks;
        }
    }
    vec![
        (from, time_ticks_label(from, span)),
        (to, time_ticks_label(to, span)),
    ]
}

/// A time axis from 0 to a nice top at or above `max` [ms]: (top, ticks).
pub(crate) fn time_axis_to(max: u64, px: i32, size: f64) -> (u64, Vec<(u64, String)>) {
    let max = max.max(1);
    for step in time_steps() {
        let n = max.div_ceil(step);
        if n + 1 > max_ticks(px) {
            continue;
        }
        let Some(top) = n.checked_mul(step) else {
            break;
        };
        let ticks = multiples(0, top, step, top);
        if fits(&ticks, top, step, px, size) {
            return (top, ticks);
        }
    }
    (
        max,
        vec![(0, "0".into()), (max, time_ticks_label(max, max))],
    )
}

fn multiples(from: u64, to: u64, step: u64, span: u64) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut t = from.div_ceil(step).saturating_mul(step);
    while t <= to && t >= from {
        out.push((t, time_ticks_label(t, span)));
        match t.checked_add(step) {
            Some(n) => t = n,
            None => break,
        }
    }
    out
}

/// Whether labels `step` apart on a `px` axis over `span` leave a gap.
fn fits(ticks: &[(u64, String)], span: u64, step: u64, px: i32, size: f64) -> bool {
    let widest = ticks
        .iter()
        .map(|(_, l)| text_width(l, size))
        .max()
        .unwrap_or(0);
    let spacing = step as f64 / span as f64 * f64::from(px);
    spacing >= f64::from(widest + 18)
}

/// A count axis from 0 to a nice top at or above `max`: steps 1, 2, 5,
/// 10, ...; at most `n` intervals. Returns (top, ticks).
pub(crate) fn count_axis(max: u64, n: u64) -> (u64, Vec<(u64, String)>) {
    let max = max.max(1);
    let mut k = 0u32;
    loop {
        let Some(p) = 10u64.checked_pow(k / 3) else {
            return (max, vec![(0, "0".into()), (max, max.to_string())]);
        };
        let step = p.saturating_mul([1, 2, 5][(k % 3) as usize]);
        if max.div_ceil(step) <= n {
            let top = max.div_ceil(step).saturating_mul(step);
            let ticks = (0..=top / step)
                .map(|i| (i * step, (i * step).to_string()))
                .collect();
            return (top, ticks);
        }
        k += 1;
    }
}

/// A nice step for a float span, at most `n` intervals: 1, 2 or 5 times a
/// power of ten reached by repeated multiplication (exact and portable).
pub(crate) fn float_step(span: f64, n: u32) -> f64 {
    let span = if span.is_finite() && span > 0.0 {
        span
    } else {
        1.0
    };
    let mut p = 1.0f64;
    while p * 10.0 <= span {
        p *= 10.0;
    }
    while p > span {
        p /= 10.0;
    }
    for m in [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0] {
        let step = p * m;
        if span / step <= f64::from(n) {
            return step;
        }
    }
    p * 10.0
}

/// Decimals needed to print multiples of `step`.
pub(crate) fn decimals(step: f64) -> usize {
    let mut s = step;
    let mut d = 0;
    while s < 0.999 && d < 6 {
        s *= 10.0;
        d += 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_the_span() {
        assert_eq!(time_ticks_label(30 * M, 90 * M), "30m");
        assert_eq!(time_ticks_label(90 * M, 90 * M), "90m");
        assert_eq!(time_ticks_label(2 * H, 12 * H), "2h");
        assert_eq!(time_ticks_label(90 * M, 12 * H), "1h30m");
        assert_eq!(time_ticks_label(30 * M, 12 * H), "30m");
        assert_eq!(time_ticks_label(3 * D, 3 * D), "3d");
        assert_eq!(time_ticks_label(36 * H, 5 * D), "1d12h");
        assert_eq!(time_ticks_label(12 * H, 2 * D), "12h");
        assert_eq!(time_ticks_label(0, 2 * D), "0h");
        assert_eq!(time_ticks_label(1_500, 10 * S), "1.5s");
        assert_eq!(time_ticks_label(250, 10 * S), "0.25s");
        assert_eq!(time_ticks_label(0, 0), "0s");
        assert!(!time_ticks_label(u64::MAX, u64::MAX).is_empty());
    }

    #[test]
    fn ticks_are_nice_and_fit() {
        let t = time_ticks(0, 90 * M, 800, 18.0);
        assert!(t.len() >= 4, "{t:?}");
        assert!(t.iter().all(|(v, _)| v % (5 * M) == 0));
        assert_eq!(t[0].1, "0m");
        let t = time_ticks(0, 3 * D, 800, 18.0);
        assert!(t.iter().all(|(_, l)| l.ends_with('d') || l.ends_with('h')));
        let (top, t) = time_axis_to(17 * M, 800, 18.0);
        assert!(top >= 17 * M && t.last().unwrap().0 == top);
        assert!(!time_ticks(0, u64::MAX, 800, 18.0).is_empty());
        assert!(!time_axis_to(u64::MAX, 800, 18.0).1.is_empty());
        let (top, t) = count_axis(17, 6);
        assert_eq!((top, t.len()), (20, 5));
        assert_eq!(count_axis(0, 6).0, 1);
        assert!(count_axis(u64::MAX, 6).1.len() >= 2);
        assert_eq!(float_step(37.0, 8), 5.0);
        assert_eq!(decimals(0.5), 1);
    }
}
