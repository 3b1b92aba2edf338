//! The repair policy: its pinned parameters ([`params`]) and the pure state
//! machine that applies them to one node ([`machine`]).
//!
//! Invariant: nothing here knows about the event queue, the fleet or
//! outputs. The machine sees what the controller could see on a check
//! (a [`machine::CheckView`]) and returns what it decides; the engine
//! applies it.

pub mod machine;
pub mod params;
pub mod providers;
pub mod rules;
pub mod spec;

pub use machine::{CheckView, End, Phase, Verdict};
pub use params::{
    DelayAnchor, EventWording, Kubelet, OnActionError, PlannedAction, Policy, Preset, RetryMode,
};

use crate::k8s::ActionKind;
use std::fmt;

/// Why a node is not repaired (POLICY.md section 3), in the order checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exclusion {
    NetworkMisconfiguration,
    NeverRegistered,
    TaintShutdown,
    TaintToBeDeleted,
    Upgrading,
    ClusterTooSmall,
    AllNodesNotReady,
    /// The peers' node-level exclusions (PEERS.md section 0), re-read on
    /// every evaluation: they hold the node back as a guard does. An EKS
    /// `nodeRepairConfigOverrides` entry with `repairAction: NoAction` for
    /// the fault's condition.
    NoAction,
    /// Machine annotation `cluster.x-k8s.io/paused` (Cluster API checks it
    /// before skip-remediation).
    Paused,
    /// Machine annotation `cluster.x-k8s.io/skip-remediation`.
    SkipRemediation,
    /// Node label `remediation.medik8s.io/exclude-from-remediation: "true"`.
    ExcludeLabel,
    /// The peers' guards (PEERS.md section 0): they hold new remediations
    /// back and show in the incidents' `exclusion` column, but never end
    /// an incident.
    GuardMaxUnhealthy,
    GuardMinHealthy,
    GuardEks20pct,
    /// A recorded history's episode that its policy left alone for a
    /// reason the record does not show (`repairsim import`): every
    /// provider honours it, so a replay invents no repair.
    Unknown,
}

impl Exclusion {
    pub const ALL: [Exclusion; 15] = [
        Exclusion::NetworkMisconfiguration,
        Exclusion::NeverRegistered,
        Exclusion::TaintShutdown,
        Exclusion::TaintToBeDeleted,
        Exclusion::Upgrading,
        Exclusion::ClusterTooSmall,
        Exclusion::AllNodesNotReady,
        Exclusion::NoAction,
        Exclusion::Paused,
        Exclusion::SkipRemediation,
        Exclusion::ExcludeLabel,
        Exclusion::GuardMaxUnhealthy,
        Exclusion::GuardMinHealthy,
        Exclusion::GuardEks20pct,
        Exclusion::Unknown,
    ];

    /// The exclusions of POLICY.md section 3, in check order: the first
    /// seven of [`Exclusion::ALL`]. The engine keeps exclusions as bits of
    /// a `u16`, indexed by discriminant.
    pub const AKS: [Exclusion; 7] = {
        let mut a = [Exclusion::NetworkMisconfiguration; 7];
        let mut i = 0;
        while i < a.len() {
            a[i] = Exclusion::ALL[i];
            i += 1;
        }
        a
    };

    pub fn name(self) -> &'static str {
        match self {
            Exclusion::NetworkMisconfiguration => "network-misconfiguration",
            Exclusion::NeverRegistered => "never-registered",
            Exclusion::TaintShutdown => "taint-shutdown",
            Exclusion::TaintToBeDeleted => "taint-to-be-deleted",
            Exclusion::Upgrading => "upgrading",
            Exclusion::ClusterTooSmall => "cluster-too-small",
            Exclusion::AllNodesNotReady => "all-nodes-not-ready",
            Exclusion::NoAction => "no-action",
            Exclusion::SkipRemediation => "skip-remediation",
            Exclusion::ExcludeLabel => "exclude-label",
            Exclusion::Paused => "paused",
            Exclusion::GuardMaxUnhealthy => "guard-max-unhealthy",
            Exclusion::GuardMinHealthy => "guard-min-healthy",
            Exclusion::GuardEks20pct => "guard-eks-20pct",
            Exclusion::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Exclusion> {
        Exclusion::ALL.into_iter().find(|e| e.name() == s)
    }

    /// Checked only for the nodes the guard lets through: NHC skips a
    /// labelled node in its remediation loop, after the minHealthy check.
    pub fn after_guard(self) -> bool {
        self == Exclusion::ExcludeLabel
    }

    /// A peer's guard: it holds actions back but is never an outcome.
    pub fn is_peer_guard(self) -> bool {
        matches!(
            self,
            Exclusion::GuardMaxUnhealthy | Exclusion::GuardMinHealthy | Exclusion::GuardEks20pct
        )
    }
}

const _: () = {
    assert!(Exclusion::ALL.len() <= 16);
    let mut i = 0;
    while i < Exclusion::ALL.len() {
        assert!(
            Exclusion::ALL[i] as usize == i,
            "ALL is in declaration order"
        );
        i += 1;
    }
};

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which detection rule fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DetectRule {
    /// (a) not Ready on every check of a run spanning `detect_window`.
    NotReady,
    /// (b) no heartbeat for `no_status_timeout`.
    NoStatus,
}

impl DetectRule {
    pub fn name(self) -> &'static str {
        match self {
            DetectRule::NotReady => "not-ready",
            DetectRule::NoStatus => "no-status",
        }
    }
}

