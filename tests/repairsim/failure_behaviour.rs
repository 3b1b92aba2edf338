//! What a run leaves on disk when it is stopped, killed, refused or
//! raced: README "Limits and failure behaviour".

use crate::common::{files, repairsim, scratch, stderr};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// One Linux pool of `count` nodes, one fault arriving every `mtbf`,
/// over `horizon`.
fn fleet(count: u32, horizon: &str, mtbf: &str) -> String {
    format!(
        "name = \"y\"\nhorizon = \"{horizon}\"\n\
         [[pools]]\nname = \"p\"\nos = \"linux\"\ncount = {count}\n\
         [[faults]]\nname = \"g\"\nsignal = \"not-ready\"\nfixed_by = \"reboot\"\n\
         [[failures]]\nfault = \"g\"\nmtbf = \"{mtbf}\"\n"
    )
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Starts a long run into `out` and returns once its staging directory
/// exists beside `out` (a condition, not a delay).
fn start_long_run(dir: &Path, out: &str) -> Child {
    let scenario = dir.join("long.toml");
    // Long enough to be stopped while it runs, whatever the machine.
    std::fs::write(&scenario, fleet(20_000, "3650d", "30d")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_repairsim"))
        .args(["run", scenario.to_str().unwrap(), "--out", out, "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let parent = Path::new(out).parent().unwrap();
    let staging = format!(".{}.repairsim-tmp-{}", leaf(out), child.id());
    while !parent.join(&staging).is_dir() {
        std::thread::yield_now();
    }
    child
}

fn leaf(path: &str) -> String {
    Path::new(path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name}");
}

#[test]
fn sigint_and_sigterm_leave_the_previous_run_as_it_was() {
    let s = scratch("signals");
    let out = s.path("out");
    let o = repairsim(&["run", "--out", &out, "-q", "--no-charts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = files(Path::new(&out));
    for (name, code) in [("INT", 130), ("TERM", 143)] {
        let child = start_long_run(&s, &out);
        signal(&child, name);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(code), "SIG{name}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).trim(),
            format!("repairsim: stopped by SIG{name}; the outputs are as they were before the run")
        );
        assert!(
            files(Path::new(&out)) == before,
            "SIG{name} changed the outputs"
        );
        assert_eq!(names(&s), ["long.toml", "out"], "SIG{name} left something");
    }
}

#[test]
fn a_killed_run_leaves_nothing_in_the_output_directory_and_the_next_run_cleans_up() {
    let s = scratch("killed");
    let out = s.path("out");
    let mut child = start_long_run(&s, &out);
    signal(&child, "KILL");
    child.wait().unwrap();
    let pid = child.id();
    let left = names(&s);
    assert!(
        !left.contains(&"out".to_string()),
        "no output directory: {left:?}"
    );
    assert!(
        left.contains(&format!(".out.repairsim-tmp-{pid}")),
        "{left:?}"
    );
    let o = repairsim(&["run", "--out", &out, "-q", "--no-charts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(names(&s), ["long.toml", "out"]);
}

#[test]
fn one_output_directory_has_one_writer() {
    let s = scratch("lock");
    let out = s.path("out");
    let mut child = start_long_run(&s, &out);
    let o = repairsim(&["run", "--out", &out, "-q", "--no-charts"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let says = format!(
        "another repairsim (process {}) is writing {out}; wait for it to finish, \
         or choose another output directory",
        child.id()
    );
    assert!(stderr(&o).contains(&says), "{}", stderr(&o));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_run_replaces_its_output_directory_whole() {
    let s = scratch("owned");
    let out = s.path("out");
    let o = repairsim(&["run", "--out", &out, "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(names(Path::new(&out)).contains(&"timeline.svg".to_string()));
    // Without charts: no chart of the earlier run stays beside the files.
    let o = repairsim(&["run", "--out", &out, "-q", "--no-charts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        names(Path::new(&out)),
        [
            ".repairsim",
            "events.csv",
            "events.jsonl",
            "incidents.csv",
            "summary.json",
            "timeline.csv"
        ]
    );
    // The marker lists the run's files, in the order they were written.
    let marker = std::fs::read_to_string(Path::new(&out).join(".repairsim")).unwrap();
    let mut listed: Vec<&str> = marker.lines().skip(1).collect();
    assert_eq!(listed[0], "events.jsonl");
    listed.sort();
    assert_eq!(listed, names(Path::new(&out))[1..]);
}

#[test]
fn a_directory_holding_other_files_is_refused_untouched() {
    let s = scratch("foreign");
    let out = s.path("mine");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(Path::new(&out).join("notes.txt"), "keep").unwrap();
    let o = repairsim(&["run", "--out", &out, "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        format!(
            "error: {out} holds files repairsim did not write (notes.txt); a run replaces \
             its output directory whole, so choose a new or empty directory, or move them"
        )
    );
    assert_eq!(names(Path::new(&out)), ["notes.txt"]);
    assert_eq!(names(&s), ["mine"]);
}

#[test]
fn work_over_the_budget_is_refused_before_anything_runs() {
    let s = scratch("budget");
    let file = s.join("y.toml");
    // Issue 14's scenario: 2 nodes, a 3-minute mtbf, 100 years.
    std::fs::write(&file, fleet(2, "36500d", "3m")).unwrap();
    let out = s.path("out");
    let o = repairsim(&["run", file.to_str().unwrap(), "--out", &out, "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(
        stderr(&o).trim(),
        "error: run would simulate about 35,040,002 inputs (1 run of 2 nodes over 36500d, \
         each about 35,040,002 inputs), more than the work limit of 20,000,000; use fewer \
         nodes, replications or grid points, a longer mtbf or a shorter horizon, or raise \
         the limit with --max-work 36000000"
    );
    assert_eq!(names(&s), ["y.toml"], "nothing written");
    // Replications multiply: a sweep of the default scenario with 2^64-1.
    let o = repairsim(&["sweep", "-n", "18446744073709551615", "--out", &out, "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("error: sweep would simulate about 4,298,"),
        "{}",
        stderr(&o)
    );
    // Memory: a million nodes, under a limit too small for them.
    std::fs::write(&file, fleet(1_000_000, "3d", "5d")).unwrap();
    let file = file.to_str().unwrap();
    let o = repairsim(&["run", file, "--out", &out, "-q", "--max-memory", "512MiB"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("error: run would need about 1.1GiB of memory"),
        "{}",
        stderr(&o)
    );
    // A bad limit is a bad flag.
    let o = repairsim(&["run", file, "--out", &out, "--max-memory", "lots"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad size \"lots\""), "{}", stderr(&o));
    assert_eq!(names(&s), ["y.toml"], "nothing written");
}

#[test]
fn check_counts_the_replications_of_its_expectations() {
    let s = scratch("budget-check");
    let text = std::fs::read_to_string(crate::common::repo().join("scenarios/default.toml"))
        .unwrap()
        + "\n[[expect]]\nmetric = \"availability\"\nreplications = 1000000\nat_least = 0.5\n";
    let file = s.join("many.toml");
    std::fs::write(&file, text).unwrap();
    let o = repairsim(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("more than the work limit of 20,000,000"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_grid_of_a_million_points_is_refused_before_a_point_is_made() {
    let s = scratch("budget-grid");
    let values = |n: usize| (1..=n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let seeds = format!("seed={}", values(1000));
    let counts = format!("pools[0].count={}", values(1000));
    let out = s.path("out");
    let o = repairsim(&[
        "sweep", "-n", "1", "--grid", &seeds, "--grid", &counts, "--out", &out, "-q",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("error: sweep would simulate about ")
            && stderr(&o).contains("(1000000 grid points: 1,000,000 runs of 41 nodes"),
        "{}",
        stderr(&o)
    );
    assert_eq!(names(&s), Vec::<String>::new(), "nothing written");
}
