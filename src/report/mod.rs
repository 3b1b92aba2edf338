//! Run outputs: `events.jsonl`, `events.csv`, `timeline.csv`,
//! `incidents.csv` and `summary.json`, written atomically.
//!
//! Every file is written into a staging directory beside the output
//! directory ([`staging`]: `<parent>/.<name>.repairsim-tmp-<pid>`) through
//! a buffered writer, never held whole in memory, and the staging
//! directory then replaces the output directory whole. `run` writes
//! them while the simulation runs ([`stream::RunStream`]), through
//! external sorts ([`spill`]) where the file's order is not the order in
//! which rows become final; [`write_run`] renders the same bytes from kept
//! records. A failure before the renames leaves the previous outputs
//! untouched and removes the staging directory, scratch files included.
//!
//! Invariant: writers read only the observers' output, the summary and the
//! scenario (for names and the wall-clock epoch). CSV goes through the `csv`
//! crate (RFC 4180 quoting, a header row, `\n` line ends).

pub mod figures;
pub mod page;
pub mod spill;
pub mod staging;
pub mod stream;

pub use staging::Staging;

use crate::fleet::NodeId;
use crate::observe::events::EventLog;
use crate::observe::incidents::Incident;
use crate::observe::timeline::{Interval, TimelineLog};
use crate::policy::providers::Reporting;
use crate::scenario::Scenario;
use crate::stats::Summary;
use crate::time::SimTime;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The files [`write_run`] writes, in the order it returns them.
pub const RUN_FILES: [&str; 5] = [
    "events.jsonl",
    "events.csv",
    "timeline.csv",
    "incidents.csv",
    "summary.json",
];

fn csv_err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

/// Renders CSV rows after `header` in memory.
pub fn csv_bytes<R>(header: &[&str], rows: impl IntoIterator<Item = R>) -> io::Result<Vec<u8>>
where
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    render(|w| write_csv(w, header, rows))
}

/// Writes CSV rows after `header` to `w`, row by row.
pub fn write_csv<W, R>(w: W, header: &[&str], rows: impl IntoIterator<Item = R>) -> io::Result<()>
where
    W: io::Write,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut w = csv_writer(w);
    w.write_record(header).map_err(csv_err)?;
    for r in rows {
        w.write_record(r).map_err(csv_err)?;
    }
    w.flush()
}

/// Renders what `write` writes in memory.
pub fn render(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    write(&mut out)?;
    Ok(out)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// One Event JSON object per line.
pub fn events_jsonl(events: &EventLog) -> String {
    let mut out = Vec::new();
    // Writing into memory cannot fail, and serde_json writes UTF-8.
    let _ = write_events(&mut out, io::sink(), events);
    String::from_utf8(out).unwrap_or_default()
}

/// `events.csv`'s header.
pub const EVENT_HEADER: [&str; 6] = ["time", "sim_ms", "node", "type", "reason", "message"];

/// `time,sim_ms,node,type,reason,message`.
pub fn events_csv(events: &EventLog) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    write_events(io::sink(), &mut out, events)?;
    Ok(out)
}

/// Writes the kept events of `events` to `jsonl` (`events.jsonl`) and
/// `csv` (`events.csv`).
pub fn write_events(
    jsonl: impl io::Write,
    csv: impl io::Write,
    events: &EventLog,
) -> io::Result<()> {
    let mut w = EventWriter::new(jsonl, csv)?;
    for e in events.events() {
        w.write(e)?;
    }
    w.flush()
}

/// `events.jsonl` and `events.csv` being written, one event at a time
/// (the CSV header first), with no allocation per row.
pub struct EventWriter<J: io::Write, C: io::Write> {
    jsonl: J,
    csv: csv::Writer<C>,
    ms: Digits,
}

impl<J: io::Write, C: io::Write> EventWriter<J, C> {
    pub fn new(jsonl: J, csv: C) -> io::Result<Self> {
        let mut csv = csv_writer(csv);
        csv.write_record(EVENT_HEADER).map_err(csv_err)?;
        Ok(EventWriter {
            jsonl,
            csv,
            ms: Digits::default(),
        })
    }

