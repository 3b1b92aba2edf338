//! The charts of one run, from what its observers recorded: which data
//! each chart shows. Drawing is [`crate::charts`]'s.
//!
//! Invariant: pure functions of the observers' output and the scenario.

use crate::charts::{self, CdfSeries, Chart, MarkerKind, PoolSeries, TimelineRow};
use crate::k8s::EventPhase;
use crate::mc::estimate::{CdfBand, Histogram};
use crate::mc::sweep::PointSummary;
use crate::observe::NodeState;
use crate::observe::events::{EventLog, Marker};
use crate::observe::incidents::Incident;
use crate::observe::timeline::{Interval, TimelineLog};
use crate::scenario::Scenario;
use crate::stats::Summary;

/// The visible part of the run for the timeline \[ms\]: `from..to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: u64,
    pub to: u64,
}

/// The nodes the timeline keeps (`--pool`, `--nodes`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Focus {
    /// By node index; `None` keeps every node.
    pub keep: Option<Vec<bool>>,
    /// What was kept, for the title ("pool system"); empty for every node.
    pub label: String,
}

impl Focus {
    /// The node is one the timeline chart may show.
    pub(crate) fn keeps(&self, node: u32) -> bool {
        self.keep
            .as_ref()
            .is_none_or(|k| k.get(node as usize).copied().unwrap_or(false))
    }
}

/// Every chart of a run, in the order a report shows them.
pub fn run_charts(
    sc: &Scenario,
    incidents: &[Incident],
    timeline: &TimelineLog,
    events: &EventLog,
    summary: &Summary,
    window: Window,
    focus: &Focus,
) -> Vec<Chart> {
    let (shown, total) = timeline_rows(sc, timeline, events, window, focus);
    let data = RunChartData {
        timeline: timeline_chart(sc, &shown, total, window, focus),
        incidents: incidents.len(),
        ttr: runs_of(
            incidents
                .iter()
                .filter_map(|i| i.ttr().map(|d| d.ms()))
                .collect(),
        ),
        ttd: runs_of(
            incidents
                .iter()
                .filter_map(|i| i.ttd().map(|d| d.ms()))
                .collect(),
        ),
        capacity: capacity_chart(sc, timeline, summary.horizon_ms),
    };
    charts_of(data, summary)
}

/// What a run's charts show that the summary does not: the two charts
/// drawn from the timeline, and the duration samples.
pub struct RunChartData {
    pub timeline: Chart,
    pub capacity: Chart,
    /// Incidents in all.
    pub incidents: usize,
    /// Times to recover of the recovered incidents \[ms\]: distinct
    /// values, ascending, with their counts.
    pub ttr: Vec<(u64, u64)>,
    /// Times to detect of the detected incidents, likewise.
    pub ttd: Vec<(u64, u64)>,
}

/// Every chart of a run from `data` and the summary, in report order.
pub fn charts_of(data: RunChartData, summary: &Summary) -> Vec<Chart> {
    vec![
        data.timeline,
        cdf_chart(
            "time_to_recover",
            "Time to recover (fault onset to Ready again)",
            "time to recover",
            "recovered",
            data.incidents,
            data.ttr,
        ),
        cdf_chart(
            "time_to_detect",
            "Time to detect (fault onset to the detecting check)",
            "time to detect",
            "detected",
            data.incidents,
            data.ttd,
        ),
        charts::outcomes(
            "outcomes_by_os",
            "Incident outcomes by OS",
            &[
                (
                    "linux".to_string(),
                    outcome_counts(&summary.incidents.by_os.linux),
                ),
                (
                    "windows".to_string(),
                    outcome_counts(&summary.incidents.by_os.windows),
                ),
            ],
        ),
        charts::outcomes(
            "outcomes_by_pool",
            "Incident outcomes by pool",
            &summary
                .incidents
                .by_pool
                .iter()
                .map(|(pool, counts)| (pool.clone(), outcome_counts(counts)))
                .collect::<Vec<_>>(),
        ),
        data.capacity,
    ]
}

