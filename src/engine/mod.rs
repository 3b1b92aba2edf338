//! The simulation engine: one loop over a closed `Event` enum.
//!
//! The engine owns the clock, the event queue, the physical state of every
//! node (fault, running action, what the kubelet and the control plane
//! show) and the repair slots. It asks the policy machine
//! ([`crate::policy::Phase`]) what to do and applies the answer. It never
//! reads a file and never prints: everything it knows leaves through
//! [`Record`]s to an [`Observer`].
//!
//! Cost grows with state changes. Kubelet ticks, lease renewals, node-monitor
//! ticks and auto-repair checks are global grids; the engine computes the
//! one instant on each grid that matters for a node and schedules only that.
//!
//! Invariant: the engine cannot fail. Everything it reads was validated
//! into a [`Scenario`].

mod event;
mod queue;

pub use queue::EventQueue;

use crate::dist::DurationDist;
use crate::faults::{FaultId, Mark, Signal};
use crate::fleet::{NodeId, Os};
use crate::k8s::{ActionKind, Condition, ERROR_CODES};
use crate::observe::{NodeState, Observer, Record};
use crate::policy::machine::Ctx;
use crate::policy::{CheckView, End, Exclusion, Outcome, Phase, PlannedAction};
use crate::rng::{Purpose, stream};
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime};
use crate::trace::{Input, TraceCursor};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

/// Tie ranks of POLICY.md section 2: at one instant, faults and recoveries
/// apply first, then action ends, then condition changes, then checks.
const RANK_FAULT: u8 = 0;
const RANK_ACTION_END: u8 = 1;
const RANK_CONDITION: u8 = 2;
/// An escalation step's timeout (after the condition changes of its
/// instant, before the evaluations).
const RANK_TIMEOUT: u8 = 3;
const RANK_CHECK: u8 = 4;

/// Everything that can happen. One `match` in [`Sim::apply`] handles it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    /// The failure trace's input just taken ([`Sim::input`]: a fault, a
    /// taint or upgrade window). Inputs come from the trace's cursor, never
    /// from the queue, so the queue's entries stay small.
    Input,
    /// The fault of incident `incident` goes away by itself.
    Heal {
        node: NodeId,
        incident: u32,
    },
    ActionEnd {
        node: NodeId,
    },
    /// The kubelet's status tick that posts a changed condition.
    KubeletTick {
        node: NodeId,
    },
    /// The node lifecycle controller sets Unknown, if the node still expects
    /// it. An expiry inside a running action has no event: the action's end
    /// applies it ([`RunningAction::lease_expires`]).
    LeaseExpired {
        node: NodeId,
    },
    /// An auto-repair check of this node.
    Check {
        node: NodeId,
    },
    /// An event-driven evaluation of one unit (a node, a pool or the
    /// cluster: [`crate::policy::rules::EvalUnit`]).
    Evaluate {
        unit: u32,
    },
    /// The timeout of escalation step `step` of incident `incident`.
    StepTimeout {
        node: NodeId,
        incident: u32,
        step: u8,
    },
}

impl Event {
    fn rank(self) -> u8 {
        match self {
            Event::Input | Event::Heal { .. } => RANK_FAULT,
            Event::ActionEnd { .. } => RANK_ACTION_END,
            Event::KubeletTick { .. } | Event::LeaseExpired { .. } => RANK_CONDITION,
            Event::StepTimeout { .. } => RANK_TIMEOUT,
            Event::Check { .. } | Event::Evaluate { .. } => RANK_CHECK,
        }
    }
}

/// An optional instant in 8 bytes (`Option<SimTime>` takes 16): the
/// engine's per-node state is its largest memory and its cache misses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct OptTime(u64);

impl OptTime {
    const NONE: OptTime = OptTime(u64::MAX);

    fn get(self) -> Option<SimTime> {
        (self != OptTime::NONE).then_some(SimTime(self.0))
    }

    fn is_none(self) -> bool {
        self == OptTime::NONE
    }

    fn is_some(self) -> bool {
        !self.is_none()
    }
}

impl From<Option<SimTime>> for OptTime {
    fn from(t: Option<SimTime>) -> OptTime {
        // u64::MAX ms is past any horizon (at most 100 years).
        debug_assert!(t != Some(SimTime(u64::MAX)), "an instant at u64::MAX ms");
        t.map_or(OptTime::NONE, |t| OptTime(t.ms()))
    }
}

impl PartialEq<Option<SimTime>> for OptTime {
    fn eq(&self, o: &Option<SimTime>) -> bool {
        self.get() == *o
    }
}

/// The fault behind a node's open incident.
#[derive(Clone, Copy, Debug)]
struct ActiveFault {
    id: FaultId,
    signal: Signal,
    /// The fault is gone (fixed, or healed by itself), though the node may
    /// still be inside an action.
    cleared: bool,
    /// The fault's self-heal instant has passed.
    healed: bool,
}

#[derive(Clone, Copy, Debug)]
struct RunningAction {
    kind: ActionKind,
    error: Option<&'static str>,
    /// When the running phase ends.
    ends: SimTime,
    /// 0, or 1 in the second phase of a two-phase kind.
    phase: u8,
    /// The second phase's length, while the first runs \[ms\].
    second: Option<SimDuration>,
    /// The lease expiry that falls inside the action, if any. It changes
    /// only the hidden condition (the timeline shows the action), so it is
    /// applied at the action's end instead of through an event of its own.
    lease_expires: OptTime,
}

/// Per-node random streams, made on first use (most nodes never need them).
struct NodeRngs {
    duration: ChaCha8Rng,
    error: ChaCha8Rng,
}

