//! `repairsim import FILE...`: a recorded history as a scenario.

use super::{CliError, Out};
use crate::import::{self, Ignored, Options};
use crate::policy::params::Preset;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kubectl get events -A -o json > events.json
  repairsim import events.json -o last-month.toml      # the scenario, every inference commented
  repairsim import out/run/events.jsonl                # repairsim's own `run --events all` output
  repairsim run last-month.toml --set policy.preset=aks-observed-2026

Reads Kubernetes Events (a v1 List, one Event, or one Event per line) about Nodes:
the kubelet's and the node controller's NodeNotReady and NodeReady, RegisteredNode,
and aks-auto-repair's Start, End and Error events. Each not-Ready episode becomes one
[[faults]] entry and one [[inject]] at its inferred onset: the kubelet's NodeNotReady
gives a not-ready fault, the node controller's a no-status fault (onset after the
last lease tick the grace period points back to). fixed_by is the weakest action
after which the node was Ready again; a node Ready with no action just before heals
by itself (self_heal_after); one never Ready again is fixed by none.
Events about other objects, and other reasons, are counted and left out.
Also read: a Container Insights KubeEvents export (CSV, a JSON array of rows, or a Log
Analytics query result), and a Prometheus query_range result of
kube_node_status_condition{condition=\"Ready\"} (its transitions stand for the
kubelet's and the node controller's events; it has no repair events).")]
pub struct Args {
    #[command(flatten)]
    pub history: History,
    /// Write the scenario here (atomically) instead of to standard output.
    #[arg(long, short, value_name = "SCENARIO.toml")]
    pub out: Option<PathBuf>,
    /// The scenario's name [default: imported].
    #[arg(long, default_value = "imported")]
    pub name: String,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A recorded history and what it cannot say: `import` and `replay`.
#[derive(clap::Args, Debug)]
pub struct History {
    /// Recorded events: Kubernetes Events (JSON: a List, one Event, or JSON
    /// Lines), a Container Insights KubeEvents export (CSV or JSON), or a
    /// Prometheus query_range result of kube_node_status_condition.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The input format.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// The preset of the policy that acted on the history: the scenario
    /// replays through it, and its timing decides which quiet episodes it
    /// left alone (`calibrate` says which preset fits best).
    #[arg(long, default_value = "aks-2024-08", value_name = "NAME")]
    pub preset: String,
    /// A pool of Windows nodes (repeatable): events do not say a node's OS.
    #[arg(long, value_name = "POOL")]
    pub windows: Vec<String>,
}

/// `--format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Detected from the content.
    Auto,
    /// `kubectl get events -o json`, one Event, or JSON Lines of Events
    /// (core/v1 or events.k8s.io/v1).
    Kubectl,
    /// A Container Insights KubeEvents export: CSV, a JSON array of rows,
    /// or a Log Analytics query result.
    Kubeevents,
    /// A Prometheus query_range result of
    /// kube_node_status_condition{condition="Ready"}.
    Prometheus,
}

/// The format of `file`: `format`, or detected from its first bytes.
fn detect(file: &std::path::Path, format: Format) -> Result<Format, CliError> {
    if format != Format::Auto {
        return Ok(format);
    }
    let mut head = vec![0u8; 4096];
    let n = std::fs::File::open(file)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .map_err(|e| CliError::Input(format!("{}: {e}", file.display())))?;
    let head = String::from_utf8_lossy(&head[..n]);
    Ok(if import::kubeevents::sniff(&head) {
        Format::Kubeevents
    } else if import::prometheus::sniff(&head) {
        Format::Prometheus
    } else {
        Format::Kubectl
    })
}

/// Every file's Node events, each in its format, and whether every file
/// has the repair controller's events (a Prometheus export has none).
pub fn read_all(
    files: &[PathBuf],
    format: Format,
) -> Result<(Vec<import::Obs>, Ignored, bool), CliError> {
    let mut obs = Vec::new();
    let mut ignored = Ignored::default();
    let mut repairs = true;
    for f in files {
        match detect(f, format)? {
            Format::Kubeevents => import::kubeevents::read(f, &mut obs, &mut ignored),
            Format::Prometheus => {
                repairs = false;
                import::prometheus::read(f, &mut obs, &mut ignored)
            }
            _ => import::kubectl::read(f, &mut obs, &mut ignored),
        }
        .map_err(CliError::Input)?;
    }
    Ok((obs, ignored, repairs))
}

/// `repairsim calibrate FILE...`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  repairsim calibrate events.json                   # a table
  repairsim calibrate events.json --format json | jq .onset_to_first_action_ms

Measures, over the not-Ready episodes of a recorded history (read as `import` reads it):
the time from NodeNotReady and from the inferred onset to the first action, the time
from an action's end to the next start, each kind's duration, the Start instants past
the minute (the check grid's phase and jitter), how failed actions were reported (End
then Error, or Error alone), each kind's error rate, and which preset predicts the
first action best. Durations in JSON are integer milliseconds: n, min, median
(nearest rank), max.")]
pub struct CalibrateArgs {
    /// Recorded events, as `import` reads them.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The output: a table, or JSON for jq.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub format: Output,
    /// The input format.
    #[arg(long = "input-format", value_enum, default_value_t = Format::Auto)]
    pub input_format: Format,
}

/// `calibrate --format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Text,
    Json,
}

pub fn calibrate(args: CalibrateArgs) -> Result<(), CliError> {
    let (obs, ignored, repairs) = read_all(&args.files, args.input_format)?;
    let imported = import::infer(
        obs,
        ignored,
        Options {
            name: "calibrated".into(),
            policy: crate::policy::params::Policy::preset(Preset::DEFAULT),
            windows: Vec::new(),
            sources: args.files.iter().map(|f| f.display().to_string()).collect(),
            repairs_recorded: repairs,
        },
    )
    .map_err(CliError::Input)?;
    let c = import::calibrate::calibrate(&imported);
    Out::stdout().print(&match args.format {
        Output::Text => c.to_text(),
        Output::Json => c.to_json(),
    })
}

/// Reads `files` and infers a scenario that replays through `preset`,
/// verified against the record.
pub fn import_files(h: &History, name: &str) -> Result<import::Imported, CliError> {
    let (files, preset) = (&h.files, &h.preset);
    let Some(preset) = Preset::parse(preset) else {
        return Err(CliError::Input(format!(
            "--preset {preset}: unknown preset; expected one of {}",
            Preset::names()
        )));
    };
    let (obs, ignored, repairs) = read_all(files, h.format)?;
    import::infer(
        obs,
        ignored,
        Options {
            name: name.to_string(),
            policy: crate::policy::params::Policy::preset(preset),
            windows: h.windows.clone(),
            sources: files.iter().map(|f| f.display().to_string()).collect(),
            repairs_recorded: repairs,
        },
    )
    .and_then(import::Imported::verify)
    .map_err(CliError::Input)
}

pub fn run(args: Args) -> Result<(), CliError> {
    let imported = import_files(&args.history, &args.name)?;
    let toml = imported.to_toml();
    match &args.out {
        Some(path) => crate::report::write_atomic(path, toml.as_bytes())
            .map_err(|e| CliError::Output(format!("{}: {e}", path.display())))?,
        None => Out::stdout().print(&toml)?,
    }
    if !args.quiet {
        super::eprint_line(&imported.summary());
    }
    Ok(())
}