/// Outcome counts in report order ([`crate::policy::Outcome::all`]),
/// zeros included (the chart leaves out outcomes that never happen).
fn outcome_counts(counts: &crate::stats::OutcomeCounts) -> Vec<(String, u64)> {
    crate::policy::Outcome::all()
        .into_iter()
        .map(|o| {
            let n = o.name();
            let c = counts.get(&n).copied().unwrap_or(0);
            (n, c)
        })
        .collect()
}

/// The CDF of the incidents that have a value (`what`: recovered or
/// detected); the legend says how many of all incidents that is.
fn cdf_chart(
    name: &str,
    title: &str,
    x_label: &str,
    what: &str,
    all: usize,
    runs: Vec<(u64, u64)>,
) -> Chart {
    let n: u64 = runs.iter().map(|r| r.1).sum();
    let label = format!("{n} of {all} incidents {what}");
    charts::cdf(
        name,
        title,
        x_label,
        &[CdfSeries {
            label,
            runs,
            band: None,
        }],
    )
}

/// Samples \[ms\] as a CDF series' runs: distinct values, ascending, with
/// their counts.
fn runs_of(samples: Vec<u64>) -> Vec<(u64, u64)> {
    CdfSeries::of_samples(String::new(), samples, None).runs
}

/// The timeline chart's rows: one per node that is not Ready at some time
/// inside the window (a node that had an incident) and that `focus`
/// keeps, worst first: the most time not Ready inside the window, then
/// node order. Each row has its intervals and auto-repair events inside
/// the window. Returns the first [`charts::TIMELINE_ROWS`] rows and how
/// many there are. O(intervals + events + rows log rows).
fn timeline_rows(
    sc: &Scenario,
    timeline: &TimelineLog,
    events: &EventLog,
    w: Window,
    focus: &Focus,
) -> (Vec<TimelineRow>, usize) {
    let down: Vec<u64> = (0..sc.fleet.len() as u32)
        .map(|n| match focus.keeps(n) {
            true => timeline
                .intervals(n)
                .iter()
                .map(|iv| w.not_ready_ms(iv))
                .sum(),
            false => 0,
        })
        .collect();
    let mut rows = ChartRows::new(sc, &down, w);
    for n in 0..sc.fleet.len() as u32 {
        timeline
            .intervals(n)
            .iter()
            .for_each(|iv| rows.interval(n, iv));
    }
    events.markers().for_each(|m| rows.marker(&m));
    rows.finish()
}

/// The timeline chart's rows being filled: the worst nodes
/// ([`worst_nodes`]) get their intervals and markers inside the window,
/// fed in time order per node, by either the kept or the streamed path.
pub struct ChartRows {
    window: Window,
    rows: Vec<TimelineRow>,
    /// By node: its row, or `u32::MAX` for a node not shown. O(1) per
    /// interval and marker.
    row_of: Vec<u32>,
    total: usize,
}

impl ChartRows {
    /// Rows for the worst nodes by `down`, each node's time not Ready
    /// inside `window` \[ms\] (0 for a node the focus leaves out).
    pub fn new(sc: &Scenario, down: &[u64], window: Window) -> ChartRows {
        let (chosen, total) = worst_nodes(down);
        let mut row_of = vec![u32::MAX; sc.fleet.len()];
        for (i, &n) in chosen.iter().enumerate() {
            row_of[n as usize] = i as u32;
        }
        let rows = chosen
            .iter()
            .map(|&n| TimelineRow {
                node: sc.fleet.node(n).name.clone(),
                intervals: Vec::new(),
                markers: Vec::new(),
            })
            .collect();
        ChartRows {
            window,
            rows,
            row_of,
            total,
        }
    }

    fn row(&mut self, node: u32) -> Option<&mut TimelineRow> {
        let r = *self.row_of.get(node as usize)?;
        self.rows.get_mut(r as usize)
    }

    /// `node`'s interval `iv`, kept when its row is shown and it overlaps
    /// the window.
    pub fn interval(&mut self, node: u32, iv: &Interval) {
        let w = self.window;
        if let Some(row) = self.row(node)
            && w.shows(iv)
        {
            row.intervals.push((iv.start.ms(), iv.end.ms(), iv.state));
        }
    }

