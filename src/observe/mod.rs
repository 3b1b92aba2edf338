//! Observers: the only seam between the engine and outputs.
//!
//! The engine emits a closed vocabulary of [`Record`]s in time order; the
//! observers in this module turn them into incidents, timelines and
//! Kubernetes events, and everything downstream (stats, reports) reads only
//! what they recorded.
//!
//! Invariant: records arrive in non-decreasing time order.

use crate::faults::FaultId;
use crate::fleet::NodeId;
use crate::k8s::{ActionKind, Condition};
use crate::policy::{DetectRule, Exclusion, Outcome};
use crate::scenario::Scenario;
use crate::time::SimTime;

pub use crate::fleet::NodeState;

/// One thing that happened in the simulation.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// A fault reached a node. `heal_at` is when it would go away by itself.
    /// `masked`: the node already had an open incident, so the fault is
    /// dropped and opens nothing.
    FaultArrived {
        at: SimTime,
        node: NodeId,
        fault: FaultId,
        heal_at: Option<SimTime>,
        masked: bool,
    },
    /// The node's timeline state changed (it starts `Ready`, or `Unknown`
    /// for nodes that never register).
    State {
        at: SimTime,
        node: NodeId,
        state: NodeState,
    },
    /// The controller detected the incident on this check.
    Detected {
        at: SimTime,
        node: NodeId,
        rule: DetectRule,
    },
    /// An action started; `pass` counts from 1.
    ActionStarted {
        at: SimTime,
        node: NodeId,
        kind: ActionKind,
        pass: u32,
    },
    /// An action ended; `error` is the error code when it failed. `fixed`:
    /// the node's fault is gone (the node is Ready at its next status tick).
    ActionEnded {
        at: SimTime,
        node: NodeId,
        kind: ActionKind,
        error: Option<&'static str>,
        fixed: bool,
    },
    /// An action was due but a cluster guard (`all-nodes-not-ready`) held it
    /// back; recorded once per incident.
    Suppressed {
        at: SimTime,
        node: NodeId,
        reason: Exclusion,
    },
    /// The incident's repair process ended with this outcome.
    Outcome {
        at: SimTime,
        node: NodeId,
        outcome: Outcome,
    },
    /// The control plane shows the node Ready=True again after its fault:
    /// the end of time to recover.
    Recovered { at: SimTime, node: NodeId },
    /// A `replace` deleted the node's Node object; from now on the node is
    /// its `k`-th replacement, named `<node>-r<k>`. The incident stays
    /// the original node's.
    Replaced { at: SimTime, node: NodeId, k: u32 },
    /// An event-driven evaluation found the node past its condition
    /// timeout with no remediation started yet (on every such evaluation).
    Matched {
        at: SimTime,
        node: NodeId,
        condition: Condition,
    },
    /// An evaluation marked the node for remediation, but its first action
    /// waits for a free slot (Cluster API: the MachineHealthCheck marks
    /// the Machine; the MachineSet deletes it when `maxInFlight` allows).
    Marked { at: SimTime, node: NodeId },
    /// A peer's guard held back an evaluation's remediations. The group has
    /// `total` nodes, `unhealthy` of them unhealthy and `matched` of them
    /// past their condition timeout; `node` is the first of those.
    GuardHeld {
        at: SimTime,
        node: NodeId,
        total: u32,
        unhealthy: u32,
        matched: u32,
    },
}

impl Record {
    pub fn at(&self) -> SimTime {
        match self {
            Record::FaultArrived { at, .. }
            | Record::State { at, .. }
            | Record::Detected { at, .. }
            | Record::ActionStarted { at, .. }
            | Record::ActionEnded { at, .. }
            | Record::Outcome { at, .. }
            | Record::Suppressed { at, .. }
            | Record::Recovered { at, .. }
            | Record::Replaced { at, .. }
            | Record::Matched { at, .. }
            | Record::Marked { at, .. }
            | Record::GuardHeld { at, .. } => *at,
        }
    }

    pub fn node(&self) -> NodeId {
        match self {
            Record::FaultArrived { node, .. }
            | Record::State { node, .. }
            | Record::Detected { node, .. }
            | Record::ActionStarted { node, .. }
            | Record::ActionEnded { node, .. }
            | Record::Outcome { node, .. }
            | Record::Suppressed { node, .. }
            | Record::Recovered { node, .. }
            | Record::Replaced { node, .. }
            | Record::Matched { node, .. }
            | Record::Marked { node, .. }
            | Record::GuardHeld { node, .. } => *node,
        }
    }
}

/// Receives every record of one simulation run.
pub trait Observer {
    /// Before the first record.
    fn begin(&mut self, _scenario: &Scenario) {}
    /// One record, in time order.
    fn record(&mut self, rec: &Record);
    /// After the last record; `horizon` is where the run stopped.
    fn finish(&mut self, _horizon: SimTime) {}
    /// Records about `node` come soon: an observer with per-node state may
    /// [`crate::cache::prefetch`] it. A hint; outputs never depend on it.
    fn prefetch(&self, _node: NodeId) {}
}

/// Several observers, fed in order: `Fanout(vec![&mut a, &mut b])`.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Observer>);

impl Observer for Fanout<'_> {
    fn begin(&mut self, s: &Scenario) {
        for o in self.0.iter_mut() {
            o.begin(s);
        }
    }
    fn record(&mut self, rec: &Record) {
        for o in self.0.iter_mut() {
            o.record(rec);
        }
    }
    fn finish(&mut self, h: SimTime) {
        for o in self.0.iter_mut() {
            o.finish(h);
        }
    }
    fn prefetch(&self, node: NodeId) {
        self.0.iter().for_each(|o| o.prefetch(node));
    }
}

/// Keeps every record: for tests and small runs.
#[derive(Default, Debug)]
pub struct Trace(pub Vec<Record>);

impl Observer for Trace {
    fn record(&mut self, rec: &Record) {
        self.0.push(rec.clone());
    }
}
pub mod events;
pub mod incidents;
pub mod peer_events;
pub mod timeline;
