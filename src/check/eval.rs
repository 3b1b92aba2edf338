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
    match r {
        Reason::Aks { action, phase } => e.action_kind == Some(action) && e.phase == Some(phase),
        Reason::Peer(name) => e.action_kind.is_none() && e.reason == name,
    }
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
    // Details list the events only when there is more than the one named.
    let details: Vec<String> = if found.len() > 1 {
        found
            .iter()
            .map(|e| format!("{} {} {}", SimTime(e.sim_ms), node_name, e.reason))
            .collect()
    } else {
        vec![]
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
                details,
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
    if let Some(t) = x.outcome_at
        && t != inc.outcome_at
    {
        diffs.push(format!(
            "outcome {} decided at {}, expected at {t} ({})",
            inc.outcome,
            inc.outcome_at,
            signed_delta(t.ms(), inc.outcome_at.ms())
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
    } else if let Some(lo) = at_least.filter(|lo| v < *lo) {
        format!("expected at least {}, under by {}", show(lo), show(lo - v))
    } else {
        // Only a value no bound can compare (NaN) gets here.
        "expected a number within the bounds".to_string()
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

/// The invariants of docs/POLICY.md, watched on the run and on every other
/// replication `check` ran (`others`: where, e.g. `replication 7`, and the
/// violation): one case, failing with the violations.
pub fn check_invariants(run: &[Violation], others: &[(String, Violation)]) -> Case {
    let all: Vec<(Option<&str>, &Violation)> = run
        .iter()
        .map(|v| (None, v))
        .chain(others.iter().map(|(w, v)| (Some(w.as_str()), v)))
        .collect();
    let show = |(w, v): &(Option<&str>, &Violation)| {
        let rep = w.map(|w| format!(" in {w}")).unwrap_or_default();
        format!(
            "invariant {} broken on {} at {}{rep}: {}",
            v.rule, v.node, v.at, v.detail
        )
    };
    let failure = all.first().map(|first| {
        let more = all.len() - 1;
        let tail = if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        };
        let details = if more > 0 {
            all.iter().take(20).map(show).collect()
        } else {
            vec![]
        };
        Failure::new(format!("{}{tail}", show(first)), details)
    });
    Case::new(
        "invariants of docs/POLICY.md".into(),
        "invariants",
        None,
        failure,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::load::expectations;
    use crate::cli::run::simulate_run;
    use crate::mc::metrics::measure;
    use crate::scenario::{Scenario, load_str_then};

    fn load_str(label: &str, text: &str) -> Result<(Scenario, Vec<Expectation>), String> {
        load_str_then(label, text, &[], expectations).map_err(|e| e.to_string())
    }

    /// The cases of `tables` appended to a shipped scenario (its own
    /// expectations are left out).
    fn cases(file: &str, tables: &str) -> Vec<Case> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(file);
        cases_of(&std::fs::read_to_string(path).unwrap(), tables)
    }

    /// The cases of `tables` appended to the scenario `text`.
    fn cases_of(text: &str, tables: &str) -> Vec<Case> {
        let own = load_str("t.toml", text).unwrap().1.len();
        let (sc, xs) =
            load_str("t.toml", &format!("{text}\n{tables}")).unwrap_or_else(|e| panic!("{e}"));
        let r = simulate_run(&sc, 0);
        let values = measure(&sc, 0, &r.incidents, &r.timeline).values;
        let view = RunView {
            scenario: &sc,
            events: r.events.events(),
            incidents: &r.incidents,
            values: &values,
        };
        xs[own..]
            .iter()
            .map(|x| check_expectation(&view, x))
            .collect()
    }

    fn message(c: &Case) -> &str {
        c.failure.as_ref().map_or("", |f| f.message.as_str())
    }

    /// Worked example 2: reboot 3h16m..3h20m, reimage 3h25m..3h35m, onset 3h00m30s.
    #[test]
    fn event_expectations_say_where_the_event_really_was() {
        let c = cases(
            "example-2-reimage.toml",
            r#"
[[expect]]
event = "NodeReimageStart"
node = "pool-0"
at = "3h25m"

[[expect]]
event = "NodeRebootStart"
node = "pool-0"
at = "3h15m"

[[expect]]
event = "NodeReimageStart"
node = "pool-0"
within = ["24m", "25m"]

[[expect]]
event = "NodeReimageStart"
node = "pool-0"
within = ["20m", "24m"]

[[expect]]
event = "NodeRebootEnd"
node = "pool-0"
within = ["20m", "30m"]

[[expect]]
event = "NodeRedeployStart"
node = "pool-0"
at = "3h40m"

[[expect]]
event = "NodeRebootStart"
node = "pool-1"
at = "3h16m"
"#,
        );
        let got: Vec<&str> = c.iter().map(message).collect();
        assert_eq!(
            got,
            [
                "",
                "NodeRebootStart on pool-0: expected at 3h15m, found at 3h16m (+1m)",
                "",
                "NodeReimageStart on pool-0: expected 20m..24m after its incident's onset; \
                 found at 3h25m = 24m30s after the onset 3h00m30s, 30s late",
                "NodeRebootEnd on pool-0: expected 20m..30m after its incident's onset; \
                 found at 3h20m = 19m30s after the onset 3h00m30s, 30s early",
                "no NodeRedeployStart on pool-0; the node's events: NodeRebootStart 3h16m, \
                 NodeRebootEnd 3h20m, NodeReimageStart 3h25m, NodeReimageEnd 3h35m",
                "no NodeRebootStart on pool-1; the node has no auto-repair events",
            ]
        );
        assert!(c.iter().all(|c| c.kind == "event"));
        assert_eq!(c[0].status, super::super::Status::Passed);
        assert_eq!(c[1].status, super::super::Status::Failed);
    }

    /// Two incidents on pool-0, each rebooted 15m25s after its onset: a
    /// window is measured from the onset of the event's own incident.
    #[test]
    fn a_window_counts_from_the_onset_of_the_events_own_incident() {
        let text = r#"
name = "two-incidents"
horizon = "6h"
[[pools]]
name = "pool"
os = "linux"
count = 3
[[faults]]
name = "hang"
signal = "not-ready"
fixed_by = "reboot"
[[inject]]
at = "1h00m35s"
node = "pool-0"
fault = "hang"
[[inject]]
at = "3h00m35s"
node = "pool-0"
fault = "hang"
"#;
        let c = cases_of(
            text,
            r#"
[[expect]]
event = "NodeRebootStart"
node = "pool-0"
within = ["15m25s", "15m25s"]

[[expect]]
event = "NodeRebootStart"
node = "pool-0"
within = ["2h15m", "2h16m"]
"#,
        );
        assert_eq!(message(&c[0]), "");
        assert_eq!(
            message(&c[1]),
            "NodeRebootStart on pool-0: expected 2h15m..2h16m after its incident's onset; \
             found at 1h16m = 15m25s after the onset 1h00m35s, 1h59m35s early",
            "3h16m is 2h15m25s after the first onset, but it belongs to the second incident"
        );
    }

    /// Worked example 3 reboots pool-0 twice (3h16m, 4h00m): the nearest
    /// one is reported, and every one is listed.
    #[test]
    fn a_missed_instant_reports_the_nearest_of_several_events() {
        let c = cases(
            "example-3-timeout.toml",
            "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"pool-0\"\nat = \"3h59m\"\n",
        );
        let f = c[0].failure.as_ref().unwrap();
        assert_eq!(
            f.message,
            "NodeRebootStart on pool-0: expected at 3h59m, found at 4h (+1m) \
             (2 NodeRebootStart events on the node)"
        );
        assert_eq!(
            f.details,
            ["3h16m pool-0 NodeRebootStart", "4h pool-0 NodeRebootStart"]
        );
    }

    #[test]
    fn absent_events_are_checked_in_their_scope() {
        let c = cases(
            "example-2-reimage.toml",
            r#"
[[expect]]
no_event = "NodeReimageStart"

[[expect]]
no_event = "NodeReimageStart"
node = "pool-1"

[[expect]]
no_event = "NodeReimageStart"
os = "windows"

[[expect]]
no_event = "NodeReimageStart"
pool = "pool"
"#,
        );
        let got: Vec<&str> = c.iter().map(message).collect();
        let found = "1 NodeReimageStart event(s); the first at 3h25m on pool-0 (Linux node)";
        assert_eq!(got, [found, "", "", found]);
        assert_eq!(
            c[0].failure.as_ref().unwrap().details,
            ["3h25m pool-0 NodeReimageStart"]
        );
    }

    #[test]
    fn incident_expectations_list_every_field_that_differs() {
        let c = cases(
            "example-2-reimage.toml",
            r#"
[[expect]]
node = "pool-0"
outcome = "repaired-by-reimage"
outcome_at = "3h35m"
detected_by = "no-status"
time_to_detect = "10m30s"
time_to_recover = "34m30s"

[[expect]]
node = "pool-0"
outcome = "repaired-by-reboot"
outcome_at = "3h34m"
detected_by = "not-ready"
time_to_recover = "34m"

[[expect]]
node = "pool-0"
time_to_detect = "never"
time_to_recover = "never"

[[expect]]
node = "pool-0"
onset = "3h00m31s"
outcome = "repaired-by-reimage"

[[expect]]
node = "pool-1"
outcome = "self-healed"
"#,
        );
        let got: Vec<&str> = c.iter().map(message).collect();
        assert_eq!(
            got,
            [
                "",
                "incident on pool-0 (onset 3h00m30s): outcome repaired-by-reimage, expected \
                 repaired-by-reboot (decided at 3h35m); outcome repaired-by-reimage decided at \
                 3h35m, expected at 3h34m (+1m); detected by no-status, expected not-ready; \
                 time to recover 34m30s, expected 34m (+30s)",
                "incident on pool-0 (onset 3h00m30s): time to detect 10m30s, expected never; \
                 time to recover 34m30s, expected never",
                "no incident on pool-0 with onset 3h00m31s; its incidents start at 3h00m30s",
                "no incident on pool-1; the node has no incident",
            ]
        );
    }

    #[test]
    fn metric_bounds_say_the_value_and_by_how_much_they_broke() {
        let c = cases(
            "example-2-reimage.toml",
            r#"
[[expect]]
metric = "time_to_recover_p99_ms"
at_most = "34m30s"

[[expect]]
metric = "time_to_recover_p99_ms"
at_most = "30m"

[[expect]]
metric = "time_to_recover_mean_ms"
at_least = "35m"

[[expect]]
metric = "actions_reboot"
equals = 2

[[expect]]
metric = "availability"
at_least = 0.9
"#,
        );
        let got: Vec<&str> = c.iter().map(message).collect();
        assert_eq!(
            got,
            [
                "",
                "time_to_recover_p99_ms = 34m30s in this run; expected at most 30m, over by 4m30s",
                "time_to_recover_mean_ms = 34m30s in this run; expected at least 35m, under by 30s",
                "actions_reboot = 1 in this run; expected exactly 2",
                "",
            ]
        );
        // Worked example 3 never recovers: its time to recover is undefined.
        let c = cases(
            "example-3-timeout.toml",
            "[[expect]]\nmetric = \"time_to_recover_mean_ms\"\nat_most = \"1h\"\n",
        );
        assert!(
            message(&c[0]).starts_with("time_to_recover_mean_ms is undefined in this run"),
            "{}",
            message(&c[0])
        );
    }

    #[test]
    fn bounds_over_replications_apply_to_the_chosen_statistic() {
        let text = "name = \"t\"\nhorizon = \"1h\"\n[[pools]]\nname = \"p\"\nos = \"linux\"\ncount = 3\n\
                    [[expect]]\nmetric = \"time_to_recover_mean_ms\"\nreplications = 30\n\
                    statistic = \"ci-upper\"\nat_most = \"20m\"\n";
        let (_, xs) = load_str("t.toml", text).unwrap();
        let x = &xs[0];
        let est = |hi: f64| Estimate {
            n: 30,
            mean: Some(1_140_000.0),
            sd: Some(60_000.0),
            ci_low: Some(1_100_000.0),
            ci_high: Some(hi),
            half_width: Some(hi - 1_140_000.0),
        };
        assert!(!check_replicated(x, &est(1_200_000.0)).failed());
        let c = check_replicated(x, &est(1_230_000.0));
        assert_eq!(
            message(&c),
            "upper bound of the 95% CI of time_to_recover_mean_ms = 20m30s over 30 \
             replications (mean 19m, 95% CI 18m20s..20m30s); expected at most 20m, over by 30s"
        );
        assert_eq!(c.line, Some(7));
    }

    #[test]
    fn a_broken_invariant_names_the_node_the_rule_and_the_time() {
        assert!(!check_invariants(&[], &[]).failed());
        let v = |ms| Violation {
            at: SimTime(ms),
            node: "pool-0".into(),
            rule: "one outcome per incident",
            detail: "a second outcome".into(),
        };
        let c = check_invariants(&[v(4_560_000)], &[("replication 7".into(), v(4_800_000))]);
        assert_eq!(c.kind, "invariants");
        assert_eq!(
            message(&c),
            "invariant one outcome per incident broken on pool-0 at 1h16m: a second outcome \
             (and 1 more)"
        );
        assert_eq!(
            c.failure.unwrap().details,
            [
                "invariant one outcome per incident broken on pool-0 at 1h16m: a second outcome",
                "invariant one outcome per incident broken on pool-0 at 1h20m in replication 7: \
                 a second outcome",
            ]
        );
        let c = check_invariants(
            &[],
            &[(
                "replication 3 with policy.repair_delay=2m".into(),
                v(60_000),
            )],
        );
        assert_eq!(
            message(&c),
            "invariant one outcome per incident broken on pool-0 at 1m in replication 3 with \
             policy.repair_delay=2m: a second outcome"
        );
    }
}
