//! The peers' node-level exclusions (PEERS.md section 0): Cluster API's
//! `skip-remediation` and `paused` annotations, medik8s's exclude label and
//! EKS's NoAction override hold a node back on every evaluation; the
//! repair proceeds once the mark is gone, and an incident never acted on
//! ends as `excluded:REASON`. The timeline is derived in the fixture's
//! header.

use crate::common::incident_lines;
use repairsim::scenario::{Patch, Scenario, load_str_with};

const FIXTURE: &str = include_str!("peers/exclusions.toml");

/// The fixture without its annotation and label windows.
fn unmarked() -> &'static str {
    FIXTURE.split("[[annotations]]").next().unwrap_or(FIXTURE)
}

fn load(sets: &[&str]) -> Scenario {
    let patches: Vec<Patch> = sets.iter().map(|s| Patch::parse_set(s).unwrap()).collect();
    load_str_with("exclusions.toml", FIXTURE, &patches).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn cluster_api_annotations_hold_a_machine_back_until_they_go() {
    assert_eq!(
        incident_lines(&load(&[])),
        [
            // Held from 1h05m01s; the annotation goes at 2h: replaced then.
            "md-0 1h 1h05m01s 2h [replace] 2h06m repaired-by-replace skip-remediation",
            // Paused all along; healed by itself, never acted on.
            "md-1 1h 1h05m01s - [] 1h30m excluded:paused paused",
        ]
    );
}

#[test]
fn the_medik8s_label_holds_a_node_back_and_says_so_once() {
    // minHealthy 1 of 3: one healthy node lets remediation through, so the
    // label decides (NHC checks it after minHealthy).
    let sc = load(&["policy.preset=nhc", "policy.min_healthy=1"]);
    assert_eq!(
        incident_lines(&sc),
        [
            // The label goes at 2h: SNR (its 300 s timeout), then replace
            // (delete 1m, provision 5m).
            "md-0 1h 1h05m01s 2h [snr-reboot replace] 2h11m repaired-by-replace exclude-label",
            "md-1 1h 1h05m01s - [] 1h30m excluded:exclude-label exclude-label",
        ]
    );
    let out = crate::common::scratch("exclusions-nhc");
    let dir = out.path("out");
    let o = crate::common::repairsim(&[
        "run",
        "tests/repairsim/peers/exclusions.toml",
        "--set",
        "policy.preset=nhc",
        "--set",
        "policy.min_healthy=1",
        "--out",
        &dir,
        "-q",
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let events = std::fs::read_to_string(format!("{dir}/events.csv")).unwrap();
    let skipped: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("Exclude from Remediation label"))
        .collect();
    assert_eq!(
        skipped,
        [
            "2026-01-01T01:05:01Z,3901000,md-0,Warning,RemediationSkipped,[remediation] Remediation skipped on node md-0: node has Exclude from Remediation label",
            "2026-01-01T01:05:01Z,3901000,md-1,Warning,RemediationSkipped,[remediation] Remediation skipped on node md-1: node has Exclude from Remediation label",
        ]
    );
}

#[test]
fn an_eks_no_action_override_never_repairs_and_logs_no_suppression() {
    // The 30-minute condition timeout: eligible at 1h30m. md-1 heals at
    // 2h30m, never acted on.
    let sc = load(&[
        "policy.preset=eks",
        "faults[0].exclude=no-action",
        "faults[1].exclude=no-action",
        "faults[1].self_heal_after=90m",
    ]);
    assert_eq!(
        incident_lines(&sc),
        [
            "md-0 1h 1h30m - [] - open-at-horizon no-action",
            "md-1 1h 1h30m - [] 2h30m excluded:no-action no-action",
        ]
    );
    // A guard's suppression is an ops-log row; an override's is not.
    let log = crate::common::trace(&sc);
    assert!(log.iter().any(|r| matches!(
        r,
        repairsim::observe::Record::Suppressed { reason, .. }
            if *reason == repairsim::policy::Exclusion::NoAction
    )));
    let out = crate::common::scratch("exclusions-eks");
    let dir = out.path("out");
    let mut args = vec![
        "run",
        "tests/repairsim/peers/exclusions.toml",
        "--out",
        &dir,
        "-q",
    ];
    for s in [
        "policy.preset=eks",
        "faults[0].exclude=no-action",
        "faults[1].exclude=no-action",
    ] {
        args.extend(["--set", s]);
    }
    let o = crate::common::repairsim(&args);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let ops = std::fs::read_to_string(format!("{dir}/operations.csv")).unwrap();
    assert_eq!(ops, "time,sim_ms,node,pool,operation,status\n");
}

#[test]
fn a_provider_ignores_the_marks_it_does_not_read() {
    // AKS reads taints and upgrades, not Cluster API annotations or the
    // medik8s label: both nodes are repaired as if unmarked.
    let marked = incident_lines(&load(&["policy.preset=aks-2024-08"]));
    let bare: String = FIXTURE
        .split("[[annotations]]")
        .next()
        .unwrap()
        .replace("preset = \"capi-mhc\"", "preset = \"aks-2024-08\"");
    let sc = load_str_with("bare.toml", &bare, &[]).unwrap();
    assert_eq!(marked, incident_lines(&sc));
    assert!(marked.iter().all(|l| l.ends_with(" -")), "{marked:?}");
}

#[test]
fn marks_name_what_is_valid() {
    let text = format!("{FIXTURE}\n[[labels]]\nlabel = \"skip\"\nnode = \"md-2\"\n");
    let e = load_str_with("x.toml", &text, &[]).unwrap_err();
    assert_eq!(e.field, "labels[2].label", "{e}");
    assert!(
        e.message.contains(
            "unknown label \"skip\"; valid values: exclude-from-remediation, \
             remediation.medik8s.io/exclude-from-remediation"
        ),
        "{e}"
    );
}

/// PEERS.md section 2: EKS's node monitoring agent and repair are Linux
/// only. The preset's Windows ladder is empty, which leaves Windows nodes
/// alone: never detected, never acted on, open at the horizon.
#[test]
fn eks_leaves_windows_nodes_alone() {
    let text = format!(
        "{}\n[[pools]]\nname = \"win\"\nos = \"windows\"\ncount = 2\n\n\
         [[inject]]\nat = \"1h\"\nnode = \"win-0\"\nfault = \"hang\"\n",
        unmarked()
    );
    for preset in ["eks", "eks-auto"] {
        let set = format!("policy.preset={preset}");
        let patches = [Patch::parse_set(&set).unwrap()];
        let sc = load_str_with("win.toml", &text, &patches).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            incident_lines(&sc),
            [
                // The 30-minute condition timeout, then replace (1m + 5m).
                "md-0 1h 1h30m 1h30m [replace] 1h36m repaired-by-replace -",
                // Healed at 1h30m, before the evaluation of that instant.
                "md-1 1h - - [] 1h30m self-healed -",
                "win-0 1h - - [] - open-at-horizon -",
            ],
            "{preset}"
        );
    }
    // A user's Windows ladder repairs them again.
    let patches = [
        Patch::parse_set("policy.preset=eks").unwrap(),
        Patch::parse_set("policy.ladder_windows=[replace]").unwrap(),
    ];
    let sc = load_str_with("win.toml", &text, &patches).unwrap();
    assert!(incident_lines(&sc)[2].contains("repaired-by-replace"));
    // Periodic detection still needs a ladder.
    let patches = [Patch::parse_set("policy.ladder_windows=[]").unwrap()];
    let e = load_str_with(
        "win.toml",
        &text.replace("capi-mhc", "aks-2024-08"),
        &patches,
    )
    .unwrap_err();
    assert!(e.message.contains("the ladder is empty"), "{e}");
}

/// A paused health check (`[[pauses]]`: a MachineHealthCheck's paused
/// annotation, a NodeHealthCheck's pauseRequests) starts no remediation
/// while the pause lasts; running ones would continue. Cluster API reads it
/// per pool, NHC for every node, EKS not at all.
#[test]
fn a_paused_health_check_starts_nothing_until_it_resumes() {
    let text = format!(
        "{}\n[[pauses]]\nfrom = \"50m\"\nuntil = \"2h\"\n",
        unmarked()
    );
    let run = |preset: &str| {
        let patches = [Patch::parse_set(&format!("policy.preset={preset}")).unwrap()];
        incident_lines(&load_str_with("pause.toml", &text, &patches).unwrap())
    };
    assert_eq!(
        run("capi-mhc"),
        [
            "md-0 1h 1h05m01s 2h [replace] 2h06m repaired-by-replace paused",
            "md-1 1h 1h05m01s - [] 1h30m excluded:paused paused",
        ]
    );
    assert_eq!(
        run("nhc")[1],
        "md-1 1h 1h05m01s - [] 1h30m excluded:paused paused"
    );
    assert!(run("nhc")[0].starts_with("md-0 1h 1h05m01s 2h [snr-reboot"));
    assert_eq!(
        run("eks"),
        [
            "md-0 1h 1h30m 1h30m [replace] 1h36m repaired-by-replace -",
            "md-1 1h - - [] 1h30m self-healed -",
        ]
    );
    // NHC says so once per evaluation, about itself (no node column).
    let out = crate::common::scratch("pauses-nhc");
    let file = out.path("pause.toml");
    std::fs::write(&file, &text).unwrap();
    let dir = out.path("out");
    let o = crate::common::repairsim(&[
        "run",
        &file,
        "--set",
        "policy.preset=nhc",
        "--out",
        &dir,
        "-q",
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let events = std::fs::read_to_string(format!("{dir}/events.csv")).unwrap();
    let paused: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("pause requests"))
        .collect();
    assert_eq!(
        paused,
        [
            "2026-01-01T01:05:01Z,3901000,,Normal,RemediationSkipped,[remediation] Postponing potential remediations because of pause requests",
            "2026-01-01T01:30:00Z,5400000,,Normal,RemediationSkipped,[remediation] Postponing potential remediations because of pause requests",
        ]
    );
}

/// The order of the checks, from the controllers' source. Cluster API
/// leaves a skipped Machine out of its targets, so out of the counts its
/// guard compares (`getTargetsFromMHC`); NHC checks its label only for the
/// nodes its minHealthy check lets through.
#[test]
fn skipped_machines_leave_the_guard_counts_and_the_label_comes_after_it() {
    let text = format!(
        "{}\n[[inject]]\nat = \"1h\"\nnode = \"md-2\"\nfault = \"hang\"\n\n\
         [[annotations]]\nannotation = \"skip-remediation\"\nnode = \"md-2\"\nfrom = \"0s\"\n\n\
         [[labels]]\nlabel = \"exclude-from-remediation\"\nnode = \"md-2\"\nfrom = \"0s\"\n",
        unmarked()
    );
    let run = |sets: &[&str]| {
        let patches: Vec<Patch> = sets.iter().map(|s| Patch::parse_set(s).unwrap()).collect();
        incident_lines(&load_str_with("t.toml", &text, &patches).unwrap_or_else(|e| panic!("{e}")))
    };
    // Three of three unhealthy, but md-2 is no target: 2 of 2 is within
    // maxUnhealthy 2, so the other two are replaced at once (Ready at the
    // new kubelet's first status tick after provisioning).
    assert_eq!(
        run(&["policy.max_unhealthy=2"]),
        [
            "md-0 1h 1h05m01s 1h05m01s [replace] 1h11m10s repaired-by-replace -",
            "md-1 1h 1h05m01s 1h05m01s [replace] 1h11m10s repaired-by-replace -",
            "md-2 1h 1h05m01s - [] - open-at-horizon skip-remediation",
        ]
    );
    // NHC counts the labelled node; with none healthy (below minHealthy 2)
    // the guard holds all three, and the label never comes into it.
    assert_eq!(
        run(&["policy.preset=nhc", "policy.min_healthy=2"]),
        [
            "md-0 1h 1h05m01s - [] - open-at-horizon guard-min-healthy",
            "md-1 1h 1h05m01s - [] 1h30m self-healed guard-min-healthy",
            "md-2 1h 1h05m01s - [] - open-at-horizon guard-min-healthy",
        ]
    );
}

/// Runs a fixture through the CLI (which checks POLICY.md's and PEERS.md's
/// invariants on every run and says so on stderr) and returns its
/// incidents and events.
fn run_fixture(name: &str) -> (Vec<String>, String) {
    let file = format!("tests/repairsim/peers/{name}.toml");
    let sc = repairsim::scenario::load_file(std::path::Path::new(&file)).unwrap();
    let out = crate::common::scratch(name);
    let dir = out.path("out");
    let o = crate::common::repairsim(&["run", &file, "--out", &dir, "-q"]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    assert_eq!(crate::common::stderr(&o), "", "no invariant is violated");
    let events = std::fs::read_to_string(format!("{dir}/events.csv")).unwrap();
    (incident_lines(&sc), events)
}

#[test]
fn an_escalation_waits_while_the_node_is_labelled() {
    let (incs, _) = run_fixture("held-escalation");
    assert_eq!(
        incs,
        ["w-0 1h 1h05m01s 1h05m01s [snr-reboot replace] 3h07m repaired-by-replace exclude-label"]
    );
}

#[test]
fn a_machine_waiting_for_its_slot_waits_on_while_skipped() {
    let (incs, _) = run_fixture("held-in-flight");
    assert_eq!(
        incs,
        [
            "md-0 1h 1h05m01s 1h05m01s [replace] 1h12m10s repaired-by-replace -",
            "md-1 1h 1h05m01s 3h [replace] 3h07m repaired-by-replace skip-remediation",
        ]
    );
}

#[test]
fn a_machine_skipped_later_lets_the_guard_lift() {
    let (incs, events) = run_fixture("mark-lifts-guard");
    assert_eq!(
        incs,
        [
            "md-0 1h 1h05m01s 1h10m [replace] 1h17m repaired-by-replace guard-max-unhealthy",
            "md-1 1h 1h05m01s - [] - open-at-horizon guard-max-unhealthy",
        ]
    );
    assert_eq!(
        events.matches("RemediationRestricted").count(),
        1,
        "{events}"
    );
}

#[test]
fn a_machine_healed_while_waiting_is_marked_again_next_time() {
    let (_, events) = run_fixture("marked-again");
    let marked: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("MachineMarkedUnhealthy"))
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(marked, ["md-0", "md-1", "md-1"]);
}

#[test]
fn an_nhc_pause_has_no_pool() {
    let text = format!("{}\n[[pauses]]\nfrom = \"1h\"\npool = \"md\"\n", unmarked());
    let patches = [Patch::parse_set("policy.preset=nhc").unwrap()];
    let e = load_str_with("p.toml", &text, &patches).unwrap_err();
    assert_eq!(e.field, "pauses[0].pool", "{e}");
    assert!(e.message.contains("leave `pool` out"), "{e}");
    // Cluster API pauses one pool's MachineHealthCheck.
    assert!(load_str_with("p.toml", &text, &[]).is_ok());
}
