//! Golden files: a scenario's committed `events.csv`, `incidents.csv` and
//! `summary.json` (in `<scenario>.golden/` beside it, as `run` writes them),
//! compared with a new run.
//!
//! Events are matched by node, incident (the node's latest onset at or
//! before the event, from `incidents.csv`), reason and occurrence within
//! the incident. Fault onsets do not depend on the policy, so a rule that
//! moves shows as "moved from 1h16m to 1h17m (+1m)", and a repair that no
//! longer happens as gone, in the incident it belonged to. Incidents are
//! matched by node and onset and compared column by column (detection,
//! outcome and recovery times have no event of their own). The summary is
//! compared leaf by leaf, except the fields that name the build or the
//! input text (`provenance.tool`, `.version`, `.content_hash`, `.patches`)
//! and the human copies of `_ms` fields.

use super::Failure;
use super::eval::signed_delta;
use super::expect::show_value;
use crate::mc::metrics::Unit;
use crate::time::{SimDuration, SimTime, format_duration};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The files of a golden directory.
pub const EVENTS_FILE: &str = "events.csv";
pub const INCIDENTS_FILE: &str = "incidents.csv";
pub const SUMMARY_FILE: &str = "summary.json";
/// Every file, in the order cases are reported.
pub const FILES: [&str; 3] = [EVENTS_FILE, INCIDENTS_FILE, SUMMARY_FILE];

/// How many differences a failure lists for people (JSON has them all).
pub const SHOWN: usize = 10;

/// A golden directory's contents, or a run's, parsed the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct Golden {
    pub events: Vec<EventRow>,
    pub incidents: Vec<IncidentRow>,
    pub summary: Value,
}

impl Golden {
    /// Parses the three files' texts; the error names the file, the
    /// 1-based line (0 when unknown) and what is wrong.
    pub fn parse(
        events: &str,
        incidents: &str,
        summary: &str,
    ) -> Result<Golden, (&'static str, u64, String)> {
        let golden = Golden {
            events: parse_events(events).map_err(|(l, m)| (EVENTS_FILE, l, m))?,
            incidents: parse_incidents(incidents).map_err(|(l, m)| (INCIDENTS_FILE, l, m))?,
            summary: serde_json::from_str(summary).map_err(|e| {
                (
                    SUMMARY_FILE,
                    e.line() as u64,
                    format!("not valid JSON: {e}"),
                )
            })?,
        };
        // A file that is not a summary, or an incidents.csv cut at a line
        // boundary, is bad input: compared, it would pass for a regression.
        let Some(total) = golden.summary["incidents"]["total"].as_u64() else {
            return Err((
                SUMMARY_FILE,
                1,
                "not a run's summary: expected a JSON object with incidents.total, as `run` \
                 writes it"
                    .into(),
            ));
        };
        let rows = golden.incidents.len() as u64;
        if rows != total {
            return Err((
                INCIDENTS_FILE,
                incidents.lines().count() as u64,
                format!(
                    "{rows} incidents, but summary.json counts {total} (incidents.total): the \
                     file was cut short or belongs to another run"
                ),
            ));
        }
        Ok(golden)
    }

    /// The three comparisons, in [`FILES`] order: `None` where the same.
    pub fn compare(&self, actual: &Golden) -> [Option<Failure>; 3] {
        [
            compare_events(self, actual),
            compare_incidents(&self.incidents, &actual.incidents),
            compare_summary(&self.summary, &actual.summary),
        ]
    }
}

/// A CSV text's rows with their 1-based lines, as named columns.
struct Table {
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    fn read(text: &str, expected: &str) -> Result<Table, (u64, String)> {
        let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header: Vec<String> = rd
            .headers()
            .map_err(|e| (1, e.to_string()))?
            .iter()
            .map(str::to_string)
            .collect();
        for name in expected.split(',') {
            if !header.iter().any(|h| h == name) {
                return Err((
                    1,
                    format!("no column {name:?}; the file needs the columns {expected}"),
                ));
            }
        }
        let mut rows = Vec::new();
        for rec in rd.records() {
            let rec = rec.map_err(|e| (e.position().map_or(0, |p| p.line()), e.to_string()))?;
            let line = rec.position().map_or(0, |p| p.line());
            rows.push((line, rec.iter().map(str::to_string).collect()));
        }
        Ok(Table { header, rows })
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .expect("checked by read")
    }
}

fn ms_field(line: u64, column: &str, v: &str) -> Result<u64, (u64, String)> {
    v.parse::<u64>().map_err(|_| {
        (
            line,
            format!("{column} {v:?} is not a whole number of milliseconds"),
        )
    })
}

