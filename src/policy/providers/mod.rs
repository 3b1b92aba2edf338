//! Providers: whose remediation a policy models, and the vocabulary that
//! follows from it (which action kinds, outcomes and timeline states its
//! outputs can show).
//!
//! A provider is data: its presets live in [`super::params`] and its
//! action kinds and exclusions here, so outputs list exactly what the
//! provider can do and nothing AKS-only leaks into another provider's
//! columns, counters or legends.

use super::{Exclusion, Outcome};
use crate::fleet::NodeState;
use crate::k8s::ActionKind;

/// Whose node auto-repair a policy models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Provider {
    /// Azure Kubernetes Service (POLICY.md).
    Aks,
    /// Google Kubernetes Engine (PEERS.md section 1).
    Gke,
    /// EKS managed node groups' node auto repair (PEERS.md section 2).
    Eks,
    /// Karpenter's node health controller, as in EKS Auto Mode.
    Karpenter,
    /// Cluster API MachineHealthCheck and MachineSet (PEERS.md section 3).
    Capi,
    /// medik8s NodeHealthCheck and Self Node Remediation (PEERS.md section 4).
    Medik8s,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 6] = [
        Provider::Aks,
        Provider::Gke,
        Provider::Eks,
        Provider::Karpenter,
        Provider::Capi,
        Provider::Medik8s,
    ];
}

/// A cloud operations log's vocabulary (`operations.csv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpsLog {
    pub operation: &'static str,
    /// At the repair's start.
    pub running: &'static str,
    /// When the node is Ready again.
    pub done: &'static str,
    /// Also `done` when the action ends and leaves the node unhealthy.
    pub done_when_unfixed: bool,
    /// Once per suppression episode of a node, if the log records it.
    pub suppressed: Option<&'static str>,
}

/// How a provider reports its repairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reporting {
    /// Kubernetes Events on the Node from `aks-auto-repair` (POLICY.md
    /// section 1): `events.jsonl` and `events.csv`.
    AksEvents,
    /// No Kubernetes events; records of a cloud operations log instead
    /// (`operations.csv`): this operation type goes `running` at the
    /// repair's start and `done` when the node is Ready again, or when the
    /// action ends and leaves the node unhealthy.
    OpsLog(OpsLog),
    /// Kubernetes Events from the peer's controllers (PEERS.md sections 2
    /// to 4), in `events.jsonl` and `events.csv`.
    PeerEvents,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Aks => "aks",
            Provider::Gke => "gke",
            Provider::Eks => "eks",
            Provider::Karpenter => "karpenter",
            Provider::Capi => "cluster-api",
            Provider::Medik8s => "medik8s",
        }
    }

    pub fn reporting(self) -> Reporting {
        match self {
            Provider::Aks => Reporting::AksEvents,
            // PEERS.md section 1: `gcloud container operations list`.
            Provider::Gke => Reporting::OpsLog(OpsLog {
                operation: "AUTO_REPAIR_NODES",
                running: "RUNNING",
                done: "DONE",
                done_when_unfixed: true,
                suppressed: None,
            }),
            // PEERS.md section 2: names invented there for a service that
            // documents no repair events.
            // `Completed` means the replacement is Ready.
            Provider::Eks => Reporting::OpsLog(OpsLog {
                operation: "NodeRepair",
                running: "Started",
                done: "Completed",
                done_when_unfixed: false,
                suppressed: Some("Suppressed"),
            }),
            Provider::Karpenter | Provider::Capi | Provider::Medik8s => Reporting::PeerEvents,
        }
    }

    /// The action kinds the provider runs, in output order.
    pub fn kinds(self) -> &'static [ActionKind] {
        use ActionKind::*;
        match self {
            Provider::Aks => &[Reboot, Reimage, Redeploy],
            Provider::Gke => &[Recreate],
            Provider::Eks | Provider::Karpenter | Provider::Capi => &[Replace],
            Provider::Medik8s => &[Replace, SnrReboot],
        }
    }

    /// The exclusions and guards the provider applies, in check order.
    pub fn exclusions(self) -> &'static [Exclusion] {
        match self {
            Provider::Aks => &Exclusion::AKS,
            // PEERS.md section 1: only a pool with auto-repair disabled,
            // which a scenario expresses by leaving the pool out.
            Provider::Gke => &[],
            // PEERS.md sections 2 to 4: node-level exclusions first, then
            // the guard.
            Provider::Eks => &[Exclusion::NoAction, Exclusion::GuardEks20pct],
            Provider::Karpenter => &[Exclusion::GuardEks20pct],
            Provider::Capi => &[
                Exclusion::Paused,
                Exclusion::SkipRemediation,
                Exclusion::GuardMaxUnhealthy,
            ],
            Provider::Medik8s => &[
                Exclusion::Paused,
                Exclusion::ExcludeLabel,
                Exclusion::GuardMinHealthy,
            ],
        }
    }

    /// Whether the provider applies exclusion or guard `e`.
    pub fn applies(self, e: Exclusion) -> bool {
        self.exclusions().contains(&e)
    }

    pub fn vocabulary(self) -> Vocabulary {
        Vocabulary {
            kinds: self.kinds().to_vec(),
            exclusions: self.exclusions().to_vec(),
        }
    }
}

