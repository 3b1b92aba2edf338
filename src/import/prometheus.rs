//! A Prometheus `/api/v1/query_range` result of kube-state-metrics'
//! `kube_node_status_condition{condition="Ready"}`: per node and status
//! (`true`, `false`, `unknown`) a series of 0 and 1 at the query step. A
//! node's status at a sample is the series at 1; a change from `true` to
//! `false` is the kubelet's NodeNotReady, to `unknown` the node
//! controller's, and back to `true` NodeReady, at the sample that shows
//! it (up to one step after the change). Every node with a series is
//! registered at the first sample: the export names the whole fleet.
//!
//! The record has no repair events: an import from it infers no
//! exclusions (see [`super::Options::repairs_recorded`]).

use super::{Ignored, Obs, What};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Whether `head` looks like a Prometheus query result.
pub fn sniff(head: &str) -> bool {
    head.contains("\"data\"") && (head.contains("\"resultType\"") || head.contains("\"metric\""))
}

/// A sample instant as Prometheus writes it: Unix seconds.
fn fmt_secs(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}", ms / 1000)
    } else {
        format!("{:.3}", ms as f64 / 1000.0)
    }
}

/// Reads the transitions of every node's Ready condition into `out`.
pub fn read(file: &Path, out: &mut Vec<Obs>, ignored: &mut Ignored) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let v: Value = super::parse_json(file, &text)?;
    let at = |what: &str| format!("{}: {what}", file.display());
    if v.get("status").and_then(Value::as_str) != Some("success") {
        return Err(at(
            "status is not \"success\"; expected a Prometheus query_range result",
        ));
    }
    let result = v
        .pointer("/data/result")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            at("no data.result array; expected a query_range result (resultType matrix)")
        })?;
    // node → sample instant [Unix ms] → status at 1.
    let mut status: BTreeMap<String, BTreeMap<i64, &str>> = BTreeMap::new();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for (i, series) in result.iter().enumerate() {
        let place = |what: &str| at(&format!("data.result[{i}]: {what}"));
        let metric = series
            .get("metric")
            .ok_or_else(|| place("no metric labels"))?;
        let label = |k: &str| metric.get(k).and_then(Value::as_str);
        if label("condition").is_some_and(|c| c != "Ready") {
            ignored.unknown_reasons += 1;
            continue;
        }
        let node = label("node").ok_or_else(|| place("no node label"))?;
        super::node_name(&place("metric"), node)?;
        let st = match label("status") {
            Some(s @ ("true" | "false" | "unknown")) => s,
            other => {
                return Err(place(&format!(
                    "status label {other:?}; expected \"true\", \"false\" or \"unknown\""
                )));
            }
        };
        let values = series
            .get("values")
            .and_then(Value::as_array)
            .ok_or_else(|| place("no values array"))?;
        let mut prev: Option<i64> = None;
        for (k, pair) in values.iter().enumerate() {
            let bad = || {
                place(&format!(
                    "values[{k}]: expected [Unix seconds from 0 to 253402300799, \"0\" or \"1\"]"
                ))
            };
            let p = pair.as_array().filter(|p| p.len() == 2).ok_or_else(bad)?;
            // From 1970 to the year 10000, as RFC 3339 can write it.
            let secs = p[0]
                .as_f64()
                .filter(|s| s.is_finite() && (0.0..253_402_300_800.0).contains(s))
                .ok_or_else(bad)?;
            let ms = (secs * 1000.0).round() as i64;
            if let Some(before) = prev.filter(|&b| ms <= b) {
                return Err(place(&format!(
                    "values[{k}]: {} is not after values[{}] {}: timestamps out of order; \
                     expected a query_range series, in time order",
                    fmt_secs(ms),
                    k - 1,
                    fmt_secs(before)
                )));
            }
            prev = Some(ms);
            first = first.min(ms);
            last = last.max(ms);
            let nodes = status.entry(node.to_string()).or_default();
            match p[1].as_str().ok_or_else(bad)? {
                "1" => match nodes.insert(ms, st) {
                    Some(other) if !other.is_empty() && other != st => {
                        return Err(place(&format!(
                            "values[{k}]: node {node} is both Ready={other:?} and \
                             Ready={st:?} at {}: overlapping states; expected one status at 1 \
                             per node and sample (are two clusters' series mixed?)",
                            fmt_secs(ms)
                        )));
                    }
                    _ => {}
                },
                "0" => {
                    nodes.entry(ms).or_insert("");
                }
                _ => return Err(bad()),
            }
        }
    }
    // The export saw the fleet until its last sample.
    if let Some(node) = status.keys().next() {
        out.push(Obs {
            at: last,
            node: node.clone(),
            what: What::Seen,
            origin: at("the last sample"),
        });
    }
    for (node, samples) in status {
        let origin = at(&format!("node {node}"));
        out.push(Obs {
            at: first,
            node: node.clone(),
            what: What::Registered,
            origin: origin.clone(),
        });
        let mut was = "true";
        for (ms, st) in samples {
            if st.is_empty() || st == was {
                continue;
            }
            let what = match (was, st) {
                ("true", "false") => What::NotReady { silent: false },
                ("true", _) => What::NotReady { silent: true },
                (_, "true") => What::Ready,
                _ => {
                    was = st;
                    continue;
                }
            };
            out.push(Obs {
                at: ms,
                node: node.clone(),
                what,
                origin: origin.clone(),
            });
            was = st;
        }
    }
    Ok(())
}
