//! The command line: worked examples through the output files, byte-identical
//! reruns, and bad input that exits 2 and writes nothing.

use crate::common::{repairsim, repo, scratch};
use std::path::Path;
use std::process::{Command, Output};

fn run_to(scenario: &str, out: &Path) -> Output {
    let o = repairsim(&["run", scenario, "--out", out.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The incidents.csv row of the incident on `node`, as header → value.
fn incident_row(dir: &Path, node: &str) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(dir.join("incidents.csv")).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let row = r
        .records()
        .map(|x| x.unwrap())
        .find(|x| &x[0] == node)
        .expect("an incident on the node");
    headers
        .into_iter()
        .zip(row.iter().map(String::from))
        .collect()
}

fn field<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    &row.iter()
        .find(|(h, _)| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .1
}

#[test]
fn worked_example_1_through_the_output_files() {
    let dir = scratch("ex1");
    run_to("scenarios/example-1-reboot.toml", &dir);
    let csv = read(&dir.join("events.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time,sim_ms,node,type,reason,message");
    assert_eq!(
        lines[1],
        "2026-01-01T01:16:00Z,4560000,pool-0,Normal,NodeRebootStart,Node auto-repair is initiating a reboot action due to NotReady status persisting for more than five minutes."
    );
    assert_eq!(
        lines[2],
        "2026-01-01T01:20:00Z,4800000,pool-0,Normal,NodeRebootEnd,Reboot action from node auto-repair is completed."
    );
    assert_eq!(lines.len(), 3);
    let row = incident_row(&dir, "pool-0");
    assert_eq!(field(&row, "onset_ms"), "3635000");
    assert_eq!(field(&row, "detected_ms"), "4260000");
    assert_eq!(field(&row, "repair_started_ms"), "4560000");
    assert_eq!(field(&row, "recovered_ms"), "4800000");
    assert_eq!(field(&row, "outcome"), "repaired-by-reboot");
    assert_eq!(field(&row, "ttd_ms"), "625000"); // 10m25s
    assert_eq!(field(&row, "ttr_ms"), "1165000"); // 19m25s

    // events.jsonl holds Kubernetes Event objects.
    let first: serde_json::Value =
        serde_json::from_str(read(&dir.join("events.jsonl")).lines().next().unwrap()).unwrap();
    assert_eq!(first["apiVersion"], "v1");
    assert_eq!(first["kind"], "Event");
    assert_eq!(first["involvedObject"]["kind"], "Node");
    assert_eq!(first["involvedObject"]["name"], "pool-0");
    assert_eq!(first["source"]["component"], "aks-auto-repair");
    assert_eq!(first["reason"], "NodeRebootStart");
    assert_eq!(first["firstTimestamp"], "2026-01-01T01:16:00Z");
    assert_eq!(first["count"], 1);

    let summary: serde_json::Value =
        serde_json::from_str(&read(&dir.join("summary.json"))).unwrap();
    assert_eq!(summary["incidents"]["by_outcome"]["repaired-by-reboot"], 1);
    assert_eq!(summary["time_to_recover"]["max_ms"], 1_165_000);
    assert_eq!(summary["time_to_recover"]["max"], "19m25s");
}

#[test]
fn worked_example_2_through_the_output_files() {
    let dir = scratch("ex2");
    run_to("scenarios/example-2-reimage.toml", &dir);
    let row = incident_row(&dir, "pool-0");
    assert_eq!(field(&row, "detect_rule"), "no-status");
    assert_eq!(field(&row, "detected_ms"), "11460000"); // 3h11m
    assert_eq!(field(&row, "actions"), "reboot;reimage");
    assert_eq!(field(&row, "outcome"), "repaired-by-reimage");
    assert_eq!(field(&row, "ttr_ms"), "2070000"); // 34m30s
}

#[test]
fn worked_example_3_through_the_output_files() {
    let dir = scratch("ex3");
    run_to("scenarios/example-3-timeout.toml", &dir);
    let row = incident_row(&dir, "pool-0");
    assert_eq!(
        field(&row, "actions"),
        "reboot;reimage;redeploy;reboot;reimage"
    );
    assert_eq!(field(&row, "passes"), "2");
    assert_eq!(field(&row, "outcome"), "gave-up-timeout");
    assert_eq!(field(&row, "recovered_ms"), "");
    // The give-up is decided on the 4h24m check, where the next action
    // would have started (repair start 3h16m + the 1 h timeout is 4h16m).
    assert_eq!(field(&row, "outcome_ms"), "15840000"); // 4h24m
    let csv = read(&dir.join("events.csv"));
    let last = csv.lines().last().unwrap();
    assert!(
        last.starts_with("2026-01-01T04:19:00Z,15540000,pool-0,Normal,NodeReimageEnd,"),
        "{last}"
    );
}

#[test]
fn two_runs_write_byte_identical_files() {
    let (a, b) = (scratch("det-a"), scratch("det-b"));
    run_to("scenarios/default.toml", &a);
    run_to("scenarios/default.toml", &b);
    for f in [
        "events.jsonl",
        "events.csv",
        "timeline.csv",
        "incidents.csv",
        "summary.json",
    ] {
        assert_eq!(
            read(&a.join(f)),
            read(&b.join(f)),
            "{f} differs between runs"
        );
    }
}

#[test]
fn the_embedded_default_runs_and_summarises() {
    let dir = scratch("default");
    let o = repairsim(&["run", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    for word in ["incidents", "time to recover", "reboot"] {
        assert!(text.contains(word), "summary lacks {word:?}:\n{text}");
    }
    // The embedded default is the shipped default.
    let shipped = scratch("default-file");
    run_to("scenarios/default.toml", &shipped);
    assert_eq!(
        read(&dir.join("summary.json")),
        read(&shipped.join("summary.json"))
    );
}

#[test]
fn policy_prints_the_table_with_provenance() {
    let o = repairsim(&["policy", "--preset", "aks-2023-09"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with("retry_mode")).unwrap();
    assert!(
        line.contains("per_step") && line.contains("preset aks-2023-09"),
        "{line}"
    );
    let o = repairsim(&["policy", "--preset", "aks-1999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("aks-2024-08"));
}

#[test]
fn validate_accepts_every_shipped_scenario_silently() {
    let mut args = vec!["validate".to_string()];
    for e in std::fs::read_dir(repo().join("scenarios")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            args.push(p.to_string_lossy().into_owned());
        }
    }
    let o = Command::new(env!("CARGO_BIN_EXE_repairsim"))
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty() && o.stderr.is_empty());
}

/// The `LINE:COL` right after `FILE:` at the start of an error, or `None`
/// when the text after the path is not two integers and a colon.
fn line_col_after(err: &str, file: &Path) -> Option<(usize, usize)> {
    let rest = err.split_once(&format!("{}:", file.display()))?.1;
    let mut parts = rest.splitn(3, ':');
    let line = parts.next()?.parse().ok()?;
    let col = parts.next()?.parse().ok()?;
    parts.next()?;
    Some((line, col))
}

/// Each bad file: exit 2, one error naming file:line:column and the field,
/// and no output directory.
#[test]
fn bad_input_exits_2_names_the_place_and_writes_nothing() {
    let good = read(&repo().join("scenarios/quickstart.toml"));
    let count_line = good.lines().position(|l| l == "count = 3").unwrap() + 1;
    let malformed_at = format!(":{count_line}:");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "malformed",
            good.replacen("count = 3", "count = = 3", 1),
            &malformed_at,
        ),
        (
            "unknown-key",
            good.replace("count = 3", "count = 3\ncolour = \"red\""),
            "colour",
        ),
        (
            "wrong-type",
            good.replace("count = 3", "count = \"three\""),
            "pools[0].count",
        ),
        (
            "bad-duration",
            good.replace("horizon = \"2d\"", "horizon = \"2 days\""),
            "horizon",
        ),
        (
            "zero-duration",
            good.replace("mtbf = \"30d\"", "mtbf = \"0s\""),
            "mtbf",
        ),
        (
            "negative-duration",
            good.replace("mtbf = \"30d\"", "mtbf = \"-5m\""),
            "mtbf",
        ),
        (
            "probability",
            good.replace("error_rate = 0.0", "error_rate = 1.5"),
            "error_rate",
        ),
        (
            "negative-probability",
            good.replace("error_rate = 0.0", "error_rate = -0.1"),
            "error_rate",
        ),
        (
            "unknown-fault",
            good.replace("fault = \"host-hardware\"", "fault = \"host-hardwear\""),
            "inject[1].fault",
        ),
        (
            "unknown-node",
            good.replace("node = \"win-1\"", "node = \"win-7\""),
            "inject[1].node",
        ),
        (
            "unknown-pool",
            good.replace("pools = [\"system\"]", "pools = [\"sytem\"]"),
            "pools",
        ),
        (
            "unknown-preset",
            good.replace("aks-2024-08", "aks-2025-01"),
            "policy.preset",
        ),
        (
            "too-long",
            good.replace("horizon = \"2d\"", "horizon = \"36600d\""),
            "horizon",
        ),
    ];
    let lines = good.lines().count();
    let dir = scratch("bad");
    for (name, text, needle) in cases {
        assert_ne!(text, good, "case {name} did not change the file");
        let file = dir.join(format!("{name}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = dir.join(format!("out-{name}"));
        let o = repairsim(&[
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        let (line, col) = line_col_after(&err, &file)
            .unwrap_or_else(|| panic!("{name}: no FILE:LINE:COL: in {err}"));
        assert!(
            (1..=lines + 1).contains(&line) && col >= 1,
            "{name}: {line}:{col} is not a place in the file: {err}"
        );
        if name == "malformed" {
            assert_eq!(line, count_line, "{name}: {err}");
        }
        assert!(err.contains(needle), "{name}: {needle:?} not in {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(!out.exists(), "{name}: wrote {}", out.display());
    }
}

/// `run` on a scenario without pools: exit 2, an error naming `pools`,
/// and no output directory.
#[test]
fn an_empty_fleet_through_run_exits_2_and_writes_nothing() {
    let dir = scratch("empty-run");
    let file = dir.join("empty.toml");
    std::fs::write(
        &file,
        "name = \"empty\"\nseed = 1\nhorizon = \"1d\"\n\n\
         [[faults]]\nname = \"hang\"\nsignal = \"not-ready\"\nfixed_by = \"reboot\"\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = repairsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("{}:", file.display())), "{err}");
    assert!(err.contains("pools"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "wrote {}", out.display());
}

#[test]
fn an_empty_fleet_is_bad_input() {
    let dir = scratch("empty");
    let file = dir.join("empty.toml");
    std::fs::write(&file, "name = \"empty\"\nhorizon = \"1d\"\n").unwrap();
    let o = repairsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pools"));
}

/// `run` draws its charts next to its data, each as SVG and PNG; a zoomed
/// window changes only the timeline; `--no-charts` draws none.
#[test]
fn run_writes_charts_unless_told_not_to() {
    let s = scratch("charts");
    let (all, zoom, none) = (s.path("all"), s.path("zoom"), s.path("none"));
    let sc = "scenarios/quickstart.toml";
    for args in [
        vec!["run", sc, "-q", "--out", &all],
        vec![
            "run", sc, "-q", "--from", "1h", "--to", "2h", "--out", &zoom,
        ],
        vec!["run", sc, "-q", "--no-charts", "--out", &none],
    ] {
        let o = repairsim(&args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            crate::common::stderr(&o)
        );
    }
    let charts = |dir: &str| -> Vec<(String, Vec<u8>)> {
        crate::common::files(Path::new(dir))
            .into_iter()
            .filter(|(n, _)| n.ends_with(".svg") || n.ends_with(".png"))
            .collect()
    };
    let names: Vec<String> = charts(&all).into_iter().map(|(n, _)| n).collect();
    let stems = [
        "capacity",
        "outcomes_by_os",
        "outcomes_by_pool",
        "time_to_detect",
        "time_to_recover",
        "timeline",
    ];
    let want: Vec<String> = stems
        .iter()
        .flat_map(|s| [format!("{s}.png"), format!("{s}.svg")])
        .collect();
    assert_eq!(names, want);
    for (name, bytes) in charts(&all) {
        if name.ends_with(".png") {
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}");
        } else {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains("<svg"), "{name}");
        }
    }
    let differ: Vec<String> = charts(&all)
        .into_iter()
        .zip(charts(&zoom))
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0)
        .collect();
    assert_eq!(differ, ["timeline.png", "timeline.svg"]);
    assert!(charts(&none).is_empty());
    assert_eq!(
        crate::common::files(Path::new(&none)),
        crate::common::files(Path::new(&all))
            .into_iter()
            .filter(|(n, _)| !n.ends_with(".svg") && !n.ends_with(".png"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_bad_chart_window_is_bad_input() {
    let s = scratch("window");
    for (args, expected) in [
        (
            vec!["run", "--from", "2h", "--to", "1h"],
            "error: --from/--to: the window must end after it starts",
        ),
        (vec!["report", "--to", "soon"], "error: --to soon: "),
    ] {
        crate::common::assert_bad_input(&s, &args, expected);
    }
}

/// A zoomed timeline shows a node that is down through the whole window,
/// though its incident began (and its outcome was decided) before it:
/// win-5 of the default scenario gives up after about 3 days and stays
/// Unknown to the end.
#[test]
fn a_zoomed_timeline_keeps_nodes_down_through_the_window() {
    let s = scratch("zoom-down");
    let out = s.path("zoom");
    let o = repairsim(&["run", "--from", "4d", "--to", "5d", "-q", "--out", &out]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    // A row label is the text of its own line in the SVG.
    let has_row = |svg: &str, node: &str| svg.lines().any(|l| l.trim() == node);
    let svg = read(&Path::new(&out).join("timeline.svg"));
    assert!(
        has_row(&svg, "win-5"),
        "win-5 missing from the zoomed timeline"
    );
    assert!(!has_row(&svg, "win-7"), "win-7 is Ready all through day 5");
}

/// Issue 11's smaller items: each says what it does instead of doing it in
/// silence.
#[test]
fn small_things_say_what_they_do() {
    let s = crate::common::scratch("issue-11-small");
    // validate takes a directory, as check does.
    let o = crate::common::repairsim(&["validate", "scenarios/"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let o = crate::common::repairsim(&["validate", "no-such-dir/"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::common::stderr(&o).contains("no such file or directory"));
    // --to past the horizon is clamped, with a warning.
    let out = s.path("to");
    let o = crate::common::repairsim(&["run", "--to", "40d", "--out", &out, "-q"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    assert_eq!(
        crate::common::stderr(&o),
        "warning: --to 40d is past the horizon 30d; the timeline ends at the horizon\n"
    );
    // --from 1.5h says how to write it.
    let o = crate::common::repairsim(&["run", "--from", "1.5h", "--out", &out, "-q"]);
    assert_eq!(o.status.code(), Some(2));
    let e = crate::common::stderr(&o);
    assert!(
        e.contains("whole numbers, not fractions") && !e.contains("unknown unit \"\""),
        "{e}"
    );
    // No --help shows a markdown escape.
    for cmd in [
        "run", "report", "sweep", "compare", "check", "validate", "policy", "bench", "k8s-job",
    ] {
        let o = crate::common::repairsim(&[cmd, "--help"]);
        let help = String::from_utf8_lossy(&o.stdout);
        assert!(!help.contains("\\["), "{cmd} --help: {help}");
    }
    // check says which files of a directory it skips, and -q prints only
    // failures and the verdict.
    let dir = s.path("scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        "scenarios/example-1-reboot.toml",
        format!("{dir}/example-1-reboot.toml"),
    )
    .unwrap();
    std::fs::write(
        format!("{dir}/bare.toml"),
        "name = \"bare\"\nhorizon = \"1d\"\n[[pools]]\nname = \"p\"\nos = \"linux\"\ncount = 2\n",
    )
    .unwrap();
    let o = crate::common::repairsim(&["check", &dir]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        text.starts_with(&format!(
            "skipped {dir}/bare.toml  (no [[expect]] tables or golden files"
        )),
        "{text}"
    );
    assert!(text.contains("ok      "), "{text}");
    let o = crate::common::repairsim(&["check", &dir, "-q"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "check ok: 6 passed, 0 failed; 6 cases in 1 scenario\n"
    );
}

/// Issue 11: `summary.json`'s `mean_ms` is an integer, as every time is.
#[test]
fn summary_times_are_integer_milliseconds() {
    let s = crate::common::scratch("integer-ms");
    let out = s.path("out");
    let o = crate::common::repairsim(&["run", "--no-charts", "--out", &out, "-q"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let text = std::fs::read_to_string(format!("{out}/summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["time_to_detect", "time_to_recover"] {
        for f in ["min_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"] {
            assert!(v[key][f].is_u64(), "{key}.{f} = {}", v[key][f]);
        }
    }
}

/// Issue 11: pools appear in file order everywhere, the summary's
/// `by_pool` and the `outcomes_by_pool` chart included.
#[test]
fn pools_keep_file_order_in_the_summary_and_the_chart() {
    let s = crate::common::scratch("pool-order");
    let file = s.path("zeta.toml");
    std::fs::write(
        &file,
        "name = \"zeta\"\nhorizon = \"1d\"\n\n[[pools]]\nname = \"zeta\"\nos = \"linux\"\ncount = 2\n\n\
         [[pools]]\nname = \"alpha\"\nos = \"linux\"\ncount = 2\n\n[[faults]]\nname = \"f\"\n\
         signal = \"not-ready\"\nfixed_by = \"reboot\"\n\n[[inject]]\nat = \"1h\"\nnode = \"alpha-0\"\n\
         fault = \"f\"\n",
    )
    .unwrap();
    let out = s.path("out");
    let o = crate::common::repairsim(&["run", &file, "--out", &out, "-q"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let summary = std::fs::read_to_string(format!("{out}/summary.json")).unwrap();
    let (z, a) = (
        summary.find("\"zeta\": {").unwrap(),
        summary.find("\"alpha\": {").unwrap(),
    );
    assert!(z < a, "by_pool in file order:\n{summary}");
    let svg = std::fs::read_to_string(format!("{out}/outcomes_by_pool.svg")).unwrap();
    let (z, a) = (svg.find("zeta").unwrap(), svg.find("alpha").unwrap());
    assert!(z < a, "the chart's groups in file order");
}

/// Issue 11: the spec ships in the repository, and every reference to it
/// names its path there: `docs/POLICY.md`, `docs/PEERS.md`, with sections
/// that exist.
#[test]
fn every_spec_reference_points_into_the_repository() {
    let sections = |file: &str| -> Vec<String> {
        std::fs::read_to_string(file)
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("## "))
            .filter_map(|l| l.split('.').next().map(str::to_string))
            .collect()
    };
    let known = [
        ("POLICY.md", sections("docs/POLICY.md")),
        ("PEERS.md", sections("docs/PEERS.md")),
    ];
    let mut texts: Vec<(String, String)> = vec![(
        "README.md".into(),
        std::fs::read_to_string("README.md").unwrap(),
    )];
    for e in std::fs::read_dir("scenarios").unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "toml") {
            texts.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    for args in [&["--help"][..], &["policy", "--help"], &["check", "--help"]] {
        let o = crate::common::repairsim(args);
        texts.push((
            format!("repairsim {}", args.join(" ")),
            String::from_utf8_lossy(&o.stdout).into(),
        ));
    }
    let o = crate::common::repairsim(&["policy"]);
    texts.push((
        "repairsim policy".into(),
        String::from_utf8_lossy(&o.stdout).into(),
    ));
    let mut cited = 0;
    for (name, text) in &texts {
        for (spec, secs) in &known {
            for (at, _) in text.match_indices(spec) {
                let before = &text[..at];
                assert!(
                    before.ends_with("docs/"),
                    "{name}: a reference to {spec} without docs/"
                );
                let after = &text[at + spec.len()..];
                if let Some(rest) = after.strip_prefix(" section ") {
                    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    assert!(secs.contains(&n), "{name}: docs/{spec} has no section {n}");
                }
                cited += 1;
            }
        }
    }
    assert!(cited > 40, "{cited}");
    for args in [&["--help"][..], &["policy", "--help"]] {
        let o = crate::common::repairsim(args);
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("docs/POLICY.md"),
            "{args:?}"
        );
    }
}

/// `rust-version` in Cargo.toml is at least what every locked dependency
/// needs, and the Dockerfile's build stage and the README name the same
/// version.
#[test]
fn rust_version_builds_the_locked_dependencies() {
    let version = |v: &str| -> Vec<u64> {
        let mut p: Vec<u64> = v.split('.').map(|x| x.parse().unwrap()).collect();
        p.resize(3, 0);
        p
    };
    let host = String::from_utf8(
        std::process::Command::new("rustc")
            .arg("-vV")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let host = host
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap()
        .to_string();
    let o = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--locked",
            "--format-version",
            "1",
            "--filter-platform",
            &host,
        ])
        .current_dir(crate::common::repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let used: std::collections::BTreeSet<&str> = m["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let packages = m["packages"].as_array().unwrap();
    let ours = packages
        .iter()
        .find(|p| p["name"] == "repairsim")
        .and_then(|p| p["rust_version"].as_str())
        .expect("Cargo.toml names a rust-version")
        .to_string();
    for p in packages {
        if let (true, Some(v)) = (
            used.contains(p["id"].as_str().unwrap()),
            p["rust_version"].as_str(),
        ) {
            assert!(
                version(v) <= version(&ours),
                "{} {} needs Rust {v}, but Cargo.toml says rust-version = {ours}",
                p["name"],
                p["version"]
            );
        }
    }
    let docker = std::fs::read_to_string(crate::common::repo().join("Dockerfile")).unwrap();
    assert!(docker.contains(&format!("FROM rust:{ours}-")), "Dockerfile");
    let readme = std::fs::read_to_string(crate::common::repo().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("needs Rust {ours} or newer")),
        "README"
    );
}

/// Issue 11 (packaging): shell completions and a man page from the same
/// definitions as `--help`, and a `--version` that names the commit.
#[test]
fn completions_man_page_and_version() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = crate::common::repairsim(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", crate::common::stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        for sub in ["run", "sweep", "compare", "check", "--until-ci"] {
            assert!(text.contains(sub), "{shell} completions lack {sub}");
        }
    }
    let o = crate::common::repairsim(&["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2), "an unknown shell is bad input");
    let o = crate::common::repairsim(&["man"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let man = String::from_utf8_lossy(&o.stdout);
    assert!(man.contains(".TH repairsim 1"), "{man}");
    assert!(
        man.contains("docs/POLICY.md"),
        "the man page names the spec"
    );
    assert!(
        man.contains("repairsim\\-report(1)"),
        "it points to the commands' pages"
    );
    // Each command's page has its options.
    let o = crate::common::repairsim(&["man", "report"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(page.contains(".TH repairsim-report 1"), "{page}");
    assert!(page.contains("\\-\\-min\\-ready"), "{page}");
    let o = crate::common::repairsim(&["man", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    let s = crate::common::scratch("man-dir");
    let dir = s.path("man1");
    let o = crate::common::repairsim(&["man", "--dir", &dir]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    for page in [
        "repairsim.1",
        "repairsim-run.1",
        "repairsim-sweep.1",
        "repairsim-man.1",
    ] {
        let text = std::fs::read_to_string(std::path::Path::new(&dir).join(page)).unwrap();
        assert!(text.starts_with(".ie"), "{page}: {text}");
    }
    let o = crate::common::repairsim(&["--version"]);
    let v = String::from_utf8_lossy(&o.stdout);
    assert!(
        v.starts_with(&format!("repairsim {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
}

/// `bench --run` measures the `run` path, outputs and all, and leaves
/// nothing behind: it prints its figures and removes its scratch output.
#[test]
fn bench_run_writes_every_output_and_cleans_up() {
    let tmp = crate::common::scratch("bench-run-tmp");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_repairsim"))
        .args([
            "bench", "--run", "--nodes", "40", "--days", "3", "--repeat", "2",
        ])
        .env("TMPDIR", &*tmp)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "run of 40 nodes over 3d, every output and the charts: best and median of 2"
        ),
        "{text}"
    );
    let fields: Vec<&str> = lines[2].split_whitespace().collect();
    // events, best, median, files, bytes, peak RSS.
    assert_eq!(fields.len(), 6, "{text}");
    let files: usize = fields[3].parse().unwrap();
    let bytes: u64 = fields[4].parse().unwrap();
    assert!(files >= 10 && bytes > 10_000, "{text}");
    let left: Vec<_> = std::fs::read_dir(&*tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?} left behind");
}
