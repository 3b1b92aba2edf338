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

/// Three pools and an outage over the whole fleet that hits each node with
/// probability 0.5.
const OUTAGE: &str = r#"
name = "outage-streams"
seed = 9
horizon = "2d"

[[pools]]
name = "system"
os = "linux"
count = 20

[[pools]]
name = "win"
os = "windows"
count = 10

[[faults]]
name = "hang"
signal = "not-ready"
fixed_by = "reboot"

[[faults]]
name = "zone-net"
signal = "no-status"
fixed_by = "reboot"

[[outages]]
name = "half"
at = "1d"
duration = "1h"
fault = "zone-net"
fraction = 0.5
"#;

/// The names of the nodes that fault `fault` reaches at least once, in
/// name order (masked arrivals count: they still reached the node).
fn hit_by(sc: &Scenario, fault: &str) -> Vec<String> {
    let mut v: Vec<String> = trace(sc)
        .iter()
        .filter_map(|r| match r {
            Record::FaultArrived { node, fault: f, .. } if sc.faults[*f as usize].name == fault => {
                Some(sc.fleet.node(*node).name.clone())
            }
            _ => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn adding_a_pool_leaves_other_nodes_outage_hits_alone() {
    let base = load_str("base", OUTAGE).unwrap();
    // The new pool goes first, so every existing node moves to a new index
    // and the outage has 15 more candidates.
    let bigger_text = OUTAGE.replacen(
        "[[pools]]",
        "[[pools]]\nname = \"extra\"\nos = \"linux\"\ncount = 15\n\n[[pools]]",
        1,
    );
    let bigger = load_str("bigger", &bigger_text).unwrap();
    assert_eq!(bigger.fleet.len(), base.fleet.len() + 15);
    assert_eq!(bigger.outages[0].candidates.len(), bigger.fleet.len());
    let before = hit_by(&base, "zone-net");
    let after: Vec<String> = hit_by(&bigger, "zone-net")
        .into_iter()
        .filter(|n| !n.starts_with("extra-"))
        .collect();
    // Each node is hit with probability 0.5: some are, some are not.
    assert!(
        !before.is_empty() && before.len() < base.fleet.len(),
        "the test needs a partial outage: {before:?}"
    );
    assert_eq!(before, after);
}

#[test]
fn an_outage_with_fraction_1_hits_every_candidate() {
    let text = OUTAGE.replace("fraction = 0.5", "fraction = 1.0");
    let sc = load_str("all", &text).unwrap();
    assert_eq!(hit_by(&sc, "zone-net").len(), sc.fleet.len());
}

#[test]
fn inserting_a_failures_entry_leaves_the_others_arrivals_alone() {
    let base = load_str("base", BASE).unwrap();
    // A new entry for another fault, before the existing one: the existing
    // entry is still the first `hang` entry, so its streams do not move.
    let text = BASE
        .replacen(
            "[[failures]]",
            "[[failures]]\nfault = \"crash\"\nmtbf = \"7d\"\n\n[[failures]]",
            1,
        )
        .replacen(
            "[[faults]]",
            "[[faults]]\nname = \"crash\"\nsignal = \"no-status\"\nfixed_by = \"reimage\"\n\n[[faults]]",
            1,
        );
    let more = load_str("more", &text).unwrap();
    assert_eq!(more.arrivals.len(), 2);
    assert_eq!(more.faults[more.arrivals[1].fault as usize].name, "hang");
    let of = |sc: &Scenario, fault: &str| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = trace(sc)
            .iter()
            .filter_map(|r| match r {
                Record::FaultArrived {
                    at, node, fault: f, ..
                } if sc.faults[*f as usize].name == fault => {
                    Some((sc.fleet.node(*node).name.clone(), at.ms()))
                }
                _ => None,
            })
            .collect();
        v.sort();
        v
    };
    let before = of(&base, "hang");
    assert!(before.len() > 20, "the test needs arrivals to compare");
    assert!(
        !of(&more, "crash").is_empty(),
        "the new entry adds arrivals"
    );
    assert_eq!(before, of(&more, "hang"));
}

/// `count` nodes of a pool: the `count` smallest per-node keys.
const INJECT: &str = r#"
name = "inject-streams"
seed = 3
horizon = "1d"

[[pools]]
name = "app"
os = "linux"
count = 12

[[faults]]
name = "hang"
signal = "not-ready"
fixed_by = "reboot"

[[inject]]
at = "2h"
pool = "app"
count = 4
fault = "hang"
"#;

#[test]
fn growing_a_pool_changes_an_injections_choice_only_at_the_margin() {
    let base = load_str("base", INJECT).unwrap();
    let before = hit_by(&base, "hang");
    assert_eq!(before.len(), 4);
    for grown in [13, 16, 24, 48] {
        let text = INJECT.replace("count = 12", &format!("count = {grown}"));
        let sc = load_str("grown", &text).unwrap();
        let after = hit_by(&sc, "hang");
        assert_eq!(after.len(), 4);
        // Old nodes that are still picked were picked before: new nodes can
        // only push old ones out, never swap one old node for another.
        let old: Vec<&String> = after
            .iter()
            .filter(|n| n.trim_start_matches("app-").parse::<u32>().unwrap() < 12)
            .collect();
        for n in &old {
            assert!(
                before.contains(n),
                "{grown} nodes: {n} was not picked with 12"
            );
        }
    }
    // Another injection before it does not move its choice.
    let text = INJECT.replacen(
        "[[inject]]",
        "[[inject]]\nat = \"1h\"\npool = \"app\"\ncount = 3\nfault = \"hang\"\n\n[[inject]]",
        1,
    );
    let sc = load_str("two", &text).unwrap();
    let at_2h: Vec<String> = {
        let mut v: Vec<String> = trace(&sc)
            .iter()
            .filter_map(|r| match r {
                Record::FaultArrived { at, node, .. } if at.ms() == 2 * 3_600_000 => {
                    Some(sc.fleet.node(*node).name.clone())
                }
                _ => None,
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(at_2h, before);
}
