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
//!
//! Invariant: the series are streamed one at a time and kept as runs of
//! samples at 1, so memory grows with the state changes and the longest
//! series, not with the file.

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

/// A run of consecutive samples at 1 in one node's series of one status
/// \[Unix ms\], and where it starts in the file.
struct Run {
    from: i64,
    to: i64,
    status: &'static str,
    series: usize,
    sample: usize,
}

/// Reads the transitions of every node's Ready condition into `out`.
///
/// The series are streamed one at a time ([`super::stream`]) and kept as
/// runs of samples at 1, so memory grows with the nodes' state changes,
/// not with the samples.
pub fn read(file: &Path, out: &mut Vec<Obs>, ignored: &mut Ignored) -> Result<(), String> {
    let at = |what: &str| format!("{}: {what}", file.display());
    let mut reader =
        std::io::BufReader::new(std::fs::File::open(file).map_err(|e| at(&e.to_string()))?);
    // A byte-order mark is not content.
    if std::io::BufRead::fill_buf(&mut reader)
        .map_err(|e| at(&e.to_string()))?
        .starts_with(b"\xef\xbb\xbf")
    {
        std::io::BufRead::consume(&mut reader, 3);
    }
    // node → its runs at 1, of every status.
    let mut runs: BTreeMap<String, Vec<Run>> = BTreeMap::new();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    let top = super::stream::items_at(reader, &["data", "result"], &mut |i, _, series| {
        let place = |what: &str| at(&format!("data.result[{i}]: {what}"));
        let metric = series
            .get("metric")
            .ok_or_else(|| place("no metric labels"))?;
        let label = |k: &str| metric.get(k).and_then(Value::as_str);
        if label("condition").is_some_and(|c| c != "Ready") {
            ignored.unknown_reasons += 1;
            return Ok(());
        }
        let node = label("node").ok_or_else(|| place("no node label"))?;
        super::node_name(&place("metric"), node)?;
        let status = match label("status") {
            Some("true") => "true",
            Some("false") => "false",
            Some("unknown") => "unknown",
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
        let node_runs = runs.entry(node.to_string()).or_default();
        // The query step: the shortest time between two samples. A longer
        // one is a gap (an export of the samples at 1 only, or a scrape
        // that failed), which ends a run.
        let times: Vec<Option<f64>> = values
            .iter()
            .map(|p| p.as_array().and_then(|p| p.first()).and_then(Value::as_f64))
            .collect();
        let step = times
            .windows(2)
            .filter_map(|w| Some(((w[1]? - w[0]?) * 1000.0).round() as i64))
            .filter(|d| *d > 0)
            .min()
            .unwrap_or(i64::MAX);
        let mut prev: Option<i64> = None;
        let mut open: Option<Run> = None;
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
            if prev.is_some_and(|b| ms - b > step) {
                node_runs.extend(open.take());
            }
            prev = Some(ms);
            first = first.min(ms);
            last = last.max(ms);
            match p[1].as_str().ok_or_else(bad)? {
                "1" => match open.as_mut() {
                    Some(r) => r.to = ms,
                    None => {
                        open = Some(Run {
                            from: ms,
                            to: ms,
                            status,
                            series: i,
                            sample: k,
                        });
                    }
                },
                "0" => node_runs.extend(open.take()),
                _ => return Err(bad()),
            }
        }
        node_runs.extend(open);
        Ok(())
    });
    let rest = match top {
        Ok(super::stream::Top::Object { items, rest }) => {
            if rest.get("status").and_then(Value::as_str) != Some("success") {
                return Err(at(
                    "status is not \"success\"; expected a Prometheus query_range result",
                ));
            }
            items.map(|_| rest)
        }
        Ok(super::stream::Top::Array(_)) => None,
        Err(super::stream::Stop::Item(msg)) => return Err(msg),
        Err(super::stream::Stop::Json(e)) => {
            return Err(format!(
                "{}:{}:{}: {e}; expected a Prometheus query_range result",
                file.display(),
                e.line(),
                e.column()
            ));
        }
    };
    if rest.is_none() {
        return Err(at(
            "no data.result array; expected a query_range result (resultType matrix)",
        ));
    }
    // The export saw the fleet until its last sample.
    if let Some(node) = runs.keys().next() {
        out.push(Obs {
            at: last,
            node: node.clone(),
            what: What::Seen,
            origin: at("the last sample"),
        });
    }
    for (node, mut runs) in runs {
        runs.sort_by_key(|r| (r.from, r.to));
        let origin = at(&format!("node {node}"));
        out.push(Obs {
            at: first,
            node: node.clone(),
            what: What::Registered,
            origin: origin.clone(),
        });
        // One status at 1 per node and sample: a run of another status
        // that starts inside a run overlaps it. Runs of the same status
        // (a replica's duplicate series) are one.
        let mut was = "true";
        let mut until: Option<(i64, &str)> = None;
        for r in &runs {
            if let Some((end, st)) = until
                && r.from <= end
                && r.status != st
            {
                return Err(at(&format!(
                    "data.result[{}]: values[{}]: node {node} is both Ready={st:?} and \
                     Ready={:?} at {}: overlapping states; expected one status at 1 per node \
                     and sample (are two clusters' series mixed?)",
                    r.series,
                    r.sample,
                    r.status,
                    fmt_secs(r.from)
                )));
            }
            if until.is_none_or(|(end, _)| r.to > end) {
                until = Some((r.to, r.status));
            }
            if r.status == was {
                continue;
            }
            let what = match (was, r.status) {
                ("true", "false") => What::NotReady { silent: false },
                ("true", _) => What::NotReady { silent: true },
                (_, "true") => What::Ready,
                _ => {
                    was = r.status;
                    continue;
                }
            };
            out.push(Obs {
                at: r.from,
                node: node.clone(),
                what,
                origin: origin.clone(),
            });
            was = r.status;
        }
    }
    Ok(())
}
