//! The Kubernetes events of the event-driven peers, word for word from
//! PEERS.md: Karpenter (section 2), the Cluster API machine health check
//! and machine controllers (section 3), medik8s NodeHealthCheck and Self
//! Node Remediation (section 4).
//!
//! The engine's records say what happened; this module says how each
//! provider's controllers report it. Controller latency is zero (PEERS.md
//! "(ε)"): the steps of one instant are emitted in the order the sources
//! run them.

use super::Record;
use super::events::{Emitted, EventSink, ObjectRef, Text};
use crate::fleet::NodeId;
use crate::k8s::{ActionKind, Condition, EventPhase};
use crate::policy::Exclusion;
use crate::policy::providers::Provider;
use crate::policy::rules::{Guard, Limit};
use crate::scenario::Scenario;
use crate::time::{SimDuration, SimTime};
use std::borrow::Cow;
use std::collections::BTreeSet;

const CAPI: &str = "cluster.x-k8s.io/v1beta2";
const NHC_API: &str = "remediation.medik8s.io/v1alpha1";
const SNR_API: &str = "self-node-remediation.medik8s.io/v1alpha1";
const NHC_SOURCE: &str = "NodeHealthCheck";
const SNR_SOURCE: &str = "SelfNodeRemediation";
/// Every reason this module emits, for `[[expect]] event=`.
pub const REASONS: [&str; 24] = [
    "TerminationGracePeriodExpiring",
    "NodeRepairBlocked",
    "MachineMarkedUnhealthy",
    "SuccessfulDrainNode",
    "SuccessfulCreate",
    "SuccessfulSetNodeRef",
    "RemediationRestricted",
    "DetectedUnhealthy",
    "RemediationCreated",
    "RemediationRemoved",
    "RemediationSkipped",
    "NoTemplateLeft",
    "RemediationStarted",
    "AddFinalizer",
    "AddNoScheduleTaint",
    "UpdateTimeAssumedRebooted",
    "NodeReboot",
    "AddOutOfService",
    "RemoveOutOfService",
    "DeleteResources",
    "RemoveNoScheduleTaint",
    "RemoveFinalizer",
    "RemediationFinished",
    "RemediationStopped",
];

/// The one NodeHealthCheck, selecting every worker.
pub const NHC_NAME: &str = "nhc-workers";
/// Karpenter deduplicates NodeRepairBlocked per node for this long.
const BLOCKED_DEDUP: SimDuration = SimDuration::from_mins(15);
/// SNR's computed safe time to assume a node rebooted (PEERS.md
/// section 4, `snr_safe_time`), and its requeue's extra second.
const SNR_SAFE_TIME: SimDuration = SimDuration::from_secs(180);
const SNR_REQUEUE: SimDuration = SimDuration::from_secs(1);

#[derive(Clone, Debug, Default)]
struct NodeEvents {
    /// The node's name in the scenario.
    base: String,
    /// The node's current name (`<node>-r<k>` after replacements).
    name: String,
    /// NHC: the remediation CRs of the open incident, in creation order,
    /// each named after its node's name at its creation.
    crs: Vec<(ActionKind, String)>,
    /// SNR reported `Succeeded=True` for the open SNR remediation.
    snr_succeeded: bool,
    /// When SNR's pending fencing completes (its entry in `fencing`).
    fence_at: Option<SimTime>,
    /// Karpenter: the last NodeRepairBlocked.
    last_blocked: Option<SimTime>,
    /// NHC: RemediationSkipped for the exclude label was emitted in the
    /// open incident.
    label_skipped: bool,
    /// Cluster API: MachineMarkedUnhealthy was emitted for the repair to
    /// come (its Machine waits for an in-flight slot).
    marked: bool,
}

/// The per-run state of one peer's event vocabulary.
#[derive(Debug)]
pub struct PeerEvents {
    provider: Provider,
    guard: Option<Guard>,
    nodes: Vec<NodeEvents>,
    pools: Vec<String>,
    pool_of: Vec<usize>,
    /// Each pool's MachineHealthCheck name ([`mhc_name`]), by pool.
    mhcs: Vec<String>,
    /// SNR fencing that completes at the instant: (instant, node).
    fencing: BTreeSet<(SimTime, NodeId)>,
    /// NHC: the evaluation instant of the last "pause requests" event.
    last_pause: Option<SimTime>,
}