struct NodeRt {
    phase: Phase,
    /// The node's OS and pool, copied from the fleet: every check reads
    /// them (the plan, the pool's slots), and the fleet's node records are
    /// colder.
    os: Os,
    pool: u32,
    fault: Option<ActiveFault>,
    action: Option<RunningAction>,
    /// The Ready condition the control plane shows.
    posted: Condition,
    /// The last heartbeat while the kubelet is silent; `None` while it runs.
    silent_since: OptTime,
    /// The node has been Ready since it joined.
    registered: bool,
    /// Active taint and upgrade windows by kind: shutdown, to-be-deleted, upgrading.
    marks: [u16; Mark::COUNT],
    /// The check this node expects (others for it are stale).
    next_check: OptTime,
    /// The kubelet tick this node expects.
    kubelet_tick: OptTime,
    /// The `LeaseExpired` event this node expects.
    lease_expiry: OptTime,
    /// The last action that left the node fixed, for the outcome.
    fixed_by: Option<ActionKind>,
    /// Recovered was recorded for the open incident.
    recovered: bool,
    /// A Suppressed record was emitted for the open incident.
    suppressed: bool,
    /// A Detected record was emitted for the open incident (a policy that
    /// detects again from scratch records the first detection only).
    detected: bool,
    /// The first node-level exclusion that held the open incident's node
    /// back under event-driven detection (PEERS.md section 0).
    held: Option<Exclusion>,
    /// An action started in the open incident.
    acted: bool,
    /// Actions of each kind started in the open incident, for its fault's
    /// recorded attempts.
    attempts: [u16; ActionKind::ALL.len()],
    /// The escalation step an exclusion holds back (it starts when the
    /// exclusion goes).
    held_step: Option<usize>,
    /// When the node's current machine was created: 0 for the fleet's
    /// own, the end of the delete phase for a replacement \[ms\].
    created: SimTime,
    /// The repair holds a concurrency slot (from its first action's start
    /// until its phase stops holding one, or its old machine is deleted).
    holds_slot: bool,
    /// Counts incidents, so a stale heal is recognised.
    incident: u32,
    /// What the timeline shows.
    state: NodeState,
    rngs: Option<Box<NodeRngs>>,
}

/// One simulation run of a scenario (one replication).
pub struct Sim<'a> {
    sc: &'a Scenario,
    obs: &'a mut dyn Observer,
    replication: u64,
    queue: EventQueue<Event>,
    now: SimTime,
    nodes: Vec<NodeRt>,
    /// Plans by pool: the pool's own ladder, or the policy's for its OS.
    plans: Vec<Vec<PlannedAction>>,
    /// By pool: its nodes are remediated by one template with no
    /// escalation ([`crate::policy::Policy::lone_ladder`]).
    lone: Vec<bool>,
    /// Nodes whose control plane shows Ready=True.
    ready_count: usize,
    /// Repairs holding a concurrency slot.
    slots_used: u32,
    /// With per-pool slots: repairs holding a slot, and nodes not Ready,
    /// per pool (empty otherwise).
    pool_used: Vec<u32>,
    pool_not_ready: Vec<u32>,
    /// Nodes due for a first action that found no free slot, in node order.
    queued: BTreeSet<NodeId>,
    /// The failure trace, drawn as the run goes.
    trace: TraceCursor,
    /// The input [`Event::Input`] applies: the last one taken from `trace`.
    input: Input,
    finished: bool,
    /// Events applied so far (stale ones excluded), for benchmarks.
    events_applied: u64,
    /// Some kind of action has a positive error rate.
    errors_possible: bool,
    /// The exclusions the provider applies, as bits `1 << Exclusion as u16`.
    applies: u16,
    /// The marks the provider reads, as bits by `Mark` discriminant.
    reads: u8,
    /// Scratch lists of a check round, kept to spare an allocation per round.
    due: Vec<NodeId>,
    starts: Vec<(NodeId, usize)>,
    /// Event-driven detection, if the policy uses it.
    ev: Option<event::EventState>,
    /// Replacements so far of the nodes that were replaced (a name's
    /// `-r<k>`); few nodes ever are.
    replacements: std::collections::BTreeMap<NodeId, u32>,
}

