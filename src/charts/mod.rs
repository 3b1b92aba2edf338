//! Chart rendering: plain data in, SVG text and PNG bytes out.
//!
//! Every chart is drawn by one function on a pixel canvas, once on an SVG
//! string and once on an RGB buffer encoded as PNG, with the bundled
//! DejaVu Sans (`assets/fonts/`), so no system font library is needed.
//! Which data a run's charts show is [`crate::report::figures`]'s.
//!
//! Invariants: no IO (the caller writes the files); deterministic (the
//! same input gives the same bytes on every run and machine: integer tick
//! arithmetic, no hash maps, no clock, fixed PNG encoder settings); never
//! panics (empty, single-point, reversed or huge inputs are clamped and a
//! chart is returned anyway). Colours come from one [`palette`].

mod axis;
mod canvas;
mod capacity;
mod cdf;
mod deltas;
mod metrics;
mod outcomes;
pub mod palette;
mod timeline;

pub use crate::observe::NodeState;
pub use axis::time_ticks_label;

/// One chart, rendered twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// File stem, e.g. "timeline" (the caller writes timeline.svg and timeline.png).
    pub name: String,
    /// Human title (also drawn on the chart).
    pub title: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// An auto-repair event on a timeline row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    Start,
    End,
    Error,
}

/// One node's row of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineRow {
    pub node: String,
    /// Intervals in time order \[ms\], covering the window or more.
    pub intervals: Vec<(u64, u64, NodeState)>,
    /// Auto-repair events on the node \[ms\].
    pub markers: Vec<(u64, MarkerKind)>,
}

/// Gantt chart, 1200 px wide: one row per node (as given, top to bottom),
/// coloured by state, with markers (triangle Start, circle End, cross
/// Error) and a legend for both. `window` = (from_ms, to_ms) is the
/// visible range (an empty window is widened to one minute). At most 40
/// rows are drawn (the height grows with them); a note counts the rest.
/// No rows: the axes and a centred "no incidents".
pub fn timeline(
    title: &str,
    rows: &[TimelineRow],
    window: (u64, u64),
    states: &[NodeState],
) -> Chart {
    let shown = &rows[..rows.len().min(TIMELINE_ROWS)];
    timeline::timeline(title, shown, rows.len(), window, states)
}

/// Rows the timeline chart draws at most; a note counts the rest.
pub const TIMELINE_ROWS: usize = timeline::MAX_ROWS;

/// [`timeline`] given only the rows it draws (the first
/// [`TIMELINE_ROWS`]) and how many rows there are in all.
pub fn timeline_of(
    title: &str,
    shown: &[TimelineRow],
    total: usize,
    window: (u64, u64),
    states: &[NodeState],
) -> Chart {
    let shown = &shown[..shown.len().min(TIMELINE_ROWS)];
    timeline::timeline(title, shown, total.max(shown.len()), window, states)
}

/// An empirical CDF series of durations \[ms\], as runs of equal values; `band`
/// optional: points (x_ms, lo_prob, hi_prob) of a 95% band across
/// replications, drawn as a translucent area in the series' colour.
#[derive(Clone, Debug, PartialEq)]
pub struct CdfSeries {
    pub label: String,
    /// The samples \[ms\] as distinct values, ascending, each with how
    /// many samples have it ([`CdfSeries::of_samples`] from a plain list).
    pub runs: Vec<(u64, u64)>,
    pub band: Option<Vec<(u64, f64, f64)>>,
}

impl CdfSeries {
    /// A series of `samples` \[ms\], in any order.
    pub fn of_samples(
        label: String,
        mut samples: Vec<u64>,
        band: Option<Vec<(u64, f64, f64)>>,
    ) -> CdfSeries {
        samples.sort_unstable();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for v in samples {
            match runs.last_mut() {
                Some(r) if r.0 == v => r.1 += 1,
                _ => runs.push((v, 1)),
            }
        }
        CdfSeries { label, runs, band }
    }

    /// How many samples.
    fn len(&self) -> u64 {
        self.runs.iter().map(|r| r.1).sum()
    }

    /// The sample of 0-based rank `k`, ascending.
    fn at_rank(&self, k: u64) -> Option<u64> {
        let mut seen = 0;
        self.runs.iter().find_map(|&(v, c)| {
            seen += c;
            (k < seen).then_some(v)
        })
    }
}

/// Step-function CDFs, 900 × 520: x from 0 in human duration units, y
/// from 0 to 100%; legend with the series labels (and "95% band" if any).
/// `name` is the file stem (e.g. "time_to_recover").
pub fn cdf(name: &str, title: &str, x_label: &str, series: &[CdfSeries]) -> Chart {
    cdf::cdf(name, title, x_label, series)
}

/// Stacked bars, 900 × 520: one bar per group, stacked by outcome in the
/// order given, the total above and counts inside segments tall enough.
/// The legend lists the outcomes with a count, colours from
/// [`palette::outcome_colour`]. The x axis title comes from `name`
/// ("outcomes_by_pool" → "pool").
pub fn outcomes(name: &str, title: &str, groups: &[(String, Vec<(String, u64)>)]) -> Chart {
    outcomes::outcomes(name, title, groups)
}

/// One pool's Ready nodes over time: step points (t_ms, ready), its size
/// and its minimum (t_ms, ready).
#[derive(Clone, Debug, PartialEq)]
pub struct PoolSeries {
    pub pool: String,
    pub count: u32,
    pub ready: Vec<(u64, u32)>,
    pub min: (u64, u32),
}

/// Capacity, 900 × 640, named "capacity": per pool a step line of Ready
/// nodes (each value holds until the next point, the last until
/// `horizon_ms`), its size dashed and its minimum marked ("min N"); below,
/// nodes in repair over time as a step area.
pub fn capacity(
    title: &str,
    horizon_ms: u64,
    pools: &[PoolSeries],
    in_repair: &[(u64, u32)],
) -> Chart {
    capacity::capacity(title, horizon_ms, pools, in_repair)
}

pub use capacity::Feed;

/// [`capacity`] with the points fed by `feed` instead of listed, so that a
/// long run's series need not be held: `pools`' `ready` are not read, and
/// `maxima` are the highest Ready level of any pool and the most nodes in
/// repair at once. The same points give the same chart.
pub fn capacity_fed(
    title: &str,
    horizon_ms: u64,
    pools: &[PoolSeries],
    maxima: (u32, u32),
    feed: Feed,
) -> Chart {
    capacity::capacity_fed(title, horizon_ms, pools, maxima, feed)
}

/// One metric's comparison: mean difference and its interval as a
/// percentage of the baseline mean, and the verdict's name.
#[derive(Clone, Debug, PartialEq)]
pub struct Delta {
    pub metric: String,
    pub pct: f64,
    pub lo_pct: f64,
    pub hi_pct: f64,
    pub verdict: String,
}

/// Comparison deltas, 900 wide, named "deltas": one horizontal bar per
/// metric (colour from [`palette::verdict_colour`]) with CI whiskers, a
/// zero line, the metric names left and the values right.
pub fn deltas(title: &str, rows: &[Delta]) -> Chart {
    deltas::deltas(title, rows)
}

#[cfg(test)]
mod tests;
