//! Capacity: Ready nodes per pool (top panel) and nodes in repair (bottom).

use super::axis::{count_axis, time_ticks};
use super::canvas::{
    AREA_ALPHA, Canvas, Compressor, Frame, LABEL, Swatch, dashed_h, header, header_height, item,
    map, map_t, render, text_width,
};
use super::palette::{IN_REPAIR, INK, series_colour};
use super::{Chart, PoolSeries};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

const WIDTH: i32 = 900;
const HEIGHT: i32 = 640;

/// A step series turned into pixels point by point: each value holds
/// until the next point, the last until the horizon; points past the
/// horizon are dropped.
#[derive(Default)]
struct StepLine {
    prev: Option<u32>,
    past: bool,
    c: Compressor,
}

impl StepLine {
    fn push(
        &mut self,
        (t, v): (u64, u32),
        horizon: u64,
        px: &dyn Fn(u64) -> i32,
        py: &dyn Fn(u32) -> i32,
    ) {
        if self.past || t > horizon {
            self.past = true;
            return;
        }
        if let Some(p) = self.prev {
            self.c.push((px(t), py(p)));
        }
        self.c.push((px(t), py(v)));
        self.prev = Some(v);
    }

    fn finish(
        mut self,
        horizon: u64,
        px: &dyn Fn(u64) -> i32,
        py: &dyn Fn(u32) -> i32,
    ) -> Vec<(i32, i32)> {
        if let Some(p) = self.prev {
            self.c.push((px(horizon), py(p)));
        }
        self.c.finish()
    }
}

/// Hands each point of the series to its argument: `(series, (t, level))`,
/// series `i < pools` being pool `i`'s Ready nodes and `pools` the nodes in
/// repair; each series' points in time order.
pub type Feed<'a> = &'a mut dyn FnMut(&mut dyn FnMut(usize, (u64, u32)));

pub(crate) fn capacity(
    title: &str,
    horizon_ms: u64,
    pools: &[PoolSeries],
    in_repair: &[(u64, u32)],
) -> Chart {
    let ready_max = pools
        .iter()
        .flat_map(|p| p.ready.iter().map(|r| r.1))
        .max()
        .unwrap_or(0);
    let repair_max = in_repair.iter().map(|r| r.1).max().unwrap_or(0);
    capacity_fed(
        title,
        horizon_ms,
        pools,
        (ready_max, repair_max),
        &mut |f| {
            for (i, p) in pools.iter().enumerate() {
                p.ready.iter().for_each(|&pt| f(i, pt));
            }
            in_repair.iter().for_each(|&pt| f(pools.len(), pt));
        },
    )
}

