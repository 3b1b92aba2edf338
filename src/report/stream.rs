//! A run's files written as it runs, in memory bounded by the live state.
//!
//! [`RunStream`] is the observer `run`, `report` and `bench --run` simulate
//! with. It wraps the three logs, each in its handing-off mode, and after
//! every record takes what became final:
//! - events go to `events.jsonl` and `events.csv` at once (the event log
//!   streams them);
//! - final incidents are rendered as `incidents.csv` rows into a
//!   [`SpillSort`] keyed (onset, node, seq), the file's order; the first
//!   [`MAX_INCIDENT_ROWS`] are also kept for the report page;
//! - final intervals go into a second sorter keyed (node, start), the
//!   order of `timeline.csv`, each as its end and state (9 bytes);
//! - operations-log records are written to `operations.csv` in time order;
//! - with charts, each node's time not Ready inside the chart's window is
//!   summed, and the window's markers and the capacity step series are
//!   written to scratch files, read back once to draw.
//!
//! [`RunStream::write`] then merges the sorters into their files. Scratch
//! files live in the staging directory, so a failed run removes them too.
//!
//! Invariant: memory is O(nodes + open incidents + sorter budgets + chart
//! rows), whatever the horizon; the files are byte for byte what
//! [`super::stage_run_files`] writes from kept records.

use super::figures::{ChartRows, Focus, Window};
use super::page::MAX_INCIDENT_ROWS;
use super::spill::{Key, SpillSort};
use super::{IncidentRows, OperationRows, Staging, TimelineRows};
use crate::charts::TimelineRow;
use crate::fleet::{NodeId, NodeState};
use crate::k8s::EventPhase;
use crate::observe::events::{EventLog, Marker};
use crate::observe::incidents::{Incident, IncidentLog};
use crate::observe::timeline::{Interval, TimelineLog};
use crate::observe::{Observer, Record};
use crate::policy::providers::Reporting;
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

/// What the charts need from the run, gathered as it goes.
struct ChartFeed {
    window: Window,
    focus: Focus,
    /// Time not Ready inside the window, by node \[ms\].
    down: Vec<u64>,
    /// The window's markers: `ms (u64) · node (u32) · kind (u8)`.
    markers: BufWriter<File>,
    markers_path: PathBuf,
    /// The capacity series: `ms (u64) · series (u32) · level (u32)`.
    steps: BufWriter<File>,
    steps_path: PathBuf,
    /// The highest Ready level of any pool and the most nodes in repair.
    maxima: (u32, u32),
    pools: u32,
}

/// The operations log being written, to a scratch file staged at the end
/// (after `summary.json`, as [`super::write_run`] orders them).
struct OpsRows<'a> {
    rows: OperationRows<'a, BufWriter<File>>,
    path: PathBuf,
}

/// The observer of a streamed run. See the module doc.
pub struct RunStream<'a> {
    sc: &'a Scenario,
    pub incidents: IncidentLog,
    pub timeline: TimelineLog,
    pub events: EventLog,
    incident_rows: SpillSort,
    interval_rows: SpillSort,
    /// Renders incident rows, one after the other.
    row: IncidentRows<'a, Vec<u8>>,
    /// The first incidents in output order, with their keys, ascending.
    first: Vec<(Key, Incident)>,
    ops: Option<OpsRows<'a>>,
    chart: Option<ChartFeed>,
    /// The first write error: the engine cannot fail, so writing stops
    /// and [`RunStream::write`] returns it.
    error: Option<io::Error>,
}

/// What [`RunStream::write`] leaves for the charts and the report page.
pub struct Streamed {
    /// The first [`MAX_INCIDENT_ROWS`] incidents in `incidents.csv` order.
    pub first_incidents: Vec<Incident>,
    /// The timeline chart's rows and how many nodes it could show.
    pub timeline_rows: Option<(Vec<TimelineRow>, usize)>,
    /// The capacity series' scratch file and maxima.
    pub steps: Option<(PathBuf, (u32, u32))>,
}