    /// A marker, kept when its node's row is shown and it is inside the
    /// window.
    pub fn marker(&mut self, m: &Marker) {
        let w = self.window;
        if let Some(row) = self.row(m.node)
            && let Some(kind) = w.marker(m)
        {
            row.markers.push(kind);
        }
    }

    /// The rows, worst first, and how many nodes could be shown.
    pub fn finish(self) -> (Vec<TimelineRow>, usize) {
        (self.rows, self.total)
    }
}

/// The nodes of the timeline chart, worst first, from each node's time
/// not Ready inside the window \[ms\]: the first
/// [`charts::TIMELINE_ROWS`] of those with some, and how many have some.
pub fn worst_nodes(down: &[u64]) -> (Vec<u32>, usize) {
    let mut ranked: Vec<(u64, u32)> = down
        .iter()
        .enumerate()
        .filter(|&(_, &d)| d > 0)
        .map(|(n, &d)| (d, n as u32))
        .collect();
    let total = ranked.len();
    let keep = total.min(charts::TIMELINE_ROWS);
    let by = |a: &(u64, u32), b: &(u64, u32)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
    if keep < total {
        ranked.select_nth_unstable_by(keep, by);
        ranked.truncate(keep);
    }
    ranked.sort_unstable_by(by);
    (ranked.into_iter().map(|(_, n)| n).collect(), total)
}

impl Window {
    /// Time of `iv` inside the window when it is not Ready \[ms\].
    pub fn not_ready_ms(&self, iv: &Interval) -> u64 {
        if iv.state == NodeState::Ready {
            return 0;
        }
        iv.end
            .ms()
            .min(self.to)
            .saturating_sub(iv.start.ms().max(self.from))
    }

    /// `iv` overlaps the window.
    pub fn shows(&self, iv: &Interval) -> bool {
        iv.end.ms() > self.from && iv.start.ms() < self.to
    }

    /// The timeline's marker for an event at the window's edges or inside.
    pub fn marker(&self, m: &Marker) -> Option<(u64, MarkerKind)> {
        (self.from..=self.to).contains(&m.sim_ms).then(|| {
            let kind = match m.phase {
                EventPhase::Start => MarkerKind::Start,
                EventPhase::End => MarkerKind::End,
                EventPhase::Error => MarkerKind::Error,
            };
            (m.sim_ms, kind)
        })
    }
}

/// The timeline chart of `shown`, the first of `total` rows.
pub fn timeline_chart(
    sc: &Scenario,
    shown: &[TimelineRow],
    total: usize,
    w: Window,
    focus: &Focus,
) -> Chart {
    let focus_note = if focus.label.is_empty() {
        String::new()
    } else {
        format!(" ({})", focus.label)
    };
    let title = format!(
        "Node timelines: {total} nodes not Ready at some time{focus_note}, longest not Ready first"
    );
    let states = sc.vocabulary().states();
    charts::timeline_of(&title, shown, total, (w.from, w.to), &states)
}

/// Ready nodes per pool and nodes in repair (an action running), as step
/// series from the timeline's intervals. O(intervals log intervals).
fn capacity_chart(sc: &Scenario, timeline: &TimelineLog, horizon: u64) -> Chart {
    let fleet = &sc.fleet;
    // (time, pool, +1/-1 Ready) and (time, +1/-1 acting), sorted by time.
    let mut ready: Vec<Vec<(u64, i64)>> = vec![Vec::new(); fleet.pools.len()];
    let mut acting: Vec<(u64, i64)> = Vec::new();
    for (id, node) in fleet.nodes.iter().enumerate() {
        for iv in timeline.intervals(id as u32) {
            let (s, e) = (iv.start.ms(), iv.end.ms());
            match iv.state {
                NodeState::Ready => {
                    ready[node.pool].push((s, 1));
                    ready[node.pool].push((e, -1));
                }
                st if st.is_acting() => {
                    acting.push((s, 1));
                    acting.push((e, -1));
                }
                _ => {}
            }
        }
    }
    let mut pools = pool_series(sc, timeline);
    for (p, deltas) in pools.iter_mut().zip(ready) {
        p.ready = steps(deltas, horizon)
            .into_iter()
            .map(|(t, v)| (t, v as u32))
            .collect();
    }
    let in_repair: Vec<(u64, u32)> = steps(acting, horizon)
        .into_iter()
        .map(|(t, v)| (t, v as u32))
        .collect();
    charts::capacity(CAPACITY_TITLE, horizon, &pools, &in_repair)
}

