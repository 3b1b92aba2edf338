//! The failure trace: every input of one replication (fault arrivals with
//! their self-heal instants, taint and upgrade windows), computed before
//! the simulation and sorted by time.
//!
//! Invariant: the trace depends on the scenario's fleet, faults, injections
//! and seed, never on the policy. So two policies run on the same trace see
//! the same faults at the same instants (common random numbers), and a
//! replayed cluster history is just another way to build a trace.
//!
//! It also keeps the engine's queue small: the queue holds only what the
//! simulation itself schedules, and the trace is merged in by a cursor.
//!
//! # Which draws belong to which node
//!
//! Every random choice about a node comes from a stream named by the node's
//! name ([`crate::fleet::Node::stream_id`]) and the *name* of what draws it,
//! never by a position in the fleet or in the scenario file. So adding a
//! node or a pool, or another `[[failures]]`, `[[outages]]` or `[[inject]]`
//! entry, leaves every other node's fault arrivals where they were:
//!
//! - `[[failures]]`: one stream per (node, fault name, occurrence number of
//!   the entry among the entries for that fault).
//! - `[[outages]]` with `fraction`: each candidate is hit independently,
//!   when a uniform draw in \[0, 1) from the stream of (node, outage name)
//!   is below `fraction`. The number of nodes hit is binomial, not exactly
//!   `fraction` × candidates; 1.0 still hits every candidate.
//! - `[[inject]]` with `pool` and `count`: each node of the pool gets a key
//!   from the stream of (node, injection time, fault, pool); the `count`
//!   smallest keys are hit (ties by node id). Growing the pool changes the
//!   choice only at the margin.

use crate::dist::DurationDist;
use crate::faults::{FaultId, Target};
use crate::fleet::NodeId;
use crate::policy::Exclusion;
use crate::rng::{Purpose, stable_hash, stream};
use crate::scenario::Scenario;
use crate::time::SimTime;
use rand::Rng;

/// One input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// A fault reaches `node`; it would go away by itself at `heal_at`.
    Fault {
        node: NodeId,
        fault: FaultId,
        heal_at: Option<SimTime>,
    },
    /// Mark window `window` (a taint or an upgrade) starts (`on`) or ends.
    Mark { window: u32, on: bool },
}

/// The inputs of one replication, in time order (ties: scenario order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureTrace {
    pub inputs: Vec<(SimTime, Input)>,
}

/// The self-heal instant of a fault at `at` [ms], drawn from the stream of
/// `entity` (a node paired with the input that brought the fault).
fn heal(
    sc: &Scenario,
    replication: u64,
    fault: FaultId,
    entity: u64,
    at: SimTime,
) -> Option<SimTime> {
    let d = sc.faults[fault as usize].self_heal_after.as_ref()?;
    Some(at + d.sample(&mut stream(sc.seed, replication, entity, Purpose::SelfHeal)))
}

/// Sorts `inputs` by time; equal instants keep their order (the scenario
/// order above). O(n log n).
///
/// Times are below 2^42 ms (the horizon is at most 100 years), so a time
/// and a position up to 2^22 pack into one `u64`: an unstable sort of those
/// keys, then one gather, is several times faster than a stable sort of the
/// 32-byte inputs (a fleet-year has ~120,000 of them).
fn sort_stable_by_time(inputs: &mut [(SimTime, Input)]) {
    const POS_BITS: u32 = 22;
    let fits =
        inputs.len() < 1 << POS_BITS && inputs.iter().all(|(t, _)| t.ms() < 1 << (64 - POS_BITS));
    if !fits {
        inputs.sort_by_key(|(t, _)| *t);
        return;
    }
    if inputs.is_sorted_by_key(|(t, _)| *t) {
        return;
    }
    let mut keys: Vec<u64> = inputs
        .iter()
        .enumerate()
        .map(|(i, (t, _))| t.ms() << POS_BITS | i as u64)
        .collect();
    keys.sort_unstable();
    let mask = (1u64 << POS_BITS) - 1;
    // The gather in place, cycle by cycle: a second list of the inputs
    // would double the trace's peak (40 MB at 100,000 nodes).
    let mut from: Vec<u64> = keys;
    from.iter_mut().for_each(|k| *k &= mask);
    for i in 0..from.len() {
        if from[i] == i as u64 {
            continue;
        }
        let held = inputs[i];
        let mut j = i;
        loop {
            let k = from[j] as usize;
            from[j] = j as u64;
            if k == i {
                inputs[j] = held;
                break;
            }
            inputs[j] = inputs[k];
            j = k;
        }
    }
}

