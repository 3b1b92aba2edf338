//! Scenarios: TOML files read through serde into raw types ([`raw`]), then
//! validated into a [`Scenario`] ([`load`]). Only this module and IO can
//! fail; everything downstream takes a valid `Scenario`.

pub mod load;
pub mod patch;
pub mod raw;
pub mod resources;

use crate::dist::DurationDist;
use crate::faults::{Arrivals, Fault, Injection, MarkWindow, Outage};
use crate::fleet::{Fleet, NodeId, Os};
use crate::k8s::ActionKind;
use crate::policy::Policy;
use crate::time::{Epoch, SimDuration};

pub use load::{
    Ctx, Expect, ScenarioError, load_file, load_file_then, load_file_with, load_str, load_str_then,
    load_str_with,
};
pub use patch::Patch;

impl Scenario {
    /// The actions tried on `node`'s pool: its own ladder, or the
    /// policy's for its OS.
    pub fn ladder(&self, node: NodeId) -> &[ActionKind] {
        self.pool_ladder(self.fleet.node(node).pool)
    }

    /// The actions tried on pool `pool`'s nodes: its own ladder, or the
    /// policy's for its OS.
    pub fn pool_ladder(&self, pool: usize) -> &[ActionKind] {
        let p = &self.fleet.pools[pool];
        p.ladder
            .as_deref()
            .unwrap_or_else(|| self.policy.ladder(p.os))
    }

    /// The policy's vocabulary, with the kinds the pools' own ladders add.
    pub fn vocabulary(&self) -> crate::policy::providers::Vocabulary {
        let pools = crate::policy::providers::Vocabulary {
            kinds: ActionKind::ALL
                .into_iter()
                .filter(|k| {
                    self.fleet
                        .pools
                        .iter()
                        .any(|p| p.ladder.as_ref().is_some_and(|l| l.contains(k)))
                })
                .collect(),
            // An imported history's unexplained exclusions.
            exclusions: (self
                .faults
                .iter()
                .any(|f| f.exclude == Some(crate::policy::Exclusion::Unknown))
                || self
                    .marks
                    .iter()
                    .any(|m| m.mark == crate::faults::Mark::Unknown))
            .then_some(crate::policy::Exclusion::Unknown)
            .into_iter()
            .collect(),
        };
        self.policy.vocabulary().union(&pools)
    }
}

/// The embedded default scenario: what `repairsim run` runs with no file.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

/// How one kind of action behaves.
///
/// Two-phase kinds (PEERS.md section 0) keep their first phase in
/// `duration` and their second in `second_phase`: `recreate` is drain,
/// then vm; `replace` is delete, then provision.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionSpec {
    /// Duration on Linux nodes, boot time included; the first phase of a
    /// two-phase kind \[ms\].
    pub duration: DurationDist,
    /// Duration on Windows nodes; `None`: as Linux \[ms\].
    pub windows_duration: Option<DurationDist>,
    /// The second phase of a two-phase kind (vm, provision) \[ms\].
    pub second_phase: Option<DurationDist>,
    /// Probability that the action ends in an error, in [0, 1].
    pub error_rate: f64,
    /// Relative weights over [`crate::k8s::ERROR_CODES`] (same length).
    pub error_weights: Vec<f64>,
}

impl ActionSpec {
    pub fn with_duration(d: DurationDist) -> ActionSpec {
        ActionSpec {
            duration: d,
            windows_duration: None,
            second_phase: None,
            error_rate: 0.0,
            error_weights: vec![1.0; crate::k8s::ERROR_CODES.len()],
        }
    }

    pub fn duration_for(&self, os: Os) -> &DurationDist {
        match os {
            Os::Windows => self.windows_duration.as_ref().unwrap_or(&self.duration),
            Os::Linux => &self.duration,
        }
    }
}

/// Action behaviour by kind. Defaults: reboot 4m, reimage 10m, redeploy 15m
/// (the assumptions of POLICY.md section 5); recreate drain 2m then vm 4m,
/// replace delete 1m then provision 5m, snr-reboot 3m (the durations of
/// PEERS.md's worked examples E1, E2 and E4); no errors.
#[derive(Clone, Debug, PartialEq)]
pub struct Actions {
    pub reboot: ActionSpec,
    pub reimage: ActionSpec,
    pub redeploy: ActionSpec,
    pub recreate: ActionSpec,
    pub replace: ActionSpec,
    pub snr_reboot: ActionSpec,
}

impl Default for Actions {
    fn default() -> Self {
        let m = |x| ActionSpec::with_duration(DurationDist::Fixed(SimDuration::from_mins(x)));
        let two = |a, b| ActionSpec {
            second_phase: Some(DurationDist::Fixed(SimDuration::from_mins(b))),
            ..m(a)
        };
        Actions {
            reboot: m(4),
            reimage: m(10),
            redeploy: m(15),
            recreate: two(2, 4),
            replace: two(1, 5),
            snr_reboot: m(3),
        }
    }
}

impl Actions {
    pub fn get(&self, kind: ActionKind) -> &ActionSpec {
        match kind {
            ActionKind::Reboot => &self.reboot,
            ActionKind::Reimage => &self.reimage,
            ActionKind::Redeploy => &self.redeploy,
            ActionKind::Recreate => &self.recreate,
            ActionKind::Replace => &self.replace,
            ActionKind::SnrReboot => &self.snr_reboot,
        }
    }

    pub fn get_mut(&mut self, kind: ActionKind) -> &mut ActionSpec {
        match kind {
            ActionKind::Reboot => &mut self.reboot,
            ActionKind::Reimage => &mut self.reimage,
            ActionKind::Redeploy => &mut self.redeploy,
            ActionKind::Recreate => &mut self.recreate,
            ActionKind::Replace => &mut self.replace,
            ActionKind::SnrReboot => &mut self.snr_reboot,
        }
    }
}

/// A validated scenario. Every name is resolved to an index and every
/// number is in range.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub seed: u64,
    /// Wall-clock label of simulated time 0, for reports only.
    pub start: Epoch,
    /// The simulation stops here \[ms\].
    pub horizon: SimDuration,
    pub policy: Policy,
    /// Policy parameters the scenario set explicitly (for provenance).
    pub policy_overrides: Vec<String>,
    pub fleet: Fleet,
    pub actions: Actions,
    pub faults: Vec<Fault>,
    pub injections: Vec<Injection>,
    pub arrivals: Vec<Arrivals>,
    pub outages: Vec<Outage>,
    pub marks: Vec<MarkWindow>,
    /// Nodes that never register (never Ready since they joined at 0).
    pub never_registered: Vec<NodeId>,
    /// FNV-1a of the scenario text (and of the patches, when any): names
    /// the input in outputs.
    pub content_hash: u64,
    /// The patches applied to the scenario file, in order, as written on the
    /// command line (`policy.repair_delay=2m`, `preset=aks-2023-09`,
    /// `policy=FILE`); empty for a file as it is.
    pub patches: Vec<String>,
    /// What a policy file held that the simulation does not use (a
    /// condition type it does not simulate, a skipped object), each with
    /// the file, line and column it came from. The CLI prints them.
    pub warnings: Vec<ScenarioError>,
}
