//! Issue 12, first slice: `run --events all` writes the kubelet's and the
//! node controller's Node events, and `repairsim import` reads a history
//! of Kubernetes events back into a scenario whose replay, through the
//! same policy, repeats the auto-repair events to the millisecond.

use crate::common::{repairsim, scratch, stderr};
use proptest::prelude::*;
use repairsim::cli::run::{Events, simulate_run_with};
use repairsim::import::{self, Ignored, Options};
use repairsim::scenario::{load_file, load_str};
use std::path::Path;

/// (reason, node, simulated ms) of auto-repair events.
type Repairs = Vec<(String, String, u64)>;

/// (reason, node, simulated ms) of every auto-repair event.
fn repairs(r: &repairsim::cli::run::RunOutput) -> Repairs {
    r.events
        .events()
        .iter()
        .filter(|e| e.source.component == "aks-auto-repair")
        .map(|e| (e.reason.clone(), e.node_label.clone(), e.sim_ms))
        .collect()
}

/// Runs `name` with every event, imports its events.jsonl, and replays the
/// import through the original's policy.
fn round_trip(name: &str) -> (Repairs, Repairs, String) {
    let s = scratch(&format!("import-{name}"));
    let path = Path::new("scenarios").join(format!("{name}.toml"));
    let original = load_file(&crate::common::repo().join(&path)).unwrap();
    let recorded = simulate_run_with(&original, 0, Events::All);
    let (replayed, toml) = import_and_replay(&original, &recorded, &s);
    (repairs(&recorded), repairs(&replayed), toml)
}

/// Imports the events of `recorded` (a run of `original` with every
/// event) and replays them through `original`'s policy.
fn import_and_replay(
    original: &repairsim::scenario::Scenario,
    recorded: &repairsim::cli::run::RunOutput,
    dir: &crate::common::Scratch,
) -> (repairsim::cli::run::RunOutput, String) {
    let (imported, replay) = import_only(original, recorded, dir);
    (
        simulate_run_with(&replay, 0, Events::All),
        imported.to_toml(),
    )
}

/// Imports the events of `recorded` (a run of `original` with every
/// event): the import, and its scenario with `original`'s policy.
fn import_only(
    original: &repairsim::scenario::Scenario,
    recorded: &repairsim::cli::run::RunOutput,
    dir: &crate::common::Scratch,
) -> (import::Imported, repairsim::scenario::Scenario) {
    let jsonl = dir.path("events.jsonl");
    std::fs::write(&jsonl, repairsim::report::events_jsonl(&recorded.events)).unwrap();
    let mut obs = Vec::new();
    let mut ignored = Ignored::default();
    import::kubectl::read(Path::new(&jsonl), &mut obs, &mut ignored).unwrap();
    let windows = original
        .fleet
        .pools
        .iter()
        .filter(|p| p.os == repairsim::fleet::Os::Windows)
        .map(|p| p.name.clone())
        .collect();
    let imported = import::infer(
        obs,
        ignored,
        Options {
            name: original.name.clone(),
            policy: original.policy.clone(),
            windows,
            sources: vec![jsonl.clone()],
            repairs_recorded: true,
        },
    )
    .and_then(import::Imported::verify)
    .unwrap();
    let toml = imported.to_toml();
    let mut replay = load_str("imported.toml", &toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    replay.policy = original.policy.clone();
    (imported, replay)
}

/// Every shipped AKS scenario.
const AKS: [&str; 17] = [
    "action-errors",
    "compare-providers",
    "default",
    "example-1-reboot",
    "example-2-reimage",
    "example-3-timeout",
    "exclusion-cluster-too-small",
    "exclusions",
    "preset-aks-2020-08",
    "preset-aks-2021-09",
    "preset-aks-2023-09",
    "preset-aks-2024-08",
    "preset-aks-observed-2026",
    "quickstart",
    "windows-pool",
    "zonal-outage-serial",
    "zonal-outage-unlimited",
];

/// Every shipped AKS scenario: the replay repeats each auto-repair event,
/// reason, node and instant, random action times, action errors, guards,
/// exclusions and outages included.
#[test]
fn a_run_imported_and_replayed_repeats_its_repairs() {
    let aks = AKS;
    let mut events = 0;
    for name in aks {
        let (recorded, replayed, toml) = round_trip(name);
        assert_eq!(recorded, replayed, "{name}:\n{toml}");
        events += recorded.len();
    }
    assert!(events > 700, "the round trip covers {events} events");
    // Every other shipped scenario is a peer's: none is left out by mistake.
    for f in std::fs::read_dir("scenarios").unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "toml") {
            let sc = load_file(&crate::common::repo().join(&f)).unwrap();
            let name = f.file_stem().unwrap().to_str().unwrap();
            assert_eq!(
                aks.contains(&name),
                sc.policy.preset.provider() == repairsim::policy::providers::Provider::Aks,
                "{name}"
            );
        }
    }
}

/// What `replay`'s baseline measures of `run` (a run of `original` with
/// every event), and what a run of the imported scenario through
/// `original`'s policy measures: (metrics, incidents) each.
fn recorded_and_replayed(
    original: &repairsim::scenario::Scenario,
    run: &repairsim::cli::run::RunOutput,
    dir: &crate::common::Scratch,
) -> [(Vec<Option<f64>>, Vec<String>); 2] {
    use repairsim::import::replay::replay;
    let (imported, sc) = import_only(original, run, dir);
    let same = repairsim::mc::compare::Side {
        label: "same".into(),
        scenario: sc.clone(),
    };
    let r = replay(&imported, &sc, &[same]);
    let mut out = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    for (side, o) in out.iter_mut().enumerate() {
        o.0 = r.results[side].values.clone();
        // Time to detect is not in a record.
        o.0[repairsim::mc::metrics::IDX_TTD_MEAN] = None;
        o.1 = r.incidents[side]
            .iter()
            .map(|i| {
                format!(
                    "{} {} onset {} actions {} errors {} recovered {:?} {} needless {}",
                    i.node_name(&sc),
                    i.fault_name(&sc),
                    i.onset.ms(),
                    i.actions_joined(),
                    i.errors,
                    i.recovered.map(|t| t.ms()),
                    i.outcome.name(),
                    i.needless
                )
            })
            .collect();
    }
    out
}

