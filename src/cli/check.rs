//! `repairsim check [PATH...]`: run scenarios as regression tests of the
//! timing rules. Every `[[expect]]` table, every golden file and docs/POLICY.md's
//! invariants become test cases; the exit code says whether all held.
//!
//! Order of work: find the files, load every scenario and golden file (any
//! bad input stops here, with exit 2, before anything runs), run each
//! scenario, check, then print and write the JUnit file and blessed golden
//! files.

use super::run::{RunOutput, simulate_run};
use super::{CliError, Out, progress};
use crate::check::eval::{self, RunView};
use crate::check::expect::{Expect, Expectation};
use crate::check::golden::{FILES, Golden};
use crate::check::render;
use crate::check::{Case, ScenarioReport, Status};
use crate::engine::Sim;
use crate::invariants::{InvariantChecker, Violation};
use crate::mc::metrics::{RepResult, measure, measure_stats};
use crate::mc::runner::{self, Flow};
use crate::mc::sweep::PointSummary;
use crate::observe::Fanout;
use crate::observe::incidents::IncidentLog;
use crate::observe::timeline::TimelineLog;
use crate::report::{self, Staging};
use crate::scenario::{self, Patch, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
#[command(after_help = "\
What is checked, for each scenario:
  - every [[expect]] table (an event at a time or in a window, no event of a kind,
    an incident's outcome and timings, a bound on a metric or on its 95% CI, of
    the scenario or of a what-if variant; the README section [[expect]] has the syntax);
  - the golden files in <dir>/<name>.golden/ (events.csv, incidents.csv and
    summary.json, as `run` writes them), when they exist: the events that moved,
    went or came, each with its time and delta; the incidents whose columns
    changed; and the summary values that moved;
  - the invariants of docs/POLICY.md, on the run and on every replication check runs.
A directory is searched for *.toml files (not recursively); those with [[expect]]
tables or golden files are checked. A file named on the command line is always checked.

Examples:
  repairsim check scenarios/
  repairsim check scenarios/ --junit out/junit.xml --format json
  repairsim check scenarios/ --bless                 # after an intended change
  repairsim check scenarios/example-1-reboot.toml --set policy.repair_delay=6m

Exit codes: 0 every case passed, 1 some case failed, 2 bad input (a scenario,
an [[expect]] table, a golden file or a flag), 3 an output could not be written.")]
pub struct Args {
    /// Scenario files, or directories of them [default: scenarios].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also write the results as JUnit XML to FILE (for GitHub, GitLab, Azure Pipelines).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// How to print the results on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Rewrite the golden files from this run (after an intended change);
    /// in a directory, every scenario gets golden files.
    #[arg(long)]
    pub bless: bool,
    /// Print only the failures and the verdict (text format).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Worker threads for expectations over replications (0: one per core).
    /// Results are the same for any value.
    #[arg(long, default_value_t = 0, value_name = "N",
          value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One line per scenario, then every failure with its details.
    Text,
    /// One JSON document with every case (for jq and dashboards).
    Json,
}

/// A scenario to check, with its golden files as loaded.
struct Target {
    file: PathBuf,
    scenario: Scenario,
    /// Its `[[expect]]` tables, in file order.
    expectations: Vec<Expectation>,
    golden_dir: PathBuf,
    golden: Option<Golden>,
    /// Under `--bless`, why the golden directory could not be read (it is
    /// then rewritten as if absent).
    unreadable: Option<String>,
    /// The what-if variants metric expectations name with `set`.
    variants: BTreeMap<Vec<String>, Scenario>,
}

/// `<dir>/<stem>.golden`.
fn golden_dir(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    file.with_file_name(format!("{stem}.golden"))
}

/// The scenario files `paths` name, each with whether it was named
/// explicitly, in command-line order and file-name order within a directory.
pub(super) fn find_files(paths: &[PathBuf]) -> Result<Vec<(PathBuf, bool)>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| {
                CliError::Input(format!(
                    "{}: could not read the directory: {e}",
                    p.display()
                ))
            })?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            out.extend(files.into_iter().map(|f| (f, false)));
        } else if p.is_file() {
            out.push((p.clone(), true));
        } else if p.exists() {
            return Err(CliError::Input(format!(
                "{}: not a regular file (a FIFO or a device?); give a scenario file",
                p.display()
            )));
        } else {
            return Err(CliError::Input(format!(
                "{}: no such file or directory; give scenario files or directories of them",
                p.display()
            )));
        }
    }
    Ok(out)
}

