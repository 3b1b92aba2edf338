//! The node timeline: a Gantt chart, one row per node.

use super::axis::time_ticks;
use super::canvas::{
    AXIS_TITLE, Canvas, Frame, LABEL, Swatch, fit, header, header_height, item, map_t, marker,
    render, text_width,
};
use super::palette::{INK, MUTED, STRIPE, state_colour};
use super::{Chart, MarkerKind, NodeState, TimelineRow};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

const WIDTH: i32 = 1200;
/// Rows drawn at most; the rest are counted in a note.
pub(crate) const MAX_ROWS: usize = 40;
const MAX_LABEL_W: i32 = 300;

/// `window` widened to one minute when empty or reversed.
fn widen((from, to): (u64, u64)) -> (u64, u64) {
    if to > from {
        (from, to)
    } else if let Some(t) = from.checked_add(60_000) {
        (from, t)
    } else {
        (u64::MAX - 60_000, u64::MAX)
    }
}

/// `shown`: at most [`MAX_ROWS`] of the `total` rows. `states` are the
/// legend's: the policy's vocabulary.
pub(crate) fn timeline(
    title: &str,
    shown: &[TimelineRow],
    total: usize,
    window: (u64, u64),
    states: &[NodeState],
) -> Chart {
    let (from, to) = widen(window);
    let hidden = total - shown.len();
    // Each row: a lane of markers above a bar of states, so markers never
    // hide a short state. Rows get tighter past 20.
    let roomy = shown.len() <= 20;
    let pitch = if roomy { 34 } else { 28 };
    let (lane_y, r) = if roomy { (10, 5) } else { (8, 4) };
    let (bar_t, bar_b) = (lane_y + r + 3, pitch - 3);
    let legend = vec![
        states
            .iter()
            .map(|&s| item(Swatch::Fill(state_colour(s)), s.name()))
            .collect::<Vec<_>>(),
        vec![
            item(Swatch::Marker(MarkerKind::Start), "repair action started"),
            item(Swatch::Marker(MarkerKind::End), "repair action ended"),
            item(Swatch::Marker(MarkerKind::Error), "repair action failed"),
        ],
    ];
    let names: Vec<String> = shown
        .iter()
        .map(|r| fit(&r.node, LABEL, MAX_LABEL_W))
        .collect();
    let label_w = names
        .iter()
        .map(|n| text_width(n, LABEL))
        .max()
        .unwrap_or(40)
        .max(40);
    let top = header_height(WIDTH, &legend) + 6;
    let plot_h = if shown.is_empty() {
        180
    } else {
        (shown.len() as i32 * pitch).max(2 * pitch)
    };
    let f = Frame {
        l: 44 + label_w + 12,
        t: top,
        r: WIDTH - 36,
        b: top + plot_h,
    };
    let height = f.b + 78 + if hidden > 0 { 30 } else { 0 };
    let ticks: Vec<(i32, String)> = time_ticks(from, to, f.r - f.l, LABEL)
        .into_iter()
        .map(|(t, l)| (map_t(t, from, to, f.l, f.r), l))
        .collect();
    let row_top = |i: usize| f.t + i as i32 * pitch;
    render(
        "timeline",
        title,
        WIDTH as u32,
        height as u32,
        &|c: &dyn Canvas| {
            header(c, WIDTH, title, &legend);
            for i in (1..shown.len()).step_by(2) {
                let y = row_top(i);
                c.rect(f.l, y, f.r, y + pitch - 1, STRIPE.to_rgba());
            }
            f.x_grid(c, &ticks, true);
            for (i, row) in shown.iter().enumerate() {
                let y = row_top(i);
                for (x0, x1, st) in spans(&row.intervals, (from, to), (f.l, f.r)) {
                    c.rect(x0, y + bar_t, x1, y + bar_b, state_colour(st).to_rgba());
                }
                c.text(
                    &names[i],
                    (f.l - 10, y + pitch / 2),
                    LABEL,
                    INK,
                    HPos::Right,
                    VPos::Center,
                );
            }
            // Markers in their lanes.
            for (i, row) in shown.iter().enumerate() {
                for (x, k) in marker_layout(&row.markers, (from, to), (f.l, f.r), 2 * r + 4) {
                    marker(c, k, x, row_top(i) + lane_y, r);
                }
            }
            f.axes(c);
            f.x_title(c, "simulated time since start");
            f.y_title(c, "node", 18);
            if shown.is_empty() {
                f.note(c, "no incidents");
            }
            if hidden > 0 {
                c.text(
                    &format!(
                        "+{hidden} more nodes not shown (first {} of {})",
                        shown.len(),
                        total
                    ),
                    (f.l, f.b + 78),
                    AXIS_TITLE,
                    MUTED,
                    HPos::Left,
                    VPos::Top,
                );
            }
        },
    )
}

