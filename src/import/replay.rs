//! `repairsim replay`: the recorded faults through each candidate policy,
//! next to what the history shows (`recorded`).
//!
//! A replay is one trace, not a sample: every side runs replication 0 of
//! the imported scenario, whose faults are fixed, so each difference is
//! exact for this history and its verdict is its sign
//! ([`crate::mc::compare::Verdict::exact`]). The baseline is measured from
//! the record itself ([`Imported::recorded_records`]), with the same
//! metrics as a run.
//!
//! Invariant: a pure function of the import and the candidates' scenarios.

use super::Imported;
use crate::mc::compare::{Comparison, Row, Side, warnings};
use crate::mc::metrics::{RepResult, Unit, measure};
use crate::observe::incidents::{Incident, IncidentLog};
use crate::observe::timeline::TimelineLog;
use crate::observe::{Fanout, Observer};
use crate::scenario::Scenario;
use crate::time::SimTime;
use serde::Serialize;
use std::fmt::Write as _;

/// What the baseline is called in every output.
pub const RECORDED: &str = "recorded";

/// The limits of a counterfactual, for every output that states them.
pub const LIMITS: &str = "A replay is only as good as the faults inferred from the record: \
    a fault that an early reboot fixed might also have healed by itself, or needed less; \
    a node the record shows deleted or never Ready again is assumed unfixable; an episode \
    the recorded policy left alone for a reason the record does not show is excluded for \
    every candidate too; the record does not show when the policy detected a node, so \
    `recorded` has no time to detect; a candidate's action the record never saw takes the \
    scenario's duration and error rate, not a measured one; and every side ends where the \
    record ends (1 s after its last event, or a Prometheus export's last sample), so what a \
    candidate would have done later is not seen. `recorded` changes state at the recorded \
    instants and a candidate on its simulated grids, so a difference under a status tick \
    (10 s) per incident is sampling, not policy, and is called `same`.";

/// A finished replay.
#[derive(Debug)]
pub struct Replay {
    /// By side, `recorded` first.
    pub labels: Vec<String>,
    /// By side: the metrics of its one trace.
    pub results: Vec<RepResult>,
    /// By side: every incident, in onset order.
    pub incidents: Vec<Vec<Incident>>,
    /// The sides as a comparison of one exact trace (charts, verdicts).
    pub cmp: Comparison,
    /// The input files.
    pub sources: Vec<String>,
}

/// The metrics and incidents of the record itself, on `sc` (the scenario
/// `im` wrote).
pub fn measure_recorded(im: &Imported, sc: &Scenario) -> (RepResult, Vec<Incident>) {
    // How the recorded policy decides the episodes it acted on as recorded.
    let mut policy = sc.clone();
    policy.policy = im.opts.policy.clone();
    let decided: super::recorded::Decided = simulate(&policy)
        .1
        .into_iter()
        .map(|i| {
            let kinds = i.actions.iter().collect();
            (
                (i.node, i.fault_id),
                (kinds, i.repair_started, i.outcome_at, i.outcome),
            )
        })
        .collect();
    measure_with(im, sc, &decided)
}

/// [`measure_recorded`] with every outcome by the rules alone (no run to
/// read the policy's decisions from): for tests of those rules.
pub fn measure_by_rules(im: &Imported, sc: &Scenario) -> (RepResult, Vec<Incident>) {
    measure_with(im, sc, &Default::default())
}

fn measure_with(
    im: &Imported,
    sc: &Scenario,
    decided: &super::recorded::Decided,
) -> (RepResult, Vec<Incident>) {
    let mut incidents = IncidentLog::new();
    let mut timeline = TimelineLog::new(false);
    {
        let mut obs = Fanout(vec![&mut incidents, &mut timeline]);
        obs.begin(sc);
        for r in im.recorded_records(sc, decided) {
            obs.record(&r);
        }
        obs.finish(SimTime::ZERO + sc.horizon);
    }
    let r = measure(sc, 0, incidents.incidents(), &timeline);
    (r, incidents.into_incidents())
}

/// One simulated side's metrics and incidents (replication 0).
fn simulate(sc: &Scenario) -> (RepResult, Vec<Incident>) {
    let mut incidents = IncidentLog::new();
    let mut timeline = TimelineLog::new(false);
    crate::engine::simulate(sc, 0, &mut Fanout(vec![&mut incidents, &mut timeline]));
    let r = measure(sc, 0, incidents.incidents(), &timeline);
    (r, incidents.into_incidents())
}

