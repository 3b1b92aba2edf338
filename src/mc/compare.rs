//! `compare`: a baseline and one or more candidates on the same
//! replications (common random numbers), with a paired-t interval and a
//! verdict per candidate and metric.
//!
//! With k > 1 candidates every interval is a Bonferroni interval at
//! 1 − 0.05/k, so the 95% holds for the family of k comparisons of a
//! metric; the outputs say so.

use super::estimate::{CONFIDENCE, Estimate, Histogram, Running};
use super::metrics::{
    Better, IDX_AVAILABILITY, IDX_FAILED, IDX_NOT_READY_HOURS, IDX_TTD_MEAN, IDX_TTR_MEAN,
    IDX_TTR_P50, IDX_TTR_P99, IDX_TTR_RESTRICTED, METRICS, MetricDef, RepResult, RepRow, Unit,
    metric_defs,
};
use super::shard::{MergeError, Source};
use super::student::t_two_sided_p;
use super::{Stop, Target, all_zero, csv_number, format_value};
use crate::scenario::Scenario;
use crate::trace::TraceCursor;
use serde::Serialize;
use std::fmt::Write as _;

/// One side of a comparison.
#[derive(Clone, Debug)]
pub struct Side {
    /// What the user called it (`name=`), or its spec.
    pub label: String,
    pub scenario: Scenario,
}

/// The verdict on one candidate and metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Better,
    Worse,
    /// Significantly higher, for a metric with no better direction.
    Higher,
    /// Significantly lower, for a metric with no better direction.
    Lower,
    NoSignificantDifference,
    /// Exactly equal, on one trace (`replay`).
    Same,
    /// Fewer than two paired values: no interval.
    NotEnoughData,
    /// Significantly better on a time metric while failed repairs,
    /// not-Ready node-hours or availability are significantly worse: time
    /// to recover counts only the incidents that recovered, so a policy
    /// that gives up on more nodes looks faster. Never called better.
    Conflict,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Higher => "higher",
            Verdict::Lower => "lower",
            Verdict::NoSignificantDifference => "no significant difference",
            Verdict::Same => "same",
            Verdict::NotEnoughData => "not enough data",
            Verdict::Conflict => "conflict: see warnings",
        }
    }

    /// The verdict on a difference candidate − baseline.
    pub fn of(better: Better, diff: &Estimate) -> Verdict {
        if diff.ci_low.is_none() {
            return Verdict::NotEnoughData;
        }
        match (diff.sign(), better) {
            (None, _) => Verdict::NoSignificantDifference,
            (Some(true), Better::Lower) | (Some(false), Better::Higher) => Verdict::Worse,
            (Some(true), Better::Higher) | (Some(false), Better::Lower) => Verdict::Better,
            (Some(true), Better::Neither) => Verdict::Higher,
            (Some(false), Better::Neither) => Verdict::Lower,
        }
    }
}

impl Verdict {
    /// The verdict on an exact difference candidate − baseline, with no
    /// sampling to allow for (one trace: `replay`).
    pub fn exact(better: Better, diff: Option<f64>) -> Verdict {
        let Some(d) = diff else {
            return Verdict::NotEnoughData;
        };
        if d == 0.0 {
            return Verdict::Same;
        }
        match (d > 0.0, better) {
            (true, Better::Lower) | (false, Better::Higher) => Verdict::Worse,
            (true, Better::Higher) | (false, Better::Lower) => Verdict::Better,
            (true, Better::Neither) => Verdict::Higher,
            (false, Better::Neither) => Verdict::Lower,
        }
    }
}

/// The confidence of each interval with `candidates` candidates:
/// 0.95, or 1 − 0.05/k with the Bonferroni correction.
pub fn confidence(candidates: usize) -> f64 {
    if candidates > 1 {
        1.0 - (1.0 - CONFIDENCE) / candidates as f64
    } else {
        CONFIDENCE
    }
}

