//! Regression tests, each named after the bug it pins.

use crate::common::check;
use repairsim::scenario::load_str;

/// A slot freed while every node was not Ready; the guard then lifted when
/// an abandoned node healed, with no check due anywhere. The waiting node
/// must take the slot on the next check instead of waiting forever.
#[test]
fn waiting_node_starts_when_the_all_not_ready_guard_lifts_without_a_check() {
    let sc = load_str("regression.toml", include_str!("guard_lift.toml")).unwrap();
    check(
        &sc,
        &[
            "1h p-0 FaultArrived stuck",
            "1h p-1 FaultArrived hang",
            "1h10m p-0 Detected rule-a",
            "1h10m p-1 Detected rule-a",
            "1h15m p-0 ActionStarted reboot pass=1",
            "1h19m p-0 ActionEnded reboot",
            "1h19m55s p-2 FaultArrived cni",
            "1h20m p-2 Outcome excluded:network-misconfiguration",
            "1h24m p-0 Outcome gave-up-exhausted",
            "1h40m p-0 Recovered",
            "1h40m p-1 ActionStarted reboot pass=1",
            "1h44m p-1 ActionEnded reboot",
            "1h44m p-1 Recovered",
            "1h44m p-1 Outcome repaired-by-reboot",
        ],
    );
}