/// Replays `sc`, the scenario `im` wrote, through every candidate.
pub fn replay(im: &Imported, sc: &Scenario, candidates: &[Side]) -> Replay {
    let mut sides = vec![Side {
        label: RECORDED.to_string(),
        scenario: sc.clone(),
    }];
    sides.extend(candidates.iter().cloned());
    let mut cmp = Comparison::new(&sides);
    cmp.exact = true;
    let (mut results, mut incidents) = (Vec::new(), Vec::new());
    let recorded = measure_recorded(im, sc);
    results.push(recorded.0);
    incidents.push(recorded.1);
    for c in candidates {
        let (r, i) = simulate(&c.scenario);
        results.push(r);
        incidents.push(i);
    }
    cmp.push(&results);
    // `recorded` changes state at the recorded instants and a candidate on
    // its simulated grids: up to a status tick apart per incident, which
    // is sampling, not policy.
    use crate::mc::metrics::{
        IDX_AVAILABILITY, IDX_NOT_READY_HOURS, IDX_TTR_MEAN, IDX_TTR_P50, IDX_TTR_P99,
        IDX_TTR_RESTRICTED,
    };
    let tick = super::STATUS_TICK as f64;
    let per_incident = tick * incidents[0].len() as f64;
    for m in [IDX_TTR_MEAN, IDX_TTR_P50, IDX_TTR_P99, IDX_TTR_RESTRICTED] {
        cmp.tolerance[m] = tick;
    }
    cmp.tolerance[IDX_NOT_READY_HOURS] = per_incident / crate::time::HOUR as f64;
    let fleet_ms = sc.fleet.len() as f64 * sc.horizon.ms() as f64;
    if fleet_ms > 0.0 {
        cmp.tolerance[IDX_AVAILABILITY] = per_incident / fleet_ms;
    }
    Replay {
        labels: sides.into_iter().map(|s| s.label).collect(),
        results,
        incidents,
        cmp,
        sources: im.opts.sources.clone(),
    }
}

/// `x` for the table: as `compare` shows it, but a difference that would
/// round to zero keeps enough digits to show why it has a verdict.
fn shown(unit: Unit, x: f64) -> String {
    let s = crate::mc::format_value(unit, x);
    let zero = s.chars().all(|c| matches!(c, '0' | '.' | '-' | 's'));
    if x == 0.0 || !zero {
        return s;
    }
    let digits = (-x.abs().log10()).ceil().clamp(1.0, 12.0) as usize + 1;
    format!("{x:.digits$}")
}

/// A unit as outputs spell it (`ms`, `node-hours`).
fn unit_name<S: serde::Serializer>(u: &Unit, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(u.name())
}

/// One candidate's row of one metric: both sides' values as measured
/// (a side's value stands even when the other side has none).
#[derive(Clone, Debug, Serialize)]
pub struct MetricRow {
    pub metric: String,
    pub label: String,
    #[serde(serialize_with = "unit_name")]
    pub unit: Unit,
    pub better: &'static str,
    pub recorded: Option<f64>,
    pub candidate: Option<f64>,
    /// candidate − recorded, when both have a value.
    pub difference: Option<f64>,
    pub verdict: &'static str,
}

impl Replay {
    /// By candidate: a row per shown metric, with the conflict rule applied.
    pub fn rows(&self) -> Vec<Vec<MetricRow>> {
        let rows = self.cmp.rows();
        rows.iter()
            .enumerate()
            .map(|(c, rows)| {
                rows.iter()
                    .map(|r: &Row| {
                        let (b, v) = (
                            self.results[0].values[r.index],
                            self.results[c + 1].values[r.index],
                        );
                        MetricRow {
                            metric: r.metric.name.clone(),
                            label: r.metric.label.clone(),
                            unit: r.metric.unit,
                            better: r.metric.better.name(),
                            recorded: b,
                            candidate: v,
                            difference: b.zip(v).map(|(b, v)| v - b),
                            verdict: match (b, v) {
                                (None, Some(_)) => "not in the record",
                                (Some(_), None) => "no value",
                                _ => r.verdict.name(),
                            },
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Conflicts between time metrics and outcomes, as `compare` words them.
    pub fn warnings(&self) -> Vec<String> {
        warnings(&self.cmp.rows())
    }

    /// `replay.md`, also printed: one table per candidate.
    pub fn to_markdown(&self, sc: &Scenario) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# Replay of {}: the recorded faults through {} candidate{}\n",
            self.sources.join(", "),
            self.labels.len() - 1,
            if self.labels.len() == 2 { "" } else { "s" }
        );
        let incidents = self.incidents[0].len();
        let _ = writeln!(
            s,
            "This is a replay, not a sample: one trace of {incidents} recorded incident{} on {} \
             node{} over {}, so each difference is exact for this history and its verdict is \
             its sign. The baseline `{RECORDED}` is what the history shows.",
            if incidents == 1 { "" } else { "s" },
            sc.fleet.len(),
            if sc.fleet.len() == 1 { "" } else { "s" },
            crate::time::format_duration(sc.horizon)
        );
        let _ = writeln!(s, "\n{LIMITS}");
        let _ = writeln!(
            s,
            "\nOf the times to recover, {}.",
            crate::mc::metrics::TTR_LEGEND
        );
        for w in self.warnings() {
            let _ = writeln!(s, "\n**Warning:** {w}.");
        }
        for (label, rows) in self.labels[1..].iter().zip(self.rows()) {
            let _ = writeln!(s, "\n## Candidate `{label}`\n");
            let _ = writeln!(
                s,
                "| metric | {RECORDED} | candidate | difference | verdict |"
            );
            let _ = writeln!(s, "|---|---:|---:|---:|---|");
            for r in rows {
                let zero = |v: Option<f64>| v.is_none_or(|x| x == 0.0);
                if zero(r.recorded) && zero(r.candidate) {
                    continue;
                }
                let f = |v: Option<f64>| v.map_or("-".into(), |x| shown(r.unit, x));
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} |",
                    r.metric,
                    f(r.recorded),
                    f(r.candidate),
                    f(r.difference),
                    r.verdict
                );
            }
        }
        s
    }
}

/// `replay.csv`'s header: one row per candidate and metric.
pub const CSV_HEADER: [&str; 10] = [
    "candidate",
    "metric",
    "unit",
    "better",
    "recorded",
    "candidate_value",
    "difference",
    "verdict",
    "label",
    "replay_of",
];

#[derive(Serialize)]
struct CandidateJson<'a> {
    candidate: &'a str,
    patches: &'a [String],
    metrics: Vec<MetricRow>,
}

#[derive(Serialize)]
struct ReplayJson<'a> {
    tool: &'static str,
    version: &'static str,
    /// Always true: every output says what it is.
    replay: bool,
    replay_of: &'a [String],
    scenario: &'a str,
    content_hash: String,
    baseline: &'static str,
    baseline_is: &'static str,
    verdicts: &'static str,
    limits: &'static str,
    incidents: usize,
    warnings: Vec<String>,
    candidates: Vec<CandidateJson<'a>>,
}