/// The state of a comparison, folded in replication order.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub labels: Vec<String>,
    pub replications: u64,
    /// By candidate (side − 1), by metric: the baseline's and the
    /// candidate's values and their difference (candidate − baseline), all
    /// over the same replications: those where both sides have a value.
    pub pairs: Vec<Vec<Paired>>,
    /// By candidate: replication 0's failure trace equals the baseline's,
    /// so the pairs share fault onsets and self-heal instants.
    pub same_failure_trace: Vec<bool>,
    /// By side: the patches that made it, in order.
    pub patches: Vec<Vec<String>>,
    /// By side: every recovered incident's time to recover, over all replications.
    pub pooled_ttr: Vec<Histogram>,
    /// By side: every detected incident's time to detect, over all replications.
    pub pooled_ttd: Vec<Histogram>,
    pub confidence: f64,
    /// The metrics the outputs show: those of every side's vocabulary
    /// ([`super::metrics::shown_metrics`]). The first ones are every
    /// metric before the outcome counts, so their row index is their
    /// metric index.
    pub shown: Vec<usize>,
    /// One trace with no sampling between the sides (`replay`): each
    /// difference is exact, and its verdict is its sign.
    pub exact: bool,
    /// With `exact`, by metric: a difference at most this large is called
    /// `same` (the record's time resolution, in the metric's unit).
    pub tolerance: Vec<f64>,
}

/// One candidate's and the baseline's values of one metric, paired.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Paired {
    pub baseline: Running,
    pub candidate: Running,
    pub diff: Running,
}

impl Comparison {
    pub fn new(sides: &[Side]) -> Comparison {
        // Compared input by input, as the cursors draw them: no side's
        // trace is ever listed whole.
        let trace = |s: &Side| TraceCursor::new(&s.scenario, 0);
        Comparison {
            labels: sides.iter().map(|s| s.label.clone()).collect(),
            replications: 0,
            pairs: vec![vec![Paired::default(); METRICS]; sides.len() - 1],
            same_failure_trace: sides[1..]
                .iter()
                .map(|s| trace(s).eq(trace(&sides[0])))
                .collect(),
            patches: sides.iter().map(|s| s.scenario.patches.clone()).collect(),
            pooled_ttr: vec![Histogram::default(); sides.len()],
            pooled_ttd: vec![Histogram::default(); sides.len()],
            confidence: confidence(sides.len() - 1),
            shown: super::metrics::shown_for(sides.iter().map(|s| &s.scenario)),
            exact: false,
            tolerance: vec![0.0; METRICS],
        }
    }

    /// Folds one replication in: `results` by side, baseline first.
    pub fn push(&mut self, results: &[RepResult]) {
        let (rows, pooled): (Vec<RepRow>, Vec<(Histogram, Histogram)>) = results
            .iter()
            .map(|r| {
                let (row, ttr, ttd) = r.clone().split(None);
                (row, (ttr, ttd))
            })
            .unzip();
        self.push_rows(&rows, &pooled);
    }

    /// Folds one replication's rows in (by side, baseline first), and
    /// `pooled`, each side's histograms to add to its pooled ones: this
    /// replication's, or with `merge` a shard block's with its last row,
    /// or none.
    pub fn push_rows(&mut self, rows: &[RepRow], pooled: &[(Histogram, Histogram)]) {
        self.replications += 1;
        for ((ttr, ttd), (r, d)) in self
            .pooled_ttr
            .iter_mut()
            .zip(&mut self.pooled_ttd)
            .zip(pooled)
        {
            ttr.merge(r);
            ttd.merge(d);
        }
        let base = &rows[0];
        for (acc, r) in self.pairs.iter_mut().zip(&rows[1..]) {
            for (m, p) in acc.iter_mut().enumerate() {
                if let (Some(b), Some(c)) = (base.values[m], r.values[m]) {
                    p.baseline.push(b);
                    p.candidate.push(c);
                    p.diff.push(c - b);
                }
            }
        }
    }

    /// The widest half-width of `metric`'s differences over the candidates.
    pub fn widest_half_width(&self, metric: usize) -> Option<f64> {
        self.pairs
            .iter()
            .map(|p| p[metric].diff.half_width(self.confidence))
            .try_fold(0.0f64, |w, h| h.map(|h| w.max(h)))
    }

