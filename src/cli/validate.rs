//! `repairsim validate FILE...`: load each scenario; print only errors.

use super::CliError;
use crate::scenario::Patch;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files to check (with the `--set` overrides applied to each).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    let errors: Vec<String> = args
        .files
        .iter()
        .filter_map(|f| super::load_file(f, patches).err().map(|e| e.to_string()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(errors.join("\nerror: ")))
    }
}
