//! Issue 12, item 3: `repairsim replay` runs a recorded history's faults
//! through candidate policies next to what happened (`recorded`), with
//! compare's tables and charts, each output saying it is a replay.

use crate::common::{assert_bad_input, files, repairsim, scratch, stderr};
use serde_json::Value;

/// `replay.json` in `out`.
fn replay_json(out: &str) -> Value {
    serde_json::from_slice(&std::fs::read(format!("{out}/replay.json")).unwrap()).unwrap()
}

/// Candidate `c`'s row of `metric` in a `replay.json`.
fn row(json: &Value, c: usize, metric: &str) -> Value {
    json["candidates"][c]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == metric)
        .unwrap_or_else(|| panic!("no {metric} in {json}"))
        .clone()
}

/// `run --events all` of the default scenario into `dir/run`.
fn history(dir: &crate::common::Scratch) -> String {
    let run = dir.path("run");
    let o = repairsim(&[
        "run",
        "scenarios/default.toml",
        "--events",
        "all",
        "--out",
        &run,
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    format!("{run}/events.jsonl")
}

#[test]
fn replay_sets_each_candidate_beside_the_record() {
    // The directory's name must not say "replay": the outputs must.
    let s = scratch("rp-cli");
    let events = history(&s);
    let out = s.path("replay");
    let args = [
        "replay",
        &events,
        "--windows",
        "win",
        "--candidate",
        "preset=aks-2024-08,name=same",
        "--candidate",
        "set=policy.repair_delay=2m",
        "--out",
        &out,
    ];
    let o = repairsim(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.starts_with("# Replay of "), "{stdout}");
    assert!(
        stdout.contains("This is a replay, not a sample"),
        "{stdout}"
    );

    let written = files(std::path::Path::new(&out));
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    for f in [
        "replay.md",
        "replay.csv",
        "replay.json",
        "incidents.csv",
        "scenario.toml",
        "time_to_recover.svg",
        "time_to_recover.png",
        "deltas_1.svg",
        "deltas_2.svg",
    ] {
        assert!(names.contains(&f), "{f} missing from {names:?}");
    }
    // Every output says it is a replay, each in its own way.
    for (name, bytes) in &written {
        let text = String::from_utf8_lossy(bytes);
        let says = match name.as_str() {
            "replay.md" => text.starts_with("# Replay of ") && text.contains("This is a replay"),
            "replay.csv" => text.lines().next().unwrap().ends_with(",replay_of"),
            "incidents.csv" => {
                text.lines().next().unwrap().ends_with(",replay_of")
                    && text.lines().skip(1).all(|l| l.ends_with("events.jsonl"))
            }
            "replay.json" => text.contains("\"replay\": true"),
            "scenario.toml" => text.starts_with("# The scenario `repairsim replay` replayed"),
            n if n.ends_with(".svg") => text.contains("Replay:"),
            n if n.ends_with(".png") => true,
            n => panic!("unexpected output {n}"),
        };
        assert!(says, "{name} does not say it is a replay");
    }

    // The record through its own policy: the same on every metric the
    // record shows; time to detect is not in it.
    let json = replay_json(&out);
    assert_eq!(json["replay"], true);
    assert_eq!(json["baseline"], "recorded");
    assert_eq!(json["incidents"], 195);
    let same = &json["candidates"][0];
    assert_eq!(same["candidate"], "same");
    for m in same["metrics"].as_array().unwrap() {
        let want = if m["metric"] == "time_to_detect_mean_ms" {
            "not in the record"
        } else {
            "same"
        };
        assert_eq!(m["verdict"], want, "{m}");
    }
    // A shorter delay repairs more and sooner on this history.
    assert_eq!(row(&json, 1, "needless_repairs")["verdict"], "worse");
    assert!(
        row(&json, 1, "actions_reboot")["difference"]
            .as_f64()
            .unwrap()
            > 0.0
    );

    let csv = String::from_utf8(std::fs::read(format!("{out}/replay.csv")).unwrap()).unwrap();
    assert!(csv.starts_with(
        "candidate,metric,unit,better,recorded,candidate_value,difference,verdict,label,replay_of\n"
    ));
    let incidents =
        String::from_utf8(std::fs::read(format!("{out}/incidents.csv")).unwrap()).unwrap();
    let mut lines = incidents.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("side,node,pool,os,fault,onset_ms,")
    );
    // Each recorded incident, then each candidate's handling of its fault.
    let sides: Vec<&str> = lines
        .take(3)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(sides, ["recorded", "same", "set=policy.repair_delay=2m"]);
    let toml = String::from_utf8(std::fs::read(format!("{out}/scenario.toml")).unwrap()).unwrap();
    assert!(
        toml.starts_with("# The scenario `repairsim replay` replayed"),
        "{toml}"
    );

    // Byte for byte the same on a second run.
    let again = s.path("again");
    let mut args2 = args.to_vec();
    *args2.last_mut().unwrap() = &again;
    let o = repairsim(&args2);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(files(std::path::Path::new(&again)), written);
}

#[test]
fn replay_refuses_bad_input_and_writes_nothing() {
    let s = scratch("replay-bad");
    let events = history(&s);
    assert_bad_input(
        &s,
        &["replay", &events, "--candidate", "delay=2m"],
        "error: --candidate delay=2m: \"delay=2m\" is not a term",
    );
    assert_bad_input(
        &s,
        &["replay", &events, "--candidate", "name=recorded,preset=gke"],
        "error: --candidate name=recorded,preset=gke: another side is already called \"recorded\"",
    );
    assert_bad_input(
        &s,
        &[
            "replay",
            &events,
            "--preset",
            "aks-2099",
            "--candidate",
            "preset=gke",
        ],
        "error: --preset aks-2099: unknown preset",
    );
    assert_bad_input(
        &s,
        &[
            "replay",
            &events,
            "--candidate",
            "set=policy.repair_delay=soon",
        ],
        "error: ",
    );
    let bad = s.path("bad.json");
    std::fs::write(
        &bad,
        "{\"kind\": \"List\", \"items\": [\n{\"reason\": }\n]}\n",
    )
    .unwrap();
    assert_bad_input(
        &s,
        &["replay", &bad, "--candidate", "preset=gke"],
        &format!("error: {bad}:2:"),
    );
}

/// POLICY.md section 8's record: `aks-observed-2026` starts the first
/// action within a second of the recorded one, `aks-2024-08` five minutes
/// later; README shows the same lines.
#[test]
fn the_section_8_replay_in_the_readme_is_the_real_output() {
    let s = scratch("replay-s8");
    let out = s.path("s8");
    let o = repairsim(&[
        "replay",
        "tests/repairsim/histories/section-8.json",
        "--preset",
        "aks-observed-2026",
        "--candidate",
        "preset=aks-observed-2026",
        "--candidate",
        "preset=aks-2024-08",
        "--out",
        &out,
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let csv = std::fs::read_to_string(format!("{out}/incidents.csv")).unwrap();
    let cut: Vec<String> = csv
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [f[0], f[8], f[9], f[11], f[13]].join(",")
        })
        .collect();
    let started = |row: usize| cut[row].split(',').nth(1).unwrap().parse::<i64>().unwrap();
    assert!((started(2) - started(1)).abs() < 1_000, "{cut:?}");
    assert_eq!(started(3) - started(1), 300_000 - 427, "{cut:?}");
    let shown = format!(
        "$ cut -d, -f1,9,10,12,14 out/s8-replay/incidents.csv\n{}\n",
        cut.join("\n")
    );
    let readme = std::fs::read_to_string(crate::common::repo().join("README.md")).unwrap();
    assert!(readme.contains(&shown), "README is stale; now:\n{shown}");

    // The observed policy on its own record: the node is not Ready a few
    // seconds longer (its Unknown falls on the simulated grids), within
    // the status-tick allowance, so `same`.
    let nr = row(&replay_json(&out), 0, "not_ready_node_hours");
    let d = nr["difference"].as_f64().unwrap();
    assert!(d > 0.0 && d * 3600.0 <= 10.0, "{nr}");
    assert_eq!(nr["verdict"], "same", "{nr}");
}

/// The kubelet can post Ready before the repair controller reports the
/// End: the node is Ready from its NodeReady on, and the action counts.
#[test]
fn recorded_counts_an_end_after_node_ready_as_ended_then() {
    let s = scratch("rp-late-end");
    let ev = |reason: &str, source: &str, at: &str| {
        format!(
            r#"{{"kind":"Event","involvedObject":{{"kind":"Node","name":"aks-user-1234-vmss000000"}},"reason":"{reason}","source":{{"component":"{source}"}},"firstTimestamp":"{at}"}}"#
        )
    };
    let items = [
        ev("RegisteredNode", "node-controller", "2026-05-19T20:00:00Z"),
        ev("NodeNotReady", "kubelet", "2026-05-19T21:00:00Z"),
        ev("NodeRebootStart", "aks-auto-repair", "2026-05-19T21:10:00Z"),
        ev("NodeReady", "kubelet", "2026-05-19T21:12:00Z"),
        ev("NodeRebootEnd", "aks-auto-repair", "2026-05-19T21:12:05Z"),
        ev("NodeNotReady", "kubelet", "2026-05-19T23:00:00Z"),
        ev("NodeReady", "kubelet", "2026-05-19T23:01:00Z"),
    ];
    let file = s.path("late.json");
    std::fs::write(
        &file,
        format!("{{\"kind\":\"List\",\"items\":[{}]}}", items.join(",")),
    )
    .unwrap();
    let out = s.path("out");
    let o = repairsim(&[
        "replay",
        &file,
        "--candidate",
        "preset=aks-2024-08",
        "--out",
        &out,
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json = replay_json(&out);
    let metric = |name: &str| row(&json, 0, name)["recorded"].as_f64().unwrap();
    // Not Ready 21:00-21:12 and 23:00-23:01: 13 minutes.
    assert_eq!(metric("not_ready_node_hours"), 13.0 / 60.0);
    assert_eq!(metric("incidents_repaired_by_reboot"), 1.0);
    assert_eq!(
        metric("time_to_recover_mean_ms"),
        (720_000.0 + 60_000.0) / 2.0
    );
}