    /// By candidate, one row per metric.
    pub fn rows(&self) -> Vec<Vec<Row>> {
        let defs = metric_defs();
        let mut all = Vec::new();
        for (c, pairs) in self.pairs.iter().enumerate() {
            let mut rows = Vec::new();
            for &m in &self.shown {
                let (d, p) = (&defs[m], &pairs[m]);
                let diff = p.diff.estimate(self.confidence);
                let p_value = match (diff.mean, diff.sd) {
                    (Some(mean), Some(sd)) if sd > 0.0 => Some(t_two_sided_p(
                        mean / (sd / (diff.n as f64).sqrt()),
                        (diff.n - 1) as f64,
                    )),
                    (Some(_), Some(_)) => Some(if diff.mean == Some(0.0) { 1.0 } else { 0.0 }),
                    _ => None,
                };
                rows.push(Row {
                    candidate: self.labels[c + 1].clone(),
                    index: m,
                    metric: d.clone(),
                    baseline: p.baseline.estimate(self.confidence),
                    value: p.candidate.estimate(self.confidence),
                    verdict: if self.exact {
                        let tol = self.tolerance.get(m).copied().unwrap_or(0.0);
                        Verdict::exact(
                            d.better,
                            diff.mean.map(|x| if x.abs() <= tol { 0.0 } else { x }),
                        )
                    } else {
                        Verdict::of(d.better, &diff)
                    },
                    diff,
                    p_value,
                });
            }
            // A time metric is not better while the outcomes got worse.
            if rows.iter().any(Row::worse_outcome) {
                // Every time metric, the restricted mean too: its 24h
                // bound counts a node lost for weeks as one day.
                for r in &mut rows {
                    if r.metric.unit == Unit::Ms && r.verdict == Verdict::Better {
                        r.verdict = Verdict::Conflict;
                    }
                }
            }
            all.push(rows);
        }
        all
    }

    /// [`warnings`] of this comparison's rows.
    pub fn warnings(&self) -> Vec<String> {
        warnings(&self.rows())
    }
}

/// One warning per candidate whose time metrics improved while its failed
/// repairs, not-Ready node-hours or availability got significantly worse
/// (`compare.json` `warnings`, the printed table), from [`Comparison::rows`].
pub fn warnings(rows: &[Vec<Row>]) -> Vec<String> {
    rows.iter()
        .filter_map(|rows| {
            let names = |keep: fn(&Row) -> bool| -> Vec<&str> {
                rows.iter()
                    .filter(|r| keep(r))
                    .map(|r| r.metric.name.as_str())
                    .collect()
            };
            let faster = names(|r| r.verdict == Verdict::Conflict);
            let worse = names(Row::worse_outcome);
            let candidate = &rows.first()?.candidate;
            // Why each kind of time metric can improve while nodes fare worse.
            let conflicting = |i: usize| {
                rows.iter()
                    .any(|r| r.index == i && r.verdict == Verdict::Conflict)
            };
            let mut why = Vec::new();
            if [IDX_TTR_MEAN, IDX_TTR_P50, IDX_TTR_P99]
                .into_iter()
                .any(conflicting)
            {
                why.push("time to recover counts only the incidents that recovered");
            }
            if conflicting(IDX_TTR_RESTRICTED) {
                why.push(
                    "the restricted mean counts a node that never recovered only up to its bound",
                );
            }
            if conflicting(IDX_TTD_MEAN) {
                why.push("time to detect says nothing of what follows detection");
            }
            (!faster.is_empty()).then(|| {
                format!(
                    "candidate {candidate}: {} improved, but {} got significantly worse; \
                     {}, so a policy that leaves more nodes not Ready can look faster: \
                     not called better",
                    faster.join(", "),
                    worse.join(", "),
                    why.join("; ")
                )
            })
        })
        .collect()
}

