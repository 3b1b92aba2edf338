//! The invariants of POLICY.md, checked on a record stream.
//!
//! [`InvariantChecker`] is an observer: it watches a run and collects every
//! [`Violation`] with the node, the rule and the time. The property tests
//! run it over random scenarios; a violation is a bug in the engine.

use crate::fleet::NodeId;
use crate::observe::{NodeState, Observer, Record};
use crate::policy::{DelayAnchor, Exclusion, Outcome, RetryMode};
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::fmt;

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub at: SimTime,
    pub node: String,
    pub rule: &'static str,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}: {}",
            self.at, self.node, self.rule, self.detail
        )
    }
}

#[derive(Clone, Default)]
struct NodeWatch {
    open: bool,
    onset: SimTime,
    detected: Option<SimTime>,
    last_end: Option<SimTime>,
    repair_start: Option<SimTime>,
    outcomes: u32,
    excluded: bool,
    acting: bool,
    holds_slot: bool,
    ready: bool,
    recovered: bool,
}

/// Checks the invariants as records stream by.
pub struct InvariantChecker<'a> {
    sc: &'a Scenario,
    nodes: Vec<NodeWatch>,
    /// Each node's taint and upgrade windows `[from, until)`, so an action
    /// start looks only at its own node's windows.
    /// Each node's windows of the marks its provider reads: from, until.
    windows: Vec<Vec<(SimTime, Option<SimTime>)>>,
    never_registered: Vec<bool>,
    last: SimTime,
    slots: u32,
    ready: usize,
    pub violations: Vec<Violation>,
}

impl<'a> InvariantChecker<'a> {
    pub fn new(sc: &'a Scenario) -> Self {
        let mut nodes = vec![
            NodeWatch {
                ready: true,
                ..Default::default()
            };
            sc.fleet.len()
        ];
        for &n in &sc.never_registered {
            nodes[n as usize].ready = false;
        }
        let ready = nodes.iter().filter(|n| n.ready).count();
        let mut windows = vec![Vec::new(); sc.fleet.len()];
        let provider = sc.policy.preset.provider();
        for m in sc
            .marks
            .iter()
            .filter(|m| m.mark.readers().contains(&provider))
        {
            for &n in &m.nodes {
                windows[n as usize].push((m.from, m.until));
            }
        }
        let never_registered = nodes.iter().map(|n| !n.ready).collect();
        InvariantChecker {
            sc,
            nodes,
            windows,
            never_registered,
            last: SimTime::ZERO,
            slots: 0,
            ready,
            violations: Vec::new(),
        }
    }

    fn fail(&mut self, at: SimTime, node: NodeId, rule: &'static str, detail: String) {
        let node = self.sc.fleet.node(node).name.clone();
        self.violations.push(Violation {
            at,
            node,
            rule,
            detail,
        });
    }

    /// A mark the provider reads holds on `node` at `at`.
    fn marked(&self, node: NodeId, at: SimTime) -> bool {
        self.windows[node as usize]
            .iter()
            .any(|&(from, until)| from <= at && until.is_none_or(|u| at < u))
    }

    fn action_started(
        &mut self,
        at: SimTime,
        node: NodeId,
        kind: crate::k8s::ActionKind,
        pass: u32,
    ) {
        let p = &self.sc.policy;
        let w = self.nodes[node as usize].clone();
        let os = self.sc.fleet.node(node).os;
        if !w.open || w.excluded {
            self.fail(
                at,
                node,
                "acted-without-incident",
                "an action started outside an open, non-excluded incident".into(),
            );
        }
        match w.detected {
            None => self.fail(
                at,
                node,
                "action-before-detection",
                "no detection before the first action".into(),
            ),
            Some(d) => {
                // With the onset anchor the delay counts from the first
                // not-Ready check, which is at or after the onset.
                let earliest = match p.repair_delay_anchor {
                    DelayAnchor::Detection => d + p.repair_delay,
                    DelayAnchor::Onset => d.max(w.onset + p.repair_delay),
                };
                if at < earliest {
                    self.fail(
                        at,
                        node,
                        "action-before-repair-delay",
                        format!("detected at {d}, acted at {at}"),
                    );
                }
            }
        }
        if !self.sc.ladder(node).contains(&kind) {
            self.fail(
                at,
                node,
                "action-not-in-ladder",
                format!("{kind} is not in the {os} ladder"),
            );
        }
        if pass > p.max_attempts {
            self.fail(
                at,
                node,
                "too-many-passes",
                format!("pass {pass} > max_attempts {}", p.max_attempts),
            );
        }
        // Redetect and escalation have no overall timeout.
        if let Some(start) = w.repair_start
            && p.retry_mode.has_overall_timeout()
            && at >= start + p.overall_timeout
        {
            self.fail(
                at,
                node,
                "action-after-timeout",
                format!("repair started at {start}"),
            );
        }
        if let Some(end) = w.last_end
            && at < end + p.settle
        {
            self.fail(
                at,
                node,
                "action-before-settle",
                format!("the previous action ended at {end}"),
            );
        }
        if w.acting {
            self.fail(
                at,
                node,
                "start-without-end",
                "an action started while another ran".into(),
            );
        }
        let applies = |e: Exclusion| p.preset.provider().applies(e);
        // Each provider reads its own marks (AKS: taints and upgrades;
        // Cluster API: annotations; medik8s: a label).
        if self.marked(node, at) {
            self.fail(
                at,
                node,
                "acted-on-excluded-node",
                "the node carries a taint, annotation, label or upgrade mark its provider reads"
                    .into(),
            );
        }
        if applies(Exclusion::ClusterTooSmall)
            && (self.sc.fleet.len() as u64) < p.min_cluster_nodes as u64
        {
            self.fail(
                at,
                node,
                "acted-on-excluded-node",
                "the cluster is below min_cluster_nodes".into(),
            );
        }
        if applies(Exclusion::AllNodesNotReady) && p.all_not_ready_suppresses && self.ready == 0 {
            self.fail(
                at,
                node,
                "acted-on-excluded-node",
                "every node was not Ready".into(),
            );
        }
        if applies(Exclusion::NeverRegistered) && self.never_registered[node as usize] {
            self.fail(
                at,
                node,
                "acted-on-excluded-node",
                "the node never registered".into(),
            );
        }
        let n = &mut self.nodes[node as usize];
        n.acting = true;
        if n.repair_start.is_none() {
            n.repair_start = Some(at);
        }
        if !n.holds_slot {
            n.holds_slot = true;
            self.slots += 1;
            let limit = p.max_concurrent_repairs.unwrap_or(u32::MAX);
            if self.slots > limit {
                let s = self.slots;
                self.fail(
                    at,
                    node,
                    "concurrency-limit",
                    format!("{s} repairs at once, limit {limit}"),
                );
            }
        }
    }
}