    /// One event: a JSON line and a CSV row.
    pub fn write(&mut self, e: &crate::observe::events::Event) -> io::Result<()> {
        serde_json::to_writer(&mut self.jsonl, e)?;
        self.jsonl.write_all(b"\n")?;
        self.csv
            .write_record([
                e.timestamp().as_bytes(),
                self.ms.of(e.sim_ms),
                e.node_name().as_bytes(),
                e.type_.as_bytes(),
                e.reason.as_bytes(),
                e.message.as_bytes(),
            ])
            .map_err(csv_err)
    }

    /// Flushes both files.
    pub fn flush(&mut self) -> io::Result<()> {
        self.jsonl.flush()?;
        self.csv.flush()
    }
}

impl<J: io::Write, C: io::Write> std::fmt::Debug for EventWriter<J, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventWriter")
    }
}

/// A buffer that formats integers for CSV fields without allocating.
#[derive(Default)]
pub struct Digits([u8; 20]);

impl Digits {
    /// `v` in decimal.
    pub fn of(&mut self, mut v: u64) -> &[u8] {
        let mut i = self.0.len();
        loop {
            i -= 1;
            self.0[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        &self.0[i..]
    }
}

/// `timeline.csv`'s header.
pub const TIMELINE_HEADER: [&str; 8] = [
    "node", "pool", "os", "state", "start", "end", "start_ms", "end_ms",
];

/// `node,pool,os,state,start,end,start_ms,end_ms`, by node then time.
/// Only the header when the timeline kept no intervals.
pub fn timeline_csv(scenario: &Scenario, timeline: &TimelineLog) -> io::Result<Vec<u8>> {
    render(|w| write_timeline_csv(w, scenario, timeline))
}

/// [`timeline_csv`], written to `w`. No allocation per row.
pub fn write_timeline_csv(
    w: impl io::Write,
    scenario: &Scenario,
    timeline: &TimelineLog,
) -> io::Result<()> {
    let mut rows = TimelineRows::new(w, scenario)?;
    for id in 0..scenario.fleet.len() as NodeId {
        for iv in timeline.intervals(id) {
            rows.write(id, iv)?;
        }
    }
    rows.finish()
}

/// `timeline.csv` being written, one interval at a time.
pub struct TimelineRows<'a, W: io::Write> {
    w: csv::Writer<W>,
    sc: &'a Scenario,
    start: String,
    end: String,
    digits: (Digits, Digits),
}

impl<'a, W: io::Write> TimelineRows<'a, W> {
    /// Writes the header.
    pub fn new(w: W, sc: &'a Scenario) -> io::Result<Self> {
        let mut w = csv_writer(w);
        w.write_record(TIMELINE_HEADER).map_err(csv_err)?;
        Ok(TimelineRows {
            w,
            sc,
            start: String::new(),
            end: String::new(),
            digits: Default::default(),
        })
    }

    /// One row: `node`'s interval `iv`.
    pub fn write(&mut self, node: NodeId, iv: &Interval) -> io::Result<()> {
        let fleet = &self.sc.fleet;
        let n = fleet.node(node);
        self.start.clear();
        self.end.clear();
        self.sc.start.write(iv.start, &mut self.start);
        self.sc.start.write(iv.end, &mut self.end);
        self.w
            .write_record([
                n.name.as_bytes(),
                fleet.pools[n.pool].name.as_bytes(),
                n.os.name().as_bytes(),
                iv.state.name().as_bytes(),
                self.start.as_bytes(),
                self.end.as_bytes(),
                self.digits.0.of(iv.start.ms()),
                self.digits.1.of(iv.end.ms()),
            ])
            .map_err(csv_err)
    }

