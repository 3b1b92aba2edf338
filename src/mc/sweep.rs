//! `sweep`: replications of one scenario, or of every point of a grid of
//! settings, with an estimate and a 95% interval per metric and point.
//!
//! Outputs (rendered here, written by the CLI): `replications.csv` (one row
//! per point and replication, streamed), `sweep.csv` (one row per point),
//! `summary.json` and `summary.md`.

use super::estimate::{CONFIDENCE, CdfBand, Estimate, Histogram, Running};

use super::metrics::{MetricDef, RepResult, RepRow, metric_defs};
use super::shard::{MergeError, Source};
use super::{Stop, Target, all_zero, csv_number, format_value};
use crate::scenario::Scenario;
use crate::stats::Percentiles;
use crate::time::{SimDuration, format_duration};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::fmt::Write as _;

/// One point of the grid: its settings (`key`, `value`, in `--grid` order)
/// and the scenario they produce.
#[derive(Clone, Debug)]
pub struct Point {
    pub settings: Vec<(String, String)>,
    pub scenario: Scenario,
}

/// The estimates of one point.
#[derive(Clone, Debug)]
pub struct PointSummary {
    pub settings: Vec<(String, String)>,
    pub replications: u64,
    /// By metric index.
    pub metrics: Vec<Running>,
    /// Every recovered incident's time to recover, over all replications.
    pub pooled_ttr: Histogram,
    /// The empirical CDF of time to recover, with a band across replications.
    pub ttr_band: CdfBand,
    /// The same for time to detect.
    pub pooled_ttd: Histogram,
    pub ttd_band: CdfBand,
}

impl PointSummary {
    /// How `stop` ended for this point (`None` for a fixed count).
    pub fn target(&self, stop: Stop) -> Option<Target> {
        let hw = stop
            .watched()
            .and_then(|m| self.metrics[m].half_width(CONFIDENCE));
        stop.target(self.replications, hw)
    }

    /// `horizon_ms`: the longest time to recover the band's grid covers.
    pub fn new(settings: Vec<(String, String)>, horizon_ms: u64) -> PointSummary {
        PointSummary {
            settings,
            replications: 0,
            metrics: vec![Running::default(); super::metrics::METRICS],
            pooled_ttr: Histogram::default(),
            ttr_band: CdfBand::new(horizon_ms),
            pooled_ttd: Histogram::default(),
            ttd_band: CdfBand::new(horizon_ms),
        }
    }

    /// Folds one replication in (call in replication order).
    pub fn push(&mut self, r: RepResult) {
        let (row, ttr, ttd) = r.split(Some(&self.ttr_band.xs));
        self.push_row(&row, Some(&(ttr, ttd)));
    }

    /// Folds one replication's row in (call in replication order), and
    /// `pooled`, the time to recover and time to detect histograms to add
    /// to the pooled ones: this replication's, or with `merge` a shard
    /// block's with its last row.
    pub fn push_row(&mut self, r: &RepRow, pooled: Option<&(Histogram, Histogram)>) {
        self.replications += 1;
        for (acc, v) in self.metrics.iter_mut().zip(&r.values) {
            if let Some(v) = v {
                acc.push(*v);
            }
        }
        if let Some((ttr, ttd)) = pooled {
            self.pooled_ttr.merge(ttr);
            self.pooled_ttd.merge(ttd);
        }
        if let Some(c) = &r.ttr_cdf {
            self.ttr_band.push_counts(c);
        }
        if let Some(c) = &r.ttd_cdf {
            self.ttd_band.push_counts(c);
        }
    }

    pub fn estimates(&self) -> Vec<Estimate> {
        self.metrics
            .iter()
            .map(|m| m.estimate(CONFIDENCE))
            .collect()
    }
}

/// Runs point `index`'s replications from `source` until `stop` holds,
/// handing each replication to `row` and then `tick`, in replication order.
pub fn run_point<E: From<MergeError>>(
    source: &mut Source,
    index: usize,
    point: &Point,
    stop: Stop,
    mut row: impl FnMut(&RepRow) -> Result<(), E>,
    mut tick: impl FnMut(),
) -> Result<PointSummary, E> {
    let mut summary = PointSummary::new(point.settings.clone(), point.scenario.horizon.ms());
    let watched = stop.watched();
    source.replications(
        index,
        &[&point.scenario],
        true,
        stop.max(),
        |rows, pooled| {
            let r = &rows[0];
            row(r)?;
            summary.push_row(r, pooled.first());
            tick();
            let hw = watched.and_then(|m| summary.metrics[m].half_width(CONFIDENCE));
            Ok::<_, E>(stop.flow(summary.replications, hw))
        },
    )?;
    Ok(summary)
}

/// `replications.csv`'s header: `point`, the grid keys, `replication`,
/// then one column per metric in `shown` ([`super::metrics::shown_metrics`]).
pub fn replications_header(grid_keys: &[String], shown: &[usize]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(grid_keys.iter().cloned());
    h.push("replication".into());
    let defs = metric_defs();
    h.extend(shown.iter().map(|&m| defs[m].name.clone()));
    h
}

