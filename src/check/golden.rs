//! Golden files: a scenario's committed `events.csv` and `summary.json`
//! (in `<scenario>.golden/` beside it), compared with a new run.
//!
//! Events are matched by node, reason and occurrence (the second
//! `NodeRebootStart` on `pool-0` is matched with the second one), so a rule
//! that moves shows as "moved from 1h16m to 1h17m (+1m)", not as one event
//! gone and another new. The summary is compared leaf by leaf, except the
//! fields that name the build or the input text (`provenance.tool`,
//! `.version`, `.content_hash`, `.patches`) and the human copies of `_ms`
//! fields.

use super::Failure;
use super::eval::signed_delta;
use super::expect::show_value;
use crate::mc::metrics::Unit;
use crate::time::SimTime;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The files of a golden directory.
pub const EVENTS_FILE: &str = "events.csv";
pub const SUMMARY_FILE: &str = "summary.json";

/// How many differences a failure lists for people (JSON has them all).
pub const SHOWN: usize = 10;

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

/// Reads `events.csv` text (the header `time,sim_ms,node,type,reason,message`).
/// The error is the 1-based line and what is wrong there.
pub fn parse_events(text: &str) -> Result<Vec<EventRow>, (u64, String)> {
    let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = rd
        .headers()
        .map_err(|e| (1, e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            (
                1,
                format!("no column {name:?}; the header is time,sim_ms,node,type,reason,message"),
            )
        })
    };
    let (ms, node, ty, reason, msg) = (
        col("sim_ms")?,
        col("node")?,
        col("type")?,
        col("reason")?,
        col("message")?,
    );
    let mut out = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| (e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let get = |i: usize| rec.get(i).unwrap_or("").to_string();
        let sim_ms = get(ms).parse::<u64>().map_err(|_| {
            (
                line,
                format!("sim_ms {:?} is not a whole number of milliseconds", get(ms)),
            )
        })?;
        out.push(EventRow {
            sim_ms,
            node: get(node),
            type_: get(ty),
            reason: get(reason),
            message: get(msg),
        });
    }
    Ok(out)
}

/// How one event differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Same node, reason and occurrence, another time.
    Moved,
    /// In the golden file only.
    Gone,
    /// In the new run only.
    New,
    /// Same time, another type or message (an error code, a wording).
    Reworded,
}

/// One event difference, for people and for `--format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventDiff {
    pub change: Change,
    pub node: String,
    pub reason: String,
    /// 1-based: the occurrence of this reason on this node.
    pub occurrence: usize,
    /// \[ms\]
    pub golden_ms: Option<u64>,
    /// \[ms\]
    pub actual_ms: Option<u64>,
    /// `actual_ms - golden_ms` \[ms\], for moved events.
    pub delta_ms: Option<i64>,
}

impl EventDiff {
    fn first_ms(&self) -> u64 {
        self.golden_ms
            .into_iter()
            .chain(self.actual_ms)
            .min()
            .unwrap_or(0)
    }

    fn nth(&self) -> String {
        if self.occurrence > 1 {
            format!(" #{}", self.occurrence)
        } else {
            String::new()
        }
    }

    /// A sentence: `NodeRebootStart on pool-0 moved from 1h16m to 1h17m (+1m)`.
    pub fn describe(&self) -> String {
        let t = |ms: Option<u64>| SimTime(ms.unwrap_or(0));
        let what = match self.change {
            Change::Moved => format!(
                "moved from {} to {} ({})",
                t(self.golden_ms),
                t(self.actual_ms),
                signed_delta(self.golden_ms.unwrap_or(0), self.actual_ms.unwrap_or(0))
            ),
            Change::Gone => format!("at {} is gone", t(self.golden_ms)),
            Change::New => format!("at {} is new", t(self.actual_ms)),
            Change::Reworded => format!("at {} has another type or message", t(self.golden_ms)),
        };
        format!("{}{} on {} {what}", self.reason, self.nth(), self.node)
    }

