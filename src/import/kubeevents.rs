//! A Container Insights `KubeEvents` export: the table's rows as CSV (the
//! portal's or `az monitor log-analytics query -o tsv`'s header row
//! first), as a JSON array of row objects, or as the Log Analytics query
//! API's `{"tables": [{"columns": [...], "rows": [...]}]}`. The columns
//! read are those the table documents: `ObjectKind`, `Name`, `Reason`,
//! `Message`, `SourceComponent`, `FirstSeen` and `TimeGenerated`; others
//! are ignored.
//!
//! Invariant: memory does not grow with the file: CSV is read row by row
//! and a JSON array one row at a time; only the query API's result, whose
//! size the API caps, is read whole.

use super::{Fact, Ignored, Obs, node_fact};
use serde_json::Value;
use std::path::Path;

/// The columns read, by name (any case).
const COLUMNS: [&str; 8] = [
    "ObjectKind",
    "Name",
    "Reason",
    "Message",
    "SourceComponent",
    "FirstSeen",
    "TimeGenerated",
    "LastSeen",
];

/// One row, by the column names above; `None` where absent or empty.
type Row = [Option<String>; 8];

/// Whether `text` looks like a KubeEvents export (for `--format auto`).
pub fn sniff(head: &str) -> bool {
    let h = head.to_ascii_lowercase();
    h.contains("timegenerated") && h.contains("objectkind")
}

/// Reads every Node event of `file` into `out`.
pub fn read(file: &Path, out: &mut Vec<Obs>, ignored: &mut Ignored) -> Result<(), String> {
    use std::io::BufRead;
    let io = |e: std::io::Error| format!("{}: {e}", file.display());
    let mut reader = std::io::BufReader::new(std::fs::File::open(file).map_err(io)?);
    // A byte-order mark (Excel and PowerShell write one) is not content.
    if reader.fill_buf().map_err(io)?.starts_with(b"\xef\xbb\xbf") {
        reader.consume(3);
    }
    // The first character that is not white space tells JSON from CSV.
    let head = reader.fill_buf().map_err(io)?;
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        // A JSON array of rows may be several GB: one row at a time.
        Some(b'[') => {
            let top = super::stream::items(reader, "", &mut |n, _, r| {
                let at = format!("{}: [{n}]", file.display());
                let obj = r
                    .as_object()
                    .ok_or_else(|| format!("{at}: not an object"))?;
                let row: Row = std::array::from_fn(|k| {
                    obj.iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(COLUMNS[k]))
                        .and_then(|(_, v)| cell(v))
                });
                fact(row, &at, out, ignored)
            });
            return match top {
                Ok(_) => Ok(()),
                Err(super::stream::Stop::Item(msg)) => Err(msg),
                Err(super::stream::Stop::Json(e)) => Err(format!(
                    "{}:{}:{}: not JSON: {e}",
                    file.display(),
                    e.line(),
                    e.column()
                )),
            };
        }
        // The query API's result: tables of columns and rows, read whole
        // (the API caps a result's size).
        Some(b'{') => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut reader, &mut text).map_err(io)?;
            return read_json(file, &text, out, ignored);
        }
        _ => {}
    }
    // Rows end at `\n` only, so that line numbers count CRLF lines right
    // (Azure exports use CRLF); the `\r` left on a last cell is trimmed.
    // A file whose lines end in `\r` alone (old Mac exports) keeps the
    // csv crate's own line ends.
    let head = reader.fill_buf().map_err(io)?;
    let terminator = if !head.contains(&b'\n') && head.contains(&b'\r') {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut rd = csv::ReaderBuilder::new()
        .flexible(false)
        .terminator(terminator)
        .from_reader(reader);
    let header = rd
        .headers()
        .map_err(|e| format!("{}:1: not a CSV header: {e}", file.display()))?
        .clone();
    let index: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| header.iter().position(|h| h.trim().eq_ignore_ascii_case(c)))
        .collect();
    for (c, i) in COLUMNS.iter().zip(&index).take(3) {
        if i.is_none() {
            return Err(format!(
                "{}:1: no {c} column; a KubeEvents export has TimeGenerated, ObjectKind, Name, \
                 Reason, Message, SourceComponent, FirstSeen, ...",
                file.display()
            ));
        }
    }
    for rec in rd.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("{}:{line}: {e}", file.display())
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let row: Row = std::array::from_fn(|k| {
            index[k]
                .and_then(|i| rec.get(i))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        });
        fact(row, &format!("{}:{line}", file.display()), out, ignored)?;
    }
    Ok(())
}

/// A JSON cell's text; `None` when empty.
fn cell(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn read_json(
    file: &Path,
    text: &str,
    out: &mut Vec<Obs>,
    ignored: &mut Ignored,
) -> Result<(), String> {
    let v: Value = super::parse_json(file, text)?;
    // The query API: columns, then rows of cells.
    if let Some(table) = v
        .get("tables")
        .and_then(Value::as_array)
        .and_then(|t| t.first())
    {
        let columns: Vec<&str> = table
            .get("columns")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let index: Vec<Option<usize>> = COLUMNS
            .iter()
            .map(|c| columns.iter().position(|h| h.eq_ignore_ascii_case(c)))
            .collect();
        let rows = table
            .get("rows")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{}: tables[0] has no rows array", file.display()))?;
        for (n, r) in rows.iter().enumerate() {
            let cells = r.as_array().ok_or_else(|| {
                format!(
                    "{}: tables[0].rows[{n}]: not an array of cells",
                    file.display()
                )
            })?;
            let row: Row =
                std::array::from_fn(|k| index[k].and_then(|i| cells.get(i)).and_then(cell));
            fact(
                row,
                &format!("{}: tables[0].rows[{n}]", file.display()),
                out,
                ignored,
            )?;
        }
        return Ok(());
    }
    Err(format!(
        "{}: expected a JSON array of KubeEvents rows or a query result with \"tables\"",
        file.display()
    ))
}

/// One row as a Node event: `FirstSeen` is when it happened (the row is
/// written later, at `TimeGenerated`).
fn fact(row: Row, at: &str, out: &mut Vec<Obs>, ignored: &mut Ignored) -> Result<(), String> {
    let [kind, name, reason, message, source, first, generated, last] = row;
    if kind.as_deref() != Some("Node") {
        ignored.other_objects += 1;
        return Ok(());
    }
    let node = name.ok_or_else(|| format!("{at}: Name is empty"))?;
    let reason = reason.ok_or_else(|| format!("{at}: Reason is empty"))?;
    super::in_order(
        at,
        ("FirstSeen", first.as_deref()),
        ("LastSeen", last.as_deref()),
    )?;
    let time = first
        .or(generated)
        .ok_or_else(|| format!("{at}: no time: expected FirstSeen or TimeGenerated"))?;
    node_fact(
        Fact {
            node,
            reason: &reason,
            source: source.as_deref().unwrap_or(""),
            message: message.as_deref().unwrap_or(""),
            time: &time,
        },
        at,
        out,
        ignored,
    )
}
