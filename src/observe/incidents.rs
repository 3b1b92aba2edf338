//! Incidents: one per unmasked fault arrival, from onset to outcome and
//! recovery (POLICY.md section 4).
//!
//! An incident opens at a `FaultArrived { masked: false }`; every later
//! `Detected`, `ActionStarted`, `ActionEnded`, `Outcome` and `Recovered` of
//! that node applies to it. It is complete when it has both an outcome and a
//! recovery, in either order: a repaired node recovers and gets its outcome
//! at the same instant, a node the controller gave up on (or excluded) gets
//! its outcome first and recovers later, or never.
//!
//! Invariant: the log knows nothing about the engine; it reads only records.
//! Memory is O(open incidents + nodes), plus the final incidents when it
//! keeps them; each record costs O(1).

use super::{Observer, Record};
use crate::faults::FaultId;
use crate::fleet::{NodeId, Os};
use crate::k8s::ActionKind;
use crate::policy::{DetectRule, Exclusion, Outcome};
use crate::scenario::Scenario;
use crate::stats::IncidentStats;
use crate::time::{SimDuration, SimTime};

/// One incident: a fault on a node and what the controller did about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub node: NodeId,
    /// Index into the scenario's fleet pools (see [`Incident::pool_name`]).
    pub pool: usize,
    pub os: Os,
    /// Index into the scenario's fault catalogue (see [`Incident::fault_name`]).
    pub fault_id: FaultId,
    /// When the fault arrived.
    pub onset: SimTime,
    /// The check that detected the incident.
    pub detected: Option<SimTime>,
    pub detect_rule: Option<DetectRule>,
    /// The first action's start.
    pub repair_started: Option<SimTime>,
    /// Every action started, in order.
    pub actions: ActionList,
    /// The highest pass started (1-based); 0 when no action started.
    pub passes: u32,
    /// How many actions ended in an error.
    pub errors: u32,
    /// The error codes, in order.
    pub error_codes: Vec<&'static str>,
    /// The control plane showed the node Ready=True again.
    pub recovered: Option<SimTime>,
    /// `OpenAtHorizon` until an `Outcome` record arrives (or for good, when
    /// none arrives before the horizon).
    pub outcome: Outcome,
    /// When the outcome was decided; the horizon for `OpenAtHorizon`.
    pub outcome_at: SimTime,
    /// The reason when the outcome is `Excluded`, or the guard
    /// (`all-nodes-not-ready`) that first held an action back.
    pub exclusion: Option<Exclusion>,
    /// When the fault would have gone away by itself.
    pub heal_at: Option<SimTime>,
    /// The last action's end.
    pub last_action_end: Option<SimTime>,
    /// Some action ended at or after `heal_at`: the node would have healed
    /// by itself before that action ended.
    pub needless: bool,
}

impl Incident {
    // Names are resolved against the scenario at write time rather than
    // copied into every incident: three string allocations per incident
    // were a large share of a fleet-year's run.

    /// The node's name, `<pool>-<index>`, in `sc` (the scenario the log ran on).
    pub fn node_name<'a>(&self, sc: &'a Scenario) -> &'a str {
        &sc.fleet.node(self.node).name
    }

    /// The node's pool name in `sc`.
    pub fn pool_name<'a>(&self, sc: &'a Scenario) -> &'a str {
        &sc.fleet.pools[self.pool].name
    }

    /// The fault's catalogue name in `sc`.
    pub fn fault_name<'a>(&self, sc: &'a Scenario) -> &'a str {
        &sc.faults[self.fault_id as usize].name
    }

    /// Time to detect: detection check minus onset \[ms\].
    pub fn ttd(&self) -> Option<SimDuration> {
        self.detected.map(|d| d - self.onset)
    }

    /// Time to recover: Ready again minus onset \[ms\].
    pub fn ttr(&self) -> Option<SimDuration> {
        self.recovered.map(|r| r - self.onset)
    }

    /// The incident's first auto-repair event (its first action's Start) is
    /// gone from `kubectl get events` by the time the outcome is decided:
    /// `outcome_at - repair_started > event_ttl`.
    pub fn events_expired(&self, event_ttl: SimDuration) -> bool {
        self.repair_started
            .is_some_and(|s| self.outcome_at - s > event_ttl)
    }

    /// The actions started, `;`-joined (for CSV): `reboot;reimage`.
    pub fn actions_joined(&self) -> String {
        let mut s = String::new();
        for (i, k) in self.actions.iter().enumerate() {
            if i > 0 {
                s.push(';');
            }
            s.push_str(k.name());
        }
        s
    }
}

/// Bits per packed [`ActionKind`]: enough for every kind.
const BITS: usize = 3;
const MASK: usize = (1 << BITS) - 1;
const _: () = assert!(ActionKind::ALL.len() <= 1 << BITS);

