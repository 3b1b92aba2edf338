//! Checking expectations against what a run recorded.
//!
//! Each expectation becomes one [`Case`]. A failure's message says what
//! was expected, what happened instead and by how much: the nearest event
//! of the expected kind and its delta, every incident field that differs,
//! a metric's value and the bound it broke.

use super::expect::{
    Bounds, Expect, Expectation, IncidentExpect, MetricExpect, Reason, Scope, Statistic, When,
    show_value,
};
use super::{Case, Failure};
use crate::fleet::Os;
use crate::invariants::Violation;
use crate::mc::estimate::Estimate;
use crate::mc::metrics::{MetricDef, metric_defs};
use crate::observe::events::Event;
use crate::observe::incidents::Incident;
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime, format_duration};

/// What a run recorded, as the checks read it.
pub struct RunView<'a> {
    pub scenario: &'a Scenario,
    pub events: &'a [Event],
    /// In onset order (ties: node order).
    pub incidents: &'a [Incident],
    /// The run's metrics, by index of [`metric_defs`].
    pub values: &'a [Option<f64>],
}

/// `+1m`, `-30s`, `0s`: a signed difference `b - a` of two instants \[ms\].
pub fn signed_delta(a: u64, b: u64) -> String {
    if b >= a {
        format!("+{}", format_duration(SimDuration(b - a)))
    } else {
        format!("-{}", format_duration(SimDuration(a - b)))
    }
}

fn matches(e: &Event, r: Reason) -> bool {
    e.action_kind == r.action && e.phase == r.phase
}

/// The onset of the incident an event at `t` on `node` belongs to: the
/// node's latest onset at or before `t`.
fn onset_of(incidents: &[Incident], node: u32, t: u64) -> Option<SimTime> {
    incidents
        .iter()
        .filter(|i| i.node == node && i.onset.ms() <= t)
        .map(|i| i.onset)
        .max()
}

/// Checks an expectation that one run decides (any but a metric over
/// replications: see [`check_replicated`]).
pub fn check_expectation(run: &RunView, x: &Expectation) -> Case {
    Case::new(
        x.name.clone(),
        kind_name(&x.kind),
        x.line,
        check_one(run, x),
    )
}

/// `event`, `no_event`, `incident` or `metric`.
pub fn kind_name(k: &Expect) -> &'static str {
    match k {
        Expect::Event { .. } => "event",
        Expect::NoEvent { .. } => "no_event",
        Expect::Incident(_) => "incident",
        Expect::Metric(_) => "metric",
    }
}

fn check_one(run: &RunView, x: &Expectation) -> Option<Failure> {
    let sc = run.scenario;
    let name = |n: u32| sc.fleet.nodes[n as usize].name.as_str();
    match &x.kind {
        Expect::Event { reason, node, when } => {
            let found: Vec<&Event> = run
                .events
                .iter()
                .filter(|e| e.node == *node && matches(e, *reason))
                .collect();
            event(run, reason.name(), name(*node), *node, *when, &found)
        }
        Expect::NoEvent { reason, scope } => {
            let inside = |e: &&Event| {
                let n = &sc.fleet.nodes[e.node as usize];
                match scope {
                    Scope::Fleet => true,
                    Scope::Node(id) => e.node == *id,
                    Scope::Pool(p) => n.pool == *p,
                    Scope::Os(os) => n.os == *os,
                }
            };
            let found: Vec<&Event> = run
                .events
                .iter()
                .filter(|e| matches(e, *reason))
                .filter(inside)
                .collect();
            let first = found.first()?;
            let mut details: Vec<String> = found
                .iter()
                .take(5)
                .map(|e| format!("{} {} {}", SimTime(e.sim_ms), e.node_name(), e.reason))
                .collect();
            if found.len() > 5 {
                details.push(format!("... and {} more", found.len() - 5));
            }
            let os = |e: &Event| match sc.fleet.nodes[e.node as usize].os {
                Os::Linux => "Linux",
                Os::Windows => "Windows",
            };
            Some(Failure::new(
                format!(
                    "{} {} event(s); the first at {} on {} ({} node)",
                    found.len(),
                    reason.name(),
                    SimTime(first.sim_ms),
                    first.node_name(),
                    os(first)
                ),
                details,
            ))
        }
        Expect::Incident(i) => incident(run, i, name(i.node)),
        Expect::Metric(m) => {
            let def = &metric_defs()[m.metric];
            bounded(def, m, run.values[m.metric], "in this run")
        }
    }
}

