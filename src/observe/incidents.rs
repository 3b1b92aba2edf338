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
//! Memory is O(incidents + nodes); each record costs O(1).

use super::{Observer, Record};
use crate::faults::FaultId;
use crate::fleet::{NodeId, Os};
use crate::k8s::ActionKind;
use crate::policy::{DetectRule, Exclusion, Outcome};
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime};

/// One incident: a fault on a node and what the controller did about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub node: NodeId,
    /// `<pool>-<index>`.
    pub node_name: String,
    /// The node's pool name.
    pub pool: String,
    pub os: Os,
    pub fault_id: FaultId,
    /// The fault's catalogue name.
    pub fault: String,
    /// When the fault arrived.
    pub onset: SimTime,
    /// The check that detected the incident.
    pub detected: Option<SimTime>,
    pub detect_rule: Option<DetectRule>,
    /// The first action's start.
    pub repair_started: Option<SimTime>,
    /// Every action started, in order.
    pub actions: Vec<ActionKind>,
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
    /// The reason when the outcome is `Excluded`.
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
    /// Time to detect: detection check minus onset [ms].
    pub fn ttd(&self) -> Option<SimDuration> {
        self.detected.map(|d| d - self.onset)
    }

    /// Time to recover: Ready again minus onset [ms].
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
        self.actions
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Where a node's open incident is, and what it still waits for.
#[derive(Clone, Copy, Debug)]
struct Open {
    index: usize,
    has_outcome: bool,
    has_recovered: bool,
}

/// Turns records into [`Incident`]s. Call [`Observer::begin`] first: it
/// reads node, pool and fault names from the scenario.
#[derive(Debug, Default)]
pub struct IncidentLog {
    node_names: Vec<String>,
    node_pools: Vec<String>,
    node_os: Vec<Os>,
    fault_names: Vec<String>,
    incidents: Vec<Incident>,
    /// Whether `incidents[i]` got an `Outcome` record.
    decided: Vec<bool>,
    /// By node id.
    open: Vec<Option<Open>>,
    masked: u64,
    /// Records for a node with no open incident (other than `State`).
    orphans: u64,
    finished: bool,
}

impl IncidentLog {
    pub fn new() -> IncidentLog {
        IncidentLog::default()
    }

    /// The incidents, in onset order (ties: node order) once
    /// [`Observer::finish`] ran; in arrival order before.
    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    pub fn into_incidents(self) -> Vec<Incident> {
        self.incidents
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
        let inc = &mut self.incidents[slot.index];
        Some((slot, inc))
    }

    fn close_if_complete(&mut self, node: NodeId) {
        if let Some(slot) = self.open.get_mut(node as usize)
            && slot.is_some_and(|o| o.has_outcome && o.has_recovered)
        {
            *slot = None;
        }
    }
}

impl Observer for IncidentLog {
    fn begin(&mut self, s: &Scenario) {
        self.node_names = s.fleet.nodes.iter().map(|n| n.name.clone()).collect();
        self.node_pools = s
            .fleet
            .nodes
            .iter()
            .map(|n| s.fleet.pools[n.pool].name.clone())
            .collect();
        self.node_os = s.fleet.nodes.iter().map(|n| n.os).collect();
        self.fault_names = s.faults.iter().map(|f| f.name.clone()).collect();
        self.open = vec![None; s.fleet.len()];
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
                let index = self.incidents.len();
                self.incidents.push(Incident {
                    node,
                    node_name: self
                        .node_names
                        .get(n)
                        .cloned()
                        .unwrap_or_else(|| format!("node-{node}")),
                    pool: self.node_pools.get(n).cloned().unwrap_or_default(),
                    os: self.node_os.get(n).copied().unwrap_or(Os::Linux),
                    fault_id: fault,
                    fault: self
                        .fault_names
                        .get(fault as usize)
                        .cloned()
                        .unwrap_or_else(|| format!("fault-{fault}")),
                    onset: at,
                    detected: None,
                    detect_rule: None,
                    repair_started: None,
                    actions: Vec::new(),
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
                });
                self.decided.push(false);
                // An unmasked arrival on a node whose previous incident is
                // not complete replaces it: later records apply to the new one.
                self.open[n] = Some(Open {
                    index,
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
                    inc.exclusion = match outcome {
                        Outcome::Excluded(e) => Some(e),
                        _ => None,
                    };
                    let index = slot.index;
                    self.decided[index] = true;
                    self.close_if_complete(node);
                }
                _ => self.orphans += 1,
            },
            Record::Recovered { at, node } => match self.open_mut(node) {
                Some((slot, inc)) if !slot.has_recovered => {
                    slot.has_recovered = true;
                    inc.recovered = Some(at);
                    self.close_if_complete(node);
                }
                _ => self.orphans += 1,
            },
        }
    }

    fn finish(&mut self, horizon: SimTime) {
        if self.finished {
            return;
        }
        self.finished = true;
        for (inc, decided) in self.incidents.iter_mut().zip(&self.decided) {
            if !decided {
                inc.outcome = Outcome::OpenAtHorizon;
                inc.outcome_at = horizon;
            }
        }
        // Stable: same onset and node keeps arrival order.
        self.incidents.sort_by_key(|i| (i.onset, i.node));
        self.open.iter_mut().for_each(|o| *o = None);
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
            description: "POLICY.md section 5, worked example 1".into(),
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
                },
                Pool {
                    name: "win".into(),
                    os: Os::Windows,
                    count: 1,
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
                },
                Fault {
                    name: "disk-full".into(),
                    signal: Signal::NoStatus,
                    fixed_by: None,
                    self_heal_after: None,
                    exclude: None,
                },
            ],
            injections: vec![],
            arrivals: vec![],
            outages: vec![],
            marks: vec![],
            never_registered: vec![],
            content_hash: 0x0123_4567_89ab_cdef,
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
                node_name: "system-0".into(),
                pool: "system".into(),
                os: Os::Linux,
                fault_id: 0,
                fault: "kubelet-down".into(),
                onset: hms(1, 0, 35),
                detected: Some(hms(1, 11, 0)),
                detect_rule: Some(DetectRule::NotReady),
                repair_started: Some(hms(1, 16, 0)),
                actions: vec![ActionKind::Reboot],
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
        assert_eq!(incs[1].fault, "disk-full");
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
        assert_eq!(a.node_name, "system-1");
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
