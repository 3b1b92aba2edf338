//! The fuzzing campaign: a fixed number of seeded executions of
//! `repairsim::fuzz` over the shipped scenarios and golden files.
//!
//! ```text
//! cargo run --release --example fuzz -- --execs 1000000 --seed 1
//! ```
//!
//! Exits 0 when every execution held the oracle, 1 otherwise, after
//! printing each finding with the command that reruns it alone and the
//! input, also written under `--crashes`.

use clap::Parser;
use repairsim::fuzz::{self, Corpus, Counts};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Mutation-fuzz the scenario loader, --set patches and golden files")]
struct Args {
    /// Executions to run.
    #[arg(long, default_value_t = 20_000)]
    execs: u64,
    /// The campaign's seed: with --start and --execs, it fixes every input.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The first execution's index (to rerun one finding: --start I --execs 1).
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// The directory of scenarios and golden directories to mutate.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))]
    corpus: PathBuf,
    /// Where the inputs of findings are written, one directory each.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/target/fuzz-findings"))]
    findings: PathBuf,
    /// Print every input before running it (with --execs 1, to see one).
    #[arg(long)]
    show: bool,
}

fn line(c: &Counts) -> String {
    format!(
        "{} execs, {} panics, {} other; scenarios: {} bad --set, {} refused, {} loaded, \
         {} simulated, {} step-capped; goldens: {} refused, {} compared",
        c.execs,
        c.panics,
        c.other,
        c.bad_arg,
        c.refused,
        c.loaded,
        c.simulated,
        c.step_capped,
        c.golden_refused,
        c.golden_compared
    )
}

fn main() -> ExitCode {
    let args = Args::parse();
    let corpus = match Corpus::read(&args.corpus) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "error: could not read the corpus {}: {e}",
                args.corpus.display()
            );
            return ExitCode::from(2);
        }
    };
    eprintln!(
        "fuzz: seed {}, executions {}..{}, {} scenarios and {} golden directories from {}",
        args.seed,
        args.start,
        args.start + args.execs,
        corpus.scenarios.len(),
        corpus.goldens.len(),
        args.corpus.display()
    );
    if args.show {
        for i in args.start..args.start + args.execs {
            eprintln!("input {i}: {:#?}", fuzz::generate(&corpus, args.seed, i));
        }
    }
    let began = Instant::now();
    let mut last = began;
    let (counts, findings) = fuzz::campaign(
        &corpus,
        args.seed,
        args.start..args.start + args.execs,
        |c| {
            // The clock only paces the progress lines; inputs never see it.
            if c.execs % 1024 == 0 && last.elapsed() >= Duration::from_secs(10) {
                last = Instant::now();
                let s = began.elapsed().as_secs_f64();
                eprintln!(
                    "fuzz: {:.0} s, {:.0} execs/s: {}",
                    s,
                    c.execs as f64 / s,
                    line(c)
                );
            }
            true
        },
    );
    let secs = began.elapsed().as_secs_f64();
    for f in &findings {
        eprintln!(
            "\nFINDING at seed {} execution {}: {}\nrerun it alone: cargo run --release \
             --example fuzz -- --seed {} --start {} --execs 1 --show",
            f.seed, f.index, f.broken, f.seed, f.index
        );
        let dir = args
            .findings
            .join(format!("seed{}-exec{}", f.seed, f.index));
        for (name, text) in f.input.files(&corpus) {
            eprintln!("--- {name} ({} bytes)\n{text:?}", text.len());
            let path = dir.join(&name);
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, &text));
            if let Err(e) = written {
                eprintln!("could not write {}: {e}", path.display());
            }
        }
        eprintln!("(written under {})", dir.display());
    }
    println!("{}", line(&counts));
    println!(
        "fuzz: seed {}, {} executions in {:.1} s, {:.0} execs/s, {} panics, {} other findings",
        args.seed,
        counts.execs,
        secs,
        counts.execs as f64 / secs.max(1e-9),
        counts.panics,
        counts.other
    );
    if counts.panics + counts.other > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