/// The actions of one incident, in order.
///
/// The first [`ActionList::INLINE`] kinds are packed into one word, 3
/// bits each, so an incident's actions cost no allocation (a plan is 9 actions
/// under the default policy; one allocation per incident was a visible share
/// of a fleet-year). Longer lists, up to ladder × `max_attempts`, spill to
/// the heap.
#[derive(Clone, Default)]
pub struct ActionList {
    len: u32,
    /// Kinds `0..min(len, INLINE)`, kind `i` in bits `2i..2i+2`.
    packed: u64,
    /// Kinds `INLINE..len`. Boxed, so the list is 24 bytes rather than 40
    /// in every incident, for a list that almost never spills.
    #[allow(clippy::box_collection)]
    spill: Option<Box<Vec<ActionKind>>>,
}

impl ActionList {
    /// Kinds held without allocating.
    pub const INLINE: usize = 64 / BITS;

    pub fn new() -> ActionList {
        ActionList::default()
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `kind`. O(1) amortised.
    pub fn push(&mut self, kind: ActionKind) {
        let i = self.len();
        if i < Self::INLINE {
            self.packed |= (kind as u64) << (BITS * i);
        } else {
            self.spill.get_or_insert_default().push(kind);
        }
        self.len += 1;
    }

    /// The `i`-th action, if there are that many.
    pub fn get(&self, i: usize) -> Option<ActionKind> {
        if i >= self.len() {
            None
        } else if i < Self::INLINE {
            Some(ActionKind::ALL[(self.packed >> (BITS * i)) as usize & MASK])
        } else {
            self.spill.as_ref()?.get(i - Self::INLINE).copied()
        }
    }

    /// The actions in order.
    pub fn iter(&self) -> impl Iterator<Item = ActionKind> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl FromIterator<ActionKind> for ActionList {
    fn from_iter<I: IntoIterator<Item = ActionKind>>(iter: I) -> ActionList {
        let mut l = ActionList::new();
        iter.into_iter().for_each(|k| l.push(k));
        l
    }
}

impl PartialEq for ActionList {
    fn eq(&self, o: &Self) -> bool {
        self.len == o.len && self.iter().eq(o.iter())
    }
}

impl Eq for ActionList {}

impl std::fmt::Debug for ActionList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Where a node's open incident is, and what it still waits for.
#[derive(Clone, Copy, Debug)]
struct Open {
    /// Index into [`IncidentLog::slots`].
    slot: u32,
    has_outcome: bool,
    has_recovered: bool,
}

/// What the log keeps of final incidents.
enum Keep {
    /// Every incident, sorted into output order by `finish`, with its
    /// `seq` (kept alongside until then).
    All(Vec<Incident>, Vec<u64>),
    /// Final incidents with their `seq`, until taken
    /// ([`IncidentLog::take_final`]).
    Handoff(Vec<(u64, Incident)>),
    /// Only the statistics.
    Stats,
}

impl std::fmt::Debug for Keep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keep::All(v, _) => write!(f, "All({} incidents)", v.len()),
            Keep::Handoff(v) => write!(f, "Handoff({} incidents)", v.len()),
            Keep::Stats => f.write_str("Stats"),
        }
    }
}

/// Turns records into [`Incident`]s. Call [`Observer::begin`] first: it
/// reads each node's pool and OS from the scenario.
///
/// Only open incidents stay in the log: a final one (complete, replaced on
/// its node, or open when the run ends) is folded into the
/// [`IncidentStats`], and kept ([`IncidentLog::new`]), handed off
/// ([`IncidentLog::handing_off`]) or dropped ([`IncidentLog::folding`]).
#[derive(Debug)]
pub struct IncidentLog {
    /// By node id: (pool index, OS).
    node_info: Vec<(usize, Os)>,
    /// Open incidents with their `seq`; `None` in a free slot.
    slots: Vec<Option<(u64, Incident)>>,
    free: Vec<u32>,
    /// Slots of incidents replaced on their node before any `Outcome`
    /// record: final at the horizon, open at it.
    replaced_undecided: Vec<u32>,
    /// By node id.
    open: Vec<Option<Open>>,
    /// Incidents opened so far.
    next_seq: u64,
    keep: Keep,
    stats: Option<IncidentStats>,
    masked: u64,
    /// Records for a node with no open incident (other than `State`).
    orphans: u64,
    finished: bool,
}

impl Default for IncidentLog {
    fn default() -> Self {
        IncidentLog::new()
    }
}

impl IncidentLog {
    /// A log that keeps every incident ([`IncidentLog::incidents`]).
    pub fn new() -> IncidentLog {
        IncidentLog::keeping(Keep::All(Vec::new(), Vec::new()))
    }