    /// Flushes the rows.
    pub fn finish(mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// `incidents.csv`'s header.
pub const INCIDENT_HEADER: [&str; 19] = [
    "node",
    "pool",
    "os",
    "fault",
    "onset_ms",
    "detected_ms",
    "detect_rule",
    "repair_started_ms",
    "actions",
    "passes",
    "errors",
    "recovered_ms",
    "outcome",
    "exclusion",
    "ttd_ms",
    "ttr_ms",
    "onset",
    "outcome_ms",
    "needless",
];

/// An incident's fields, in [`INCIDENT_HEADER`] order.
pub fn incident_fields(scenario: &Scenario, i: &Incident) -> [String; 19] {
    let ms = |t: Option<SimTime>| opt(t.map(|t| t.ms()));
    [
        i.node_name(scenario).to_string(),
        i.pool_name(scenario).to_string(),
        i.os.name().to_string(),
        i.fault_name(scenario).to_string(),
        i.onset.ms().to_string(),
        ms(i.detected),
        opt(i.detect_rule.map(|r| r.name())),
        ms(i.repair_started),
        i.actions_joined(),
        i.passes.to_string(),
        i.errors.to_string(),
        ms(i.recovered),
        i.outcome.name(),
        opt(i.exclusion.map(|e| e.name())),
        opt(i.ttd().map(|d| d.ms())),
        opt(i.ttr().map(|d| d.ms())),
        scenario.start.format(i.onset),
        i.outcome_at.ms().to_string(),
        i.needless.to_string(),
    ]
}

/// One row per incident, in the order given (onset order from the log).
pub fn incidents_csv(scenario: &Scenario, incidents: &[Incident]) -> io::Result<Vec<u8>> {
    render(|w| write_incidents_csv(w, scenario, incidents))
}

/// [`incidents_csv`], written to `w`.
pub fn write_incidents_csv(
    w: impl io::Write,
    scenario: &Scenario,
    incidents: &[Incident],
) -> io::Result<()> {
    let mut rows = IncidentRows::new(w, scenario);
    rows.header()?;
    for i in incidents {
        rows.write(i)?;
    }
    rows.flush()
}

/// `incidents.csv` rows being written, one incident at a time: the fields
/// of [`incident_fields`], with no allocation per row.
pub struct IncidentRows<'a, W: io::Write> {
    w: csv::Writer<W>,
    sc: &'a Scenario,
    text: String,
    digits: Digits,
}

impl<'a, W: io::Write> IncidentRows<'a, W> {
    /// Rows to `w`, no header yet.
    pub fn new(w: W, sc: &'a Scenario) -> Self {
        IncidentRows {
            w: csv_writer(w),
            sc,
            text: String::new(),
            digits: Digits::default(),
        }
    }

    /// The header row.
    pub fn header(&mut self) -> io::Result<()> {
        self.w.write_record(INCIDENT_HEADER).map_err(csv_err)
    }

    fn ms(&mut self, v: Option<u64>) -> io::Result<()> {
        match v {
            Some(v) => self.w.write_field(self.digits.of(v)),
            None => self.w.write_field(b""),
        }
        .map_err(csv_err)
    }

    fn text(&mut self, v: &str) -> io::Result<()> {
        self.w.write_field(v).map_err(csv_err)
    }

    /// One row: `i`.
    pub fn write(&mut self, i: &Incident) -> io::Result<()> {
        let sc = self.sc;
        let ms = |t: Option<SimTime>| t.map(|t| t.ms());
        self.text(i.node_name(sc))?;
        self.text(i.pool_name(sc))?;
        self.text(i.os.name())?;
        self.text(i.fault_name(sc))?;
        self.ms(Some(i.onset.ms()))?;
        self.ms(ms(i.detected))?;
        self.text(i.detect_rule.map_or("", |r| r.name()))?;
        self.ms(ms(i.repair_started))?;
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        for (n, k) in i.actions.iter().enumerate() {
            if n > 0 {
                text.push(';');
            }
            text.push_str(k.name());
        }
        self.text(&text)?;
        self.ms(Some(u64::from(i.passes)))?;
        self.ms(Some(u64::from(i.errors)))?;
        self.ms(ms(i.recovered))?;
        text.clear();
        i.outcome.write_name(&mut text);
        self.text(&text)?;
        self.text(i.exclusion.map_or("", |e| e.name()))?;
        self.ms(i.ttd().map(|d| d.ms()))?;
        self.ms(i.ttr().map(|d| d.ms()))?;
        text.clear();
        sc.start.write(i.onset, &mut text);
        self.text(&text)?;
        self.text = text;
        self.ms(Some(i.outcome_at.ms()))?;
        self.text(if i.needless { "true" } else { "false" })?;
        self.w.write_record(None::<&[u8]>).map_err(csv_err)
    }

