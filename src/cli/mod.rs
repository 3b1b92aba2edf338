//! The command line: one module per subcommand, each with its own `Args`
//! and one function that runs it. `main` only parses and dispatches.

pub mod bench;
pub mod check;
pub mod compare;
pub mod docs;
pub mod import;
pub mod interrupt;
pub mod k8s_job;
pub mod policy;
pub mod progress;
pub mod replay;
pub mod report;
pub mod run;
pub mod shard;
pub mod sweep;
pub mod validate;

use crate::check::{expect::Expectation, load::expectations};
use crate::scenario::{self, DEFAULT_SCENARIO, Patch, Scenario, ScenarioError};
use clap::{Parser, Subcommand};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// The long help of `--set`.
const SET_HELP: &str = "\
Override one key of the scenario before it is checked (repeatable; later ones win).
KEY is a dotted path, written as error messages write fields:
  seed, policy.repair_delay, kubernetes.node_monitor_grace_period,
  pools[0].count, actions.reboot.error_rate, failures[2].mtbf
([i] picks an existing entry of an array; missing tables are created).
VALUE is a TOML value: 5, 0.1, true, \"text\", [\"a\", \"b\"], { exponential = \"8m\" }.
Anything else is a string, and [a,b] a list of such items, so
policy.repair_delay=2m and policy.ladder_linux=[reboot,reimage] need no quotes.
A bad key or value is reported like a bad scenario file (exit 2).";

