//! The command line: one module per subcommand, each with its own `Args`
//! and one function that runs it. `main` only parses and dispatches.

pub mod bench;
pub mod policy;
pub mod run;
pub mod validate;

use crate::scenario::{self, DEFAULT_SCENARIO, Scenario, ScenarioError};
use clap::{Parser, Subcommand};
use std::fmt;
use std::io::{self, Write};
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
