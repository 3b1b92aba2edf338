//! `repairsim calibrate`: what a recorded history says about the policy
//! that acted on it. Each measure comes with its count and spread, and the
//! timing of the first action with the preset that predicts it best.
//!
//! Invariant: computed from the importer's episodes alone; nothing here
//! simulates.

use super::{Imported, first_action_at};
use crate::k8s::ActionKind;
use crate::policy::params::{Policy, Preset};
use crate::time::{SimDuration, format_duration};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A measure's spread \[ms\]: `n`, then nearest-rank `min`, `median`, `max`
/// (all `null` when `n` is 0).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub n: usize,
    pub min: Option<i64>,
    pub median: Option<i64>,
    pub max: Option<i64>,
}

impl Spread {
    fn of(mut v: Vec<i64>) -> Spread {
        v.sort_unstable();
        let n = v.len();
        Spread {
            n,
            min: v.first().copied(),
            median: (n > 0).then(|| v[(n - 1) / 2]),
            max: v.last().copied(),
        }
    }
}

/// How a failed action was reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Failures {
    /// An End event, then the Error (the observed service, POLICY.md section 8).
    pub end_then_error: usize,
    /// The Error event alone (the documented reading).
    pub error_only: usize,
}

/// One action kind's errors.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorRate {
    pub actions: usize,
    pub errors: usize,
    pub rate: Option<f64>,
}

/// How well a preset predicts the first action of each episode.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fit {
    pub preset: &'static str,
    /// Mean of |predicted - recorded| over the episodes \[ms\].
    pub mean_error_ms: i64,
}

/// Values by action kind, in ladder order, serialized as a map by name.
#[derive(Clone, Debug, PartialEq)]
pub struct ByKind<T>(pub Vec<(ActionKind, T)>);

impl<T: Serialize> Serialize for ByKind<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k.name(), v)))
    }
}

/// Everything `calibrate` reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    pub episodes: usize,
    pub episodes_with_actions: usize,
    /// From the NodeNotReady event to the episode's first Start.
    pub not_ready_to_first_action_ms: Spread,
    /// From the inferred onset to the episode's first Start.
    pub onset_to_first_action_ms: Spread,
    /// From an action's end to the next action's start, in one episode.
    pub action_spacing_ms: Spread,
    /// Start to end, by kind.
    pub action_duration_ms: ByKind<Spread>,
    /// Start instants modulo one minute: the check grid's phase and its
    /// jitter.
    pub check_phase_ms: Spread,
    pub failed_actions: Failures,
    pub error_rate: ByKind<ErrorRate>,
    /// The periodic presets, best first, by how well each predicts the
    /// first Start of every episode from its NodeNotReady.
    pub first_action_fit: Vec<Fit>,
}