    /// A log that keeps only the statistics: memory follows the open
    /// incidents, not the run.
    pub fn folding() -> IncidentLog {
        IncidentLog::keeping(Keep::Stats)
    }

    /// A log that hands each incident off once final
    /// ([`IncidentLog::take_final`]) and keeps only the open ones.
    pub fn handing_off() -> IncidentLog {
        IncidentLog::keeping(Keep::Handoff(Vec::new()))
    }

    /// The incidents that became final since the last call, with their
    /// `seq` (the order they opened in, which breaks ties of onset and
    /// node in the output order); empty unless the log hands them off.
    pub fn take_final(&mut self) -> impl Iterator<Item = (u64, Incident)> + '_ {
        let kept = match &mut self.keep {
            Keep::Handoff(v) => Some(v),
            _ => None,
        };
        kept.into_iter().flat_map(|v| v.drain(..))
    }

    fn keeping(keep: Keep) -> IncidentLog {
        IncidentLog {
            node_info: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            replaced_undecided: Vec::new(),
            open: Vec::new(),
            next_seq: 0,
            keep,
            stats: None,
            masked: 0,
            orphans: 0,
            finished: false,
        }
    }

    /// The incidents that are final, in onset order (ties: node order)
    /// once [`Observer::finish`] ran; empty unless the log keeps them
    /// ([`IncidentLog::new`]).
    pub fn incidents(&self) -> &[Incident] {
        match &self.keep {
            Keep::All(v, _) => v,
            _ => &[],
        }
    }

    pub fn into_incidents(self) -> Vec<Incident> {
        match self.keep {
            Keep::All(v, _) => v,
            _ => Vec::new(),
        }
    }

    /// The statistics of the final incidents (all of them once finished).
    /// Call [`Observer::begin`] first.
    pub fn stats(&self) -> &IncidentStats {
        self.stats
            .as_ref()
            .expect("IncidentLog::stats before Observer::begin")
    }

    /// [`IncidentLog::stats`], taken.
    pub fn into_stats(self) -> IncidentStats {
        self.stats
            .expect("IncidentLog::into_stats before Observer::begin")
    }

    /// Fault arrivals that were masked (the node already had an incident).
    pub fn masked_faults(&self) -> u64 {
        self.masked
    }

    /// Per-incident records that named a node with no open incident: 0 for
    /// a well-formed record stream.
    pub fn orphan_records(&self) -> u64 {
        self.orphans
    }

    fn open_mut(&mut self, node: NodeId) -> Option<(&mut Open, &mut Incident)> {
        let slot = self.open.get_mut(node as usize)?.as_mut()?;
        let inc = &mut self.slots[slot.slot as usize].as_mut()?.1;
        Some((slot, inc))
    }

    /// Folds the incident in `slot` into the statistics and hands it on.
    fn finalize(&mut self, slot: u32) {
        let Some((seq, inc)) = self.slots[slot as usize].take() else {
            return;
        };
        self.free.push(slot);
        if let Some(s) = &mut self.stats {
            s.add(&inc);
        }
        match &mut self.keep {
            Keep::All(v, seqs) => {
                v.push(inc);
                seqs.push(seq);
            }
            Keep::Handoff(v) => v.push((seq, inc)),
            Keep::Stats => {}
        }
    }

    fn close_if_complete(&mut self, node: NodeId) {
        if let Some(slot) = self.open.get_mut(node as usize)
            && let Some(o) = *slot
            && o.has_outcome
            && o.has_recovered
        {
            *slot = None;
            self.finalize(o.slot);
        }
    }
}

impl Observer for IncidentLog {
    fn begin(&mut self, s: &Scenario) {
        self.node_info = s.fleet.nodes.iter().map(|n| (n.pool, n.os)).collect();
        self.open = vec![None; s.fleet.len()];
        self.stats = Some(IncidentStats::new(s));
    }

    fn prefetch(&self, node: NodeId) {
        crate::cache::prefetch_at(&self.open, node as usize);
        crate::cache::prefetch_at(&self.node_info, node as usize);
    }