impl PeerEvents {
    pub fn new(s: &Scenario) -> PeerEvents {
        PeerEvents {
            provider: s.policy.preset.provider(),
            guard: s.policy.guard,
            nodes: s
                .fleet
                .nodes
                .iter()
                .map(|n| NodeEvents {
                    base: n.name.clone(),
                    name: n.name.clone(),
                    ..Default::default()
                })
                .collect(),
            pools: s.fleet.pools.iter().map(|p| p.name.clone()).collect(),
            pool_of: s.fleet.nodes.iter().map(|n| n.pool).collect(),
            mhcs: s.fleet.pools.iter().map(|p| mhc_name(&p.name)).collect(),
            last_pause: None,
            fencing: BTreeSet::new(),
        }
    }

    fn name(&self, node: NodeId) -> &str {
        &self.nodes[node as usize].name
    }

    fn mhc(&self, node: NodeId) -> &str {
        &self.mhcs[self.pool_of[node as usize]]
    }

    fn pool(&self, node: NodeId) -> &str {
        &self.pools[self.pool_of[node as usize]]
    }

    /// Emits the SNR fencing steps due before `until`.
    pub fn flush(&mut self, log: &mut EventSink, until: SimTime) {
        while let Some(&(t, node)) = self.fencing.first() {
            if t >= until {
                break;
            }
            self.fencing.pop_first();
            let n = &mut self.nodes[node as usize];
            n.fence_at = None;
            n.snr_succeeded = true;
            let name = self.name(node);
            snr_steps(log, t, node, name, &SNR_FENCE);
        }
    }

    /// SNR's fencing of `node` is due at `at`, or (`None`) no longer.
    fn fence(&mut self, node: NodeId, at: Option<SimTime>) {
        let n = &mut self.nodes[node as usize];
        if let Some(t) = std::mem::replace(&mut n.fence_at, at) {
            self.fencing.remove(&(t, node));
        }
        if let Some(t) = at {
            self.fencing.insert((t, node));
        }
    }

    pub fn record(&mut self, log: &mut EventSink, rec: &Record) {
        self.flush(log, rec.at());
        if let Record::FaultArrived {
            node,
            masked: false,
            ..
        } = *rec
        {
            let n = &mut self.nodes[node as usize];
            n.label_skipped = false;
            n.marked = false;
        }
        match self.provider {
            Provider::Karpenter => self.karpenter(log, rec),
            Provider::Capi => self.capi(log, rec),
            Provider::Medik8s => self.medik8s(log, rec),
            _ => {}
        }
    }

    fn karpenter(&mut self, log: &mut EventSink, rec: &Record) {
        match *rec {
            Record::ActionStarted { at, node, .. } => {
                let name = self.name(node);
                let message = format!("All pods will be deleted by {}", log.timestamp(at));
                log.emit(
                    at,
                    node,
                    warning(
                        ObjectRef::node(name),
                        name,
                        "TerminationGracePeriodExpiring",
                        message,
                        "karpenter",
                        Some(EventPhase::Start),
                    ),
                );
            }
            Record::Suppressed {
                at, node, reason, ..
            } if reason.is_peer_guard() => {
                let n = &mut self.nodes[node as usize];
                if n.last_blocked.is_some_and(|t| at < t + BLOCKED_DEDUP) {
                    return;
                }
                n.last_blocked = Some(at);
                let name = self.name(node);
                log.emit(
                    at,
                    node,
                    warning(
                        ObjectRef::node(name),
                        name,
                        "NodeRepairBlocked",
                        "more than 20% nodes are unhealthy in the nodepool",
                        "karpenter",
                        None,
                    ),
                );
            }
            _ => {}
        }
    }