impl Replay {
    /// The rows of `replay.csv`, after [`CSV_HEADER`].
    pub fn csv_rows(&self) -> Vec<Vec<String>> {
        let n = |v: Option<f64>| crate::mc::csv_number(v);
        let of = self.sources.join(" ");
        self.labels[1..]
            .iter()
            .zip(self.rows())
            .flat_map(|(c, rows)| {
                let of = of.clone();
                rows.into_iter().map(move |r| {
                    vec![
                        c.clone(),
                        r.metric,
                        r.unit.name().into(),
                        r.better.into(),
                        n(r.recorded),
                        n(r.candidate),
                        n(r.difference),
                        r.verdict.into(),
                        r.label,
                        of.clone(),
                    ]
                })
            })
            .collect()
    }

    /// `replay.json`: pretty, with a trailing newline.
    pub fn to_json(&self, sc: &Scenario) -> String {
        let candidates = self.labels[1..]
            .iter()
            .zip(self.rows())
            .enumerate()
            .map(|(c, (label, metrics))| CandidateJson {
                candidate: label,
                patches: &self.cmp.patches[c + 1],
                metrics,
            })
            .collect();
        let json = ReplayJson {
            tool: "repairsim",
            version: env!("CARGO_PKG_VERSION"),
            replay: true,
            replay_of: &self.sources,
            scenario: &sc.name,
            content_hash: format!("{:016x}", sc.content_hash),
            baseline: RECORDED,
            baseline_is: "what the history shows: the recorded actions, errors and NodeReady \
                          instants, measured from each fault's inferred onset",
            verdicts: "one trace, no sampling: each difference (candidate - recorded) is exact \
                       for this history, and its verdict is its sign",
            limits: LIMITS,
            incidents: self.incidents[0].len(),
            warnings: self.warnings(),
            candidates,
        };
        let mut s = serde_json::to_string_pretty(&json).expect("a replay always serializes");
        s.push('\n');
        s
    }

    /// `incidents.csv`: every side's incidents, each recorded incident
    /// followed by the candidates' handling of the same fault. The
    /// recorded side's `outcome_ms` is the check on which the recorded
    /// policy would have seen the outcome.
    pub fn incidents_csv(&self, sc: &Scenario) -> std::io::Result<Vec<u8>> {
        let of = self.sources.join(" ");
        let mut rows: Vec<(SimTime, crate::fleet::NodeId, usize, Vec<String>)> = Vec::new();
        for (side, (label, incidents)) in self.labels.iter().zip(&self.incidents).enumerate() {
            for i in incidents {
                let mut row = vec![label.clone()];
                row.extend(crate::report::incident_fields(sc, i));
                row.push(of.clone());
                rows.push((i.onset, i.node, side, row));
            }
        }
        rows.sort_by_key(|r| (r.0, r.1, r.2));
        let mut header = vec!["side"];
        header.extend(crate::report::INCIDENT_HEADER);
        header.push("replay_of");
        crate::report::csv_bytes(&header, rows.into_iter().map(|r| r.3))
    }
}
