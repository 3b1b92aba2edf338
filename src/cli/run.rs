//! `repairsim run [SCENARIO]`: simulate one scenario, write its outputs and
//! charts, and print a short summary.

use super::{CliError, load_scenario};
use crate::charts::Chart;
use crate::engine::Sim;
use crate::invariants::{InvariantChecker, Violation};
use crate::observe::Fanout;
use crate::observe::events::EventLog;
use crate::observe::incidents::{Incident, IncidentLog};
use crate::observe::timeline::TimelineLog;
use crate::report::figures::{
    Focus, RunChartData, Window, capacity_chart_streamed, charts_of as draw, run_charts,
    timeline_chart,
};
use crate::report::spill::DEFAULT_BUDGET;
use crate::report::stream::RunStream;
use crate::report::{self, Staging};
use crate::scenario::{Patch, Scenario};
use crate::stats::Summary;
use crate::time::{SimTime, parse_duration};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario file (TOML). Without it, the embedded default scenario runs:
    /// a mixed Linux and Windows fleet for 30 days.
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// Directory for the outputs [default: reports/NAME/, NAME being the scenario name].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override the scenario's seed (the same as `--set seed=N`, applied last).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Which replication's random streams to use (0 is the default run).
    #[arg(long, default_value_t = 0)]
    pub replication: u64,
    /// Which events events.jsonl and events.csv hold: the repair
    /// controller's, or all, with the kubelet's and the node controller's
    /// Node events (RegisteredNode, NodeNotReady, NodeReady) as a cluster
    /// records them, which `repairsim import` reads back.
    #[arg(long, value_enum, default_value_t = Events::AutoRepair, value_name = "WHICH")]
    pub events: Events,
    #[command(flatten)]
    pub charts: ChartArgs,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
    /// Memory each external sort (timeline.csv, incidents.csv) fills
    /// before it spills a sorted run to a scratch file \[KiB\]; for tests.
    #[arg(long, hide = true, value_name = "KIB")]
    pub spill_kib: Option<usize>,
}

/// `run --events`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Events {
    /// The repair controller's events only.
    AutoRepair,
    /// Also the kubelet's and the node controller's Node events.
    All,
}

/// Chart options shared by `run` and `report`.
#[derive(clap::Args, Debug, Clone)]
pub struct ChartArgs {
    /// Write no charts (SVG and PNG).
    #[arg(long)]
    pub no_charts: bool,
    /// Start of the timeline chart's window, as simulated time (e.g. 2h) [default: 0s].
    #[arg(long, value_name = "DURATION")]
    pub from: Option<String>,
    /// End of the timeline chart's window, as simulated time (e.g. 1d) [default: the horizon].
    #[arg(long, value_name = "DURATION")]
    pub to: Option<String>,
    /// Only nodes of these pools in the timeline chart (repeatable, or
    /// comma-separated) [default: every pool].
    #[arg(long = "pool", value_name = "POOL", value_delimiter = ',')]
    pub pools: Vec<String>,
    /// Only these nodes in the timeline chart, by name as in timeline.csv
    /// (repeatable, or comma-separated) [default: every node].
    #[arg(long = "nodes", value_name = "NODE", value_delimiter = ',')]
    pub nodes: Vec<String>,
}

impl ChartArgs {
    /// Checks the flags before anything runs, and warns when `--to` is
    /// past the horizon (the timeline then ends at the horizon).
    pub fn check(&self, sc: &Scenario) -> Result<(), CliError> {
        self.window(sc)?;
        self.focus(sc)?;
        if let Some(t) = &self.to
            && parse_duration(t).is_ok_and(|d| d > sc.horizon)
        {
            super::eprint_line(&format!(
                "warning: --to {t} is past the horizon {}; the timeline ends at the horizon",
                sc.horizon
            ));
        }
        Ok(())
    }

    /// The timeline's window and focus, or `None` with `--no-charts`.
    pub fn of(&self, sc: &Scenario) -> Result<Option<(Window, Focus)>, CliError> {
        if self.no_charts {
            return Ok(None);
        }
        Ok(Some((self.window(sc)?, self.focus(sc)?)))
    }

