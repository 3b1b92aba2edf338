//! Validation of a scenario's `[[expect]]` tables into [`Expectation`]s.
//!
//! The scenario loader reads the tables with serde and hands them here
//! through [`crate::scenario::load_file_then`], with the [`Ctx`] that
//! turns their spans into file, line and column: the input model never
//! depends on what `check` asserts.
//!
//! A table's kind follows from its keys (`event`, `no_event`, `metric`, or
//! else an incident key); a key that does not belong to that kind is an
//! error at the key, with the kind's valid keys.

use super::expect::{
    Bounds, Expect, Expectation, IncidentExpect, MetricExpect, Reason, Scope, Statistic, When,
    show_value,
};
use crate::fleet::{Fleet, Os};
use crate::mc::metrics::{Unit, metric_defs};
use crate::policy::{DetectRule, Outcome};
use crate::scenario::Patch;
use crate::scenario::load::{Ctx, OS_CHOICES, Res, index_path, key_path, lookup_node, lookup_pool};
use crate::scenario::raw::{RawExpect, SStr};
use crate::scenario::{Scenario, ScenarioError};
use crate::time::{SimDuration, SimTime, format_duration};
use std::ops::Range;
use toml::Spanned;

/// The most replications a metric expectation may ask for.
pub const MAX_REPLICATIONS: i64 = 1_000_000;

const EVENT_KEYS: &[&str] = &["event", "node", "at", "within", "name"];
const NO_EVENT_KEYS: &[&str] = &["no_event", "node", "pool", "os", "name"];
const INCIDENT_KEYS: &[&str] = &[
    "node",
    "onset",
    "outcome",
    "outcome_at",
    "detected_by",
    "time_to_detect",
    "time_to_recover",
    "name",
];
const METRIC_KEYS: &[&str] = &[
    "metric",
    "replications",
    "statistic",
    "set",
    "at_least",
    "at_most",
    "equals",
    "name",
];

/// Every key a table has, with its span, in the struct's order.
fn present(r: &RawExpect) -> Vec<(&'static str, Range<usize>)> {
    fn s<T>(v: &Option<Spanned<T>>) -> Option<Range<usize>> {
        v.as_ref().map(|x| x.span())
    }
    [
        ("name", s(&r.name)),
        ("event", s(&r.event)),
        ("no_event", s(&r.no_event)),
        ("metric", s(&r.metric)),
        ("node", s(&r.node)),
        ("pool", s(&r.pool)),
        ("os", s(&r.os)),
        ("at", s(&r.at)),
        ("within", s(&r.within)),
        ("onset", s(&r.onset)),
        ("outcome", s(&r.outcome)),
        ("outcome_at", s(&r.outcome_at)),
        ("detected_by", s(&r.detected_by)),
        ("time_to_detect", s(&r.time_to_detect)),
        ("time_to_recover", s(&r.time_to_recover)),
        ("replications", s(&r.replications)),
        ("statistic", s(&r.statistic)),
        ("set", s(&r.set)),
        ("at_least", s(&r.at_least)),
        ("at_most", s(&r.at_most)),
        ("equals", s(&r.equals)),
    ]
    .into_iter()
    .filter_map(|(k, sp)| sp.map(|sp| (k, sp)))
    .collect()
}

/// The `[[expect]]` tables of a valid scenario, in file order: the `then`
/// of [`crate::scenario::load_file_then`].
pub fn expectations(
    cx: &Ctx,
    sc: &Scenario,
    raw: &[Spanned<RawExpect>],
) -> Result<Vec<Expectation>, ScenarioError> {
    raw.iter()
        .enumerate()
        .map(|(i, r)| build(cx, &sc.fleet, sc.horizon, &index_path("expect", i), r))
        .collect()
}

