//! A deterministic mutation fuzzer for what users hand repairsim: scenario
//! files (with the `[[expect]]` tables `check` reads), `--set` and
//! `--preset` arguments, and golden files.
//!
//! cargo-fuzz needs a nightly compiler and afl.rs an external tool; this
//! needs neither. Each execution draws its input from a ChaCha stream keyed
//! by (seed, execution index), so any one execution is reproduced without
//! the ones before it. Inputs start from the shipped `scenarios/*.toml`
//! and `scenarios/*.golden/` and are mutated at the level of TOML and JSON
//! values (wrong types, boundary numbers, extreme durations, deleted,
//! duplicated and unknown keys, grafts from other scenarios), of lines
//! (cuts at line boundaries, duplicated tables) and of bytes.
//!
//! The oracle: no panic, and every error renders a non-empty message. A
//! scenario that loads is simulated too when it is small (see
//! [`MAX_SIM_NODES`]), for at most [`MAX_SIM_STEPS`] engine steps; a run
//! that finishes renders its golden files, which must read back, and has
//! its expectations evaluated, as `check` does.
//!
//! Invariant: no wall clock and no OS entropy here; the caller times the
//! campaign.

pub mod mutate;

use crate::check::eval::{self, RunView};
use crate::check::expect::{Expect, Expectation};
use crate::check::golden::{FILES, Golden};
use crate::check::render;
use crate::check::{Case, ScenarioReport};
use crate::engine::Sim;
use crate::invariants::InvariantChecker;
use crate::mc::metrics::measure;
use crate::observe::Fanout;
use crate::observe::events::EventLog;
use crate::observe::incidents::IncidentLog;
use crate::observe::timeline::TimelineLog;
use crate::scenario::{Patch, Scenario, ScenarioError, load_str_then, load_str_with};
use crate::stats::Summary;
use crate::time::SimTime;
use mutate::Words;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::{Cell, RefCell};
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// What errors name the mutated scenario.
pub const LABEL: &str = "fuzz.toml";
/// Only fleets of at most this many nodes are simulated: the point is the
/// engine's handling of odd values, not its speed.
pub const MAX_SIM_NODES: usize = 200;
/// A run is abandoned after this many engine steps (a 1 ms check interval
/// over a year would otherwise run for hours).
pub const MAX_SIM_STEPS: u64 = 20_000;
/// Only scenarios expected to draw at most this many fault arrivals are
/// simulated (nodes × horizon / mtbf, summed).
pub const MAX_SIM_ARRIVALS: u64 = 5_000;

/// How many findings a campaign keeps (it counts them all).
pub const KEEP_FINDINGS: usize = 20;

/// A shipped scenario.
pub struct ScenarioSeed {
    /// The file name, e.g. `default.toml`.
    pub name: String,
    pub text: String,
    doc: toml::Value,
    /// Its key paths as `--set` writes them, e.g. `pools[0].count`, with
    /// the value there.
    keys: Vec<(String, toml::Value)>,
}

/// A shipped golden directory.
pub struct GoldenSeed {
    /// The directory name, e.g. `default.golden`.
    pub name: String,
    /// The files' texts, in [`FILES`] order.
    pub texts: [String; 3],
    parsed: Golden,
}

/// The shipped inputs the mutations start from.
pub struct Corpus {
    pub scenarios: Vec<ScenarioSeed>,
    pub goldens: Vec<GoldenSeed>,
    words: Words,
}

impl Corpus {
    /// Reads `dir`'s `*.toml` scenarios and `*.golden/` directories, in
    /// name order.
    pub fn read(dir: &Path) -> io::Result<Corpus> {
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        let mut names: Vec<_> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<_>>()?;
        names.sort();
        let mut scenarios = Vec::new();
        let mut goldens = Vec::new();
        for name in names {
            let path = dir.join(&name);
            if name.ends_with(".toml") {
                let text = std::fs::read_to_string(&path)?;
                let doc = toml::from_str::<toml::Table>(&text)
                    .map_err(|e| bad(format!("{}: {e}", path.display())))?;
                let doc = toml::Value::Table(doc);
                let mut keys = Vec::new();
                key_paths(&doc, "", &mut Vec::new(), &mut keys);
                let keys = keys.into_iter().map(|(k, v)| (k, v.clone())).collect();
                scenarios.push(ScenarioSeed {
                    name,
                    text,
                    doc,
                    keys,
                });
            } else if name.ends_with(".golden") && path.is_dir() {
                let [e, i, s] = FILES.map(|f| std::fs::read_to_string(path.join(f)));
                let texts = [e?, i?, s?];
                let parsed = Golden::parse(&texts[0], &texts[1], &texts[2])
                    .map_err(|(f, l, m)| bad(format!("{}/{f}:{l}: {m}", path.display())))?;
                goldens.push(GoldenSeed {
                    name,
                    texts,
                    parsed,
                });
            }
        }
        if scenarios.is_empty() || goldens.is_empty() {
            return Err(bad(format!(
                "{}: no scenarios or no golden directories to start from",
                dir.display()
            )));
        }
        let words = words(&scenarios, &goldens);
        Ok(Corpus {
            scenarios,
            goldens,
            words,
        })
    }
}