    /// A table row: `     1h16m  pool-0  NodeRebootStart  moved to 1h17m (+1m)`,
    /// timed by the golden event (the new one for new events).
    pub fn line(&self) -> String {
        let what = match self.change {
            Change::Moved => format!(
                "moved to {} ({})",
                SimTime(self.actual_ms.unwrap_or(0)),
                signed_delta(self.golden_ms.unwrap_or(0), self.actual_ms.unwrap_or(0))
            ),
            Change::Gone => "gone (in the golden file only)".to_string(),
            Change::New => "new (not in the golden file)".to_string(),
            Change::Reworded => "same time, another type or message".to_string(),
        };
        let at = SimTime(self.golden_ms.or(self.actual_ms).unwrap_or(0)).to_string();
        format!(
            "{at:>10}  {}  {}{}  {what}",
            self.node,
            self.reason,
            self.nth()
        )
    }
}

type Key = (String, String, usize);

fn keyed(rows: &[EventRow]) -> BTreeMap<Key, &EventRow> {
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for r in rows {
        let n = seen.entry((&r.node, &r.reason)).or_default();
        *n += 1;
        out.insert((r.node.clone(), r.reason.clone(), *n), r);
    }
    out
}

/// Every difference between the golden events and the new ones, in time
/// order (ties: node, reason). Empty when they are the same.
pub fn diff_events(golden: &[EventRow], actual: &[EventRow]) -> Vec<EventDiff> {
    let (g, a) = (keyed(golden), keyed(actual));
    let mut keys: Vec<&Key> = g.keys().chain(a.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let (gr, ar) = (g.get(k), a.get(k));
        let change = match (gr, ar) {
            (Some(x), Some(y)) if x.sim_ms != y.sim_ms => Change::Moved,
            (Some(x), Some(y)) if x != y => Change::Reworded,
            (Some(_), Some(_)) => continue,
            (Some(_), None) => Change::Gone,
            (None, _) => Change::New,
        };
        let (gm, am) = (gr.map(|r| r.sim_ms), ar.map(|r| r.sim_ms));
        out.push(EventDiff {
            change,
            node: k.0.clone(),
            reason: k.1.clone(),
            occurrence: k.2,
            golden_ms: gm,
            actual_ms: am,
            delta_ms: match (gm, am) {
                (Some(x), Some(y)) if x != y => Some(y as i64 - x as i64),
                _ => None,
            },
        });
    }
    out.sort_by(|x, y| {
        (x.first_ms(), &x.node, &x.reason, x.occurrence).cmp(&(
            y.first_ms(),
            &y.node,
            &y.reason,
            y.occurrence,
        ))
    });
    out
}

