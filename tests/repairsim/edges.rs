//! The edges of the process: unwritable standard streams, errors that
//! blame the right argument or line, and flags and golden files that are
//! refused up front.

use crate::common::{repairsim, repo, scratch, stderr};
use std::fs::File;
use std::process::{Command, Output, Stdio};

/// `/dev/full`: every write fails with "No space left on device".
fn full() -> Stdio {
    Stdio::from(File::options().write(true).open("/dev/full").unwrap())
}

/// Runs the binary from the repository root with its stdout and stderr
/// as given (`None`: captured).
fn with_streams(args: &[&str], stdout: Option<Stdio>, stderr: Option<Stdio>) -> Output {
    Command::new(env!("CARGO_BIN_EXE_repairsim"))
        .args(args)
        .current_dir(repo())
        .stdout(stdout.unwrap_or_else(Stdio::piped))
        .stderr(stderr.unwrap_or_else(Stdio::piped))
        .output()
        .expect("the binary runs")
}

fn no_panic(o: &Output) {
    assert_ne!(o.status.code(), Some(101), "{o:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!all.contains("panicked"), "{all}");
}

/// Issue 14: `validate missing.toml 2>/dev/full` exited 101 ("failed
/// printing to stderr"). The message is dropped; the exit code stays.
#[test]
fn an_unwritable_stderr_keeps_the_exit_code() {
    let o = with_streams(&["validate", "missing.toml"], None, Some(full()));
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    // A clap usage error, and a warning on a run that succeeds.
    let o = with_streams(&["run", "--no-such-flag"], None, Some(full()));
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let s = scratch("edges-stderr-full");
    let out = s.path("out");
    let o = with_streams(
        &["run", "--to", "40d", "--no-charts", "-q", "--out", &out],
        None,
        Some(full()),
    );
    no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

/// An unwritable stdout that is not a closed pipe: exit 3, said on stderr.
#[test]
fn an_unwritable_stdout_exits_3() {
    for args in [
        &["policy"][..],
        &["--help"],
        &["man"],
        &["validate", "scenarios/quickstart.toml", "--help"],
    ] {
        let o = with_streams(args, Some(full()), None);
        no_panic(&o);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {o:?}");
        assert!(
            stderr(&o).contains("could not write to standard output"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // Both unwritable: still no panic, still exit 3.
    let o = with_streams(&["policy"], Some(full()), Some(full()));
    no_panic(&o);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    // Bad input wins over the output it never got to write.
    let o = with_streams(&["validate", "missing.toml"], Some(full()), Some(full()));
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

/// Issue 14: `--set 'pools[0]=1'` was blamed on `quickstart.toml:25:1`,
/// the element it replaced. Every bad `--set` names its argument first,
/// an error it brings about in the file included.
#[test]
fn a_bad_set_always_names_the_set_argument() {
    let s = scratch("edges-set-blame");
    let ladder = s.path("ladder.toml");
    let text = std::fs::read_to_string(repo().join("scenarios/quickstart.toml")).unwrap();
    std::fs::write(
        &ladder,
        text.replacen(
            "[policy]\n",
            "[policy]\nladder_linux = [\"reboot\", \"reimage\"]\n",
            1,
        ),
    )
    .unwrap();
    for (file, arg, then) in [
        (
            "scenarios/quickstart.toml",
            "pools[0]=1",
            "pools[0]: expected a [[pools]] table",
        ),
        (
            "scenarios/quickstart.toml",
            "pools[0]={name=\"x\"}",
            "pools[0].os: missing required key \"os\"",
        ),
        (
            &ladder,
            "policy.ladder_linux[1]=bogus",
            "policy.ladder_linux",
        ),
        (
            "scenarios/quickstart.toml",
            "horizon=1h",
            "scenarios/quickstart.toml:51:6: inject[0].at: at 1h00m35s is not before the horizon 1h",
        ),
    ] {
        let o = repairsim(&["validate", file, "--set", "seed=4", "--set", arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        let want = format!("error: --set {arg}: {then}");
        assert!(
            stderr(&o).starts_with(&want),
            "{arg}:\n{}\nwant {want}",
            stderr(&o)
        );
    }
}

/// The quickstart scenario with one metric expectation whose `set` has a
/// good override and then `bad` on a line of its own; the file, and the
/// line and column of `bad`.
fn expect_with_set(s: &crate::common::Scratch, bad: &str) -> (String, usize, usize) {
    let file = s.path("expect-set.toml");
    let mut text = std::fs::read_to_string(repo().join("scenarios/quickstart.toml")).unwrap();
    text.push_str(&format!(
        "\n[[expect]]\nmetric = \"failed_repairs\"\nequals = 0\nset = [\"seed=3\",\n    \"{bad}\"]\n"
    ));
    let line = text.lines().count();
    std::fs::write(&file, text).unwrap();
    (file, line, 5)
}

/// Issue 14: an `[[expect]]` with `set = ["policy.bogus=1"]` passed
/// `validate`, `run` and `sweep`, and `check` blamed its table header.
/// Every command refuses it, at the line and column of the bad override.
#[test]
fn every_command_checks_expect_set_at_the_bad_value() {
    let s = scratch("edges-expect-set");
    let out = s.path("out");
    for (bad, then) in [
        (
            "policy.bogus=1",
            "expect[0].set[1]: policy.bogus: unknown key \"bogus\"",
        ),
        ("horizon=1h", "expect[0].set[1]: with this override, "),
    ] {
        let (file, line, col) = expect_with_set(&s, bad);
        let want = format!("error: {file}:{line}:{col}: {then}");
        for args in [
            &["validate", &file][..],
            &["run", &file, "-q", "--no-charts", "--out", &out],
            &["sweep", &file, "-q", "-n", "2", "--out", &out],
            &["check", &file],
        ] {
            let o = repairsim(args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            assert!(
                stderr(&o).starts_with(&want),
                "{args:?}:\n{}\nwant {want}",
                stderr(&o)
            );
            assert!(!std::path::Path::new(&out).exists(), "{args:?} wrote {out}");
        }
    }
}

/// Issue 14: "expected an integer, found integer 18446744073709551616 as
/// i128" showed serde's type names.
#[test]
fn an_integer_out_of_range_says_the_range() {
    let o = repairsim(&[
        "validate",
        "scenarios/quickstart.toml",
        "--set",
        "seed=18446744073709551616",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --set seed=18446744073709551616: seed: expected an integer, found \
         18446744073709551616, which is out of range: an integer is from \
         -9223372036854775808 to 9223372036854775807\n"
    );
}

/// Issue 14: these bench flags were accepted. Each is refused before
/// anything runs, with the valid range.
#[test]
fn bench_flags_out_of_range_are_refused() {
    for (args, says) in [
        (&["bench", "--windows-share", "1.5"][..], "from 0 to 1"),
        (&["bench", "--windows-share", "nan"], "from 0 to 1"),
        (&["bench", "--windows-share=-0.1"], "from 0 to 1"),
        (&["bench", "--repeat", "0"], "0 is not in 1..="),
        (
            &["bench", "--sweep", "--replications", "0"],
            "0 is not in 1..=",
        ),
    ] {
        let o = repairsim(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "{args:?} ran");
    }
}

/// Issue 14: `pools[00]` was accepted as `pools[0]`.
#[test]
fn a_set_index_with_a_leading_zero_is_refused() {
    for key in ["pools[00].count", "pools[01].count"] {
        let arg = format!("{key}=2");
        let o = repairsim(&["validate", "scenarios/quickstart.toml", "--set", &arg]);
        assert_eq!(o.status.code(), Some(2), "{arg}");
        assert!(
            stderr(&o).starts_with(&format!(
                "error: --set {arg}: bad key {key:?} (an index has no leading zeros"
            )),
            "{}",
            stderr(&o)
        );
    }
    let o = repairsim(&[
        "validate",
        "scenarios/quickstart.toml",
        "--set",
        "pools[1].count=2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// Issue 14: an output path that is a file said "File exists". Every
/// command that writes outputs says what is wrong before it runs, and
/// leaves the file alone.
#[test]
fn an_output_path_that_is_a_file_is_named() {
    let s = scratch("edges-out-file");
    let file = s.path("taken");
    std::fs::write(&file, "mine").unwrap();
    let below = s.path("taken/out");
    for out in [&file, &below] {
        for args in [
            &["run", "--no-charts", "-q", "--out", out][..],
            &["sweep", "-n", "2", "-q", "--out", out],
            &["report", "--no-charts", "-n", "2", "-q", "--out", out],
            &[
                "compare",
                "--candidate",
                "set=seed=2",
                "-n",
                "2",
                "-q",
                "--out",
                out,
            ],
        ] {
            let o = repairsim(args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            let e = stderr(&o);
            assert!(
                e.starts_with(&format!("error: the output directory {out} ")),
                "{args:?}: {e}"
            );
            assert!(!e.contains("File exists") && !e.contains("os error"), "{e}");
            if out == &file {
                assert!(e.contains("is a file, not a directory"), "{e}");
            } else {
                assert!(
                    e.contains(&format!("is below {file}, which is a file")),
                    "{e}"
                );
            }
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
}

/// A copy of worked example 1 and its golden files in a scratch directory:
/// the scenario's path, and the golden directory.
fn golden_copy(s: &crate::common::Scratch) -> (String, std::path::PathBuf) {
    let from = repo().join("scenarios/example-1-reboot.golden");
    let dir = s.join("example-1-reboot.golden");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["events.csv", "incidents.csv", "summary.json"] {
        std::fs::copy(from.join(f), dir.join(f)).unwrap();
    }
    let toml = s.path("example-1-reboot.toml");
    std::fs::copy(repo().join("scenarios/example-1-reboot.toml"), &toml).unwrap();
    (toml, dir)
}

/// Issue 14: a golden summary.json of `[]`, or an incidents.csv cut at a
/// line boundary, passed for a regression (exit 1). They are bad input
/// naming the file.
#[test]
fn a_golden_file_that_is_not_one_is_bad_input() {
    let s = scratch("edges-golden");
    let (toml, dir) = golden_copy(&s);
    let o = repairsim(&["check", &toml]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = dir.join("summary.json");
    let incidents = dir.join("incidents.csv");
    let good_incidents = std::fs::read_to_string(&incidents).unwrap();
    for (text, says) in [
        ("[]\n", "not a run's summary"),
        ("{}\n", "not a run's summary"),
    ] {
        std::fs::write(&summary, text).unwrap();
        let o = repairsim(&["check", &toml]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        let want = format!("error: {}:1: {says}", summary.display());
        assert!(stderr(&o).starts_with(&want), "{}\nwant {want}", stderr(&o));
    }
    std::fs::copy(
        repo().join("scenarios/example-1-reboot.golden/summary.json"),
        &summary,
    )
    .unwrap();
    // The header line only: a cut at a line boundary.
    let header = good_incidents.lines().next().unwrap();
    std::fs::write(&incidents, format!("{header}\n")).unwrap();
    let o = repairsim(&["check", &toml]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let want = format!(
        "error: {}:1: 0 incidents, but summary.json counts 1",
        incidents.display()
    );
    assert!(stderr(&o).starts_with(&want), "{}\nwant {want}", stderr(&o));
}

/// Issue 14: a golden file that is a FIFO hung `check` in its read. It is
/// refused without being opened.
#[cfg(unix)]
#[test]
fn a_golden_fifo_is_refused_unopened() {
    let s = scratch("edges-golden-fifo");
    let (toml, dir) = golden_copy(&s);
    let events = dir.join("events.csv");
    std::fs::remove_file(&events).unwrap();
    let made = Command::new("mkfifo").arg(&events).status().unwrap();
    assert!(made.success());
    let o = repairsim(&["check", &toml]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(&format!(
            "error: {}: not a regular file where the golden file should be",
            events.display()
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_scenario_fifo_is_refused_unopened() {
    let s = scratch("edges-scenario-fifo");
    let fifo = s.path("pipe.toml");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let out = s.path("out");
    let o = repairsim(&["run", "--policy-file", &fifo, "--out", &out, "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{fifo}: not a regular file (a FIFO or a device?); give a policy file"
        )),
        "{}",
        stderr(&o)
    );
    for args in [
        &["validate", &fifo][..],
        &["run", &fifo, "--out", &out, "-q"],
    ] {
        let o = repairsim(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o).trim(),
            format!(
                "error: {fifo}: not a regular file (a FIFO or a device?); give a scenario file"
            ),
            "{args:?}"
        );
    }
}