/// The strings and keys below `v` (at `path`) into `words`, and the key
/// paths into `keys` with their values: every key, and every entry of an
/// array of tables.
fn key_paths<'a>(
    v: &'a toml::Value,
    path: &str,
    words: &mut Vec<String>,
    keys: &mut Vec<(String, &'a toml::Value)>,
) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                let p = crate::scenario::load::key_path(path, k);
                words.push(k.clone());
                keys.push((p.clone(), x));
                key_paths(x, &p, words, keys);
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = crate::scenario::load::index_path(path, i);
                if x.is_table() {
                    keys.push((p.clone(), x));
                }
                key_paths(x, &p, words, keys);
            }
        }
        toml::Value::String(s) => words.push(s.clone()),
        _ => {}
    }
}

/// The corpus's strings and keys, and the key paths `--set` takes.
fn words(scenarios: &[ScenarioSeed], goldens: &[GoldenSeed]) -> Words {
    let mut words = Vec::new();
    let mut keys = Vec::new();
    for s in scenarios {
        let mut paths = Vec::new();
        key_paths(&s.doc, "", &mut words, &mut paths);
        keys.extend(paths.into_iter().map(|(k, _)| k));
    }
    for k in crate::policy::spec::POLICY_FIELDS {
        keys.push(format!("policy.{k}"));
    }
    for k in crate::policy::spec::KUBERNETES_FIELDS {
        keys.push(format!("kubernetes.{k}"));
    }
    words.extend(crate::policy::Preset::ALL.map(|p| p.name().to_string()));
    // Node names and event reasons, as the golden files write them.
    for g in goldens {
        for r in g.parsed.incidents.iter().take(20) {
            words.push(r.node.clone());
        }
        for r in g.parsed.events.iter().take(20) {
            words.push(r.reason.clone());
        }
    }
    // Long texts (descriptions) would crowd out the names.
    words.retain(|w| w.len() <= 80);
    words.sort();
    words.dedup();
    keys.sort();
    keys.dedup();
    Words { words, keys }
}

/// A command-line patch, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// The argument of `--set`.
    Set(String),
    /// The argument of `--preset`.
    Preset(String),
}

/// One execution's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A scenario text, loaded with these patches and `check`'s
    /// `[[expect]]` hook.
    Scenario {
        /// The shipped scenario it was mutated from.
        from: String,
        text: String,
        args: Vec<Arg>,
    },
    /// A golden directory's three texts, compared as `check` compares them
    /// with a run that wrote the shipped ones.
    Golden {
        /// Index of the shipped golden directory in the corpus.
        base: usize,
        texts: [String; 3],
    },
}

impl Input {
    /// The input as files and a command line, for a bug report: `(name,
    /// contents)` pairs, `args.txt` holding the patches one a line.
    pub fn files(&self, corpus: &Corpus) -> Vec<(String, String)> {
        match self {
            Input::Scenario { text, args, .. } => {
                let args: String = args
                    .iter()
                    .map(|a| match a {
                        Arg::Set(s) => format!("--set {s:?}\n"),
                        Arg::Preset(s) => format!("--preset {s:?}\n"),
                    })
                    .collect();
                vec![(LABEL.into(), text.clone()), ("args.txt".into(), args)]
            }
            Input::Golden { base, texts } => {
                let dir = &corpus.goldens[*base].name;
                FILES
                    .iter()
                    .zip(texts)
                    .map(|(f, t)| (format!("{dir}/{f}"), t.clone()))
                    .collect()
            }
        }
    }
}