impl<'a> Sim<'a> {
    /// Builds replication `replication` of `scenario`, feeding `obs`.
    pub fn new(sc: &'a Scenario, replication: u64, obs: &'a mut dyn Observer) -> Sim<'a> {
        let p = &sc.policy;
        let never: BTreeSet<NodeId> = sc.never_registered.iter().copied().collect();
        let nodes = (0..sc.fleet.len() as NodeId)
            .map(|id| {
                let unregistered = never.contains(&id);
                NodeRt {
                    phase: Phase::Healthy,
                    os: sc.fleet.node(id).os,
                    pool: sc.fleet.node(id).pool as u32,
                    fault: None,
                    action: None,
                    posted: if unregistered {
                        Condition::Unknown
                    } else {
                        Condition::Ready
                    },
                    silent_since: unregistered.then_some(SimTime::ZERO).into(),
                    registered: !unregistered,
                    marks: [0; Mark::COUNT],
                    next_check: OptTime::NONE,
                    kubelet_tick: OptTime::NONE,
                    lease_expiry: OptTime::NONE,
                    fixed_by: None,
                    recovered: false,
                    suppressed: false,
                    held: None,
                    acted: false,
                    attempts: [0; ActionKind::ALL.len()],
                    held_step: None,
                    detected: false,
                    created: SimTime::ZERO,
                    holds_slot: false,
                    incident: 0,
                    state: if unregistered {
                        NodeState::Unknown
                    } else {
                        NodeState::Ready
                    },
                    rngs: None,
                }
            })
            .collect();
        let sim = Sim {
            sc,
            obs,
            replication,
            queue: EventQueue::default(),
            now: SimTime::ZERO,
            nodes,
            plans: (0..sc.fleet.pools.len())
                .map(|pool| p.plan_of(sc.pool_ladder(pool)))
                .collect(),
            lone: (0..sc.fleet.pools.len())
                .map(|pool| p.lone_ladder(sc.pool_ladder(pool)))
                .collect(),
            ready_count: sc.fleet.len() - never.len(),
            slots_used: 0,
            pool_used: if p.pool_slots.is_some() {
                vec![0; sc.fleet.pools.len()]
            } else {
                Vec::new()
            },
            pool_not_ready: if p.pool_slots.is_some() {
                let mut v = vec![0; sc.fleet.pools.len()];
                for &n in &never {
                    v[sc.fleet.node(n).pool] += 1;
                }
                v
            } else {
                Vec::new()
            },
            queued: BTreeSet::new(),
            trace: TraceCursor::new(sc, replication),
            input: Input::Mark {
                window: 0,
                on: false,
            },
            finished: false,
            events_applied: 0,
            errors_possible: ActionKind::ALL
                .iter()
                .any(|&k| sc.actions.get(k).error_rate > 0.0),
            due: Vec::new(),
            starts: Vec::new(),
            // A recorded history's unexplained exclusion holds under every
            // provider: a replay invents no repair.
            applies: Exclusion::ALL
                .into_iter()
                .filter(|&e| p.preset.provider().applies(e) || e == Exclusion::Unknown)
                .fold(0, |m, e| m | 1 << e as u16),
            reads: Mark::ALL
                .into_iter()
                .filter(|m| m.readers().contains(&p.preset.provider()))
                .fold(0, |r, m| r | 1 << m as u8),
            ev: event::EventState::new(sc),
            replacements: Default::default(),
        };
        sim.obs.begin(sc);
        for &node in &never {
            let state = NodeState::Unknown;
            sim.obs.record(&Record::State {
                at: SimTime::ZERO,
                node,
                state,
            });
        }
        sim
    }

    fn push(&mut self, at: SimTime, ev: Event) {
        self.queue.push(at, ev.rank(), ev);
    }

    fn emit(&mut self, rec: Record) {
        self.obs.record(&rec);
    }

    /// The current simulated time \[ms\].
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The controller's phase for `node`.
    pub fn phase(&self, node: NodeId) -> Phase {
        self.nodes[node as usize].phase
    }

    /// The Ready condition the control plane shows for `node` now
    /// (a lease that expired during a running action counts from its
    /// expiry, though the engine applies it only at the action's end).
    pub fn condition(&self, node: NodeId) -> Condition {
        let n = &self.nodes[node as usize];
        match n.action {
            Some(a) if a.lease_expires.get().is_some_and(|e| e <= self.now) => Condition::Unknown,
            _ => n.posted,
        }
    }

    /// What the timeline shows for `node` now.
    pub fn state(&self, node: NodeId) -> NodeState {
        self.nodes[node as usize].state
    }

    /// Repairs holding a concurrency slot now.
    pub fn repairs_in_progress(&self) -> u32 {
        self.slots_used
    }

    /// Events applied so far (stale ones not counted).
    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    fn horizon(&self) -> SimTime {
        SimTime::ZERO + self.sc.horizon
    }

    /// Applies the next event (all checks of one instant are one step),
    /// skipping stale ones. Returns the time stepped to, or `None` at the
    /// horizon.
    pub fn step(&mut self) -> Option<SimTime> {
        self.step_before(self.horizon())
    }

    /// [`Sim::step`], applying nothing at or after `limit`.
    fn step_before(&mut self, limit: SimTime) -> Option<SimTime> {
        loop {
            // The trace's next input goes first at equal instants: its events
            // have the lowest rank and were, in effect, scheduled at time 0.
            let input = self.trace.peek_time();
            let queued = self.queue.peek();
            let (at, rank, from_trace) = match (input, queued) {
                (Some(ti), Some((tq, _))) if ti <= tq => (ti, RANK_FAULT, true),
                (Some(ti), None) => (ti, RANK_FAULT, true),
                (_, Some((tq, rq))) => (tq, rq, false),
                (None, None) => return None,
            };
            if at >= limit {
                return None;
            }
            let ev = if from_trace {
                self.input = self.trace.next()?.1;
                // The next arrival's node is random: ask for its state now,
                // a few events before it is needed.
                if let Some(n) = self.trace.peek_node() {
                    crate::cache::prefetch_at(&self.nodes, n as usize);
                    self.obs.prefetch(n);
                }
                Event::Input
            } else {
                self.queue.pop()?.2
            };
            debug_assert!(at >= self.now, "time went backwards");
            self.now = at;
            let applied = if rank == RANK_CHECK && self.ev.is_some() {
                self.evaluation_round(ev)
            } else if rank == RANK_CHECK {
                let mut due = std::mem::take(&mut self.due);
                due.clear();
                self.take_check(ev, &mut due);
                while let Some((t, RANK_CHECK)) = self.queue.peek() {
                    if t != at {
                        break;
                    }
                    let (_, _, ev) = self.queue.pop()?;
                    self.take_check(ev, &mut due);
                }
                let any = !due.is_empty();
                if any {
                    self.events_applied += 1;
                    self.check_round(&mut due);
                }
                self.due = due;
                any
            } else {
                self.apply(ev)
            };
            if applied {
                return Some(at);
            }
        }
    }

    /// Steps through every event before `until`, then moves the clock to
    /// `until` (at most the horizon): the accessors show the state at that
    /// instant, before the events scheduled at it.
    pub fn step_until(&mut self, until: SimTime) {
        let limit = until.min(self.horizon());
        while self.step_before(limit).is_some() {}
        self.now = self.now.max(limit);
    }

    /// Runs to the horizon and tells the observer the run is over.
    pub fn run(&mut self) {
        while self.step().is_some() {}
        self.finish();
    }

    /// Ends the run at the horizon (idempotent).
    pub fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            self.now = self.horizon();
            self.obs.finish(self.now);
        }
    }

    fn take_check(&mut self, ev: Event, due: &mut Vec<NodeId>) {
        if let Event::Check { node } = ev {
            let n = &mut self.nodes[node as usize];
            if n.next_check == Some(self.now) {
                n.next_check = OptTime::NONE;
                due.push(node);
            }
        }
    }

    /// Applies one event; `false` when it was stale.
    fn apply(&mut self, ev: Event) -> bool {
        let now = self.now;
        match ev {
            Event::Input => match self.input {
                Input::Fault {
                    node,
                    fault,
                    heal_at,
                } => self.fault_arrives(node, fault, heal_at),
                Input::Mark { window, on } => {
                    let m = &self.sc.marks[window as usize];
                    let k = m.mark as usize;
                    for &node in &m.nodes {
                        let c = &mut self.nodes[node as usize].marks[k];
                        *c = if on {
                            c.saturating_add(1)
                        } else {
                            c.saturating_sub(1)
                        };
                        self.wake_if_waiting(node);
                        // A peer watches its Machines and Nodes: a mark it
                        // reads changes its counts and what it may start,
                        // so the node's unit is evaluated, and an
                        // escalation held back goes on once nothing holds.
                        if self.ev.is_some() && self.reads & 1 << k != 0 {
                            self.recount(node);
                            let unit = self.unit_of(node);
                            self.request_eval(unit, self.now, event::Why::Trigger);
                            if let Some(step) = self.nodes[node as usize].held_step.take() {
                                self.escalate(node, step);
                            }
                        }
                    }
                }
            },
            Event::Heal { node, incident } => {
                let n = &mut self.nodes[node as usize];
                let Some(f) = n.fault.as_mut() else {
                    return false;
                };
                if n.incident != incident || f.cleared {
                    return false;
                }
                f.healed = true;
                // Inside an action the node stays down until the action ends.
                if n.action.is_none() {
                    f.cleared = true;
                    self.kubelet_resumes(node);
                }
            }
            Event::ActionEnd { node } => {
                self.action_ends(node);
            }
            Event::KubeletTick { node } => {
                if self.nodes[node as usize].kubelet_tick != Some(now) {
                    return false;
                }
                self.nodes[node as usize].kubelet_tick = OptTime::NONE;
                self.kubelet_posts(node);
            }
            Event::LeaseExpired { node } => {
                let n = &mut self.nodes[node as usize];
                if n.lease_expiry != Some(now) || n.silent_since.is_none() {
                    return false;
                }
                n.lease_expiry = OptTime::NONE;
                self.post_condition(node, Condition::Unknown);
                self.reschedule(node);
            }
            Event::StepTimeout {
                node,
                incident,
                step,
            } => {
                if !self.step_timeout(node, incident, step as usize) {
                    return false;
                }
            }
            Event::Check { .. } | Event::Evaluate { .. } => {
                unreachable!("checks are applied in rounds")
            }
        }
        self.events_applied += 1;
        true
    }

    fn fault_arrives(&mut self, node: NodeId, fault: FaultId, heal_at: Option<SimTime>) {
        let now = self.now;
        let f = &self.sc.faults[fault as usize];
        let n = &self.nodes[node as usize];
        if n.phase.is_open() && n.recovered {
            // The node is Ready again but the controller has not checked it
            // yet. Rather than lose the new fault, the old incident ends now,
            // as its next check would have ended it.
            self.release(node);
            self.end_repair(node, End::Healthy);
        }
        let masked = self.nodes[node as usize].phase.is_open();
        self.emit(Record::FaultArrived {
            at: now,
            node,
            fault,
            heal_at,
            masked,
        });
        if masked {
            return;
        }
        let lease = self.sc.policy.kubelet.lease_renew_interval;
        let n = &mut self.nodes[node as usize];
        n.incident += 1;
        n.fault = Some(ActiveFault {
            id: fault,
            signal: f.signal,
            cleared: false,
            healed: false,
        });
        n.suppressed = false;
        n.detected = false;
        n.held = None;
        n.acted = false;
        n.attempts = [0; ActionKind::ALL.len()];
        n.held_step = None;
        n.phase = Phase::Unnoticed { onset: now };
        let incident = n.incident;
        match f.signal {
            Signal::NotReady => self.schedule_kubelet_tick(node),
            Signal::NoStatus => {
                if n.silent_since.is_none() {
                    n.silent_since = Some(now.last_tick_before(lease)).into();
                    self.schedule_lease_expiry(node);
                }
            }
        }
        if let Some(h) = heal_at {
            self.push(h.max(now), Event::Heal { node, incident });
        }
        self.reschedule(node);
        self.place(node);
    }

    fn rngs(&mut self, node: NodeId) -> &mut NodeRngs {
        let (seed, rep, id) = (
            self.sc.seed,
            self.replication,
            self.sc.fleet.node(node).stream_id,
        );
        self.nodes[node as usize].rngs.get_or_insert_with(|| {
            Box::new(NodeRngs {
                duration: stream(seed, rep, id, Purpose::ActionDuration),
                error: stream(seed, rep, id, Purpose::ActionError),
            })
        })
    }

    fn schedule_kubelet_tick(&mut self, node: NodeId) {
        let at = self
            .now
            .ceil_to(self.sc.policy.kubelet.status_update_interval);
        let n = &mut self.nodes[node as usize];
        if n.kubelet_tick != Some(at) {
            n.kubelet_tick = Some(at).into();
            self.push(at, Event::KubeletTick { node });
        }
    }

    fn schedule_lease_expiry(&mut self, node: NodeId) {
        let k = &self.sc.policy.kubelet;
        let n = &mut self.nodes[node as usize];
        if let (Some(hb), false) = (
            n.silent_since.get(),
            n.posted == Condition::Unknown && !self.ev.as_ref().is_some_and(|e| e.fresh(node)),
        ) {
            let at = (hb + k.node_monitor_grace_period)
                .ceil_to(k.node_monitor_period)
                .max(self.now);
            // Strictly inside an action on a node that is not Ready: nothing
            // can see the change before the action ends (the timeline shows
            // the action, the ready count does not move, the controller does
            // not check an acting node), so it waits for the action's end.
            // Event-driven controllers watch the condition itself: its
            // change triggers evaluations, so it is never deferred there.
            if let Some(a) = n.action.as_mut()
                && at < a.ends
                && n.posted != Condition::Ready
                && self.ev.is_none()
            {
                a.lease_expires = Some(at).into();
                return;
            }
            if n.lease_expiry != Some(at) {
                self.nodes[node as usize].lease_expiry = Some(at).into();
                self.push(at, Event::LeaseExpired { node });
            }
        }
    }

    /// The kubelet runs again (fault cleared, or an action ended): it posts
    /// its condition at its next status tick.
    fn kubelet_resumes(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        n.silent_since = OptTime::NONE;
        n.lease_expiry = OptTime::NONE;
        self.schedule_kubelet_tick(node);
    }

    /// A kubelet status tick: post the condition if it changed, and record
    /// recovery when the node is Ready after its fault.
    fn kubelet_posts(&mut self, node: NodeId) {
        let n = &self.nodes[node as usize];
        if n.silent_since.is_some() || n.action.is_some() {
            return;
        }
        let broken = n.fault.is_some_and(|f| !f.cleared);
        let desired = if broken {
            Condition::NotReady
        } else {
            Condition::Ready
        };
        if desired != n.posted || self.ev.as_ref().is_some_and(|e| e.fresh(node)) {
            self.post_condition(node, desired);
        }
        let n = &mut self.nodes[node as usize];
        if desired == Condition::Ready && n.fault.is_some() && !n.recovered {
            n.recovered = true;
            self.emit(Record::Recovered { at: self.now, node });
            match self.nodes[node as usize].phase {
                // The controller never saw it: it simply healed.
                Phase::Unnoticed { .. } => {
                    self.emit(Record::Outcome {
                        at: self.now,
                        node,
                        outcome: Outcome::SelfHealed,
                    });
                    self.close_incident(node);
                }
                Phase::Abandoned { .. } => self.close_incident(node),
                // Event-driven controllers see the condition stop matching
                // at once: the repair ends as the node is Ready.
                _ if self.ev.is_some() => {
                    self.release(node);
                    self.end_repair(node, End::Healthy);
                    self.place(node);
                }
                _ => {}
            }
        }
        self.reschedule(node);
    }

    fn set_condition(&mut self, node: NodeId, c: Condition) {
        let old = self.nodes[node as usize].posted;
        if old == c {
            return;
        }
        self.nodes[node as usize].posted = c;
        let before = self.ready_count;
        let pool = self.pool_of(node);
        if c == Condition::Ready {
            self.ready_count += 1;
            self.nodes[node as usize].registered = true;
            if let Some(n) = self.pool_not_ready.get_mut(pool) {
                *n -= 1;
            }
        } else if old == Condition::Ready {
            self.ready_count -= 1;
            if let Some(n) = self.pool_not_ready.get_mut(pool) {
                *n += 1;
            }
        }
        self.update_state(node);
        if self.guard_enabled() && (before == 0) != (self.ready_count == 0) {
            self.guard_flipped();
        }
        if self.ev.is_some() {
            self.condition_changed(node);
        }
        // A pool's slot count may follow its not-Ready share, which moves
        // when Ready does: waiting nodes look again.
        if (c == Condition::Ready || old == Condition::Ready)
            && !self.queued.is_empty()
            && self
                .sc
                .policy
                .pool_slots
                .is_some_and(|s| s.follows_not_ready())
        {
            self.wake_first_queued();
        }
    }

    /// Records a timeline change when what the node shows changed.
    fn update_state(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        let s = match n.action {
            Some(a) => NodeState::acting(a.kind, a.phase),
            None => match n.posted {
                Condition::Ready => NodeState::Ready,
                Condition::NotReady => NodeState::NotReady,
                Condition::Unknown => NodeState::Unknown,
            },
        };
        if s != n.state {
            n.state = s;
            self.emit(Record::State {
                at: self.now,
                node,
                state: s,
            });
        }
    }

    /// Phases that evaluate exclusions on every check must see a change of
    /// marks on the next check.
    fn wake_if_waiting(&mut self, node: NodeId) {
        if matches!(
            self.nodes[node as usize].phase,
            Phase::Suspect { .. } | Phase::Queued { .. }
        ) {
            self.reschedule(node);
        }
    }

    /// The all-nodes-not-ready guard flipped. Its state changes only the
    /// due actions' checks (see `due_check`) and whether waiting nodes may
    /// take a free slot, so only those look again. O(nodes), per flip.
    fn guard_flipped(&mut self) {
        for id in 0..self.nodes.len() as NodeId {
            if matches!(
                self.nodes[id as usize].phase,
                Phase::Detected { .. } | Phase::Settling { .. }
            ) {
                self.reschedule(id);
            }
        }
        if !self.guard_holds() && self.slots_used < self.slot_limit() {
            self.wake_first_queued();
        }
    }

    /// Whether a new repair of `node` may start: a free slot overall and
    /// in its pool.
    fn slot_free(&self, node: NodeId) -> bool {
        self.slots_used < self.slot_limit() && self.pool_slot_free(node)
    }

    /// Whether `node`'s pool has a free slot (always, without per-pool
    /// slots).
    fn pool_slot_free(&self, node: NodeId) -> bool {
        let Some(s) = self.sc.policy.pool_slots else {
            return true;
        };
        let pool = self.pool_of(node);
        let nodes = self.sc.fleet.pools[pool].count;
        self.pool_used[pool] < s.limit(nodes, self.pool_not_ready[pool])
    }

    /// The repair of `node` ends or goes back to detection: it leaves the
    /// slot queue, and a slot it held is free for the first waiting node.
    fn release(&mut self, node: NodeId) {
        self.queued.remove(&node);
        if self.free_slot(node) {
            self.wake_first_queued();
        }
    }

    fn take_slot(&mut self, node: NodeId) {
        self.nodes[node as usize].holds_slot = true;
        self.slots_used += 1;
        let pool = self.pool_of(node);
        if let Some(u) = self.pool_used.get_mut(pool) {
            *u += 1;
        }
    }

    /// Gives `node`'s slot back, if it still holds one; whether it did.
    fn free_slot(&mut self, node: NodeId) -> bool {
        if !std::mem::replace(&mut self.nodes[node as usize].holds_slot, false) {
            return false;
        }
        self.slots_used -= 1;
        let pool = self.pool_of(node);
        if let Some(u) = self.pool_used.get_mut(pool) {
            *u -= 1;
        }
        true
    }

    /// Repairs that may hold a slot at once.
    fn slot_limit(&self) -> u32 {
        self.sc.policy.max_concurrent_repairs.unwrap_or(u32::MAX)
    }

    /// A slot freed outside a check round: the first waiting node takes it
    /// on the next check (at once, for event-driven detection).
    fn wake_first_queued(&mut self) {
        if let Some(&first) = self.queued.first() {
            if self.sc.policy.pool_slots.is_some_and(|s| s.until_deleted()) {
                // The MachineSet deletes the Machines the health check has
                // already marked as in-flight slots free, newest first: no
                // new evaluation, so no rate limit and no guard.
                let mut waiting: Vec<NodeId> = self.queued.iter().copied().collect();
                self.remediation_order(&mut waiting);
                for node in waiting {
                    // Marked since, or paused: it waits, and is evaluated
                    // again when the mark goes.
                    if let Some(reason) = self.exclusion(node) {
                        self.hold(node, reason);
                        continue;
                    }
                    if self.slot_free(node) {
                        self.queued.remove(&node);
                        self.take_slot(node);
                        self.start_action(node, 0);
                    }
                }
                return;
            }
            if self.ev.is_some() {
                // Every unit with a node waiting for a slot looks again: a
                // guard may hold the first one's unit back.
                let mut units: Vec<usize> = self.queued.iter().map(|&n| self.unit_of(n)).collect();
                units.sort_unstable();
                units.dedup();
                for unit in units {
                    self.request_eval(unit, self.now, event::Why::Trigger);
                }
                return;
            }
            let at = self.now.ceil_to(self.sc.policy.check_interval);
            self.nodes[first as usize].next_check = Some(at).into();
            self.push(at, Event::Check { node: first });
        }
    }

    /// Whether the all-nodes-not-ready guard holds actions back now.
    fn guard_holds(&self) -> bool {
        self.guard_enabled() && self.ready_count == 0
    }

    /// The all-nodes-not-ready guard is on, and the provider has it.
    fn guard_enabled(&self) -> bool {
        self.sc.policy.all_not_ready_suppresses
            && self.applies & 1 << Exclusion::AllNodesNotReady as u16 != 0
    }

    fn close_incident(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        n.held_step = None;
        n.phase = Phase::Healthy;
        n.fault = None;
        n.fixed_by = None;
        n.recovered = false;
        n.next_check = OptTime::NONE;
    }

    /// The node's pool (index into the fleet's pools).
    fn pool_of(&self, node: NodeId) -> usize {
        self.nodes[node as usize].pool as usize
    }

    /// The marks on `node` that the provider reads, as bits by `Mark`
    /// discriminant.
    fn read_marks(&self, node: NodeId) -> u8 {
        let n = &self.nodes[node as usize];
        n.marks
            .iter()
            .enumerate()
            .filter(|&(_, &count)| count > 0)
            .fold(0, |m, (k, _)| m | 1 << k)
            & self.reads
    }

    /// Whether a mark the provider reads takes `node` out of its health
    /// check's targets (Cluster API's skipped and paused Machines).
    fn out_of_targets(&self, node: NodeId) -> bool {
        let marks = self.read_marks(node);
        Mark::ALL
            .iter()
            .enumerate()
            .any(|(k, m)| marks & 1 << k != 0 && m.leaves_targets())
    }

    /// The first exclusion (in [`Exclusion::ALL`] order) that holds for
    /// `node` and that the provider applies. Branch-light: it runs on
    /// every check.
    fn exclusion(&self, node: NodeId) -> Option<Exclusion> {
        let n = &self.nodes[node as usize];
        let p = &self.sc.policy;
        let bit = |e: Exclusion, holds: bool| u16::from(holds) << e as u16;
        let mut holds = n
            .fault
            .and_then(|f| self.sc.faults[f.id as usize].exclude)
            .map_or(0, |e| bit(e, true));
        let marks = self.read_marks(node);
        for (k, m) in Mark::ALL.iter().enumerate() {
            holds |= bit(m.exclusion(), marks & 1 << k != 0);
        }
        holds |= bit(Exclusion::NeverRegistered, !n.registered)
            | bit(
                Exclusion::ClusterTooSmall,
                (self.nodes.len() as u64) < p.min_cluster_nodes as u64,
            )
            | bit(
                Exclusion::AllNodesNotReady,
                p.all_not_ready_suppresses && self.ready_count == 0,
            );
        let m = holds & self.applies;
        (m != 0).then(|| Exclusion::ALL[m.trailing_zeros() as usize])
    }

    fn view(&self, node: NodeId) -> CheckView {
        let n = &self.nodes[node as usize];
        // A Ready condition whose heartbeat is older than the no-status
        // timeout is stale: rule (b) says the node reports no status.
        let stale = n
            .silent_since
            .get()
            .is_some_and(|hb| self.now.since(hb) >= self.sc.policy.no_status_timeout);
        CheckView {
            now: self.now,
            ready: n.posted == Condition::Ready && !stale,
            silent_since: n.silent_since.get(),
            exclusion: self.exclusion(node),
        }
    }

    fn ctx(&self, node: NodeId) -> Ctx<'a> {
        Ctx {
            policy: &self.sc.policy,
            plan_len: self.plans[self.pool_of(node)].len(),
        }
    }

    /// Schedules the node's next check that matters, if it moved.
    fn reschedule(&mut self, node: NodeId) {
        let view = self.view(node);
        self.reschedule_seen(node, &view);
    }

    /// [`Sim::reschedule`] with the node's current view, already made.
    fn reschedule_seen(&mut self, node: NodeId, view: &CheckView) {
        if self.ev.is_some() {
            // Event-driven detection schedules evaluations, not checks.
            return;
        }
        let ctx = self.ctx(node);
        let mut next = self.nodes[node as usize]
            .phase
            .next_check(self.now, view, &ctx);
        let n = &mut self.nodes[node as usize];
        // A pending kubelet tick of a running kubelet reschedules the node
        // anyway (`kubelet_posts`), before any check at or after it: leave
        // such a check to the tick. Otherwise, when the tick posts Ready
        // (after every action that fixed its fault), the check pushed now
        // would only go stale.
        if let (Some(c), Some(k)) = (next, n.kubelet_tick.get())
            && c >= k
            && n.silent_since.is_none()
            && n.action.is_none()
        {
            next = None;
        }
        if n.next_check != next {
            n.next_check = next.into();
            if let Some(t) = next {
                self.push(t, Event::Check { node });
            }
        }
    }

    /// All checks of one instant: first every node's own check in node
    /// order, then the start of due actions, slots going in node order.
    fn check_round(&mut self, due: &mut Vec<NodeId>) {
        let now = self.now;
        due.sort_unstable();
        due.dedup();
        let mut starts = std::mem::take(&mut self.starts);
        starts.clear();
        for &node in due.iter() {
            let view = self.view(node);
            let ctx = self.ctx(node);
            let before = self.nodes[node as usize].phase;
            let (after, verdict) = before.on_check(&view, &ctx);
            self.nodes[node as usize].phase = after;
            if let Some(rule) = verdict.detected
                && !std::mem::replace(&mut self.nodes[node as usize].detected, true)
            {
                self.emit(Record::Detected {
                    at: now,
                    node,
                    rule,
                });
            }
            if let Some(reason) = verdict.suppressed
                && !std::mem::replace(&mut self.nodes[node as usize].suppressed, true)
            {
                // Recorded once per incident, as POLICY.md section 3 asks.
                self.emit(Record::Suppressed {
                    at: now,
                    node,
                    reason,
                });
            }
            // A repair gives its slot up when its phase stops holding one:
            // it ended, or (`redetect`) it went back to detection.
            if before.holds_slot() && !after.holds_slot() {
                let _ = self.free_slot(node);
            }
            if let Some(end) = verdict.ended {
                self.queued.remove(&node);
                self.end_repair(node, end);
            }
            match verdict.wants_action {
                Some(0) => {
                    let n = &mut self.nodes[node as usize];
                    n.phase = n.phase.queued(now);
                    self.queued.insert(node);
                }
                Some(step) => starts.push((node, step)),
                // Nothing the view shows changed, unless the incident closed.
                None if verdict.ended.is_none() => self.reschedule_seen(node, &view),
                None => self.reschedule(node),
            }
        }
        for &(node, step) in &starts {
            self.start_action(node, step);
        }
        self.starts = starts;
        // First actions: the lowest node ids among those due take the free
        // slots (a pool's own slots permitting).
        let mut full_pool = Vec::new();
        while self.slots_used < self.slot_limit() && !self.guard_holds() {
            let Some(node) = self.queued.pop_first() else {
                break;
            };
            if !self.pool_slot_free(node) {
                full_pool.push(node);
                continue;
            }
            self.take_slot(node);
            self.start_action(node, 0);
        }
        self.queued.extend(full_pool);
        for &node in due.iter() {
            if matches!(self.nodes[node as usize].phase, Phase::Queued { .. }) {
                self.reschedule(node);
            }
        }
    }

    fn end_repair(&mut self, node: NodeId, end: End) {
        let now = self.now;
        let n = &self.nodes[node as usize];
        let outcome = match end {
            End::Healthy => match (n.fixed_by, n.held) {
                (Some(k), _) => Outcome::RepairedBy(k),
                // Held back by a node-level exclusion and never acted on
                // (PEERS.md section 0).
                (None, Some(e)) if !n.acted => Outcome::Excluded(e),
                (None, _) => Outcome::SelfHealed,
            },
            End::Exhausted => Outcome::GaveUpExhausted,
            End::Timeout => Outcome::GaveUpTimeout,
            End::Excluded(e) => Outcome::Excluded(e),
        };
        self.emit(Record::Outcome {
            at: now,
            node,
            outcome,
        });
        if end == End::Healthy {
            self.close_incident(node);
        }
    }

    fn start_action(&mut self, node: NodeId, step: usize) {
        let now = self.now;
        self.nodes[node as usize].acted = true;
        let plan = self.plans[self.pool_of(node)][step];
        let os = self.nodes[node as usize].os;
        let spec = self.sc.actions.get(plan.kind);
        // A stream that cannot change anything is not drawn from: a fixed
        // duration takes no draw, and no error draw matters when no kind of
        // action can fail. The node's streams are then never even made (a
        // stream is a few hundred bytes that a cache miss would fetch).
        let mut duration = self.draw(node, spec.duration_for(os));
        let second = spec.second_phase.as_ref().map(|d| self.draw(node, d));
        if plan.kind == ActionKind::Recreate {
            // GKE shuts the node down when the drain does not finish in time.
            duration = duration.min(self.sc.policy.drain_timeout);
        }
        let error = if self.errors_possible {
            let rngs = self.rngs(node);
            // Always two draws, so the error stream stays aligned by action count.
            let (u, pick): (f64, f64) = (rngs.error.r#gen(), rngs.error.r#gen());
            (u < spec.error_rate).then(|| weighted_code(&spec.error_weights, pick))
        } else {
            None
        };
        // A recorded attempt (an imported history) replays as recorded; the
        // draws above still happen, so the streams stay aligned.
        let mut error = error;
        let n = &mut self.nodes[node as usize];
        if let Some(f) = n.fault {
            let tried = &mut n.attempts[plan.kind as usize];
            if let Some(r) = self.sc.faults[f.id as usize].recorded(plan.kind, usize::from(*tried))
            {
                duration = r.duration;
                error = r.error;
            }
            *tried = tried.saturating_add(1);
        }
        let ends = now + SimDuration(duration.ms().max(1));
        let n = &mut self.nodes[node as usize];
        n.phase = n.phase.granted(now, step);
        n.action = Some(RunningAction {
            kind: plan.kind,
            error,
            ends,
            phase: 0,
            second,
            lease_expires: OptTime::NONE,
        });
        n.kubelet_tick = OptTime::NONE;
        // The node is down and silent while the action runs, except in the
        // first phase of a two-phase kind (drain, delete), where it keeps
        // its fault's signal (PEERS.md section 0).
        if second.is_none() {
            self.goes_silent(node);
        }
        self.emit(Record::ActionStarted {
            at: now,
            node,
            kind: plan.kind,
            pass: plan.pass,
        });
        self.update_state(node);
        self.push(ends, Event::ActionEnd { node });
        self.nodes[node as usize].next_check = OptTime::NONE;
        if let Some(e) = self.ev.as_mut() {
            e.set_unhealthy_now(node, false);
            self.recount(node);
            self.place(node);
            self.arm_step_timeout(node, step);
        }
    }

    fn action_ends(&mut self, node: NodeId) {
        let now = self.now;
        let Some(run) = self.nodes[node as usize].action else {
            return;
        };
        if run.ends != now {
            // An action cut short by an escalation; this end is stale.
            return;
        }
        if let Some(second) = run.second {
            self.second_phase(node, run, second);
            return;
        }
        // The lease expired during the action: Unknown from then on. Set
        // while the action still runs, so the timeline records nothing.
        // (Only without event-driven detection, which never defers it.)
        if run.lease_expires.is_some() {
            self.set_condition(node, Condition::Unknown);
        }
        let n = &mut self.nodes[node as usize];
        n.action = None;
        let mut fault = n.fault.expect("an action runs only during an incident");
        let fixes =
            run.error.is_none() && self.sc.faults[fault.id as usize].fixed_by_action(run.kind);
        if !fault.cleared && (fixes || fault.healed) {
            fault.cleared = true;
            // A fault that healed during the action still credits the action,
            // unless the action failed (then nothing it did counts).
            if run.error.is_none() {
                n.fixed_by = Some(run.kind);
            }
        }
        n.fault = Some(fault);
        n.phase = n.phase.action_ended(now);
        self.emit(Record::ActionEnded {
            at: now,
            node,
            kind: run.kind,
            error: run.error,
            fixed: fault.cleared,
        });
        let no_node = run.error == Some(event::STARTUP_TIMEOUT);
        // A new machine that carries the fault over posts its first
        // condition afresh: a new lastTransitionTime (PEERS.md section 0).
        if run.kind.tier() == 4
            && !fault.cleared
            && !no_node
            && let Some(e) = self.ev.as_mut()
        {
            e.set_fresh(node);
        }
        if no_node {
            // No node came up: it stays silent, and unhealthy at once.
            if let Some(e) = self.ev.as_mut() {
                e.set_unhealthy_now(node, true);
            }
        } else if fault.cleared || fault.signal == Signal::NotReady {
            self.kubelet_resumes(node);
        } else if run.kind.tier() == 4 {
            // A new machine carries the fault over (PEERS.md section 0): its
            // kubelet's last heartbeat is the last lease tick at or before
            // the end, and Ready turns Unknown by the grace rule.
            let lease = self.sc.policy.kubelet.lease_renew_interval;
            let n = &mut self.nodes[node as usize];
            n.silent_since = Some(now.floor_to(lease)).into();
            n.lease_expiry = OptTime::NONE;
            self.schedule_lease_expiry(node);
        }
        self.update_state(node);
        self.reschedule(node);
        if self.ev.is_some() {
            self.after_action(node, run.error.is_some(), fault.cleared);
        }
    }

    /// The first phase of a two-phase action ended (drain, delete): the
    /// second starts, and the node is down and silent from now on.
    fn second_phase(&mut self, node: NodeId, run: RunningAction, second: SimDuration) {
        let mut ends = self.now + SimDuration(second.ms().max(1));
        let mut error = run.error;
        // A replacement slower than the node startup timeout is unhealthy
        // when the timeout runs out (MHC): its remediation failed.
        if run.kind == ActionKind::Replace
            && let Some(t) = self.ev.as_ref().and_then(|e| e.startup_timeout())
            && second > t
        {
            ends = self.now + t;
            error = Some(event::STARTUP_TIMEOUT);
        }
        self.nodes[node as usize].action = Some(RunningAction {
            ends,
            phase: 1,
            second: None,
            error,
            ..run
        });
        self.goes_silent(node);
        if run.kind == ActionKind::Replace {
            // The old Node object is gone; its replacement is provisioned.
            self.nodes[node as usize].created = self.now;
            let k = self.replacements.entry(node).or_insert(0);
            *k += 1;
            let k = *k;
            self.emit(Record::Replaced {
                at: self.now,
                node,
                k,
            });
        }
        self.update_state(node);
        self.push(ends, Event::ActionEnd { node });
        // Cluster API counts only deleting Machines as in flight.
        if run.kind == ActionKind::Replace
            && self.sc.policy.pool_slots.is_some_and(|s| s.until_deleted())
            && self.free_slot(node)
        {
            self.wake_first_queued();
        }
    }

    /// The node goes down and silent now, unless it already is: its last
    /// heartbeat is the last lease tick strictly before now.
    fn goes_silent(&mut self, node: NodeId) {
        let lease = self.sc.policy.kubelet.lease_renew_interval;
        let n = &mut self.nodes[node as usize];
        if n.silent_since.is_none() {
            n.silent_since = Some(self.now.last_tick_before(lease)).into();
            self.schedule_lease_expiry(node);
        }
    }

    /// A duration drawn from `dist` on the node's stream; a fixed one takes
    /// no draw \[ms\].
    fn draw(&mut self, node: NodeId, dist: &DurationDist) -> SimDuration {
        match dist {
            DurationDist::Fixed(d) => *d,
            _ => dist.sample(&mut self.rngs(node).duration),
        }
    }
}

/// Picks an error code by weight with a uniform draw `u` in [0, 1).
fn weighted_code(weights: &[f64], u: f64) -> &'static str {
    let total: f64 = weights.iter().sum();
    let mut x = u * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return ERROR_CODES[i];
        }
        x -= w;
    }
    let last = weights.iter().rposition(|w| *w > 0.0).unwrap_or(0);
    ERROR_CODES[last]
}

/// Runs one replication of `sc` to its horizon, feeding `obs`.
pub fn simulate(sc: &Scenario, replication: u64, obs: &mut dyn Observer) -> u64 {
    let mut sim = Sim::new(sc, replication, obs);
    sim.run();
    sim.events_applied()
}