impl Observer for InvariantChecker<'_> {
    fn prefetch(&self, node: NodeId) {
        crate::cache::prefetch_at(&self.nodes, node as usize);
        crate::cache::prefetch_at(&self.windows, node as usize);
        crate::cache::prefetch_at(&self.sc.fleet.nodes, node as usize);
        crate::cache::prefetch_at(&self.never_registered, node as usize);
    }

    fn record(&mut self, rec: &Record) {
        let (at, node) = (rec.at(), rec.node());
        if at < self.last {
            self.fail(at, node, "time-decreased", format!("after {}", self.last));
        }
        self.last = at;
        match *rec {
            Record::FaultArrived { masked, fault, .. } => {
                if !masked {
                    // The previous incident must be closed: one outcome, and Ready again.
                    let n = &self.nodes[node as usize];
                    if n.open && !(n.outcomes == 1 && n.recovered) {
                        let detail = format!("outcomes {}, recovered {}", n.outcomes, n.recovered);
                        self.fail(at, node, "fault-during-open-incident", detail);
                    }
                    let n = &mut self.nodes[node as usize];
                    *n = NodeWatch {
                        open: true,
                        onset: at,
                        ready: n.ready,
                        ..Default::default()
                    };
                    if self.sc.faults[fault as usize]
                        .exclude
                        .is_some_and(|e| self.sc.policy.preset.provider().applies(e))
                    {
                        n.excluded = true;
                    }
                }
            }
            Record::State { state, .. } => {
                let n = &mut self.nodes[node as usize];
                let ready = state == NodeState::Ready;
                if ready != n.ready {
                    n.ready = ready;
                    if ready {
                        self.ready += 1;
                    } else {
                        self.ready -= 1;
                    }
                }
            }
            Record::Detected { .. } => {
                let n = &mut self.nodes[node as usize];
                if n.detected.is_some() {
                    self.fail(
                        at,
                        node,
                        "detected-twice",
                        "two detections in one incident".into(),
                    );
                } else {
                    n.detected = Some(at);
                }
            }
            Record::ActionStarted { kind, pass, .. } => self.action_started(at, node, kind, pass),
            Record::ActionEnded { fixed, .. } => {
                // Redetect gives the slot up once the node is still
                // unhealthy after the action (the engine does so on the
                // next check, or at once under event-driven detection).
                let n = &mut self.nodes[node as usize];
                if !fixed && self.sc.policy.retry_mode == RetryMode::Redetect && n.holds_slot {
                    n.holds_slot = false;
                    self.slots -= 1;
                }
                if !self.nodes[node as usize].acting {
                    self.fail(
                        at,
                        node,
                        "end-without-start",
                        "an action ended that never started".into(),
                    );
                }
                self.nodes[node as usize].acting = false;
                self.nodes[node as usize].last_end = Some(at);
            }
            Record::Outcome { outcome, .. } => {
                let n = &mut self.nodes[node as usize];
                n.outcomes += 1;
                if matches!(outcome, Outcome::Excluded(_)) {
                    n.excluded = true;
                }
                let (held, acting, outcomes) = (n.holds_slot, n.acting, n.outcomes);
                n.holds_slot = false;
                if held {
                    self.slots -= 1;
                }
                if acting {
                    self.fail(
                        at,
                        node,
                        "outcome-during-action",
                        format!("{outcome} while an action ran"),
                    );
                }
                if outcomes > 1 {
                    self.fail(
                        at,
                        node,
                        "one-outcome-per-incident",
                        format!("second outcome {outcome}"),
                    );
                }
            }
            Record::Suppressed {
                reason: Exclusion::AllNodesNotReady,
                ..
            } => {
                if self.ready != 0 {
                    self.fail(
                        at,
                        node,
                        "suppressed-without-guard",
                        "a node was Ready".into(),
                    );
                }
            }
            Record::Recovered { .. } => {
                let (open, recovered) = (
                    self.nodes[node as usize].open,
                    self.nodes[node as usize].recovered,
                );
                if !open || recovered {
                    self.fail(
                        at,
                        node,
                        "recovered-twice",
                        "a recovery outside an open incident".into(),
                    );
                }
                self.nodes[node as usize].recovered = true;
            }
            Record::Suppressed { .. }
            | Record::Replaced { .. }
            | Record::Matched { .. }
            | Record::Marked { .. }
            | Record::GuardHeld { .. } => {}
        }
    }

    fn finish(&mut self, horizon: SimTime) {
        for id in 0..self.nodes.len() {
            if self.nodes[id].outcomes > 1 {
                self.fail(
                    horizon,
                    id as NodeId,
                    "one-outcome-per-incident",
                    "more than one outcome".into(),
                );
            }
        }
    }
}