/// The generator of execution `index` of the campaign `seed`: its own
/// stream, so that any execution is reproduced on its own.
pub fn exec_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// Draws execution `index`'s input.
pub fn generate(corpus: &Corpus, seed: u64, index: u64) -> Input {
    let rng = &mut exec_rng(seed, index);
    let w = &corpus.words;
    let roll = rng.gen_range(0..100);
    if roll >= 72 {
        let base = rng.gen_range(0..corpus.goldens.len());
        let mut texts = corpus.goldens[base].texts.clone();
        for _ in 0..rng.gen_range(1..=3) {
            let f = rng.gen_range(0..3);
            texts[f] = match f {
                2 => mutate::mutate_json(rng, w, &texts[f]),
                _ => mutate::mutate_csv(rng, w, &texts[f]),
            };
        }
        return Input::Golden { base, texts };
    }
    let i = rng.gen_range(0..corpus.scenarios.len());
    let seed = &corpus.scenarios[i];
    let donor = &corpus.scenarios[rng.gen_range(0..corpus.scenarios.len())];
    let others: Vec<&toml::Value> = corpus.scenarios.iter().map(|s| &s.doc).collect();
    // `tweaks` in-type changes after `ops` structural ones.
    let structural = |rng: &mut ChaCha8Rng, ops: u32, tweaks: u32| {
        let mut doc = seed.doc.clone();
        for _ in 0..ops {
            mutate::mutate_doc(rng, w, &mut doc, &others);
        }
        for _ in 0..tweaks {
            mutate::tweak_doc(rng, w, &mut doc);
        }
        // A document the serializer cannot write is tried as shipped.
        toml::to_string(&doc).unwrap_or_else(|_| seed.text.clone())
    };
    let mut args = Vec::new();
    let text = match roll {
        // Values and structure, sometimes then lines or bytes.
        0..28 => {
            // Mostly one change, so that it is what the loader meets.
            let ops = *[1, 1, 1, 2, 2, 3, 4].choose(rng).expect("counts");
            let mut t = structural(rng, ops, 0);
            if rng.gen_bool(0.25) {
                t = mutate::mutate_text(rng, w, &t, &donor.text);
            }
            t
        }
        // Values moved within their types: mutants that load more often.
        28..40 => {
            let tweaks = rng.gen_range(1..=4);
            structural(rng, 0, tweaks)
        }
        // Lines and bytes of the file as shipped, comments included.
        40..50 => {
            let mut t = seed.text.clone();
            for _ in 0..rng.gen_range(1..=3) {
                t = mutate::mutate_text(rng, w, &t, &donor.text);
            }
            t
        }
        // Command-line patches, mostly on the file as shipped so that
        // they are what is wrong.
        _ => {
            if rng.gen_bool(0.1) {
                let name = if rng.gen_bool(0.7) {
                    crate::policy::Preset::ALL[rng.gen_range(0..crate::policy::Preset::ALL.len())]
                        .name()
                        .to_string()
                } else {
                    mutate::string(rng, w)
                };
                args.push(Arg::Preset(name));
            }
            for _ in 0..*[1, 1, 1, 2, 3].choose(rng).expect("counts") {
                args.push(Arg::Set(mutate::set_arg(rng, w, &seed.keys)));
            }
            if rng.gen_bool(0.3) {
                structural(rng, 1, 0)
            } else {
                seed.text.clone()
            }
        }
    };
    Input::Scenario {
        from: seed.name.clone(),
        text,
        args,
    }
}

/// How an execution ended, when the oracle held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A `--set` argument was refused before loading.
    BadArg,
    /// The scenario was refused with an error.
    Refused,
    /// The scenario loaded; too big to simulate here.
    Loaded,
    /// Loaded and simulated to its horizon.
    Simulated,
    /// Loaded, and the run was abandoned after [`MAX_SIM_STEPS`].
    StepCapped,
    /// The golden files were refused with an error.
    GoldenRefused,
    /// The golden files parsed and were compared.
    GoldenCompared,
}

/// The oracle's checks beyond "no panic".
fn nonempty(e: &ScenarioError) -> Result<(), String> {
    if e.message.trim().is_empty() || e.to_string().trim().is_empty() {
        return Err(format!("an error with an empty message: {e:?}"));
    }
    Ok(())
}

/// Runs one input. `Err` is a broken oracle other than a panic.
pub fn execute(corpus: &Corpus, input: &Input) -> Result<Verdict, String> {
    match input {
        Input::Scenario { text, args, .. } => scenario(text, args),
        Input::Golden { base, texts } => golden(&corpus.goldens[*base].parsed, texts),
    }
}

