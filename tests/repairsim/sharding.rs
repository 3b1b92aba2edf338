//! Sharded runs emulated locally (issue 15): N processes with
//! `JOB_COMPLETION_INDEX=0..N-1`, as a Kubernetes Indexed Job runs them,
//! then `merge`, compared byte for byte with the single-machine run.

use crate::common::{files, repairsim, repo, scratch, stderr};
use std::path::Path;
use std::process::{Command, Output};

/// The same command run on one machine into `single`, and as `n` shard
/// processes started together (like an Indexed Job's pods) into `shards`.
fn single_and_sharded(args: &[&str], n: u32, single: &str, shards: &str) {
    let o = repairsim(&[args, &["--out", single, "-q"]].concat());
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let pods: Vec<_> = (0..n)
        .map(|k| {
            Command::new(env!("CARGO_BIN_EXE_repairsim"))
                .args(args)
                .args(["--shard", "auto", "--out", shards, "-q"])
                // Each pod its own thread count: outputs must not care.
                .args(["--threads", &(1 + k % 3).to_string()])
                .env("JOB_COMPLETION_INDEX", k.to_string())
                .env("JOB_COMPLETIONS", n.to_string())
                .current_dir(repo())
                .spawn()
                .expect("the binary runs")
        })
        .collect();
    for p in pods {
        let o = p.wait_with_output().unwrap();
        assert!(o.status.success(), "{args:?} n {n}: {}", stderr(&o));
    }
}

fn merge(inputs: &[&str], out: &str) -> Output {
    repairsim(&[&["merge"], inputs, &["--out", out, "-q"]].concat())
}

/// Asserts bad input (exit 2) with `expected` in the message, and that
/// nothing was written to `out`.
fn refused(o: &Output, expected: &str, out: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    assert!(
        stderr(o).contains(expected),
        "{}\nexpected: {expected}",
        stderr(o)
    );
    assert!(!Path::new(out).exists(), "wrote {out}");
}

const SWEEP: &[&str] = &[
    "sweep",
    "--grid",
    "policy.repair_delay=2m,5m",
    "--grid",
    "seed=1,2",
    "-n",
    "10",
];

const COMPARE: &[&str] = &[
    "compare",
    "-n",
    "9",
    "--candidate",
    "set=policy.repair_delay=2m",
    "--candidate",
    "preset=gke",
];

#[test]
fn a_grid_sweep_merges_byte_for_byte_for_1_2_3_and_7_shards() {
    for n in [1, 2, 3, 7] {
        let s = scratch(&format!("shard-sweep-{n}"));
        single_and_sharded(SWEEP, n, &s.path("single"), &s.path("shards"));
        let shard_files = std::fs::read_dir(s.path("shards")).unwrap().count();
        assert_eq!(shard_files, n as usize, "one file per shard");
        let o = merge(&[&s.path("shards")], &s.path("merged"));
        assert!(o.status.success(), "n {n}: {}", stderr(&o));
        let single = files(Path::new(&s.path("single")));
        assert!(
            single.iter().any(|(f, _)| f == "time_to_recover.png"),
            "charts too"
        );
        assert!(single == files(Path::new(&s.path("merged"))), "n {n}");
    }
}

#[test]
fn a_compare_merges_byte_for_byte_for_1_2_3_and_7_shards() {
    for n in [1, 2, 3, 7] {
        let s = scratch(&format!("shard-compare-{n}"));
        single_and_sharded(COMPARE, n, &s.path("single"), &s.path("shards"));
        // Files, not the directory, in any order.
        let mut inputs: Vec<String> = (0..n)
            .rev()
            .map(|k| s.path(&format!("shards/shard-{k}-of-{n}.jsonl")))
            .collect();
        inputs.rotate_left(1);
        let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let o = merge(&inputs, &s.path("merged"));
        assert!(o.status.success(), "n {n}: {}", stderr(&o));
        assert!(
            files(Path::new(&s.path("single"))) == files(Path::new(&s.path("merged"))),
            "n {n}"
        );
    }
}

#[test]
fn a_report_merges_byte_for_byte_with_its_replication_0_run_again() {
    for n in [2, 3] {
        let s = scratch(&format!("shard-report-{n}"));
        let args = ["report", "-n", "5", "--min-ready", "system=2"];
        single_and_sharded(&args, n, &s.path("single"), &s.path("shards"));
        let o = merge(&[&s.path("shards")], &s.path("merged"));
        assert!(o.status.success(), "n {n}: {}", stderr(&o));
        let single = files(Path::new(&s.path("single")));
        assert!(single.iter().any(|(f, _)| f == "report.html"));
        assert!(single.iter().any(|(f, _)| f == "events.jsonl"));
        assert!(single == files(Path::new(&s.path("merged"))), "n {n}");
    }
}

