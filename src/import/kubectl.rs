//! `kubectl get events -o json` and its kin: a v1 `List` of Events, a
//! single Event, or JSON Lines of Events (an event exporter's output, or
//! repairsim's own `events.jsonl`). Only Events about Nodes are read;
//! the others are counted.
//!
//! Invariant: memory does not grow with the file: JSON Lines is read line
//! by line, and a `List`'s items one at a time ([`super::stream`]).

use super::{Ignored, Obs};
use serde_json::Value;
use std::io::BufRead;
use std::path::Path;

/// Where an item came from, for errors: a line of JSON Lines, or an index
/// of a List's `items`.
fn place(file: &Path, line: Option<usize>, index: Option<usize>) -> String {
    match (line, index) {
        (Some(l), _) => format!("{}:{l}", file.display()),
        (None, Some(i)) => format!("{}: items[{i}]", file.display()),
        (None, None) => file.display().to_string(),
    }
}

/// Reads every Node event of `file` into `out`.
pub fn read(file: &Path, out: &mut Vec<Obs>, ignored: &mut Ignored) -> Result<(), String> {
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut reader = std::io::BufReader::new(f);
    // A List or a single Event is one document that starts with `{` and
    // spans lines; JSON Lines has one complete object per line. Try the
    // first line on its own: a whole object there means JSON Lines.
    // Blank lines before it are skipped (and kept, for the line numbers).
    // A first line longer than any Event is a compact List (`jq -c`), read
    // as a document, never whole.
    const LONGEST_EVENT: u64 = 1 << 20;
    let mut head: Vec<u8> = Vec::new();
    let mut blank: Vec<u8> = Vec::new();
    let mut line_no = 1;
    loop {
        head.clear();
        let n = std::io::Read::take(&mut reader, LONGEST_EVENT)
            .read_until(b'\n', &mut head)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        // A byte-order mark (PowerShell writes one) is not content.
        if line_no == 1 && blank.is_empty() && head.starts_with(b"\xef\xbb\xbf") {
            head.drain(..3);
        }
        if n == 0 || !head.iter().all(u8::is_ascii_whitespace) {
            break;
        }
        blank.extend_from_slice(&head);
        line_no += 1;
    }
    // Bytes, not text, until it is known to be a whole line: the cap may
    // cut a character in two.
    let long = head.len() as u64 >= LONGEST_EVENT && !head.ends_with(b"\n");
    let first = if long {
        String::new()
    } else {
        String::from_utf8(std::mem::take(&mut head))
            .map_err(|_| format!("{}:{line_no}: not UTF-8 text", file.display()))?
    };
    let one_per_line = !long
        && serde_json::from_str::<Value>(first.trim())
            .is_ok_and(|v| v.is_object() && v.get("items").is_none());
    if one_per_line {
        let mut line = first;
        loop {
            if !line.trim().is_empty() {
                let v: Value = serde_json::from_str(line.trim()).map_err(|e| {
                    format!(
                        "{}:{}: not a JSON object: {e}; expected one Event per line",
                        file.display(),
                        line_no
                    )
                })?;
                event(&v, &place(file, Some(line_no), None), out, ignored)?;
            }
            line.clear();
            line_no += 1;
            if reader
                .read_line(&mut line)
                .map_err(|e| format!("{}: {e}", file.display()))?
                == 0
            {
                break;
            }
        }
        return Ok(());
    }
    // A List may be several GB: its items are parsed one at a time.
    let prefix = std::io::Cursor::new([blank, head, first.into_bytes()].concat());
    // A bare array of Events (`jq .items`) is read like a List.
    let top = super::stream::items(
        std::io::Read::chain(prefix, reader),
        "items",
        &mut |i, in_list, v| {
            let at = if in_list {
                place(file, None, Some(i))
            } else {
                format!("{}: [{i}]", file.display())
            };
            event(&v, &at, out, ignored)
        },
    );
    match top {
        Ok(super::stream::Top::Object { items: Some(_), .. } | super::stream::Top::Array(_)) => {
            Ok(())
        }
        Ok(super::stream::Top::Object { items: None, rest }) => {
            event(&Value::Object(rest), &place(file, None, None), out, ignored)
        }
        Err(super::stream::Stop::Item(msg)) => Err(msg),
        Err(super::stream::Stop::Json(e)) if e.is_data() => Err(format!(
            "{}:{}:{}: {e}; expected a List whose items is an array of Events",
            file.display(),
            e.line(),
            e.column()
        )),
        Err(super::stream::Stop::Json(e)) => Err(format!(
            "{}:{}:{}: not JSON: {e}; expected Kubernetes Events (`kubectl get events -o json`, \
             one Event, or one Event per line), a Container Insights KubeEvents export (CSV \
             with TimeGenerated, ObjectKind, Name and Reason columns, or JSON), or a \
             Prometheus query_range result of kube_node_status_condition",
            file.display(),
            e.line(),
            e.column()
        )),
    }
}

/// The string at a JSON path, if any.
fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// One Event, core/v1 or events.k8s.io/v1.
fn event(v: &Value, at: &str, out: &mut Vec<Obs>, ignored: &mut Ignored) -> Result<(), String> {
    if !v.is_object() {
        return Err(format!("{at}: not an Event object"));
    }
    // core/v1 names the object `involvedObject`; events.k8s.io/v1 `regarding`.
    let object = v.get("involvedObject").or_else(|| v.get("regarding"));
    let Some(object) = object else {
        return Err(format!(
            "{at}: an Event without involvedObject (or regarding); expected a Kubernetes Event"
        ));
    };
    if text(object, &["kind"]) != Some("Node") {
        ignored.other_objects += 1;
        return Ok(());
    }
    let node = text(object, &["name"])
        .ok_or_else(|| format!("{at}: involvedObject.name is missing"))?
        .to_string();
    let reason = text(v, &["reason"]).ok_or_else(|| format!("{at}: reason is missing"))?;
    super::in_order(
        at,
        ("firstTimestamp", text(v, &["firstTimestamp"])),
        ("lastTimestamp", text(v, &["lastTimestamp"])),
    )?;
    super::in_order(
        at,
        ("eventTime", text(v, &["eventTime"])),
        (
            "series.lastObservedTime",
            text(v, &["series", "lastObservedTime"]),
        ),
    )?;
    // The most precise time there is: eventTime (microseconds), else the
    // first occurrence, else the creation.
    let time = text(v, &["eventTime"])
        .or_else(|| text(v, &["firstTimestamp"]))
        .or_else(|| text(v, &["deprecatedFirstTimestamp"]))
        .or_else(|| text(v, &["metadata", "creationTimestamp"]))
        .ok_or_else(|| {
            format!(
                "{at}: no time: expected eventTime, firstTimestamp or metadata.creationTimestamp"
            )
        })?;
    let source = text(v, &["source", "component"])
        .or_else(|| text(v, &["reportingComponent"]))
        .or_else(|| text(v, &["reportingController"]))
        .unwrap_or("");
    let message = text(v, &["message"])
        .or_else(|| text(v, &["note"]))
        .unwrap_or("");
    // Kubernetes folds repeats into one Event with a count; only its first
    // occurrence has a time here.
    let count = v
        .get("count")
        .or_else(|| v.pointer("/series/count"))
        .or_else(|| v.get("deprecatedCount"))
        .and_then(Value::as_u64)
        .unwrap_or(1);
    if count > 1 {
        ignored.aggregated += 1;
    }
    super::node_fact(
        super::Fact {
            node,
            reason,
            source,
            message,
            time,
        },
        at,
        out,
        ignored,
    )
}
