//! `repairsim validate FILE|DIR...`: load each scenario; print only errors.

use super::CliError;
use crate::scenario::Patch;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scenario files, or directories of them (their *.toml files, as
    /// `check` takes them), each checked with the `--set` overrides applied.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    let files = super::check::find_files(&args.files)?;
    let errors: Vec<String> = files
        .iter()
        .filter_map(|(f, _)| super::load_file(f, patches).err().map(|e| e.to_string()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(errors.join("\nerror: ")))
    }
}