/// One row of `replications.csv`.
pub fn replication_row(
    point: usize,
    settings: &[(String, String)],
    r: &RepRow,
    shown: &[usize],
) -> Vec<String> {
    let mut row = vec![point.to_string()];
    row.extend(settings.iter().map(|(_, v)| v.clone()));
    row.push(r.replication.to_string());
    row.extend(shown.iter().map(|&m| csv_number(r.values[m])));
    row
}

/// `sweep.csv`'s header: `point`, the grid keys, `replications`, then
/// `<metric>_mean`, `<metric>_ci_low`, `<metric>_ci_high` per metric.
pub fn sweep_header(grid_keys: &[String], shown: &[usize]) -> Vec<String> {
    let mut h = vec!["point".to_string()];
    h.extend(grid_keys.iter().cloned());
    h.push("replications".into());
    let defs = metric_defs();
    for &m in shown {
        for s in ["mean", "ci_low", "ci_high"] {
            h.push(format!("{}_{s}", defs[m].name));
        }
    }
    h
}

/// One row of `sweep.csv`.
pub fn sweep_row(point: usize, p: &PointSummary, shown: &[usize]) -> Vec<String> {
    let mut row = vec![point.to_string()];
    row.extend(p.settings.iter().map(|(_, v)| v.clone()));
    row.push(p.replications.to_string());
    let estimates = p.estimates();
    for &m in shown {
        let e = &estimates[m];
        row.extend([e.mean, e.ci_low, e.ci_high].map(csv_number));
    }
    row
}

/// One metric's estimate in JSON: its plain name, unit and direction, then
/// the numbers.
#[derive(Serialize)]
struct MetricJson<'a> {
    label: &'a str,
    unit: &'static str,
    better: &'static str,
    #[serde(flatten)]
    estimate: &'a Estimate,
}

/// The metrics of one point as a JSON object in metric order.
pub struct MetricsJson<'a> {
    pub defs: &'a [MetricDef],
    pub estimates: &'a [Estimate],
    /// The metric indices shown, in order.
    pub shown: &'a [usize],
}

impl Serialize for MetricsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.shown.len()))?;
        for &i in self.shown {
            let (d, e) = (&self.defs[i], &self.estimates[i]);
            m.serialize_entry(
                &d.name,
                &MetricJson {
                    label: &d.label,
                    unit: d.unit.name(),
                    better: d.better.name(),
                    estimate: e,
                },
            )?;
        }
        m.end()
    }
}

/// `{ "key": "value", ... }` in grid order.
pub struct SettingsJson<'a>(pub &'a [(String, String)]);

impl Serialize for SettingsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct PointJson<'a> {
    point: usize,
    settings: SettingsJson<'a>,
    replications: u64,
    /// With `--until-ci`: whether its target was met.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopping: Option<Target>,
    metrics: MetricsJson<'a>,
    time_to_recover_pooled: Percentiles,
}

/// What a sweep ran, for the header of its outputs.
#[derive(Clone, Debug, Serialize)]
pub struct SweepInfo {
    pub scenario: String,
    pub content_hash: String,
    pub seed: u64,
    /// `--set` patches applied to every point, in order.
    pub patches: Vec<String>,
    pub grid: Vec<String>,
    /// `fixed N` or `until-ci METRIC<=HALFWIDTH (min, max)`.
    pub stopping_rule: String,
    /// The metrics shown ([`super::metrics::shown_metrics`]).
    #[serde(skip)]
    pub shown: Vec<usize>,
    /// The stopping rule itself, to say whether each point met it.
    #[serde(skip)]
    pub stop: Stop,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    tool: &'static str,
    version: &'static str,
    #[serde(flatten)]
    info: &'a SweepInfo,
    confidence: f64,
    interval: &'static str,
    points: Vec<PointJson<'a>>,
}