#[test]
fn a_shard_run_twice_writes_the_same_bytes() {
    let s = scratch("shard-twice");
    let run = |threads: &str| {
        let args = [SWEEP, &["--shard", "1/3", "--threads", threads]].concat();
        let o = repairsim(&[&args[..], &["--out", &s.path("shards"), "-q"]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(s.path("shards/shard-1-of-3.jsonl")).unwrap()
    };
    let first = run("2");
    let again = run("2");
    assert!(!first.is_empty());
    assert!(first == again, "Kubernetes may run an index twice");
    // Another thread count changes the command line in the header, and
    // not one row.
    let other = run("1");
    let rows = |b: &[u8]| b[b.iter().position(|&c| c == b'\n').unwrap()..].to_vec();
    assert!(rows(&first) == rows(&other));
    // Nothing but the shard file: no temporary file left.
    assert_eq!(std::fs::read_dir(s.path("shards")).unwrap().count(), 1);
}

#[test]
fn missing_doubled_and_foreign_shards_are_refused() {
    let s = scratch("shard-refused");
    let shards = s.path("shards");
    let shard = |extra: &[&str], k: u32, n: u32, dir: &str| {
        let spec = format!("{k}/{n}");
        let o = repairsim(&[SWEEP, extra, &["--shard", &spec, "--out", dir, "-q"]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
    };
    for k in 0..3 {
        shard(&[], k, 3, &shards);
    }
    let out = s.path("merged");
    let file = |k: u32| s.path(&format!("shards/shard-{k}-of-3.jsonl"));

    let o = repairsim(&["merge", &shards, "--out", &out, "--set", "seed=9"]);
    refused(
        &o,
        "merge: --set and --policy-file come from the shards' command line",
        &out,
    );
    let o = merge(&[&file(0), &file(2)], &out);
    refused(
        &o,
        "shard 1 of 3 is missing (given: 0, 2): run it again (JOB_COMPLETION_INDEX=1)",
        &out,
    );
    let o = merge(&[&shards, &file(1)], &out);
    refused(&o, "shard 1 of 3 is given twice", &out);

    // Another N.
    shard(&[], 0, 2, &s.path("two"));
    let o = merge(
        &[&file(0), &file(1), &s.path("two/shard-0-of-2.jsonl")],
        &out,
    );
    refused(&o, "every shard of a run has the same N", &out);

    // Another scenario: its hash differs. The header names its patches.
    shard(&["--set", "policy.settle=1m"], 2, 3, &s.path("other"));
    let header = std::fs::read_to_string(s.path("other/shard-2-of-3.jsonl")).unwrap();
    let header: serde_json::Value = serde_json::from_str(header.lines().next().unwrap()).unwrap();
    assert_eq!(
        header["points"][3]["patches"],
        serde_json::json!([["policy.settle=1m", "policy.repair_delay=5m", "seed=2"]])
    );
    assert_eq!(
        (
            header["shard"]["index"].as_u64(),
            header["shard"]["count"].as_u64()
        ),
        (Some(2), Some(3))
    );
    assert_eq!(header["version"], env!("REPAIRSIM_VERSION"));
    let o = merge(
        &[&file(0), &file(1), &s.path("other/shard-2-of-3.jsonl")],
        &out,
    );
    refused(
        &o,
        "are not shards of one run: of different scenarios",
        &out,
    );

    // Another version.
    let text = std::fs::read_to_string(file(2)).unwrap();
    let version = format!("\"version\":\"{}\"", env!("REPAIRSIM_VERSION"));
    assert!(text.contains(&version));
    std::fs::create_dir_all(s.path("old")).unwrap();
    let old = s.path("old/shard-2-of-3.jsonl");
    std::fs::write(&old, text.replacen(&version, "\"version\":\"0.0.1\"", 1)).unwrap();
    let o = merge(&[&file(0), &file(1), &old], &out);
    refused(
        &o,
        &format!(
            "written by repairsim {} and 0.0.1",
            env!("REPAIRSIM_VERSION")
        ),
        &out,
    );

    // Every shard of another build: this build does not merge them.
    std::fs::create_dir_all(s.path("allold")).unwrap();
    for k in 0..3 {
        let t = std::fs::read_to_string(file(k)).unwrap();
        let to = s.path(&format!("allold/shard-{k}-of-3.jsonl"));
        std::fs::write(to, t.replacen(&version, "\"version\":\"0.0.1\"", 1)).unwrap();
    }
    let o = merge(&[&s.path("allold")], &out);
    refused(
        &o,
        "was written by repairsim 0.0.1, and this is repairsim",
        &out,
    );

    // A header no shard writes: no division by zero.
    std::fs::write(&old, text.replacen("\"count\":3", "\"count\":0", 1)).unwrap();
    let o = merge(&[&old], &out);
    refused(&o, "not a shard's header", &out);

    // A row edited after the shard wrote it: its block no longer adds up.
    assert!(text.contains("\"ttr_cdf\":{\"n\":"));
    std::fs::write(
        &old,
        text.replacen("\"ttr_cdf\":{\"n\":", "\"ttr_cdf\":{\"n\":1", 1),
    )
    .unwrap();
    let o = merge(&[&file(0), &file(1), &old], &out);
    refused(&o, "the file was changed after its shard wrote it", &out);

    // A file cut short in a copy.
    let cut = s.path("old/shard-2-of-3.jsonl");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let o = merge(&[&file(0), &file(1), &cut], &out);
    refused(&o, "the file is cut short", &out);

    // Not a shard file at all: its line and column.
    std::fs::write(&cut, "{\"repairsim_shard\": 1,\n").unwrap();
    let o = merge(&[&file(0), &file(1), &cut], &out);
    refused(&o, &format!("{cut}:1:"), &out);

    let o = merge(&[&s.path("old/none")], &out);
    refused(&o, "old/none", &out);
    std::fs::remove_file(&cut).unwrap();
    let o = merge(&[&s.path("old")], &out);
    refused(&o, "no shard files in it", &out);
}

#[test]
fn a_scenario_changed_since_the_shards_ran_is_refused() {
    let s = scratch("shard-changed");
    let sc = s.path("sc.toml");
    let text = std::fs::read_to_string(repo().join("scenarios/default.toml")).unwrap();
    std::fs::write(&sc, &text).unwrap();
    let o = repairsim(&[
        "sweep",
        &sc,
        "-n",
        "4",
        "--shard",
        "0/1",
        "--out",
        &s.path("shards"),
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(&sc, text.replacen("seed = 42", "seed = 43", 1)).unwrap();
    let out = s.path("merged");
    let o = merge(&[&s.path("shards")], &out);
    refused(&o, "the scenario is not what the shards ran", &out);
}

#[test]
fn until_ci_runs_in_rounds_and_merges_like_one_machine_checking_every_round() {
    let s = scratch("shard-rounds");
    // Met after 40 replications: two rounds of 20.
    let args = [
        "sweep",
        "--until-ci",
        "time_to_recover_mean_ms=1m15s",
        "--round-size",
        "20",
        "--max-replications",
        "100",
    ];
    let shards = s.path("shards");
    let round = |j: &str| {
        for k in 0..3 {
            let spec = format!("{k}/3");
            let o = repairsim(
                &[
                    &args[..],
                    &["--shard", &spec, "--round", j, "--out", &shards, "-q"],
                ]
                .concat(),
            );
            assert!(o.status.success(), "{}", stderr(&o));
        }
    };
    round("1");
    let out = s.path("merged");
    let o = merge(&[&shards], &out);
    refused(
        &o,
        "its --until-ci target is not met after 20 replications (round 1 of 20): run round 2 \
         (the same command with --round 2)",
        &out,
    );
    round("2");
    assert!(Path::new(&s.path("shards/shard-2-of-3.round-2.jsonl")).exists());
    let o = merge(&[&shards], &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = repairsim(&[&args[..], &["--out", &s.path("single"), "-q"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let single = files(Path::new(&s.path("single")));
    let summary = &single.iter().find(|(f, _)| f == "summary.json").unwrap().1;
    assert!(String::from_utf8_lossy(summary).contains("\"replications\": 40"));
    assert!(single == files(Path::new(&out)));

    // Without --round-size a shard cannot know its round.
    let o = repairsim(&[
        "sweep",
        "--until-ci",
        "availability=0.001",
        "--shard",
        "0/2",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("needs --round-size R"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn shard_flags_are_checked() {
    for (args, expected) in [
        (&["sweep", "--shard", "3/3"][..], "K must be from 0 to N-1"),
        (&["sweep", "--shard", "0/100001"][..], "N from 1 to 100000"),
        (
            &["sweep", "-n", "3", "--round-size", "5"][..],
            "--round-size: only with --until-ci",
        ),
        (
            &["sweep", "--shard", "auto"][..],
            "neither JOB_COMPLETION_INDEX",
        ),
        (
            &["compare", "--candidate", "preset=gke", "--shard", "1"][..],
            "expected K/N",
        ),
        (
            &["sweep", "--round", "2"][..],
            "--round 2: only with --shard",
        ),
        (
            &["report", "--shard", "0/2", "--shard-count", "2"][..],
            "only with --shard auto",
        ),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_repairsim"))
            .args(args)
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("SLURM_ARRAY_TASK_ID")
            .current_dir(repo())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    }
}