    fn capi(&mut self, log: &mut EventSink, rec: &Record) {
        fn machine(name: &str) -> ObjectRef<'_> {
            ObjectRef {
                api_version: CAPI,
                kind: "Machine",
                name: name.into(),
            }
        }
        fn marked_unhealthy<'a>(name: &'a str, mhc: &str) -> Emitted<'a> {
            normal(
                machine(name),
                name,
                "MachineMarkedUnhealthy",
                format!("Machine default/{name} has been marked as unhealthy by default/{mhc}"),
                "machinehealthcheck-controller",
                Some(EventPhase::Start),
            )
        }
        match *rec {
            // The health check marks the Machine when it finds it
            // unhealthy; the MachineSet deletes it once a slot is free.
            Record::Marked { at, node } => {
                self.nodes[node as usize].marked = true;
                let name = self.name(node);
                let mhc = self.mhc(node);
                log.emit(at, node, marked_unhealthy(name, mhc));
            }
            Record::ActionStarted { at, node, .. } => {
                let marked = std::mem::take(&mut self.nodes[node as usize].marked);
                let name = self.name(node);
                let mhc = self.mhc(node);
                if !marked {
                    log.emit(at, node, marked_unhealthy(name, mhc));
                }
                log.emit(
                    at,
                    node,
                    normal(
                        machine(name),
                        name,
                        "SuccessfulDrainNode",
                        format_args!("success draining Machine's node \"{name}\""),
                        "machine-controller",
                        None,
                    ),
                );
            }
            Record::Replaced { at, node, k } => {
                self.rename(node, k);
                let name = self.name(node);
                let pool = self.pool(node).to_string();
                log.emit(
                    at,
                    node,
                    normal(
                        ObjectRef {
                            api_version: CAPI,
                            kind: "MachineSet",
                            name: pool.into(),
                        },
                        name,
                        "SuccessfulCreate",
                        format_args!("Created Machine \"{name}\""),
                        "machineset-controller",
                        None,
                    ),
                );
            }
            // A replacement that missed its node startup timeout never
            // gets a node reference.
            Record::ActionEnded {
                at,
                node,
                kind: ActionKind::Replace,
                error: None,
                ..
            } => {
                let name = self.name(node);
                log.emit(
                    at,
                    node,
                    normal(
                        machine(name),
                        name,
                        "SuccessfulSetNodeRef",
                        name,
                        "machine-controller",
                        Some(EventPhase::End),
                    ),
                );
            }
            Record::GuardHeld {
                at,
                node,
                total,
                matched,
                ..
            } => {
                let Some(g) = self.guard else { return };
                let tail = match g.limit {
                    Limit::Range(lo, hi) => format!(
                        "does not fall within the range (total: {total}, unhealthy: {matched}, \
                         unhealthyRange: [{lo}-{hi}])"
                    ),
                    Limit::MaxUnhealthy(a) | Limit::MinHealthy(a) => format!(
                        "exceeds maxUnhealthy (total: {total}, unhealthy: {matched}, \
                         maxUnhealthy: {a})"
                    ),
                };
                let mhc = self.mhc(node);
                log.emit(
                    at,
                    node,
                    warning(
                        ObjectRef {
                            api_version: CAPI,
                            kind: "MachineHealthCheck",
                            name: mhc.into(),
                        },
                        String::new(),
                        "RemediationRestricted",
                        format_args!(
                            "Remediation is not allowed, the number of not started or unhealthy \
                             machines {tail}"
                        ),
                        "machinehealthcheck-controller",
                        None,
                    ),
                );
            }
            _ => {}
        }
    }

    fn medik8s(&mut self, log: &mut EventSink, rec: &Record) {
        match *rec {
            Record::Matched {
                at,
                node,
                condition,
            } => {
                let name = self.name(node);
                let status = if condition == Condition::Unknown {
                    "Unknown"
                } else {
                    "False"
                };
                log.emit(
                    at,
                    node,
                    nhc(
                        name,
                        "Normal",
                        "DetectedUnhealthy",
                        format_args!(
                            "Node matches unhealthy condition. Node \"{name}\", condition type \
                             \"Ready\", condition status \"{status}\""
                        ),
                        None,
                    ),
                );
            }
            Record::ActionStarted { at, node, kind, .. } => {
                let name = self.name(node).to_string();
                // An escalation: SNR stops unless it already succeeded.
                let n = &self.nodes[node as usize];
                if n.crs.last().is_some_and(|c| c.0 == ActionKind::SnrReboot) && !n.snr_succeeded {
                    self.fence(node, None);
                    log.emit(
                        at,
                        node,
                        snr(
                            false,
                            &name,
                            "RemediationStopped",
                            "NHC added the timed-out annotation, remediation will be stopped",
                        ),
                    );
                }
                self.nodes[node as usize].crs.push((kind, name.to_string()));
                log.emit(
                    at,
                    node,
                    nhc(
                        name.clone(),
                        "Normal",
                        "RemediationCreated",
                        format_args!("Created remediation object for node {name}"),
                        Some(EventPhase::Start),
                    ),
                );
                if kind == ActionKind::SnrReboot {
                    self.nodes[node as usize].snr_succeeded = false;
                    snr_steps(log, at, node, &name, &SNR_START);
                    self.fence(node, Some(at + SNR_SAFE_TIME + SNR_REQUEUE));
                }
            }
            Record::Replaced { node, k, .. } => self.rename(node, k),
            Record::Recovered { at, node } => {
                self.fence(node, None);
                let crs = std::mem::take(&mut self.nodes[node as usize].crs);
                let current = self.name(node);
                for (kind, name) in crs {
                    let cr_kind = match kind {
                        ActionKind::SnrReboot => "SelfNodeRemediation",
                        _ => "MachineDeletionRemediation",
                    };
                    log.emit(
                        at,
                        node,
                        nhc(
                            name.clone(),
                            "Normal",
                            "RemediationRemoved",
                            format_args!(
                                "Deleted remediation CR of kind {cr_kind} with name {name}"
                            ),
                            Some(EventPhase::End),
                        ),
                    );
                    // SNR cleans up a node that is still there.
                    if kind == ActionKind::SnrReboot && name == current {
                        snr_steps(log, at, node, &name, &SNR_END);
                    }
                }
            }
            Record::Outcome {
                at,
                node,
                outcome: crate::policy::Outcome::GaveUpExhausted,
            } => {
                let name = self.name(node);
                log.emit(
                    at,
                    node,
                    nhc(
                        name,
                        "Warning",
                        "NoTemplateLeft",
                        format_args!(
                            "Remediation timed out, and no template left to try. didn't find a \
                             template to use for NHC {NHC_NAME} and node {name}"
                        ),
                        Some(EventPhase::Error),
                    ),
                );
            }
            // Paused, NHC postpones every remediation of an evaluation
            // with one event about itself.
            Record::Suppressed {
                at,
                node,
                reason: Exclusion::Paused,
            } => {
                if self.last_pause.replace(at) == Some(at) {
                    return;
                }
                log.emit(
                    at,
                    node,
                    nhc(
                        "",
                        "Normal",
                        "RemediationSkipped",
                        "Postponing potential remediations because of pause requests",
                        None,
                    ),
                );
            }
            // NHC skips a labelled node on every reconcile; one event per
            // incident stands for them (the recorder would count repeats).
            Record::Suppressed {
                at,
                node,
                reason: Exclusion::ExcludeLabel,
            } => {
                if std::mem::replace(&mut self.nodes[node as usize].label_skipped, true) {
                    return;
                }
                let name = self.name(node);
                log.emit(
                    at,
                    node,
                    nhc(
                        name,
                        "Warning",
                        "RemediationSkipped",
                        format_args!(
                            "Remediation skipped on node {name}: node has Exclude from Remediation label"
                        ),
                        None,
                    ),
                );
            }
            Record::GuardHeld {
                at,
                node,
                total,
                unhealthy,
                ..
            } => {
                let Some(g) = self.guard else { return };
                let healthy = total - unhealthy.min(total);
                // maxUnhealthy M' becomes minHealthy N - M'.
                let needed = match g.limit {
                    Limit::MinHealthy(_) => g.threshold(total),
                    _ => u64::from(total).saturating_sub(g.threshold(total)),
                };
                log.emit(
                    at,
                    node,
                    nhc(
                        String::new(),
                        "Warning",
                        "RemediationSkipped",
                        format_args!(
                            "Skipped remediation because the number of healthy nodes selected \
                             by the selector is {healthy} and should equal or exceed {needed}"
                        ),
                        None,
                    ),
                );
            }
            _ => {}
        }
    }

    /// The node's Node object was replaced: it goes by `<node>-r<k>`.
    fn rename(&mut self, node: NodeId, k: u32) {
        let n = &mut self.nodes[node as usize];
        n.name = format!("{}-r{k}", n.base);
    }
}