    /// Flushes the rows written.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

impl IncidentRows<'_, Vec<u8>> {
    /// The bytes rendered so far.
    pub fn rendered(&self) -> &[u8] {
        self.w.get_ref()
    }

    /// Starts a fresh buffer (the rendered bytes go).
    pub fn clear(&mut self) -> io::Result<()> {
        let w = std::mem::replace(&mut self.w, csv_writer(Vec::new()));
        let mut v = w.into_inner().map_err(|e| e.into_error())?;
        v.clear();
        self.w = csv_writer(v);
        Ok(())
    }
}

/// Escapes text for HTML or XML (the same five entities serve both),
/// dropping the control characters XML 1.0 cannot carry. In an attribute
/// (`attribute`), a newline becomes `&#10;` so that it survives.
pub fn escape_markup(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\n' | '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes `bytes` to `path` through a temporary file in the same directory
/// and a rename, so readers see the old file or the new one, never half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes the run's outputs into `out_dir` (created with its parents) and
/// returns their paths in [`RUN_FILES`] order. On error nothing of this run
/// is left behind and the previous outputs are untouched.
pub fn write_run(
    out_dir: &Path,
    scenario: &Scenario,
    incidents: &[Incident],
    timeline: &TimelineLog,
    events: &EventLog,
    summary: &Summary,
) -> io::Result<Vec<PathBuf>> {
    // Each file through a buffered writer, in RUN_FILES order (and
    // operations.csv for a provider with an operations log).
    let mut staging = Staging::new(out_dir)?;
    let (jsonl, csv) = (
        staging.buffered("events.jsonl")?,
        staging.buffered("events.csv")?,
    );
    write_events(jsonl, csv, events)?;
    staging.stream("timeline.csv", |w| {
        write_timeline_csv(w, scenario, timeline)
    })?;
    staging.stream("incidents.csv", |w| {
        write_incidents_csv(w, scenario, incidents)
    })?;
    staging.write("summary.json", summary.to_json().as_bytes())?;
    // A provider with an operations log instead of Kubernetes events.
    if let Reporting::OpsLog(log) = scenario.policy.preset.provider().reporting() {
        let operation = log.operation;
        staging.stream("operations.csv", |w| {
            write_operations_csv(w, scenario, operation, events)
        })?;
    }
    staging.commit()
}

/// `operations.csv`'s header.
pub const OPERATIONS_HEADER: [&str; 6] = ["time", "sim_ms", "node", "pool", "operation", "status"];

/// `time,sim_ms,node,pool,operation,status`: the operations log of a
/// provider that emits no Kubernetes events (PEERS.md section 0).
pub fn operations_csv(
    scenario: &Scenario,
    operation: &str,
    events: &EventLog,
) -> io::Result<Vec<u8>> {
    render(|w| write_operations_csv(w, scenario, operation, events))
}

/// [`operations_csv`], written to `w`.
pub fn write_operations_csv(
    w: impl io::Write,
    scenario: &Scenario,
    operation: &str,
    events: &EventLog,
) -> io::Result<()> {
    let mut rows = OperationRows::new(w, scenario, operation)?;
    for o in events.operations() {
        rows.write(o)?;
    }
    rows.flush()
}

/// `operations.csv` being written, one record at a time (the header
/// first), with no allocation per row.
pub struct OperationRows<'a, W: io::Write> {
    w: csv::Writer<W>,
    sc: &'a Scenario,
    operation: &'a str,
    name: String,
    time: String,
    digits: Digits,
}

impl<'a, W: io::Write> OperationRows<'a, W> {
    /// Writes the header.
    pub fn new(w: W, sc: &'a Scenario, operation: &'a str) -> io::Result<Self> {
        let mut w = csv_writer(w);
        w.write_record(OPERATIONS_HEADER).map_err(csv_err)?;
        Ok(OperationRows {
            w,
            sc,
            operation,
            name: String::new(),
            time: String::new(),
            digits: Digits::default(),
        })
    }