fn build(
    cx: &Ctx,
    fleet: &Fleet,
    horizon: SimDuration,
    base: &str,
    sr: &Spanned<RawExpect>,
) -> Res<Expectation> {
    let r = sr.get_ref();
    let keys = present(r);
    let kinds: Vec<&(&str, Range<usize>)> = keys
        .iter()
        .filter(|(k, _)| matches!(*k, "event" | "no_event" | "metric"))
        .collect();
    if let Some((k, sp)) = kinds.get(1) {
        return Err(cx.err(
            Some(sp.clone()),
            key_path(base, k),
            format!(
                "an [[expect]] table asserts one thing: it has `{}` already, so `{k}` belongs \
                 in a table of its own",
                kinds[0].0
            ),
        ));
    }
    let (what, valid) = match kinds.first().map(|(k, _)| *k) {
        Some("event") => ("an event", EVENT_KEYS),
        Some("no_event") => ("a no_event", NO_EVENT_KEYS),
        Some("metric") => ("a metric", METRIC_KEYS),
        _ => ("an incident", INCIDENT_KEYS),
    };
    if let Some((k, sp)) = keys.iter().find(|(k, _)| !valid.contains(k)) {
        return Err(cx.err(
            Some(sp.clone()),
            key_path(base, k),
            format!(
                "`{k}` does not apply to {what} expectation; its keys are: {}",
                valid.join(", ")
            ),
        ));
    }
    let table = sr.span();
    let kind = if let Some(ev) = &r.event {
        event(cx, fleet, horizon, base, r, ev, table.clone())?
    } else if let Some(ev) = &r.no_event {
        no_event(cx, fleet, base, r, ev)?
    } else if let Some(m) = &r.metric {
        metric(cx, base, r, m, table.clone())?
    } else {
        incident(cx, fleet, horizon, base, r, table.clone())?
    };
    let name = match &r.name {
        Some(n) if n.get_ref().trim().is_empty() => {
            return Err(cx.at(
                n,
                key_path(base, "name"),
                "an empty name; write what the expectation asserts, or leave `name` out",
            ));
        }
        Some(n) => n.get_ref().clone(),
        None => describe(fleet, &kind),
    };
    Ok(Expectation {
        name,
        line: cx.line(table.start),
        kind,
    })
}

fn reason(cx: &Ctx, v: &SStr, field: &str) -> Res<Reason> {
    Reason::parse(v.get_ref()).ok_or_else(|| {
        let valid: Vec<String> = Reason::all().into_iter().map(Reason::name).collect();
        cx.at(
            v,
            field,
            format!(
                "unknown event reason {:?}; valid reasons: {}",
                v.get_ref(),
                valid.join(", ")
            ),
        )
    })
}

/// An instant of simulated time, at most the horizon.
fn instant(cx: &Ctx, v: &SStr, field: &str, horizon: SimDuration) -> Res<SimTime> {
    let d = cx.duration(v, field, true)?;
    if d > horizon {
        return Err(cx.at(
            v,
            field,
            format!(
                "{} is after the horizon {}: nothing happens there; write a time of the run \
                 (simulated time since the start, e.g. \"1h16m\")",
                v.get_ref(),
                format_duration(horizon)
            ),
        ));
    }
    Ok(SimTime::ZERO + d)
}

fn event(
    cx: &Ctx,
    fleet: &Fleet,
    horizon: SimDuration,
    base: &str,
    r: &RawExpect,
    ev: &SStr,
    table: Range<usize>,
) -> Res<Expect> {
    let reason = reason(cx, ev, &key_path(base, "event"))?;
    let node = cx.require(&r.node, Some(table.clone()), base, "node")?;
    let node = lookup_node(cx, fleet, node, &key_path(base, "node"))?;
    let when = match (&r.at, &r.within) {
        (Some(at), None) => When::At(instant(cx, at, &key_path(base, "at"), horizon)?),
        (None, Some(w)) => {
            let field = key_path(base, "within");
            let [from, to] = w.get_ref().as_slice() else {
                return Err(cx.at(
                    w,
                    field,
                    format!(
                        "expected a window of two durations after the incident's onset, such \
                         as [\"15m\", \"20m\"], found {} items",
                        w.get_ref().len()
                    ),
                ));
            };
            let (f0, f1) = (index_path(&field, 0), index_path(&field, 1));
            let from_d = cx.duration(from, &f0, true)?;
            let to_d = cx.duration(to, &f1, true)?;
            if to_d < from_d {
                return Err(cx.at(
                    to,
                    f1,
                    format!(
                        "the window ends before it starts ({} > {}); write [earliest, latest]",
                        from.get_ref(),
                        to.get_ref()
                    ),
                ));
            }
            When::Within {
                from: from_d,
                to: to_d,
            }
        }
        (Some(_), Some(w)) => {
            return Err(cx.at(
                w,
                key_path(base, "within"),
                "give exactly one of `at` (an instant) or `within` (a window after the \
                 incident's onset), not both",
            ));
        }
        (None, None) => {
            return Err(cx.err(
                Some(table),
                base,
                "missing time: give `at = \"1h16m\"` (simulated time) or `within = [\"15m\", \
                 \"20m\"]` (after the onset of the incident the event belongs to)",
            ));
        }
    };
    Ok(Expect::Event { reason, node, when })
}

