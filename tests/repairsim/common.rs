//! Helpers shared by the integration tests.

use repairsim::engine::simulate;
use repairsim::observe::{Record, Trace};
use repairsim::policy::DetectRule;
use repairsim::scenario::{Scenario, load_file};
use repairsim::time::{SimTime, parse_duration};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads a shipped scenario by file name.
pub fn shipped(name: &str) -> Scenario {
    load_file(&repo().join("scenarios").join(name)).unwrap_or_else(|e| panic!("{e}"))
}

pub fn t(s: &str) -> SimTime {
    SimTime(parse_duration(s).unwrap().ms())
}

/// Runs replication 0 and keeps its incidents.
pub fn incident_log(sc: &Scenario) -> repairsim::observe::incidents::IncidentLog {
    use repairsim::observe::Observer;
    let mut log = repairsim::observe::incidents::IncidentLog::default();
    log.begin(sc);
    simulate(sc, 0, &mut log);
    log
}

/// Runs replication 0 and keeps every record.
pub fn trace(sc: &Scenario) -> Vec<Record> {
    let mut tr = Trace::default();
    simulate(sc, 0, &mut tr);
    tr.0
}

/// One line per record, e.g. `1h16m pool-0 ActionStarted reboot pass=1`,
/// leaving out State records (timelines are tested separately).
pub fn render(sc: &Scenario, recs: &[Record]) -> Vec<String> {
    recs.iter()
        .filter_map(|r| {
            let name = &sc.fleet.node(r.node()).name;
            let what = match r {
                Record::FaultArrived { fault, masked, .. } => {
                    format!(
                        "FaultArrived {}{}",
                        sc.faults[*fault as usize].name,
                        if *masked { " masked" } else { "" }
                    )
                }
                Record::State { .. } => return None,
                Record::Detected { rule, .. } => format!(
                    "Detected {}",
                    match rule {
                        DetectRule::NotReady => "rule-a",
                        DetectRule::NoStatus => "rule-b",
                    }
                ),
                Record::ActionStarted { kind, pass, .. } => {
                    format!("ActionStarted {kind} pass={pass}")
                }
                Record::ActionEnded { kind, error, .. } => match error {
                    None => format!("ActionEnded {kind}"),
                    Some(code) => format!("ActionEnded {kind} error={code}"),
                },
                Record::Outcome { outcome, .. } => format!("Outcome {outcome}"),
                Record::Suppressed { reason, .. } => format!("Suppressed {reason}"),
                Record::Recovered { .. } => "Recovered".to_string(),
                Record::Replaced { k, .. } => format!("Replaced r{k}"),
                Record::Matched { .. } => return None,
                Record::Marked { .. } => "Marked".to_string(),
                Record::GuardHeld {
                    total,
                    unhealthy,
                    matched,
                    ..
                } => format!("GuardHeld total={total} unhealthy={unhealthy} matched={matched}"),
            };
            Some(format!("{} {name} {what}", r.at()))
        })
        .collect()
}

/// Asserts the rendered trace equals `expected`, with a readable diff.
pub fn check(sc: &Scenario, expected: &[&str]) {
    let got = render(sc, &trace(sc));
    assert_eq!(got, expected, "\ngot:\n{}\n", got.join("\n"));
}

/// Runs the binary from the repository root.
pub fn repairsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_repairsim"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty directory for one test, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    /// `sub` inside the directory, as a string for argument lists.
    pub fn path(&self, sub: &str) -> String {
        self.0.join(sub).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("repairsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// Every file of an output directory, by name, but the `.repairsim`
/// marker that lists them.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter(|e| !e.as_ref().is_ok_and(|e| e.file_name() == ".repairsim"))
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Runs `args --out <scratch>/out` and asserts bad input: exit 2, stderr
/// starting with `expected`, nothing on stdout, nothing written.
pub fn assert_bad_input(s: &Scratch, args: &[&str], expected: &str) {
    let out = s.path("out");
    let o = repairsim(&[args, &["--out", &out]].concat());
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(
        stderr(&o).starts_with(expected),
        "{args:?}:\n{}\nexpected to start with\n{expected}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty(), "{args:?}");
    assert!(!Path::new(&out).exists(), "{args:?} wrote {out}");
}

/// Each incident of replication 0 as `node onset detected started [actions]
/// recovered outcome exclusion`, `-` for what is absent.
pub fn incident_lines(sc: &Scenario) -> Vec<String> {
    let show = |t: Option<SimTime>| t.map_or("-".into(), |t| t.to_string());
    incident_log(sc)
        .incidents()
        .iter()
        .map(|i| {
            let actions: Vec<&str> = i.actions.iter().map(|k| k.name()).collect();
            format!(
                "{} {} {} {} [{}] {} {} {}",
                i.node_name(sc),
                i.onset,
                show(i.detected),
                show(i.repair_started),
                actions.join(" "),
                show(i.recovered),
                i.outcome.name(),
                i.exclusion.map_or("-", |e| e.name()),
            )
        })
        .collect()
}

/// Each Kubernetes event of replication 0 as `time node reason message`.
pub fn event_lines(sc: &Scenario) -> Vec<String> {
    use repairsim::observe::Observer;
    let mut log = repairsim::observe::events::EventLog::new();
    log.begin(sc);
    simulate(sc, 0, &mut log);
    log.events()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                SimTime(e.sim_ms),
                e.node_name(),
                e.reason,
                e.message
            )
        })
        .collect()
}

/// Property-test cases: `default`, or `PROPTEST_CASES` when set (an
/// explicit `cases` in a config would otherwise ignore it).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