impl<'a> RunStream<'a> {
    /// Opens `events.jsonl` and `events.csv` in `staging`, and the scratch
    /// files. `node_events`: `run --events all`. `chart`: the timeline's
    /// window and focus, or `None` without charts. `budget`: bytes each
    /// sorter gathers before it spills.
    pub fn new(
        sc: &'a Scenario,
        staging: &mut Staging,
        node_events: bool,
        chart: Option<(Window, Focus)>,
        budget: usize,
    ) -> io::Result<RunStream<'a>> {
        let jsonl = staging.create("events.jsonl")?;
        let csv = staging.create("events.csv")?;
        let events = EventLog::streaming(jsonl, csv, node_events)?;
        let scratch = |name: &str| -> io::Result<(BufWriter<File>, PathBuf)> {
            let path = staging.scratch(name);
            Ok((
                BufWriter::with_capacity(1 << 16, File::create(&path)?),
                path,
            ))
        };
        let chart = match chart {
            None => None,
            Some((window, focus)) => {
                let (markers, markers_path) = scratch("markers")?;
                let (steps, steps_path) = scratch("steps")?;
                Some(ChartFeed {
                    window,
                    focus,
                    down: vec![0; sc.fleet.len()],
                    markers,
                    markers_path,
                    steps,
                    steps_path,
                    maxima: (0, 0),
                    pools: sc.fleet.pools.len() as u32,
                })
            }
        };
        let ops = match sc.policy.preset.provider().reporting() {
            Reporting::OpsLog(log) => {
                let (w, path) = scratch("operations")?;
                Some(OpsRows {
                    rows: OperationRows::new(w, sc, log.operation)?,
                    path,
                })
            }
            _ => None,
        };
        Ok(RunStream {
            sc,
            incidents: IncidentLog::handing_off(),
            timeline: TimelineLog::handing_off(chart.is_some()),
            events,
            incident_rows: SpillSort::new(staging.scratch("incidents"), budget),
            interval_rows: SpillSort::new(staging.scratch("intervals"), budget),
            row: IncidentRows::new(Vec::new(), sc),
            first: Vec::new(),
            ops,
            chart,
            error: None,
        })
    }

    /// Takes what became final from the logs.
    fn take(&mut self) {
        if let Err(e) = self.take_or_fail() {
            self.error.get_or_insert(e);
        }
    }

    fn take_or_fail(&mut self) -> io::Result<()> {
        // After an error, what became final is dropped: the run's outputs
        // are discarded anyway, and memory stays flat.
        let failed = self.error.is_some();
        for (seq, inc) in self.incidents.take_final() {
            if failed {
                continue;
            }
            let key = [inc.onset.ms(), u64::from(inc.node), seq];
            let start = self.row.rendered().len();
            self.row.write(&inc)?;
            self.row.flush()?;
            self.incident_rows
                .push(key, &self.row.rendered()[start..])?;
            // The buffer is reused: no allocation per row.
            if start > 1 << 20 {
                self.row.clear()?;
            }
            keep_first(&mut self.first, key, inc);
        }
        for (node, iv) in self.timeline.take_final() {
            if failed {
                continue;
            }
            let mut payload = [0u8; 9];
            payload[..8].copy_from_slice(&iv.end.ms().to_le_bytes());
            payload[8] = iv.state.index() as u8;
            self.interval_rows
                .push([u64::from(node), iv.start.ms(), 0], &payload)?;
            if let Some(c) = &mut self.chart
                && c.focus.keeps(node)
            {
                c.down[node as usize] += c.window.not_ready_ms(&iv);
            }
        }
        match &mut self.chart {
            Some(c) if !failed => {
                for s in self.timeline.take_steps() {
                    let m = if s.series < c.pools {
                        &mut c.maxima.0
                    } else {
                        &mut c.maxima.1
                    };
                    *m = (*m).max(s.level);
                    c.steps.write_all(&s.at.to_le_bytes())?;
                    c.steps.write_all(&s.series.to_le_bytes())?;
                    c.steps.write_all(&s.level.to_le_bytes())?;
                }
                for m in self.events.take_markers() {
                    if c.window.marker(&m).is_some() {
                        c.markers.write_all(&m.sim_ms.to_le_bytes())?;
                        c.markers.write_all(&m.node.to_le_bytes())?;
                        c.markers.write_all(&[phase_index(m.phase)])?;
                    }
                }
            }
            _ => {
                self.timeline.take_steps().for_each(drop);
                self.events.take_markers().for_each(drop);
            }
        }
        for o in self.events.take_operations() {
            if let Some(ops) = self.ops.as_mut().filter(|_| !failed) {
                ops.rows.write(&o)?;
            }
        }
        Ok(())
    }

    /// Writes `timeline.csv`, `incidents.csv` and `operations.csv` (for a
    /// provider with an operations log) into `staging`, with `summary`
    /// (`summary.json`) between them as [`super::RUN_FILES`] orders, and
    /// reads back what the charts need. Returns the run's first write
    /// error, if any.
    pub fn write(self, staging: &mut Staging, summary: &[u8]) -> io::Result<Streamed> {
        let RunStream {
            sc,
            mut events,
            incident_rows,
            interval_rows,
            first,
            ops,
            chart,
            error,
            ..
        } = self;
        if let Some(e) = error {
            return Err(e);
        }
        events.finish_files()?;
        let mut rows = chart
            .as_ref()
            .map(|c| ChartRows::new(sc, &c.down, c.window));
        staging.stream("timeline.csv", |w| {
            let mut out = TimelineRows::new(w, sc)?;
            interval_rows.merge(|key, p| {
                let iv = decode_interval(key, p)?;
                let node = key[0] as NodeId;
                if let Some(rows) = &mut rows {
                    rows.interval(node, &iv);
                }
                out.write(node, &iv)
            })?;
            out.finish()
        })?;
        staging.stream("incidents.csv", |w| {
            let mut header = IncidentRows::new(&mut *w, sc);
            header.header()?;
            header.flush()?;
            drop(header);
            incident_rows.merge(|_, row| w.write_all(row))
        })?;
        staging.write("summary.json", summary)?;
        if let Some(mut ops) = ops {
            ops.rows.flush()?;
            drop(ops.rows);
            staging.adopt(&ops.path, "operations.csv")?;
        }
        let mut steps = None;
        if let (Some(mut c), Some(rows)) = (chart, rows.as_mut()) {
            c.markers.flush()?;
            c.steps.flush()?;
            drop(c.markers);
            drop(c.steps);
            let mut r = BufReader::with_capacity(1 << 16, File::open(&c.markers_path)?);
            let mut rec = [0u8; 13];
            while read_record(&mut r, &mut rec)? {
                let m = Marker {
                    sim_ms: u64::from_le_bytes(rec[..8].try_into().unwrap_or_default()),
                    node: u32::from_le_bytes(rec[8..12].try_into().unwrap_or_default()),
                    phase: phase_of(rec[12]),
                };
                rows.marker(&m);
            }
            // The scratch files go with the staging directory.
            steps = Some((c.steps_path, c.maxima));
        }
        Ok(Streamed {
            first_incidents: first.into_iter().map(|(_, i)| i).collect(),
            timeline_rows: rows.map(ChartRows::finish),
            steps,
        })
    }
}

