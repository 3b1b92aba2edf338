//! POLICY.md section 5, to the second, through the library API.
//! (The CLI's output files are checked in `cli.rs`.)

use crate::common::{check, shipped};

#[test]
fn example_1_not_ready_fixed_by_reboot() {
    check(
        &shipped("example-1-reboot.toml"),
        &[
            "1h00m35s pool-0 FaultArrived kubelet-hang",
            "1h11m pool-0 Detected rule-a",
            "1h16m pool-0 ActionStarted reboot pass=1",
            "1h20m pool-0 ActionEnded reboot",
            "1h20m pool-0 Recovered",
            "1h20m pool-0 Outcome repaired-by-reboot",
        ],
    );
}

#[test]
fn example_2_no_status_fixed_by_reimage() {
    check(
        &shipped("example-2-reimage.toml"),
        &[
            "3h00m30s pool-0 FaultArrived os-disk-corruption",
            "3h11m pool-0 Detected rule-b",
            "3h16m pool-0 ActionStarted reboot pass=1",
            "3h20m pool-0 ActionEnded reboot",
            "3h25m pool-0 ActionStarted reimage pass=1",
            "3h35m pool-0 ActionEnded reimage",
            "3h35m pool-0 Recovered",
            "3h35m pool-0 Outcome repaired-by-reimage",
        ],
    );
}

#[test]
fn example_3_nothing_fixes_it_gives_up_on_timeout() {
    check(
        &shipped("example-3-timeout.toml"),
        &[
            "3h00m30s pool-0 FaultArrived dead-host",
            "3h11m pool-0 Detected rule-b",
            "3h16m pool-0 ActionStarted reboot pass=1",
            "3h20m pool-0 ActionEnded reboot",
            "3h25m pool-0 ActionStarted reimage pass=1",
            "3h35m pool-0 ActionEnded reimage",
            "3h40m pool-0 ActionStarted redeploy pass=1",
            "3h55m pool-0 ActionEnded redeploy",
            "4h pool-0 ActionStarted reboot pass=2",
            "4h04m pool-0 ActionEnded reboot",
            "4h09m pool-0 ActionStarted reimage pass=2",
            "4h19m pool-0 ActionEnded reimage",
            "4h24m pool-0 Outcome gave-up-timeout",
        ],
    );
}

/// The records of one node, rendered.
fn of_node(sc: &repairsim::scenario::Scenario, node: &str) -> Vec<String> {
    let needle = format!(" {node} ");
    crate::common::render(sc, &crate::common::trace(sc))
        .into_iter()
        .filter(|l| l.contains(&needle))
        .collect()
}

/// POLICY.md section 8: worked example 1 under `aks-observed-2026`.
#[test]
fn example_1_under_aks_observed_2026_acts_on_the_detection_check() {
    assert_eq!(
        of_node(&shipped("preset-aks-observed-2026.toml"), "linux-0"),
        [
            "1h00m35s linux-0 FaultArrived kubelet-hang",
            "1h11m linux-0 Detected rule-a",
            "1h11m linux-0 ActionStarted reboot pass=1",
            "1h15m linux-0 ActionEnded reboot",
            "1h15m linux-0 Recovered",
            "1h15m linux-0 Outcome repaired-by-reboot",
        ]
    );
}

/// PEERS.md worked example E1: GKE drains, re-creates, and the node is
/// Ready at the status tick at the VM's end.
#[test]
fn peers_e1_gke_recreate() {
    use repairsim::observe::{NodeState, Record};
    let sc = shipped("preset-gke.toml");
    assert_eq!(
        of_node(&sc, "pool-0"),
        [
            "1h00m35s pool-0 FaultArrived kubelet-hang",
            "1h11m pool-0 Detected rule-a",
            "1h11m pool-0 ActionStarted recreate pass=1",
            "1h17m pool-0 ActionEnded recreate",
            "1h17m pool-0 Recovered",
            "1h17m pool-0 Outcome repaired-by-recreate",
        ]
    );
    // The timeline shows the two phases: drain to 1h13m, then the VM. (A
    // state that lasts no time, such as the Unknown the hidden lease
    // expiry leaves at the VM's end, shows in no timeline.)
    let mut states: Vec<(String, NodeState)> = Vec::new();
    for r in crate::common::trace(&sc) {
        if let Record::State { at, node: 0, state } = r {
            if states.last().is_some_and(|(t, _)| *t == at.to_string()) {
                states.pop();
            }
            states.push((at.to_string(), state));
        }
    }
    assert_eq!(
        states,
        [
            ("1h00m40s".to_string(), NodeState::NotReady),
            ("1h11m".to_string(), NodeState::Draining),
            ("1h13m".to_string(), NodeState::Recreating),
            ("1h17m".to_string(), NodeState::Ready),
        ]
    );
}