/// Failed repairs, not-Ready node-hours and availability: what a faster
/// time to recover must not be bought with.
const OUTCOME_METRICS: [usize; 3] = [IDX_FAILED, IDX_NOT_READY_HOURS, IDX_AVAILABILITY];

/// One candidate and metric.
#[derive(Clone, Debug)]
pub struct Row {
    pub candidate: String,
    /// The metric's index ([`metric_defs`] order).
    pub index: usize,
    pub metric: MetricDef,
    /// Over the paired replications, like `value` and `diff`, so that
    /// `diff.mean` = `value.mean` − `baseline.mean`.
    pub baseline: Estimate,
    pub value: Estimate,
    /// Candidate − baseline, paired by replication.
    pub diff: Estimate,
    /// Two-sided paired-t p-value (not Bonferroni-adjusted).
    pub p_value: Option<f64>,
    pub verdict: Verdict,
}

impl Row {
    /// A significantly worse failed repairs, not-Ready node-hours or
    /// availability.
    fn worse_outcome(&self) -> bool {
        OUTCOME_METRICS.contains(&self.index) && self.verdict == Verdict::Worse
    }
}

/// Runs every side on replications 0, 1, ... from `source` until `stop`
/// holds (for `--until-ci`: every candidate's interval of the watched
/// difference), handing each side's row to `row` in replication order,
/// then `tick`.
pub fn run_compare<E: From<MergeError>>(
    source: &mut Source,
    sides: &[Side],
    stop: Stop,
    mut row: impl FnMut(usize, &RepRow) -> Result<(), E>,
    mut tick: impl FnMut(),
) -> Result<Comparison, E> {
    let mut cmp = Comparison::new(sides);
    let watched = stop.watched();
    let scenarios: Vec<&Scenario> = sides.iter().map(|s| &s.scenario).collect();
    source.replications(0, &scenarios, false, stop.max(), |rows, pooled| {
        for (i, r) in rows.iter().enumerate() {
            row(i, r)?;
        }
        cmp.push_rows(&rows, pooled);
        tick();
        let hw = watched.and_then(|m| cmp.widest_half_width(m));
        Ok::<_, E>(stop.flow(cmp.replications, hw))
    })?;
    Ok(cmp)
}

/// `compare.csv`'s header.
pub const CSV_HEADER: [&str; 17] = [
    "candidate",
    "metric",
    "unit",
    "better",
    "n",
    "baseline_mean",
    "candidate_mean",
    "diff_mean",
    "diff_sd",
    "diff_ci_low",
    "diff_ci_high",
    "confidence",
    "p_value",
    "verdict",
    "baseline",
    "same_failure_trace",
    "label",
];

/// The rows of `compare.csv`, after [`CSV_HEADER`].
pub fn csv_rows(cmp: &Comparison) -> Vec<Vec<String>> {
    cmp.rows()
        .into_iter()
        .zip(&cmp.same_failure_trace)
        .flat_map(|(rows, same)| rows.into_iter().map(move |r| (r, same)))
        .map(|(r, same)| {
            vec![
                r.candidate.clone(),
                r.metric.name.clone(),
                r.metric.unit.name().into(),
                r.metric.better.name().into(),
                r.diff.n.to_string(),
                csv_number(r.baseline.mean),
                csv_number(r.value.mean),
                csv_number(r.diff.mean),
                csv_number(r.diff.sd),
                csv_number(r.diff.ci_low),
                csv_number(r.diff.ci_high),
                cmp.confidence.to_string(),
                csv_number(r.p_value),
                r.verdict.name().into(),
                cmp.labels[0].clone(),
                same.to_string(),
                r.metric.label.clone(),
            ]
        })
        .collect()
}

#[derive(Serialize)]
struct MetricJson<'a> {
    metric: &'a str,
    label: &'a str,
    unit: &'static str,
    better: &'static str,
    baseline_mean: Option<f64>,
    candidate_mean: Option<f64>,
    difference: &'a Estimate,
    p_value: Option<f64>,
    verdict: &'static str,
}

#[derive(Serialize)]
struct CandidateJson<'a> {
    candidate: &'a str,
    patches: &'a [String],
    same_failure_trace: bool,
    metrics: Vec<MetricJson<'a>>,
}