/// A row's intervals as pixel spans `(x0, x1, state)`, `x1` exclusive:
/// each pixel column shows the last state other than Ready covering it,
/// else Ready; a state other than Ready is at least 2 px wide however
/// short.
/// At most one span per pixel column, however many intervals.
fn spans(
    iv: &[(u64, u64, NodeState)],
    (from, to): (u64, u64),
    (l, r): (i32, i32),
) -> Vec<(i32, i32, NodeState)> {
    let width = (r - l).max(1);
    let mut cols: Vec<Option<NodeState>> = vec![None; width as usize];
    // Ready first, so the other states paint over it.
    let ready = iv.iter().filter(|v| v.2 == NodeState::Ready);
    for &(s, e, st) in ready.chain(iv.iter().filter(|v| v.2 != NodeState::Ready)) {
        let (s, e) = (s.min(e), s.max(e));
        if e < from || s > to {
            continue;
        }
        let min_w = if st == NodeState::Ready { 1 } else { 2 };
        let x0 = (map_t(s, from, to, 0, width)).min(width - 1);
        let x1 = map_t(e, from, to, 0, width).max(x0 + min_w).min(width);
        for col in &mut cols[x0 as usize..x1 as usize] {
            *col = Some(st);
        }
    }
    let mut out: Vec<(i32, i32, NodeState)> = Vec::new();
    for (x, col) in cols.iter().enumerate() {
        let x = l + x as i32;
        match (col, out.last_mut()) {
            (Some(st), Some(last)) if last.2 == *st && last.1 == x => last.1 = x + 1,
            (Some(st), _) => out.push((x, x + 1, *st)),
            (None, _) => {}
        }
    }
    out
}

/// Where a row's markers go: in time order; markers closer than `gap`
/// px form a cluster, drawn side by side `gap` apart around the
/// cluster's middle, each kind once (in order of first appearance), so
/// markers never hide each other. Apart from clusters, at the exact time.
fn marker_layout(
    markers: &[(u64, MarkerKind)],
    (from, to): (u64, u64),
    (l, r): (i32, i32),
    gap: i32,
) -> Vec<(i32, MarkerKind)> {
    let mut xs: Vec<(i32, MarkerKind)> = markers
        .iter()
        .filter(|(t, _)| (from..=to).contains(t))
        .map(|&(t, k)| (map_t(t, from, to, l, r), k))
        .collect();
    xs.sort_by_key(|m| m.0);
    let mut out = Vec::with_capacity(xs.len());
    let mut i = 0;
    while i < xs.len() {
        let mut j = i + 1;
        while j < xs.len() && xs[j].0 - xs[j - 1].0 < gap {
            j += 1;
        }
        let mut kinds: Vec<MarkerKind> = Vec::with_capacity(3);
        for &(_, k) in &xs[i..j] {
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        let n = kinds.len() as i32;
        let mid = (xs[i].0 + xs[j - 1].0) / 2;
        let first = (mid - (n - 1) * gap / 2).clamp(l, (r - (n - 1) * gap).max(l));
        out.extend(
            kinds
                .into_iter()
                .enumerate()
                .map(|(k, kind)| (first + k as i32 * gap, kind)),
        );
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_paint_the_last_state_per_pixel() {
        use NodeState::*;
        let iv = [(0, 50, Ready), (50, 51, NotReady), (51, 100, Ready)];
        assert_eq!(
            spans(&iv, (0, 100), (10, 110)),
            vec![(10, 60, Ready), (60, 62, NotReady), (62, 110, Ready)]
        );
        // A million alternating slivers: at most one span per column.
        let many: Vec<_> = (0..1_000_000u64)
            .map(|i| (i, i + 1, if i % 2 == 0 { Ready } else { Unknown }))
            .collect();
        assert!(spans(&many, (0, 1_000_000), (0, 900)).len() <= 900);
        assert!(spans(&[], (0, 1), (0, 900)).is_empty());
    }

    #[test]
    fn markers_in_a_cluster_stand_side_by_side() {
        use MarkerKind::*;
        let m = [
            (110, Start),
            (111, Error),
            (111, Start),
            (112, End),
            (500, Start),
        ];
        assert_eq!(
            marker_layout(&m, (0, 1000), (0, 1000), 14),
            vec![(97, Start), (111, Error), (125, End), (500, Start)]
        );
        // Pushed inside the frame at its edges.
        let m = [(0, Start), (1, End)];
        assert_eq!(
            marker_layout(&m, (0, 1000), (0, 1000), 14),
            vec![(0, Start), (14, End)]
        );
        assert!(marker_layout(&[], (0, 1), (0, 100), 14).is_empty());
    }

    #[test]
    fn windows_widen() {
        assert_eq!(widen((5, 5)), (5, 60_005));
        assert_eq!(widen((10, 5)), (10, 60_010));
        assert_eq!(widen((u64::MAX, u64::MAX)), (u64::MAX - 60_000, u64::MAX));
    }
}