/// How an incident ended (POLICY.md section 4): exactly one per incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    SelfHealed,
    RepairedBy(ActionKind),
    GaveUpExhausted,
    GaveUpTimeout,
    Excluded(Exclusion),
    OpenAtHorizon,
}

impl Outcome {
    /// The outcome's name as outputs spell it, e.g. `repaired-by-reimage`,
    /// `excluded:taint-shutdown`.
    pub fn name(self) -> String {
        let mut s = String::new();
        self.write_name(&mut s);
        s
    }

    /// [`Outcome::name`], appended to `out`: no allocation when it has room.
    pub fn write_name(self, out: &mut String) {
        let (a, b) = match self {
            Outcome::SelfHealed => ("self-healed", ""),
            Outcome::RepairedBy(k) => ("repaired-by-", k.name()),
            Outcome::GaveUpExhausted => ("gave-up-exhausted", ""),
            Outcome::GaveUpTimeout => ("gave-up-timeout", ""),
            Outcome::Excluded(e) => ("excluded:", e.name()),
            Outcome::OpenAtHorizon => ("open-at-horizon", ""),
        };
        out.push_str(a);
        out.push_str(b);
    }

    #[cfg(test)]
    fn name_by_format(self) -> String {
        match self {
            Outcome::SelfHealed => "self-healed".into(),
            Outcome::RepairedBy(k) => format!("repaired-by-{}", k.name()),
            Outcome::GaveUpExhausted => "gave-up-exhausted".into(),
            Outcome::GaveUpTimeout => "gave-up-timeout".into(),
            Outcome::Excluded(e) => format!("excluded:{}", e.name()),
            Outcome::OpenAtHorizon => "open-at-horizon".into(),
        }
    }

    /// Every outcome, in report order.
    pub fn all() -> Vec<Outcome> {
        let mut v = vec![Outcome::SelfHealed];
        v.extend(ActionKind::ALL.map(Outcome::RepairedBy));
        v.extend([Outcome::GaveUpExhausted, Outcome::GaveUpTimeout]);
        v.extend(Exclusion::ALL.map(Outcome::Excluded));
        v.push(Outcome::OpenAtHorizon);
        v
    }

    /// How many outcomes there are: the length of [`Outcome::all`].
    pub const COUNT: usize = 1 + ActionKind::ALL.len() + 2 + Exclusion::ALL.len() + 1;

    /// The outcome's position in [`Outcome::all`], for counting in arrays. O(1).
    pub fn index(self) -> usize {
        const R: usize = 1;
        const G: usize = R + ActionKind::ALL.len();
        const E: usize = G + 2;
        match self {
            Outcome::SelfHealed => 0,
            Outcome::RepairedBy(k) => R + k as usize,
            Outcome::GaveUpExhausted => G,
            Outcome::GaveUpTimeout => G + 1,
            Outcome::Excluded(e) => E + e as usize,
            Outcome::OpenAtHorizon => Outcome::COUNT - 1,
        }
    }

    /// A repair was tried and the node is still broken.
    pub fn is_failed_repair(self) -> bool {
        matches!(self, Outcome::GaveUpExhausted | Outcome::GaveUpTimeout)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_names_are_written_as_formatted() {
        for o in Outcome::all() {
            assert_eq!(o.name(), o.name_by_format(), "{o:?}");
        }
        assert_eq!(
            Outcome::RepairedBy(ActionKind::Reimage).name(),
            "repaired-by-reimage"
        );
    }
}
