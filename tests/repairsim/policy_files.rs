//! Real configuration files as policy input (`--policy-file`): the
//! official examples load into their presets with the file's values, and a
//! bad field is an error at its line and column.

use crate::common::{assert_bad_input, repairsim, repo, scratch, stderr};
use repairsim::k8s::ActionKind;
use repairsim::policy::Preset;
use repairsim::policy::rules::{
    Amount, Detection, EventDetection, Guard, InFlight, Limit, PercentOf, PoolSlots, Rounding,
};
use repairsim::scenario::{Patch, Scenario, ScenarioError, load_str_with};
use repairsim::time::SimDuration;

const SCENARIO: &str =
    "name = \"files\"\nhorizon = \"1d\"\n[[pools]]\nname = \"md-0\"\nos = \"linux\"\ncount = 6\n";

fn fixture(name: &str) -> String {
    repo()
        .join("tests/repairsim/policy_files")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn with_file(path: &str) -> Result<Scenario, ScenarioError> {
    load_str_with("s.toml", SCENARIO, &[Patch::PolicyFile(path.into())])
}

fn load(name: &str) -> Scenario {
    with_file(&fixture(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn detection(sc: &Scenario) -> EventDetection {
    match sc.policy.detection {
        Detection::Event(d) => d,
        Detection::Periodic => panic!("{:?} checks periodically", sc.policy.preset),
    }
}

fn secs(s: u64) -> Option<SimDuration> {
    Some(SimDuration::from_secs(s))
}

/// A file written for one test, removed with its directory.
fn write(dir: &crate::common::Scratch, name: &str, text: &str) -> String {
    let p = dir.path(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The book's v1beta2 example: Ready False and Unknown for 300 s, startup
/// 600 s, `unhealthyLessThanOrEqualTo: 40%` (rounded down). Its
/// `unhealthyMachineConditions` are a warning at their line.
#[test]
fn the_books_v1beta2_machine_health_check_loads() {
    let sc = load("capi-mhc-v1beta2-book.yaml");
    assert_eq!(sc.policy.preset, Preset::CapiMhc);
    let d = detection(&sc);
    assert_eq!((d.timeout_false, d.timeout_unknown), (secs(300), secs(300)));
    assert_eq!(d.startup_timeout, secs(600));
    let g = sc.policy.guard.unwrap();
    assert_eq!(g.limit, Limit::MaxUnhealthy(Amount::Percent(40)));
    assert_eq!(g.rounding, Rounding::Floor);
    let w: Vec<String> = sc.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(
        w[0].ends_with(
            "capi-mhc-v1beta2-book.yaml:33:9: spec.checks.unhealthyMachineConditions: Machine \
             conditions are not simulated (NodeReady mirrors the Node's Ready condition, which \
             unhealthyNodeConditions check; the others never turn False); these entries never match"
        ),
        "{}",
        w[0]
    );
}

/// The book's v1beta1 example reads to the same policy, with no warning.
#[test]
fn the_books_v1beta1_machine_health_check_loads() {
    let v1 = load("capi-mhc-v1beta1-book.yaml");
    let v2 = load("capi-mhc-v1beta2-book.yaml");
    assert_eq!(v1.policy, v2.policy);
    assert!(v1.warnings.is_empty(), "{:?}", v1.warnings);
}

/// The operator's sample NodeHealthCheck: one SNR template (so no
/// escalation), minHealthy 51%.
#[test]
fn the_operators_sample_node_health_check_loads() {
    let sc = load("nhc-sample.yaml");
    assert_eq!(sc.policy.preset, Preset::Nhc);
    assert_eq!(sc.policy.ladder_linux, [ActionKind::SnrReboot]);
    assert_eq!(sc.policy.ladder_windows, [ActionKind::SnrReboot]);
    let d = detection(&sc);
    assert_eq!((d.timeout_false, d.timeout_unknown), (secs(300), secs(300)));
    assert_eq!(
        sc.policy.guard.unwrap().limit,
        Limit::MinHealthy(Amount::Percent(51))
    );
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
    // One template has no step timeout: the table says what applies.
    let rows = repairsim::policy::params::provenance_table(&sc.policy, &sc.policy_overrides);
    let row = rows
        .iter()
        .find(|r| r.parameter == "step_timeouts")
        .unwrap();
    assert_eq!(
        (row.value.as_str(), row.provenance.as_str()),
        (
            "none (one template: its lease is overdue after 30m)",
            "scenario override"
        )
    );
}

/// The docs' escalation: SNR for 300 s, then replace (by
/// MachineDeletionRemediation) for 30 minutes, in `order`.
#[test]
fn escalating_remediations_become_the_ladder_and_its_timeouts() {
    let sc = load("nhc-escalating.yaml");
    assert_eq!(
        sc.policy.ladder_linux,
        [ActionKind::SnrReboot, ActionKind::Replace]
    );
    assert_eq!(
        sc.policy.step_timeouts,
        [SimDuration::from_secs(300), SimDuration::from_mins(30)]
    );
    let d = detection(&sc);
    assert_eq!((d.timeout_false, d.timeout_unknown), (secs(300), secs(120)));
}

/// eksctl's example 44: one node group by name; thresholds replace the
/// default 20% guard and the parallel limit counts unhealthy nodes. Its
/// overrides concern conditions that are not simulated: warnings.
#[test]
fn an_eksctl_node_group_is_picked_by_name() {
    let sc = load("eksctl-44-node-repair.yaml#gpu-repair-ng");
    assert_eq!(sc.policy.preset, Preset::Eks);
    let g: Guard = sc.policy.guard.unwrap();
    assert_eq!(g.limit, Limit::MaxUnhealthy(Amount::Percent(25)));
    assert_eq!((g.rounding, g.min_group), (Rounding::Exact, 0));
    assert_eq!(
        sc.policy.pool_slots,
        Some(PoolSlots::InFlight(InFlight {
            value: Amount::Count(1),
            percent_of: PercentOf::Unhealthy,
            until_deleted: false,
        }))
    );
    assert_eq!(sc.warnings.len(), 2);
    assert_eq!(sc.warnings[0].line, Some(58));
    let pct = load("eksctl-44-node-repair.yaml#percentage-repair-ng");
    assert_eq!(
        pct.policy.pool_slots,
        Some(PoolSlots::InFlight(InFlight {
            value: Amount::Percent(15),
            percent_of: PercentOf::Unhealthy,
            until_deleted: false,
        }))
    );
    // enabled: true alone keeps the documented guard.
    let basic = load("eksctl-44-node-repair.yaml#basic-repair-ng");
    assert_eq!(
        basic.policy,
        repairsim::scenario::load_str("s.toml", &format!("{SCENARIO}[policy]\npreset = \"eks\"\n"))
            .unwrap()
            .policy
    );
}

/// The same settings as JSON, the way `aws eks describe-nodegroup` prints
/// them.
#[test]
fn an_eks_api_response_in_json_loads() {
    let sc = load("eks-describe-nodegroup.json");
    assert_eq!(sc.policy.preset, Preset::Eks);
    assert_eq!(
        sc.policy.guard.unwrap().limit,
        Limit::MaxUnhealthy(Amount::Count(3))
    );
    assert_eq!(
        sc.policy.pool_slots,
        Some(PoolSlots::InFlight(InFlight {
            value: Amount::Percent(50),
            percent_of: PercentOf::Unhealthy,
            until_deleted: false,
        }))
    );
}

/// A MachineDeployment in the same file brings its maxInFlight: a
/// percentage of replicas, counted while the old Machine is deleting.
#[test]
fn a_machine_deployments_max_in_flight_applies_to_every_pool() {
    let sc = load("capi-mhc-with-md.yaml");
    assert_eq!(
        sc.policy.pool_slots,
        Some(PoolSlots::InFlight(InFlight {
            value: Amount::Percent(20),
            percent_of: PercentOf::Replicas,
            until_deleted: true,
        }))
    );
    let g = sc.policy.guard.unwrap();
    assert_eq!(g.limit, Limit::Range(1, 3));
    // A Cluster in the same file is not policy: skipped, with a warning.
    assert_eq!(sc.warnings.len(), 2, "{:?}", sc.warnings);
    assert!(
        sc.warnings[0]
            .message
            .starts_with("a Cluster is not remediation policy")
    );
    assert_eq!(sc.warnings[0].line, Some(5));
    // unhealthyInRange takes precedence over the limit beside it.
    assert!(sc.warnings[1].message.contains("takes precedence"));
    assert_eq!(sc.warnings[1].line, Some(39));
}

/// With maxInFlight 1, the second and third replacements start when the
/// previous old Machine is deleted (2 minutes), not when it is replaced.
#[test]
fn max_in_flight_one_replaces_one_machine_at_a_time() {
    let sc =
        repairsim::scenario::load_str("inflight.toml", include_str!("peers/capi-inflight.toml"))
            .unwrap();
    let log = crate::common::incident_log(&sc);
    let starts: Vec<String> = log
        .incidents()
        .iter()
        .map(|i| format!("{} {}", i.node_name(&sc), i.repair_started.unwrap()))
        .collect();
    assert_eq!(
        starts,
        ["md-0-0 2h06m21s", "md-0-1 2h08m21s", "md-0-2 2h10m21s"]
    );
    // The MachineSet deletes machines the health check already marked as
    // slots free: no new evaluation, so not its 15 s spacing either.
    let text =
        include_str!("peers/capi-inflight.toml").replace("delete = \"2m\"", "delete = \"5s\"");
    let sc = repairsim::scenario::load_str("inflight.toml", &text).unwrap();
    let log = crate::common::incident_log(&sc);
    let starts: Vec<String> = log
        .incidents()
        .iter()
        .map(|i| i.repair_started.unwrap().to_string())
        .collect();
    assert_eq!(starts, ["2h06m21s", "2h06m26s", "2h06m31s"]);
}

/// The health check marks every unhealthy Machine when it finds it
/// (`MachineMarkedUnhealthy` once each, at the evaluation); the MachineSet
/// then deletes them one slot at a time, and a Machine already marked is
/// not marked again when its replace starts.
#[test]
fn machines_waiting_for_a_slot_are_marked_when_found() {
    let sc =
        repairsim::scenario::load_str("inflight.toml", include_str!("peers/capi-inflight.toml"))
            .unwrap();
    let ev: Vec<String> = crate::common::event_lines(&sc)
        .into_iter()
        .filter(|l| l.contains(" MachineMarkedUnhealthy ") || l.contains(" SuccessfulDrainNode "))
        .map(|l| l.splitn(4, ' ').take(3).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        ev,
        [
            "2h06m21s md-0-0 MachineMarkedUnhealthy",
            "2h06m21s md-0-0 SuccessfulDrainNode",
            "2h06m21s md-0-1 MachineMarkedUnhealthy",
            "2h06m21s md-0-2 MachineMarkedUnhealthy",
            "2h08m21s md-0-1 SuccessfulDrainNode",
            "2h10m21s md-0-2 SuccessfulDrainNode",
        ]
    );
}

/// An escalation of one step is not a lone template: it runs out at its
/// own timeout (NoTemplateLeft), where a lone template's lease is overdue
/// after 30 minutes.
#[test]
fn one_escalation_step_runs_out_at_its_timeout() {
    let s = scratch("one-step");
    let file = write(
        &s,
        "nhc1.yaml",
        "apiVersion: remediation.medik8s.io/v1alpha1\nkind: NodeHealthCheck\nspec:\n  \
         minHealthy: 51%\n  escalatingRemediations:\n  - remediationTemplate: {kind: \
         SelfNodeRemediationTemplate}\n    order: 1\n    timeout: 2m\n",
    );
    let text: String = include_str!("peers/nhc-single.toml")
        .lines()
        .filter(|l| {
            !l.starts_with("[policy]") && !l.starts_with("preset") && !l.starts_with("ladder")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let sc = load_str_with("nhc.toml", &text, &[Patch::PolicyFile(file.into())]).unwrap();
    let log = crate::common::incident_log(&sc);
    let i = &log.incidents()[0];
    assert_eq!(
        format!(
            "{} {}@{}",
            i.repair_started.unwrap(),
            i.outcome,
            i.outcome_at
        ),
        "1h05m41s gave-up-exhausted@1h07m41s"
    );
}

/// `maxInFlight` at the other API version's path is an error, not unset.
#[test]
fn max_in_flight_at_the_other_versions_path_is_an_error() {
    let s = scratch("md-path");
    let mhc = "apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineHealthCheck\nspec: {}\n---\n";
    let file = write(
        &s,
        "md.yaml",
        &format!(
            "{mhc}apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment\nspec:\n  \
             strategy:\n    remediation:\n      maxInFlight: 1\n"
        ),
    );
    let e = with_file(&file).unwrap_err();
    assert_eq!((e.line, e.column), (Some(10), Some(7)), "{e}");
    assert!(
        e.message
            .ends_with("v1beta2 puts it at spec.remediation.maxInFlight"),
        "{e}"
    );
}

/// `compare --policy-file F` compares candidates against F: a side's
/// preset replaces it, a side of `set=` terms changes it.
#[test]
fn compare_applies_the_global_policy_file_to_the_baseline() {
    let s = scratch("compare-file");
    let out = s.path("cmp");
    let o = repairsim(&[
        "compare",
        "tests/repairsim/peers/capi-inflight.toml",
        "--policy-file",
        &fixture("nhc-sample.yaml"),
        "--candidate",
        "preset=gke",
        "-n",
        "3",
        "-q",
        "--out",
        &out,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("cmp/compare.json")).unwrap())
            .unwrap();
    let f = format!("policy={}", fixture("nhc-sample.yaml"));
    assert_eq!(json["baseline_patches"], serde_json::json!([f]));
    // The candidate's preset comes after the file, so it wins.
    assert_eq!(
        json["candidates"][0]["patches"],
        serde_json::json!([f, "preset=gke"])
    );
}

/// Bad fields are errors at their line and column, naming the field as
/// the file writes it and what would be valid (exit 2, nothing written).
#[test]
fn bad_fields_are_errors_at_their_line() {
    let s = scratch("policy-files");
    let cases: [(&str, &str, &str); 7] = [
        (
            "typo.yaml",
            "apiVersion: cluster.x-k8s.io/v1beta1\nkind: MachineHealthCheck\nspec:\n  maxUnhealty: 40%\n",
            "typo.yaml:4:3: spec.maxUnhealty: unknown field \"maxUnhealty\"; valid fields here: \
             clusterName, selector, unhealthyConditions, unhealthyMachineConditions, maxUnhealthy, \
             unhealthyRange, nodeStartupTimeout, remediationTemplate",
        ),
        (
            "duration.yaml",
            "apiVersion: cluster.x-k8s.io/v1beta1\nkind: MachineHealthCheck\nspec:\n  unhealthyConditions:\n  - type: Ready\n    status: \"False\"\n    timeout: 5 minutes\n",
            "duration.yaml:7:14: spec.unhealthyConditions[0].timeout: bad duration \"5 minutes\"",
        ),
        (
            "percent.yaml",
            "apiVersion: remediation.medik8s.io/v1alpha1\nkind: NodeHealthCheck\nspec:\n  minHealthy: 140%\n  remediationTemplate:\n    kind: SelfNodeRemediationTemplate\n",
            "percent.yaml:4:15: spec.minHealthy (policy.min_healthy): expected a node count",
        ),
        (
            "remediator.yaml",
            "apiVersion: remediation.medik8s.io/v1alpha1\nkind: NodeHealthCheck\nspec:\n  minHealthy: 51%\n  remediationTemplate:\n    kind: ReprovisionRemediationTemplate\n",
            "remediator.yaml:6:11: spec.remediationTemplate.kind: remediator \"ReprovisionRemediationTemplate\" is not simulated",
        ),
        (
            "both.json",
            "{\"enabled\": true, \"maxParallelNodesRepairedCount\": 1,\n \"maxParallelNodesRepairedPercentage\": 10}\n",
            "both.json:2:40: maxParallelNodesRepairedPercentage: maxParallelNodesRepairedCount and \
             maxParallelNodesRepairedPercentage are mutually exclusive; keep one",
        ),
        (
            "external.yaml",
            "apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineHealthCheck\nspec:\n  remediation:\n    templateRef:\n      kind: Metal3RemediationTemplate\n",
            "external.yaml:6:7: spec.remediation.templateRef: external remediation (Metal3RemediationTemplate) is not simulated",
        ),
        (
            "several.yaml",
            "kind: MachineHealthCheck\napiVersion: cluster.x-k8s.io/v1beta2\nmetadata: {name: a}\nspec: {}\n---\nkind: MachineHealthCheck\napiVersion: cluster.x-k8s.io/v1beta2\nmetadata: {name: b}\nspec: {}\n",
            "several.yaml: the file holds 2 MachineHealthChecks (a, b)",
        ),
    ];
    for (name, text, expected) in cases {
        let path = write(&s, name, text);
        let e = with_file(&path).expect_err(name).to_string();
        let want = format!("{}{expected}", s.path(""));
        assert!(
            e.starts_with(&want),
            "{name}:\n{e}\nexpected to start with\n{want}"
        );
        assert_bad_input(
            &s,
            &["run", "--policy-file", &path],
            &format!("error: {want}"),
        );
    }
}

/// `repairsim policy --policy-file` shows the file's values and prints its
/// warnings on stderr; `compare` takes the same file as `policy=`.
#[test]
fn the_cli_reads_policy_files() {
    let f = fixture("capi-mhc-v1beta2-book.yaml");
    let o = repairsim(&["policy", "--policy-file", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("max-unhealthy 40% floor"), "{out}");
    assert!(
        out.starts_with("# preset capi-mhc with --policy-file "),
        "{out}"
    );
    assert!(
        stderr(&o).starts_with("warning: ")
            && stderr(&o).contains("spec.checks.unhealthyMachineConditions"),
        "{}",
        stderr(&o)
    );
    let s = scratch("cli-policy");
    let policy = format!("policy={}", fixture("nhc-sample.yaml"));
    let o = repairsim(&[
        "compare",
        "scenarios/preset-capi-mhc.toml",
        "-n",
        "2",
        "--candidate",
        &policy,
        "-q",
        "--out",
        &s.path("cmp"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("cmp/compare.json")).unwrap())
            .unwrap();
    assert_eq!(
        json["candidates"][0]["patches"],
        serde_json::json!([policy])
    );
}

/// The keys the files map onto are plain `[policy]` keys, validated alike.
#[test]
fn the_new_policy_keys_are_checked() {
    let load = |policy: &str| {
        repairsim::scenario::load_str("k.toml", &format!("{SCENARIO}[policy]\n{policy}\n"))
    };
    let e = load("preset = \"nhc\"\nmax_in_flight = 1").unwrap_err();
    assert_eq!(
        e.to_string(),
        "k.toml:9:17: policy.max_in_flight: preset nhc has no in-flight limit; max_in_flight \
         applies to capi-mhc (MachineDeployment maxInFlight) and eks (maxParallelNodesRepaired*)"
    );
    let e = load("preset = \"aks-2024-08\"\nmax_in_flight = 1").unwrap_err();
    assert!(
        e.message
            .ends_with("; AKS repairs take max_concurrent_repairs"),
        "{e}"
    );
    let e = load("preset = \"eks\"\nmax_in_flight = 0").unwrap_err();
    assert!(e.message.starts_with("EKS repairs at least 1 node"), "{e}");
    let e = load("preset = \"capi-mhc\"\nunhealthy_range = \"[5-3]\"").unwrap_err();
    assert!(
        e.message
            .starts_with("expected a range of unhealthy node counts"),
        "{e}"
    );
    let e =
        load("preset = \"capi-mhc\"\nunhealthy_range = \"[1-3]\"\nmax_unhealthy = 2").unwrap_err();
    assert_eq!(e.field, "policy.unhealthy_range");
    let e = load("preset = \"gke\"\nunhealthy_range = \"[1-3]\"").unwrap_err();
    assert!(
        e.message.starts_with("preset gke checks periodically"),
        "{e}"
    );
    let sc = load("preset = \"capi-mhc\"\nunhealthy_false_after = \"never\"").unwrap();
    assert_eq!(detection(&sc).timeout_false, None);
    assert_eq!(detection(&sc).timeout_unknown, secs(300));
    let rows = repairsim::policy::params::provenance_table(&sc.policy, &sc.policy_overrides);
    let row = rows
        .iter()
        .find(|r| r.parameter == "unhealthy_false_after")
        .unwrap();
    assert_eq!(
        (row.value.as_str(), row.provenance.as_str()),
        ("never", "scenario override")
    );
}

/// A node whose condition no check matches is healthy to the guard and is
/// never remediated.
#[test]
fn a_condition_no_check_lists_is_never_remediated() {
    let text = include_str!("peers/capi-inflight.toml")
        .replace("max_in_flight = 1", "unhealthy_unknown_after = \"never\"");
    let sc = repairsim::scenario::load_str("never.toml", &text).unwrap();
    let log = crate::common::incident_log(&sc);
    assert!(log.incidents().iter().all(|i| i.repair_started.is_none()));
    assert_eq!(log.incidents().len(), 3);
}

/// An error about a value from the file names the most specific field it
/// came from.
#[test]
fn errors_name_the_field_the_value_came_from() {
    let e = load_str_with(
        "s.toml",
        SCENARIO,
        &[
            Patch::PolicyFile(fixture("eks-describe-nodegroup.json").into()),
            Patch::parse_set("policy.preset=eks-auto").unwrap(),
        ],
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (Some(14), Some(51)), "{e}");
    assert_eq!(
        e.field,
        "nodegroup.nodeRepairConfig.maxParallelNodesRepairedPercentage (policy.max_in_flight)"
    );
}

/// A timeout of 0 (Cluster API allows it) matches at the condition change;
/// a byte-order mark does not shift line 1's columns.
#[test]
fn zero_timeouts_load_and_a_bom_is_no_column() {
    let s = scratch("zero");
    let f = write(
        &s,
        "zero.yaml",
        "\u{feff}apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineHealthCheck\nspec:\n  checks:\n    \
         unhealthyNodeConditions:\n    - {type: Ready, status: Unknown, timeoutSeconds: 0}\n",
    );
    let sc = with_file(&f).unwrap_or_else(|e| panic!("{e}"));
    let d = detection(&sc);
    assert_eq!((d.timeout_false, d.timeout_unknown), (None, secs(0)));
    let f = write(&s, "bom.yaml", "\u{feff}bogus: 1\n");
    let e = with_file(&f).unwrap_err();
    assert_eq!((e.line, e.column), (Some(1), Some(1)), "{e}");
}

/// With one slot, the MachineSet deletes the newest Machine first: md-0-5's
/// replacement (created at 2h16m21s) goes before md-0-1, which had waited
/// since 2h20m41s, when md-0-3's old Machine is deleted at 2h26m21s.
#[test]
fn the_newest_machine_takes_a_freed_slot_first() {
    let sc = repairsim::scenario::load_str("newest.toml", include_str!("peers/capi-newest.toml"))
        .unwrap();
    let starts: Vec<String> = crate::common::trace(&sc)
        .iter()
        .filter_map(|r| match r {
            repairsim::observe::Record::ActionStarted { at, node, .. } => {
                Some(format!("{} {at}", sc.fleet.node(*node).name))
            }
            _ => None,
        })
        .take(4)
        .collect();
    assert_eq!(
        starts,
        [
            "md-0-5 2h06m21s",
            "md-0-3 2h16m21s",
            "md-0-5 2h26m21s",
            "md-0-1 2h36m21s"
        ]
    );
}

/// Issue 11: a TOML policy file may keep its `[policy]` header (a table
/// cut from a scenario), for `--policy-file` and `compare`'s `policy=`
/// alike; its errors still point into it.
#[test]
fn a_toml_policy_file_may_keep_its_policy_header() {
    let s = scratch("policy-header");
    let file = write(
        &s,
        "p.toml",
        "[policy]\npreset = \"gke\"\nrepair_delay = \"2m\"\n",
    );
    let sc = repairsim::scenario::load_str_with(
        "t.toml",
        repairsim::scenario::DEFAULT_SCENARIO,
        &[repairsim::scenario::Patch::PolicyFile(file.clone().into())],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sc.policy.preset, repairsim::policy::Preset::Gke);
    assert_eq!(
        sc.policy.repair_delay,
        repairsim::time::SimDuration::from_mins(2)
    );
    let out = s.path("cmp");
    let side = format!("policy={file}");
    let o = crate::common::repairsim(&[
        "compare",
        "--candidate",
        &side,
        "-n",
        "2",
        "--out",
        &out,
        "-q",
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let bad = write(
        &s,
        "bad.toml",
        "[policy]\npreset = \"gke\"\nrepair_delay = \"x\"\n",
    );
    let e = repairsim::scenario::load_str_with(
        "t.toml",
        repairsim::scenario::DEFAULT_SCENARIO,
        &[repairsim::scenario::Patch::PolicyFile(bad.into())],
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (Some(3), Some(16)), "{e}");
    assert_eq!(e.field, "policy.repair_delay");
}