const CAPACITY_TITLE: &str = "Capacity: Ready nodes per pool, and nodes in repair";

/// Each pool's size and fewest Ready nodes, without its series.
fn pool_series(sc: &Scenario, timeline: &TimelineLog) -> Vec<PoolSeries> {
    sc.fleet
        .pools
        .iter()
        .enumerate()
        .map(|(i, p)| PoolSeries {
            pool: p.name.clone(),
            count: p.count,
            min: (timeline.min_ready_at(i).ms(), timeline.min_ready(i)),
            ready: Vec::new(),
        })
        .collect()
}

/// The capacity chart from the step series a streamed run wrote
/// ([`crate::report::stream`]): the same chart, its points read back
/// once from the scratch file.
pub fn capacity_chart_streamed(
    sc: &Scenario,
    timeline: &TimelineLog,
    horizon: u64,
    (path, maxima): &(std::path::PathBuf, (u32, u32)),
) -> std::io::Result<Chart> {
    let pools = pool_series(sc, timeline);
    let mut result = Ok(());
    let chart = charts::capacity_fed(CAPACITY_TITLE, horizon, &pools, *maxima, &mut |f| {
        result = crate::report::stream::read_steps(path, f);
    });
    result.map(|()| chart)
}

/// Folds +1/−1 changes into a step series `(t, level)`: one point per
/// instant where the level changes, starting at 0 ms. Changes at the
/// horizon are dropped (intervals end there).
fn steps(mut deltas: Vec<(u64, i64)>, horizon: u64) -> Vec<(u64, i64)> {
    deltas.sort_unstable();
    let mut out: Vec<(u64, i64)> = vec![(0, 0)];
    let mut level = 0i64;
    let mut i = 0;
    while i < deltas.len() {
        let t = deltas[i].0;
        while i < deltas.len() && deltas[i].0 == t {
            level += deltas[i].1;
            i += 1;
        }
        if t >= horizon {
            break;
        }
        let last = *out.last().unwrap_or(&(u64::MAX, i64::MIN));
        if last.0 == t {
            if let Some(l) = out.last_mut() {
                l.1 = level;
            }
        } else if last.1 != level {
            out.push((t, level));
        }
    }
    out
}

/// Points of a pooled distribution the CDF charts draw.
const CDF_POINTS: u32 = 400;

/// The charts of a sweep: time to recover and time to detect at every
/// point, each with a 95% band across replications.
pub fn sweep_charts(points: &[crate::mc::sweep::PointSummary]) -> Vec<Chart> {
    let confidence = crate::mc::estimate::CONFIDENCE;
    let chart = |name: &str,
                 title: &str,
                 x: &str,
                 pick: &dyn Fn(&PointSummary) -> (&Histogram, &CdfBand)| {
        let series: Vec<CdfSeries> = points
            .iter()
            .map(|p| {
                let (h, band) = pick(p);
                CdfSeries {
                    label: crate::mc::sweep::settings_label(&p.settings),
                    runs: runs_of(h.quantile_points(CDF_POINTS)),
                    band: Some(band.band(confidence)),
                }
            })
            .collect();
        charts::cdf(name, title, x, &series)
    };
    vec![
        chart(
            "time_to_recover",
            "Time to recover of recovered incidents, with the 95% CI of the mean CDF",
            "time to recover",
            &|p| (&p.pooled_ttr, &p.ttr_band),
        ),
        chart(
            "time_to_detect",
            "Time to detect, pooled over replications, with the 95% CI of the mean CDF",
            "time to detect",
            &|p| (&p.pooled_ttd, &p.ttd_band),
        ),
    ]
}

