//! The fault catalogue and how faults are injected: scheduled, stochastic
//! arrivals, correlated outages, taints, upgrade windows, and nodes that
//! never register. These are validated types; `scenario` builds them.

use crate::dist::DurationDist;
use crate::fleet::NodeId;
use crate::k8s::ActionKind;
use crate::policy::Exclusion;
use crate::policy::providers::Provider;
use crate::time::{SimDuration, SimTime};

/// How a fault shows in the control plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signal {
    /// The kubelet runs and posts Ready=False.
    NotReady,
    /// The kubelet is silent; Ready turns Unknown after the grace period.
    NoStatus,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::NotReady => "not-ready",
            Signal::NoStatus => "no-status",
        }
    }
}

/// Index into [`crate::scenario::Scenario::faults`].
pub type FaultId = u32;

#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub name: String,
    pub signal: Signal,
    /// The weakest action that fixes it (stronger ones do too); `None`:
    /// no action does.
    pub fixed_by: Option<ActionKind>,
    /// Time from onset until the fault goes away by itself \[ms\].
    pub self_heal_after: Option<DurationDist>,
    /// The node may not be repaired while it has this fault.
    pub exclude: Option<Exclusion>,
    /// Recorded attempts (a history's import): the n-th action of a kind
    /// in an incident of this fault takes the n-th entry of that kind
    /// here; actions past the list draw from `[actions]`.
    pub recorded: Vec<RecordedAction>,
}

/// One recorded action: how long it took, and its error code when it
/// failed (`""` for an error without a code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedAction {
    pub kind: ActionKind,
    pub duration: crate::time::SimDuration,
    pub error: Option<&'static str>,
}

impl Fault {
    /// The recorded `n`-th action of `kind` (from 0), if there is one.
    pub fn recorded(&self, kind: ActionKind, n: usize) -> Option<&RecordedAction> {
        self.recorded.iter().filter(|r| r.kind == kind).nth(n)
    }
}

impl Fault {
    /// Whether `action`, ending without error, fixes this fault.
    pub fn fixed_by_action(&self, action: ActionKind) -> bool {
        self.fixed_by.is_some_and(|weakest| action.fixes(weakest))
    }
}

/// Which nodes an injection hits.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Node(NodeId),
    /// `count` nodes of this pool: those with the smallest keys drawn from
    /// each node's own stream, so growing the pool moves the choice only at
    /// the margin.
    Pool {
        pool: usize,
        count: u32,
    },
}

/// A fault at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Injection {
    pub at: SimTime,
    pub fault: FaultId,
    pub target: Target,
}

/// Stochastic arrivals: a Poisson process per node.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrivals {
    pub fault: FaultId,
    /// Mean time between failures, per node \[ms\].
    pub mtbf: SimDuration,
    /// The nodes it applies to, in node order.
    pub nodes: Vec<NodeId>,
}

/// A correlated outage: a fault on many nodes at once that lifts at `at + duration`.
#[derive(Clone, Debug, PartialEq)]
pub struct Outage {
    pub name: String,
    pub at: SimTime,
    /// \[ms\]
    pub duration: SimDuration,
    pub fault: FaultId,
    /// Nodes it may hit, in node order.
    pub candidates: Vec<NodeId>,
    /// The chance that each candidate is hit, drawn per node, in (0, 1].
    pub fraction: f64,
}

/// The node-level marks that make the policy skip a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Taint `node.cloudprovider.kubernetes.io/shutdown`.
    TaintShutdown,
    /// Taint `ToBeDeletedByClusterAutoscaler`.
    TaintToBeDeleted,
    /// Upgrade annotations (scale-down-disabled, reason "upgrade").
    Upgrading,
    /// Machine annotation `cluster.x-k8s.io/skip-remediation`.
    SkipRemediation,
    /// Machine annotation `cluster.x-k8s.io/paused`.
    Paused,
    /// Node label `remediation.medik8s.io/exclude-from-remediation: "true"`.
    ExcludeLabel,
    /// The health check itself is paused: a MachineHealthCheck's
    /// `cluster.x-k8s.io/paused` annotation, a NodeHealthCheck's
    /// `pauseRequests`. No new remediation; running ones continue.
    CheckPaused,
    /// An exclusion a recorded history shows but does not explain
    /// (`repairsim import`): every provider honours it.
    Unknown,
}

impl Mark {
    /// Every kind, in declaration order (a node counts each kind's windows).
    pub const ALL: [Mark; 8] = [
        Mark::TaintShutdown,
        Mark::TaintToBeDeleted,
        Mark::Upgrading,
        Mark::SkipRemediation,
        Mark::Paused,
        Mark::ExcludeLabel,
        Mark::CheckPaused,
        Mark::Unknown,
    ];
    pub const COUNT: usize = Mark::ALL.len();

    /// The providers that read this mark: each reads its own objects'
    /// (AKS taints and upgrades, Cluster API annotations, the medik8s
    /// label), and another provider acts on the node as if unmarked.
    pub fn readers(self) -> &'static [Provider] {
        match self {
            Mark::TaintShutdown | Mark::TaintToBeDeleted | Mark::Upgrading => &[Provider::Aks],
            Mark::SkipRemediation | Mark::Paused => &[Provider::Capi],
            Mark::ExcludeLabel => &[Provider::Medik8s],
            Mark::CheckPaused => &[Provider::Capi, Provider::Medik8s],
            Mark::Unknown => &Provider::ALL,
        }
    }

    /// A Machine with this annotation is no target of its health check:
    /// Cluster API leaves it out of the counts its guard compares
    /// (`getTargetsFromMHC` skips it).
    pub fn leaves_targets(self) -> bool {
        matches!(self, Mark::SkipRemediation | Mark::Paused)
    }

    pub fn exclusion(self) -> Exclusion {
        match self {
            Mark::TaintShutdown => Exclusion::TaintShutdown,
            Mark::TaintToBeDeleted => Exclusion::TaintToBeDeleted,
            Mark::Upgrading => Exclusion::Upgrading,
            Mark::SkipRemediation => Exclusion::SkipRemediation,
            Mark::Paused => Exclusion::Paused,
            Mark::ExcludeLabel => Exclusion::ExcludeLabel,
            Mark::CheckPaused => Exclusion::Paused,
            Mark::Unknown => Exclusion::Unknown,
        }
    }
}

/// A mark on some nodes from `from` until `until` (or the horizon).
#[derive(Clone, Debug, PartialEq)]
pub struct MarkWindow {
    pub mark: Mark,
    pub nodes: Vec<NodeId>,
    pub from: SimTime,
    pub until: Option<SimTime>,
}
