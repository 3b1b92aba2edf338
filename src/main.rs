//! `repairsim`: parse the command line, dispatch, map errors to exit codes.
//!
//! Exit codes: 0 success; 1 `check` found a regression; 2 bad input
//! (scenario file or flags); 3 the outputs could not be written. Nothing
//! here panics when standard output or standard error cannot be written.

use clap::Parser;
use repairsim::cli::{self, Cli, eprint_line};
use std::io::{self, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::shard::set_argv(std::env::args_os().skip(1).collect());
    let args = match Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return ExitCode::from(clap_exit(&e)),
    };
    cli::interrupt::install();
    match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint_line(&format!("error: {e}"));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints what clap has to say (a usage error on stderr, `--help` or
/// `--version` on stdout) and returns the exit code: clap's own, or 3 when
/// the help could not be written for another reason than a reader that
/// went away (`repairsim --help | head -1`).
fn clap_exit(e: &clap::Error) -> u8 {
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    let printed = e.print().and_then(|()| {
        if e.use_stderr() {
            Ok(())
        } else {
            io::stdout().flush()
        }
    });
    match printed {
        Err(w) if !e.use_stderr() && w.kind() != io::ErrorKind::BrokenPipe => {
            eprint_line(&format!("error: could not write to standard output: {w}"));
            3
        }
        _ => code,
    }
}
