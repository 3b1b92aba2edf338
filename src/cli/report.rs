//! `repairsim report [SCENARIO]`: a capacity-review report: everything
//! `run` writes, headline numbers over replications with confidence
//! intervals, and `report.md` and a self-contained `report.html`.

use super::run::{ChartArgs, charts_of, out_err, simulate_run, stage_run};
use super::{CliError, load_scenario, progress};
use crate::mc::metrics::shown_metrics;
use crate::mc::metrics::{
    IDX_AVAILABILITY, IDX_FAILED, IDX_INCIDENTS, IDX_NEEDLESS, IDX_NOT_READY_HOURS, IDX_TTD_MEAN,
    IDX_TTR_MEAN, IDX_TTR_P50, IDX_TTR_P99, metric_defs,
};
use crate::mc::sweep::{Point, replication_row, replications_header, run_point};
use crate::mc::{Stop, runner};
use crate::policy::params::report_table;
use crate::report::page::{Report, html, markdown};
use crate::report::{Staging, csv_writer};
use crate::scenario::Patch;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  repairsim report                                  # the default scenario into reports/default/
  repairsim report scenarios/zonal-outage-serial.toml --replications 100 --out out/zonal
  repairsim report --from 2d --to 3d                # zoom the timeline chart into day 3

Writes into --out: everything `run` writes (events, timelines, incidents, summary.json
and the charts as SVG and PNG), replications.csv, report.md and report.html (one
self-contained page: open it in a browser; it fetches nothing).")]
pub struct Args {
    /// Scenario file (TOML); without it, the embedded default scenario.
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// Replications behind the headline numbers and their 95% intervals
    /// (the charts and the incident table show replication 0).
    #[arg(long, short = 'n', default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub replications: u64,
    /// Worker threads (0: one per core). Outputs are the same for any value.
    #[arg(long, default_value_t = 0, value_name = "N",
          value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    #[command(flatten)]
    pub charts: ChartArgs,
    /// Directory for the outputs [default: reports/NAME/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print nothing on success (and draw no progress bar).
    #[arg(long, short)]
    pub quiet: bool,
}

/// The metrics of the headline table, in its order.
const HEADLINE: [usize; 9] = [
    IDX_TTR_MEAN,
    IDX_TTR_P50,
    IDX_TTR_P99,
    IDX_TTD_MEAN,
    IDX_FAILED,
    IDX_NEEDLESS,
    IDX_NOT_READY_HOURS,
    IDX_AVAILABILITY,
    IDX_INCIDENTS,
];

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    let sc = load_scenario(args.scenario.as_deref(), patches)?;
    args.charts.check(&sc)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));
    let err = out_err(&out);
    let pool = runner::pool(usize::from(args.threads)).map_err(CliError::Output)?;

    let mut staging = Staging::new(&out).map_err(&err)?;
    let r = simulate_run(&sc, 0);
    r.warn_violations();
    let charts = charts_of(&sc, &r, &args.charts)?;
    stage_run(&mut staging, &sc, &r, &charts).map_err(&err)?;

    let file = staging.create("replications.csv").map_err(&err)?;
    let mut rows = csv_writer(std::io::BufWriter::new(file));
    let shown = shown_metrics(&sc.vocabulary());
    rows.write_record(replications_header(&[], &shown))
        .map_err(|e| err(e.into()))?;
    let point = Point {
        settings: vec![],
        scenario: sc.clone(),
    };
    let bar = progress::bar(args.replications, false, args.quiet);
    let reps = run_point(
        &pool,
        &point,
        Stop::Fixed(args.replications),
        |res| rows.write_record(replication_row(0, &[], res, &shown)),
        || bar.inc(1),
    )
    .map_err(|e| err(e.into()))?;
    bar.finish_and_clear();
    rows.flush().map_err(&err)?;
    drop(rows);

    let defs = metric_defs();
    let estimates = reps.estimates();
    let policy = report_table(&sc.policy, &sc.policy_overrides);
    let report = Report {
        scenario: &sc,
        policy: &policy,
        summary: &r.summary,
        incidents: &r.incidents,
        headline: HEADLINE
            .iter()
            .map(|&m| (defs[m].clone(), estimates[m]))
            .collect(),
        replications: reps.replications,
        charts: &charts,
    };
    staging
        .write("report.md", markdown(&report).as_bytes())
        .map_err(&err)?;
    staging
        .write("report.html", html(&report).as_bytes())
        .map_err(&err)?;
    let written = staging.commit().map_err(&err)?;
    super::print_result(
        args.quiet,
        &r.summary.to_text(),
        "report",
        &out.join("report.html"),
        written.len(),
    )
}