    /// One row: `o`.
    pub fn write(&mut self, o: &crate::observe::events::Operation) -> io::Result<()> {
        let fleet = &self.sc.fleet;
        let node = fleet.node(o.node);
        // The node the repair acts on: a replacement goes by `-r<k>`.
        self.name.clear();
        self.name.push_str(&node.name);
        if o.replaced > 0 {
            self.name.push_str("-r");
            self.name
                .push_str(std::str::from_utf8(self.digits.of(u64::from(o.replaced))).unwrap_or(""));
        }
        self.time.clear();
        self.sc.start.write(SimTime(o.sim_ms), &mut self.time);
        self.w
            .write_record([
                self.time.as_bytes(),
                self.digits.of(o.sim_ms),
                self.name.as_bytes(),
                fleet.pools[node.pool].name.as_bytes(),
                self.operation.as_bytes(),
                o.status.as_bytes(),
            ])
            .map_err(csv_err)
    }

    /// Flushes the rows.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Stages every chart as `<name>.svg` and `<name>.png`.
pub fn stage_charts(staging: &mut Staging, charts: &[crate::charts::Chart]) -> io::Result<()> {
    for c in charts {
        staging.write(&format!("{}.svg", c.name), c.svg.as_bytes())?;
        staging.write(&format!("{}.png", c.name), &c.png)?;
    }
    Ok(())
}

/// A CSV writer with the outputs' conventions: a header row, RFC 4180
/// quoting, `\n` line ends.
pub fn csv_writer<W: io::Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Record;
    use crate::observe::incidents::IncidentLog;
    use crate::observe::incidents::fixtures::*;

    struct Outputs {
        scenario: Scenario,
        incidents: IncidentLog,
        timeline: TimelineLog,
        events: EventLog,
        summary: Summary,
    }

    fn outputs(records: &[Record]) -> Outputs {
        let scenario = scenario();
        let mut incidents = IncidentLog::new();
        let mut timeline = TimelineLog::new(true);
        let mut events = EventLog::new();
        run(&mut incidents, &scenario, records);
        run(&mut timeline, &scenario, records);
        run(&mut events, &scenario, records);
        let summary = Summary::build(
            &scenario,
            0,
            incidents.stats(),
            &timeline,
            SimTime(scenario.horizon.ms()),
        )
        .with_masked_faults(incidents.masked_faults());
        Outputs {
            scenario,
            incidents,
            timeline,
            events,
            summary,
        }
    }