/// Keeps `inc` if it is among the first [`MAX_INCIDENT_ROWS`] by key.
fn keep_first(first: &mut Vec<(Key, Incident)>, key: Key, inc: Incident) {
    if first.len() == MAX_INCIDENT_ROWS && first.last().is_some_and(|l| l.0 < key) {
        return;
    }
    let at = first.partition_point(|f| f.0 < key);
    first.insert(at, (key, inc));
    first.truncate(MAX_INCIDENT_ROWS);
}

/// Reads one fixed-size record; false at the end.
fn read_record(r: &mut impl Read, rec: &mut [u8]) -> io::Result<bool> {
    match r.read_exact(rec) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reads the capacity series a streamed run wrote and hands each point
/// to `f` as `(series, (ms, level))`, in time order.
pub fn read_steps(path: &std::path::Path, f: &mut dyn FnMut(usize, (u64, u32))) -> io::Result<()> {
    let mut r = BufReader::with_capacity(1 << 16, File::open(path)?);
    let mut rec = [0u8; 16];
    while read_record(&mut r, &mut rec)? {
        let at = u64::from_le_bytes(rec[..8].try_into().unwrap_or_default());
        let series = u32::from_le_bytes(rec[8..12].try_into().unwrap_or_default());
        let level = u32::from_le_bytes(rec[12..].try_into().unwrap_or_default());
        f(series as usize, (at, level));
    }
    Ok(())
}

fn decode_interval(key: Key, p: &[u8]) -> io::Result<Interval> {
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "corrupt timeline scratch file");
    if p.len() != 9 {
        return Err(bad());
    }
    let end = u64::from_le_bytes(p[..8].try_into().map_err(|_| bad())?);
    let state = *NodeState::ALL.get(p[8] as usize).ok_or_else(bad)?;
    Ok(Interval {
        start: SimTime(key[1]),
        end: SimTime(end),
        state,
    })
}

fn phase_index(p: EventPhase) -> u8 {
    match p {
        EventPhase::Start => 0,
        EventPhase::End => 1,
        EventPhase::Error => 2,
    }
}

fn phase_of(b: u8) -> EventPhase {
    match b {
        0 => EventPhase::Start,
        1 => EventPhase::End,
        _ => EventPhase::Error,
    }
}

impl Observer for RunStream<'_> {
    fn begin(&mut self, s: &Scenario) {
        self.incidents.begin(s);
        self.timeline.begin(s);
        self.events.begin(s);
        self.take();
    }

    fn record(&mut self, rec: &Record) {
        if let &Record::FaultArrived { node, .. } = rec
            && let Some(n) = self.sc.fleet.nodes.get(node as usize)
        {
            crate::cache::prefetch(n.name.as_bytes());
        }
        self.incidents.record(rec);
        self.timeline.record(rec);
        self.events.record(rec);
        self.take();
    }

    fn finish(&mut self, horizon: SimTime) {
        self.incidents.finish(horizon);
        self.timeline.finish(horizon);
        self.events.finish(horizon);
        self.take();
    }

    fn prefetch(&self, node: NodeId) {
        // incidents.csv names the node: its fleet entry (and, at the
        // arrival, its name's bytes).
        crate::cache::prefetch_at(&self.sc.fleet.nodes, node as usize);
        self.incidents.prefetch(node);
        self.timeline.prefetch(node);
        self.events.prefetch(node);
    }
}
