//! `repairsim report [SCENARIO]`: a capacity-review report: everything
//! `run` writes, headline numbers over replications with confidence
//! intervals, and `report.md` and a self-contained `report.html`.

use super::run::{ChartArgs, Events, out_err, stream_run};
use super::{CliError, load_scenario, progress};
use crate::budget::Estimate;
use crate::mc::fewest::FewestReady;
use crate::mc::metrics::shown_metrics;
use crate::mc::metrics::{
    IDX_AVAILABILITY, IDX_FAILED, IDX_INCIDENTS, IDX_NEEDLESS, IDX_NOT_READY_HOURS, IDX_TTD_MEAN,
    IDX_TTR_MEAN, IDX_TTR_P50, IDX_TTR_P99, IDX_TTR_RESTRICTED, metric_defs,
};
use crate::mc::shard::{Header, PointKey, ShardSet, Span};
use crate::mc::sweep::{Point, replication_row, replications_header, run_point, settings_label};
use crate::mc::{Stop, runner};
use crate::policy::params::report_table;
use crate::report::page::{Report, html, markdown, report_json, text};
use crate::report::{Staging, csv_writer};
use crate::scenario::Patch;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  repairsim report                                  # the default scenario into reports/default/
  repairsim report scenarios/zonal-outage-serial.toml --replications 100 --out out/zonal
  repairsim report --from 2d --to 3d                # zoom the timeline chart into day 3
  repairsim report --min-ready system=2             # how often did the system pool drop below 2 Ready?
  repairsim report --pool win                       # only the win pool's nodes in the timeline chart

Prints the headline numbers over the replications with 95% confidence intervals, each
under its plain name beside its column name, and each pool's fewest Ready nodes over the
replications (median, 1st percentile, lowest).

Writes into --out: everything `run` writes (events, timelines, incidents, summary.json
and the charts as SVG and PNG: all of replication 0), replications.csv, report.md,
report.json and report.html (one self-contained page: open it in a browser; it fetches
nothing).")]
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
    /// Directory for the outputs [default: reports/NAME/; with --shard, the
    /// directory of the shard files: out/NAME-report-shards].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub shard: super::shard::ShardArgs,
    /// Print nothing on success (and draw no progress bar).
    #[arg(long, short)]
    pub quiet: bool,
    /// The probability that pool POOL has fewer than N Ready nodes at some
    /// instant of a replication, with its 95% interval (repeatable).
    #[arg(long = "min-ready", value_name = "POOL=N")]
    pub min_ready: Vec<String>,
}

/// `--min-ready POOL=N` as (pool index, N), checked against the fleet.
fn thresholds(
    args: &[String],
    sc: &crate::scenario::Scenario,
) -> Result<Vec<(usize, u32)>, CliError> {
    let pools = || {
        sc.fleet
            .pools
            .iter()
            .map(|p| format!("{} ({} nodes)", p.name, p.count))
            .collect::<Vec<_>>()
            .join(", ")
    };
    args.iter()
        .map(|a| {
            let bad = |why: String| {
                CliError::Input(format!("--min-ready {a}: {why}; expected POOL=N with N from 1 to the pool's node count, pools: {}", pools()))
            };
            let (name, n) = a.split_once('=').ok_or_else(|| bad("no '='".into()))?;
            let p = sc
                .fleet
                .pools
                .iter()
                .position(|p| p.name == name.trim())
                .ok_or_else(|| bad(format!("no pool named {:?}", name.trim())))?;
            let count = sc.fleet.pools[p].count;
            match n.trim().parse::<u32>() {
                Ok(n) if (1..=count).contains(&n) => Ok((p, n)),
                _ => Err(bad(format!("{:?} is not a node count from 1 to {count}", n.trim()))),
            }
        })
        .collect()
}

/// The metrics of the headline table, in its order.
const HEADLINE: [usize; 10] = [
    IDX_TTR_MEAN,
    IDX_TTR_P50,
    IDX_TTR_P99,
    IDX_TTR_RESTRICTED,
    IDX_TTD_MEAN,
    IDX_FAILED,
    IDX_NEEDLESS,
    IDX_NOT_READY_HOURS,
    IDX_AVAILABILITY,
    IDX_INCIDENTS,
];

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    run_with(args, patches, None)
}

