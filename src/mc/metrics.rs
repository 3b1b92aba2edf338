//! The metrics of one replication: a fixed, named list of numbers that
//! `replications.csv` has one column each for, and that every estimate,
//! comparison and grid row is computed over.
//!
//! Invariant: the list depends on nothing but the code (every outcome is a
//! metric even when it never happens), so files of different runs line up
//! column by column and shards merge by concatenation.

use super::estimate::{CdfCounts, Histogram};
use crate::engine::Sim;
use crate::faults::FaultId;
use crate::fleet::NodeId;
use crate::k8s::ActionKind;
use crate::observe::incidents::{Incident, IncidentLog};
use crate::observe::timeline::TimelineLog;
use crate::observe::{Fanout, Observer, Record};
use crate::policy::Outcome;
use crate::policy::providers::Vocabulary;
use crate::scenario::Scenario;
use crate::stats::IncidentStats;
use crate::time::{HOUR, SimTime};
use serde::{Deserialize, Serialize};

/// Which way a metric improves; decides a comparison's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    /// Neither way is better in itself (a count of outcomes or actions):
    /// a significant difference is reported as `higher` or `lower`.
    Neither,
}

impl Better {
    /// `lower`, `higher` or `neither`, as outputs spell it.
    pub fn name(self) -> &'static str {
        match self {
            Better::Lower => "lower",
            Better::Higher => "higher",
            Better::Neither => "neither",
        }
    }
}

/// What a metric's numbers are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Incidents or actions in one replication.
    Count,
    /// A duration \[ms\].
    Ms,
    /// Node-hours.
    NodeHours,
    /// A fraction in \[0, 1\].
    Ratio,
}

impl Unit {
    /// `count`, `ms`, `node-hours` or `ratio`, as outputs spell it.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Ms => "ms",
            Unit::NodeHours => "node-hours",
            Unit::Ratio => "ratio",
        }
    }
}

/// One metric: its column name, unit, direction and meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricDef {
    /// `snake_case`, usable as a CSV column and a `jq` key without quoting.
    pub name: String,
    pub unit: Unit,
    pub better: Better,
    /// Its plain-language name for people, shown beside `name` in the
    /// report ("Time to recover, median (recovered only)").
    pub label: String,
    /// One sentence for people (summary.md, `--help`).
    pub about: String,
}

/// The metric's name for an outcome: `incidents_repaired_by_reboot`,
/// `incidents_excluded_taint_shutdown`.
fn outcome_metric(o: Outcome) -> String {
    format!("incidents_{}", snake(&o.name()))
}