/// `summary.json`: pretty, with a trailing newline.
pub fn summary_json(info: &SweepInfo, points: &[PointSummary]) -> String {
    let defs = metric_defs();
    let estimates: Vec<Vec<Estimate>> = points.iter().map(|p| p.estimates()).collect();
    let json = SummaryJson {
        tool: "repairsim",
        version: env!("CARGO_PKG_VERSION"),
        info,
        confidence: CONFIDENCE,
        interval: "Student t over the replication values: mean ± t(0.975, n-1) × sd / √n",
        points: points
            .iter()
            .zip(&estimates)
            .enumerate()
            .map(|(i, (p, e))| PointJson {
                point: i,
                settings: SettingsJson(&p.settings),
                replications: p.replications,
                stopping: p.target(info.stop),
                metrics: MetricsJson {
                    defs: &defs,
                    estimates: e,
                    shown: &info.shown,
                },
                time_to_recover_pooled: p.pooled_ttr.percentiles(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&json).expect("the summary always serializes");
    s.push('\n');
    s
}

/// A point's settings for a heading: `policy.repair_delay=2m, seed=9`.
pub fn settings_label(settings: &[(String, String)]) -> String {
    if settings.is_empty() {
        return "the scenario as written".into();
    }
    settings
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pooled_line(h: &Histogram) -> String {
    let p = h.percentiles();
    let d = |v: Option<u64>| v.map_or("-".into(), |ms| format_duration(SimDuration(ms)));
    format!(
        "Time to recover, pooled over all replications ({} incidents): p50 {}, p90 {}, p99 {}, max {}.",
        p.count,
        d(p.p50),
        d(p.p90),
        d(p.p99),
        d(p.max)
    )
}

/// `summary.md`: per point, a table of every metric that is not always 0.
pub fn summary_md(info: &SweepInfo, points: &[PointSummary]) -> String {
    let defs = metric_defs();
    let mut s = String::new();
    let _ = writeln!(s, "# Sweep of {}\n", info.scenario);
    let _ = writeln!(
        s,
        "Seed {}, scenario hash {}, stopping rule: {}.",
        info.seed, info.content_hash, info.stopping_rule
    );
    if !info.patches.is_empty() {
        let _ = writeln!(
            s,
            "Overrides on every point: `{}`.",
            info.patches.join("`, `")
        );
    }
    let _ = writeln!(
        s,
        "Intervals are 95% Student t intervals of the mean over replications; \
         metrics that are 0 in every replication are left out. Of the times to recover, {}.\n",
        super::metrics::TTR_LEGEND
    );
    for (i, p) in points.iter().enumerate() {
        let _ = writeln!(
            s,
            "## Point {i}: {} ({} replications)\n",
            settings_label(&p.settings),
            p.replications
        );
        if let Some(w) = p.target(info.stop).and_then(|t| t.shortfall()) {
            let _ = writeln!(s, "**Warning:** {w}.\n");
        }
        let _ = writeln!(s, "| metric | mean | 95% CI | sd | n |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        let estimates = p.estimates();
        for &m in &info.shown {
            let (d, e) = (&defs[m], estimates[m]);
            if all_zero(&e) {
                continue;
            }
            let f = |v: Option<f64>| v.map_or("-".into(), |x| format_value(d.unit, x));
            let ci = match (e.ci_low, e.ci_high) {
                (Some(lo), Some(hi)) => format!("{} .. {}", f(Some(lo)), f(Some(hi))),
                _ => "-".into(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                d.name,
                f(e.mean),
                ci,
                f(e.sd),
                e.n
            );
        }
        let _ = writeln!(s, "\n{}\n", pooled_line(&p.pooled_ttr));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mc::metrics::run_replication;
    use crate::mc::runner::pool;

    fn example1() -> Scenario {
        let text = include_str!("../../scenarios/example-1-reboot.toml");
        crate::scenario::load_str("example-1-reboot.toml", text).unwrap()
    }

    #[test]
    fn a_deterministic_scenario_has_zero_width_intervals() {
        let point = Point {
            settings: vec![],
            scenario: example1(),
        };
        let mut rows = 0;
        let s = run_point(
            &mut Source::Simulate(&pool(2).unwrap()),
            0,
            &point,
            Stop::Fixed(5),
            |_| {
                rows += 1;
                Ok::<_, MergeError>(())
            },
            || {},
        )
        .unwrap();
        assert_eq!((s.replications, rows), (5, 5));
        let e = s.estimates()[super::super::metrics::IDX_TTR_MEAN];
        assert_eq!(e.mean, Some(1_165_000.0));
        assert_eq!(
            (e.ci_low, e.ci_high),
            (Some(1_165_000.0), Some(1_165_000.0))
        );
        assert_eq!(s.pooled_ttr.count(), 5);
    }

    #[test]
    fn rows_and_header_line_up() {
        let r = run_replication(&example1(), 3, false);
        let keys = vec!["policy.repair_delay".to_string()];
        let settings = vec![("policy.repair_delay".to_string(), "2m".to_string())];
        let shown = crate::mc::metrics::shown_metrics(&example1().vocabulary());
        let h = replications_header(&keys, &shown);
        let row = replication_row(1, &settings, &r.clone().split(None).0, &shown);
        assert_eq!(h.len(), row.len());
        assert_eq!(&h[..3], ["point", "policy.repair_delay", "replication"]);
        assert_eq!(&row[..4], ["1", "2m", "3", "1165000"]);
        let mut p = PointSummary::new(settings, 3_600_000);
        p.push(r.clone());
        assert_eq!(
            sweep_header(&keys, &shown).len(),
            sweep_row(0, &p, &shown).len()
        );
        // No peer's kinds or outcomes in an AKS run's columns.
        assert!(
            !h.iter()
                .any(|c| c.contains("recreate") || c.contains("snr"))
        );
        assert!(h.iter().any(|c| c == "actions_redeploy"));
    }
}