fn no_event(cx: &Ctx, fleet: &Fleet, base: &str, r: &RawExpect, ev: &SStr) -> Res<Expect> {
    let reason = reason(cx, ev, &key_path(base, "no_event"))?;
    let scopes = [("node", &r.node), ("pool", &r.pool), ("os", &r.os)];
    let given: Vec<_> = scopes
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (*k, v)))
        .collect();
    if let Some((k, v)) = given.get(1) {
        return Err(cx.at(
            v,
            key_path(base, k),
            format!(
                "give at most one of `node`, `pool` or `os`; this table has `{}` already",
                given[0].0
            ),
        ));
    }
    let scope = match given.first() {
        None => Scope::Fleet,
        Some(("node", v)) => Scope::Node(lookup_node(cx, fleet, v, &key_path(base, "node"))?),
        Some(("pool", v)) => Scope::Pool(lookup_pool(cx, fleet, v, &key_path(base, "pool"))?),
        Some((_, v)) => Scope::Os(cx.choice(v, &key_path(base, "os"), "OS", OS_CHOICES)?),
    };
    Ok(Expect::NoEvent { reason, scope })
}

/// A duration, or `"never"`.
fn timing(cx: &Ctx, v: &Option<SStr>, field: &str) -> Res<Option<Option<SimDuration>>> {
    let Some(v) = v else { return Ok(None) };
    if v.get_ref() == "never" {
        return Ok(Some(None));
    }
    if crate::time::parse_duration(v.get_ref()).is_err() {
        return Err(cx.at(
            v,
            field,
            format!(
                "expected a duration such as \"10m25s\", or \"never\", found {:?}",
                v.get_ref()
            ),
        ));
    }
    Ok(Some(Some(cx.duration(v, field, true)?)))
}

fn incident(
    cx: &Ctx,
    fleet: &Fleet,
    horizon: SimDuration,
    base: &str,
    r: &RawExpect,
    table: Range<usize>,
) -> Res<Expect> {
    if r.outcome.is_none()
        && r.outcome_at.is_none()
        && r.detected_by.is_none()
        && r.time_to_detect.is_none()
        && r.time_to_recover.is_none()
    {
        return Err(cx.err(
            Some(table),
            base,
            "an [[expect]] table needs `event`, `no_event` or `metric`, or says what an \
             incident does: `outcome`, `outcome_at`, `detected_by`, `time_to_detect` or \
             `time_to_recover` (with `node`)",
        ));
    }
    let node = cx.require(&r.node, Some(table), base, "node")?;
    let node = lookup_node(cx, fleet, node, &key_path(base, "node"))?;
    let onset = match &r.onset {
        Some(v) => Some(instant(cx, v, &key_path(base, "onset"), horizon)?),
        None => None,
    };
    let outcome = match &r.outcome {
        None => None,
        Some(v) => {
            let all = Outcome::all();
            Some(
                all.iter()
                    .copied()
                    .find(|o| o.name() == *v.get_ref())
                    .ok_or_else(|| {
                        let names: Vec<String> = all.iter().map(|o| o.name()).collect();
                        cx.at(
                            v,
                            key_path(base, "outcome"),
                            format!(
                                "unknown outcome {:?}; valid outcomes: {}",
                                v.get_ref(),
                                names.join(", ")
                            ),
                        )
                    })?,
            )
        }
    };
    let detected_by = match &r.detected_by {
        None => None,
        Some(v) => Some(cx.choice(
            v,
            &key_path(base, "detected_by"),
            "detection rule",
            &[
                ("not-ready", DetectRule::NotReady),
                ("no-status", DetectRule::NoStatus),
            ],
        )?),
    };
    let outcome_at = match &r.outcome_at {
        Some(v) => Some(instant(cx, v, &key_path(base, "outcome_at"), horizon)?),
        None => None,
    };
    Ok(Expect::Incident(IncidentExpect {
        node,
        onset,
        outcome,
        outcome_at,
        detected_by,
        time_to_detect: timing(cx, &r.time_to_detect, &key_path(base, "time_to_detect"))?,
        time_to_recover: timing(cx, &r.time_to_recover, &key_path(base, "time_to_recover"))?,
    }))
}