fn scenario(text: &str, args: &[Arg]) -> Result<Verdict, String> {
    let mut patches = Vec::new();
    for a in args {
        match a {
            Arg::Set(s) => match Patch::parse_set(s) {
                Ok(p) => patches.push(p),
                Err(e) => return nonempty(&e).map(|()| Verdict::BadArg),
            },
            Arg::Preset(name) => patches.push(Patch::Preset(name.clone())),
        }
    }
    let loaded = load_str_then(LABEL, text, &patches, crate::check::load::expectations);
    let (sc, expectations) = match loaded {
        Ok(x) => x,
        Err(e) => return nonempty(&e).map(|()| Verdict::Refused),
    };
    for w in &sc.warnings {
        nonempty(w)?;
    }
    // `check` loads each metric expectation's `set` variant.
    for x in &expectations {
        let Expect::Metric(m) = &x.kind else { continue };
        if m.set.is_empty() {
            continue;
        }
        let mut with = patches.clone();
        for a in &m.set {
            match Patch::parse_set(a) {
                Ok(p) => with.push(p),
                Err(e) => nonempty(&e)?,
            }
        }
        if let Err(e) = load_str_with(LABEL, text, &with) {
            nonempty(&e)?;
        }
    }
    if !small(&sc) {
        return Ok(Verdict::Loaded);
    }
    bounded_run(&sc, &expectations)
}

/// Whether a run of `sc` is cheap enough for a fuzzing execution.
fn small(sc: &Scenario) -> bool {
    let horizon = sc.horizon.ms() as u128;
    let arrivals: u128 = sc
        .arrivals
        .iter()
        .map(|a| a.nodes.len() as u128 * horizon / (a.mtbf.ms() as u128).max(1))
        .sum();
    sc.fleet.len() <= MAX_SIM_NODES && arrivals <= MAX_SIM_ARRIVALS as u128
}

/// One replication with the observers `run` and `check` use, for at most
/// [`MAX_SIM_STEPS`] steps; a finished run renders its golden files, reads
/// them back and evaluates the expectations.
fn bounded_run(sc: &Scenario, expectations: &[Expectation]) -> Result<Verdict, String> {
    let mut incidents = IncidentLog::new();
    let mut timeline = TimelineLog::new(true);
    let mut events = EventLog::new();
    let mut checker = InvariantChecker::new(sc);
    {
        let mut obs = Fanout(vec![
            &mut incidents,
            &mut timeline,
            &mut events,
            &mut checker,
        ]);
        let mut sim = Sim::new(sc, 0, &mut obs);
        let mut steps = 0;
        while sim.step().is_some() {
            steps += 1;
            if steps >= MAX_SIM_STEPS {
                return Ok(Verdict::StepCapped);
            }
        }
        sim.finish();
    }
    let horizon = SimTime::ZERO + sc.horizon;
    let summary = Summary::build(sc, 0, incidents.stats(), &timeline, horizon)
        .with_masked_faults(incidents.masked_faults());
    let incidents = incidents.into_incidents();
    let texts = [
        crate::report::events_csv(&events).map_err(|e| format!("events.csv: {e}"))?,
        crate::report::incidents_csv(sc, &incidents).map_err(|e| format!("incidents.csv: {e}"))?,
        summary.to_json().into_bytes(),
    ]
    .map(|b| String::from_utf8_lossy(&b).into_owned());
    if let Err((f, l, m)) = Golden::parse(&texts[0], &texts[1], &texts[2]) {
        return Err(format!(
            "repairsim wrote a {f} it cannot read back (line {l}: {m})"
        ));
    }
    let values = measure(sc, 0, &incidents, &timeline).values;
    let view = RunView {
        scenario: sc,
        events: events.events(),
        incidents: &incidents,
        values: &values,
    };
    let mut cases: Vec<Case> = expectations
        .iter()
        .filter(|x| !matches!(&x.kind, Expect::Metric(m) if m.beyond_the_run()))
        .map(|x| eval::check_expectation(&view, x))
        .collect();
    cases.push(eval::check_invariants(&checker.violations, &[]));
    rendered(sc, cases);
    Ok(Verdict::Simulated)
}

/// Renders cases as `check` does, in every format.
fn rendered(sc: &Scenario, cases: Vec<Case>) {
    let reports = [ScenarioReport {
        file: LABEL.into(),
        scenario: sc.name.clone(),
        cases,
    }];
    std::hint::black_box((
        render::text(&reports, false),
        render::json(&reports, &[]),
        render::junit(&reports, &[]),
    ));
}