/// The golden event comparison: `None` when the events are the same.
pub fn compare_events(golden: &[EventRow], actual: &[EventRow]) -> Option<Failure> {
    let diffs = diff_events(golden, actual);
    let first = diffs.first()?;
    let count = |c: Change| diffs.iter().filter(|d| d.change == c).count();
    let mut parts = Vec::new();
    for (c, word) in [
        (Change::Moved, "moved"),
        (Change::Gone, "gone"),
        (Change::New, "new"),
        (Change::Reworded, "reworded"),
    ] {
        let n = count(c);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let message = format!(
        "events differ from the golden file ({}; {} golden events, {} now); first: {}",
        parts.join(", "),
        golden.len(),
        actual.len(),
        first.describe()
    );
    let mut details: Vec<String> = diffs.iter().take(SHOWN).map(EventDiff::line).collect();
    if diffs.len() > SHOWN {
        details.push(format!("... and {} more", diffs.len() - SHOWN));
    }
    let mut f = Failure::new(message, details);
    f.events = diffs;
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
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        Value::Array(a) => {
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
    let mut keys: Vec<&String> = g.keys().chain(a.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
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
    let mut details: Vec<String> = diffs.iter().take(SHOWN).map(ValueDiff::line).collect();
    if diffs.len() > SHOWN {
        details.push(format!("... and {} more", diffs.len() - SHOWN));
    }
    let mut f = Failure::new(message, details);
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

    const M: u64 = 60_000;

    #[test]
    fn events_csv_round_trips_through_the_parser() {
        let text = "time,sim_ms,node,type,reason,message\n\
                    2026-01-01T01:16:00Z,4560000,pool-0,Normal,NodeRebootStart,\"a, quoted message\"\n";
        assert_eq!(
            parse_events(text).unwrap(),
            [EventRow {
                sim_ms: 4_560_000,
                node: "pool-0".into(),
                type_: "Normal".into(),
                reason: "NodeRebootStart".into(),
                message: "a, quoted message".into(),
            }]
        );
        let (line, e) = parse_events("time,node\n").unwrap_err();
        assert_eq!(line, 1);
        assert!(e.starts_with("no column \"sim_ms\""), "{e}");
        let e = parse_events("time,sim_ms,node,type,reason,message\nx,1h,a,b,c,d\n").unwrap_err();
        assert_eq!(
            e,
            (
                2,
                "sim_ms \"1h\" is not a whole number of milliseconds".to_string()
            )
        );
    }

    #[test]
    fn a_moved_rule_shows_as_moved_events_with_their_delta() {
        let golden = [
            row(76 * M, "pool-0", "NodeRebootStart"),
            row(80 * M, "pool-0", "NodeRebootEnd"),
            row(90 * M, "pool-1", "NodeRebootStart"),
        ];
        let actual = [
            row(77 * M, "pool-0", "NodeRebootStart"),
            row(81 * M, "pool-0", "NodeRebootEnd"),
            row(90 * M, "pool-1", "NodeRebootStart"),
        ];
        let f = compare_events(&golden, &actual).unwrap();
        assert_eq!(
            f.message,
            "events differ from the golden file (2 moved; 3 golden events, 3 now); first: \
             NodeRebootStart on pool-0 moved from 1h16m to 1h17m (+1m)"
        );
        assert_eq!(
            f.details,
            [
                "     1h16m  pool-0  NodeRebootStart  moved to 1h17m (+1m)",
                "     1h20m  pool-0  NodeRebootEnd  moved to 1h21m (+1m)",
            ]
        );
        assert_eq!(f.events[0].delta_ms, Some(60_000));
        assert_eq!(f.events[0].change, Change::Moved);
        assert!(compare_events(&golden, &golden).is_none());
    }

    #[test]
    fn gone_new_and_reworded_events_are_told_apart() {
        let golden = [
            row(76 * M, "pool-0", "NodeRebootStart"),
            row(80 * M, "pool-0", "NodeRebootEnd"),
            row(85 * M, "pool-0", "NodeReimageStart"),
        ];
        let mut reworded = row(80 * M, "pool-0", "NodeRebootEnd");
        reworded.message = "another wording".into();
        let actual = [
            row(76 * M, "pool-0", "NodeRebootStart"),
            reworded,
            row(100 * M, "pool-0", "NodeRebootStart"),
        ];
        let d = diff_events(&golden, &actual);
        let got: Vec<(Change, String)> =
            d.iter().map(|d| (d.change.clone(), d.describe())).collect();
        assert_eq!(
            got,
            [
                (
                    Change::Reworded,
                    "NodeRebootEnd on pool-0 at 1h20m has another type or message".to_string()
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
    fn a_long_diff_lists_the_first_ten() {
        let golden: Vec<EventRow> = (0..25)
            .map(|i| row(i * M, "pool-0", "NodeRebootStart"))
            .collect();
        let f = compare_events(&golden, &[]).unwrap();
        assert_eq!(f.details.len(), SHOWN + 1);
        assert_eq!(f.details[SHOWN], "... and 15 more");
        assert_eq!(f.events.len(), 25, "JSON has them all");
    }

    #[test]
    fn summaries_differ_only_in_behaviour() {
        let golden = serde_json::json!({
            "provenance": {"tool": "repairsim", "version": "0.1.0", "content_hash": "aa", "seed": 1},
            "time_to_recover": {"p99_ms": 1_165_000, "p99": "19m25s", "mean_ms": 1_165_000.0},
            "failed_repairs": 0,
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
        let f = compare_summary(&golden, &moved).unwrap();
        assert_eq!(
            f.details,
            [
                "failed_repairs: 0 -> 2 (+2)",
                "provenance.seed: 1 -> 2 (+1)",
                "time_to_recover.mean_ms: 19m25s -> 19m55s500ms (+30s500ms)",
                "time_to_recover.p99_ms: 19m25s -> 20m25s (+1m)",
            ]
        );
        assert_eq!(
            f.message,
            "4 summary value(s) differ from the golden file; first: failed_repairs: 0 -> 2 (+2)"
        );
        let mut gone = golden.clone();
        gone["failed_repairs"] = serde_json::Value::Null;
        assert_eq!(
            diff_summary(&golden, &gone)[0].line(),
            "failed_repairs: 0 -> absent"
        );
    }
}