/// One row of `events.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    /// Simulated time \[ms\].
    pub sim_ms: u64,
    pub node: String,
    pub type_: String,
    pub reason: String,
    pub message: String,
}

const EVENT_COLUMNS: &str = "time,sim_ms,node,type,reason,message";

/// Reads `events.csv` text. The error is the 1-based line and what is wrong there.
pub fn parse_events(text: &str) -> Result<Vec<EventRow>, (u64, String)> {
    let t = Table::read(text, EVENT_COLUMNS)?;
    let (ms, node, ty, reason, msg) = (
        t.col("sim_ms"),
        t.col("node"),
        t.col("type"),
        t.col("reason"),
        t.col("message"),
    );
    t.rows
        .iter()
        .map(|(line, r)| {
            let get = |i: usize| r.get(i).cloned().unwrap_or_default();
            Ok(EventRow {
                sim_ms: ms_field(*line, "sim_ms", &get(ms))?,
                node: get(node),
                type_: get(ty),
                reason: get(reason),
                message: get(msg),
            })
        })
        .collect()
}

/// One row of `incidents.csv`: the key, then every other column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentRow {
    pub node: String,
    /// \[ms\]
    pub onset_ms: u64,
    /// `(column, value)` in file order, without `node`, `onset_ms` and the
    /// human copy `onset`.
    pub columns: Vec<(String, String)>,
}

const INCIDENT_KEY_COLUMNS: &str = "node,onset_ms";

/// Reads `incidents.csv` text. The error is the 1-based line and what is wrong there.
pub fn parse_incidents(text: &str) -> Result<Vec<IncidentRow>, (u64, String)> {
    let t = Table::read(text, INCIDENT_KEY_COLUMNS)?;
    let (node, onset) = (t.col("node"), t.col("onset_ms"));
    t.rows
        .iter()
        .map(|(line, r)| {
            let get = |i: usize| r.get(i).cloned().unwrap_or_default();
            let columns = t
                .header
                .iter()
                .enumerate()
                .filter(|(i, h)| *i != node && *i != onset && h.as_str() != "onset")
                .map(|(i, h)| (h.clone(), get(i)))
                .collect();
            Ok(IncidentRow {
                node: get(node),
                onset_ms: ms_field(*line, "onset_ms", &get(onset))?,
                columns,
            })
        })
        .collect()
}

/// How one event or incident differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// An event with the same node, incident, reason and occurrence at
    /// another time; an incident with other values.
    Moved,
    /// In the golden file only.
    Gone,
    /// In the new run only.
    New,
    /// An event at the same time with another type or message (an error
    /// code, a wording).
    Reworded,
}

impl Change {
    fn word(self) -> &'static str {
        match self {
            Change::Moved => "moved",
            Change::Gone => "gone",
            Change::New => "new",
            Change::Reworded => "reworded",
        }
    }
}

/// `"3 moved, 1 gone"`.
fn tally(changes: impl Iterator<Item = Change> + Clone) -> String {
    let mut parts = Vec::new();
    for c in [Change::Moved, Change::Gone, Change::New, Change::Reworded] {
        let n = changes.clone().filter(|x| *x == c).count();
        if n > 0 {
            parts.push(format!("{n} {}", c.word()));
        }
    }
    parts.join(", ")
}

/// `1 event`, `2 events`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `b - a` \[ms\], saturated to `i64`.
fn delta(a: u64, b: u64) -> i64 {
    let d = i128::from(b) - i128::from(a);
    i64::try_from(d).unwrap_or(if d > 0 { i64::MAX } else { i64::MIN })
}

/// One event difference, for people and for `--format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventDiff {
    pub change: Change,
    pub node: String,
    /// The onset of the incident the event belongs to \[ms\]; `None` for an
    /// event outside any incident.
    pub incident_onset_ms: Option<u64>,
    pub reason: String,
    /// 1-based: the occurrence of this reason in the incident.
    pub occurrence: usize,
    /// \[ms\]
    pub golden_ms: Option<u64>,
    /// \[ms\]
    pub actual_ms: Option<u64>,
    /// `actual_ms - golden_ms` \[ms\], for moved events.
    pub delta_ms: Option<i64>,
    /// `type: message` in the golden file and now, for reworded events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golden_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_text: Option<String>,
}

impl EventDiff {
    /// When the row is listed: the golden time (the new one for new events) \[ms\].
    fn at_ms(&self) -> u64 {
        self.golden_ms.or(self.actual_ms).unwrap_or(0)
    }

