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

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  repairsim man > repairsim.1                       # the top-level page
  repairsim man report | man -l -                   # one command's page, with every option
  repairsim man --dir ~/.local/share/man/man1       # every page: repairsim.1, repairsim-run.1, ...")]
pub struct ManArgs {
    /// A command's own page, with all its options (e.g. `report`); without
    /// it, the top-level page.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
    /// Write every page (repairsim.1 and repairsim-COMMAND.1 for each
    /// command) into DIR instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<std::path::PathBuf>,
}

/// The pages: the top level first, then each command's, as (file name,
/// roff).
fn pages() -> Result<Vec<(String, Vec<u8>)>, CliError> {
    // Built, so that each command's page is titled repairsim-COMMAND.
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let mut cmds = vec![top.clone()];
    cmds.extend(top.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    cmds.into_iter()
        .map(|c| {
            let man = clap_mangen::Man::new(c);
            let mut buf = Vec::new();
            man.render(&mut buf)
                .map_err(|e| CliError::Output(format!("could not render the man page: {e}")))?;
            Ok((man.get_filename(), buf))
        })
        .collect()
}

pub fn man(args: ManArgs) -> Result<(), CliError> {
    let pages = pages()?;
    if let Some(dir) = &args.dir {
        let err = |e: std::io::Error| CliError::Output(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(err)?;
        for (name, roff) in &pages {
            crate::report::write_atomic(&dir.join(name), roff).map_err(err)?;
        }
        return Ok(());
    }
    let file = match &args.command {
        None => "repairsim.1".to_string(),
        Some(c) => format!("repairsim-{c}.1"),
    };
    match pages.iter().find(|(name, _)| *name == file) {
        Some((_, roff)) => Out::stdout().print(&String::from_utf8_lossy(roff)),
        None => {
            let names: Vec<&str> = pages[1..]
                .iter()
                .map(|(n, _)| n.trim_start_matches("repairsim-").trim_end_matches(".1"))
                .collect();
            Err(CliError::Input(format!(
                "man {}: no such command; the commands are {}",
                args.command.as_deref().unwrap_or(""),
                names.join(", ")
            )))
        }
    }
}