    /// The nodes `--pool` and `--nodes` keep in the timeline chart.
    pub fn focus(&self, sc: &Scenario) -> Result<Focus, CliError> {
        let fleet = &sc.fleet;
        let mut pools = Vec::new();
        for name in &self.pools {
            match fleet.pools.iter().position(|p| p.name == *name) {
                Some(i) => pools.push(i),
                None => {
                    let names: Vec<&str> = fleet.pools.iter().map(|p| p.name.as_str()).collect();
                    return Err(CliError::Input(format!(
                        "--pool {name}: no pool of that name; the pools are {}",
                        names.join(", ")
                    )));
                }
            }
        }
        let wanted: std::collections::BTreeSet<&str> =
            self.nodes.iter().map(String::as_str).collect();
        let mut found = std::collections::BTreeSet::new();
        let keep: Vec<bool> = fleet
            .nodes
            .iter()
            .map(|n| {
                let named = wanted.is_empty() || wanted.contains(n.name.as_str());
                if named && !wanted.is_empty() {
                    found.insert(n.name.as_str());
                }
                named && (pools.is_empty() || pools.contains(&n.pool))
            })
            .collect();
        if let Some(missing) = wanted.difference(&found).next() {
            let first = fleet.nodes.first().map_or("", |n| n.name.as_str());
            return Err(CliError::Input(format!(
                "--nodes {missing}: no node of that name; names are POOL-INDEX as in timeline.csv, \
                 such as {first}"
            )));
        }
        if !keep.iter().any(|&k| k) {
            let mut flags = Vec::new();
            if !self.pools.is_empty() {
                flags.push(format!("--pool {}", self.pools.join(",")));
            }
            if !self.nodes.is_empty() {
                flags.push(format!("--nodes {}", self.nodes.join(",")));
            }
            return Err(CliError::Input(format!(
                "{}: no node is in both; name nodes of the pools given, or drop one flag",
                flags.join(" ")
            )));
        }
        let mut label: Vec<String> = Vec::new();
        if !self.pools.is_empty() {
            label.push(format!("pool {}", self.pools.join(", ")));
        }
        if !self.nodes.is_empty() {
            label.push(format!("nodes {}", self.nodes.join(", ")));
        }
        Ok(Focus {
            keep: (!label.is_empty()).then_some(keep),
            label: label.join("; "),
        })
    }

    /// The timeline window \[ms\] within the scenario's horizon.
    pub fn window(&self, sc: &Scenario) -> Result<Window, CliError> {
        let horizon = sc.horizon.ms();
        let parse = |flag: &str, v: &Option<String>, default: u64| -> Result<u64, CliError> {
            match v {
                None => Ok(default),
                Some(s) => parse_duration(s)
                    .map(|d| d.ms().min(horizon))
                    .map_err(|e| CliError::Input(format!("--{flag} {s}: {e}"))),
            }
        };
        let from = parse("from", &self.from, 0)?;
        if from >= horizon {
            return Err(CliError::Input(format!(
                "--from {}: at or past the horizon {}; the window must start inside the run",
                self.from.as_deref().unwrap_or("0s"),
                sc.horizon
            )));
        }
        let to = parse("to", &self.to, horizon)?;
        if to <= from {
            return Err(CliError::Input(format!(
                "--from/--to: the window must end after it starts (from {}, to {}, horizon {})",
                self.from.as_deref().unwrap_or("0s"),
                self.to.as_deref().unwrap_or("the horizon"),
                sc.horizon
            )));
        }
        Ok(Window { from, to })
    }
}

/// What one replication recorded, with its summary.
pub struct RunOutput {
    pub incidents: Vec<Incident>,
    pub timeline: TimelineLog,
    pub events: EventLog,
    pub summary: Summary,
    /// Broken invariants of docs/POLICY.md: a bug in repairsim, not in the input.
    pub violations: Vec<Violation>,
}

/// Simulates one replication with every observer `run` writes from, and
/// checks docs/POLICY.md's invariants on the way.
pub fn simulate_run(sc: &Scenario, replication: u64) -> RunOutput {
    simulate_run_with(sc, replication, Events::AutoRepair)
}

/// [`simulate_run`], with the events `which` asks for.
pub fn simulate_run_with(sc: &Scenario, replication: u64, which: Events) -> RunOutput {
    let events = match which {
        Events::AutoRepair => EventLog::new(),
        Events::All => EventLog::with_node_events(),
    };
    simulate(sc, replication, events)
}

/// What a streamed run leaves once its files and charts are staged.
pub struct StreamedRun {
    pub summary: Summary,
    /// The first [`crate::report::page::MAX_INCIDENT_ROWS`] incidents, in
    /// `incidents.csv` order.
    pub first_incidents: Vec<Incident>,
    /// Events emitted.
    pub events: u64,
    pub charts: Vec<Chart>,
    /// Broken invariants of docs/POLICY.md: a bug in repairsim, not in the input.
    pub violations: Vec<Violation>,
}

impl StreamedRun {
    /// Says every broken invariant on stderr: `run` and `report` still
    /// write their outputs, so a bug report has them.
    pub fn warn_violations(&self) {
        warn(&self.violations);
    }
}

fn warn(violations: &[Violation]) {
    for v in violations {
        super::eprint_line(&format!("repairsim bug: invariant violated: {v}"));
    }
}