    fn nth(&self) -> String {
        if self.occurrence > 1 {
            format!(" #{}", self.occurrence)
        } else {
            String::new()
        }
    }

    fn what(&self) -> String {
        let t = |ms: Option<u64>| SimTime(ms.unwrap_or(0));
        let reads = || {
            format!(
                "reads {:?}, was {:?}",
                self.actual_text.as_deref().unwrap_or(""),
                self.golden_text.as_deref().unwrap_or("")
            )
        };
        match self.change {
            Change::Moved => {
                let mut s = format!(
                    "moved from {} to {} ({})",
                    t(self.golden_ms),
                    t(self.actual_ms),
                    signed_delta(self.golden_ms.unwrap_or(0), self.actual_ms.unwrap_or(0))
                );
                if self.actual_text.is_some() {
                    s.push_str(" and ");
                    s.push_str(&reads());
                }
                s
            }
            Change::Gone => format!("at {} is gone", t(self.golden_ms)),
            Change::New => format!("at {} is new", t(self.actual_ms)),
            Change::Reworded => format!("at {} {}", t(self.golden_ms), reads()),
        }
    }

    /// A sentence: `NodeRebootStart on pool-0 moved from 1h16m to 1h17m (+1m)`.
    pub fn describe(&self) -> String {
        format!(
            "{}{} on {} {}",
            self.reason,
            self.nth(),
            self.node,
            self.what()
        )
    }

    /// A table row: `     1h16m  pool-0  NodeRebootStart  moved from 1h16m to 1h17m (+1m)`.
    pub fn line(&self) -> String {
        format!(
            "{:>10}  {}  {}{}  {}",
            SimTime(self.at_ms()).to_string(),
            self.node,
            self.reason,
            self.nth(),
            self.what()
        )
    }
}

/// Each node's incident onsets, ascending \[ms\].
fn onsets(incidents: &[IncidentRow]) -> BTreeMap<&str, Vec<u64>> {
    let mut m: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for i in incidents {
        m.entry(&i.node).or_default().push(i.onset_ms);
    }
    for v in m.values_mut() {
        v.sort_unstable();
    }
    m
}

/// (node, incident onset, reason, occurrence in the incident).
type EventKey = (String, Option<u64>, String, usize);

fn keyed(g: &Golden) -> BTreeMap<EventKey, &EventRow> {
    let on = onsets(&g.incidents);
    let mut seen: BTreeMap<(&str, Option<u64>, &str), usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for r in &g.events {
        let onset = on.get(r.node.as_str()).and_then(|v| {
            let i = v.partition_point(|&o| o <= r.sim_ms);
            i.checked_sub(1).map(|i| v[i])
        });
        let n = seen.entry((&r.node, onset, &r.reason)).or_default();
        *n += 1;
        out.insert((r.node.clone(), onset, r.reason.clone(), *n), r);
    }
    out
}

/// Every event that differs, in time order (ties: node, reason). Empty
/// when the events are the same.
pub fn diff_events(golden: &Golden, actual: &Golden) -> Vec<EventDiff> {
    let (g, a) = (keyed(golden), keyed(actual));
    let text = |r: &EventRow| format!("{}: {}", r.type_, r.message);
    let mut out = Vec::new();
    for k in merged_keys(&g, &a) {
        let (gr, ar) = (g.get(k), a.get(k));
        let change = match (gr, ar) {
            (Some(x), Some(y)) if x.sim_ms != y.sim_ms => Change::Moved,
            (Some(x), Some(y)) if x != y => Change::Reworded,
            (Some(_), Some(_)) => continue,
            (Some(_), None) => Change::Gone,
            (None, _) => Change::New,
        };
        let (gm, am) = (gr.map(|r| r.sim_ms), ar.map(|r| r.sim_ms));
        // The texts are shown whenever they differ, a moved event's too.
        let reworded = matches!((gr, ar), (Some(x), Some(y)) if text(x) != text(y));
        out.push(EventDiff {
            change,
            node: k.0.clone(),
            incident_onset_ms: k.1,
            reason: k.2.clone(),
            occurrence: k.3,
            golden_ms: gm,
            actual_ms: am,
            delta_ms: match (gm, am) {
                (Some(x), Some(y)) if x != y => Some(delta(x, y)),
                _ => None,
            },
            golden_text: gr.filter(|_| reworded).map(|r| text(r)),
            actual_text: ar.filter(|_| reworded).map(|r| text(r)),
        });
    }
    out.sort_by(|x, y| {
        (x.at_ms(), &x.node, &x.reason, x.occurrence).cmp(&(
            y.at_ms(),
            &y.node,
            &y.reason,
            y.occurrence,
        ))
    });
    out
}

