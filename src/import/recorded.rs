//! What the history itself shows, as [`Record`]s on the imported
//! scenario's clock: the baseline `recorded` of `repairsim replay`.
//!
//! Each not-Ready episode is one incident whose fault arrives at the
//! onset the import inferred (the same instant every candidate's fault
//! arrives, so times to recover share their origin). Its actions start
//! and end at the recorded instants with the recorded errors, and it is
//! Ready again at the recorded NodeReady. The record does not show when
//! the recorded policy detected a node, so no incident has a time to
//! detect. Outcomes follow the engine's rules as far as the record
//! shows them ([`Imported::recorded_outcome`]).
//!
//! Invariant: the records are in time order, each node's in the order
//! the engine would emit them, so every observer reads them as a run's.

use super::{Episode, Imported, STATUS_TICK};
use crate::fleet::NodeState;
use crate::k8s::ActionKind;
use crate::observe::Record;
use crate::policy::{Exclusion, Outcome};
use crate::scenario::Scenario;
use crate::time::SimTime;

/// How a run through the recorded policy ended each incident, by (node,
/// fault): the kinds of its actions and when the first started, and when
/// and how it ended.
pub type Decided = std::collections::BTreeMap<
    (crate::fleet::NodeId, crate::faults::FaultId),
    (Vec<ActionKind>, Option<SimTime>, SimTime, Outcome),
>;

impl Imported {
    /// The history as records of a run of `sc`, the scenario this import
    /// wrote (nodes and faults are found by name), in time order.
    ///
    /// `decided`: how a run of `sc` through the recorded policy ended each
    /// incident. An episode whose recorded actions that run took too (the
    /// same kinds, the first within a check) ends as it decided: an
    /// outcome is the policy's reading of the history, and the record
    /// cannot tell a node left alone by an exclusion from one a guard held
    /// back, or a timeout from a step still waiting for its slot. Any
    /// other episode ends by [`Imported::recorded_outcome`]'s rules.
    pub fn recorded_records(&self, sc: &Scenario, decided: &Decided) -> Vec<Record> {
        let rel = |t: i64| SimTime((t - self.start.0).max(0) as u64);
        let mut out = Vec::new();
        for (name, eps) in &self.episodes {
            let Some(node) = sc.fleet.find(name) else {
                continue;
            };
            for (i, e) in eps.iter().enumerate() {
                let never = self.never_registered(e);
                let fault_name = if never {
                    crate::scenario::load::NEVER_REGISTERED_FAULT.to_string()
                } else {
                    format!("{name}-{}", i + 1)
                };
                let Some(fault) = sc.faults.iter().position(|f| f.name == fault_name) else {
                    continue;
                };
                let fault = fault as crate::faults::FaultId;
                let f = self.fault(e);
                // The loader injects a never-registered node's fault at 0.
                let onset = SimTime(if never { 0 } else { f.onset.max(0) as u64 });
                out.push(Record::FaultArrived {
                    at: onset,
                    node,
                    fault,
                    heal_at: f
                        .heal
                        .as_ref()
                        .map(|(after, _)| onset + crate::time::SimDuration(*after as u64)),
                    masked: false,
                });
                let waiting = if e.silent {
                    NodeState::Unknown
                } else {
                    NodeState::NotReady
                };
                out.push(Record::State {
                    at: rel(e.left),
                    node,
                    state: waiting,
                });
                let mut passes = std::collections::BTreeMap::new();
                for a in &e.actions {
                    let pass = passes.entry(a.kind).or_insert(0u32);
                    *pass += 1;
                    out.push(Record::ActionStarted {
                        at: rel(a.start),
                        node,
                        kind: a.kind,
                        pass: *pass,
                    });
                    out.push(Record::State {
                        at: rel(a.start),
                        node,
                        state: NodeState::acting(a.kind, 0),
                    });
                    if let Some(end) = a.end {
                        // An End reported after NodeReady (the kubelet can
                        // be Ready first): the action was over when the
                        // node was Ready, and the node stays Ready.
                        let after_ready = e.ready.is_some_and(|r| end > r);
                        out.push(Record::ActionEnded {
                            at: rel(e.ready.map_or(end, |r| end.min(r))),
                            node,
                            kind: a.kind,
                            error: a.error.as_deref().map(error_code),
                            fixed: f.fixed_by == a.kind.name(),
                        });
                        if !after_ready {
                            out.push(Record::State {
                                at: rel(end),
                                node,
                                state: waiting,
                            });
                        }
                    }
                }
                let windows = sc.fleet.node(node).os == crate::fleet::Os::Windows;
                let kinds: Vec<ActionKind> = e.actions.iter().map(|a| a.kind).collect();
                let check = self.opts.policy.check_interval.ms().max(1);
                let same = |first: Option<SimTime>| match (first, e.actions.first()) {
                    (None, None) => true,
                    (Some(t), Some(a)) => t.ms().abs_diff(rel(a.start).ms()) <= check,
                    _ => false,
                };
                let ended = match decided.get(&(node, fault)) {
                    Some((k, first, at, outcome)) if *k == kinds && same(*first) => {
                        (*outcome != Outcome::OpenAtHorizon).then_some((*at, *outcome))
                    }
                    _ => self
                        .recorded_outcome(name, windows, e)
                        .map(|(at, o)| (rel(at), o)),
                };
                if let Some((at, outcome)) = ended {
                    out.push(Record::Outcome { at, node, outcome });
                }
                if let Some(ready) = e.ready {
                    out.push(Record::State {
                        at: rel(ready),
                        node,
                        state: NodeState::Ready,
                    });
                    out.push(Record::Recovered {
                        at: rel(ready),
                        node,
                    });
                }
            }
        }
        // Stable: each node's records keep their order at one instant.
        out.sort_by_key(Record::at);
        out
    }