/// The 3-node pool has one repair slot (PEERS.md section 1: one per 10
/// nodes, at least one), so pool-1, detected at 1h11m, waits for pool-0's
/// recreate to free it at 1h17m. Its fault, which nothing fixes, carries
/// over to the re-created VM (its kubelet's last heartbeat is the lease
/// tick at the end, 1h23m), and GKE detects it again from scratch: rule (b)
/// at 1h33m, and so on.
#[test]
fn gke_detects_a_recreated_unhealthy_node_again_from_scratch() {
    assert_eq!(
        of_node(&shipped("preset-gke.toml"), "pool-1"),
        [
            "1h00m35s pool-1 FaultArrived bad-disk",
            "1h11m pool-1 Detected rule-b",
            "1h17m pool-1 ActionStarted recreate pass=1",
            "1h23m pool-1 ActionEnded recreate",
            "1h33m pool-1 ActionStarted recreate pass=1",
            "1h39m pool-1 ActionEnded recreate",
            "1h49m pool-1 ActionStarted recreate pass=1",
            "1h55m pool-1 ActionEnded recreate",
        ]
    );
}

/// PEERS.md worked example E2: EKS replaces a node whose Ready has been
/// Unknown for 30 minutes, counted from its lastTransitionTime (1h01m20s).
/// The replacement has a new name; the incident stays ng-0's.
#[test]
fn peers_e2_eks_replace_after_thirty_minutes() {
    assert_eq!(
        of_node(&shipped("preset-eks.toml"), "ng-0"),
        [
            "1h00m35s ng-0 FaultArrived dead-kubelet",
            "1h31m20s ng-0 Detected rule-b",
            "1h31m20s ng-0 ActionStarted replace pass=1",
            "1h32m20s ng-0 Replaced r1",
            "1h37m20s ng-0 ActionEnded replace",
            "1h37m20s ng-0 Recovered",
            "1h37m20s ng-0 Outcome repaired-by-replace",
        ]
    );
}

/// E2 under eks-auto: the same instants (Karpenter fires at exactly
/// LTT + 30m).
#[test]
fn peers_e2_eks_auto_gives_the_same_instants() {
    let lines = of_node(&shipped("preset-eks-auto.toml"), "ng-0");
    assert_eq!(lines[2], "1h31m20s ng-0 ActionStarted replace pass=1");
    assert_eq!(
        lines.last().unwrap(),
        "1h37m20s ng-0 Outcome repaired-by-replace"
    );
}

/// PEERS.md worked example E3: the MachineHealthCheck requeues to
/// LTT + 300 s + 1 s = 1h06m21s, and the replacement is Ready at the status
/// tick 1h12m30s.
#[test]
fn peers_e3_capi_mhc_strict_match_and_requeue() {
    assert_eq!(
        of_node(&shipped("preset-capi-mhc.toml"), "md-0-0"),
        [
            "1h00m35s md-0-0 FaultArrived dead-kubelet",
            "1h06m21s md-0-0 Detected rule-b",
            "1h06m21s md-0-0 ActionStarted replace pass=1",
            "1h08m21s md-0-0 Replaced r1",
            "1h12m21s md-0-0 ActionEnded replace",
            "1h12m30s md-0-0 Recovered",
            "1h12m30s md-0-0 Outcome repaired-by-replace",
        ]
    );
}

/// PEERS.md worked example E4: NHC creates the SNR remediation at
/// 1h05m41s; the node is Ready at 1h08m50s, before the escalation
/// (1h10m41s).
#[test]
fn peers_e4_nhc_self_node_remediation() {
    assert_eq!(
        of_node(&shipped("preset-nhc.toml"), "worker-0"),
        [
            "1h00m35s worker-0 FaultArrived kubelet-hang",
            "1h05m41s worker-0 Detected rule-a",
            "1h05m41s worker-0 ActionStarted snr-reboot pass=1",
            "1h08m41s worker-0 ActionEnded snr-reboot",
            "1h08m50s worker-0 Recovered",
            "1h08m50s worker-0 Outcome repaired-by-snr-reboot",
        ]
    );
}