/// Why a golden directory could not be read.
enum Unreadable {
    /// A file is missing or malformed: `--bless` rewrites it.
    Mendable(String),
    /// Something `--bless` must not remove is in the way (a file where the
    /// directory should be, a directory where a file should be).
    Blocked(String),
}

/// The golden directory's files, `None` when there is no directory; the
/// error names the file, the line and what is wrong.
fn read_golden(dir: &Path) -> Result<Option<Golden>, Unreadable> {
    if !dir.exists() {
        return Ok(None);
    }
    if !dir.is_dir() {
        return Err(Unreadable::Blocked(format!(
            "{}: not a directory, but golden files go there; move it away",
            dir.display()
        )));
    }
    let mut texts = Vec::new();
    for name in FILES {
        let p = dir.join(name);
        if p.is_dir() {
            return Err(Unreadable::Blocked(format!(
                "{}: a directory where the golden file should be; move it away",
                p.display()
            )));
        }
        // Reading a FIFO or a device could block forever.
        if p.exists() && !p.is_file() {
            return Err(Unreadable::Blocked(format!(
                "{}: not a regular file where the golden file should be; move it away",
                p.display()
            )));
        }
        texts.push(std::fs::read_to_string(&p).map_err(|e| {
            Unreadable::Mendable(format!(
                "{}: could not read the golden file: {e}",
                p.display()
            ))
        })?);
    }
    Golden::parse(&texts[0], &texts[1], &texts[2])
        .map(Some)
        .map_err(|(file, line, e)| {
            Unreadable::Mendable(format!("{}:{line}: {e}", dir.join(file).display()))
        })
}

/// Loads every scenario and golden file; all the bad ones are reported together.
/// The scenarios to check, and the files of a directory that have nothing
/// to check (no `[[expect]]` tables, no golden files).
fn load_targets(args: &Args, patches: &[Patch]) -> Result<(Vec<Target>, Vec<PathBuf>), CliError> {
    let default = [PathBuf::from("scenarios")];
    let paths = if args.paths.is_empty() {
        &default[..]
    } else {
        &args.paths[..]
    };
    let files = find_files(paths)?;
    let mut errors = Vec::new();
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for (file, named) in files {
        let (scenario, expectations) = match super::load_file(&file, patches) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        let golden_dir = golden_dir(&file);
        let (golden, unreadable) = match read_golden(&golden_dir) {
            Ok(g) => (g, None),
            // --bless is how a broken golden directory is mended.
            Err(Unreadable::Mendable(e)) if args.bless => (None, Some(e)),
            Err(Unreadable::Mendable(e)) => {
                errors.push(format!(
                    "{e}; `repairsim check --bless` rewrites the golden files"
                ));
                continue;
            }
            Err(Unreadable::Blocked(e)) => {
                errors.push(e);
                continue;
            }
        };
        let mut variants = BTreeMap::new();
        for (i, x) in expectations.iter().enumerate() {
            let Expect::Metric(m) = &x.kind else { continue };
            if m.set.is_empty() || variants.contains_key(&m.set) {
                continue;
            }
            let at = format!(
                "{}:{}: expect[{i}].set",
                file.display(),
                x.line.map_or("?".into(), |l| l.to_string())
            );
            let mut with = patches.to_vec();
            for a in &m.set {
                match Patch::parse_set(a) {
                    Ok(p) => with.push(p),
                    Err(e) => errors.push(format!("{at}: {e}")),
                }
            }
            match scenario::load_file_with(&file, &with) {
                Ok(v) => {
                    variants.insert(m.set.clone(), v);
                }
                Err(e) => errors.push(format!("{at}: {e}")),
            }
        }
        if !(named || args.bless || golden.is_some() || !expectations.is_empty()) {
            skipped.push(file);
            continue;
        }
        targets.push(Target {
            file,
            scenario,
            expectations,
            golden_dir,
            golden,
            unreadable,
            variants,
        });
    }
    if !errors.is_empty() {
        return Err(CliError::Input(errors.join("\nerror: ")));
    }
    if targets.is_empty() {
        let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(CliError::Input(format!(
            "nothing to check in {}: no scenario there has [[expect]] tables or golden files \
             (add [[expect]] tables, or run `repairsim check --bless` to write golden files)",
            list.join(", ")
        )));
    }
    Ok((targets, skipped))
}