    /// How the recorded policy ended an episode, and when \[Unix ms\], as
    /// the engine would have recorded it; `None`: still open when the
    /// record ends.
    ///
    /// Given up on the first check a settle time after the last action,
    /// when the node was still not Ready then: the ladder exhausted when
    /// the episode ran the preset's whole plan, else past the overall
    /// timeout from the first action (docs/POLICY.md section 2). Ready
    /// again: repaired by the action that ended on the status tick before
    /// (one during which the fault healed counts too, as in a run),
    /// else healed by itself, or excluded when the policy left the node
    /// alone (the import's `exclude` or a hold).
    fn recorded_outcome(&self, node: &str, windows: bool, e: &Episode) -> Option<(i64, Outcome)> {
        if self.never_registered(e) {
            return Some((self.start.0, Outcome::Excluded(Exclusion::NeverRegistered)));
        }
        let p = &self.opts.policy;
        let record_end = self.start.0 + self.horizon_ms;
        let gone = e.ready.or(e.deleted).unwrap_or(record_end);
        // The first check at or after `t` [Unix ms]: checks fall on the
        // grid that starts at `start`.
        let check = (p.check_interval.ms() as i64).max(1);
        let on_check = |t: i64| t + (self.start.0 - t).rem_euclid(check);
        if let (Some(first), Some(end)) = (e.actions.first(), e.actions.last().and_then(|a| a.end))
        {
            let os = if windows {
                crate::fleet::Os::Windows
            } else {
                crate::fleet::Os::Linux
            };
            let settled = end + p.settle.ms() as i64;
            // No further action: the ladder ran out, or the next step was
            // held back (a guard) until the overall timeout.
            let (at, outcome) = if e.actions.len() >= p.plan(os).len() {
                (on_check(settled), Outcome::GaveUpExhausted)
            } else {
                let timeout = first.start + p.overall_timeout.ms() as i64;
                (on_check(settled.max(timeout)), Outcome::GaveUpTimeout)
            };
            if at < gone && at <= record_end {
                return Some((at, outcome));
            }
        }
        let left_alone = e.actions.is_empty()
            && (self.left_alone(e, e.left - self.start.0).is_some() || self.held(node, e));
        if let Some(ready) = e.ready {
            let fixer = e.actions.iter().rfind(|a| {
                a.error.is_none() && a.end.is_some_and(|end| (ready - end).abs() < STATUS_TICK)
            });
            let outcome = match fixer {
                Some(a) => Outcome::RepairedBy(a.kind),
                None if left_alone => {
                    return Some((on_check(e.left), Outcome::Excluded(Exclusion::Unknown)));
                }
                None => Outcome::SelfHealed,
            };
            // The policy sees Ready on its next check.
            let seen = on_check(ready);
            return (seen <= record_end).then_some((seen, outcome));
        }
        left_alone.then_some((on_check(e.left), Outcome::Excluded(Exclusion::Unknown)))
    }

    /// A hold covers the episode: the recorded policy had stopped acting.
    fn held(&self, node: &str, e: &Episode) -> bool {
        let (from, to) = (
            e.left - self.start.0,
            e.ready.or(e.deleted).map(|t| t - self.start.0),
        );
        self.holds.iter().any(|h| {
            h.node == node && h.from < to.unwrap_or(i64::MAX) && h.until.is_none_or(|u| u > from)
        })
    }
}

/// A recorded error code as the engine spells it: one the troubleshooting
/// page names, else the empty code.
fn error_code(code: &str) -> &'static str {
    crate::k8s::ERROR_CODES
        .iter()
        .find(|c| **c == code)
        .copied()
        .unwrap_or("")
}