/// What outputs enumerate: the action kinds and exclusions of one policy,
/// or of several compared side by side ([`Vocabulary::union`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocabulary {
    /// In [`ActionKind::ALL`] order.
    pub kinds: Vec<ActionKind>,
    /// In [`Exclusion::ALL`] order.
    pub exclusions: Vec<Exclusion>,
}

impl Vocabulary {
    /// Both vocabularies, each list kept in its canonical order.
    pub fn union(&self, other: &Vocabulary) -> Vocabulary {
        let kinds = ActionKind::ALL
            .into_iter()
            .filter(|k| self.kinds.contains(k) || other.kinds.contains(k))
            .collect();
        let exclusions = Exclusion::ALL
            .into_iter()
            .filter(|e| self.exclusions.contains(e) || other.exclusions.contains(e))
            .collect();
        Vocabulary { kinds, exclusions }
    }

    pub fn has_kind(&self, k: ActionKind) -> bool {
        self.kinds.contains(&k)
    }

    /// Whether an incident can end with `o` under this vocabulary.
    pub fn has_outcome(&self, o: Outcome) -> bool {
        match o {
            Outcome::RepairedBy(k) => self.has_kind(k),
            Outcome::Excluded(e) => self.exclusions.contains(&e) && !e.is_peer_guard(),
            _ => true,
        }
    }

    /// The outcomes, in [`Outcome::all`] order.
    pub fn outcomes(&self) -> Vec<Outcome> {
        Outcome::all()
            .into_iter()
            .filter(|&o| self.has_outcome(o))
            .collect()
    }

    /// The timeline states, in [`NodeState::ALL`] order.
    pub fn states(&self) -> Vec<NodeState> {
        NodeState::ALL
            .into_iter()
            .filter(|s| match s.kind() {
                Some(k) => self.has_kind(k),
                None => true,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gke_vocabulary_has_no_aks_kinds_or_exclusions() {
        let v = Provider::Gke.vocabulary();
        let names: Vec<String> = v.outcomes().iter().map(|o| o.name()).collect();
        assert_eq!(
            names,
            [
                "self-healed",
                "repaired-by-recreate",
                "gave-up-exhausted",
                "gave-up-timeout",
                "open-at-horizon"
            ]
        );
        let states: Vec<&str> = v.states().iter().map(|s| s.name()).collect();
        assert_eq!(
            states,
            ["Ready", "NotReady", "Unknown", "Draining", "Recreating"]
        );
    }

    #[test]
    fn aks_vocabulary_is_the_documented_one() {
        let v = Provider::Aks.vocabulary();
        let names: Vec<String> = v.outcomes().iter().map(|o| o.name()).collect();
        assert_eq!(
            names,
            [
                "self-healed",
                "repaired-by-reboot",
                "repaired-by-reimage",
                "repaired-by-redeploy",
                "gave-up-exhausted",
                "gave-up-timeout",
                "excluded:network-misconfiguration",
                "excluded:never-registered",
                "excluded:taint-shutdown",
                "excluded:taint-to-be-deleted",
                "excluded:upgrading",
                "excluded:cluster-too-small",
                "excluded:all-nodes-not-ready",
                "open-at-horizon",
            ]
        );
        let states: Vec<&str> = v.states().iter().map(|s| s.name()).collect();
        assert_eq!(
            states,
            [
                "Ready",
                "NotReady",
                "Unknown",
                "Rebooting",
                "Reimaging",
                "Redeploying"
            ]
        );
    }
}