/// Up to [`SHOWN`] lines, and how many more there are.
fn shown<T>(items: &[T], line: impl Fn(&T) -> String) -> Vec<String> {
    let mut v: Vec<String> = items.iter().take(SHOWN).map(line).collect();
    if items.len() > SHOWN {
        v.push(format!("... and {} more", items.len() - SHOWN));
    }
    v
}

/// The golden event comparison: `None` when the events are the same.
pub fn compare_events(golden: &Golden, actual: &Golden) -> Option<Failure> {
    let diffs = diff_events(golden, actual);
    let first = diffs.first()?;
    let message = format!(
        "events differ from the golden file ({}; {}, {} now); first: {}",
        tally(diffs.iter().map(|d| d.change)),
        counted(golden.events.len(), "golden event"),
        actual.events.len(),
        first.describe()
    );
    let mut f = Failure::new(message, shown(&diffs, EventDiff::line));
    f.events = diffs;
    Some(f)
}

/// One incident column that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    pub column: String,
    pub golden: String,
    pub actual: String,
}

impl FieldDiff {
    /// `ttr_ms 19m25s -> 20m25s (+1m)`; empty values read `none`.
    fn show(&self) -> String {
        let ms = self.column.ends_with("_ms");
        let v = |s: &str| match (s, s.parse::<u64>()) {
            ("", _) => "none".to_string(),
            (_, Ok(x)) if ms => format_duration(SimDuration(x)),
            (s, _) => s.to_string(),
        };
        let d = match (self.golden.parse::<u64>(), self.actual.parse::<u64>()) {
            (Ok(x), Ok(y)) if ms => format!(" ({})", signed_delta(x, y)),
            _ => String::new(),
        };
        format!(
            "{} {} -> {}{d}",
            self.column,
            v(&self.golden),
            v(&self.actual)
        )
    }
}

/// One incident that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IncidentDiff {
    /// `moved` (other values), `gone` or `new`.
    pub change: Change,
    pub node: String,
    /// \[ms\]
    pub onset_ms: u64,
    /// The columns that differ, for a moved incident.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<FieldDiff>,
}

impl IncidentDiff {
    /// `pool-0 at 1h00m35s: outcome repaired-by-reboot -> self-healed; ...`.
    pub fn line(&self) -> String {
        let what = match self.change {
            Change::Gone => "gone (in the golden file only)".to_string(),
            Change::New => "new (not in the golden file)".to_string(),
            _ => {
                let v: Vec<String> = self.columns.iter().map(FieldDiff::show).collect();
                v.join("; ")
            }
        };
        format!(
            "incident on {} at {}: {what}",
            self.node,
            SimTime(self.onset_ms)
        )
    }
}

/// Every incident that differs, in onset order (ties: node).
pub fn diff_incidents(golden: &[IncidentRow], actual: &[IncidentRow]) -> Vec<IncidentDiff> {
    // (onset, node, occurrence) -> row; a well-formed file has occurrence 1 only.
    let key = |rows: &[IncidentRow]| -> BTreeMap<(u64, String, usize), usize> {
        let mut seen: BTreeMap<(u64, &str), usize> = BTreeMap::new();
        let mut m = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            let n = seen.entry((r.onset_ms, &r.node)).or_default();
            *n += 1;
            m.insert((r.onset_ms, r.node.clone(), *n), i);
        }
        m
    };
    let (g, a) = (key(golden), key(actual));
    let mut out = Vec::new();
    for k in merged_keys(&g, &a) {
        let (change, columns) = match (g.get(k), a.get(k)) {
            (Some(&x), Some(&y)) => {
                let columns = column_diffs(&golden[x].columns, &actual[y].columns);
                if columns.is_empty() {
                    continue;
                }
                (Change::Moved, columns)
            }
            (Some(_), None) => (Change::Gone, vec![]),
            (None, _) => (Change::New, vec![]),
        };
        out.push(IncidentDiff {
            change,
            node: k.1.clone(),
            onset_ms: k.0,
            columns,
        });
    }
    out
}