/// SNR's steps at a remediation's start: (on the Node, reason, message).
const SNR_START: [(bool, &str, &str); 5] = [
    (
        false,
        "RemediationStarted",
        "Remediation started by SNR manager",
    ),
    (
        false,
        "AddFinalizer",
        "Remediation process - successful adding finalizer",
    ),
    (
        true,
        "AddNoScheduleTaint",
        "Remediation process - NoSchedule taint added to the unhealthy node",
    ),
    (
        false,
        "UpdateTimeAssumedRebooted",
        "Remediation process - about to update required fencing time on snr",
    ),
    (
        true,
        "NodeReboot",
        "Remediation process - about to attempt fencing the unhealthy node by rebooting it",
    ),
];

/// SNR's fencing once the node is assumed rebooted (all on the Node).
const SNR_FENCE: [(bool, &str, &str); 3] = [
    (
        true,
        "AddOutOfService",
        "Remediation process - add out-of-service taint to unhealthy node",
    ),
    (
        true,
        "RemoveOutOfService",
        "Remediation process - remove out-of-service taint from node",
    ),
    (
        true,
        "DeleteResources",
        "Remediation process - finished deleting unhealthy node resources",
    ),
];

/// SNR's steps once the node is healthy and its CR is deleted.
const SNR_END: [(bool, &str, &str); 3] = [
    (
        true,
        "RemoveNoScheduleTaint",
        "Remediation process - remove NoSchedule taint from healthy remediated node",
    ),
    (
        false,
        "RemoveFinalizer",
        "Remediation process - remove finalizer from snr",
    ),
    (false, "RemediationFinished", "Remediation finished"),
];