/// A bound in the metric's unit: a duration string for `ms` metrics, a
/// finite number otherwise.
fn bound(cx: &Ctx, v: &Spanned<toml::Value>, field: &str, unit: Unit) -> Res<f64> {
    match (unit, v.get_ref()) {
        (Unit::Ms, toml::Value::String(s)) => {
            Ok(cx.duration_text(s, v.span(), field, true)?.ms() as f64)
        }
        (Unit::Ms, other) => Err(cx.at(
            v,
            field,
            format!(
                "this metric is a duration: write the bound as one, such as \"45m\", not {other}"
            ),
        )),
        (_, toml::Value::Integer(n)) => Ok(*n as f64),
        (_, toml::Value::Float(x)) if x.is_finite() => Ok(*x),
        (u, other) => Err(cx.at(
            v,
            field,
            format!(
                "expected a number (this metric is in {}), such as 0 or 2.5, found {other}",
                u.name()
            ),
        )),
    }
}

fn metric(cx: &Ctx, base: &str, r: &RawExpect, m: &SStr, table: Range<usize>) -> Res<Expect> {
    let defs = metric_defs();
    let metric = defs
        .iter()
        .position(|d| d.name == *m.get_ref())
        .ok_or_else(|| {
            let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
            cx.at(
                m,
                key_path(base, "metric"),
                format!(
                    "unknown metric {:?}; metrics (the columns of replications.csv): {}",
                    m.get_ref(),
                    names.join(", ")
                ),
            )
        })?;
    let unit = defs[metric].unit;
    let replications = match &r.replications {
        Some(v) => Some(cx.int(v, &key_path(base, "replications"), 2, MAX_REPLICATIONS)? as u64),
        None => None,
    };
    let statistic = match (&r.statistic, replications) {
        (None, None) => Statistic::Run,
        (None, Some(_)) => Statistic::Mean,
        (Some(s), Some(_)) => cx.choice(
            s,
            &key_path(base, "statistic"),
            "statistic",
            &Statistic::CHOICES,
        )?,
        (Some(s), None) => {
            return Err(cx.at(
                s,
                key_path(base, "statistic"),
                "a statistic is taken over replications: add `replications = 100` (or leave \
                 `statistic` out to bound the scenario's own run)",
            ));
        }
    };
    let get = |v: &Option<Spanned<toml::Value>>, k: &str| -> Res<Option<f64>> {
        v.as_ref()
            .map(|v| bound(cx, v, &key_path(base, k), unit))
            .transpose()
    };
    let bounds = Bounds {
        at_least: get(&r.at_least, "at_least")?,
        at_most: get(&r.at_most, "at_most")?,
        equals: get(&r.equals, "equals")?,
    };
    if let (Some(_), Some(v)) = (bounds.equals, r.at_least.as_ref().or(r.at_most.as_ref())) {
        return Err(cx.at(
            v,
            key_path(
                base,
                if r.at_least.is_some() {
                    "at_least"
                } else {
                    "at_most"
                },
            ),
            "`equals` already pins the value: leave out `at_least` and `at_most`",
        ));
    }
    if let (Some(lo), Some(hi), Some(v)) = (bounds.at_least, bounds.at_most, r.at_most.as_ref())
        && lo > hi
    {
        return Err(cx.at(
            v,
            key_path(base, "at_most"),
            format!(
                "at_most ({}) is below at_least ({}): no value can hold both",
                show_value(unit, hi),
                show_value(unit, lo)
            ),
        ));
    }
    if bounds
        == (Bounds {
            at_least: None,
            at_most: None,
            equals: None,
        })
    {
        return Err(cx.err(
            Some(table),
            base,
            "a metric expectation needs a bound: `at_most`, `at_least` or `equals`",
        ));
    }
    let mut set = Vec::new();
    if let Some(list) = &r.set {
        let field = key_path(base, "set");
        if list.get_ref().is_empty() {
            return Err(cx.at(
                list,
                field,
                "an empty list; give overrides such as [\"policy.repair_delay=2m\"], or leave \
                 `set` out",
            ));
        }
        let mut patches = Vec::new();
        for (i, v) in list.get_ref().iter().enumerate() {
            match Patch::parse_set(v.get_ref()) {
                Ok(p) => patches.push(p),
                Err(e) => return Err(cx.at(v, index_path(&field, i), e.message)),
            }
            set.push(v.get_ref().clone());
        }
        // The variant `check` will run, loaded now: every command refuses
        // what `check` would, at the override to blame.
        if cx.variant(&patches).is_err() {
            for (k, v) in list.get_ref().iter().enumerate() {
                if let Err(e) = cx.variant(&patches[..=k]) {
                    return Err(cx.at(v, index_path(&field, k), override_message(v.get_ref(), e)));
                }
            }
        }
    }
    Ok(Expect::Metric(MetricExpect {
        metric,
        replications,
        statistic,
        bounds,
        set,
    }))
}