fn event(
    run: &RunView,
    reason: String,
    node_name: &str,
    node: u32,
    when: When,
    found: &[&Event],
) -> Option<Failure> {
    let listing = |found: &[&Event]| -> Vec<String> {
        found
            .iter()
            .map(|e| format!("{} {} {}", SimTime(e.sim_ms), node_name, e.reason))
            .collect()
    };
    if found.is_empty() {
        let others: Vec<&Event> = run.events.iter().filter(|e| e.node == node).collect();
        let tail = if others.is_empty() {
            "the node has no auto-repair events".to_string()
        } else {
            format!("the node's events: {}", {
                let v: Vec<String> = others
                    .iter()
                    .take(8)
                    .map(|e| format!("{} {}", e.reason, SimTime(e.sim_ms)))
                    .collect();
                v.join(", ")
            })
        };
        return Some(Failure::new(
            format!("no {reason} on {node_name}; {tail}"),
            vec![],
        ));
    }
    match when {
        When::At(t) => {
            if found.iter().any(|e| e.sim_ms == t.ms()) {
                return None;
            }
            let nearest = found
                .iter()
                .min_by_key(|e| (e.sim_ms.abs_diff(t.ms()), e.sim_ms))
                .expect("found is not empty");
            let more = if found.len() > 1 {
                format!(" ({} {reason} events on the node)", found.len())
            } else {
                String::new()
            };
            Some(Failure::new(
                format!(
                    "{reason} on {node_name}: expected at {t}, found at {} ({}){more}",
                    SimTime(nearest.sim_ms),
                    signed_delta(t.ms(), nearest.sim_ms)
                ),
                if found.len() > 1 {
                    listing(found)
                } else {
                    vec![]
                },
            ))
        }
        When::Within { from, to } => {
            let offsets: Vec<(u64, Option<SimTime>)> = found
                .iter()
                .map(|e| (e.sim_ms, onset_of(run.incidents, node, e.sim_ms)))
                .collect();
            let ok = offsets.iter().any(|(t, o)| {
                o.is_some_and(|o| {
                    let d = t - o.ms();
                    d >= from.ms() && d <= to.ms()
                })
            });
            if ok {
                return None;
            }
            // The nearest miss, by distance to the window.
            let miss = |(t, o): &(u64, Option<SimTime>)| -> u64 {
                o.map_or(u64::MAX, |o| {
                    let d = t - o.ms();
                    if d < from.ms() {
                        from.ms() - d
                    } else {
                        d - to.ms()
                    }
                })
            };
            let (t, o) = *offsets.iter().min_by_key(|x| miss(x)).expect("not empty");
            let window = format!(
                "{}..{} after its incident's onset",
                format_duration(from),
                format_duration(to)
            );
            let message = match o {
                None => format!(
                    "{reason} on {node_name}: expected {window}; found at {} with no incident open",
                    SimTime(t)
                ),
                Some(o) => {
                    let d = t - o.ms();
                    let (how, by) = if d < from.ms() {
                        ("early", from.ms() - d)
                    } else {
                        ("late", d - to.ms())
                    };
                    format!(
                        "{reason} on {node_name}: expected {window}; found at {} = {} after the \
                         onset {o}, {} {how}",
                        SimTime(t),
                        format_duration(SimDuration(d)),
                        format_duration(SimDuration(by))
                    )
                }
            };
            let details = if found.len() > 1 {
                listing(found)
            } else {
                vec![]
            };
            Some(Failure::new(message, details))
        }
    }
}

