//! `repairsim check` end to end: exit codes, what a moved timing rule looks
//! like in the text, JSON and JUnit results, `--bless`, and bad input.

use crate::common::{Scratch, repairsim, repo, scratch, stderr};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Copies a shipped scenario and its golden directory into `s`, with
/// `edit(text)` applied to the scenario; returns the copy's path.
fn copy_scenario(s: &Scratch, name: &str, edit: impl Fn(&str) -> String) -> String {
    let src = repo().join("scenarios");
    let text = std::fs::read_to_string(src.join(format!("{name}.toml"))).unwrap();
    std::fs::write(s.join(format!("{name}.toml")), edit(&text)).unwrap();
    let golden = s.join(format!("{name}.golden"));
    std::fs::create_dir_all(&golden).unwrap();
    for f in ["events.csv", "incidents.csv", "summary.json"] {
        std::fs::copy(src.join(format!("{name}.golden")).join(f), golden.join(f)).unwrap();
    }
    s.path(&format!("{name}.toml"))
}

/// The scenario with `repair_delay = "6m"` under its preset.
fn delay_6m(text: &str) -> String {
    let line = "preset = \"aks-2024-08\"\n";
    assert!(text.contains(line));
    text.replacen(line, &format!("{line}repair_delay = \"6m\"\n"), 1)
}

fn junit(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn every_shipped_scenario_passes_and_junit_has_a_suite_each() {
    let s = scratch("check-shipped");
    let j = s.path("out/junit.xml");
    let o = repairsim(&["check", "scenarios", "--junit", &j]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    let toml_files = std::fs::read_dir(repo().join("scenarios"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "toml")
        })
        .count();
    let text = stdout(&o);
    assert_eq!(
        text.matches("\nok      scenarios/").count() + 1,
        toml_files,
        "{text}"
    );
    let xml = junit(&j);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("failures"), Some("0"));
    let suites = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .count();
    assert_eq!(
        suites, toml_files,
        "every shipped scenario has golden files"
    );
    let tests: usize = root.attribute("tests").unwrap().parse().unwrap();
    assert!(
        text.ends_with(&format!(
            "check ok: {tests} passed, 0 failed; {tests} cases in {toml_files} scenarios\n"
        )),
        "{text}"
    );
    // Each preset of POLICY.md sections 6 and 8 is checked by its own scenario.
    for p in repairsim::policy::Preset::ALL.map(|p| p.name()) {
        assert!(
            text.contains(&format!("ok      scenarios/preset-{p}.toml")),
            "{p}"
        );
    }
}

#[test]
fn a_repair_delay_of_6m_fails_naming_the_moved_event_and_the_delta() {
    let s = scratch("check-moved");
    let file = copy_scenario(&s, "example-1-reboot", delay_6m);
    let j = s.path("junit.xml");
    let o = repairsim(&["check", &file, "--junit", &j]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    for phrase in [
        "NodeRebootStart on pool-0: expected at 1h16m, found at 1h17m (+1m)",
        "NodeRebootEnd on pool-0: expected at 1h20m, found at 1h21m (+1m)",
        "time to recover 20m25s, expected 19m25s (+1m)",
        "first: NodeRebootStart on pool-0 moved from 1h16m to 1h17m (+1m)",
        "     1h20m  pool-0  NodeRebootEnd  moved from 1h20m to 1h21m (+1m)",
        "time_to_recover.p99_ms: 19m25s -> 20m25s (+1m)",
    ] {
        assert!(text.contains(phrase), "{phrase:?} not in\n{text}");
    }
    // file:line of the broken expectation, for editors and CI annotations.
    let line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l.trim() == "at = \"1h16m\"")
        .unwrap();
    let header = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .take(line)
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| *l == "[[expect]]")
        .unwrap()
        + 1;
    assert!(
        text.contains(&format!(
            "  FAIL  {file}:{header}  NodeRebootStart on pool-0 at 1h16m\n"
        )),
        "{text}"
    );
    assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
    assert!(stderr(&o).contains(" check cases failed"), "{}", stderr(&o));

    let xml = junit(&j);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failures: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .map(|n| n.attribute("message").unwrap())
        .collect();
    assert!(
        failures.contains(&"NodeRebootStart on pool-0: expected at 1h16m, found at 1h17m (+1m)"),
        "{failures:?}"
    );
    assert!(
        failures.iter().any(
            |m| m.ends_with("first: NodeRebootStart on pool-0 moved from 1h16m to 1h17m (+1m)")
        ),
        "{failures:?}"
    );
    let invariants = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("invariants of docs/POLICY.md"))
        .unwrap();
    assert!(invariants.children().all(|c| !c.has_tag_name("failure")));

    // The same change through --set, and the results as JSON.
    let o = repairsim(&[
        "check",
        "scenarios/example-1-reboot.toml",
        "--set",
        "policy.repair_delay=6m",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["result"], "failed");
    let cases = v["scenarios"][0]["cases"].as_array().unwrap();
    let golden = cases
        .iter()
        .find(|c| c["name"] == "golden events.csv")
        .unwrap();
    let first = &golden["failure"]["events"][0];
    assert_eq!(first["change"], "moved");
    assert_eq!(first["reason"], "NodeRebootStart");
    assert_eq!(first["golden_ms"], 4_560_000);
    assert_eq!(first["delta_ms"], 60_000);
    let failed = v["totals"]["failed"].as_u64().unwrap();
    assert_eq!(
        failed as usize,
        cases.iter().filter(|c| c["status"] == "failed").count()
    );
}