/// Simulate AKS node auto-repair: detection, repair delay, the
/// reboot → reimage → redeploy ladder, retries, exclusions and the events
/// AKS emits, on a virtual fleet with injected failures.
#[derive(Parser, Debug)]
#[command(name = "repairsim", version = env!("REPAIRSIM_VERSION"), about, long_about = None)]
#[command(after_help = "Examples:
  repairsim run                                   # the embedded default scenario
  repairsim run scenarios/windows-pool.toml --out out/win --seed 11
  repairsim run --set policy.repair_delay=2m --set 'pools[0].count=5'   # override keys
  repairsim policy --preset aks-2023-09           # parameters with provenance
  repairsim policy --policy-file mhc.yaml         # a MachineHealthCheck as repairsim reads it
  repairsim validate scenarios/*.toml             # check files, print only errors
  repairsim report                                # charts and report.html in reports/default/
  repairsim sweep --replications 1000             # means and 95% CIs over replications
  repairsim sweep --grid policy.repair_delay=1m,2m,5m,10m
  repairsim compare --candidate set=policy.repair_delay=2m   # paired A/B on the same faults
  repairsim check scenarios/ --junit junit.xml    # expectations and golden files, for CI
  repairsim bench                                 # the 10,000-node fleet-year benchmark
  repairsim k8s-job --completions 8 --parallelism 4 -- sweep -n 1000 > job.yaml   # on a cluster

The policies are specified in docs/POLICY.md (AKS) and docs/PEERS.md (GKE, EKS,
Cluster API, medik8s) in this repository: every parameter, its provenance, the
pinned readings and the worked examples.

Exit codes: 0 success, 1 check found a regression (or --require-ci missed its target),
2 bad input, 3 outputs could not be written.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Override one key of the scenario before it is checked, e.g.
    /// `--set seed=9`, `--set policy.repair_delay=2m`, `--set 'pools[0].count=5'`.
    #[arg(
        long = "set",
        global = true,
        value_name = "KEY=VALUE",
        long_help = SET_HELP
    )]
    pub set: Vec<String>,
    /// Replace the scenario's [policy] with a policy file (applied before
    /// any --set).
    #[arg(
        long = "policy-file",
        global = true,
        value_name = "FILE[#NAME]",
        long_help = POLICY_FILE_HELP
    )]
    pub policy_file: Option<std::path::PathBuf>,
    /// Refuse a command expected to simulate more inputs than this (nodes
    /// and expected faults, summed over every replication).
    #[arg(long = "max-work", global = true, value_name = "INPUTS",
          default_value_t = crate::budget::DEFAULT_MAX_WORK,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_work: u64,
    /// Refuse a command expected to need more memory than this, e.g. 4GiB.
    #[arg(long = "max-memory", global = true, value_name = "SIZE",
          default_value = "2GiB", value_parser = crate::budget::parse_bytes)]
    pub max_memory: u64,
}

/// The long help of `--policy-file`.
const POLICY_FILE_HELP: &str = "\
Replace the scenario's [policy] table with a policy file, before any --set.
The file is either a TOML table of [policy] keys (preset = \"eks\", ..., with
or without the [policy] header) or
one of the configurations platform teams keep in their repositories:
  a Cluster API MachineHealthCheck (v1beta1 or v1beta2), with the
    MachineDeployment whose remediation.maxInFlight applies  -> preset capi-mhc
  a medik8s NodeHealthCheck                                   -> preset nhc
  an EKS nodeRepairConfig (JSON or YAML; bare, in an EKS API request or
    response, or in an eksctl ClusterConfig)                  -> preset eks
FILE#NAME picks one object when the file holds several (a MachineHealthCheck,
a NodeHealthCheck or an eksctl managed node group, by name).
A field repairsim cannot model is an error naming its line and column (exit 2),
or, when it changes nothing simulated, a warning on stderr.
`repairsim policy --policy-file FILE` shows what the file became.";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate one scenario and write events, timelines, incidents and a summary.
    Run(run::Args),
    /// Print the effective policy: every parameter with its value and provenance
    /// (docs/POLICY.md section 2, docs/PEERS.md).
    Policy(policy::Args),
    /// Check scenario files; print nothing but errors.
    Validate(validate::Args),
    /// A capacity-review report: run outputs, charts, headline numbers with CIs, report.html.
    Report(report::Args),
    /// Replications of a scenario, or of a grid of settings, with 95% confidence intervals.
    Sweep(sweep::Args),
    /// A baseline and candidate policies on the same replications: paired differences and verdicts.
    Compare(compare::Args),
    /// Regression tests for CI: [[expect]] tables, golden files and invariants; exit 1 on a failure.
    Check(check::Args),
    /// Turn a recorded history (Kubernetes Node events) into a scenario, one fault per not-Ready episode.
    Import(import::Args),
    /// Measure a recorded history's repair timing, and the preset that fits it best.
    Calibrate(import::CalibrateArgs),
    /// Replay a recorded history's faults through candidate policies, next to what happened.
    Replay(replay::Args),
    /// Merge the shard files of a `--shard` run into the outputs one machine would have written.
    Merge(shard::MergeArgs),
    /// Measure speed and memory on a synthetic fleet (not a test).
    Bench(bench::Args),
    /// Print a Kubernetes Indexed Job (YAML) that runs a sweep, compare or
    /// report as shards, with the kubectl commands to run, collect and merge it.
    #[command(name = "k8s-job")]
    K8sJob(k8s_job::Args),
    /// Print a shell completion script, e.g. `repairsim completions bash >
    /// /etc/bash_completion.d/repairsim`.
    Completions(docs::CompletionsArgs),
    /// Print a man page (roff), e.g. `repairsim man > repairsim.1`, or
    /// write them all with `--dir`.
    Man(docs::ManArgs),
}

/// Why a command failed; each kind has its own exit code.
#[derive(Debug)]
pub enum CliError {
    /// `check` found a regression: exit 1.
    Failed(String),
    /// Bad scenario or flag: exit 2.
    Input(String),
    /// Outputs could not be written: exit 3.
    Output(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Failed(_) => 1,
            CliError::Input(_) => 2,
            CliError::Output(_) => 3,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Failed(m) | CliError::Input(m) | CliError::Output(m) => {
                f.write_str(m.trim_end())
            }
        }
    }
}

impl From<ScenarioError> for CliError {
    fn from(e: ScenarioError) -> Self {
        CliError::Input(e.to_string())
    }
}

/// Standard output for a command's results.
///
/// A reader that goes away (`repairsim bench | head -2`) is not an error:
/// at the first [`io::ErrorKind::BrokenPipe`] the output is marked closed,
/// later writes are skipped, and the command still succeeds. Any other
/// write error is a [`CliError::Output`].
pub struct Out<W: Write> {
    w: W,
    closed: bool,
}

impl Out<io::StdoutLock<'static>> {
    /// The locked standard output of the process.
    pub fn stdout() -> Self {
        Out::new(io::stdout().lock())
    }
}

impl<W: Write> Out<W> {
    pub fn new(w: W) -> Self {
        Out { w, closed: false }
    }

    /// Writes and flushes `text`; nothing once the reader has gone.
    pub fn print(&mut self, text: &str) -> Result<(), CliError> {
        if self.closed {
            return Ok(());
        }
        match self
            .w
            .write_all(text.as_bytes())
            .and_then(|()| self.w.flush())
        {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(CliError::Output(format!(
                "could not write to standard output: {e}"
            ))),
        }
    }

    /// `text` and a newline.
    pub fn println(&mut self, text: &str) -> Result<(), CliError> {
        self.print(&format!("{text}\n"))
    }

    /// True once the reader has gone: the caller may stop producing output.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The writer, for tests.
    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Writes `text` and a newline to standard error. A message that cannot
/// be written (stderr closed, or a full disk) is dropped: the exit code
/// still says what happened, and a diagnostic must never panic.
pub fn eprint_line(text: &str) {
    let _ = io::stderr()
        .lock()
        .write_all(format!("{text}\n").as_bytes());
}

/// Prints a command's result, then `{what}: {path} ({files} files)`;
/// nothing when `quiet`.
pub fn print_result(
    quiet: bool,
    body: &str,
    what: &str,
    path: &Path,
    files: usize,
) -> Result<(), CliError> {
    if quiet {
        return Ok(());
    }
    let mut stdout = Out::stdout();
    stdout.print(body)?;
    stdout.println(&format!("{what}: {} ({files} files)", path.display()))
}

/// How errors name the embedded default scenario.
pub const DEFAULT_LABEL: &str = "<embedded default scenario>";

/// Loads a scenario file, or the embedded default when `path` is `None`,
/// with `patches` applied in order.
/// What a policy file held that the simulation does not use is printed
/// to stderr as a warning, with its file, line and column.
/// How many runs `--threads N` keeps in flight at once (0: one per core),
/// for the memory estimate only.
pub fn workers(threads: u16) -> u64 {
    match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get() as u64),
        n => u64::from(n),
    }
}

/// Refuses `command` when `e` is over the process's work or memory limit
/// (exit 2), before anything runs.
pub fn within_budget(command: &str, e: &crate::budget::Estimate) -> Result<(), CliError> {
    crate::budget::limits()
        .check(command, e)
        .map_err(CliError::Input)
}

pub fn load_scenario(path: Option<&Path>, patches: &[Patch]) -> Result<Scenario, CliError> {
    let (sc, _) = match path {
        Some(p) => load_file(p, patches)?,
        None => scenario::load_str_then(DEFAULT_LABEL, DEFAULT_SCENARIO, patches, expectations)?,
    };
    print_warnings(&sc);
    Ok(sc)
}

/// A scenario file and its `[[expect]]` tables: every command validates
/// them, so a file `check` would refuse is refused by all.
pub fn load_file(
    path: &Path,
    patches: &[Patch],
) -> Result<(Scenario, Vec<Expectation>), ScenarioError> {
    scenario::load_file_then(path, patches, expectations)
}

/// Prints a scenario's warnings to stderr.
pub fn print_warnings(sc: &Scenario) {
    for w in &sc.warnings {
        eprint_line(&format!("warning: {w}"));
    }
}

/// The `--set` arguments as patches, in order.
pub fn parse_sets(args: &[String]) -> Result<Vec<Patch>, CliError> {
    Ok(args
        .iter()
        .map(|a| Patch::parse_set(a))
        .collect::<Result<Vec<_>, _>>()?)
}

/// The global `--policy-file` as a patch.
fn policy_file(cli: &Cli) -> Vec<Patch> {
    cli.policy_file
        .iter()
        .cloned()
        .map(Patch::PolicyFile)
        .collect()
}

/// The global `--policy-file` and `--set`s as patches, in the order they apply.
pub fn patches(cli: &Cli) -> Result<Vec<Patch>, CliError> {
    let mut all = policy_file(cli);
    all.extend(parse_sets(&cli.set)?);
    Ok(all)
}

pub fn dispatch(cli: Cli) -> Result<(), CliError> {
    crate::budget::set_limits(crate::budget::Limits {
        max_work: cli.max_work,
        max_memory: cli.max_memory,
    });
    // `check` parses its own, to report a bad one in its JUnit file too.
    let file: Vec<Patch> = policy_file(&cli);
    let patches = match &cli.command {
        Command::Check(_) => Vec::new(),
        _ => patches(&cli)?,
    };
    match cli.command {
        Command::Run(a) => run::run(a, &patches),
        Command::Policy(a) => policy::run(a, &patches),
        Command::Validate(a) => validate::run(a, &patches),
        Command::Report(a) => report::run(a, &patches),
        Command::Sweep(a) => sweep::run(a, &patches),
        Command::Compare(a) => compare::run(a, &patches),
        Command::Check(a) => check::run(a, &file, &cli.set),
        Command::Merge(_) if !patches.is_empty() => Err(CliError::Input(
            "merge: --set and --policy-file come from the shards' command line; give them to \
             the shards, not to merge"
                .into(),
        )),
        Command::Merge(a) => shard::merge(a),
        Command::Bench(a) => bench::run(a, &patches),
        Command::K8sJob(a) => k8s_job::run(a, &patches),
        Command::Import(a) => import::run(a),
        Command::Calibrate(a) => import::calibrate(a),
        Command::Replay(a) => replay::run(a, &patches),
        Command::Completions(a) => docs::completions(a),
        Command::Man(a) => docs::man(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `ok` writes, then fails every write with `kind`.
    struct Failing {
        ok: usize,
        kind: io::ErrorKind,
        written: Vec<u8>,
        attempts: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.attempts += 1;
            if self.ok == 0 {
                return Err(io::Error::from(self.kind));
            }
            self.ok -= 1;
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn failing(ok: usize, kind: io::ErrorKind) -> Out<Failing> {
        Out::new(Failing {
            ok,
            kind,
            written: Vec::new(),
            attempts: 0,
        })
    }

    #[test]
    fn writes_pass_through() {
        let mut out = Out::new(Vec::new());
        out.print("a").unwrap();
        out.println("b").unwrap();
        assert!(!out.is_closed());
        assert_eq!(out.into_inner(), b"ab\n");
    }

    #[test]
    fn a_broken_pipe_stops_output_quietly() {
        let mut out = failing(1, io::ErrorKind::BrokenPipe);
        out.println("first").unwrap();
        assert!(!out.is_closed());
        out.println("second").unwrap();
        assert!(out.is_closed());
        out.println("third").unwrap();
        let w = out.into_inner();
        assert_eq!(w.written, b"first\n");
        assert_eq!(w.attempts, 2, "no write after the pipe broke");
    }

    #[test]
    fn other_write_errors_are_output_errors() {
        let mut out = failing(0, io::ErrorKind::PermissionDenied);
        let e = out.print("x").unwrap_err();
        assert!(matches!(e, CliError::Output(_)), "{e:?}");
        assert_eq!(e.exit_code(), 3);
        assert!(e.to_string().contains("standard output"), "{e}");
        assert!(!out.is_closed());
    }
}