/// A run's golden files: their bytes, in [`FILES`] order, and parsed.
fn actual_files(sc: &Scenario, r: &RunOutput) -> Result<([Vec<u8>; 3], Golden), CliError> {
    let render =
        |e: std::io::Error| CliError::Output(format!("could not render a golden file: {e}"));
    let bytes = [
        report::events_csv(&r.events).map_err(render)?,
        report::incidents_csv(sc, &r.incidents).map_err(render)?,
        r.summary.to_json().into_bytes(),
    ];
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let parsed = Golden::parse(&text(&bytes[0]), &text(&bytes[1]), &text(&bytes[2])).map_err(
        |(f, l, e)| {
            CliError::Output(format!(
                "repairsim wrote a {f} it cannot read back (line {l}: {e}); please report this"
            ))
        },
    )?;
    Ok((bytes, parsed))
}

/// A what-if variant: the `set` overrides of a metric expectation (empty:
/// the scenario as loaded).
type Overrides = Vec<String>;

/// What the metric expectations need measured beyond the run: the
/// overrides, and how many replications (`None`: the variant's run).
fn measurements(expectations: &[Expectation]) -> Vec<(Overrides, Option<u64>)> {
    let mut v: Vec<(Overrides, Option<u64>)> = expectations
        .iter()
        .filter_map(|x| match &x.kind {
            Expect::Metric(m) if m.beyond_the_run() => Some((m.set.clone(), m.replications)),
            _ => None,
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// What `check` will run: each scenario once, with its records kept (the
/// golden files are rendered from them), and each expectation's
/// replications.
fn check_estimate(targets: &[Target], threads: u16) -> crate::budget::Estimate {
    use crate::budget::{Estimate, KEPT_MEMORY, run_work};
    let mut total = Estimate::default();
    let mut runs: u128 = 0;
    for t in targets {
        let more: u128 = measurements(&t.expectations)
            .iter()
            .map(|(_, n)| u128::from(n.unwrap_or(1)))
            .sum();
        let e = Estimate::runs(&t.scenario, 1 + more, super::workers(threads));
        let kept = run_work(&t.scenario).saturating_mul(u128::from(KEPT_MEMORY));
        total.work = total.work.saturating_add(e.work);
        total.memory = total.memory.max(e.memory.saturating_add(kept));
        runs = runs.saturating_add(1 + more);
    }
    total.what = format!(
        "{} scenario{}, {runs} runs in all",
        targets.len(),
        if targets.len() == 1 { "" } else { "s" }
    );
    total
}

/// One replication with the invariant checker watching.
fn checked_replication(sc: &Scenario, r: u64) -> (RepResult, Vec<Violation>) {
    let mut incidents = IncidentLog::folding();
    let mut timeline = TimelineLog::new(false);
    let mut checker = InvariantChecker::new(sc);
    Sim::new(
        sc,
        r,
        &mut Fanout(vec![&mut incidents, &mut timeline, &mut checker]),
    )
    .run();
    (
        measure_stats(sc, r, incidents.into_stats(), &timeline),
        checker.violations,
    )
}

/// What the metric expectations beyond the run measured.
#[derive(Default)]
struct Measured {
    /// By (overrides, replications): every metric's estimate.
    estimates: BTreeMap<(Overrides, u64), Vec<crate::mc::estimate::Estimate>>,
    /// By overrides: the variant's run (replication 0).
    runs: BTreeMap<Overrides, Vec<Option<f64>>>,
    /// Broken invariants, each with where: `replication 7 with KEY=VALUE`.
    violations: Vec<(String, Violation)>,
}

fn measured(pool: &rayon::ThreadPool, t: &Target, bar: &indicatif::ProgressBar) -> Measured {
    let mut out = Measured::default();
    // Replications already watched, by variant: those of a smaller count
    // are a prefix of a larger one's, and the run is replication 0.
    let mut checked: BTreeMap<Overrides, u64> = BTreeMap::new();
    checked.insert(Vec::new(), 1);
    for (set, n) in measurements(&t.expectations) {
        let sc = t.variants.get(&set).unwrap_or(&t.scenario);
        let with = if set.is_empty() {
            String::new()
        } else {
            format!(" with {}", set.join(", "))
        };
        let from = checked.get(&set).copied().unwrap_or(0);
        let Some(n) = n else {
            let (res, broken) = checked_replication(sc, 0);
            if from == 0 {
                let w = &with;
                out.violations
                    .extend(broken.into_iter().map(|v| (format!("replication 0{w}"), v)));
            }
            checked.insert(set.clone(), from.max(1));
            out.runs.insert(set, res.values);
            continue;
        };
        let mut summary = PointSummary::new(vec![], sc.horizon.ms());
        bar.set_message(format!("{}{with} ({n} replications)", sc.name));
        let violations = &mut out.violations;
        runner::replicate(
            pool,
            n,
            |r| checked_replication(sc, r),
            |r, (res, broken)| {
                summary.push(res);
                if r >= from {
                    violations.extend(
                        broken
                            .into_iter()
                            .map(|v| (format!("replication {r}{with}"), v)),
                    );
                }
                bar.inc(1);
                Ok::<_, ()>(Flow::Continue)
            },
        )
        .unwrap_or_else(|()| unreachable!("the consumer never fails"));
        checked.insert(set.clone(), from.max(n));
        out.estimates.insert((set, n), summary.estimates());
    }
    out
}

/// A golden file to write: its name in the golden directory and its bytes.
type GoldenFile = (&'static str, Vec<u8>);

/// The golden cases of a run and, under `--bless`, the files to write.
fn golden_cases(
    t: &Target,
    r: &RunOutput,
    bless: bool,
) -> Result<(Vec<Case>, Vec<GoldenFile>), CliError> {
    let (bytes, actual) = actual_files(&t.scenario, r)?;
    let failures = match &t.golden {
        Some(g) => g.compare(&actual),
        None => [None, None, None],
    };
    if !bless {
        if t.golden.is_none() {
            return Ok((vec![], vec![]));
        }
        let cases = FILES
            .iter()
            .zip(failures)
            .map(|(name, f)| Case::new(format!("golden {name}"), "golden", None, f))
            .collect();
        return Ok((cases, vec![]));
    }
    let dir = t.golden_dir.display();
    let mut files = Vec::new();
    let mut cases = Vec::new();
    for ((name, bytes), failure) in FILES.iter().zip(bytes).zip(failures) {
        let old = std::fs::read(t.golden_dir.join(name)).ok();
        let mut c = Case::new(format!("golden {name}"), "golden", None, None);
        if old.as_deref() != Some(&bytes[..]) {
            c.status = Status::Blessed;
            c.note = Some(match (&t.golden, &t.unreadable, failure) {
                (None, Some(why), _) => {
                    format!("rewrote {dir}/{name}; the golden files could not be read ({why})")
                }
                (None, None, _) => format!("wrote {dir}/{name}"),
                (Some(_), _, Some(f)) => format!("rewrote {dir}/{name}: {}", f.message),
                (Some(_), _, None) => format!(
                    "rewrote {dir}/{name} (no change in behaviour; provenance or formatting)"
                ),
            });
            files.push((*name, bytes));
        }
        cases.push(c);
    }
    Ok((cases, files))
}

/// Case names made unique within a scenario (`name #2`), since JUnit
/// readers merge or hide test cases that share a name.
fn unique_names(mut cases: Vec<Case>) -> Vec<Case> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for c in &mut cases {
        let n = seen.entry(c.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            c.name = format!("{} #{n}", c.name);
        }
    }
    cases
}

/// Writes a JUnit file atomically, creating its directory.
fn write_junit(path: &Path, xml: &str) -> Result<(), CliError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| CliError::Output(format!("could not create {}: {e}", parent.display())))?;
    }
    report::write_atomic(path, xml.as_bytes())
        .map_err(|e| CliError::Output(format!("could not write {}: {e}", path.display())))
}