    fn record(&mut self, rec: &Record) {
        debug_assert!(!self.finished, "record after finish");
        match *rec {
            Record::FaultArrived {
                at,
                node,
                fault,
                heal_at,
                masked,
            } => {
                if masked {
                    self.masked += 1;
                    return;
                }
                let n = node as usize;
                if self.open.len() <= n {
                    self.open.resize(n + 1, None);
                }
                let (pool, os) = self.node_info.get(n).copied().unwrap_or((0, Os::Linux));
                let inc = Incident {
                    node,
                    pool,
                    os,
                    fault_id: fault,
                    onset: at,
                    detected: None,
                    detect_rule: None,
                    repair_started: None,
                    actions: ActionList::new(),
                    passes: 0,
                    errors: 0,
                    error_codes: Vec::new(),
                    recovered: None,
                    outcome: Outcome::OpenAtHorizon,
                    outcome_at: at,
                    exclusion: None,
                    heal_at,
                    last_action_end: None,
                    needless: false,
                };
                let seq = self.next_seq;
                self.next_seq += 1;
                let slot = match self.free.pop() {
                    Some(f) => {
                        self.slots[f as usize] = Some((seq, inc));
                        f
                    }
                    None => {
                        self.slots.push(Some((seq, inc)));
                        (self.slots.len() - 1) as u32
                    }
                };
                // An unmasked arrival on a node whose previous incident is
                // not complete replaces it: later records apply to the new
                // one, so the old one is final now (or, undecided, at the
                // horizon, open).
                if let Some(prev) = self.open[n] {
                    if prev.has_outcome {
                        self.finalize(prev.slot);
                    } else {
                        self.replaced_undecided.push(prev.slot);
                    }
                }
                self.open[n] = Some(Open {
                    slot,
                    has_outcome: false,
                    has_recovered: false,
                });
            }
            Record::State { .. } => {}
            Record::Detected { at, node, rule } => match self.open_mut(node) {
                Some((_, inc)) => {
                    if inc.detected.is_none() {
                        inc.detected = Some(at);
                        inc.detect_rule = Some(rule);
                    }
                }
                None => self.orphans += 1,
            },
            Record::ActionStarted {
                at,
                node,
                kind,
                pass,
            } => match self.open_mut(node) {
                Some((_, inc)) => {
                    inc.repair_started.get_or_insert(at);
                    inc.actions.push(kind);
                    inc.passes = inc.passes.max(pass);
                }
                None => self.orphans += 1,
            },
            Record::ActionEnded {
                at, node, error, ..
            } => match self.open_mut(node) {
                Some((_, inc)) => {
                    if let Some(code) = error {
                        inc.errors += 1;
                        inc.error_codes.push(code);
                    }
                    inc.last_action_end = Some(at);
                    if inc.heal_at.is_some_and(|h| at >= h) {
                        inc.needless = true;
                    }
                }
                None => self.orphans += 1,
            },
            Record::Outcome { at, node, outcome } => match self.open_mut(node) {
                Some((slot, inc)) if !slot.has_outcome => {
                    slot.has_outcome = true;
                    inc.outcome = outcome;
                    inc.outcome_at = at;
                    if let Outcome::Excluded(e) = outcome {
                        inc.exclusion = Some(e);
                    }
                    self.close_if_complete(node);
                }
                _ => self.orphans += 1,
            },
            Record::Suppressed { node, reason, .. } => match self.open_mut(node) {
                Some((_, inc)) => {
                    inc.exclusion.get_or_insert(reason);
                }
                None => self.orphans += 1,
            },
            Record::Recovered { at, node } => match self.open_mut(node) {
                Some((slot, inc)) if !slot.has_recovered => {
                    slot.has_recovered = true;
                    inc.recovered = Some(at);
                    self.close_if_complete(node);
                }
                _ => self.orphans += 1,
            },
            // The incident stays the original node's.
            Record::Replaced { .. }
            | Record::Matched { .. }
            | Record::Marked { .. }
            | Record::GuardHeld { .. } => {}
        }
    }

    fn finish(&mut self, horizon: SimTime) {
        if self.finished {
            return;
        }
        self.finished = true;
        // The incidents still open; `Keep::All` is sorted below.
        let open: Vec<(u32, bool)> = self
            .open
            .iter_mut()
            .filter_map(|o| o.take())
            .map(|o| (o.slot, o.has_outcome))
            .chain(self.replaced_undecided.drain(..).map(|s| (s, false)))
            .collect();
        for (slot, decided) in open {
            if !decided && let Some((_, inc)) = &mut self.slots[slot as usize] {
                inc.outcome = Outcome::OpenAtHorizon;
                inc.outcome_at = horizon;
            }
            self.finalize(slot);
        }
        if let Keep::All(v, seqs) = &mut self.keep {
            // Output order: onset, node, then arrival order. The keys are
            // unique, so an unstable sort, in place (a stable one would
            // allocate half the list again).
            let mut keyed: Vec<(u64, Incident)> = seqs.drain(..).zip(v.drain(..)).collect();
            keyed.sort_unstable_by_key(|(seq, i)| (i.onset, i.node, *seq));
            v.extend(keyed.into_iter().map(|(_, i)| i));
        }
    }
}