/// The metrics the comparison's delta chart shows.
const DELTA_METRICS: [usize; 8] = [
    crate::mc::metrics::IDX_TTR_MEAN,
    crate::mc::metrics::IDX_TTR_P50,
    crate::mc::metrics::IDX_TTR_P99,
    crate::mc::metrics::IDX_TTR_RESTRICTED,
    crate::mc::metrics::IDX_TTD_MEAN,
    crate::mc::metrics::IDX_FAILED,
    crate::mc::metrics::IDX_NEEDLESS,
    crate::mc::metrics::IDX_NOT_READY_HOURS,
];

/// The charts of a comparison: the sides' time-to-recover and
/// time-to-detect CDFs overlaid, and per candidate the metric deltas with
/// their intervals, as a share of the baseline.
pub fn compare_charts(cmp: &crate::mc::compare::Comparison) -> Vec<Chart> {
    let overlay = |name: &str, title: &str, x: &str, pooled: &[Histogram]| {
        let series: Vec<CdfSeries> = cmp
            .labels
            .iter()
            .zip(pooled)
            .enumerate()
            .map(|(i, (label, h))| CdfSeries {
                label: if i == 0 && !cmp.exact {
                    format!("baseline: {label}")
                } else {
                    label.clone()
                },
                runs: runs_of(h.quantile_points(CDF_POINTS)),
                band: None,
            })
            .collect();
        charts::cdf(name, title, x, &series)
    };
    // A replay is one trace, its baseline the record.
    let (ttr_title, ttd_title) = if cmp.exact {
        (
            "Replay: time to recover of recovered incidents, recorded and each candidate",
            "Replay: time to detect of each candidate (the record does not show detection)",
        )
    } else {
        (
            "Time to recover of recovered incidents, pooled over replications",
            "Time to detect: baseline and candidates, pooled over replications",
        )
    };
    let mut out = vec![
        overlay(
            "time_to_recover",
            ttr_title,
            "time to recover",
            &cmp.pooled_ttr,
        ),
        overlay(
            "time_to_detect",
            ttd_title,
            "time to detect",
            &cmp.pooled_ttd,
        ),
    ];
    for (c, rows) in cmp.rows().iter().enumerate() {
        let deltas: Vec<charts::Delta> = DELTA_METRICS
            .iter()
            .filter_map(|&m| {
                let r = rows.iter().find(|r| r.index == m)?;
                let base = r.baseline.mean.filter(|b| *b != 0.0)?;
                let pct = |v: Option<f64>| v.map(|x| 100.0 * x / base.abs());
                // One trace: the difference is exact, its interval a point.
                let (lo, hi) = if cmp.exact {
                    (r.diff.mean, r.diff.mean)
                } else {
                    (r.diff.ci_low, r.diff.ci_high)
                };
                Some(charts::Delta {
                    metric: r.metric.name.clone(),
                    pct: pct(r.diff.mean)?,
                    lo_pct: pct(lo)?,
                    hi_pct: pct(hi)?,
                    verdict: r.verdict.name().to_string(),
                })
            })
            .collect();
        let title = if cmp.exact {
            format!(
                "Replay: change vs the record (one trace, no intervals): {}",
                cmp.labels[c + 1]
            )
        } else {
            format!(
                "Change vs baseline ({} intervals): {}",
                crate::mc::compare::percent(cmp.confidence),
                cmp.labels[c + 1]
            )
        };
        let mut chart = charts::deltas(&title, &deltas);
        if cmp.labels.len() > 2 {
            chart.name = format!("deltas_{}", c + 1);
        }
        out.push(chart);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_fold_changes_at_the_same_instant() {
        // A node leaves Ready at 10 and another joins at 10: no dip.
        let d = vec![
            (0, 1),
            (0, 1),
            (10, -1),
            (10, 1),
            (20, -1),
            (30, 1),
            (40, -1),
        ];
        assert_eq!(steps(d, 40), vec![(0, 2), (20, 1), (30, 2)]);
        assert_eq!(steps(vec![], 10), vec![(0, 0)]);
    }
}
