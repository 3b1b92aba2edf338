//! `--shard K/N` on `sweep`, `compare` and `report`, and `repairsim
//! merge`: one machine's share of a run as a shard file, and the outputs
//! of the whole run from every shard's file (see [`crate::mc::shard`]).

use super::{Cli, CliError, Command};
use crate::mc::Stop;
use crate::mc::shard::{
    Header, MergeError, PointKey, Shard, ShardSet, ShardWriter, Source, Span, describe,
};
use crate::report::staging::AtomicFile;
use crate::scenario::Scenario;
use clap::Parser;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

impl From<MergeError> for CliError {
    fn from(e: MergeError) -> Self {
        CliError::Input(e.0)
    }
}

/// `--shard` and `--shard-count`, shared by `sweep`, `compare` and `report`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ShardArgs {
    /// Run only shard K of N (K from 0): a contiguous block of every
    /// point's replications, written as one file, shard-K-of-N.jsonl, in
    /// --out; `repairsim merge` turns every shard's file into the outputs
    /// one machine would have written, byte for byte. `auto`: K from
    /// JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or
    /// SLURM_ARRAY_TASK_ID, N from --shard-count, JOB_COMPLETIONS or
    /// SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_name = "K/N|auto", help_heading = "Sharding")]
    pub shard: Option<String>,
    /// N for --shard auto; it wins over JOB_COMPLETIONS and
    /// SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_name = "N", requires = "shard", help_heading = "Sharding",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub shard_count: Option<u32>,
}

impl ShardArgs {
    /// The shard this process runs, if any, from the flags and the
    /// environment.
    pub fn resolve(&self) -> Result<Option<Shard>, CliError> {
        let Some(spec) = &self.shard else {
            return Ok(None);
        };
        Shard::parse(spec, self.shard_count, |k| std::env::var(k).ok())
            .map(Some)
            .map_err(CliError::Input)
    }
}

/// The command line as given, after `repairsim`; set by `main`.
static ARGV: OnceLock<Vec<std::ffi::OsString>> = OnceLock::new();

/// Records the process's command line (`main` calls it first), for the
/// header of a shard file.
pub fn set_argv(argv: Vec<std::ffi::OsString>) {
    let _ = ARGV.set(argv);
}

/// The command line after `repairsim`, for a shard's header.
pub fn argv() -> Result<Vec<String>, CliError> {
    let raw: Vec<std::ffi::OsString> = match ARGV.get() {
        Some(a) => a.clone(),
        None => std::env::args_os().skip(1).collect(),
    };
    raw.into_iter()
        .map(|a| {
            a.into_string().map_err(|a| {
                CliError::Input(format!(
                    "--shard: the argument {a:?} is not UTF-8; a shard records its command line \
                     for merge, so give paths and values in UTF-8"
                ))
            })
        })
        .collect()
}

/// The round a shard runs and its replications: all of a fixed count, or
/// round `round` of `round_size` replications under `--until-ci`.
pub fn round_span(stop: Stop, round: u64, round_size: Option<u64>) -> Result<Span, CliError> {
    match stop {
        Stop::Fixed(n) => {
            if round != 1 {
                return Err(CliError::Input(format!(
                    "--round {round}: rounds are for --until-ci; a fixed count of replications \
                     is one round"
                )));
            }
            Ok(Span { from: 0, to: n })
        }
        Stop::UntilCi { max, .. } => {
            let Some(size) = round_size else {
                return Err(CliError::Input(
                    "--shard with --until-ci needs --round-size R: a sharded run checks its target \
                     after each round of R replications (e.g. --round-size 100), and each round is \
                     one set of shards (--round 1, 2, ...)"
                        .into(),
                ));
            };
            let from = (round - 1).saturating_mul(size);
            if from >= max {
                return Err(CliError::Input(format!(
                    "--round {round}: it would start at replication {from}, and \
                     --max-replications is {max}"
                )));
            }
            Ok(Span {
                from,
                to: from.saturating_add(size).min(max),
            })
        }
    }
}

/// What this process does with a command's replications.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// The shard it runs and its round's replications (of every shard).
    pub shard: Option<(Shard, Span)>,
    /// Replications simulated here, per point: all of them, a shard's
    /// block, or none for a merge.
    pub simulated: u64,
}

/// The plan of a command of `total` replications per point: `span`
/// gives a shard's round (called only with `--shard`), `merging` is
/// `merge`'s run of it.
pub fn plan(
    args: &ShardArgs,
    merging: bool,
    total: u64,
    span: impl FnOnce() -> Result<Span, CliError>,
) -> Result<Plan, CliError> {
    let shard = match args.resolve()? {
        Some(k) => Some((k, span()?)),
        None => None,
    };
    let simulated = match shard {
        _ if merging => 0,
        Some((k, span)) => {
            let b = k.block(&span);
            b.end - b.start
        }
        None => total,
    };
    Ok(Plan { shard, simulated })
}

/// Where a command's replications come from: the shards of `merged`,
/// once their scenario hashes are `keys`, else a simulation on `pool`.
pub fn source<'a>(
    merged: Option<&'a mut ShardSet>,
    keys: &[PointKey],
    pool: &'a rayon::ThreadPool,
) -> Result<Source<'a>, CliError> {
    Ok(match merged {
        Some(set) => {
            set.check_points(keys)?;
            Source::Shards(set)
        }
        None => Source::Simulate(pool),
    })
}

/// Where a shard writes when `--out` is not given: `out/NAME-COMMAND-shards`.
fn default_dir(name: &str, command: &str) -> PathBuf {
    PathBuf::from("out").join(format!("{name}-{command}-shards"))
}