/// Everything `check` reads, loaded: the `--set` patches, the scenarios
/// and their golden files.
fn load(
    args: &Args,
    file: &[Patch],
    sets: &[String],
) -> Result<(Vec<Target>, Vec<PathBuf>), CliError> {
    let patches: Vec<Patch> = file
        .iter()
        .cloned()
        .chain(super::parse_sets(sets)?)
        .collect();
    if args.bless && !patches.is_empty() {
        return Err(CliError::Input(
            "--bless with --set or --policy-file would write golden files that the scenario \
             files do not produce; edit the scenario instead, or drop them"
                .into(),
        ));
    }
    load_targets(args, &patches)
}

/// `check` takes the `--set` arguments unparsed, so that a bad one is
/// reported like any other bad input, in the JUnit file too.
pub fn run(args: Args, file: &[Patch], sets: &[String]) -> Result<(), CliError> {
    let (targets, skipped) = match load(&args, file, sets) {
        Ok(t) => t,
        Err(e) => {
            // A CI server that publishes the JUnit file shows the error
            // instead of a stale file or none.
            if let Some(path) = &args.junit
                && let Err(w) = write_junit(path, &render::junit_error(&e.to_string()))
            {
                return Err(CliError::Input(format!("{e}\nerror: {w}")));
            }
            return Err(e);
        }
    };
    super::within_budget("check", &check_estimate(&targets, args.threads))?;
    let pool = runner::pool(usize::from(args.threads)).map_err(CliError::Output)?;
    let mut reports = Vec::new();
    let mut blessings = Vec::new();
    // Only expectations over replications take long enough to need a bar.
    let total: u64 = targets
        .iter()
        .flat_map(|t| measurements(&t.expectations))
        .filter_map(|(_, n)| n)
        .sum();
    let bar = progress::bar(total, false, total == 0);
    for t in &targets {
        let sc = &t.scenario;
        let r = simulate_run(sc, 0);
        let values = measure(sc, 0, &r.incidents, &r.timeline).values;
        let view = RunView {
            scenario: sc,
            events: r.events.events(),
            incidents: &r.incidents,
            values: &values,
        };
        let more = measured(&pool, t, &bar);
        let mut cases: Vec<Case> = t
            .expectations
            .iter()
            .map(|x| match &x.kind {
                Expect::Metric(m) if m.beyond_the_run() => {
                    let variant = t.variants.get(&m.set).unwrap_or(sc);
                    match m.replications {
                        Some(n) => {
                            let key = (m.set.clone(), n);
                            eval::check_replicated(x, &more.estimates[&key][m.metric])
                        }
                        None => {
                            let values = &more.runs[&m.set];
                            let view = RunView {
                                scenario: variant,
                                events: &[],
                                incidents: &[],
                                values,
                            };
                            eval::check_expectation(&view, x)
                        }
                    }
                }
                _ => eval::check_expectation(&view, x),
            })
            .collect();
        let (golden, files) = golden_cases(t, &r, args.bless)?;
        cases.extend(golden);
        cases.push(eval::check_invariants(&r.violations, &more.violations));
        if !files.is_empty() {
            blessings.push((t.golden_dir.clone(), files));
        }
        reports.push(ScenarioReport {
            file: t.file.display().to_string(),
            scenario: sc.name.clone(),
            cases: unique_names(cases),
        });
    }
    bar.finish_and_clear();
    // The results are printed first, so that a write that fails below
    // still leaves them in the log.
    let skipped_names: Vec<String> = skipped.iter().map(|f| f.display().to_string()).collect();
    let mut stdout = Out::stdout();
    let printed = match args.format {
        Format::Text => {
            // A file of a directory with nothing to check says so.
            let mut text = String::new();
            if !args.quiet {
                for f in &skipped {
                    text.push_str(&format!(
                        "skipped {}  ({}; `repairsim check --bless {}` writes golden files)\n",
                        f.display(),
                        render::SKIP_REASON,
                        f.display()
                    ));
                }
            }
            text.push_str(&render::text(&reports, args.quiet));
            stdout.print(&text)
        }
        Format::Json => stdout.print(&render::json(&reports, &skipped_names)),
    };
    // Golden files before the JUnit file: a JUnit file that says "blessed"
    // must not outlive a failed write.
    for (dir, files) in blessings {
        let err = super::run::out_err(&dir);
        let mut staging = Staging::merge(&dir).map_err(&err)?;
        for (name, bytes) in files {
            staging.write(name, &bytes).map_err(&err)?;
        }
        staging.commit().map_err(&err)?;
    }
    if let Some(path) = &args.junit {
        write_junit(path, &render::junit(&reports, &skipped_names))?;
    }
    printed?;
    let totals = render::Totals::of(&reports);
    if totals.failed > 0 {
        return Err(CliError::Failed(format!(
            "{} of {} check cases failed",
            totals.failed, totals.cases
        )));
    }
    Ok(())
}