/// Hand-written scenarios and record streams shared by the observer, stats
/// and report tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;
    use crate::faults::{Fault, Signal};
    use crate::fleet::{Fleet, Pool};
    use crate::policy::{Policy, Preset};
    use crate::scenario::Actions;
    use crate::time::{Epoch, HOUR, MINUTE, SECOND};

    pub const fn hms(h: u64, m: u64, s: u64) -> SimTime {
        SimTime(h * HOUR + m * MINUTE + s * SECOND)
    }

    /// Three Linux nodes `system-0..2` and one Windows node `win-0`; faults
    /// `kubelet-down` (not-ready, fixed by reboot) and `disk-full`
    /// (no-status, nothing fixes it); horizon 2h; start 2026-01-01.
    pub fn scenario() -> Scenario {
        Scenario {
            name: "example-1".into(),
            description: "docs/POLICY.md section 5, worked example 1".into(),
            seed: 7,
            start: Epoch::parse("2026-01-01T00:00:00Z").unwrap(),
            horizon: SimDuration::from_hours(2),
            policy: Policy::preset(Preset::Aks2024_08),
            policy_overrides: vec![],
            fleet: Fleet::new(vec![
                Pool {
                    name: "system".into(),
                    os: Os::Linux,
                    count: 3,
                    ladder: None,
                },
                Pool {
                    name: "win".into(),
                    os: Os::Windows,
                    count: 1,
                    ladder: None,
                },
            ]),
            actions: Actions::default(),
            faults: vec![
                Fault {
                    name: "kubelet-down".into(),
                    signal: Signal::NotReady,
                    fixed_by: Some(ActionKind::Reboot),
                    self_heal_after: None,
                    exclude: None,
                    recorded: Vec::new(),
                },
                Fault {
                    name: "disk-full".into(),
                    signal: Signal::NoStatus,
                    fixed_by: None,
                    self_heal_after: None,
                    exclude: None,
                    recorded: Vec::new(),
                },
            ],
            injections: vec![],
            arrivals: vec![],
            outages: vec![],
            marks: vec![],
            never_registered: vec![],
            content_hash: 0x0123_4567_89ab_cdef,
            patches: vec![],
            warnings: vec![],
        }
    }

    /// Worked example 1 on `system-0`.
    pub fn example1() -> Vec<Record> {
        use crate::observe::NodeState::*;
        let node = 0;
        vec![
            Record::FaultArrived {
                at: hms(1, 0, 35),
                node,
                fault: 0,
                heal_at: None,
                masked: false,
            },
            Record::State {
                at: hms(1, 0, 40),
                node,
                state: NotReady,
            },
            Record::Detected {
                at: hms(1, 11, 0),
                node,
                rule: DetectRule::NotReady,
            },
            Record::ActionStarted {
                at: hms(1, 16, 0),
                node,
                kind: ActionKind::Reboot,
                pass: 1,
            },
            Record::State {
                at: hms(1, 16, 0),
                node,
                state: Rebooting,
            },
            Record::ActionEnded {
                at: hms(1, 20, 0),
                node,
                kind: ActionKind::Reboot,
                error: None,
                fixed: true,
            },
            Record::State {
                at: hms(1, 20, 0),
                node,
                state: Ready,
            },
            Record::Recovered {
                at: hms(1, 20, 0),
                node,
            },
            Record::Outcome {
                at: hms(1, 20, 0),
                node,
                outcome: Outcome::RepairedBy(ActionKind::Reboot),
            },
        ]
    }

    /// Worked example 1 on `system-0`, plus: `system-1` given up on by
    /// timeout (one reboot error, events expired, recovers at 1h40m10s, a
    /// masked arrival on the way); `system-2` self-healed; `win-0` excluded
    /// (upgrading), never recovered. In time order.
    pub fn mixed() -> Vec<Record> {
        use crate::observe::NodeState::*;
        use ActionKind::*;
        let n = 1;
        let mut v = example1();
        v.extend([
            Record::FaultArrived {
                at: hms(0, 0, 30),
                node: n,
                fault: 1,
                heal_at: Some(hms(1, 40, 0)),
                masked: false,
            },
            Record::State {
                at: hms(0, 1, 10),
                node: n,
                state: Unknown,
            },
            Record::FaultArrived {
                at: hms(0, 5, 0),
                node: n,
                fault: 0,
                heal_at: None,
                masked: true,
            },
            Record::Detected {
                at: hms(0, 11, 0),
                node: n,
                rule: DetectRule::NoStatus,
            },
            Record::ActionStarted {
                at: hms(0, 16, 0),
                node: n,
                kind: Reboot,
                pass: 1,
            },
            Record::State {
                at: hms(0, 16, 0),
                node: n,
                state: Rebooting,
            },
            Record::ActionEnded {
                at: hms(0, 20, 0),
                node: n,
                kind: Reboot,
                error: Some("InvalidParameter"),
                fixed: false,
            },
            Record::State {
                at: hms(0, 20, 0),
                node: n,
                state: Unknown,
            },
            Record::ActionStarted {
                at: hms(0, 25, 0),
                node: n,
                kind: Reimage,
                pass: 1,
            },
            Record::State {
                at: hms(0, 25, 0),
                node: n,
                state: Reimaging,
            },
            Record::ActionEnded {
                at: hms(0, 35, 0),
                node: n,
                kind: Reimage,
                error: None,
                fixed: true,
            },
            Record::State {
                at: hms(0, 35, 0),
                node: n,
                state: Unknown,
            },
            Record::ActionStarted {
                at: hms(0, 40, 0),
                node: n,
                kind: Redeploy,
                pass: 1,
            },
            Record::State {
                at: hms(0, 40, 0),
                node: n,
                state: Redeploying,
            },
            Record::ActionEnded {
                at: hms(0, 55, 0),
                node: n,
                kind: Redeploy,
                error: None,
                fixed: true,
            },
            Record::State {
                at: hms(0, 55, 0),
                node: n,
                state: Unknown,
            },
            Record::ActionStarted {
                at: hms(1, 0, 0),
                node: n,
                kind: Reboot,
                pass: 2,
            },
            Record::State {
                at: hms(1, 0, 0),
                node: n,
                state: Rebooting,
            },
            Record::ActionEnded {
                at: hms(1, 4, 0),
                node: n,
                kind: Reboot,
                error: None,
                fixed: true,
            },
            Record::State {
                at: hms(1, 4, 0),
                node: n,
                state: Unknown,
            },
            Record::ActionStarted {
                at: hms(1, 9, 0),
                node: n,
                kind: Reimage,
                pass: 2,
            },
            Record::State {
                at: hms(1, 9, 0),
                node: n,
                state: Reimaging,
            },
            Record::ActionEnded {
                at: hms(1, 19, 0),
                node: n,
                kind: Reimage,
                error: None,
                fixed: true,
            },
            Record::State {
                at: hms(1, 19, 0),
                node: n,
                state: Unknown,
            },
            Record::Outcome {
                at: hms(1, 24, 0),
                node: n,
                outcome: Outcome::GaveUpTimeout,
            },
            Record::State {
                at: hms(1, 40, 10),
                node: n,
                state: Ready,
            },
            Record::Recovered {
                at: hms(1, 40, 10),
                node: n,
            },
            Record::FaultArrived {
                at: hms(0, 30, 0),
                node: 2,
                fault: 0,
                heal_at: Some(hms(0, 33, 0)),
                masked: false,
            },
            Record::State {
                at: hms(0, 30, 0),
                node: 2,
                state: NotReady,
            },
            Record::State {
                at: hms(0, 33, 0),
                node: 2,
                state: Ready,
            },
            Record::Outcome {
                at: hms(0, 33, 0),
                node: 2,
                outcome: Outcome::SelfHealed,
            },
            Record::Recovered {
                at: hms(0, 33, 0),
                node: 2,
            },
            Record::FaultArrived {
                at: hms(1, 0, 0),
                node: 3,
                fault: 0,
                heal_at: None,
                masked: false,
            },
            Record::State {
                at: hms(1, 0, 0),
                node: 3,
                state: NotReady,
            },
            Record::Detected {
                at: hms(1, 11, 0),
                node: 3,
                rule: DetectRule::NotReady,
            },
            Record::Outcome {
                at: hms(1, 16, 0),
                node: 3,
                outcome: Outcome::Excluded(Exclusion::Upgrading),
            },
        ]);
        v.sort_by_key(|r| r.at());
        v
    }

    /// Feeds `records` to `obs` with `begin` and `finish(horizon)`.
    pub fn run(obs: &mut dyn Observer, s: &Scenario, records: &[Record]) {
        obs.begin(s);
        for r in records {
            obs.record(r);
        }
        obs.finish(SimTime(s.horizon.ms()));
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    fn log_of(records: &[Record]) -> IncidentLog {
        let mut log = IncidentLog::new();
        run(&mut log, &scenario(), records);
        log
    }

    #[test]
    fn worked_example_1() {
        let log = log_of(&example1());
        assert_eq!(log.masked_faults(), 0);
        assert_eq!(log.orphan_records(), 0);
        let [inc] = log.incidents() else {
            panic!("one incident")
        };
        assert_eq!(
            *inc,
            Incident {
                node: 0,
                pool: 0,
                os: Os::Linux,
                fault_id: 0,
                onset: hms(1, 0, 35),
                detected: Some(hms(1, 11, 0)),
                detect_rule: Some(DetectRule::NotReady),
                repair_started: Some(hms(1, 16, 0)),
                actions: [ActionKind::Reboot].into_iter().collect(),
                passes: 1,
                errors: 0,
                error_codes: vec![],
                recovered: Some(hms(1, 20, 0)),
                outcome: Outcome::RepairedBy(ActionKind::Reboot),
                outcome_at: hms(1, 20, 0),
                exclusion: None,
                heal_at: None,
                last_action_end: Some(hms(1, 20, 0)),
                needless: false,
            }
        );
        assert_eq!(
            inc.ttd().map(crate::time::format_duration).as_deref(),
            Some("10m25s")
        );
        assert_eq!(
            inc.ttr().map(crate::time::format_duration).as_deref(),
            Some("19m25s")
        );
        assert!(!inc.events_expired(SimDuration::from_hours(1)));
    }

    #[test]
    fn replaced_undecided_incidents_stay_open_and_out_of_order_onsets_sort() {
        let arrive = |at, node| Record::FaultArrived {
            at,
            node,
            fault: 0,
            heal_at: None,
            masked: false,
        };
        let recs = vec![
            arrive(hms(0, 10, 0), 2),
            // Replaces node 2's first incident before any outcome.
            arrive(hms(0, 20, 0), 2),
            // Out of time order (not what the engine emits): a full sort.
            arrive(hms(0, 5, 0), 1),
            arrive(hms(0, 5, 0), 0),
            Record::Outcome {
                at: hms(0, 30, 0),
                node: 2,
                outcome: Outcome::SelfHealed,
            },
        ];
        let log = log_of(&recs);
        let incs = log.incidents();
        let keys: Vec<_> = incs.iter().map(|i| (i.onset, i.node)).collect();
        assert_eq!(
            keys,
            vec![
                (hms(0, 5, 0), 0),
                (hms(0, 5, 0), 1),
                (hms(0, 10, 0), 2),
                (hms(0, 20, 0), 2)
            ]
        );
        let horizon = hms(2, 0, 0);
        assert_eq!(
            (incs[2].outcome, incs[2].outcome_at),
            (Outcome::OpenAtHorizon, horizon)
        );
        assert_eq!(
            (incs[3].outcome, incs[3].outcome_at),
            (Outcome::SelfHealed, hms(0, 30, 0))
        );
        assert_eq!(incs[0].outcome_at, horizon);
    }

    #[test]
    fn action_lists_pack_then_spill() {
        use ActionKind::*;
        let kinds: Vec<ActionKind> = (0..70).map(|i| ActionKind::ALL[i * 7 % 3]).collect();
        let mut l = ActionList::new();
        assert!(l.is_empty());
        for (n, &k) in kinds.iter().enumerate() {
            l.push(k);
            assert_eq!(l.len(), n + 1);
            assert!(l.iter().eq(kinds[..=n].iter().copied()));
        }
        assert_eq!(l.get(69), Some(kinds[69]));
        assert_eq!(l.get(70), None);
        let short: ActionList = [Reboot, Redeploy, Reimage].into_iter().collect();
        assert_eq!(format!("{short:?}"), "[Reboot, Redeploy, Reimage]");
        assert_ne!(short, [Reboot, Redeploy].into_iter().collect());
        assert_eq!(short, [Reboot, Redeploy, Reimage].into_iter().collect());
    }

    #[test]
    fn masked_arrivals_open_nothing_and_records_follow_the_open_incident() {
        let mut recs = example1();
        recs.insert(
            1,
            Record::FaultArrived {
                at: hms(1, 0, 50),
                node: 0,
                fault: 1,
                heal_at: None,
                masked: true,
            },
        );
        // A second incident on the same node after the first completed.
        recs.push(Record::FaultArrived {
            at: hms(1, 30, 0),
            node: 0,
            fault: 1,
            heal_at: None,
            masked: false,
        });
        recs.push(Record::Detected {
            at: hms(1, 41, 0),
            node: 0,
            rule: DetectRule::NoStatus,
        });
        let log = log_of(&recs);
        assert_eq!(log.masked_faults(), 1);
        let incs = log.incidents();
        assert_eq!(incs.len(), 2);
        assert_eq!(incs[0].outcome, Outcome::RepairedBy(ActionKind::Reboot));
        assert_eq!(incs[1].fault_name(&scenario()), "disk-full");
        assert_eq!(incs[1].detect_rule, Some(DetectRule::NoStatus));
        assert_eq!(incs[1].outcome, Outcome::OpenAtHorizon);
        assert_eq!(incs[1].outcome_at, hms(2, 0, 0));
        assert_eq!(incs[1].recovered, None);
        assert_eq!(incs[1].ttr(), None);
    }

    #[test]
    fn gave_up_then_recovered_later_and_errors_and_expiry() {
        use ActionKind::*;
        let n = 1;
        let recs = vec![
            Record::FaultArrived {
                at: hms(0, 0, 30),
                node: n,
                fault: 1,
                heal_at: Some(hms(1, 40, 0)),
                masked: false,
            },
            Record::Detected {
                at: hms(0, 11, 0),
                node: n,
                rule: DetectRule::NoStatus,
            },
            Record::ActionStarted {
                at: hms(0, 16, 0),
                node: n,
                kind: Reboot,
                pass: 1,
            },
            Record::ActionEnded {
                at: hms(0, 20, 0),
                node: n,
                kind: Reboot,
                error: Some("InvalidParameter"),
                fixed: false,
            },
            Record::ActionStarted {
                at: hms(0, 25, 0),
                node: n,
                kind: Reimage,
                pass: 1,
            },
            Record::ActionEnded {
                at: hms(0, 35, 0),
                node: n,
                kind: Reimage,
                error: None,
                fixed: true,
            },
            Record::ActionStarted {
                at: hms(0, 40, 0),
                node: n,
                kind: Redeploy,
                pass: 1,
            },
            Record::ActionEnded {
                at: hms(0, 55, 0),
                node: n,
                kind: Redeploy,
                error: None,
                fixed: true,
            },
            Record::ActionStarted {
                at: hms(1, 0, 0),
                node: n,
                kind: Reboot,
                pass: 2,
            },
            Record::ActionEnded {
                at: hms(1, 4, 0),
                node: n,
                kind: Reboot,
                error: None,
                fixed: true,
            },
            Record::ActionStarted {
                at: hms(1, 9, 0),
                node: n,
                kind: Reimage,
                pass: 2,
            },
            Record::ActionEnded {
                at: hms(1, 19, 0),
                node: n,
                kind: Reimage,
                error: None,
                fixed: true,
            },
            Record::Outcome {
                at: hms(1, 24, 0),
                node: n,
                outcome: Outcome::GaveUpTimeout,
            },
            // Another node's incident, opened and completed in between.
            Record::FaultArrived {
                at: hms(1, 30, 0),
                node: 2,
                fault: 0,
                heal_at: Some(hms(1, 35, 0)),
                masked: false,
            },
            Record::Outcome {
                at: hms(1, 35, 10),
                node: 2,
                outcome: Outcome::SelfHealed,
            },
            Record::Recovered {
                at: hms(1, 35, 10),
                node: 2,
            },
            Record::Recovered {
                at: hms(1, 40, 10),
                node: n,
            },
        ];
        let log = log_of(&recs);
        let incs = log.incidents();
        assert_eq!(incs.len(), 2);
        let a = &incs[0];
        let s = scenario();
        assert_eq!(a.node_name(&s), "system-1");
        assert_eq!(a.pool_name(&s), "system");
        assert_eq!(a.fault_name(&s), "disk-full");
        assert_eq!(a.actions_joined(), "reboot;reimage;redeploy;reboot;reimage");
        assert_eq!((a.passes, a.errors), (2, 1));
        assert_eq!(a.error_codes, vec!["InvalidParameter"]);
        assert_eq!(a.outcome, Outcome::GaveUpTimeout);
        assert_eq!(a.recovered, Some(hms(1, 40, 10)));
        assert!(!a.needless, "the last action ended before heal_at");
        assert!(
            a.events_expired(SimDuration::from_hours(1)),
            "1h08m between first start and outcome"
        );
        assert!(!a.events_expired(SimDuration::from_mins(68)));
        assert_eq!(incs[1].outcome, Outcome::SelfHealed);
        assert_eq!(log.orphan_records(), 0);
    }

    #[test]
    fn needless_when_an_action_ends_at_or_after_heal_at_and_ties_sort_by_node() {
        use ActionKind::*;
        let recs = vec![
            Record::FaultArrived {
                at: hms(0, 1, 0),
                node: 2,
                fault: 0,
                heal_at: Some(hms(0, 20, 0)),
                masked: false,
            },
            Record::FaultArrived {
                at: hms(0, 1, 0),
                node: 1,
                fault: 1,
                heal_at: None,
                masked: false,
            },
            Record::ActionStarted {
                at: hms(0, 16, 0),
                node: 2,
                kind: Reboot,
                pass: 1,
            },
            Record::ActionEnded {
                at: hms(0, 20, 0),
                node: 2,
                kind: Reboot,
                error: None,
                fixed: true,
            },
            Record::Recovered {
                at: hms(0, 20, 0),
                node: 2,
            },
            Record::Outcome {
                at: hms(0, 20, 0),
                node: 2,
                outcome: Outcome::RepairedBy(Reboot),
            },
            Record::Outcome {
                at: hms(0, 21, 0),
                node: 1,
                outcome: Outcome::Excluded(Exclusion::TaintShutdown),
            },
            Record::Recovered {
                at: hms(0, 30, 0),
                node: 3,
            },
        ];
        let log = log_of(&recs);
        let incs = log.incidents();
        assert_eq!(incs.iter().map(|i| i.node).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(incs[0].exclusion, Some(Exclusion::TaintShutdown));
        assert_eq!(incs[0].recovered, None);
        assert!(incs[1].needless);
        assert_eq!(log.orphan_records(), 1, "win-0 had no incident");
    }
}