/// The entity of a stream that belongs to a node and to something else
/// (an arrival spec, an outage, an injection), both named by hashes of
/// names. The rotation keeps the pair ordered: (a, b) and (b, a) differ.
fn pair(node_stream_id: u64, other: u64) -> u64 {
    node_stream_id ^ other.rotate_left(17)
}

/// The `count` nodes of `nodes` with the smallest keys, in node order.
///
/// Each node's key is the first `u64` of the stream of (node, `id`), so it
/// depends only on the node's name and the injection, not on the other
/// nodes: growing the pool changes the choice only at the margin (a new
/// node with a small key pushes out the old pick with the largest key).
/// Equal keys go by node id. O(n log n) in the pool size.
fn pick_smallest_keys(
    sc: &Scenario,
    replication: u64,
    nodes: std::ops::Range<NodeId>,
    id: u64,
    count: u32,
) -> Vec<NodeId> {
    let mut keyed: Vec<(u64, NodeId)> = nodes
        .map(|node| {
            let entity = pair(sc.fleet.node(node).stream_id, id);
            let key: u64 = stream(sc.seed, replication, entity, Purpose::Selection).r#gen();
            (key, node)
        })
        .collect();
    keyed.sort_unstable();
    let mut picked: Vec<NodeId> = keyed
        .into_iter()
        .take(count as usize)
        .map(|(_, n)| n)
        .collect();
    picked.sort_unstable();
    picked
}