#[test]
fn bless_rewrites_the_golden_files_and_then_check_passes() {
    let s = scratch("check-bless");
    let file = copy_scenario(&s, "zonal-outage-serial", delay_6m);
    let o = repairsim(&["check", &file]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));

    let o = repairsim(&["check", &file, "--bless"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("  bless golden events.csv  rewrote "),
        "{text}"
    );
    assert!(
        text.contains("moved from"),
        "the note says what changed:\n{text}"
    );

    let o = repairsim(&["check", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let events = std::fs::read_to_string(s.join("zonal-outage-serial.golden/events.csv")).unwrap();
    let golden =
        std::fs::read_to_string(repo().join("scenarios/zonal-outage-serial.golden/events.csv"))
            .unwrap();
    assert_ne!(events, golden, "the blessed events are the new run's");
    // A second bless has nothing to rewrite.
    let o = repairsim(&["check", &file, "--bless"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!stdout(&o).contains("bless "), "{}", stdout(&o));

    // --bless with --set would bless what the file does not say.
    let o = repairsim(&["check", &file, "--bless", "--set", "seed=3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: --bless with --set"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn bless_on_a_directory_gives_every_scenario_golden_files() {
    let s = scratch("check-bless-dir");
    let text = std::fs::read_to_string(repo().join("scenarios/example-1-reboot.toml")).unwrap();
    let bare = text.split("[[expect]]").next().unwrap();
    std::fs::write(s.join("plain.toml"), bare).unwrap();
    let dir = s.path("");
    let o = repairsim(&["check", &dir]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing to check in"), "{}", stderr(&o));

    let o = repairsim(&["check", &dir, "--bless"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let golden = s.join("plain.golden");
    assert_eq!(
        std::fs::read_to_string(golden.join("events.csv"))
            .unwrap()
            .lines()
            .count(),
        3,
        "a header, NodeRebootStart and NodeRebootEnd"
    );
    let o = repairsim(&["check", &dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("(4 cases)"),
        "three golden files and the invariants"
    );
}

#[test]
fn malformed_expectations_are_bad_input_and_nothing_is_written() {
    let s = scratch("check-bad");
    let text = std::fs::read_to_string(repo().join("scenarios/example-1-reboot.toml")).unwrap();
    let bad = format!(
        "{text}\n[[expect]]\nevent = \"NodeRebootBegin\"\nnode = \"pool-0\"\nat = \"1h16m\"\n"
    );
    std::fs::write(s.join("bad.toml"), &bad).unwrap();
    let line = bad
        .lines()
        .position(|l| l.contains("NodeRebootBegin"))
        .unwrap()
        + 1;
    let j = s.path("junit.xml");
    let o = repairsim(&["check", &s.path("bad.toml"), "--junit", &j]);
    assert_eq!(o.status.code(), Some(2));
    let message = format!(
        "{}:{line}:9: expect[5].event: unknown event reason \"NodeRebootBegin\"; \
         valid reasons: NodeRebootStart,",
        s.path("bad.toml")
    );
    assert!(
        stderr(&o).starts_with(&format!("error: {message}")),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
    // The JUnit file carries the error, so a CI server shows it.
    let xml = junit(&j);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let error = doc.descendants().find(|n| n.has_tag_name("error")).unwrap();
    assert!(
        error.attribute("message").unwrap().starts_with(&message),
        "{xml}"
    );
    assert!(doc.descendants().all(|n| !n.has_tag_name("failure")));

    let o = repairsim(&["check", &s.path("missing")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no such file or directory"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_corrupt_golden_file_is_bad_input_with_its_line() {
    let s = scratch("check-corrupt");
    let file = copy_scenario(&s, "example-1-reboot", |t| t.to_string());
    let events = s.join("example-1-reboot.golden/events.csv");
    let text = std::fs::read_to_string(&events).unwrap();
    std::fs::write(&events, text.replacen(",4560000,", ",1h16m,", 1)).unwrap();
    let o = repairsim(&["check", &file]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {}:2: sim_ms \"1h16m\" is not a whole number of milliseconds; \
             `repairsim check --bless` rewrites the golden files\n",
            events.display()
        )
    );
    // As it says: --bless mends the directory, and then check passes.
    let o = repairsim(&["check", &file, "--bless"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("the golden files could not be read ("),
        "{}",
        stdout(&o)
    );
    let o = repairsim(&["check", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    std::fs::remove_file(s.join("example-1-reboot.golden/incidents.csv")).unwrap();
    let o = repairsim(&["check", &file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("incidents.csv: could not read the golden file"));
}

/// A `--set` that changes nothing changes no case.
#[test]
fn a_set_that_changes_nothing_passes() {
    let o = repairsim(&[
        "check",
        "scenarios/example-1-reboot.toml",
        "--set",
        "policy.repair_delay=5m",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let s = scratch("check-threads");
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let j = s.path(&format!("junit-{threads}.xml"));
        let o = repairsim(&[
            "check",
            "scenarios/default.toml",
            "--format",
            "json",
            "--threads",
            threads,
            "--junit",
            &j,
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        outs.push((o.stdout, std::fs::read(&j).unwrap()));
    }
    assert_eq!(outs[0], outs[1]);
    let v: serde_json::Value = serde_json::from_slice(&outs[0].0).unwrap();
    let names: Vec<&str> = v["scenarios"][0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names
            .contains(&"detection takes the documented 10 minutes plus the status and check grids"),
        "{names:?}"
    );
}

/// The README shows this run's output word for word.
#[test]
fn the_readme_example_is_the_real_output() {
    let args = [
        "check",
        "scenarios/example-1-reboot.toml",
        "--set",
        "policy.repair_delay=6m",
    ];
    let o = repairsim(&args);
    let shown = format!(
        "$ repairsim {}\n{}{}",
        args.join(" "),
        stdout(&o),
        stderr(&o)
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(&shown),
        "README.md's check example is stale; it is now:\n{shown}"
    );
}

#[test]
fn what_bless_must_not_remove_is_bad_input_even_with_bless() {
    let s = scratch("check-blocked");
    let text = std::fs::read_to_string(repo().join("scenarios/example-1-reboot.toml")).unwrap();
    std::fs::write(s.join("a.toml"), &text).unwrap();
    std::fs::write(s.join("a.golden"), "not a directory").unwrap();
    for bless in [false, true] {
        let mut args = vec!["check".to_string(), s.path("a.toml")];
        if bless {
            args.push("--bless".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = repairsim(&args);
        assert_eq!(o.status.code(), Some(2), "bless={bless}: {}", stdout(&o));
        assert_eq!(
            stderr(&o),
            format!(
                "error: {}: not a directory, but golden files go there; move it away\n",
                s.path("a.golden")
            )
        );
    }
    assert_eq!(
        std::fs::read_to_string(s.join("a.golden")).unwrap(),
        "not a directory"
    );
}

#[test]
fn a_bad_set_is_bad_input_in_the_junit_file_too() {
    let s = scratch("check-bad-set");
    let j = s.path("j.xml");
    let o = repairsim(&[
        "check",
        "scenarios/example-1-reboot.toml",
        "--set",
        "policy.repair_delay",
        "--junit",
        &j,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let first = stderr(&o).lines().next().unwrap().to_string();
    assert!(
        first.starts_with("error: --set policy.repair_delay"),
        "{first}"
    );
    let xml = junit(&j);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let error = doc.descendants().find(|n| n.has_tag_name("error")).unwrap();
    assert_eq!(
        Some(first.trim_start_matches("error: ")),
        error.attribute("message")
    );
}

#[test]
fn case_names_are_unique_within_a_scenario() {
    let s = scratch("check-names");
    let text = std::fs::read_to_string(repo().join("scenarios/example-1-reboot.toml")).unwrap();
    let twice = "[[expect]]\nname = \"same\"\nmetric = \"failed_repairs\"\nequals = 0\n";
    std::fs::write(s.join("a.toml"), format!("{text}\n{twice}\n{twice}")).unwrap();
    let j = s.path("j.xml");
    let o = repairsim(&["check", &s.path("a.toml"), "--junit", &j]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let xml = junit(&j);
    assert!(
        xml.contains("name=\"same\" ") && xml.contains("name=\"same #2\" "),
        "{xml}"
    );
}

/// A metric expectation with `set` bounds a what-if variant: worked
/// example 1 with a 6-minute delay recovers in 20m25s, not 19m25s.
#[test]
fn a_what_if_bound_measures_the_variant() {
    let s = scratch("check-what-if");
    let text = std::fs::read_to_string(repo().join("scenarios/example-1-reboot.toml")).unwrap();
    let what_if = "[[expect]]\nmetric = \"time_to_recover_mean_ms\"\nequals = \"20m25s\"\nset = [\"policy.repair_delay=6m\"]\n";
    std::fs::write(s.join("a.toml"), format!("{text}\n{what_if}")).unwrap();
    let o = repairsim(&["check", &s.path("a.toml")]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));

    let typo = what_if.replace("repair_delay=6m", "repair_dela=6m");
    let bad = format!("{text}\n{typo}");
    std::fs::write(s.join("b.toml"), &bad).unwrap();
    // The bad item itself, not the table's header (issue 14).
    let (line, col) = bad
        .lines()
        .enumerate()
        .find_map(|(i, l)| Some((i + 1, l.find("\"policy.repair_dela=")? + 1)))
        .unwrap();
    let o = repairsim(&["check", &s.path("b.toml")]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.starts_with(&format!(
            "error: {}:{line}:{col}: expect[5].set[0]: policy.repair_dela: unknown key",
            s.path("b.toml")
        )),
        "{e}"
    );
}