/// Measures `imp`'s episodes.
pub fn calibrate(imp: &Imported) -> Calibration {
    let start = imp.start.0;
    let eps: Vec<&super::Episode> = imp.episodes.iter().flat_map(|(_, e)| e).collect();
    let acted: Vec<&&super::Episode> = eps.iter().filter(|e| !e.actions.is_empty()).collect();
    let mut spacing = Vec::new();
    let mut durations: BTreeMap<ActionKind, Vec<i64>> = BTreeMap::new();
    let mut phase = Vec::new();
    let mut failures = Failures::default();
    let mut rates: BTreeMap<ActionKind, (usize, usize)> = BTreeMap::new();
    for e in &eps {
        for (i, a) in e.actions.iter().enumerate() {
            phase.push(a.start.rem_euclid(60_000));
            let r = rates.entry(a.kind).or_default();
            r.0 += 1;
            if let Some(end) = a.end {
                durations.entry(a.kind).or_default().push(end - a.start);
                if let Some(next) = e.actions.get(i + 1) {
                    spacing.push(next.start - end);
                }
            }
            if a.error.is_some() {
                r.1 += 1;
                if a.ended_before_error {
                    failures.end_then_error += 1;
                } else {
                    failures.error_only += 1;
                }
            }
        }
    }
    let first = |e: &super::Episode| e.actions[0].start;
    let mut fits: Vec<Fit> = Preset::ALL
        .into_iter()
        .filter_map(|preset| {
            let p = Policy::preset(preset);
            let errs: Option<Vec<i64>> = acted
                .iter()
                .map(|e| {
                    first_action_at(&p, e.silent, e.left - start)
                        .map(|at| (start + at - first(e)).abs())
                })
                .collect();
            let errs = errs?;
            (!errs.is_empty()).then(|| Fit {
                preset: preset.name(),
                mean_error_ms: errs.iter().sum::<i64>() / errs.len() as i64,
            })
        })
        .collect();
    fits.sort_by_key(|f| f.mean_error_ms);
    Calibration {
        episodes: eps.len(),
        episodes_with_actions: acted.len(),
        not_ready_to_first_action_ms: Spread::of(acted.iter().map(|e| first(e) - e.left).collect()),
        onset_to_first_action_ms: Spread::of(
            acted
                .iter()
                .map(|e| first(e) - (start + imp.fault(e).onset))
                .collect(),
        ),
        action_spacing_ms: Spread::of(spacing),
        action_duration_ms: ByKind(
            durations
                .into_iter()
                .map(|(k, v)| (k, Spread::of(v)))
                .collect(),
        ),
        check_phase_ms: Spread::of(phase),
        failed_actions: failures,
        error_rate: ByKind(
            rates
                .into_iter()
                .map(|(k, (n, e))| {
                    (
                        k,
                        ErrorRate {
                            actions: n,
                            errors: e,
                            rate: (n > 0).then(|| e as f64 / n as f64),
                        },
                    )
                })
                .collect(),
        ),
        first_action_fit: fits,
    }
}

fn dur(ms: Option<i64>) -> String {
    ms.map_or("-".into(), |m| {
        if m < 0 {
            format!("-{}", format_duration(SimDuration((-m) as u64)))
        } else {
            format_duration(SimDuration(m as u64))
        }
    })
}

impl Calibration {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a calibration always serializes");
        s.push('\n');
        s
    }

    /// A table for people.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} not-Ready episode{}, {} with auto-repair actions\n",
            self.episodes,
            if self.episodes == 1 { "" } else { "s" },
            self.episodes_with_actions
        );
        let _ = writeln!(
            s,
            "{:<34} {:>5} {:>12} {:>12} {:>12}",
            "measure", "n", "min", "median", "max"
        );
        let mut row = |label: &str, sp: &Spread| {
            let _ = writeln!(
                s,
                "{label:<34} {:>5} {:>12} {:>12} {:>12}",
                sp.n,
                dur(sp.min),
                dur(sp.median),
                dur(sp.max)
            );
        };
        row(
            "NodeNotReady to first action",
            &self.not_ready_to_first_action_ms,
        );
        row("onset to first action", &self.onset_to_first_action_ms);
        row("action end to next start", &self.action_spacing_ms);
        for (k, sp) in &self.action_duration_ms.0 {
            row(&format!("{} duration", k.name()), sp);
        }
        row("Start instants past the minute", &self.check_phase_ms);
        let f = &self.failed_actions;
        if f.end_then_error + f.error_only > 0 {
            let _ = writeln!(
                s,
                "\nfailed actions: {} End then Error, {} Error alone ({})",
                f.end_then_error,
                f.error_only,
                if f.end_then_error > f.error_only {
                    "emit_end_on_error = true, as aks-observed-2026"
                } else {
                    "emit_end_on_error = false, as the documented presets"
                }
            );
        }
        let rates: Vec<String> = self
            .error_rate
            .0
            .iter()
            .map(|(k, r)| format!("{} {} of {}", k.name(), r.errors, r.actions))
            .collect();
        if !rates.is_empty() {
            let _ = writeln!(s, "errors: {}", rates.join(", "));
        }
        if let Some(best) = self.first_action_fit.first() {
            let others: Vec<String> = self.first_action_fit[1..]
                .iter()
                .map(|f| format!("{} {}", f.preset, dur(Some(f.mean_error_ms))))
                .collect();
            let _ = writeln!(
                s,
                "\nfirst action fits best: {} (off by {} on average); then {}",
                best.preset,
                dur(Some(best.mean_error_ms)),
                others.join(", ")
            );
        }
        s
    }
}