/// `name` with its first letter upper-case.
fn capitalised(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// `name` with every character but letters and digits as `_`.
fn snake(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Every metric, in column order. The positions of the fixed ones are the
/// `IDX_*` constants below.
pub fn metric_defs() -> Vec<MetricDef> {
    let def = |name: &str, label: &str, unit, better, about: &str| MetricDef {
        name: name.to_string(),
        unit,
        better,
        label: label.to_string(),
        about: about.to_string(),
    };
    let mut v = vec![
        def(
            "time_to_recover_mean_ms",
            "Time to recover, mean (recovered only)",
            Unit::Ms,
            Better::Lower,
            "mean time from fault onset to Ready again, over recovered incidents",
        ),
        def(
            "time_to_recover_p50_ms",
            "Time to recover, median (recovered only)",
            Unit::Ms,
            Better::Lower,
            "median time to recover (nearest rank)",
        ),
        def(
            "time_to_recover_p99_ms",
            "Time to recover, 99th percentile (recovered only)",
            Unit::Ms,
            Better::Lower,
            "99th percentile of time to recover (nearest rank)",
        ),
        def(
            "time_to_detect_mean_ms",
            "Time to detect, mean",
            Unit::Ms,
            Better::Lower,
            "mean time from fault onset to the detecting check",
        ),
        def(
            "failed_repairs",
            "Failed repairs (gave up)",
            Unit::Count,
            Better::Lower,
            "incidents that ended gave-up-exhausted or gave-up-timeout",
        ),
        def(
            "needless_repairs",
            "Needless repairs",
            Unit::Count,
            Better::Lower,
            "incidents with an action that ended after the fault would have healed by itself",
        ),
        def(
            "not_ready_node_hours",
            "Node-hours not Ready",
            Unit::NodeHours,
            Better::Lower,
            "node time in any state but Ready",
        ),
        def(
            "availability",
            "Availability (fraction of node time Ready)",
            Unit::Ratio,
            Better::Higher,
            "1 - not-Ready node time / (nodes x horizon)",
        ),
        def(
            "incidents",
            "Incidents",
            Unit::Count,
            Better::Neither,
            "incidents (fault arrivals on a healthy node)",
        ),
    ];
    for o in Outcome::all() {
        v.push(def(
            &outcome_metric(o),
            &format!("Incidents ending {}", o.name()),
            Unit::Count,
            Better::Neither,
            &format!("incidents with outcome {}", o.name()),
        ));
    }
    for k in ActionKind::ALL {
        v.push(def(
            &format!("actions_{}", snake(k.name())),
            &format!("{} actions started", capitalised(k.name())),
            Unit::Count,
            Better::Neither,
            &format!("{} actions started", k.name()),
        ));
    }
    v.push(def(
        "action_errors",
        "Actions that failed",
        Unit::Count,
        Better::Neither,
        "actions that ended in an error",
    ));
    v.push(def(
        "time_to_recover_restricted_mean_ms",
        "Time to recover, restricted mean (every incident)",
        Unit::Ms,
        Better::Lower,
        "restricted mean time to recover over every incident, up to 24h (or the horizon): \
         Kaplan-Meier, an incident that never recovered censored at the horizon",
    ));
    debug_assert_eq!(v.len(), METRICS);
    v
}

pub const IDX_TTR_MEAN: usize = 0;
pub const IDX_TTR_P50: usize = 1;
pub const IDX_TTR_P99: usize = 2;
pub const IDX_TTD_MEAN: usize = 3;
pub const IDX_FAILED: usize = 4;
pub const IDX_NEEDLESS: usize = 5;
pub const IDX_NOT_READY_HOURS: usize = 6;
pub const IDX_AVAILABILITY: usize = 7;
pub const IDX_INCIDENTS: usize = 8;
const IDX_OUTCOMES: usize = 9;
const IDX_ACTIONS: usize = IDX_OUTCOMES + Outcome::COUNT;
const IDX_ERRORS: usize = IDX_ACTIONS + ActionKind::ALL.len();
/// Censoring-aware: every incident counts, recovered or not.
pub const IDX_TTR_RESTRICTED: usize = IDX_ERRORS + 1;
/// One sentence for tables that show time-to-recover figures: which
/// count every incident and which only the recovered ones.
pub const TTR_LEGEND: &str = "time_to_recover_mean_ms, _p50_ms and _p99_ms count only the \
     incidents that recovered; time_to_recover_restricted_mean_ms counts every incident \
     (the Kaplan-Meier restricted mean up to 24h, an unrecovered incident censored at the horizon)";

/// How many metrics there are.
pub const METRICS: usize = IDX_TTR_RESTRICTED + 1;

/// The metrics outputs show for several scenarios side by side (compare
/// sides, sweep points): those of the union of their vocabularies.
pub fn shown_for<'a>(scenarios: impl IntoIterator<Item = &'a Scenario>) -> Vec<usize> {
    let union = scenarios
        .into_iter()
        .map(Scenario::vocabulary)
        .reduce(|a, b| a.union(&b));
    union.map_or_else(Vec::new, |v| shown_metrics(&v))
}

/// The metrics outputs show under `vocab`, as indices in metric order:
/// every metric but the outcome and action counts outside the vocabulary.
pub fn shown_metrics(vocab: &Vocabulary) -> Vec<usize> {
    let mut v: Vec<usize> = (0..IDX_OUTCOMES).collect();
    for o in Outcome::all() {
        if vocab.has_outcome(o) {
            v.push(IDX_OUTCOMES + o.index());
        }
    }
    for k in ActionKind::ALL {
        if vocab.has_kind(k) {
            v.push(IDX_ACTIONS + k as usize);
        }
    }
    v.push(IDX_ERRORS);
    v.push(IDX_TTR_RESTRICTED);
    v
}

/// The metric named `name`, as its index.
pub fn metric_index(name: &str) -> Option<usize> {
    metric_defs().iter().position(|d| d.name == name)
}

/// What one replication of one scenario produced.
#[derive(Clone, Debug, PartialEq)]
pub struct RepResult {
    pub replication: u64,
    /// By metric index; `None` where undefined (no recovered incident has
    /// no time to recover).
    pub values: Vec<Option<f64>>,
    /// Every recovered incident's time to recover \[ms\].
    pub ttr: Histogram,
    /// Every detected incident's time to detect \[ms\].
    pub ttd: Histogram,
    /// The fewest Ready nodes of each pool at any instant, in file order.
    pub fewest_ready: Vec<u32>,
    /// Every fault that reached a node, masked or not, in time order (kept
    /// only when asked: the common-random-numbers test compares them).
    pub onsets: Vec<Onset>,
}

impl RepResult {
    /// What the estimators and the per-replication outputs take of this
    /// replication, and its two histograms (time to recover, time to
    /// detect), which fold into pooled ones. `grid`: the grid of the CDF
    /// band this replication folds into, if any \[ms\].
    pub fn split(self, grid: Option<&[u64]>) -> (RepRow, Histogram, Histogram) {
        let row = RepRow {
            replication: self.replication,
            values: self.values,
            ttr_cdf: grid.map(|xs| CdfCounts::of(xs, &self.ttr)),
            ttd_cdf: grid.map(|xs| CdfCounts::of(xs, &self.ttd)),
            fewest_ready: self.fewest_ready,
        };
        (row, self.ttr, self.ttd)
    }
}

/// One replication as the estimators and the per-replication outputs see
/// it: its metrics, its CDFs on a band's grid, and each pool's fewest
/// Ready nodes. Its size does not grow with the replication's incidents,
/// so a shard writes one per replication and `merge` folds them again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepRow {
    /// Kept beside the row in a shard file, not in it.
    #[serde(skip)]
    pub replication: u64,
    /// By metric index, as [`RepResult::values`].
    pub values: Vec<Option<f64>>,
    /// Time to recover on the point's band grid (not kept by `compare`,
    /// which draws no band).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttr_cdf: Option<CdfCounts>,
    /// Time to detect on the same grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttd_cdf: Option<CdfCounts>,
    pub fewest_ready: Vec<u32>,
}

