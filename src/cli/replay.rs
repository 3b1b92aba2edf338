//! `repairsim replay FILE... --candidate SPEC`: a recorded history's faults
//! through candidate policies, next to what happened (`recorded`).

use super::compare::{parse_side, side_patches, unique_label};
use super::import::{History, import_files};
use super::{CliError, print_warnings};
use crate::import::replay::{CSV_HEADER, RECORDED, replay};
use crate::mc::compare::Side;
use crate::report::Staging;
use crate::report::figures::compare_charts;
use crate::scenario::{self, Patch};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubectl get events -A -o json > events.json
  repairsim replay events.json --candidate set=policy.repair_delay=2m
  repairsim replay events.json --preset aks-observed-2026 \\
      --candidate preset=gke --candidate preset=capi-mhc,set=policy.max_unhealthy=40% --out out/last-month
  repairsim replay out/run/events.jsonl --candidate preset=aks-2023-09

Reads the history as `import` does (the same formats and --format, --preset, --windows),
turns each not-Ready episode into a fault, and runs that one trace through every
candidate. The baseline, `recorded`, is measured from the history itself: the recorded
actions, errors and NodeReady instants, from each fault's inferred onset. The record
does not show detection, so `recorded` has no time to detect.

A replay is one trace, not a sample: each difference is exact for this history and
its verdict is its sign (better, worse, same; higher or lower for counts). A
counterfactual is only as good as the inferred faults: a fault an early reboot fixed
might also have healed by itself, and a node never Ready again is assumed unfixable.

A SPEC is as in `compare`: preset=NAME, policy=FILE, set=KEY=VALUE, name=LABEL,
comma-separated; the global --set flags apply to every candidate.

Outputs in --out: replay.md (also printed), replay.csv, replay.json, incidents.csv
(each recorded incident next to every candidate's handling of the same fault),
scenario.toml (the imported scenario) and the charts (SVG and PNG). Each says it is a
replay.")]
pub struct Args {
    #[command(flatten)]
    pub history: History,
    /// A candidate policy; repeat for several.
    #[arg(long, value_name = "SPEC", required = true)]
    pub candidate: Vec<String>,
    /// Directory for the outputs [default: out/replay].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write no charts (SVG and PNG).
    #[arg(long)]
    pub no_charts: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A `--set` key among `patches` that is not a policy key: it would change
/// the trace, which the record fixes.
fn trace_key(patches: &[Patch]) -> Option<&String> {
    patches.iter().find_map(|p| match p {
        Patch::Set { key, .. } if !key.starts_with("policy.") => Some(key),
        _ => None,
    })
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    let imported = import_files(&args.history, "replay")?;
    let toml = imported.to_toml();
    let label = "the imported scenario";
    let sc = scenario::load_str(label, &toml)?;
    super::within_budget(
        "replay",
        &crate::budget::Estimate::runs(&sc, args.candidate.len() as u128 + 1, 1),
    )?;
    // The trace is the record's: only the policy may change.
    if let Some(key) = trace_key(patches) {
        return Err(CliError::Input(format!(
            "--set {key}=...: not a policy key: a replay runs every candidate on the recorded \
             trace, so only policy.* keys may change; expected e.g. --set policy.settle=2m"
        )));
    }
    let mut taken = vec![RECORDED.to_string()];
    let mut candidates = Vec::new();
    for c in &args.candidate {
        let spec = parse_side("--candidate", c)?;
        unique_label(&taken, c, &spec.label)?;
        if spec.label.trim().is_empty() {
            return Err(CliError::Input(format!(
                "--candidate {c}: an empty name=; give the candidate a label"
            )));
        }
        let patches = side_patches(patches, spec.patches);
        // The trace is the record's: a candidate changes the policy only.
        if let Some(key) = trace_key(&patches) {
            return Err(CliError::Input(format!(
                "--candidate {c}: {key} is not a policy key: a replay runs every candidate on \
                 the recorded trace, so only policy.* keys (and preset=, policy=) may change; \
                 expected e.g. set=policy.repair_delay=2m"
            )));
        }
        taken.push(spec.label.clone());
        let scenario = scenario::load_str_with(label, &toml, &patches)?;
        print_warnings(&scenario);
        candidates.push(Side {
            label: spec.label,
            scenario,
        });
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out/replay"));
    let err = super::run::out_err(&out);
    let r = replay(&imported, &sc, &candidates);

    let mut staging = Staging::new(&out).map_err(&err)?;
    let header = format!(
        "# The scenario `repairsim replay` replayed through every candidate: the faults of\n\
         # {}. Run it with `repairsim run scenario.toml --set policy.preset=NAME`.\n",
        imported.sources().join(", ")
    );
    staging
        .write("scenario.toml", format!("{header}{toml}").as_bytes())
        .map_err(&err)?;
    let csv = crate::report::csv_bytes(&CSV_HEADER, r.csv_rows()).map_err(&err)?;
    staging.write("replay.csv", &csv).map_err(&err)?;
    staging
        .write("replay.json", r.to_json(&sc).as_bytes())
        .map_err(&err)?;
    staging
        .write("incidents.csv", &r.incidents_csv(&sc).map_err(&err)?)
        .map_err(&err)?;
    if !args.no_charts {
        crate::report::stage_charts(&mut staging, &compare_charts(&r.cmp)).map_err(&err)?;
    }
    let table = r.to_markdown(&sc);
    staging.write("replay.md", table.as_bytes()).map_err(&err)?;
    let written = staging.commit().map_err(&err)?;
    super::print_result(args.quiet, &table, "outputs", &out, written.len())?;
    if !args.quiet {
        super::eprint_line(&imported.summary());
    }
    for w in r.warnings() {
        super::eprint_line(&format!("warning: {w}"));
    }
    Ok(())
}