fn incident(run: &RunView, x: &IncidentExpect, node_name: &str) -> Option<Failure> {
    let mine: Vec<&Incident> = run.incidents.iter().filter(|i| i.node == x.node).collect();
    let found = match x.onset {
        Some(t) => mine.iter().find(|i| i.onset == t),
        None => mine.first(),
    };
    let Some(inc) = found else {
        let onsets: Vec<String> = mine.iter().map(|i| i.onset.to_string()).collect();
        let at = x
            .onset
            .map(|t| format!(" with onset {t}"))
            .unwrap_or_default();
        let has = if onsets.is_empty() {
            "the node has no incident".to_string()
        } else {
            format!("its incidents start at {}", onsets.join(", "))
        };
        return Some(Failure::new(
            format!("no incident on {node_name}{at}; {has}"),
            vec![],
        ));
    };
    let mut diffs = Vec::new();
    if let Some(o) = x.outcome
        && o != inc.outcome
    {
        diffs.push(format!(
            "outcome {}, expected {} (decided at {})",
            inc.outcome, o, inc.outcome_at
        ));
    }
    if let Some(r) = x.detected_by
        && Some(r) != inc.detect_rule
    {
        diffs.push(format!(
            "detected by {}, expected {}",
            inc.detect_rule
                .map_or("nothing (never detected)", |r| r.name()),
            r.name()
        ));
    }
    let timing = |what: &str, want: Option<SimDuration>, got: Option<SimDuration>| {
        (want != got).then(|| match (want, got) {
            (Some(w), Some(g)) => format!(
                "{what} {g}, expected {w} ({})",
                signed_delta(w.ms(), g.ms())
            ),
            (Some(w), None) => format!("{what} never, expected {w}"),
            (None, Some(g)) => format!("{what} {g}, expected never"),
            (None, None) => unreachable!("equal"),
        })
    };
    if let Some(want) = x.time_to_detect {
        diffs.extend(timing("time to detect", want, inc.ttd()));
    }
    if let Some(want) = x.time_to_recover {
        diffs.extend(timing("time to recover", want, inc.ttr()));
    }
    if diffs.is_empty() {
        return None;
    }
    Some(Failure::new(
        format!(
            "incident on {node_name} (onset {}): {}",
            inc.onset,
            diffs.join("; ")
        ),
        vec![],
    ))
}

/// Checks `value` (in `def`'s unit) against the expectation's bounds.
fn bounded(def: &MetricDef, m: &MetricExpect, value: Option<f64>, what: &str) -> Option<Failure> {
    let show = |x: f64| show_value(def.unit, x);
    let Some(v) = value else {
        return Some(Failure::new(
            format!(
                "{} is undefined {what} (e.g. no incident recovered, or fewer than 2 \
                 replications had a value)",
                def.name
            ),
            vec![],
        ));
    };
    if m.bounds.hold(v) {
        return None;
    }
    let Bounds {
        at_least,
        at_most,
        equals,
    } = m.bounds;
    let broke = if let Some(e) = equals {
        format!("expected exactly {}", show(e))
    } else if let Some(hi) = at_most.filter(|hi| v > *hi) {
        format!("expected at most {}, over by {}", show(hi), show(v - hi))
    } else if let Some(lo) = at_least {
        format!("expected at least {}, under by {}", show(lo), show(lo - v))
    } else {
        unreachable!("a bound broke")
    };
    let stat = match m.statistic {
        Statistic::Run => String::new(),
        s => format!("{} of ", s.describe()),
    };
    Some(Failure::new(
        format!("{stat}{} = {} {what}; {broke}", def.name, show(v)),
        vec![],
    ))
}

/// Checks a metric expectation over replications against the metric's
/// estimate from `replications` replications.
pub fn check_replicated(x: &Expectation, estimate: &Estimate) -> Case {
    let Expect::Metric(m) = &x.kind else {
        unreachable!("only metric expectations run over replications")
    };
    let def = &metric_defs()[m.metric];
    let value = match m.statistic {
        Statistic::Run | Statistic::Mean => estimate.mean,
        Statistic::CiLower => estimate.ci_low,
        Statistic::CiUpper => estimate.ci_high,
    };
    let what = format!(
        "over {} replications (mean {}, 95% CI {}..{})",
        m.replications.unwrap_or(0),
        estimate
            .mean
            .map_or("undefined".into(), |v| show_value(def.unit, v)),
        estimate
            .ci_low
            .map_or("?".into(), |v| show_value(def.unit, v)),
        estimate
            .ci_high
            .map_or("?".into(), |v| show_value(def.unit, v)),
    );
    Case::new(
        x.name.clone(),
        "metric",
        x.line,
        bounded(def, m, value, &what),
    )
}

/// The invariants of POLICY.md: one case, failing with every violation.
pub fn check_invariants(violations: &[Violation]) -> Case {
    let failure = violations.first().map(|v| {
        let details: Vec<String> = violations.iter().take(20).map(|v| v.to_string()).collect();
        let more = violations.len().saturating_sub(1);
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        Failure::new(
            format!(
                "invariant {} broken on {} at {}: {}{tail}",
                v.rule, v.node, v.at, v.detail
            ),
            details,
        )
    });
    Case::new(
        "invariants of POLICY.md".into(),
        "invariants",
        None,
        failure,
    )
}