/// The columns whose values differ, in the golden file's column order
/// (then the new run's); a missing column reads as empty.
fn column_diffs(x: &[(String, String)], y: &[(String, String)]) -> Vec<FieldDiff> {
    let get = |v: &[(String, String)], c: &str| {
        v.iter()
            .find(|(n, _)| n == c)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    let mut names: Vec<&String> = Vec::new();
    for (c, _) in x.iter().chain(y) {
        if !names.contains(&c) {
            names.push(c);
        }
    }
    names
        .into_iter()
        .filter_map(|c| {
            let (p, q) = (get(x, c), get(y, c));
            (p != q).then(|| FieldDiff {
                column: c.clone(),
                golden: p,
                actual: q,
            })
        })
        .collect()
}

/// Every key of either map, ascending and once.
fn merged_keys<'a, K: Ord, V, W>(a: &'a BTreeMap<K, V>, b: &'a BTreeMap<K, W>) -> Vec<&'a K> {
    let mut keys: Vec<&K> = a.keys().chain(b.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The golden incident comparison: `None` when the incidents are the same.
pub fn compare_incidents(golden: &[IncidentRow], actual: &[IncidentRow]) -> Option<Failure> {
    let diffs = diff_incidents(golden, actual);
    let first = diffs.first()?;
    let message = format!(
        "incidents differ from the golden file ({}; {}, {} now); first: {}",
        tally(diffs.iter().map(|d| d.change)).replace("moved", "changed"),
        counted(golden.len(), "golden incident"),
        actual.len(),
        first.line()
    );
    let mut f = Failure::new(message, shown(&diffs, IncidentDiff::line));
    f.incidents = diffs;
    Some(f)
}

/// One summary value that differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueDiff {
    /// Dotted path into `summary.json`, e.g. `time_to_recover.p99_ms`.
    pub key: String,
    pub golden: Value,
    pub actual: Value,
    /// `actual - golden` for numbers.
    pub delta: Option<f64>,
}

impl ValueDiff {
    /// `time_to_recover.p99_ms: 19m25s -> 20m25s (+1m)`: `_ms` values as
    /// durations, other numbers as they are.
    pub fn line(&self) -> String {
        let ms = self.key.ends_with("_ms");
        let show = |v: &Value| match (v, v.as_f64()) {
            (Value::Null, _) => "absent".to_string(),
            (_, Some(x)) if ms => show_value(Unit::Ms, x),
            (v, _) => v.to_string(),
        };
        let delta = match self.delta {
            Some(d) if ms => {
                let sign = if d < 0.0 { "" } else { "+" };
                format!(" ({sign}{})", show_value(Unit::Ms, d))
            }
            Some(d) => format!(" ({d:+})"),
            None => String::new(),
        };
        format!(
            "{}: {} -> {}{delta}",
            self.key,
            show(&self.golden),
            show(&self.actual)
        )
    }
}

/// Keys that name the build or the input text, not the behaviour (a
/// `--set` patch that changes behaviour shows in the values it moves).
const IGNORED: [&str; 4] = [
    "provenance.tool",
    "provenance.version",
    "provenance.content_hash",
    "provenance.patches",
];

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        // Empty containers are leaves, so that `[]` differs from an absent key.
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.clone());
        }
    }
}

/// Every leaf that differs, in key order.
pub fn diff_summary(golden: &Value, actual: &Value) -> Vec<ValueDiff> {
    let (mut g, mut a) = (BTreeMap::new(), BTreeMap::new());
    flatten("", golden, &mut g);
    flatten("", actual, &mut a);
    let mut out = Vec::new();
    for k in merged_keys(&g, &a) {
        let human_copy = a.contains_key(&format!("{k}_ms")) || g.contains_key(&format!("{k}_ms"));
        let ignored = IGNORED
            .iter()
            .any(|i| k == i || k.strip_prefix(i).is_some_and(|r| r.starts_with('[')));
        if ignored || human_copy {
            continue;
        }
        let (x, y) = (
            g.get(k).cloned().unwrap_or(Value::Null),
            a.get(k).cloned().unwrap_or(Value::Null),
        );
        if x == y {
            continue;
        }
        let delta = match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => Some(q - p),
            _ => None,
        };
        out.push(ValueDiff {
            key: k.clone(),
            golden: x,
            actual: y,
            delta,
        });
    }
    out
}

