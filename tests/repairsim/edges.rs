//! The edges of the process: unwritable standard streams, errors that
//! blame the right argument or line, and flags and golden files that are
//! refused up front.

use crate::common::{repo, scratch, stderr};
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
