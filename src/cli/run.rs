//! `repairsim run [SCENARIO]`: simulate one scenario, write its outputs and
//! print a short summary.

use super::{CliError, Out, load_scenario};
use crate::engine::Sim;
use crate::invariants::InvariantChecker;
use crate::observe::Fanout;
use crate::observe::events::EventLog;
use crate::observe::incidents::IncidentLog;
use crate::observe::timeline::TimelineLog;
use crate::report;
use crate::scenario::Patch;
use crate::stats::Summary;
use crate::time::SimTime;
use std::path::PathBuf;

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
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
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
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(&sc.name));
    let horizon = SimTime::ZERO + sc.horizon;

    let mut incidents = IncidentLog::new();
    let mut timeline = TimelineLog::new(true);
    let mut events = EventLog::new();
    let mut checker = InvariantChecker::new(&sc);
    {
        let mut obs = Fanout(vec![
            &mut incidents,
            &mut timeline,
            &mut events,
            &mut checker,
        ]);
        Sim::new(&sc, args.replication, &mut obs).run();
    }
    // A violation is a bug in repairsim, not in the input: say so loudly.
    for v in &checker.violations {
        eprintln!("repairsim bug: invariant violated: {v}");
    }
    let masked = incidents.masked_faults();
    let list = incidents.into_incidents();
    let summary =
        Summary::build(&sc, args.replication, &list, &timeline, horizon).with_masked_faults(masked);
    let written =
        report::write_run(&out, &sc, &list, &timeline, &events, &summary).map_err(|e| {
            CliError::Output(format!(
                "could not write the outputs to {}: {e}",
                out.display()
            ))
        })?;
    if !args.quiet {
        let mut stdout = Out::stdout();
        stdout.print(&summary.to_text())?;
        stdout.println(&format!(
            "outputs: {} ({} files)",
            out.display(),
            written.len()
        ))?;
    }
    Ok(())
}
