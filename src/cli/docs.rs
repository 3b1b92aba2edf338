//! `repairsim completions SHELL` and `repairsim man`: the command line's
//! own documentation, generated from the same clap definitions as `--help`.

use super::{Cli, CliError, Out};
use clap::CommandFactory;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn completions(args: CompletionsArgs) -> Result<(), CliError> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "repairsim", &mut buf);
    Out::stdout().print(&String::from_utf8_lossy(&buf))
}

pub fn man() -> Result<(), CliError> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| CliError::Output(format!("could not render the man page: {e}")))?;
    Out::stdout().print(&String::from_utf8_lossy(&buf))
}