    fn text(b: Vec<u8>) -> String {
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn events_csv_worked_example_1() {
        let o = outputs(&example1());
        assert_eq!(
            text(events_csv(&o.events).unwrap()),
            "\
time,sim_ms,node,type,reason,message
2026-01-01T01:16:00Z,4560000,system-0,Normal,NodeRebootStart,Node auto-repair is initiating a reboot action due to NotReady status persisting for more than five minutes.
2026-01-01T01:20:00Z,4800000,system-0,Normal,NodeRebootEnd,Reboot action from node auto-repair is completed.
"
        );
    }

    #[test]
    fn events_jsonl_is_one_event_per_line() {
        let o = outputs(&example1());
        let s = events_jsonl(&o.events);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(s.ends_with("}\n"));
        assert_eq!(lines[1], o.events.events()[1].to_json());
    }

    #[test]
    fn timeline_csv_worked_example_1() {
        let o = outputs(&example1());
        assert_eq!(
            text(timeline_csv(&o.scenario, &o.timeline).unwrap()),
            "\
node,pool,os,state,start,end,start_ms,end_ms
system-0,system,linux,Ready,2026-01-01T00:00:00Z,2026-01-01T01:00:40Z,0,3640000
system-0,system,linux,NotReady,2026-01-01T01:00:40Z,2026-01-01T01:16:00Z,3640000,4560000
system-0,system,linux,Rebooting,2026-01-01T01:16:00Z,2026-01-01T01:20:00Z,4560000,4800000
system-0,system,linux,Ready,2026-01-01T01:20:00Z,2026-01-01T02:00:00Z,4800000,7200000
system-1,system,linux,Ready,2026-01-01T00:00:00Z,2026-01-01T02:00:00Z,0,7200000
system-2,system,linux,Ready,2026-01-01T00:00:00Z,2026-01-01T02:00:00Z,0,7200000
win-0,win,windows,Ready,2026-01-01T00:00:00Z,2026-01-01T02:00:00Z,0,7200000
"
        );
    }

    #[test]
    fn incidents_csv_worked_example_1() {
        let o = outputs(&example1());
        assert_eq!(
            text(incidents_csv(&o.scenario, o.incidents.incidents()).unwrap()),
            "\
node,pool,os,fault,onset_ms,detected_ms,detect_rule,repair_started_ms,actions,passes,errors,recovered_ms,outcome,exclusion,ttd_ms,ttr_ms,onset,outcome_ms,needless
system-0,system,linux,kubelet-down,3635000,4260000,not-ready,4560000,reboot,1,0,4800000,repaired-by-reboot,,625000,1165000,2026-01-01T01:00:35Z,4800000,false
"
        );
    }

    #[test]
    fn csv_quotes_fields_with_commas_and_quotes() {
        let mut s = scenario();
        s.faults[1].name = "disk \"full\", really".into();
        let recs = vec![
            Record::FaultArrived {
                at: hms(0, 1, 0),
                node: 3,
                fault: 1,
                heal_at: None,
                masked: false,
            },
            Record::Outcome {
                at: hms(0, 12, 0),
                node: 3,
                outcome: crate::policy::Outcome::Excluded(crate::policy::Exclusion::Upgrading),
            },
        ];
        let mut log = IncidentLog::new();
        run(&mut log, &s, &recs);
        assert_eq!(
            text(incidents_csv(&s, log.incidents()).unwrap())
                .lines()
                .nth(1)
                .unwrap(),
            r#"win-0,win,windows,"disk ""full"", really",60000,,,,,0,0,,excluded:upgrading,upgrading,,,2026-01-01T00:01:00Z,720000,false"#
        );
    }

    #[test]
    fn summary_json_is_pretty_with_a_trailing_newline() {
        let o = outputs(&example1());
        let j = o.summary.to_json();
        assert!(j.starts_with("{\n  \"provenance\": {\n    \"tool\": \"repairsim\",\n"));
        assert!(j.ends_with("}\n"));
    }

    #[test]
    fn incidents_csv_mixed_in_onset_order() {
        let o = outputs(&mixed());
        assert_eq!(
            text(incidents_csv(&o.scenario, o.incidents.incidents()).unwrap()),
            "\
node,pool,os,fault,onset_ms,detected_ms,detect_rule,repair_started_ms,actions,passes,errors,recovered_ms,outcome,exclusion,ttd_ms,ttr_ms,onset,outcome_ms,needless
system-1,system,linux,disk-full,30000,660000,no-status,960000,reboot;reimage;redeploy;reboot;reimage,2,1,6010000,gave-up-timeout,,630000,5980000,2026-01-01T00:00:30Z,5040000,false
system-2,system,linux,kubelet-down,1800000,,,,,0,0,1980000,self-healed,,,180000,2026-01-01T00:30:00Z,1980000,false
win-0,win,windows,kubelet-down,3600000,4260000,not-ready,,,0,0,,excluded:upgrading,upgrading,660000,,2026-01-01T01:00:00Z,4560000,false
system-0,system,linux,kubelet-down,3635000,4260000,not-ready,4560000,reboot,1,0,4800000,repaired-by-reboot,,625000,1165000,2026-01-01T01:00:35Z,4800000,false
"
        );
    }

    #[test]
    fn incident_rows_write_the_incident_fields() {
        // A year of the default fleet: every outcome kind, errors, open ones.
        let sc = crate::cli::load_scenario(
            None,
            &[crate::scenario::Patch::Set {
                key: "horizon".into(),
                value: "365d".into(),
            }],
        )
        .unwrap();
        let r = crate::cli::run::simulate_run(&sc, 0);
        assert!(r.incidents.len() > 1_000, "{}", r.incidents.len());
        let by_fields = csv_bytes(
            &INCIDENT_HEADER,
            r.incidents.iter().map(|i| incident_fields(&sc, i)),
        )
        .unwrap();
        assert!(by_fields == incidents_csv(&sc, &r.incidents).unwrap());
    }

    #[test]
    fn events_csv_error_rows() {
        let o = outputs(&mixed());
        let csv = text(events_csv(&o.events).unwrap());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1 + 12);
        assert_eq!(
            lines[2],
            "2026-01-01T00:20:00Z,1200000,system-1,Warning,NodeRebootError,\
Node auto-repair reboot action failed due to an operation failure. See error details here: InvalidParameter"
        );
        assert_eq!(
            lines[5],
            "2026-01-01T00:40:00Z,2400000,system-1,Normal,NodeRedeployStart,\
Node auto-repair is initiating a redeploy action due to NotReady status persisting more than five minutes."
        );
    }