/// The golden summary comparison: `None` when every compared value is the same.
pub fn compare_summary(golden: &Value, actual: &Value) -> Option<Failure> {
    let diffs = diff_summary(golden, actual);
    let first = diffs.first()?;
    let message = format!(
        "{} summary value(s) differ from the golden file; first: {}",
        diffs.len(),
        first.line()
    );
    let mut f = Failure::new(message, shown(&diffs, ValueDiff::line));
    f.values = diffs;
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ms: u64, node: &str, reason: &str) -> EventRow {
        EventRow {
            sim_ms: ms,
            node: node.into(),
            type_: "Normal".into(),
            reason: reason.into(),
            message: format!("{reason} message"),
        }
    }

    fn incident(node: &str, onset_ms: u64, outcome: &str, ttr_ms: &str) -> IncidentRow {
        IncidentRow {
            node: node.into(),
            onset_ms,
            columns: vec![
                ("outcome".into(), outcome.into()),
                ("ttr_ms".into(), ttr_ms.into()),
            ],
        }
    }

    /// Events with one incident per node, at 1h00m35s.
    fn run(events: Vec<EventRow>) -> Golden {
        let mut nodes: Vec<String> = events.iter().map(|e| e.node.clone()).collect();
        nodes.sort();
        nodes.dedup();
        Golden {
            incidents: nodes
                .iter()
                .map(|n| incident(n, 3_635_000, "repaired-by-reboot", "1165000"))
                .collect(),
            events,
            summary: Value::Null,
        }
    }

    const M: u64 = 60_000;

    #[test]
    fn golden_files_parse_and_errors_say_file_and_line() {
        let events = "time,sim_ms,node,type,reason,message\n\
                      2026-01-01T01:16:00Z,4560000,pool-0,Normal,NodeRebootStart,\"a, quoted message\"\n";
        let incidents = "node,pool,onset_ms,outcome,onset\npool-0,pool,3635000,self-healed,2026\n";
        let summary = "{\"incidents\": {\"total\": 1}}";
        let g = Golden::parse(events, incidents, summary).unwrap();
        assert_eq!(
            g.events,
            [EventRow {
                sim_ms: 4_560_000,
                node: "pool-0".into(),
                type_: "Normal".into(),
                reason: "NodeRebootStart".into(),
                message: "a, quoted message".into(),
            }]
        );
        assert_eq!(
            g.incidents,
            [IncidentRow {
                node: "pool-0".into(),
                onset_ms: 3_635_000,
                columns: vec![
                    ("pool".into(), "pool".into()),
                    ("outcome".into(), "self-healed".into())
                ],
            }]
        );
        let (file, line, e) = Golden::parse("time,node\n", incidents, "{}").unwrap_err();
        assert_eq!((file, line), (EVENTS_FILE, 1));
        assert!(e.starts_with("no column \"sim_ms\""), "{e}");
        let bad = "time,sim_ms,node,type,reason,message\nx,1h,a,b,c,d\n";
        assert_eq!(
            Golden::parse(bad, incidents, "{}").unwrap_err(),
            (
                EVENTS_FILE,
                2,
                "sim_ms \"1h\" is not a whole number of milliseconds".to_string()
            )
        );
        let (file, line, _) = Golden::parse(events, "node\n", "{}").unwrap_err();
        assert_eq!((file, line), (INCIDENTS_FILE, 1));
        let (file, line, e) = Golden::parse(events, incidents, "{\n\"a\": }").unwrap_err();
        assert_eq!((file, line), (SUMMARY_FILE, 2));
        assert!(e.starts_with("not valid JSON"), "{e}");
        // Valid JSON that is not a summary (issue 14).
        for not_a_summary in ["[]", "{}", "{\"incidents\": []}"] {
            let (file, line, e) = Golden::parse(events, incidents, not_a_summary).unwrap_err();
            assert_eq!((file, line), (SUMMARY_FILE, 1), "{not_a_summary}");
            assert!(e.starts_with("not a run's summary"), "{e}");
        }
        // incidents.csv cut at a line boundary: fewer rows than the summary counts.
        let cut = "node,pool,onset_ms,outcome,onset\n";
        let (file, line, e) = Golden::parse(events, cut, summary).unwrap_err();
        assert_eq!((file, line), (INCIDENTS_FILE, 1));
        assert!(
            e.starts_with("0 incidents, but summary.json counts 1"),
            "{e}"
        );
    }

    #[test]
    fn a_moved_rule_shows_as_moved_events_with_their_delta() {
        let golden = run(vec![
            row(76 * M, "pool-0", "NodeRebootStart"),
            row(80 * M, "pool-0", "NodeRebootEnd"),
            row(90 * M, "pool-1", "NodeRebootStart"),
        ]);
        let actual = run(vec![
            row(77 * M, "pool-0", "NodeRebootStart"),
            row(81 * M, "pool-0", "NodeRebootEnd"),
            row(90 * M, "pool-1", "NodeRebootStart"),
        ]);
        let f = compare_events(&golden, &actual).unwrap();
        assert_eq!(
            f.message,
            "events differ from the golden file (2 moved; 3 golden events, 3 now); first: \
             NodeRebootStart on pool-0 moved from 1h16m to 1h17m (+1m)"
        );
        assert_eq!(
            f.details,
            [
                "     1h16m  pool-0  NodeRebootStart  moved from 1h16m to 1h17m (+1m)",
                "     1h20m  pool-0  NodeRebootEnd  moved from 1h20m to 1h21m (+1m)",
            ]
        );
        assert_eq!(f.events[0].delta_ms, Some(60_000));
        assert_eq!(f.events[0].incident_onset_ms, Some(3_635_000));
        assert_eq!(f.events[0].change, Change::Moved);
        assert!(compare_events(&golden, &golden).is_none());
    }

    /// Two incidents on one node: a repair that no longer happens in the
    /// first is gone there, and the second incident's repair moved by its
    /// own delta (matching by occurrence on the node alone would say the
    /// first reboot moved by 2h05m).
    #[test]
    fn events_are_matched_within_their_incident() {
        let incidents = vec![
            incident("pool-0", 3_635_000, "repaired-by-reboot", "1165000"),
            incident("pool-0", 10_835_000, "repaired-by-reboot", "1165000"),
        ];
        let golden = Golden {
            events: vec![
                row(76 * M, "pool-0", "NodeRebootStart"),
                row(196 * M, "pool-0", "NodeRebootStart"),
            ],
            incidents: incidents.clone(),
            summary: Value::Null,
        };
        let actual = Golden {
            events: vec![row(201 * M, "pool-0", "NodeRebootStart")],
            incidents,
            summary: Value::Null,
        };
        let got: Vec<String> = diff_events(&golden, &actual)
            .iter()
            .map(EventDiff::describe)
            .collect();
        assert_eq!(
            got,
            [
                "NodeRebootStart on pool-0 at 1h16m is gone",
                "NodeRebootStart on pool-0 moved from 3h16m to 3h21m (+5m)",
            ]
        );
    }

    #[test]
    fn gone_new_and_reworded_events_are_told_apart() {
        let golden = run(vec![
            row(76 * M, "pool-0", "NodeRebootStart"),
            row(80 * M, "pool-0", "NodeRebootEnd"),
            row(85 * M, "pool-0", "NodeReimageStart"),
        ]);
        let mut reworded = row(80 * M, "pool-0", "NodeRebootEnd");
        reworded.message = "another wording".into();
        let actual = run(vec![
            row(76 * M, "pool-0", "NodeRebootStart"),
            reworded,
            row(100 * M, "pool-0", "NodeRebootStart"),
        ]);
        let d = diff_events(&golden, &actual);
        let got: Vec<(Change, String)> = d.iter().map(|d| (d.change, d.describe())).collect();
        assert_eq!(
            got,
            [
                (
                    Change::Reworded,
                    "NodeRebootEnd on pool-0 at 1h20m reads \"Normal: another wording\", was \
                     \"Normal: NodeRebootEnd message\""
                        .to_string()
                ),
                (
                    Change::Gone,
                    "NodeReimageStart on pool-0 at 1h25m is gone".to_string()
                ),
                (
                    Change::New,
                    "NodeRebootStart #2 on pool-0 at 1h40m is new".to_string()
                ),
            ]
        );
    }

    #[test]
    fn a_moved_event_with_another_text_says_both() {
        let golden = run(vec![row(76 * M, "pool-0", "NodeRebootError")]);
        let mut moved = row(77 * M, "pool-0", "NodeRebootError");
        moved.message = "code B".into();
        let d = diff_events(&golden, &run(vec![moved]));
        assert_eq!(
            d[0].describe(),
            "NodeRebootError on pool-0 moved from 1h16m to 1h17m (+1m) and reads \
             \"Normal: code B\", was \"Normal: NodeRebootError message\""
        );
    }

    #[test]
    fn a_long_diff_lists_the_first_ten_in_the_order_it_shows() {
        let golden = run((0..25)
            .map(|i| row(i * M, "pool-0", "NodeRebootStart"))
            .collect());
        let f = compare_events(&golden, &run(vec![])).unwrap();
        assert_eq!(f.details.len(), SHOWN + 1);
        assert_eq!(f.details[SHOWN], "... and 15 more");
        assert_eq!(f.events.len(), 25, "JSON has them all");
        // Rows are in the order of the time they show.
        let mut late = run(vec![row(200 * M, "pool-0", "NodeRebootStart")]);
        let early = run(vec![
            row(62 * M, "pool-0", "NodeRebootStart"),
            row(100 * M, "pool-1", "NodeRebootStart"),
        ]);
        late.incidents = early.incidents.clone();
        let d = diff_events(&late, &early);
        let at: Vec<(Change, Option<u64>)> = d
            .iter()
            .map(|d| (d.change, d.golden_ms.or(d.actual_ms)))
            .collect();
        assert_eq!(
            at,
            [(Change::New, Some(100 * M)), (Change::Moved, Some(200 * M))]
        );
    }

    #[test]
    fn an_absurd_golden_time_saturates_the_delta() {
        let golden = run(vec![row(u64::MAX, "pool-0", "NodeRebootStart")]);
        let actual = run(vec![row(3_700_000, "pool-0", "NodeRebootStart")]);
        let d = diff_events(&golden, &actual);
        assert_eq!(d[0].delta_ms, Some(i64::MIN));
    }

    #[test]
    fn incidents_differ_column_by_column() {
        let golden = [
            incident("pool-0", 3_635_000, "repaired-by-reboot", "1165000"),
            incident("pool-1", 3_700_000, "self-healed", "600000"),
        ];
        let actual = [
            incident("pool-0", 3_635_000, "repaired-by-reimage", "1765000"),
            incident("pool-2", 3_800_000, "self-healed", ""),
        ];
        let f = compare_incidents(&golden, &actual).unwrap();
        assert_eq!(
            f.details,
            [
                "incident on pool-0 at 1h00m35s: outcome repaired-by-reboot -> \
                 repaired-by-reimage; ttr_ms 19m25s -> 29m25s (+10m)",
                "incident on pool-1 at 1h01m40s: gone (in the golden file only)",
                "incident on pool-2 at 1h03m20s: new (not in the golden file)",
            ]
        );
        assert!(
            f.message.starts_with(
                "incidents differ from the golden file (1 changed, 1 gone, 1 new; 2 golden \
                 incidents, 2 now); first: incident on pool-0"
            ),
            "{}",
            f.message
        );
        assert_eq!(f.incidents[0].columns[1].column, "ttr_ms");
        let never = [incident("pool-0", 3_635_000, "gave-up-timeout", "")];
        assert_eq!(
            diff_incidents(&golden[..1], &never)[0].line(),
            "incident on pool-0 at 1h00m35s: outcome repaired-by-reboot -> gave-up-timeout; \
             ttr_ms 19m25s -> none"
        );
        assert!(compare_incidents(&golden, &golden).is_none());
    }

    #[test]
    fn summaries_differ_only_in_behaviour() {
        let golden = serde_json::json!({
            "provenance": {"tool": "repairsim", "version": "0.1.0", "content_hash": "aa",
                           "seed": 1, "patches": []},
            "time_to_recover": {"p99_ms": 1_165_000, "p99": "19m25s", "mean_ms": 1_165_000.0},
            "failed_repairs": 0,
            "errors_by_code": {},
        });
        let mut same = golden.clone();
        same["provenance"]["version"] = "9.9.9".into();
        same["provenance"]["content_hash"] = "bb".into();
        same["provenance"]["patches"] = serde_json::json!(["seed=1"]);
        assert!(
            compare_summary(&golden, &same).is_none(),
            "build and text are not behaviour"
        );

        let mut moved = golden.clone();
        moved["time_to_recover"]["p99_ms"] = 1_225_000.into();
        moved["time_to_recover"]["p99"] = "20m25s".into();
        moved["time_to_recover"]["mean_ms"] = 1_195_500.0.into();
        moved["failed_repairs"] = 2.into();
        moved["provenance"]["seed"] = 2.into();
        moved["errors_by_code"] = serde_json::json!({"InvalidParameter": 1});
        let f = compare_summary(&golden, &moved).unwrap();
        assert_eq!(
            f.details,
            [
                "errors_by_code: {} -> absent",
                "errors_by_code.InvalidParameter: absent -> 1",
                "failed_repairs: 0 -> 2 (+2)",
                "provenance.seed: 1 -> 2 (+1)",
                "time_to_recover.mean_ms: 19m25s -> 19m55s500ms (+30s500ms)",
                "time_to_recover.p99_ms: 19m25s -> 20m25s (+1m)",
            ]
        );
        assert_eq!(
            f.message,
            "6 summary value(s) differ from the golden file; first: errors_by_code: {} -> absent"
        );
    }

    /// Floats are read back exactly, so a diff shows the file's digits.
    #[test]
    fn floats_round_trip_exactly() {
        let text = "{\"availability\": 0.9820987654320987}";
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v.to_string(), "{\"availability\":0.9820987654320987}");
    }
}
