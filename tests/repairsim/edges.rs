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