#[derive(Serialize)]
struct CompareJson<'a> {
    tool: &'static str,
    version: &'static str,
    scenario: &'a str,
    content_hash: String,
    seed: u64,
    baseline: &'a str,
    baseline_patches: &'a [String],
    replications: u64,
    stopping_rule: &'a str,
    /// With `--until-ci`: whether its target was met.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopping: Option<Target>,
    confidence: f64,
    bonferroni: bool,
    interval: &'static str,
    p_value: &'static str,
    /// Conflicts between time metrics and outcomes ([`Comparison::warnings`]).
    warnings: Vec<String>,
    candidates: Vec<CandidateJson<'a>>,
}

impl Comparison {
    /// How `stop` ended: the widest of the candidates' intervals of the
    /// difference against its target (`None` for a fixed count).
    pub fn target(&self, stop: Stop) -> Option<Target> {
        let hw = stop.watched().and_then(|m| self.widest_half_width(m));
        stop.target(self.replications, hw)
    }
}

/// `compare.json`: pretty, with a trailing newline.
pub fn to_json(cmp: &Comparison, scenario: &Scenario, stop: Stop, stopping_rule: &str) -> String {
    let rows = cmp.rows();
    let candidates = cmp.labels[1..]
        .iter()
        .zip(&rows)
        .enumerate()
        .map(|(c, (label, rows))| CandidateJson {
            candidate: label,
            patches: &cmp.patches[c + 1],
            same_failure_trace: cmp.same_failure_trace[c],
            metrics: rows
                .iter()
                .map(|r| MetricJson {
                    metric: &r.metric.name,
                    label: &r.metric.label,
                    unit: r.metric.unit.name(),
                    better: r.metric.better.name(),
                    baseline_mean: r.baseline.mean,
                    candidate_mean: r.value.mean,
                    difference: &r.diff,
                    p_value: r.p_value,
                    verdict: r.verdict.name(),
                })
                .collect(),
        })
        .collect();
    let json = CompareJson {
        tool: "repairsim",
        version: env!("CARGO_PKG_VERSION"),
        scenario: &scenario.name,
        content_hash: format!("{:016x}", scenario.content_hash),
        seed: scenario.seed,
        baseline: &cmp.labels[0],
        baseline_patches: &cmp.patches[0],
        replications: cmp.replications,
        stopping_rule,
        stopping: cmp.target(stop),
        confidence: cmp.confidence,
        bonferroni: cmp.labels.len() > 2,
        interval: "paired t over the replications where both sides have a value: \
                   mean difference ± t(1 - (1 - confidence)/2, n-1) × sd / √n",
        p_value: "two-sided paired-t p-value of each comparison, not adjusted for multiple comparisons",
        warnings: warnings(&rows),
        candidates,
    };
    let mut s = serde_json::to_string_pretty(&json).expect("a comparison always serializes");
    s.push('\n');
    s
}

/// A confidence level for people: `95%`, `98.33%`.
pub fn percent(c: f64) -> String {
    let p = format!("{:.2}", c * 100.0);
    let p = p.trim_end_matches('0').trim_end_matches('.');
    format!("{p}%")
}