fn golden(actual: &Golden, texts: &[String; 3]) -> Result<Verdict, String> {
    let committed = match Golden::parse(&texts[0], &texts[1], &texts[2]) {
        Ok(g) => g,
        Err((f, l, m)) if m.trim().is_empty() => {
            return Err(format!("{f}:{l}: an error with an empty message"));
        }
        Err(_) => return Ok(Verdict::GoldenRefused),
    };
    // Both ways: the mutant as the committed file, and as a run's.
    let cases = FILES
        .iter()
        .zip(committed.compare(actual))
        .chain(FILES.iter().zip(actual.compare(&committed)))
        .map(|(name, f)| Case::new(format!("golden {name}"), "golden", None, f))
        .collect();
    let reports = [ScenarioReport {
        file: LABEL.into(),
        scenario: "golden".into(),
        cases,
    }];
    std::hint::black_box((render::text(&reports, false), render::json(&reports, &[])));
    Ok(Verdict::GoldenCompared)
}

/// A broken oracle: a panic, or an error with nothing to say.
#[derive(Clone, Debug)]
pub struct Finding {
    pub seed: u64,
    pub index: u64,
    pub broken: Broken,
    pub input: Input,
}

/// Executions by how they ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub execs: u64,
    pub panics: u64,
    /// Broken oracles other than panics.
    pub other: u64,
    pub bad_arg: u64,
    pub refused: u64,
    pub loaded: u64,
    pub simulated: u64,
    pub step_capped: u64,
    pub golden_refused: u64,
    pub golden_compared: u64,
}

impl Counts {
    fn add(&mut self, v: Verdict) {
        *match v {
            Verdict::BadArg => &mut self.bad_arg,
            Verdict::Refused => &mut self.refused,
            Verdict::Loaded => &mut self.loaded,
            Verdict::Simulated => &mut self.simulated,
            Verdict::StepCapped => &mut self.step_capped,
            Verdict::GoldenRefused => &mut self.golden_refused,
            Verdict::GoldenCompared => &mut self.golden_compared,
        } += 1;
    }
}

thread_local! {
    /// Set while this thread runs an execution: its panics are recorded, not printed.
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once, a panic hook that records the panics of fuzzing
/// threads instead of printing them; other threads' panics print as before.
fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.with(Cell::get) {
                CAUGHT.with(|c| *c.borrow_mut() = Some(info.to_string()));
            } else {
                before(info);
            }
        }));
    });
}

/// How an execution broke the oracle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Broken {
    /// The panic's message, with its location.
    Panic(String),
    /// What else was wrong (an empty error message, an unreadable output).
    Oracle(String),
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Broken::Panic(m) => write!(f, "panic: {m}"),
            Broken::Oracle(m) => write!(f, "oracle: {m}"),
        }
    }
}

/// Runs one input under the oracle, with its panic caught and recorded.
pub fn check_one(corpus: &Corpus, input: &Input) -> Result<Verdict, Broken> {
    guarded(|| execute(corpus, input)).and_then(|r| r.map_err(Broken::Oracle))
}

/// Runs `f`, catching its panic: the message and location are returned,
/// not printed.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, Broken> {
    install_hook();
    FUZZING.with(|x| x.set(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    FUZZING.with(|x| x.set(false));
    r.map_err(|_| {
        Broken::Panic(
            CAUGHT
                .with(|c| c.borrow_mut().take())
                .unwrap_or_else(|| "a panic with no message".into()),
        )
    })
}

/// Runs executions `indices` of campaign `seed`, calling `progress` after
/// each; stops early when `progress` returns false. Returns the counts and
/// the first [`KEEP_FINDINGS`] findings, in execution order.
pub fn campaign(
    corpus: &Corpus,
    seed: u64,
    indices: std::ops::Range<u64>,
    mut progress: impl FnMut(&Counts) -> bool,
) -> (Counts, Vec<Finding>) {
    let mut counts = Counts::default();
    let mut findings = Vec::new();
    for index in indices {
        let input = generate(corpus, seed, index);
        counts.execs += 1;
        match check_one(corpus, &input) {
            Ok(v) => counts.add(v),
            Err(broken) => {
                match broken {
                    Broken::Panic(_) => counts.panics += 1,
                    Broken::Oracle(_) => counts.other += 1,
                }
                if findings.len() < KEEP_FINDINGS {
                    findings.push(Finding {
                        seed,
                        index,
                        broken,
                        input,
                    });
                }
            }
        }
        if !progress(&counts) {
            break;
        }
    }
    (counts, findings)
}