/// Writes the shard file of `header` into `out` (default
/// `out/NAME-COMMAND-shards`), whole or not at all, and says where (unless
/// `quiet`). `body` hands each point, by index with its sides' scenarios,
/// to the function it is given, which simulates the shard's block of it
/// on `pool` and writes its rows.
pub fn write(
    out: Option<&Path>,
    header: Header,
    pool: &rayon::ThreadPool,
    quiet: bool,
    body: impl FnOnce(
        &mut dyn FnMut(usize, &[&Scenario]) -> Result<(), CliError>,
    ) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let dir = out.map_or_else(
        || default_dir(&header.scenario, &header.command),
        Path::to_path_buf,
    );
    let path = dir.join(header.shard.file_name(header.round));
    let err = super::run::out_err(&dir);
    let block = header.shard.block(&header.replications);
    let points = header.points.len();
    let bar = super::progress::bar(
        (block.end - block.start).saturating_mul(points as u64),
        false,
        quiet,
    );
    let (file, f) = AtomicFile::create(&path).map_err(&err)?;
    let mut w =
        ShardWriter::new(std::io::BufWriter::with_capacity(1 << 16, f), &header).map_err(&err)?;
    body(&mut |i, sides| {
        bar.set_message(format!("point {}/{points}", i + 1));
        w.point(pool, i, sides, header.band(), block.clone(), || bar.inc(1))
            .map_err(&err)
    })?;
    bar.finish_and_clear();
    let f = w
        .finish()
        .map_err(&err)?
        .into_inner()
        .map_err(|e| err(e.into_error()))?;
    file.commit(f).map_err(&err)?;
    if !quiet {
        super::Out::stdout().println(&format!(
            "shard {} of {}: replications {}..{} of every point{} -> {}",
            header.shard.index,
            header.shard.count,
            block.start,
            block.end,
            if header.round > 1 {
                format!(" (round {})", header.round)
            } else {
                String::new()
            },
            path.display()
        ))?;
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  repairsim sweep --grid policy.repair_delay=1m,2m,5m -n 1000 --shard 0/4 --out out/shards
  ... (shards 1/4, 2/4 and 3/4, on other machines, into their own out/shards)
  repairsim merge out/shards --out out/sweep
  repairsim merge a/shard-0-of-2.jsonl b/shard-1-of-2.jsonl --out out/sweep

merge reads the shard files (a directory stands for its shard-*.jsonl files), checks that
they are one run's (the same repairsim version, command, scenario hashes and N), that no
shard is missing or given twice, then runs the shards' command line with --out DIR,
taking the replications from the files instead of simulating them. The outputs are those
of the same command on one machine, byte for byte, charts and report included.

It re-reads the scenario and policy files the shards' command line names, from the
current directory, and refuses them if their content hash differs from the shards'.
`report` simulates replication 0 again for its events, timelines and charts.")]
pub struct MergeArgs {
    /// Shard files, or directories of them.
    #[arg(value_name = "DIR|FILE", required = true)]
    pub inputs: Vec<PathBuf>,
    /// Directory for the outputs.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Print nothing on success (and draw no progress bar).
    #[arg(long, short)]
    pub quiet: bool,
}

/// `repairsim merge`.
pub fn merge(args: MergeArgs) -> Result<(), CliError> {
    let mut set = ShardSet::open(&args.inputs)?;
    let argv = &set.header.argv;
    let cli = Cli::try_parse_from(std::iter::once("repairsim".to_string()).chain(argv.clone()))
        .map_err(|e| {
            CliError::Input(format!(
                "the shards' command line `repairsim {}` does not parse: {}",
                argv.join(" "),
                e.render().to_string().trim_end()
            ))
        })?;
    if !args.quiet {
        super::eprint_line(&format!("merging {}", describe(&set)));
    }
    let patches = super::patches(&cli)?;
    let out = Some(args.out);
    let no_shard = ShardArgs::default();
    match cli.command {
        Command::Sweep(mut a) => {
            (a.out, a.quiet, a.shard) = (out, args.quiet, no_shard);
            super::sweep::run_with(a, &patches, Some(&mut set))
        }
        Command::Compare(mut a) => {
            (a.out, a.quiet, a.shard) = (out, args.quiet, no_shard);
            super::compare::run_with(a, &patches, Some(&mut set))
        }
        Command::Report(mut a) => {
            (a.out, a.quiet, a.shard) = (out, args.quiet, no_shard);
            super::report::run_with(a, &patches, Some(&mut set))
        }
        _ => Err(CliError::Input(format!(
            "the shards' command line `repairsim {}` is not a sweep, compare or report",
            argv.join(" ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_split_until_ci_and_a_fixed_count_is_one_round() {
        assert_eq!(
            round_span(Stop::Fixed(30), 1, None).unwrap(),
            Span { from: 0, to: 30 }
        );
        assert!(round_span(Stop::Fixed(30), 2, None).is_err());
        let until = Stop::UntilCi {
            metric: 0,
            half_width: 1.0,
            min: 10,
            max: 250,
            every: 100,
        };
        let e = round_span(until, 1, None).unwrap_err();
        assert!(e.to_string().contains("--round-size"), "{e}");
        assert_eq!(
            round_span(until, 1, Some(100)).unwrap(),
            Span { from: 0, to: 100 }
        );
        assert_eq!(
            round_span(until, 3, Some(100)).unwrap(),
            Span { from: 200, to: 250 }
        );
        let e = round_span(until, 4, Some(100)).unwrap_err();
        assert!(e.to_string().contains("--max-replications is 250"), "{e}");
    }
}