/// PEERS.md guard example G1 under eks: 2 of 6 unhealthy is above 20%
/// (200 > 120); big-1 waits for big-2 to heal and for its own 5-minute
/// re-check (2h41m20s).
#[test]
fn peers_g1_eks_guard_holds_until_the_recheck_after_a_heal() {
    let sc = shipped("preset-eks.toml");
    let recs = crate::common::render(&sc, &crate::common::trace(&sc));
    let at =
        |needle: &str| -> Vec<&String> { recs.iter().filter(|l| l.contains(needle)).collect() };
    assert_eq!(
        at("big-1 "),
        [
            "2h00m35s big-1 FaultArrived dead-kubelet",
            "2h31m20s big-1 Detected rule-b",
            "2h31m20s big-1 GuardHeld total=6 unhealthy=2 matched=1",
            "2h31m20s big-1 Suppressed guard-eks-20pct",
            "2h36m20s big-1 GuardHeld total=6 unhealthy=2 matched=1",
            "2h36m20s big-1 Suppressed guard-eks-20pct",
            "2h41m20s big-1 ActionStarted replace pass=1",
            "2h42m20s big-1 Replaced r1",
            "2h47m20s big-1 ActionEnded replace",
            "2h47m20s big-1 Recovered",
            "2h47m20s big-1 Outcome repaired-by-replace",
        ]
    );
    assert_eq!(
        at("big-2 ").last().unwrap().as_str(),
        "2h40m big-2 Outcome self-healed"
    );
}

/// G1 under eks-auto: ceil(20% x 6) = 2, so both are replaced at once.
#[test]
fn peers_g1_eks_auto_rounds_up() {
    let sc = shipped("preset-eks-auto.toml");
    let recs = crate::common::render(&sc, &crate::common::trace(&sc));
    for n in ["big-1", "big-2"] {
        let line = format!("2h31m20s {n} ActionStarted replace pass=1");
        assert!(recs.contains(&line), "{line}");
    }
}

/// PEERS.md guard example G2: minHealthy 51% of 5 needs 3 healthy. With 3
/// down nothing starts at 2h06m21s and nothing is requeued; worker-3's
/// recovery at 2h20m re-runs the check, which creates both remediations.
#[test]
fn peers_g2_nhc_min_healthy_rechecks_only_on_a_condition_change() {
    let sc = shipped("preset-nhc.toml");
    let recs = crate::common::render(&sc, &crate::common::trace(&sc));
    let between = |from: &str, to: &str| -> Vec<String> {
        let (a, b) = (crate::common::t(from), crate::common::t(to));
        recs.iter()
            .filter(|l| {
                let t = crate::common::t(l.split(' ').next().unwrap());
                a <= t && t <= b
            })
            .cloned()
            .collect()
    };
    assert_eq!(
        between("2h01m", "2h20m"),
        [
            "2h06m21s worker-1 Detected rule-b",
            "2h06m21s worker-2 Detected rule-b",
            "2h06m21s worker-3 Detected rule-b",
            "2h06m21s worker-1 GuardHeld total=5 unhealthy=3 matched=3",
            "2h06m21s worker-1 Suppressed guard-min-healthy",
            "2h06m21s worker-2 Suppressed guard-min-healthy",
            "2h06m21s worker-3 Suppressed guard-min-healthy",
            "2h20m worker-3 Recovered",
            "2h20m worker-3 Outcome self-healed",
            "2h20m worker-1 ActionStarted snr-reboot pass=1",
            "2h20m worker-2 ActionStarted snr-reboot pass=1",
        ]
    );
    // The reboot does not fix a dead host: at 2h20m + 300 s NHC escalates
    // to the replace.
    let w1: Vec<String> = between("2h20m01s", "3h")
        .into_iter()
        .filter(|l| l.contains(" worker-1 "))
        .collect();
    assert_eq!(
        w1,
        [
            "2h23m worker-1 ActionEnded snr-reboot",
            "2h25m worker-1 ActionStarted replace pass=1",
            "2h26m worker-1 Replaced r1",
            "2h31m worker-1 ActionEnded replace",
            "2h31m worker-1 Recovered",
            "2h31m worker-1 Outcome repaired-by-replace",
        ]
    );
}
