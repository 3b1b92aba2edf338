//! The command line: one module per subcommand, each with its own `Args`
//! and one function that runs it. `main` only parses and dispatches.

pub mod bench;
pub mod policy;
pub mod run;
pub mod validate;

use crate::scenario::{self, DEFAULT_SCENARIO, Scenario, ScenarioError};
use clap::{Parser, Subcommand};
use std::fmt;
use std::path::Path;

/// Simulate AKS node auto-repair: detection, repair delay, the
/// reboot → reimage → redeploy ladder, retries, exclusions and the events
/// AKS emits, on a virtual fleet with injected failures.
#[derive(Parser, Debug)]
#[command(name = "repairsim", version, about, long_about = None)]
#[command(after_help = "Examples:
  repairsim run                                   # the embedded default scenario
  repairsim run scenarios/windows-pool.toml --out out/win --seed 11
  repairsim policy --preset aks-2023-09           # parameters with provenance
  repairsim validate scenarios/*.toml             # check files, print only errors
  repairsim bench                                 # the 10,000-node fleet-year benchmark

Exit codes: 0 success, 2 bad input, 3 outputs could not be written.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate one scenario and write events, timelines, incidents and a summary.
    Run(run::Args),
    /// Print the effective policy: every parameter with its value and provenance.
    Policy(policy::Args),
    /// Check scenario files; print nothing but errors.
    Validate(validate::Args),
    /// Measure speed and memory on a synthetic fleet (not a test).
    Bench(bench::Args),
}

/// Why a command failed; each kind has its own exit code.
#[derive(Debug)]
pub enum CliError {
    /// Bad scenario or flag: exit 2.
    Input(String),
    /// Outputs could not be written: exit 3.
    Output(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Output(_) => 3,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(m) | CliError::Output(m) => f.write_str(m.trim_end()),
        }
    }
}

impl From<ScenarioError> for CliError {
    fn from(e: ScenarioError) -> Self {
        CliError::Input(e.to_string())
    }
}

/// Loads a scenario file, or the embedded default when `path` is `None`.
pub fn load_scenario(path: Option<&Path>) -> Result<Scenario, CliError> {
    Ok(match path {
        Some(p) => scenario::load_file(p)?,
        None => scenario::load_str("<embedded default scenario>", DEFAULT_SCENARIO)?,
    })
}

pub fn dispatch(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Policy(a) => policy::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Bench(a) => bench::run(a),
    }
}