/// `replay`'s baseline measures the record itself. On a history a run
/// wrote, that is what a run of the same policy on the imported scenario
/// measures: every metric but time to detect (a record does not show
/// detection), and each incident's actions, errors, recovery and outcome.
#[test]
fn the_recorded_side_measures_what_a_run_measures() {
    let mut incidents = 0;
    for name in AKS {
        let s = scratch(&format!("recorded-{name}"));
        let path = crate::common::repo().join(format!("scenarios/{name}.toml"));
        let original = load_file(&path).unwrap();
        let run = simulate_run_with(&original, 0, Events::All);
        let [recorded, replayed] = recorded_and_replayed(&original, &run, &s);
        assert_eq!(recorded.1, replayed.1, "{name}");
        assert_eq!(recorded.0, replayed.0, "{name}");
        incidents += recorded.1.len();
        // By the record alone, with outcomes by rules and not read from a
        // run: every time, count of actions and errors, and the not-Ready
        // time are still the run's.
        let (imported, sc) = import_only(&original, &run, &s);
        let (by_rules, _) = repairsim::import::replay::measure_by_rules(&imported, &sc);
        let defs = repairsim::mc::metrics::metric_defs();
        for (m, d) in defs.iter().enumerate() {
            let outcome = d.name.starts_with("incidents_") || d.name == "failed_repairs";
            if m != repairsim::mc::metrics::IDX_TTD_MEAN && !outcome {
                assert_eq!(by_rules.values[m], replayed.0[m], "{name}: {}", d.name);
            }
        }
    }
    assert!(incidents > 300, "{incidents} incidents");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: crate::common::cases(48), ..Default::default() })]

    /// The round trip on random AKS scenarios: any fleet, faults, outages,
    /// action times and errors, taints and upgrades, guards and policy
    /// settings.
    #[test]
    fn random_histories_replay_exactly(sc in crate::properties::arb_scenario()
        .prop_filter("AKS", |s| s.policy.preset.provider() == repairsim::policy::providers::Provider::Aks))
    {
        let dir = scratch("import-prop");
        let recorded = simulate_run_with(&sc, 0, Events::All);
        let (replayed, toml) = import_and_replay(&sc, &recorded, &dir);
        prop_assert_eq!(repairs(&recorded), repairs(&replayed), "{}", toml);
    }

    /// `replay`'s baseline on random AKS histories: what a run of the
    /// same policy measures.
    #[test]
    fn random_histories_measure_as_recorded(sc in crate::properties::arb_scenario()
        .prop_filter("AKS", |s| s.policy.preset.provider() == repairsim::policy::providers::Provider::Aks))
    {
        let dir = scratch("recorded-prop");
        let run = simulate_run_with(&sc, 0, Events::All);
        let [recorded, replayed] = recorded_and_replayed(&sc, &run, &dir);
        prop_assert_eq!(&recorded.1, &replayed.1);
        prop_assert_eq!(&recorded.0, &replayed.0);
    }
}

/// The importer says what it inferred, beside each line: worked example 2
/// (no-status, fixed by the reimage) comes back with its exact onset.
#[test]
fn the_imported_scenario_explains_itself() {
    let (_, _, toml) = round_trip("example-2-reimage");
    for line in [
        "signal = \"no-status\"   # the node controller's NodeNotReady at 2026-01-01T03:01:10Z: the kubelet went silent",
        "fixed_by = \"reimage\"   # Ready at 2026-01-01T03:35:00Z after the reimage that ended at 2026-01-01T03:35:00Z, not after reboot",
        "at = \"3h00m30s\"   # after the last lease tick 2026-01-01T03:00:20Z (Unknown at 2026-01-01T03:01:10Z: that tick + 50s grace, on the 5s monitor grid)",
        "count = 3   # the highest index seen, plus one",
        "reimage = { duration = \"10m\" }   # 1 recorded, all 10m",
    ] {
        assert!(
            toml.lines().any(|l| l == line),
            "missing {line:?} in:\n{toml}"
        );
    }
    // The original injects the fault at 3h00m30s too.
    let original = std::fs::read_to_string("scenarios/example-2-reimage.toml").unwrap();
    assert!(original.contains("at = \"3h00m30s\""));
}