/// What is wrong with the override `set` (an item of an `[[expect]]`
/// table's `set`) that made the variant fail with `e`.
fn override_message(set: &str, e: ScenarioError) -> String {
    let arg = format!("--set {set}");
    if e.file == arg {
        return if e.field.is_empty() {
            e.message
        } else {
            format!("{}: {}", e.field, e.message)
        };
    }
    // An error elsewhere in the file that the override brings about.
    let in_file = ScenarioError {
        file: e
            .file
            .strip_prefix(&format!("{arg}: "))
            .unwrap_or(&e.file)
            .to_string(),
        ..e
    };
    format!("with this override, {in_file}")
}

/// The test case name of an expectation without `name`.
fn describe(fleet: &Fleet, kind: &Expect) -> String {
    let node = |n: u32| fleet.nodes[n as usize].name.clone();
    match kind {
        Expect::Event {
            reason,
            node: n,
            when,
        } => match when {
            When::At(t) => format!("{} on {} at {t}", reason.name(), node(*n)),
            When::Within { from, to } => format!(
                "{} on {} within {}..{} of onset",
                reason.name(),
                node(*n),
                format_duration(*from),
                format_duration(*to)
            ),
        },
        Expect::NoEvent { reason, scope } => {
            let r = reason.name();
            match scope {
                Scope::Fleet => format!("no {r}"),
                Scope::Node(n) => format!("no {r} on {}", node(*n)),
                Scope::Pool(p) => format!("no {r} in pool {}", fleet.pools[*p].name),
                Scope::Os(Os::Linux) => format!("no {r} on Linux nodes"),
                Scope::Os(Os::Windows) => format!("no {r} on Windows nodes"),
            }
        }
        Expect::Incident(i) => {
            let mut s = format!("incident on {}", node(i.node));
            if let Some(t) = i.onset {
                s.push_str(&format!(" at {t}"));
            }
            let mut parts = Vec::new();
            if let Some(o) = i.outcome {
                parts.push(o.name());
            }
            if let Some(t) = i.outcome_at {
                parts.push(format!("decided at {t}"));
            }
            if let Some(r) = i.detected_by {
                parts.push(format!("detected by {}", r.name()));
            }
            let t = |v: Option<SimDuration>| v.map_or("never".to_string(), format_duration);
            if let Some(d) = i.time_to_detect {
                parts.push(format!("time to detect {}", t(d)));
            }
            if let Some(d) = i.time_to_recover {
                parts.push(format!("time to recover {}", t(d)));
            }
            format!("{s}: {}", parts.join(", "))
        }
        Expect::Metric(m) => {
            let def = &metric_defs()[m.metric];
            let mut s = def.name.clone();
            if let Some(n) = m.replications {
                s = format!("{} of {s} over {n} replications", m.statistic.describe());
            }
            if !m.set.is_empty() {
                s = format!("{s} with {}", m.set.join(", "));
            }
            let v = |x: f64| show_value(def.unit, x);
            let b = &m.bounds;
            if let Some(e) = b.equals {
                s.push_str(&format!(" = {}", v(e)));
            }
            if let Some(lo) = b.at_least {
                s.push_str(&format!(" >= {}", v(lo)));
            }
            if let Some(hi) = b.at_most {
                s.push_str(&format!(" <= {}", v(hi)));
            }
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Preset;
    use crate::scenario::load::tests::{BASE, pos};
    use crate::scenario::{load_file_then, load_str_then};
    use std::path::Path;

    fn load(text: &str) -> Result<(Scenario, Vec<Expectation>), ScenarioError> {
        load_str_then("t.toml", text, &[], expectations)
    }

    /// Asserts the error's file, position (the `nth` `needle`), field and a
    /// phrase of its message.
    fn check(text: &str, needle: &str, nth: usize, field: &str, phrase: &str) {
        let Err(e) = load(text) else {
            panic!("expected an error for:\n{text}")
        };
        assert_eq!(e.file, "t.toml", "{e}");
        assert_eq!((e.line, e.column), pos(text, needle, nth), "{e}");
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(phrase), "{e}\nwanted: {phrase}");
    }

    // [[expect]] tables.

    /// BASE with `tables` appended.
    fn expecting(tables: &str) -> String {
        format!("{BASE}\n{tables}")
    }

    #[test]
    fn expectations_of_every_kind_load_in_file_order() {
        let text = expecting(
            r#"[[expect]]
event = "NodeRebootStart"
node = "system-0"
at = "1h16m"

[[expect]]
name = "the reimage ends in its window"
event = "NodeReimageEnd"
node = "win-1"
within = ["15m", "20m"]

[[expect]]
no_event = "NodeRedeployStart"
os = "windows"

[[expect]]
node = "system-1"
onset = "3h00m30s"
outcome = "excluded:taint-shutdown"
outcome_at = "3h01m"
detected_by = "no-status"
time_to_detect = "10m30s"
time_to_recover = "never"

[[expect]]
metric = "time_to_recover_mean_ms"
replications = 50
statistic = "ci-upper"
at_least = "1m"
at_most = "25m"
set = ["policy.repair_delay=2m", "seed=3"]

[[expect]]
metric = "incidents_gave_up_timeout"
equals = 0
"#,
        );
        let (_, xs) = load(&text).unwrap();
        let names: Vec<&str> = xs.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "NodeRebootStart on system-0 at 1h16m",
                "the reimage ends in its window",
                "no NodeRedeployStart on Windows nodes",
                "incident on system-1 at 3h00m30s: excluded:taint-shutdown, decided at 3h01m, \
                 detected by no-status, time to detect 10m30s, time to recover never",
                "upper bound of the 95% CI of time_to_recover_mean_ms over 50 replications \
                 with policy.repair_delay=2m, seed=3 >= 1m <= 25m",
                "incidents_gave_up_timeout = 0",
            ]
        );
        let lines: Vec<Option<usize>> = xs.iter().map(|x| x.line).collect();
        let first = pos(&text, "[[expect]]", 0).0.unwrap();
        assert_eq!(lines[0], Some(first), "the table's header");
        assert_eq!(
            xs[0].kind,
            Expect::Event {
                reason: Reason::parse("NodeRebootStart").unwrap(),
                node: 0,
                when: When::At(SimTime(76 * 60_000)),
            }
        );
        assert!(matches!(
            xs[1].kind,
            Expect::Event { node: 4, when: When::Within { from, to }, .. }
                if from.ms() == 15 * 60_000 && to.ms() == 20 * 60_000
        ));
        assert!(matches!(
            xs[2].kind,
            Expect::NoEvent {
                scope: Scope::Os(Os::Windows),
                ..
            }
        ));
        let Expect::Incident(i) = &xs[3].kind else {
            panic!("an incident")
        };
        assert_eq!(i.time_to_recover, Some(None));
        assert_eq!(i.time_to_detect, Some(Some(SimDuration(630_000))));
        let Expect::Metric(m) = &xs[4].kind else {
            panic!("a metric")
        };
        assert_eq!(m.replications, Some(50));
        assert_eq!(m.statistic, Statistic::CiUpper);
        assert_eq!(m.set, ["policy.repair_delay=2m", "seed=3"]);
        assert_eq!(
            (m.bounds.at_least, m.bounds.at_most),
            (Some(60_000.0), Some(1_500_000.0))
        );
        let Expect::Metric(m) = &xs[5].kind else {
            panic!("a metric")
        };
        assert_eq!(m.statistic, Statistic::Run);
        assert_eq!(m.bounds.equals, Some(0.0));
    }

    /// Each malformed table: (tables, needle the error points at, field, phrase).
    #[test]
    fn malformed_expectations_name_the_key_and_what_is_valid() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "[[expect]]\nevent = \"NodeRebotStart\"\nnode = \"system-0\"\nat = \"1h\"\n",
                "\"NodeRebotStart\"",
                "expect[0].event",
                "unknown event reason \"NodeRebotStart\"; valid reasons: NodeRebootStart, \
                 NodeRebootEnd, NodeReimageStart",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"system-0\"\nat = \"1h\"\nwithin = [\"1m\", \"2m\"]\n",
                "[\"1m\"",
                "expect[0].within",
                "give exactly one of `at` (an instant) or `within`",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"system-0\"\n",
                "[[expect]]",
                "expect[0]",
                "missing time: give `at = \"1h16m\"`",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"system-0\"\nwithin = [\"15m\"]\n",
                "[\"15m\"]",
                "expect[0].within",
                "expected a window of two durations after the incident's onset, such as \
                 [\"15m\", \"20m\"], found 1 items",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"system-0\"\nwithin = [\"20m\", \"15m\"]\n",
                "\"15m\"]",
                "expect[0].within[1]",
                "the window ends before it starts",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"system-9\"\nat = \"1h\"\n",
                "\"system-9\"",
                "expect[0].node",
                "unknown node \"system-9\"; nodes are named <pool>-<index>",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"system-0\"\nat = \"3d\"\n",
                "\"3d\"",
                "expect[0].at",
                "3d is after the horizon 2d",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"system-0\"\nat = \"soon\"\n",
                "\"soon\"",
                "expect[0].at",
                "bad duration \"soon\"",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\nat = \"1h\"\nequals = 0\n",
                "\"1h\"",
                "expect[0].at",
                "`at` does not apply to a metric expectation; its keys are: metric, \
                 replications, statistic, set, at_least, at_most, equals, name",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nmetric = \"failed_repairs\"\n",
                "\"failed_repairs\"",
                "expect[0].metric",
                "an [[expect]] table asserts one thing: it has `event` already",
            ),
            (
                "[[expect]]\nnode = \"system-0\"\n",
                "[[expect]]",
                "expect[0]",
                "an [[expect]] table needs `event`, `no_event` or `metric`",
            ),
            (
                "[[expect]]\nwhen = \"1h\"\n",
                "when",
                "expect[0].when",
                "unknown key \"when\"; valid keys: name, event, no_event, metric, node",
            ),
            (
                "[[expect]]\nnode = \"system-0\"\noutcome_at = \"9d\"\n",
                "\"9d\"",
                "expect[0].outcome_at",
                "9d is after the horizon 2d",
            ),
            (
                "[[expect]]\nno_event = \"NodeRedeployStart\"\nnode = \"win-0\"\nos = \"windows\"\n",
                "\"windows\"",
                "expect[0].os",
                "give at most one of `node`, `pool` or `os`; this table has `node` already",
            ),
            (
                "[[expect]]\nno_event = \"NodeRedeployStart\"\nos = \"macos\"\n",
                "\"macos\"",
                "expect[0].os",
                "unknown OS \"macos\"; valid values: linux, windows",
            ),
            (
                "[[expect]]\nnode = \"system-0\"\noutcome = \"repaired\"\n",
                "\"repaired\"",
                "expect[0].outcome",
                "unknown outcome \"repaired\"; valid outcomes: self-healed, repaired-by-reboot",
            ),
            (
                "[[expect]]\nnode = \"system-0\"\ntime_to_recover = \"soon\"\n",
                "\"soon\"",
                "expect[0].time_to_recover",
                "expected a duration such as \"10m25s\", or \"never\", found \"soon\"",
            ),
            (
                "[[expect]]\nnode = \"system-0\"\ndetected_by = \"rule-a\"\n",
                "\"rule-a\"",
                "expect[0].detected_by",
                "unknown detection rule \"rule-a\"; valid values: not-ready, no-status",
            ),
            (
                "[[expect]]\nmetric = \"p99\"\nat_most = \"45m\"\n",
                "\"p99\"",
                "expect[0].metric",
                "unknown metric \"p99\"; metrics (the columns of replications.csv): \
                 time_to_recover_mean_ms, time_to_recover_p50_ms, time_to_recover_p99_ms",
            ),
            (
                "[[expect]]\nmetric = \"time_to_recover_p99_ms\"\nat_most = 2700000\n",
                "2700000",
                "expect[0].at_most",
                "this metric is a duration: write the bound as one, such as \"45m\", not 2700000",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\nat_most = \"1\"\n",
                "\"1\"",
                "expect[0].at_most",
                "expected a number (this metric is in count), such as 0 or 2.5, found \"1\"",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\nstatistic = \"ci-upper\"\nat_most = 1\n",
                "\"ci-upper\"",
                "expect[0].statistic",
                "a statistic is taken over replications: add `replications = 100`",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\nreplications = 50\nstatistic = \"p95\"\nat_most = 1\n",
                "\"p95\"",
                "expect[0].statistic",
                "unknown statistic \"p95\"; valid values: mean, ci-lower, ci-upper",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\nreplications = 1\nat_most = 1\n",
                "1\nat_most",
                "expect[0].replications",
                "expected an integer from 2 to 1000000, found 1",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\nequals = 0\nat_most = 1\n",
                "1\n",
                "expect[0].at_most",
                "`equals` already pins the value",
            ),
            (
                "[[expect]]\nmetric = \"time_to_detect_mean_ms\"\nat_least = \"11m\"\nat_most = \"10m\"\n",
                "\"10m\"",
                "expect[0].at_most",
                "at_most (10m) is below at_least (11m): no value can hold both",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\n",
                "[[expect]]",
                "expect[0]",
                "a metric expectation needs a bound: `at_most`, `at_least` or `equals`",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\nequals = 0\nset = [\"policy.repair_delay\"]\n",
                "\"policy.repair_delay\"",
                "expect[0].set[0]",
                "expected KEY=VALUE, e.g. policy.repair_delay=2m",
            ),
            (
                "[[expect]]\nmetric = \"failed_repairs\"\nequals = 0\nset = []\n",
                "[]",
                "expect[0].set",
                "an empty list; give overrides such as [\"policy.repair_delay=2m\"]",
            ),
            (
                "[[expect]]\nevent = \"NodeRebootStart\"\nnode = \"system-0\"\nat = \"1h\"\nset = [\"seed=1\"]\n",
                "[\"seed=1\"]",
                "expect[0].set",
                "`set` does not apply to an event expectation",
            ),
            (
                "[[expect]]\nname = \" \"\nmetric = \"failed_repairs\"\nequals = 0\n",
                "\" \"",
                "expect[0].name",
                "an empty name",
            ),
        ];
        for (tables, needle, field, phrase) in cases {
            let text = expecting(tables);
            let nth = text.matches(needle).count() - 1;
            check(&text, needle, nth, field, phrase);
        }
    }

    #[test]
    fn every_shipped_preset_has_a_scenario_with_exact_event_times() {
        for p in Preset::ALL {
            let file = format!("scenarios/preset-{}.toml", p.name());
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(&file);
            let (s, xs) =
                load_file_then(&path, &[], expectations).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(s.policy.preset, p, "{file}");
            assert!(s.policy_overrides.is_empty(), "{file}: the preset as it is");
            let exact = xs
                .iter()
                .filter(|x| {
                    matches!(
                        x.kind,
                        Expect::Event {
                            when: When::At(_),
                            ..
                        }
                    )
                })
                .count();
            let text = std::fs::read_to_string(&path).unwrap();
            match p.provider().reporting() {
                crate::policy::providers::Reporting::AksEvents => {
                    assert!(exact >= 8, "{file}: {exact} exact event times");
                    assert!(
                        text.contains("Expected timeline (derived from docs/POLICY.md alone)"),
                        "{file}: the derivation is in a comment"
                    );
                }
                // The incidents carry the instants.
                crate::policy::providers::Reporting::OpsLog { .. }
                | crate::policy::providers::Reporting::PeerEvents => {
                    let timed = xs
                        .iter()
                        .filter(
                            |x| matches!(&x.kind, Expect::Incident(i) if i.outcome_at.is_some()),
                        )
                        .count();
                    assert!(timed >= 1, "{file}: {timed} timed outcomes");
                    assert!(
                        text.contains("Expected timeline (derived from docs/PEERS.md alone)"),
                        "{file}: the derivation is in a comment"
                    );
                }
            }
        }
    }
}
