//! Determinism: same scenario and seed, same bytes; and each node's fault
//! arrivals depend only on the seed and the node's name.

use crate::common::{shipped, trace};
use repairsim::observe::Record;
use repairsim::scenario::{Scenario, load_str};

const BASE: &str = r#"
name = "streams"
seed = 42
horizon = "60d"

[[pools]]
name = "system"
os = "linux"
count = 4

[[pools]]
name = "win"
os = "windows"
count = 3

[[faults]]
name = "hang"
signal = "not-ready"
fixed_by = "reboot"
self_heal_after = { exponential = "30m" }

[[failures]]
fault = "hang"
mtbf = "5d"
"#;

/// (node name, arrival time [ms]) of every fault arrival, masked or not.
fn arrivals(sc: &Scenario) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = trace(sc)
        .iter()
        .filter_map(|r| match r {
            Record::FaultArrived { at, node, .. } => {
                Some((sc.fleet.node(*node).name.clone(), at.ms()))
            }
            _ => None,
        })
        .collect();
    v.sort();
    v
}

#[test]
fn same_seed_same_trace() {
    let sc = shipped("default.toml");
    assert_eq!(trace(&sc), trace(&sc));
}

#[test]
fn another_seed_another_trace() {
    let sc = shipped("default.toml");
    let mut other = sc.clone();
    other.seed += 1;
    assert_ne!(trace(&sc), trace(&other));
}

#[test]
fn adding_a_pool_leaves_other_nodes_arrivals_alone() {
    let base = load_str("base", BASE).unwrap();
    // The new pool goes first, so every existing node moves to a new index.
    let bigger_text = BASE.replacen(
        "[[pools]]",
        "[[pools]]\nname = \"extra\"\nos = \"linux\"\ncount = 5\n\n[[pools]]",
        1,
    );
    let bigger = load_str("bigger", &bigger_text).unwrap();
    assert_eq!(bigger.fleet.len(), base.fleet.len() + 5);
    let before = arrivals(&base);
    let after: Vec<_> = arrivals(&bigger)
        .into_iter()
        .filter(|(n, _)| !n.starts_with("extra-"))
        .collect();
    assert!(before.len() > 20, "the test needs arrivals to compare");
    assert_eq!(before, after);
}

#[test]
fn changing_the_policy_leaves_arrivals_alone() {
    let base = load_str("base", BASE).unwrap();
    let text = BASE.replacen(
        "[[pools]]",
        "[policy]\nrepair_delay = \"2m\"\nmax_concurrent_repairs = 1\n\n[[pools]]",
        1,
    );
    let changed = load_str("changed", &text).unwrap();
    assert_ne!(base.policy, changed.policy);
    assert_eq!(arrivals(&base), arrivals(&changed));
}