/// `report`; with `merged`, the replications behind the headline numbers
/// are read from its shard files instead of simulated (`repairsim merge`);
/// replication 0, which the charts show, is simulated here either way.
pub fn run_with(
    args: Args,
    patches: &[Patch],
    merged: Option<&mut ShardSet>,
) -> Result<(), CliError> {
    let sc = load_scenario(args.scenario.as_deref(), patches)?;
    let span = Span {
        from: 0,
        to: args.replications,
    };
    let plan = super::shard::plan(&args.shard, merged.is_some(), args.replications, || {
        Ok(span)
    })?;
    let simulated = plan.simulated;
    let threads = super::workers(args.threads);
    // A shard runs no replication 0 of its own: the merge does.
    let first = if plan.shard.is_some() { 0 } else { 1 };
    super::within_budget(
        "report",
        &Estimate::runs(&sc, first, 1).then(Estimate::runs(
            &sc,
            u128::from(simulated),
            threads.min(simulated.max(1)),
        )),
    )?;
    args.charts.check(&sc)?;
    let thresholds = thresholds(&args.min_ready, &sc)?;
    let pool = runner::pool(usize::from(args.threads)).map_err(CliError::Output)?;
    let point = Point {
        settings: vec![],
        scenario: sc.clone(),
    };
    let keys = vec![PointKey::of(settings_label(&[]), &[&sc])];
    if let Some((shard, span)) = plan.shard {
        let header = Header::new(
            "report",
            super::shard::argv()?,
            &sc,
            &format!("fixed {} replications", args.replications),
            None,
            keys,
            shard,
            1,
            span,
        );
        return super::shard::write(args.out.as_deref(), header, &pool, args.quiet, |run| {
            run(0, &[&sc])
        });
    }
    let mut source = super::shard::source(merged, &keys, &pool)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));
    let err = out_err(&out);

    let charts = args.charts.of(&sc)?;
    let mut staging = Staging::new(&out).map_err(&err)?;
    let r = stream_run(
        &sc,
        0,
        Events::AutoRepair,
        charts,
        &mut staging,
        crate::report::spill::DEFAULT_BUDGET,
    )
    .map_err(&err)?;
    r.warn_violations();
    let charts = &r.charts;

    let file = staging.create("replications.csv").map_err(&err)?;
    let mut rows = csv_writer(std::io::BufWriter::new(file));
    let shown = shown_metrics(&sc.vocabulary());
    rows.write_record(replications_header(&[], &shown))
        .map_err(|e| err(e.into()))?;
    let bar = progress::bar(args.replications, false, args.quiet);
    let mut fewest: Vec<FewestReady> = sc
        .fleet
        .pools
        .iter()
        .map(|p| FewestReady::new(p.count))
        .collect();
    let reps = run_point(
        &mut source,
        0,
        &point,
        Stop::Fixed(args.replications),
        |res| {
            for (f, &k) in fewest.iter_mut().zip(&res.fewest_ready) {
                f.add(k);
            }
            rows.write_record(replication_row(0, &[], res, &shown))
                .map_err(|e| err(e.into()))
        },
        || bar.inc(1),
    )?;
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
        incidents: &r.first_incidents,
        incident_total: r.summary.incidents.total,
        headline: HEADLINE
            .iter()
            .map(|&m| (defs[m].clone(), estimates[m]))
            .collect(),
        replications: reps.replications,
        fewest,
        thresholds,
        charts,
    };
    staging
        .write("report.md", markdown(&report).as_bytes())
        .map_err(&err)?;
    staging
        .write("report.html", html(&report).as_bytes())
        .map_err(&err)?;
    staging
        .write("report.json", report_json(&report).as_bytes())
        .map_err(&err)?;
    let written = staging.commit().map_err(&err)?;
    super::print_result(
        args.quiet,
        &text(&report),
        "report",
        &out.join("report.html"),
        written.len(),
    )
}