/// A fault's arrival on a node: when \[ms\], where, which fault, and when
/// it would heal by itself \[ms\].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Onset {
    pub at_ms: u64,
    pub node: NodeId,
    pub fault: FaultId,
    pub heal_at_ms: Option<u64>,
}

/// Collects [`Onset`]s.
#[derive(Default)]
struct Onsets(Vec<Onset>);

impl Observer for Onsets {
    fn record(&mut self, rec: &Record) {
        if let Record::FaultArrived {
            at,
            node,
            fault,
            heal_at,
            ..
        } = rec
        {
            self.0.push(Onset {
                at_ms: at.ms(),
                node: *node,
                fault: *fault,
                heal_at_ms: heal_at.map(|t| t.ms()),
            });
        }
    }
}

/// Runs replication `replication` of `sc` and measures it. Pure: the
/// same arguments give the same result on any thread.
pub fn run_replication(sc: &Scenario, replication: u64, keep_onsets: bool) -> RepResult {
    let mut incidents = IncidentLog::folding();
    let mut timeline = TimelineLog::new(false);
    let mut onsets = Onsets::default();
    {
        let mut list: Vec<&mut dyn Observer> = vec![&mut incidents, &mut timeline];
        if keep_onsets {
            list.push(&mut onsets);
        }
        Sim::new(sc, replication, &mut Fanout(list)).run();
    }
    let mut r = measure_stats(sc, replication, incidents.into_stats(), &timeline);
    r.onsets = onsets.0;
    r
}

/// The metrics of a finished run that kept its incidents.
pub fn measure(
    sc: &Scenario,
    replication: u64,
    incidents: &[Incident],
    timeline: &TimelineLog,
) -> RepResult {
    measure_stats(sc, replication, IncidentStats::of(sc, incidents), timeline)
}

