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

/// A fault that nothing fixes carries over to the re-created VM (its
/// kubelet's last heartbeat is the lease tick at the end, 1h17m), and GKE
/// detects it again from scratch: rule (b) at 1h27m, and so on.
#[test]
fn gke_detects_a_recreated_unhealthy_node_again_from_scratch() {
    assert_eq!(
        of_node(&shipped("preset-gke.toml"), "pool-1"),
        [
            "1h00m35s pool-1 FaultArrived bad-disk",
            "1h11m pool-1 Detected rule-b",
            "1h11m pool-1 ActionStarted recreate pass=1",
            "1h17m pool-1 ActionEnded recreate",
            "1h27m pool-1 ActionStarted recreate pass=1",
            "1h33m pool-1 ActionEnded recreate",
            "1h43m pool-1 ActionStarted recreate pass=1",
            "1h49m pool-1 ActionEnded recreate",
            "1h59m pool-1 ActionStarted recreate pass=1",
        ]
    );
}