/// `run --events all` adds the Node events, as a cluster records them;
/// the default run does not.
#[test]
fn events_all_adds_the_kubelets_and_the_node_controllers() {
    let s = scratch("events-all");
    let (a, b) = (s.path("all"), s.path("default"));
    for (dir, extra) in [(&a, vec!["--events", "all"]), (&b, vec![])] {
        let o = repairsim(
            &[
                &[
                    "run",
                    "scenarios/example-1-reboot.toml",
                    "--no-charts",
                    "-q",
                    "--out",
                    dir,
                ][..],
                &extra[..],
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let lines = |dir: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(Path::new(dir).join("events.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let all = lines(&a);
    let picked: Vec<(String, String, String, String)> = all
        .iter()
        .filter(|e| e["involvedObject"]["name"] == "pool-0")
        .map(|e| {
            (
                e["firstTimestamp"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
                e["source"]["component"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let t = |s: &str, r: &str, c: &str, m: &str| {
        (s.to_string(), r.to_string(), c.to_string(), m.to_string())
    };
    // Worked example 1: Ready=False at 1h00m40s, Ready again at 1h20m.
    assert_eq!(
        picked,
        [
            t(
                "2026-01-01T00:00:00Z",
                "RegisteredNode",
                "node-controller",
                "Node pool-0 event: Registered Node pool-0 in Controller"
            ),
            t(
                "2026-01-01T01:00:40Z",
                "NodeNotReady",
                "kubelet",
                "Node pool-0 status is now: NodeNotReady"
            ),
            t(
                "2026-01-01T01:16:00Z",
                "NodeRebootStart",
                "aks-auto-repair",
                "Node auto-repair is initiating a reboot action due to NotReady status persisting for more than five minutes."
            ),
            t(
                "2026-01-01T01:20:00Z",
                "NodeRebootEnd",
                "aks-auto-repair",
                "Reboot action from node auto-repair is completed."
            ),
            t(
                "2026-01-01T01:20:00Z",
                "NodeReady",
                "kubelet",
                "Node pool-0 status is now: NodeReady"
            ),
        ]
    );
    let default = lines(&b);
    assert_eq!(
        default.len(),
        2,
        "the default is the auto-repair events only"
    );
    assert!(
        default
            .iter()
            .all(|e| e["source"]["component"] == "aks-auto-repair")
    );
}

/// A kubectl List with other objects and other reasons: they are counted
/// and left out; bad input names the file and the item and exits 2.
#[test]
fn import_reads_a_kubectl_list_and_rejects_bad_input() {
    let s = scratch("import-bad");
    let list = s.path("list.json");
    std::fs::write(
        &list,
        r#"{"apiVersion":"v1","kind":"List","items":[
  {"kind":"Event","involvedObject":{"kind":"Pod","name":"web-1"},"reason":"Killing","firstTimestamp":"2026-05-19T21:00:00Z"},
  {"kind":"Event","involvedObject":{"kind":"Node","name":"user-0"},"reason":"RegisteredNode","source":{"component":"node-controller"},"firstTimestamp":"2026-05-19T21:00:00Z"},
  {"kind":"Event","involvedObject":{"kind":"Node","name":"user-1"},"reason":"RegisteredNode","source":{"component":"node-controller"},"firstTimestamp":"2026-05-19T21:00:00Z"},
  {"kind":"Event","involvedObject":{"kind":"Node","name":"user-0"},"reason":"NodeNotReady","source":{"component":"kubelet"},"firstTimestamp":"2026-05-19T21:10:00Z"},
  {"kind":"Event","involvedObject":{"kind":"Node","name":"user-0"},"reason":"Starting","source":{"component":"kubelet"},"firstTimestamp":"2026-05-19T21:11:00Z"},
  {"kind":"Event","involvedObject":{"kind":"Node","name":"user-0"},"reason":"NodeReady","source":{"component":"kubelet"},"eventTime":"2026-05-19T21:14:30.000000Z"}
]}"#,
    )
    .unwrap();
    let out = s.path("imported.toml");
    let o = repairsim(&["import", &list, "-o", &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "imported 4 events: 2 nodes in 1 pool, 1 not-Ready episode (1 Ready again, 0 never); \
         ignored 1 events about other objects and 1 with other reasons\n"
    );
    let toml = std::fs::read_to_string(&out).unwrap();
    let sc = load_str("imported.toml", &toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    assert_eq!(sc.fleet.len(), 2);
    assert!(
        toml.contains(
            "self_heal_after = \"4m30s\"   # Ready again at 2026-05-19T21:14:30Z (a status tick)"
        ),
        "{toml}"
    );
    assert!(
        toml.contains("at = \"10m\"   # the kubelet's NodeNotReady"),
        "{toml}"
    );

    for (text, expected) in [
        (
            "{\"kind\":\"List\",\"items\":[{\"kind\":\"Event\"}]}",
            "list.json: items[0]: an Event without involvedObject",
        ),
        (
            "{\"kind\":\"Event\",\"involvedObject\":{\"kind\":\"Node\",\"name\":\"a-0\"},\"reason\":\"NodeReady\",\"firstTimestamp\":\"yesterday\"}\n{}\n",
            "list.json:1: bad time \"yesterday\": expected an RFC 3339 instant",
        ),
        ("{\"kind\":\"List\",\"items\":[", "list.json:1:"),
        (
            "{\"kind\":\"Event\",\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web-1\"},\"reason\":\"Killing\",\"firstTimestamp\":\"2026-05-19T21:00:00Z\"}",
            "no Node events in the input",
        ),
    ] {
        std::fs::write(&list, text).unwrap();
        let _ = std::fs::remove_file(&out);
        let o = repairsim(&["import", &list, "-o", &out]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{text}: {}", stderr(&o));
        assert!(!Path::new(&out).exists(), "nothing is written");
    }
}

/// The Starts (kind, Unix ms) a replay of `history` through `preset` makes.
fn replay_starts(history: &str, preset: &str) -> (Vec<(String, i64)>, String) {
    let s = scratch(&format!("section-8-{preset}"));
    let out = s.path("imported.toml");
    let o = repairsim(&["import", history, "--preset", preset, "-o", &out, "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let toml = std::fs::read_to_string(&out).unwrap();
    let sc = load_str("imported.toml", &toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    let r = simulate_run_with(&sc, 0, Events::All);
    let starts = r
        .events
        .events()
        .iter()
        .filter(|e| e.phase == Some(repairsim::k8s::EventPhase::Start))
        .map(|e| (e.reason.clone(), sc.start.0 + e.sim_ms as i64))
        .collect();
    (starts, toml)
}

/// docs/POLICY.md section 8's record, written from the facts given there
/// (tests/repairsim/histories/section-8.json: the node controller's
/// NodeNotReady, microsecond eventTimes on the auto-repair events,
/// whole-second timestamps on the others, the End-then-Error pair, the
/// node's deletion, and events about a Pod mixed in). Replayed through
/// aks-observed-2026, each Start comes within a minute of the recorded
/// one: the reboot 0.4 s early (the check grid's phase is the earliest
/// recorded Start's), the reimage on the check after (a strict settle from
/// the End on an exact grid, as section 8 says); the redeploy would come a
/// minute later again, after the node's deletion, where the history (and
/// so the replay) ends. Through aks-2024-08 the first Start is five
/// minutes later.
#[test]
fn the_section_8_history_replays_as_documented() {
    let history = "tests/repairsim/histories/section-8.json";
    let t = |s: &str| repairsim::time::Epoch::parse(s).unwrap().0;
    let (observed, toml) = replay_starts(history, "aks-observed-2026");
    for line in [
        "signal = \"no-status\"   # the node controller's NodeNotReady at 2026-05-19T21:24:51Z: the kubelet went silent",
        "fixed_by = \"none\"   # never Ready again: the Node was deleted at 2026-05-19T21:45:00Z",
        "  { kind = \"redeploy\", duration = \"120ms\", error = \"\" },   # started 2026-05-19T21:44:43.633Z",
        "nodes = [\"aks-userswft3-15776247-vmss00000h\"]   # as recorded",
    ] {
        assert!(
            toml.lines().any(|l| l == line),
            "missing {line:?} in:\n{toml}"
        );
    }
    let recorded = [
        ("NodeRebootStart", t("2026-05-19T21:34:43.709Z")),
        ("NodeReimageStart", t("2026-05-19T21:39:43.282Z")),
    ];
    assert_eq!(observed.len(), 2, "{observed:?}");
    for ((reason, at), (want, rec)) in observed.iter().zip(recorded) {
        assert_eq!(reason, want);
        assert!(
            (at - rec).abs() <= 60_000,
            "{reason} at {at}, recorded {rec}"
        );
    }
    assert_eq!(observed[0].1, t("2026-05-19T21:34:43.282Z"));
    assert_eq!(observed[1].1, t("2026-05-19T21:40:43.282Z"));

    let (documented, _) = replay_starts(history, "aks-2024-08");
    assert_eq!(documented[0].0, "NodeRebootStart");
    let later = documented[0].1 - recorded[0].1;
    assert!(
        (4 * 60_000..=6 * 60_000).contains(&later),
        "{later} ms later"
    );
    assert_eq!(documented[0].1, t("2026-05-19T21:39:43.282Z"));
}

/// The same record as kubectl's List, as a Container Insights KubeEvents
/// CSV export and as a Log Analytics query result imports to the same
/// scenario, the format detected from the content; a KubeEvents CSV
/// without its key columns is bad input.
#[test]
fn kubeevents_exports_import_like_kubectl_events() {
    let body = |file: &str, extra: &[&str]| {
        let o = repairsim(&[&["import", file, "-q"][..], extra].concat());
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let text = String::from_utf8(o.stdout).unwrap();
        // The first line names the file.
        text.split_once('\n').unwrap().1.to_string()
    };
    let kubectl = body("tests/repairsim/histories/section-8.json", &[]);
    for f in [
        "tests/repairsim/histories/section-8-kubeevents.csv",
        "tests/repairsim/histories/section-8-kubeevents.json",
    ] {
        assert_eq!(body(f, &[]), kubectl, "{f}");
        assert_eq!(body(f, &["--format", "kubeevents"]), kubectl, "{f}");
    }
    let s = scratch("kubeevents-bad");
    let bad = s.path("bad.csv");
    std::fs::write(
        &bad,
        "TimeGenerated,ObjectKind,Namee,Reason\n2026-05-19T21:00:00Z,Node,a-0,NodeReady\n",
    )
    .unwrap();
    let o = repairsim(&["import", &bad]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("bad.csv:1: no Name column"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        &bad,
        "TimeGenerated,ObjectKind,Name,Reason,FirstSeen\n2026-05-19T21:00:00Z,Node,a-0,NodeReady,5/19/2026 9:00 PM\n",
    )
    .unwrap();
    let o = repairsim(&["import", &bad]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("bad.csv:2: bad time \"5/19/2026 9:00 PM\""),
        "{}",
        stderr(&o)
    );
}

/// `calibrate` on docs/POLICY.md section 8's record: the measures it
/// names, in JSON for jq, and the preset that fits the first action.
#[test]
fn calibrate_measures_the_section_8_record() {
    let o = repairsim(&[
        "calibrate",
        "tests/repairsim/histories/section-8.json",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let spread = |v: &serde_json::Value| {
        (
            v["n"].as_u64().unwrap(),
            v["min"].as_i64().unwrap(),
            v["median"].as_i64().unwrap(),
            v["max"].as_i64().unwrap(),
        )
    };
    // NodeNotReady 21:24:51, reboot 21:34:43.709.
    assert_eq!(
        spread(&j["not_ready_to_first_action_ms"]),
        (1, 592_709, 592_709, 592_709)
    );
    assert_eq!(j["onset_to_first_action_ms"]["n"], 1);
    // Reboot End 21:34:43.847 to reimage 21:39:43.282; reimage End
    // 21:39:43.573 to redeploy 21:44:43.633.
    assert_eq!(
        spread(&j["action_spacing_ms"]),
        (2, 299_435, 299_435, 300_060)
    );
    assert_eq!(
        spread(&j["action_duration_ms"]["reboot"]),
        (1, 138, 138, 138)
    );
    assert_eq!(
        spread(&j["action_duration_ms"]["reimage"]),
        (1, 291, 291, 291)
    );
    assert_eq!(
        spread(&j["action_duration_ms"]["redeploy"]),
        (1, 120, 120, 120)
    );
    assert_eq!(spread(&j["check_phase_ms"]), (3, 43_282, 43_633, 43_709));
    assert_eq!(j["failed_actions"]["end_then_error"], 1);
    assert_eq!(j["failed_actions"]["error_only"], 0);
    assert_eq!(j["error_rate"]["redeploy"]["errors"], 1);
    assert_eq!(j["error_rate"]["reboot"]["errors"], 0);
    assert_eq!(j["first_action_fit"][0]["preset"], "aks-observed-2026");
    assert_eq!(j["first_action_fit"][0]["mean_error_ms"], 427);
    let fits: Vec<&str> = j["first_action_fit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["preset"].as_str().unwrap())
        .collect();
    let pos = |p: &str| fits.iter().position(|f| *f == p).unwrap();
    assert!(pos("aks-observed-2026") < pos("aks-2024-08"), "{fits:?}");

    let o = repairsim(&[
        "calibrate",
        "tests/repairsim/histories/section-8-kubeevents.csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("failed actions: 1 End then Error, 0 Error alone (emit_end_on_error = true, as aks-observed-2026)"),
        "{text}"
    );
    assert!(
        text.contains("first action fits best: aks-observed-2026 (off by 427ms on average)"),
        "{text}"
    );
}

/// The README shows `calibrate`'s output on the section 8 record as it is.
#[test]
fn the_readme_calibrate_example_is_the_real_output() {
    let o = repairsim(&["calibrate", "tests/repairsim/histories/section-8.json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = format!(
        "$ repairsim calibrate tests/repairsim/histories/section-8.json\n{}",
        String::from_utf8(o.stdout).unwrap()
    );
    let readme = std::fs::read_to_string(crate::common::repo().join("README.md")).unwrap();
    assert!(readme.contains(&shown), "README is stale; now:\n{shown}");
}

/// What a review found in real-world shapes of a record: each imports as
/// the record says, and none panics.
#[test]
fn real_world_record_shapes_import_as_recorded() {
    let s = scratch("import-shapes");
    let ev = |node: &str, reason: &str, source: &str, time: &str| {
        format!(
            "{{\"kind\":\"Event\",\"involvedObject\":{{\"kind\":\"Node\",\"name\":\"{node}\"}},\"reason\":\"{reason}\",\"source\":{{\"component\":\"{source}\"}},\"firstTimestamp\":\"2026-05-19T{time}Z\"}}\n"
        )
    };
    let import = |name: &str, lines: &[String]| -> String {
        let f = s.path(name);
        std::fs::write(&f, lines.concat()).unwrap();
        let o = repairsim(&["import", &f, "-q"]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let aks = "aks-auto-repair";
    // The kubelet Ready before the controller reports the End: the reboot
    // fixed the node, and took 2m03s.
    let t = import(
        "ready-before-end.jsonl",
        &[
            ev("pool-0", "NodeNotReady", "kubelet", "10:00:00"),
            ev("pool-0", "NodeRebootStart", aks, "10:10:00"),
            ev("pool-0", "NodeReady", "kubelet", "10:12:00"),
            ev("pool-0", "NodeRebootEnd", aks, "10:12:03"),
        ],
    );
    assert!(t.contains("fixed_by = \"reboot\""), "{t}");
    assert!(
        t.contains("{ kind = \"reboot\", duration = \"2m03s\" }"),
        "{t}"
    );
    // The node controller's NodeNotReady at the kubelet's instant: the
    // kubelet's says what happened.
    let t = import(
        "both-not-ready.jsonl",
        &[
            ev("pool-0", "NodeNotReady", "node-controller", "10:00:00"),
            ev("pool-0", "NodeNotReady", "kubelet", "10:00:00"),
            ev("pool-0", "NodeReady", "kubelet", "10:03:00"),
        ],
    );
    assert!(t.contains("signal = \"not-ready\""), "{t}");
    assert!(t.contains("self_heal_after = \"3m\""), "{t}");
    // An End without its Start is said, not silently dropped.
    let t = import(
        "end-alone.jsonl",
        &[
            ev("pool-0", "NodeNotReady", "kubelet", "10:00:00"),
            ev("pool-0", "NodeRebootEnd", aks, "10:10:00"),
            ev("pool-0", "NodeReady", "kubelet", "10:10:05"),
        ],
    );
    assert!(
        t.contains("NodeRebootEnd on pool-0 without its Start: left out"),
        "{t}"
    );
    // A record whose policy acted later than the preset's: no hold drops
    // its reboot.
    let t = import(
        "slower.jsonl",
        &[
            ev("pool-0", "NodeNotReady", "kubelet", "10:00:00"),
            ev("pool-0", "NodeRebootStart", aks, "10:40:00"),
            ev("pool-0", "NodeRebootEnd", aks, "10:45:00"),
            ev("pool-0", "NodeReady", "kubelet", "10:45:05"),
        ],
    );
    assert!(!t.contains("[[exclusions]]"), "{t}");
    // A huge index is a name, not a position.
    let t = import(
        "huge.jsonl",
        &[ev("pool-4294967295", "NodeNotReady", "kubelet", "10:00:00")],
    );
    assert!(t.contains("nodes = [\"pool-4294967295\"]"), "{t}");
    // A time with an offset is the same instant in UTC.
    let t = import(
        "offset.jsonl",
        &[
            ev("pool-0", "NodeNotReady", "kubelet", "10:00:00")
                .replace("10:00:00Z", "12:00:00+02:00"),
            ev("pool-0", "NodeReady", "kubelet", "10:03:00"),
        ],
    );
    assert!(t.contains("self_heal_after = \"3m\""), "{t}");
    // JSON Lines that start with a blank line.
    let t = import(
        "blank-first.jsonl",
        &[
            "\n".to_string(),
            ev("pool-0", "NodeNotReady", "kubelet", "10:00:00"),
        ],
    );
    assert!(t.contains("signal = \"not-ready\""), "{t}");
    // An aggregated event is counted in the summary: only its first
    // occurrence has a time.
    let f = s.path("aggregated.jsonl");
    std::fs::write(
        &f,
        ev("pool-0", "NodeNotReady", "kubelet", "10:00:00").replace("}\n", ",\"count\":3}\n"),
    )
    .unwrap();
    let o = repairsim(&["import", &f, "-o", &s.path("aggregated.toml")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("; 1 aggregated events (count above 1) read as their first occurrence only"),
        "{}",
        stderr(&o)
    );
    // A compact one-line EventList (kubectl get --raw /api/v1/events).
    let t = import(
        "compact.json",
        &["{\"kind\":\"EventList\",\"items\":[{\"regarding\":{\"kind\":\"Node\",\"name\":\"pool-0\"},\"reason\":\"NodeNotReady\",\"reportingController\":\"kubelet\",\"eventTime\":\"2026-05-19T10:00:00.123456Z\"}]}\n".to_string()],
    );
    assert!(t.contains("signal = \"not-ready\""), "{t}");
}

/// A Prometheus query_range export of kube_node_status_condition, made
/// from a run's timelines at `step` \[ms\].
fn prometheus_export(
    sc: &repairsim::scenario::Scenario,
    r: &repairsim::cli::run::RunOutput,
    step: u64,
) -> String {
    use repairsim::fleet::NodeState;
    let mut result = Vec::new();
    for (n, node) in sc.fleet.nodes.iter().enumerate() {
        let ivs = r.timeline.intervals(n as u32);
        for status in ["true", "false", "unknown"] {
            let values: Vec<serde_json::Value> = (0..=sc.horizon.ms() / step)
                .map(|k| {
                    let t = k * step;
                    let state = ivs
                        .iter()
                        .find(|iv| iv.start.ms() <= t && t < iv.end.ms())
                        .map_or(NodeState::Ready, |iv| iv.state);
                    let now = match state {
                        NodeState::Ready => "true",
                        NodeState::NotReady => "false",
                        _ => "unknown",
                    };
                    let secs = (sc.start.0 as f64 + t as f64) / 1000.0;
                    serde_json::json!([secs, if now == status { "1" } else { "0" }])
                })
                .collect();
            result.push(serde_json::json!({
                "metric": {"__name__": "kube_node_status_condition", "condition": "Ready",
                           "node": node.name, "status": status},
                "values": values,
            }));
        }
    }
    serde_json::json!({"status": "success", "data": {"resultType": "matrix", "result": result}})
        .to_string()
}

/// The round trip through Prometheus: a run's timelines exported at a
/// 15 s step, imported (no repair events: every episode a fault that
/// heals when the node was Ready again) and replayed through the same
/// policy and actions start every action the run started, each within one
/// check. The scenarios are those whose actions take fixed times: the
/// export has no action durations to replay. Bad exports exit 2.
#[test]
fn a_prometheus_export_replays_every_start_within_a_check() {
    let s = scratch("import-prometheus");
    for name in [
        "example-1-reboot",
        "example-2-reimage",
        "example-3-timeout",
        "preset-aks-2024-08",
        "preset-aks-2021-09",
        "zonal-outage-serial",
        "zonal-outage-unlimited",
    ] {
        let original =
            load_file(&crate::common::repo().join(format!("scenarios/{name}.toml"))).unwrap();
        let recorded = simulate_run_with(&original, 0, Events::All);
        let file = s.path(&format!("{name}.json"));
        std::fs::write(&file, prometheus_export(&original, &recorded, 15_000)).unwrap();
        let out = s.path(&format!("{name}.toml"));
        let mut args = vec![
            "import".to_string(),
            file.clone(),
            "-o".into(),
            out,
            "-q".into(),
        ];
        // Prometheus does not say a node's OS.
        for p in &original.fleet.pools {
            if p.os == repairsim::fleet::Os::Windows {
                args.extend(["--windows".to_string(), p.name.clone()]);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = repairsim(&args);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let toml = std::fs::read_to_string(s.path(&format!("{name}.toml"))).unwrap();
        assert!(
            !toml.contains("exclude"),
            "{name}: no repair events, no exclusions\n{toml}"
        );
        let mut replay = load_str("imported.toml", &toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
        replay.policy = original.policy.clone();
        replay.actions = original.actions.clone();
        let replayed = simulate_run_with(&replay, 0, Events::All);
        let starts =
            |r: &repairsim::cli::run::RunOutput, start: i64| -> Vec<(String, String, i64)> {
                r.events
                    .events()
                    .iter()
                    .filter(|e| e.phase == Some(repairsim::k8s::EventPhase::Start))
                    .map(|e| {
                        (
                            e.reason.clone(),
                            e.node_label.clone(),
                            start + e.sim_ms as i64,
                        )
                    })
                    .collect()
            };
        let (a, b) = (
            starts(&recorded, original.start.0),
            starts(&replayed, replay.start.0),
        );
        assert_eq!(a.len(), b.len(), "{name}: {a:?}\n{b:?}\n{toml}");
        let check = original.policy.check_interval.ms() as i64;
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.0, &x.1), (&y.0, &y.1), "{name}");
            assert!(
                (x.2 - y.2).abs() <= check,
                "{name}: {x:?} replayed at {y:?}"
            );
        }
    }
    let bad = s.path("bad.json");
    for (text, expected) in [
        (
            "{\"status\":\"error\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
            "status is not \"success\"",
        ),
        (
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"node\":\"a-0\",\"status\":\"maybe\"},\"values\":[]}]}}",
            "data.result[0]: status label Some(\"maybe\")",
        ),
        (
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"node\":\"a-0\",\"status\":\"true\"},\"values\":[[1,\"2\"]]}]}}",
            "data.result[0]: values[0]: expected [Unix seconds from 0 to 253402300799, \"0\" or \"1\"]",
        ),
    ] {
        std::fs::write(&bad, text).unwrap();
        let o = repairsim(&["import", &bad, "--format", "prometheus"]);
        assert_eq!(o.status.code(), Some(2), "{text}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{text}: {}", stderr(&o));
    }
}

/// Item 5: a record that contradicts itself is refused with the file and
/// the item, exit 2, and neither `import -o` nor `replay --out` writes
/// anything: timestamps out of order within a record or a series, a node
/// in two states at once, two actions at once on one node, bad cells.
#[test]
fn contradictory_records_are_refused_and_nothing_is_written() {
    let s = scratch("import-contradictions");
    let ev = |node: &str, reason: &str, source: &str, first: &str, extra: &str| {
        format!(
            r#"{{"kind":"Event","involvedObject":{{"kind":"Node","name":"{node}"}},"reason":"{reason}","source":{{"component":"{source}"}},"firstTimestamp":"{first}"{extra}}}"#
        )
    };
    let not_ready = ev(
        "user-0",
        "NodeNotReady",
        "kubelet",
        "2026-05-19T21:10:00Z",
        "",
    );
    let list = |items: &[String]| {
        format!(
            "{{\"kind\":\"List\",\"items\":[\n{}\n]}}\n",
            items.join(",\n")
        )
    };
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "events.json",
            list(&[
                not_ready.clone(),
                ev(
                    "user-0",
                    "NodeReady",
                    "kubelet",
                    "2026-05-19T21:20:00Z",
                    r#","lastTimestamp":"2026-05-19T21:19:59Z""#,
                ),
            ]),
            "events.json: items[1]: lastTimestamp 2026-05-19T21:19:59Z is before firstTimestamp \
             2026-05-19T21:20:00Z: timestamps out of order",
        ),
        (
            "series.json",
            r#"{"kind":"Event","regarding":{"kind":"Node","name":"n-0"},"reason":"NodeReady","eventTime":"2026-05-19T21:20:00.000000Z","series":{"count":2,"lastObservedTime":"2026-05-19T21:00:00.000000Z"}}"#.to_string(),
            "series.json:1: series.lastObservedTime 2026-05-19T21:00:00.000000Z is before eventTime",
        ),
        (
            "overlap.json",
            list(&[
                not_ready.clone(),
                ev("user-0", "NodeRebootStart", "aks-auto-repair", "2026-05-19T21:20:00Z", ""),
                ev("user-0", "NodeReimageStart", "aks-auto-repair", "2026-05-19T21:22:00Z", ""),
                ev("user-0", "NodeRebootEnd", "aks-auto-repair", "2026-05-19T21:24:00Z", ""),
            ]),
            "overlap.json: items[2]: NodeReimageStart on user-0 at 2026-05-19T21:22:00Z while the \
             reboot that started at 2026-05-19T21:20:00Z has not ended: two actions at once on \
             one node",
        ),
        (
            "twice.json",
            list(&[
                not_ready.clone(),
                ev("user-0", "NodeRebootStart", "aks-auto-repair", "2026-05-19T21:20:00Z", ""),
                ev("user-0", "NodeRebootStart", "aks-auto-repair", "2026-05-19T21:21:00Z", ""),
                ev("user-0", "NodeRebootEnd", "aks-auto-repair", "2026-05-19T21:22:00Z", ""),
                ev("user-0", "NodeRebootEnd", "aks-auto-repair", "2026-05-19T21:23:00Z", ""),
            ]),
            "twice.json: items[2]: NodeRebootStart on user-0 at 2026-05-19T21:21:00Z while the \
             reboot that started at 2026-05-19T21:20:00Z has not ended: two actions at once on \
             one node",
        ),
        (
            "centuries.json",
            list(&[
                not_ready.clone(),
                ev("user-0", "NodeReady", "kubelet", "9999-12-31T23:59:59Z", ""),
            ]),
            "centuries.json: items[1]: the history runs from 2026-05-19T21:10:00Z (",
        ),
        (
            "name.json",
            list(&[ev("user\\n\\\"0", "NodeNotReady", "kubelet", "2026-05-19T21:10:00Z", "")]),
            "name.json: items[0]: node name \"user\\n\\\"0\" is not a Kubernetes node name",
        ),
        (
            "crlf.csv",
            "TimeGenerated,ObjectKind,Name,Reason\r\n\
             2026-05-19T21:10:05Z,Node,user-0,NodeNotReady\r\n\
             2026-05-19T21:20:05Z,Node,,NodeReady\r\n"
                .to_string(),
            "crlf.csv:3: Name is empty",
        ),
        (
            "kubeevents.csv",
            "TimeGenerated,ObjectKind,Name,Reason,Message,SourceComponent,FirstSeen,LastSeen\n\
             2026-05-19T21:10:05Z,Node,user-0,NodeNotReady,,kubelet,2026-05-19T21:10:00Z,2026-05-19T21:10:00Z\n\
             2026-05-19T21:20:05Z,Node,user-0,NodeReady,,kubelet,2026-05-19T21:20:00Z,2026-05-19T21:09:00Z\n"
                .to_string(),
            "kubeevents.csv:3: LastSeen 2026-05-19T21:09:00Z is before FirstSeen 2026-05-19T21:20:00Z: \
             timestamps out of order",
        ),
        (
            "kubeevents.json",
            "[{\"TimeGenerated\":\"2026-05-19T21:10:05Z\",\"ObjectKind\":\"Node\",\"Name\":\"user-0\",\"Reason\":\"NodeNotReady\"},\n 7]"
                .to_string(),
            "kubeevents.json: [1]: not an object",
        ),
        (
            "prometheus.json",
            r#"{"status":"success","data":{"resultType":"matrix","result":[
{"metric":{"__name__":"kube_node_status_condition","condition":"Ready","node":"n-0","status":"true"},"values":[[1779224400,"1"],[1779224415,"1"],[1779224410,"1"]]}]}}"#
                .to_string(),
            "prometheus.json: data.result[0]: values[2]: 1779224410 is not after values[1] 1779224415: \
             timestamps out of order",
        ),
        (
            "states.json",
            r#"{"status":"success","data":{"resultType":"matrix","result":[
{"metric":{"condition":"Ready","node":"n-0","status":"true"},"values":[[1779224400,"1"],[1779224415,"1"]]},
{"metric":{"condition":"Ready","node":"n-0","status":"false"},"values":[[1779224400,"0"],[1779224415,"1"]]}]}}"#
                .to_string(),
            "states.json: data.result[1]: values[1]: node n-0 is both Ready=\"true\" and Ready=\"false\" \
             at 1779224415: overlapping states",
        ),
    ];
    for (name, text, expected) in cases {
        let file = s.path(name);
        std::fs::write(&file, text).unwrap();
        for args in [
            vec!["import", &file, "-o"],
            vec!["replay", &file, "--candidate", "preset=gke", "--out"],
        ] {
            let out = s.path("written");
            let o = repairsim(&[args.as_slice(), &[&out]].concat());
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            let want = format!("error: {}", s.path(expected));
            assert!(
                stderr(&o).starts_with(&want),
                "{args:?}:\n{}\nexpected to start with\n{want}",
                stderr(&o)
            );
            assert!(o.stdout.is_empty(), "{args:?}");
            assert!(!Path::new(&out).exists(), "{args:?} wrote {out}");
        }
    }
}

/// What real files look like, beyond `kubectl`'s pretty List: a List on
/// one line (`jq -c`, read as a document, never whole), a bare array of
/// Events (`jq .items`), a byte-order mark, CRLF line ends, and the same
/// history in two overlapping exports (each fact read once).
#[test]
fn compact_lists_arrays_boms_and_overlapping_exports_import_alike() {
    let s = scratch("import-shapes");
    let history = crate::common::repo().join("tests/repairsim/histories/section-8.json");
    let list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    let import = |file: &str| {
        let o = repairsim(&["import", file, "--preset", "aks-observed-2026"]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        (String::from_utf8(o.stdout.clone()).unwrap(), stderr(&o))
    };
    let (want, _) = import(history.to_str().unwrap());
    let body = |toml: &str| toml.lines().skip(2).collect::<Vec<_>>().join("\n");
    let write = |name: &str, bytes: Vec<u8>| {
        let p = s.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let compact = write("compact.json", serde_json::to_vec(&list).unwrap());
    let array = write(
        "array.json",
        serde_json::to_vec_pretty(&list["items"]).unwrap(),
    );
    let bom = write(
        "bom.json",
        [
            b"\xef\xbb\xbf".as_slice(),
            &serde_json::to_vec_pretty(&list).unwrap(),
        ]
        .concat(),
    );
    let crlf = write(
        "crlf.csv",
        std::fs::read_to_string(
            crate::common::repo().join("tests/repairsim/histories/section-8-kubeevents.csv"),
        )
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes(),
    );
    for f in [&compact, &array, &bom, &crlf] {
        assert_eq!(body(&import(f).0), body(&want), "{f}");
    }
    let o = repairsim(&[
        "import",
        history.to_str().unwrap(),
        &compact,
        "--preset",
        "aks-observed-2026",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        body(&String::from_utf8(o.stdout.clone()).unwrap()),
        body(&want),
        "the same history twice is one history"
    );
    assert!(
        stderr(&o).ends_with("; 9 duplicates read once\n"),
        "{}",
        stderr(&o)
    );
}

/// Records that import exported twice (overlapping exports, or two
/// kube-state-metrics replicas) are read once.
#[test]
fn a_duplicated_prometheus_series_is_one_series() {
    let s = scratch("import-duplicate-series");
    let file = s.path("ha.json");
    let series = |instance: &str| {
        format!(
            r#"{{"metric":{{"condition":"Ready","node":"n-0","status":"false","instance":"{instance}"}},"values":[[1779224400,"0"],[1779224415,"1"],[1779224430,"0"]]}}"#
        )
    };
    std::fs::write(
        &file,
        format!(
            r#"{{"status":"success","data":{{"resultType":"matrix","result":[{},{}]}}}}"#,
            series("ksm-0"),
            series("ksm-1")
        ),
    )
    .unwrap();
    let o = repairsim(&["import", &file, "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let toml = String::from_utf8(o.stdout).unwrap();
    assert_eq!(toml.matches("[[faults]]").count(), 1, "{toml}");
}

/// A Prometheus export of the samples at 1 only (`... == 1`) has gaps
/// where a series is 0: it imports as the full 0/1 export does. A
/// byte-order mark is skipped there too.
#[test]
fn a_prometheus_export_of_the_ones_only_imports_like_the_full_one() {
    let s = scratch("import-ones-only");
    let t0 = 1_779_224_400;
    let series = |status: &str, ones: &dyn Fn(i64) -> bool, only_ones: bool| {
        let values: Vec<String> = (0..40)
            .filter(|i| !only_ones || ones(*i))
            .map(|i| format!("[{},\"{}\"]", t0 + i * 15, u8::from(ones(i))))
            .collect();
        format!(
            r#"{{"metric":{{"condition":"Ready","node":"n-0","status":"{status}"}},"values":[{}]}}"#,
            values.join(",")
        )
    };
    let down = |i: i64| (10..25).contains(&i);
    let export = |only_ones: bool| {
        format!(
            r#"{{"status":"success","data":{{"resultType":"matrix","result":[{},{}]}}}}"#,
            series("true", &|i| !down(i), only_ones),
            series("false", &down, only_ones)
        )
    };
    let import = |name: &str, text: String| {
        let f = s.path(name);
        std::fs::write(&f, text).unwrap();
        let o = repairsim(&["import", &f]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let full = import("full.json", export(false));
    assert!(full.contains("[[faults]]"), "{full}");
    assert_eq!(
        import("ones.json", export(true)),
        full.replace("full.json", "ones.json")
    );
    assert_eq!(
        import("bom.json", format!("\u{feff}{}", export(false))),
        full.replace("full.json", "bom.json")
    );
}

/// A compact List whose 1 MiB mark falls inside a character, and a CSV
/// whose lines end in `\r` alone, import like the others.
#[test]
fn a_compact_list_cut_inside_a_character_and_cr_lines_import() {
    let s = scratch("import-utf8-cr");
    let history = crate::common::repo().join("tests/repairsim/histories/section-8.json");
    let (want, _) = {
        let o = repairsim(&["import", history.to_str().unwrap()]);
        (String::from_utf8(o.stdout).unwrap(), ())
    };
    let body = |t: &str| t.lines().skip(2).collect::<Vec<_>>().join("\n");
    let mut list: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    // A Pod event whose message puts an "é" across byte 1,048,576.
    let pad = |n: usize| {
        serde_json::json!({"kind": "Event", "involvedObject": {"kind": "Pod", "name": "web"},
            "reason": "Pulled", "message": format!("{}é", "x".repeat(n)),
            "firstTimestamp": "2026-05-19T21:00:00Z"})
    };
    let items = list["items"].as_array_mut().unwrap();
    items.insert(0, pad(0));
    let text = serde_json::to_string(&list).unwrap();
    let at = text.find('é').unwrap();
    list["items"][0] = pad((1 << 20) - 1 - at);
    let text = serde_json::to_string(&list).unwrap();
    assert_eq!(text.find('é'), Some((1 << 20) - 1));
    let compact = s.path("compact.json");
    std::fs::write(&compact, text).unwrap();
    let o = repairsim(&["import", &compact]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(body(&String::from_utf8(o.stdout).unwrap()), body(&want));

    let csv = crate::common::repo().join("tests/repairsim/histories/section-8-kubeevents.csv");
    let cr = s.path("cr.csv");
    std::fs::write(
        &cr,
        std::fs::read_to_string(csv).unwrap().replace('\n', "\r"),
    )
    .unwrap();
    let o = repairsim(&["import", &cr]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(body(&String::from_utf8(o.stdout).unwrap()), body(&want));
}
