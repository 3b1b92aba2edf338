//! Event-driven detection (PEERS.md section 0): the peers' controllers
//! evaluate a node when conditions change and at the requeue instant
//! `LTT + timeout + requeue_offset`, instead of on a check grid.
//!
//! Nodes are grouped into evaluation units (a node, a pool or the cluster).
//! Each unit keeps its pending nodes (matching, timeout not run out) by the
//! instant they become eligible, and its eligible nodes waiting for an
//! action, so an evaluation costs the nodes it decides about, never the
//! unit's size. Guard groups keep running counts of unhealthy nodes.
//!
//! Invariant: a node is in its unit's pending set, its waiting set, or
//! neither, as [`Sim::place`] last computed from its phase, condition and
//! lastTransitionTime.

use super::{Event, Sim};
use crate::fleet::NodeId;
use crate::k8s::Condition;
use crate::observe::Record;
use crate::policy::rules::{EvalUnit, EventDetection, Guard, Scope};
use crate::policy::{DetectRule, End, Phase, RetryMode};
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::collections::BTreeSet;

/// The error of a replacement whose node missed the startup timeout.
pub(super) const STARTUP_TIMEOUT: &str = "NodeStartupTimeout";

use crate::policy::rules::LONE_TEMPLATE_TIMEOUT;

/// The nodes of one evaluation unit.
#[derive(Default)]
pub(super) struct Unit {
    /// Matching nodes whose timeout has not run out: (eligible at, name
    /// rank, node).
    pending: BTreeSet<(SimTime, u32, NodeId)>,
    /// Eligible nodes without an action: (name rank, node).
    waiting: BTreeSet<(u32, NodeId)>,
    /// The evaluation a watched change asked for (the earliest).
    trigger: Option<SimTime>,
    /// The delayed requeue (`RequeueAfter`): the earliest asked for. An
    /// evaluation in between does not consume it, as a controller's
    /// delaying work queue does not.
    requeue: Option<SimTime>,
    last_eval: Option<SimTime>,
}

/// Why an evaluation is asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Why {
    /// A watched node's condition changed, or a slot freed.
    Trigger,
    /// A delayed requeue.
    Requeue,
}

/// What event-driven detection keeps per node.
#[derive(Clone, Copy, Default)]
struct EvNode {
    /// The Ready condition's lastTransitionTime.
    ltt: SimTime,
    /// A new machine's first condition post is a transition even when it
    /// shows what the old one showed.
    fresh_ltt: bool,
    /// The instant the node becomes eligible, while it is in its unit's
    /// pending set.
    pending: Option<SimTime>,
    /// In its unit's set of eligible nodes waiting for an action.
    waiting: bool,
    /// Counted as unhealthy in its guard group.
    unhealthy: bool,
    /// Left out of its guard group's counts (a skipped Machine).
    out: bool,
    /// Unhealthy now whatever its condition: its replacement's node never
    /// came up (MHC's node startup timeout).
    unhealthy_now: bool,
}

/// A guard group's counts.
#[derive(Clone, Copy, Default)]
pub(super) struct GroupCount {
    total: u32,
    /// Not Ready, or acting (a node being replaced counts until its
    /// replacement is Ready).
    unhealthy: u32,
}

pub(super) struct EventState {
    det: EventDetection,
    guard: Option<Guard>,
    units: Vec<Unit>,
    groups: Vec<GroupCount>,
    nodes: Vec<EvNode>,
    /// Each node's position in node name order (MHC and NHC evaluate their
    /// targets in that order).
    rank: Vec<u32>,
    /// Scratch list of an evaluation.
    scratch: Vec<NodeId>,
}

impl EventState {
    pub(super) fn new(sc: &Scenario) -> Option<EventState> {
        let crate::policy::rules::Detection::Event(det) = sc.policy.detection else {
            return None;
        };
        let fleet = &sc.fleet;
        let units = match det.unit {
            EvalUnit::Node => fleet.len(),
            EvalUnit::Pool => fleet.pools.len(),
            EvalUnit::Cluster => 1,
        };
        let guard = sc.policy.guard;
        let groups = match guard.map(|g| g.scope) {
            Some(Scope::Pool) => fleet.pools.len(),
            _ => 1,
        };
        let mut by_name: Vec<NodeId> = (0..fleet.len() as NodeId).collect();
        by_name.sort_by(|&a, &b| fleet.node(a).name.cmp(&fleet.node(b).name));
        let mut rank = vec![0; fleet.len()];
        for (r, &n) in by_name.iter().enumerate() {
            rank[n as usize] = r as u32;
        }
        let mut st = EventState {
            det,
            guard,
            units: (0..units).map(|_| Unit::default()).collect(),
            groups: vec![GroupCount::default(); groups],
            nodes: vec![EvNode::default(); fleet.len()],
            rank,
            scratch: Vec::new(),
        };
        for id in 0..fleet.len() as NodeId {
            let g = st.group_index(sc, id);
            st.groups[g].total += 1;
        }
        for &n in &sc.never_registered {
            let g = st.group_index(sc, n);
            st.groups[g].unhealthy += 1;
            st.nodes[n as usize].unhealthy = true;
        }
        Some(st)
    }