    #[test]
    fn summary_json_worked_example_1_compact() {
        let o = outputs(&example1());
        let zeros = |hit: Option<&str>| {
            crate::policy::providers::Provider::Aks
                .vocabulary()
                .outcomes()
                .iter()
                .map(|x| x.name())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(|n| format!("\"{n}\":{}", u8::from(Some(n.as_str()) == hit)))
                .collect::<Vec<_>>()
                .join(",")
        };
        let hit = zeros(Some("repaired-by-reboot"));
        let none = zeros(None);
        let expected = format!(
            "{{\"provenance\":{{\"tool\":\"repairsim\",\"version\":\"{v}\",\"scenario\":\"example-1\",\"content_hash\":\"0123456789abcdef\",\"seed\":7,\"replication\":0,\"preset\":\"aks-2024-08\",\"patches\":[]}},\
\"fleet\":{{\"nodes\":4,\"linux\":3,\"windows\":1,\"pools\":[{{\"name\":\"system\",\"os\":\"linux\",\"count\":3,\"min_ready\":2,\"min_ready_at_ms\":3640000}},{{\"name\":\"win\",\"os\":\"windows\",\"count\":1,\"min_ready\":1,\"min_ready_at_ms\":0}}]}},\
\"horizon_ms\":7200000,\"horizon\":\"2h\",\
\"incidents\":{{\"total\":1,\"masked_faults\":0,\"by_outcome\":{{{hit}}},\"by_os\":{{\"linux\":{{{hit}}},\"windows\":{{{none}}}}},\"by_pool\":{{\"system\":{{{hit}}},\"win\":{{{none}}}}}}},\
\"time_to_detect\":{{\"count\":1,\"min_ms\":625000,\"p50_ms\":625000,\"p90_ms\":625000,\"p99_ms\":625000,\"max_ms\":625000,\"mean_ms\":625000,\"min\":\"10m25s\",\"p50\":\"10m25s\",\"p90\":\"10m25s\",\"p99\":\"10m25s\",\"max\":\"10m25s\",\"mean\":\"10m25s\"}},\
\"time_to_recover\":{{\"count\":1,\"min_ms\":1165000,\"p50_ms\":1165000,\"p90_ms\":1165000,\"p99_ms\":1165000,\"max_ms\":1165000,\"mean_ms\":1165000,\"min\":\"19m25s\",\"p50\":\"19m25s\",\"p90\":\"19m25s\",\"p99\":\"19m25s\",\"max\":\"19m25s\",\"mean\":\"19m25s\"}},\
\"time_to_recover_restricted\":{{\"incidents\":1,\"censored\":0,\"bound_ms\":7200000,\"bound\":\"2h\",\"mean_ms\":1165000,\"mean\":\"19m25s\"}},\
\"actions\":{{\"started\":{{\"reboot\":1,\"reimage\":0,\"redeploy\":0}},\"errors\":0,\"errors_by_code\":{{}}}},\
\"failed_repairs\":0,\"needless_repairs\":0,\"expired_event_incidents\":0,\"not_ready_ms\":1160000,\"not_ready_node_hours\":0.32222222222222224,\"availability\":0.9597222222222223}}",
            v = env!("CARGO_PKG_VERSION")
        );
        assert_eq!(serde_json::to_string(&o.summary).unwrap(), expected);
        // The file is the same object, pretty, with a trailing newline.
        let pretty: serde_json::Value = serde_json::from_str(&o.summary.to_json()).unwrap();
        assert_eq!(
            pretty,
            serde_json::from_str::<serde_json::Value>(&expected).unwrap()
        );
    }

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("repairsim-report-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        let _ = fs::remove_file(&d);
        d
    }