/// The metrics of a finished run, from its folded incidents.
pub fn measure_stats(
    sc: &Scenario,
    replication: u64,
    stats: IncidentStats,
    timeline: &TimelineLog,
) -> RepResult {
    // Counts that stay 0.0 are metrics of nothing that happened.
    let mut values = vec![Some(0.0); METRICS];
    let (ttr, ttd) = (&stats.ttr, &stats.ttd);
    values[IDX_TTR_MEAN] = ttr.mean();
    values[IDX_TTR_P50] = ttr.percentile(50).map(|x| x as f64);
    values[IDX_TTR_P99] = ttr.percentile(99).map(|x| x as f64);
    values[IDX_TTD_MEAN] = ttd.mean();
    let horizon = SimTime::ZERO + sc.horizon;
    values[IDX_TTR_RESTRICTED] = stats.restricted_mean();
    let counts = [
        (IDX_INCIDENTS, stats.total),
        (IDX_FAILED, stats.failed),
        (IDX_NEEDLESS, stats.needless),
        (IDX_ERRORS, stats.errors),
    ];
    let outcomes = Outcome::all()
        .into_iter()
        .map(|o| (IDX_OUTCOMES + o.index(), stats.outcome_count(o)));
    let actions = ActionKind::ALL
        .into_iter()
        .map(|k| (IDX_ACTIONS + k as usize, stats.started.get(k)));
    for (i, c) in counts.into_iter().chain(outcomes).chain(actions) {
        values[i] = Some(c as f64);
    }
    let not_ready_ms = timeline.total_not_ready_ms();
    values[IDX_NOT_READY_HOURS] = Some(not_ready_ms as f64 / HOUR as f64);
    let denom = sc.fleet.len() as f64 * horizon.ms() as f64;
    values[IDX_AVAILABILITY] = Some(if denom > 0.0 {
        1.0 - not_ready_ms as f64 / denom
    } else {
        1.0
    });
    RepResult {
        replication,
        values,
        ttr: stats.ttr,
        ttd: stats.ttd,
        fewest_ready: (0..sc.fleet.pools.len())
            .map(|p| timeline.min_ready(p))
            .collect(),
        onsets: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::restricted_mean;

    #[test]
    fn every_metric_has_a_plain_name_of_its_own() {
        let defs = metric_defs();
        let mut labels: Vec<&str> = defs.iter().map(|d| d.label.as_str()).collect();
        assert!(
            labels.iter().all(|l| !l.is_empty() && !l.contains('_')),
            "{labels:?}"
        );
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), defs.len(), "labels repeat");
        assert_eq!(defs[IDX_ACTIONS].label, "Reboot actions started");
        assert!(defs[IDX_TTR_P50].label.contains("recovered only"));
        assert!(defs[IDX_TTR_RESTRICTED].label.contains("every incident"));
    }

    /// Recovered at 10m and 20m, one unrecovered followed for 30m, bound
    /// 24h: the curve is 1 to 10m, 2/3 to 20m, then 1/3 (the censored one
    /// keeps it there): 10 + 20/3 + 1420/3 = 490 minutes.
    #[test]
    fn the_restricted_mean_counts_what_never_recovered() {
        let m = |x: u64| x * 60_000;
        let mut obs = [(m(20), true), (m(30), false), (m(10), true)];
        let r = restricted_mean(&mut obs, m(24 * 60)).unwrap();
        assert!((r - m(490) as f64).abs() < 1e-6, "{r}");
        // All recovered and within the bound: the plain mean.
        let mut obs = [(m(10), true), (m(20), true)];
        assert_eq!(restricted_mean(&mut obs, m(60)), Some(m(15) as f64));
        // The bound caps a long recovery.
        let mut obs = [(m(90), true)];
        assert_eq!(restricted_mean(&mut obs, m(60)), Some(m(60) as f64));
        assert_eq!(restricted_mean(&mut [], m(60)), None);
    }

    #[test]
    fn names_are_unique_snake_case_and_indices_match() {
        let defs = metric_defs();
        assert_eq!(defs.len(), METRICS);
        let mut names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        assert!(names.iter().all(|n| {
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }));
        assert_eq!(defs[IDX_TTR_MEAN].name, "time_to_recover_mean_ms");
        assert_eq!(defs[IDX_AVAILABILITY].name, "availability");
        assert_eq!(defs[IDX_INCIDENTS].name, "incidents");
        assert_eq!(defs[IDX_OUTCOMES].name, "incidents_self_healed");
        assert_eq!(defs[IDX_ACTIONS].name, "actions_reboot");
        assert_eq!(defs[IDX_ERRORS].name, "action_errors");
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METRICS);
        assert_eq!(metric_index("failed_repairs"), Some(IDX_FAILED));
        assert_eq!(metric_index("nope"), None);
    }

    #[test]
    fn worked_example_1_measures_one_reboot() {
        let text = include_str!("../../scenarios/example-1-reboot.toml");
        let sc = crate::scenario::load_str("example-1-reboot.toml", text).unwrap();
        let r = run_replication(&sc, 0, true);
        let defs = metric_defs();
        let get = |name: &str| r.values[defs.iter().position(|d| d.name == name).unwrap()];
        assert_eq!(get("incidents"), Some(1.0));
        assert_eq!(get("incidents_repaired_by_reboot"), Some(1.0));
        assert_eq!(get("actions_reboot"), Some(1.0));
        assert_eq!(get("actions_reimage"), Some(0.0));
        // Onset 1h00m35s, Ready again at 1h20m: 19m25s.
        assert_eq!(get("time_to_recover_mean_ms"), Some(1_165_000.0));
        assert_eq!(r.ttr.sorted(), vec![1_165_000]);
        let at: Vec<u64> = r.onsets.iter().map(|o| o.at_ms).collect();
        assert_eq!(at, vec![3_635_000]);
    }
}
