//! `kubectl get events -o json` and its kin: a v1 `List` of Events, a
//! single Event, or JSON Lines of Events (an event exporter's output, or
//! repairsim's own `events.jsonl`). Only Events about Nodes are read;
//! the others are counted.
//!
//! Invariant: a JSON Lines file is read line by line, so memory does not
//! grow with its length; a `List` is one JSON document and is read whole.

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
    let mut first = String::new();
    let mut blank = String::new();
    let mut line_no = 1;
    loop {
        first.clear();
        let n = reader
            .read_line(&mut first)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        if n == 0 || !first.trim().is_empty() {
            break;
        }
        blank.push_str(&first);
        line_no += 1;
    }
    let one_per_line = serde_json::from_str::<Value>(first.trim())
        .is_ok_and(|v| v.get("items").is_none() && !first.trim().is_empty());
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
    let mut text = blank + &first;
    std::io::Read::read_to_string(&mut reader, &mut text)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not JSON: {e}; expected the output of `kubectl get events -o json`, \
             one Event, or one Event per line",
            file.display(),
            e.line(),
            e.column()
        )
    })?;
    match v.get("items") {
        Some(_) => {
            let items = v
                .get("items")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("{}: a List without an items array", file.display()))?;
            for (i, item) in items.iter().enumerate() {
                event(item, &place(file, None, Some(i)), out, ignored)?;
            }
            Ok(())
        }
        None => event(&v, &place(file, None, None), out, ignored),
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