    /// A directory's entries by name, sorted (the staging tests' too).
    pub(super) fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn write_run_writes_every_file_and_no_staging() {
        let o = outputs(&example1());
        let dir = scratch("ok").join("nested");
        let paths = write_run(
            &dir,
            &o.scenario,
            o.incidents.incidents(),
            &o.timeline,
            &o.events,
            &o.summary,
        )
        .unwrap();
        assert_eq!(
            paths,
            RUN_FILES.iter().map(|n| dir.join(n)).collect::<Vec<_>>()
        );
        assert_eq!(
            listing(&dir),
            [
                ".repairsim",
                "events.csv",
                "events.jsonl",
                "incidents.csv",
                "summary.json",
                "timeline.csv"
            ]
        );
        assert_eq!(
            fs::read_to_string(dir.join("summary.json")).unwrap(),
            o.summary.to_json()
        );
        assert_eq!(
            fs::read(dir.join("timeline.csv")).unwrap(),
            timeline_csv(&o.scenario, &o.timeline).unwrap()
        );
        // A second run replaces the files in place.
        write_run(
            &dir,
            &o.scenario,
            o.incidents.incidents(),
            &o.timeline,
            &o.events,
            &o.summary,
        )
        .unwrap();
        assert_eq!(listing(&dir).len(), 6);
        let _ = fs::remove_dir_all(dir.parent().unwrap());
    }

    #[test]
    fn write_run_into_a_regular_file_fails_and_leaves_nothing() {
        let o = outputs(&example1());
        let f = scratch("file");
        fs::write(&f, "not a directory").unwrap();
        let err = write_run(
            &f,
            &o.scenario,
            o.incidents.incidents(),
            &o.timeline,
            &o.events,
            &o.summary,
        );
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&f).unwrap(), "not a directory");
        // Below a regular file: nothing can be created.
        let below = f.join("out");
        assert!(
            write_run(
                &below,
                &o.scenario,
                o.incidents.incidents(),
                &o.timeline,
                &o.events,
                &o.summary
            )
            .is_err()
        );
        assert_eq!(fs::read_to_string(&f).unwrap(), "not a directory");
        let _ = fs::remove_file(&f);
    }

    #[test]
    fn write_run_failure_leaves_previous_outputs_untouched() {
        let o = outputs(&example1());
        let dir = scratch("keep");
        let write = || {
            write_run(
                &dir,
                &o.scenario,
                o.incidents.incidents(),
                &o.timeline,
                &o.events,
                &o.summary,
            )
        };
        write().unwrap();
        fs::write(dir.join("summary.json"), "old").unwrap();
        // The staging directory's place is taken: the run fails before
        // anything moves.
        let name = dir.file_name().unwrap().to_string_lossy();
        let staging = dir.with_file_name(format!(".{name}.repairsim-tmp-{}", std::process::id()));
        fs::write(&staging, "in the way").unwrap();
        assert!(write().is_err());
        assert_eq!(listing(&dir).len(), 6);
        assert_eq!(fs::read_to_string(dir.join("summary.json")).unwrap(), "old");
        let _ = fs::remove_file(&staging);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn write_atomic_replaces_and_cleans_up() {
        let dir = scratch("atomic");
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(listing(&dir), ["a.txt"]);
        // Onto a directory: fails, the temporary file is gone.
        fs::create_dir(dir.join("d")).unwrap();
        assert!(write_atomic(&dir.join("d"), b"x").is_err());
        assert_eq!(listing(&dir), ["a.txt", "d"]);
        assert!(write_atomic(&dir.join("missing").join("b.txt"), b"x").is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}
