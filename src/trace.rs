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

use crate::faults::{FaultId, Target};
use crate::fleet::NodeId;
use crate::policy::Exclusion;
use crate::rng::{Purpose, stable_hash, stream};
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime};
use rand::Rng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

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

/// An exponential draw with mean `mean` \[ms\], in whole seconds, at least 1 s.
pub fn exponential(rng: &mut ChaCha8Rng, mean: SimDuration) -> SimDuration {
    let u: f64 = rng.r#gen();
    let d = crate::dist::to_seconds(-(1.0 - u).ln() * mean.ms() as f64);
    d.max(SimDuration::from_secs(1))
}

/// Sorts `inputs` by time; equal instants keep their order (the scenario
/// order above). O(n log n).
///
/// Times are below 2^42 ms (the horizon is at most 100 years), so a time
/// and a position up to 2^22 pack into one `u64`: an unstable sort of those
/// keys, then one gather, is several times faster than a stable sort of the
/// 32-byte inputs (a fleet-year has ~120,000 of them).
fn sort_stable_by_time(inputs: &mut Vec<(SimTime, Input)>) {
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
    *inputs = keys.iter().map(|k| inputs[(k & mask) as usize]).collect();
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
        for (i, inj) in sc.injections.iter().enumerate() {
            let nodes: Vec<NodeId> = match inj.target {
                Target::Node(n) => vec![n],
                Target::Pool { pool, count } => {
                    let range = sc.fleet.pool_nodes(pool);
                    let mut r = rng(stable_hash(&format!("inject#{i}")), Purpose::Selection);
                    let mut picked: Vec<NodeId> = sample(&mut r, range.len(), count as usize)
                        .into_iter()
                        .map(|k| range.start + k as NodeId)
                        .collect();
                    picked.sort_unstable();
                    picked
                }
            };
            for node in nodes {
                inputs.push((
                    inj.at,
                    Input::Fault {
                        node,
                        fault: inj.fault,
                        heal_at: None,
                    },
                ));
            }
        }
        for o in &sc.outages {
            let n = (((o.candidates.len() as f64) * o.fraction).round() as usize)
                .min(o.candidates.len());
            let mut r = rng(
                stable_hash(&format!("outage#{}", o.name)),
                Purpose::Selection,
            );
            let mut picked: Vec<NodeId> = sample(&mut r, o.candidates.len(), n)
                .into_iter()
                .map(|k| o.candidates[k])
                .collect();
            picked.sort_unstable();
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
        for (s, a) in sc.arrivals.iter().enumerate() {
            // Each (node, arrival spec) pair has its own stream, named by
            // names, so adding a node or a spec moves no other draws.
            let spec_id =
                stable_hash(&sc.faults[a.fault as usize].name) ^ (s as u64).rotate_left(32);
            for &node in &a.nodes {
                let mut r = rng(
                    sc.fleet.node(node).stream_id ^ spec_id.rotate_left(17),
                    Purpose::FaultArrivals,
                );
                let mut t = SimTime::ZERO + exponential(&mut r, a.mtbf);
                while t < horizon {
                    inputs.push((
                        t,
                        Input::Fault {
                            node,
                            fault: a.fault,
                            heal_at: None,
                        },
                    ));
                    t = t + exponential(&mut r, a.mtbf);
                }
            }
        }
        inputs.retain(|(t, _)| *t < horizon);
        sort_stable_by_time(&mut inputs);

        // Self-heal draws: the k-th fault on a node takes the k-th draw of
        // the node's own stream, whatever the policy does with it.
        let mut heal_rngs: Vec<Option<Box<ChaCha8Rng>>> = vec![None; sc.fleet.len()];
        for (at, input) in inputs.iter_mut() {
            if let Input::Fault {
                node,
                fault,
                heal_at: heal_at @ None,
            } = input
                && let Some(dist) = &sc.faults[*fault as usize].self_heal_after
            {
                let r = heal_rngs[*node as usize].get_or_insert_with(|| {
                    Box::new(rng(sc.fleet.node(*node).stream_id, Purpose::SelfHeal))
                });
                *heal_at = Some(*at + dist.sample(r.as_mut()));
            }
        }
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