/// The markdown `compare` prints: one table per candidate, metrics that
/// are 0 on both sides in every replication left out.
pub fn to_markdown(cmp: &Comparison, scenario: &Scenario, stop: Stop) -> String {
    let rows = cmp.rows();
    let k = cmp.labels.len() - 1;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# {}: {} replications, seed {}, common random numbers\n",
        scenario.name, cmp.replications, scenario.seed
    );
    if let Some(w) = cmp.target(stop).and_then(|t| t.shortfall()) {
        let _ = writeln!(s, "**Warning:** {w}.\n");
    }
    let _ = writeln!(s, "Baseline: `{}`.", cmp.labels[0]);
    if k > 1 {
        let _ = writeln!(
            s,
            "Intervals are {} paired-t intervals: Bonferroni correction for {k} candidates, \
             so each metric's family of {k} comparisons holds at 95%.",
            percent(cmp.confidence)
        );
    } else {
        let _ = writeln!(s, "Intervals are 95% paired-t intervals of the difference.");
    }
    let _ = writeln!(
        s,
        "Of the times to recover, {}.",
        super::metrics::TTR_LEGEND
    );
    for w in warnings(&rows) {
        let _ = writeln!(s, "\n**Warning:** {w}.");
    }
    for (c, (label, rows)) in cmp.labels[1..].iter().zip(&rows).enumerate() {
        let _ = writeln!(s, "\n## Candidate `{label}`\n");
        if !cmp.same_failure_trace[c] {
            let _ = writeln!(
                s,
                "Note: this candidate's failure inputs differ from the baseline's \
                 (it changes more than the policy), so the differences include that change.\n"
            );
        }
        let _ = writeln!(
            s,
            "| metric | baseline | candidate | difference | {} CI | verdict |",
            percent(cmp.confidence)
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
        for r in rows {
            if all_zero(&r.baseline) && all_zero(&r.value) {
                continue;
            }
            let f = |v: Option<f64>| v.map_or("-".into(), |x| format_value(r.metric.unit, x));
            let ci = match (r.diff.ci_low, r.diff.ci_high) {
                (Some(lo), Some(hi)) => format!("{} .. {}", f(Some(lo)), f(Some(hi))),
                _ => "-".into(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                r.metric.name,
                f(r.baseline.mean),
                f(r.value.mean),
                f(r.diff.mean),
                ci,
                r.verdict.name()
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(lo: f64, hi: f64) -> Estimate {
        Estimate {
            n: 10,
            mean: Some((lo + hi) / 2.0),
            sd: Some(1.0),
            ci_low: Some(lo),
            ci_high: Some(hi),
            half_width: Some((hi - lo) / 2.0),
        }
    }

    #[test]
    fn verdicts_follow_the_metric_direction() {
        use Verdict as V;
        assert_eq!(V::of(Better::Lower, &est(-3.0, -1.0)), V::Better);
        assert_eq!(V::of(Better::Lower, &est(1.0, 3.0)), V::Worse);
        assert_eq!(V::of(Better::Higher, &est(1.0, 3.0)), V::Better);
        assert_eq!(V::of(Better::Higher, &est(-3.0, -1.0)), V::Worse);
        assert_eq!(V::of(Better::Neither, &est(1.0, 3.0)), V::Higher);
        assert_eq!(V::of(Better::Neither, &est(-3.0, -1.0)), V::Lower);
        assert_eq!(
            V::of(Better::Lower, &est(-1.0, 1.0)),
            V::NoSignificantDifference
        );
        let mut one = est(0.0, 0.0);
        one.ci_low = None;
        assert_eq!(V::of(Better::Lower, &one), V::NotEnoughData);
    }

    #[test]
    fn exact_verdicts_are_the_sign_of_the_difference() {
        use Verdict as V;
        assert_eq!(V::exact(Better::Lower, Some(-1.0)), V::Better);
        assert_eq!(V::exact(Better::Lower, Some(1.0)), V::Worse);
        assert_eq!(V::exact(Better::Higher, Some(1e-9)), V::Better);
        assert_eq!(V::exact(Better::Higher, Some(-2.0)), V::Worse);
        assert_eq!(V::exact(Better::Neither, Some(3.0)), V::Higher);
        assert_eq!(V::exact(Better::Neither, Some(-3.0)), V::Lower);
        assert_eq!(V::exact(Better::Lower, Some(0.0)), V::Same);
        assert_eq!(V::exact(Better::Lower, None), V::NotEnoughData);
        assert_eq!(V::Same.name(), "same");
    }

    #[test]
    fn bonferroni_confidence() {
        assert_eq!(confidence(1), 0.95);
        assert!((confidence(3) - (1.0 - 0.05 / 3.0)).abs() < 1e-15);
        assert_eq!(percent(0.95), "95%");
        assert_eq!(percent(confidence(3)), "98.33%");
    }
}