/// SNR's steps of one instant, each on its Node or on its CR.
fn snr_steps(
    log: &mut EventSink,
    at: SimTime,
    node: NodeId,
    name: &str,
    steps: &[(bool, &str, &str)],
) {
    for &(on_node, reason, msg) in steps {
        log.emit(at, node, snr(on_node, name, reason, msg));
    }
}

/// The MachineHealthCheck of a pool (one per MachineDeployment).
fn mhc_name(pool: &str) -> String {
    format!("{pool}-mhc")
}

pub(super) fn normal<'a>(
    object: ObjectRef<'a>,
    node_label: impl Into<Cow<'a, str>>,
    reason: impl Into<Cow<'a, str>>,
    message: impl Into<Text<'a>>,
    component: &'static str,
    phase: Option<EventPhase>,
) -> Emitted<'a> {
    Emitted {
        object,
        node_label: node_label.into(),
        reason: reason.into(),
        type_: "Normal",
        message: message.into(),
        message_prefix: "",
        component,
        action: None,
        action_kind: None,
        phase,
    }
}

fn warning<'a>(
    object: ObjectRef<'a>,
    node_label: impl Into<Cow<'a, str>>,
    reason: impl Into<Cow<'a, str>>,
    message: impl Into<Text<'a>>,
    component: &'static str,
    phase: Option<EventPhase>,
) -> Emitted<'a> {
    Emitted {
        type_: "Warning",
        ..normal(object, node_label, reason, message, component, phase)
    }
}

/// A NodeHealthCheck event: on the NodeHealthCheck, `[remediation] `-prefixed.
fn nhc<'a>(
    node_label: impl Into<Cow<'a, str>>,
    type_: &'static str,
    reason: &'a str,
    message: impl Into<Text<'a>>,
    phase: Option<EventPhase>,
) -> Emitted<'a> {
    Emitted {
        type_,
        message_prefix: "[remediation] ",
        ..normal(
            ObjectRef {
                api_version: NHC_API,
                kind: "NodeHealthCheck",
                name: NHC_NAME.into(),
            },
            node_label,
            reason,
            message,
            NHC_SOURCE,
            phase,
        )
    }
}

/// An SNR event, on the Node or on the SelfNodeRemediation object
/// (named like its node).
fn snr<'a>(on_node: bool, node: &'a str, reason: &'a str, message: &'a str) -> Emitted<'a> {
    let object = if on_node {
        ObjectRef::node(node)
    } else {
        ObjectRef {
            api_version: SNR_API,
            kind: "SelfNodeRemediation",
            name: node.into(),
        }
    };
    Emitted {
        message_prefix: "[remediation] ",
        ..normal(object, node, reason, message, SNR_SOURCE, None)
    }
}