    /// The node's next condition post counts as a transition.
    pub(super) fn fresh(&self, node: NodeId) -> bool {
        self.nodes[node as usize].fresh_ltt
    }

    pub(super) fn set_fresh(&mut self, node: NodeId) {
        self.nodes[node as usize].fresh_ltt = true;
    }

    pub(super) fn startup_timeout(&self) -> Option<crate::time::SimDuration> {
        self.det.startup_timeout
    }

    pub(super) fn set_unhealthy_now(&mut self, node: NodeId, on: bool) {
        self.nodes[node as usize].unhealthy_now = on;
    }

    fn group_index(&self, sc: &Scenario, node: NodeId) -> usize {
        match self.guard.map(|g| g.scope) {
            Some(Scope::Pool) => sc.fleet.node(node).pool,
            _ => 0,
        }
    }
}

impl Sim<'_> {
    fn evs(&self) -> &EventState {
        self.ev.as_ref().expect("event-driven detection")
    }

    fn evs_mut(&mut self) -> &mut EventState {
        self.ev.as_mut().expect("event-driven detection")
    }

    pub(super) fn unit_of(&self, node: NodeId) -> usize {
        match self.evs().det.unit {
            EvalUnit::Node => node as usize,
            EvalUnit::Pool => self.pool_of(node),
            EvalUnit::Cluster => 0,
        }
    }

    /// Keeps the node's guard group counts in step with its state and
    /// marks: a Machine that Cluster API skips is no target at all.
    pub(super) fn recount(&mut self, node: NodeId) {
        let n = &self.nodes[node as usize];
        let out = self.out_of_targets(node);
        // A condition no check matches counts as healthy.
        let now = !out && (self.evs().det.timeout(n.posted).is_some() || n.action.is_some());
        let e = self.evs().nodes[node as usize];
        if (now, out) == (e.unhealthy, e.out) {
            return;
        }
        let g = self.evs().group_index(self.sc, node);
        let st = self.evs_mut();
        let n = &mut st.nodes[node as usize];
        n.unhealthy = now;
        n.out = out;
        let c = &mut st.groups[g];
        c.unhealthy = c.unhealthy + u32::from(now) - u32::from(e.unhealthy);
        c.total = c.total + u32::from(e.out) - u32::from(out);
    }

    /// Posts a condition from the kubelet or the node lifecycle controller.
    /// A new machine's first post is a transition even when the condition
    /// is the one the old machine showed.
    pub(super) fn post_condition(&mut self, node: NodeId, c: Condition) {
        let same = self.nodes[node as usize].posted == c;
        let fresh = self
            .ev
            .as_mut()
            .is_some_and(|e| std::mem::replace(&mut e.nodes[node as usize].fresh_ltt, false));
        if fresh && same {
            self.condition_changed(node);
        } else {
            self.set_condition(node, c);
        }
    }

    /// The Ready condition changed (or a new machine posted its first).
    pub(super) fn condition_changed(&mut self, node: NodeId) {
        let now = self.now;
        self.evs_mut().nodes[node as usize].ltt = now;
        self.recount(node);
        self.place(node);
        // MHC and NHC: any target's change triggers an evaluation of all.
        if self.evs().det.unit != EvalUnit::Node {
            let unit = self.unit_of(node);
            self.request_eval(unit, self.now, Why::Trigger);
        }
    }

    /// Puts the node where its state says: pending until its condition
    /// timeout runs out, waiting once it has, or neither.
    pub(super) fn place(&mut self, node: NodeId) {
        let Some(st) = self.ev.as_ref() else {
            return;
        };
        let n = &self.nodes[node as usize];
        let e = st.nodes[node as usize];
        let looking = matches!(
            n.phase,
            Phase::Unnoticed { .. }
                | Phase::Suspect { .. }
                | Phase::Detected { .. }
                | Phase::Queued { .. }
        ) && n.action.is_none()
            && !e.fresh_ltt
            // An OS with an empty ladder is not repaired (EKS: the node
            // monitoring agent and repair are Linux only).
            && !self.plans[self.pool_of(node)].is_empty();
        let want = if looking && e.unhealthy_now {
            Some(self.now)
        } else if looking {
            st.det.eligible_at(n.posted, e.ltt)
        } else {
            None
        };
        let now = self.now;
        let (was_pending, was_waiting) = (e.pending, e.waiting);
        let (pending, waiting) = match want {
            Some(e) if e <= now => (None, true),
            Some(e) => (Some(e), false),
            None => (None, false),
        };
        if (pending, waiting) == (was_pending, was_waiting) {
            return;
        }
        let unit = self.unit_of(node);
        let rank = st.rank[node as usize];
        let st = self.ev.as_mut().expect("checked above");
        let u = &mut st.units[unit];
        if let Some(e) = was_pending {
            u.pending.remove(&(e, rank, node));
        }
        if was_waiting {
            u.waiting.remove(&(rank, node));
        }
        if let Some(e) = pending {
            u.pending.insert((e, rank, node));
        }
        if waiting {
            u.waiting.insert((rank, node));
        }
        let n = &mut st.nodes[node as usize];
        n.pending = pending;
        n.waiting = waiting;
        if let Some(e) = pending {
            let at = self.evs().det.requeue_at(e);
            self.request_eval(unit, at, Why::Requeue);
        } else if waiting && !was_waiting {
            self.request_eval(unit, now, Why::Trigger);
        }
    }

    /// Asks for an evaluation of `unit` at `at`, deferred to the unit's
    /// minimum spacing. A unit keeps the earliest trigger and the earliest
    /// requeue.
    pub(super) fn request_eval(&mut self, unit: usize, at: SimTime, why: Why) {
        let st = self.evs_mut();
        let u = &mut st.units[unit];
        let at = match u.last_eval {
            Some(last) => at.max(last + st.det.min_eval_interval),
            None => at,
        };
        let slot = match why {
            Why::Trigger => &mut u.trigger,
            Why::Requeue => &mut u.requeue,
        };
        if slot.is_none_or(|t| at < t) {
            *slot = Some(at);
            self.push(at, Event::Evaluate { unit: unit as u32 });
        }
    }

    /// Every evaluation due now, in unit order. `false` when all were stale.
    pub(super) fn evaluation_round(&mut self, first: Event) -> bool {
        let now = self.now;
        let mut units = Vec::new();
        let mut take = |sim: &mut Self, ev: Event| {
            let Event::Evaluate { unit } = ev else {
                return;
            };
            let st = sim.evs_mut();
            let min = st.det.min_eval_interval;
            let u = &mut st.units[unit as usize];
            let (t, r) = (u.trigger == Some(now), u.requeue == Some(now));
            if !t && !r {
                return;
            }
            // Another evaluation ran since this one was asked for: the
            // rate limit defers it.
            if let Some(last) = u.last_eval
                && now < last + min
            {
                let at = last + min;
                if t {
                    u.trigger = Some(at);
                }
                if r {
                    u.requeue = Some(at);
                }
                sim.push(at, ev);
                return;
            }
            if t {
                u.trigger = None;
            }
            if r {
                u.requeue = None;
            }
            units.push(unit as usize);
        };
        take(self, first);
        while let Some((t, super::RANK_CHECK)) = self.queue.peek() {
            if t != now {
                break;
            }
            let Some((_, _, ev)) = self.queue.pop() else {
                break;
            };
            take(self, ev);
        }
        units.sort_unstable();
        units.dedup();
        for &unit in &units {
            self.evaluate(unit);
        }
        if !units.is_empty() {
            self.events_applied += 1;
        }
        !units.is_empty()
    }

    /// One evaluation of `unit` at `now`: pending nodes whose timeout ran
    /// out become eligible; the guard decides, once for the evaluation,
    /// whether the eligible ones start their remediation.
    fn evaluate(&mut self, unit: usize) {
        let now = self.now;
        let st = self.evs_mut();
        st.units[unit].last_eval = Some(now);
        let mut eligible = std::mem::take(&mut st.scratch);
        eligible.clear();
        let u = &mut st.units[unit];
        while let Some(&(e, rank, node)) = u.pending.first() {
            if e > now {
                break;
            }
            u.pending.pop_first();
            u.waiting.insert((rank, node));
            let n = &mut st.nodes[node as usize];
            n.pending = None;
            n.waiting = true;
        }
        eligible.extend(u.waiting.iter().map(|&(_, n)| n));
        for &node in &eligible {
            let ltt = self.evs().nodes[node as usize].ltt;
            let n = &mut self.nodes[node as usize];
            if !matches!(n.phase, Phase::Detected { .. } | Phase::Queued { .. }) {
                n.phase = Phase::Detected {
                    first_not_ready: ltt,
                    detected: now,
                };
            }
            let condition = n.posted;
            if !std::mem::replace(&mut n.detected, true) {
                let rule = if condition == Condition::Unknown {
                    DetectRule::NoStatus
                } else {
                    DetectRule::NotReady
                };
                self.emit(Record::Detected {
                    at: now,
                    node,
                    rule,
                });
            }
            self.emit(Record::Matched {
                at: now,
                node,
                condition,
            });
        }
        // The peers' node-level exclusions are re-read on every
        // evaluation and hold a node back as a guard does (PEERS.md
        // section 0); the node stays waiting. Most are checked before the
        // guard; NHC's label only for the nodes the guard lets through.
        let mut after_guard = Vec::new();
        let mut kept = 0;
        for i in 0..eligible.len() {
            let node = eligible[i];
            match self.exclusion(node) {
                Some(reason) if !reason.after_guard() => self.hold(node, reason),
                held => {
                    if let Some(reason) = held {
                        after_guard.push((node, reason));
                    }
                    eligible[kept] = node;
                    kept += 1;
                }
            }
        }
        eligible.truncate(kept);
        let suppressed = eligible.first().and_then(|&node| self.guard_holding(node));
        if suppressed.is_none() && !after_guard.is_empty() {
            for &(node, reason) in &after_guard {
                self.hold(node, reason);
            }
            // Both lists are in evaluation order: one merge pass.
            let mut held = after_guard.iter().peekable();
            eligible.retain(|&n| {
                let skip = held.peek().is_some_and(|&&(h, _)| h == n);
                if skip {
                    held.next();
                }
                !skip
            });
        }
        if let (Some(guard), Some(&first)) = (suppressed, eligible.first()) {
            let st = self.evs();
            let c = st.groups[st.group_index(self.sc, first)];
            self.emit(Record::GuardHeld {
                at: now,
                node: first,
                total: c.total,
                unhealthy: c.unhealthy,
                matched: eligible.len() as u32,
            });
            // On every suppressed evaluation: observers fold the episodes.
            for &node in &eligible {
                self.emit(Record::Suppressed {
                    at: now,
                    node,
                    reason: guard.name,
                });
            }
            if let Some(d) = guard.recheck {
                self.request_eval(unit, now + d, Why::Requeue);
            }
        } else {
            let delay = self.sc.policy.repair_delay;
            self.remediation_order(&mut eligible);
            for &node in &eligible {
                // The repair delay counts from detection.
                if let Phase::Detected { detected, .. } = self.nodes[node as usize].phase
                    && now < detected + delay
                {
                    self.request_eval(unit, detected + delay, Why::Requeue);
                    continue;
                }
                if self.slot_free(node) {
                    self.take_slot(node);
                    self.queued.remove(&node);
                    self.start_action(node, 0);
                } else {
                    let n = &mut self.nodes[node as usize];
                    if !matches!(n.phase, Phase::Queued { .. }) {
                        self.emit(Record::Marked { at: now, node });
                    }
                    let n = &mut self.nodes[node as usize];
                    n.phase = n.phase.queued(now);
                    self.queued.insert(node);
                }
            }
        }
        let st = self.evs_mut();
        st.scratch = eligible;
        if suppressed.is_none() || st.det.requeue_when_suppressed {
            let next = st.units[unit].pending.first().map(|&(e, _, _)| e);
            if let Some(e) = next {
                let at = st.det.requeue_at(e);
                self.request_eval(unit, at, Why::Requeue);
            }
        }
    }

    /// A node-level exclusion held `node` back at this evaluation.
    pub(super) fn hold(&mut self, node: NodeId, reason: crate::policy::Exclusion) {
        self.nodes[node as usize].held.get_or_insert(reason);
        self.emit(Record::Suppressed {
            at: self.now,
            node,
            reason,
        });
    }

    /// Orders the nodes that may start a remediation for the in-flight
    /// slots: Cluster API's MachineSet deletes the newest Machine first,
    /// then by name (PEERS.md section 3); everyone else goes by name.
    pub(super) fn remediation_order(&self, nodes: &mut [NodeId]) {
        if self.sc.policy.pool_slots.is_some_and(|s| s.until_deleted()) {
            let rank = &self.evs().rank;
            nodes.sort_by_key(|&n| {
                (
                    std::cmp::Reverse(self.nodes[n as usize].created),
                    rank[n as usize],
                )
            });
        }
    }

    /// The guard, if it holds new remediations back in `node`'s group now.
    fn guard_holding(&self, node: NodeId) -> Option<Guard> {
        let st = self.evs();
        let g = st.guard?;
        let c = st.groups[st.group_index(self.sc, node)];
        (!g.allows(c.total, c.unhealthy)).then_some(g)
    }

    /// With [`RetryMode::Escalate`], the timeout of the step just started.
    pub(super) fn arm_step_timeout(&mut self, node: NodeId, step: usize) {
        let p = &self.sc.policy;
        if p.retry_mode != RetryMode::Escalate {
            return;
        }
        // A lone template has no timeout of its own; NHC's lease on it is
        // overdue after 3 x 10 minutes (PEERS.md section 4). A ladder longer
        // than its timeouts reuses the last one.
        let t = if self.lone[self.pool_of(node)] {
            Some(LONE_TEMPLATE_TIMEOUT)
        } else {
            p.step_timeouts
                .get(step)
                .or(p.step_timeouts.last())
                .copied()
        };
        if let Some(t) = t {
            let incident = self.nodes[node as usize].incident;
            self.push(
                self.now + t,
                Event::StepTimeout {
                    node,
                    incident,
                    step: step as u8,
                },
            );
        }
    }

    /// An action ended under event-driven detection.
    pub(super) fn after_action(&mut self, node: NodeId, failed: bool, cleared: bool) {
        self.recount(node);
        let phase = self.nodes[node as usize].phase;
        match self.sc.policy.retry_mode {
            // Escalation: a failed remediation moves on at once; otherwise
            // the step's timeout decides.
            RetryMode::Escalate => {
                if failed
                    && !cleared
                    && let Phase::Settling { next_step, .. } = phase
                {
                    self.escalate(node, next_step);
                }
            }
            // Still unhealthy: the node waits out its own condition
            // timeout again, and gives its slot up meanwhile.
            _ if !cleared => {
                self.nodes[node as usize].phase = Phase::Suspect {
                    first_not_ready: self.now,
                };
                self.release(node);
            }
            _ => {}
        }
        self.place(node);
    }

    /// Step `step` timed out; `false` if the event is stale.
    pub(super) fn step_timeout(&mut self, node: NodeId, incident: u32, step: usize) -> bool {
        let n = &self.nodes[node as usize];
        let on_step = match n.phase {
            Phase::Acting { step: s, .. } => s == step,
            Phase::Settling { next_step, .. } => next_step == step + 1,
            _ => false,
        };
        if n.incident != incident || !on_step || n.recovered {
            return false;
        }
        // A remediation still running is stopped; nothing it did counts.
        // The node comes back with its fault: a running kubelet posts it.
        if let Some(run) = self.nodes[node as usize].action.take() {
            self.emit(Record::ActionEnded {
                at: self.now,
                node,
                kind: run.kind,
                error: None,
                fixed: false,
            });
            let f = self.nodes[node as usize].fault;
            if f.is_some_and(|f| f.cleared || f.signal == crate::faults::Signal::NotReady) {
                self.kubelet_resumes(node);
            }
            self.update_state(node);
            self.recount(node);
        }
        self.escalate(node, step + 1);
        true
    }

    /// The next escalation step starts now, or the repair gives up.
    pub(super) fn escalate(&mut self, node: NodeId, next: usize) {
        let plan_len = self.plans[self.pool_of(node)].len();
        if next < plan_len {
            // NHC skips a labelled node, and a paused NHC creates nothing:
            // the next remediation waits until neither holds.
            if let Some(reason) = self.exclusion(node) {
                self.hold(node, reason);
                self.nodes[node as usize].held_step = Some(next);
                return;
            }
            self.start_action(node, next);
            return;
        }
        // A single template times out (the lease is overdue); a list of
        // them runs out (`NoTemplateLeft`).
        let end = if self.lone[self.pool_of(node)] {
            End::Timeout
        } else {
            End::Exhausted
        };
        let now = self.now;
        self.release(node);
        self.nodes[node as usize].phase = Phase::Abandoned { at: now };
        self.end_repair(node, end);
        self.place(node);
    }
}