impl FailureTrace {
    /// Builds the trace of replication `replication` of `sc`.
    /// O(inputs · log inputs).
    pub fn build(sc: &Scenario, replication: u64) -> FailureTrace {
        let horizon = SimTime::ZERO + sc.horizon;
        let rng = |entity: u64, purpose| stream(sc.seed, replication, entity, purpose);
        let mut inputs: Vec<(SimTime, Input)> = Vec::new();

        if !sc.never_registered.is_empty() {
            let fault = sc
                .faults
                .iter()
                .position(|f| f.exclude == Some(Exclusion::NeverRegistered));
            if let Some(f) = fault {
                for &node in &sc.never_registered {
                    inputs.push((
                        SimTime::ZERO,
                        Input::Fault {
                            node,
                            fault: f as FaultId,
                            heal_at: None,
                        },
                    ));
                }
            }
        }
        // Identity of each injection: its time, fault and pool, plus its
        // occurrence number among injections with that same triple, so
        // inserting another injection moves no other one's choice.
        let mut seen_injections: Vec<(SimTime, FaultId, usize)> = Vec::new();
        let mut seen_heal_keys: Vec<String> = Vec::new();
        for inj in &sc.injections {
            let nodes: Vec<NodeId> = match inj.target {
                Target::Node(n) => vec![n],
                Target::Pool { pool, count } => {
                    let same = seen_injections
                        .iter()
                        .filter(|k| **k == (inj.at, inj.fault, pool))
                        .count();
                    seen_injections.push((inj.at, inj.fault, pool));
                    let id = stable_hash(&format!(
                        "inject@{}ms#{}#{}#{same}",
                        inj.at.ms(),
                        sc.faults[inj.fault as usize].name,
                        sc.fleet.pools[pool].name,
                    ));
                    pick_smallest_keys(sc, replication, sc.fleet.pool_nodes(pool), id, count)
                }
            };
            // Named like the pool choice above: time, fault, target and
            // occurrence, so inserting another injection moves no heal draw.
            let target = match inj.target {
                Target::Node(n) => sc.fleet.node(n).name.clone(),
                Target::Pool { pool, .. } => sc.fleet.pools[pool].name.clone(),
            };
            let key = format!(
                "inject@{}ms#{}#{target}",
                inj.at.ms(),
                sc.faults[inj.fault as usize].name
            );
            let same = seen_heal_keys.iter().filter(|k| **k == key).count();
            let inj_id = stable_hash(&format!("{key}#{same}"));
            seen_heal_keys.push(key);
            for node in nodes {
                let heal_at = heal(
                    sc,
                    replication,
                    inj.fault,
                    pair(sc.fleet.node(node).stream_id, inj_id),
                    inj.at,
                );
                inputs.push((
                    inj.at,
                    Input::Fault {
                        node,
                        fault: inj.fault,
                        heal_at,
                    },
                ));
            }
        }
        for o in &sc.outages {
            // Each candidate on its own: hit when its uniform draw in [0, 1)
            // is below `fraction` (so 1.0 hits every one). The draw comes
            // from the stream of (node, outage name), so whether a node is
            // hit does not depend on the other candidates.
            let outage_id = stable_hash(&format!("outage#{}", o.name));
            let picked = o.candidates.iter().copied().filter(|&node| {
                let entity = pair(sc.fleet.node(node).stream_id, outage_id);
                let u: f64 = rng(entity, Purpose::Selection).r#gen();
                u < o.fraction
            });
            for node in picked {
                inputs.push((
                    o.at,
                    Input::Fault {
                        node,
                        fault: o.fault,
                        heal_at: Some(o.at + o.duration),
                    },
                ));
            }
        }
        for (w, m) in sc.marks.iter().enumerate() {
            inputs.push((
                m.from,
                Input::Mark {
                    window: w as u32,
                    on: true,
                },
            ));
            if let Some(until) = m.until {
                inputs.push((
                    until,
                    Input::Mark {
                        window: w as u32,
                        on: false,
                    },
                ));
            }
        }
        // Each (node, arrival spec) pair has its own stream, named by names:
        // the spec by its fault's name and its occurrence number among the
        // specs of that fault (0 for the first `kubelet-hang` entry, 1 for
        // the second...), never by its position in the file. So adding a
        // node, or a spec for another fault, moves no other draws.
        let mut occurrences = vec![0u64; sc.faults.len()];
        for a in &sc.arrivals {
            let k = &mut occurrences[a.fault as usize];
            let spec_id = stable_hash(&sc.faults[a.fault as usize].name) ^ k.rotate_left(32);
            *k += 1;
            for &node in &a.nodes {
                let entity = pair(sc.fleet.node(node).stream_id, spec_id);
                let mut r = rng(entity, Purpose::FaultArrivals);
                // The k-th arrival of this (node, spec) takes the k-th
                // self-heal draw of the same pair, whatever else happens.
                let self_heal = sc.faults[a.fault as usize].self_heal_after.as_ref();
                let mut heal_rng = self_heal.map(|_| rng(entity, Purpose::SelfHeal));
                // Whole seconds, at least 1 s, like every exponential draw.
                let gap = DurationDist::Exponential(a.mtbf);
                let mut t = SimTime::ZERO + gap.sample(&mut r);
                while t < horizon {
                    let heal_at = self_heal
                        .zip(heal_rng.as_mut())
                        .map(|(d, hr)| t + d.sample(hr));
                    inputs.push((
                        t,
                        Input::Fault {
                            node,
                            fault: a.fault,
                            heal_at,
                        },
                    ));
                    t = t + gap.sample(&mut r);
                }
            }
        }
        inputs.retain(|(t, _)| *t < horizon);
        sort_stable_by_time(&mut inputs);

        FailureTrace { inputs }
    }

    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packed_sort_is_a_stable_sort_by_time() {
        let input = |i: u32| Input::Mark {
            window: i,
            on: i.is_multiple_of(2),
        };
        for big in [false, true] {
            // Many ties, so stability shows; `big` takes the fallback path.
            let mut v: Vec<(SimTime, Input)> = (0..5_000u32)
                .map(|i| {
                    let t = u64::from(i.wrapping_mul(2_654_435_761) % 97);
                    (SimTime(if big { t << 50 } else { t }), input(i))
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|(t, _)| *t);
            sort_stable_by_time(&mut v);
            assert_eq!(v, want);
        }
    }
}
