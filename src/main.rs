//! `repairsim`: parse the command line, dispatch, map errors to exit codes.
//!
//! Exit codes: 0 success; 1 `check` found a regression; 2 bad input
//! (scenario file or flags); 3 the outputs could not be written.

use clap::Parser;
use repairsim::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Cli::parse();
    cli::interrupt::install();
    match cli::dispatch(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