/// [`capacity`] with the points fed rather than listed (`pools`' `ready`
/// are not read): memory is the drawing's, not the series'. `maxima`: the
/// highest Ready level of any pool and the most nodes in repair.
pub(crate) fn capacity_fed(
    title: &str,
    horizon_ms: u64,
    pools: &[PoolSeries],
    maxima: (u32, u32),
    feed: Feed,
) -> Chart {
    let horizon = horizon_ms.max(1);
    let mut items: Vec<_> = pools
        .iter()
        .enumerate()
        .map(|(i, p)| {
            item(
                Swatch::Line(series_colour(i)),
                format!("{} ({} nodes)", p.pool, p.count),
            )
        })
        .collect();
    items.push(item(Swatch::Dashed(INK), "pool size"));
    items.push(item(Swatch::Dot(INK), "minimum Ready"));
    items.push(item(Swatch::Area(IN_REPAIR), "nodes in repair"));
    let legend = vec![items];
    let ready_max = pools
        .iter()
        .flat_map(|p| [p.count, p.min.1])
        .chain([maxima.0])
        .max()
        .unwrap_or(0);
    let repair_max = maxima.1;
    // Headroom so a full pool's line sits below the frame's top.
    let (top_y, top_ticks) = count_axis(u64::from(ready_max) * 11 / 10 + 1, 5);
    let (bot_y, bot_ticks) = count_axis(u64::from(repair_max), 3);
    let label_w = top_ticks
        .iter()
        .chain(&bot_ticks)
        .map(|(_, l)| text_width(l, LABEL))
        .max()
        .unwrap_or(0);
    let head = header_height(WIDTH, &legend) + 10;
    let (l, r) = (52 + label_w + 12, WIDTH - 36);
    let bottom = HEIGHT - 78;
    let gap = 24;
    let avail = bottom - head - gap;
    let upper = Frame {
        l,
        r,
        t: head,
        b: head + avail * 62 / 100,
    };
    let lower = Frame {
        l,
        r,
        t: upper.b + gap,
        b: bottom,
    };
    let xt: Vec<(i32, String)> = time_ticks(0, horizon, r - l, LABEL)
        .into_iter()
        .map(|(t, s)| (map_t(t, 0, horizon, l, r), s))
        .collect();
    let yt = |f: &Frame, top: u64, ticks: &[(u64, String)]| -> Vec<(i32, String)> {
        ticks
            .iter()
            .map(|(v, s)| (map(*v as f64, 0.0, top as f64, f.b, f.t), s.clone()))
            .collect()
    };
    let upper_ticks = yt(&upper, top_y, &top_ticks);
    let lower_ticks = yt(&lower, bot_y, &bot_ticks);
    let px = |t: u64| map_t(t, 0, horizon, l, r);
    let py = |v: u32| map(f64::from(v), 0.0, top_y as f64, upper.b, upper.t);
    let qy = |v: u32| map(f64::from(v), 0.0, bot_y as f64, lower.b, lower.t);
    let mut steps: Vec<StepLine> = (0..=pools.len()).map(|_| StepLine::default()).collect();
    feed(&mut |i, pt| {
        if let Some(s) = steps.get_mut(i) {
            let y: &dyn Fn(u32) -> i32 = if i < pools.len() { &py } else { &qy };
            s.push(pt, horizon, &px, y);
        }
    });
    let repair_line = steps
        .pop()
        .map_or_else(Vec::new, |s| s.finish(horizon, &px, &qy));
    let lines: Vec<Vec<(i32, i32)>> = steps
        .into_iter()
        .map(|s| s.finish(horizon, &px, &py))
        .collect();
    // Every straight piece drawn in the upper panel, to place labels
    // where they cross the fewest.
    let mut segments: Vec<Segment> = lines
        .iter()
        .flat_map(|ln| ln.windows(2).map(|w| (w[0], w[1])))
        .collect();
    segments.extend(pools.iter().map(|p| ((l, py(p.count)), (r, py(p.count)))));
    let mut placed: Vec<Rect> = Vec::new();
    let mut labels = Vec::with_capacity(pools.len());
    for p in pools {
        let (x, y) = (px(p.min.0.min(horizon)), py(p.min.1));
        placed.push((x - 6, y - 6, x + 6, y + 6));
    }
    for p in pools {
        let (x, y) = (px(p.min.0.min(horizon)), py(p.min.1));
        let s = format!("min {}", p.min.1);
        let w = text_width(&s, LABEL);
        let at = place(w, (x, y), &upper, &segments, &placed);
        placed.push((at.0, at.1 - 10, at.0 + w, at.1 + 10));
        labels.push(((x, y), at, s));
    }
    render(
        "capacity",
        title,
        WIDTH as u32,
        HEIGHT as u32,
        &|c: &dyn Canvas| {
            header(c, WIDTH, title, &legend);
            // Upper panel: Ready nodes per pool.
            upper.x_grid(c, &xt, false);
            upper.y_grid(c, &upper_ticks);
            for (i, (p, line)) in pools.iter().zip(&lines).enumerate() {
                let col = series_colour(i);
                dashed_h(c, l, r, py(p.count), col.mix(0.7), 1);
                c.line(line, col.to_rgba(), 2);
            }
            for (i, (dot, at, s)) in labels.iter().enumerate() {
                c.circle(*dot, 5, series_colour(i).to_rgba(), true, 0);
                c.circle(*dot, 5, INK.to_rgba(), false, 1);
                c.text(s, *at, LABEL, INK, HPos::Left, VPos::Center);
            }
            upper.axes(c);
            upper.y_title(c, "Ready nodes", 20);
            // Lower panel: nodes in repair.
            lower.x_grid(c, &xt, true);
            lower.y_grid(c, &lower_ticks);
            let line = &repair_line;
            if let (Some(a), Some(b)) = (line.first(), line.last()) {
                let mut area = line.clone();
                area.push((b.0, lower.b));
                area.push((a.0, lower.b));
                c.polygon(&area, IN_REPAIR.mix(AREA_ALPHA));
            }
            c.line(line, IN_REPAIR.to_rgba(), 2);
            lower.axes(c);
            lower.y_title(c, "in repair", 20);
            lower.x_title(c, "simulated time since start");
            if pools.is_empty() {
                upper.note(c, "no pools");
            }
        },
    )
}

/// A pixel rectangle: left, top, right, bottom.
type Rect = (i32, i32, i32, i32);

/// A straight piece of a drawn line, in pixels.
type Segment = ((i32, i32), (i32, i32));

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 <= b.2 && b.0 <= a.2 && a.1 <= b.3 && b.1 <= a.3
}

/// Where a label `w` wide for the dot at `dot` goes: the first of below,
/// right, left, above (and the diagonals) crossing the fewest drawn
/// segments and no placed label or dot. Returns its left-centre point.
fn place(w: i32, dot: (i32, i32), f: &Frame, segments: &[Segment], placed: &[Rect]) -> (i32, i32) {
    let (x, y) = dot;
    let candidates = [
        (x - w / 2, y + 18),
        (x + 10, y),
        (x - 10 - w, y),
        (x - w / 2, y - 18),
        (x + 10, y + 18),
        (x + 10, y - 18),
        (x - 10 - w, y + 18),
        (x - 10 - w, y - 18),
    ];
    let mut best = (usize::MAX, candidates[0]);
    for (k, &(cx, cy)) in candidates.iter().enumerate() {
        let cx = cx.clamp(f.l + 2, (f.r - w - 2).max(f.l + 2));
        let cy = cy.clamp(f.t + 10, (f.b - 10).max(f.t + 10));
        let rect = (cx - 2, cy - 11, cx + w + 2, cy + 11);
        let crossings = segments
            .iter()
            .filter(|&&(a, b)| {
                let s = (a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1));
                overlaps(rect, s)
            })
            .count();
        let clashes = placed.iter().filter(|&&p| overlaps(rect, p)).count();
        let cost = (crossings + 1000 * clashes) * 8 + k;
        if cost < best.0 {
            best = (cost, (cx, cy));
        }
    }
    best.1
}