/// Simulates one replication and stages every file
/// [`report::write_run`] writes from kept records, and the charts, writing as the run goes ([`RunStream`]): memory
/// follows the live state, not the run's length. `charts`: the timeline
/// chart's window and focus, or `None` for no charts. `budget`: bytes each
/// external sort gathers before it spills to a scratch file.
pub fn stream_run(
    sc: &Scenario,
    replication: u64,
    which: Events,
    charts: Option<(Window, Focus)>,
    staging: &mut Staging,
    budget: usize,
) -> std::io::Result<StreamedRun> {
    let horizon = SimTime::ZERO + sc.horizon;
    let window = charts.as_ref().map(|c| (c.0, c.1.clone()));
    let mut stream = RunStream::new(sc, staging, which == Events::All, charts, budget)?;
    let mut checker = InvariantChecker::new(sc);
    {
        let mut obs = Fanout(vec![&mut stream, &mut checker]);
        Sim::new(sc, replication, &mut obs).run();
    }
    let summary = Summary::build(
        sc,
        replication,
        stream.incidents.stats(),
        &stream.timeline,
        horizon,
    )
    .with_masked_faults(stream.incidents.masked_faults());
    let events = stream.events.count();
    let timeline = std::mem::replace(&mut stream.timeline, TimelineLog::new(false));
    let stats = std::mem::replace(&mut stream.incidents, IncidentLog::folding()).into_stats();
    let out = stream.write(staging, summary.to_json().as_bytes())?;
    let mut charts = Vec::new();
    if let (Some((window, focus)), Some((rows, total)), Some(steps)) =
        (window, out.timeline_rows, out.steps)
    {
        let data = RunChartData {
            timeline: timeline_chart(sc, &rows, total, window, &focus),
            capacity: capacity_chart_streamed(sc, &timeline, summary.horizon_ms, &steps)?,
            incidents: stats.total as usize,
            ttr: stats.ttr.runs().collect(),
            ttd: stats.ttd.runs().collect(),
        };
        charts = draw(data, &summary);
        report::stage_charts(staging, &charts)?;
    }
    Ok(StreamedRun {
        summary,
        first_incidents: out.first_incidents,
        events,
        charts,
        violations: checker.violations,
    })
}

fn simulate(sc: &Scenario, replication: u64, mut events: EventLog) -> RunOutput {
    let horizon = SimTime::ZERO + sc.horizon;
    let mut incidents = IncidentLog::new();
    let mut timeline = TimelineLog::new(true);
    let mut checker = InvariantChecker::new(sc);
    {
        let mut obs = Fanout(vec![
            &mut incidents,
            &mut timeline,
            &mut events,
            &mut checker,
        ]);
        Sim::new(sc, replication, &mut obs).run();
    }
    let summary = Summary::build(sc, replication, incidents.stats(), &timeline, horizon)
        .with_masked_faults(incidents.masked_faults());
    RunOutput {
        incidents: incidents.into_incidents(),
        timeline,
        events,
        summary,
        violations: checker.violations,
    }
}

/// The charts of a run, or none with `--no-charts`.
pub fn charts_of(sc: &Scenario, r: &RunOutput, args: &ChartArgs) -> Result<Vec<Chart>, CliError> {
    if args.no_charts {
        return Ok(Vec::new());
    }
    let window = args.window(sc)?;
    let focus = args.focus(sc)?;
    Ok(run_charts(
        sc,
        &r.incidents,
        &r.timeline,
        &r.events,
        &r.summary,
        window,
        &focus,
    ))
}

/// The error of a failed write into `dir`.
pub fn out_err(dir: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    use std::io::ErrorKind::{DirectoryNotEmpty, InvalidInput, NotADirectory};
    move |e| match e.kind() {
        // A directory that cannot be the outputs' is a bad flag.
        DirectoryNotEmpty | NotADirectory | InvalidInput => CliError::Input(e.to_string()),
        _ => CliError::Output(format!(
            "could not write the outputs to {}: {e}",
            dir.display()
        )),
    }
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    let mut patches = patches.to_vec();
    if let Some(seed) = args.seed {
        patches.push(Patch::Set {
            key: "seed".into(),
            value: seed.to_string(),
        });
    }
    let sc = load_scenario(args.scenario.as_deref(), &patches)?;
    super::within_budget("run", &crate::budget::Estimate::runs(&sc, 1, 1))?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));
    // Flags and the output directory are checked before anything runs.
    args.charts.check(&sc)?;
    let err = out_err(&out);
    let charts = args.charts.of(&sc)?;
    let budget = args.spill_kib.map_or(DEFAULT_BUDGET, |k| k.max(1) << 10);
    let mut staging = Staging::new(&out).map_err(&err)?;
    let r = stream_run(
        &sc,
        args.replication,
        args.events,
        charts,
        &mut staging,
        budget,
    )
    .map_err(&err)?;
    r.warn_violations();
    let written = staging.commit().map_err(&err)?;
    super::print_result(
        args.quiet,
        &r.summary.to_text(),
        "outputs",
        &out,
        written.len(),
    )
}
