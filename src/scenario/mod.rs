//! Scenarios: TOML files read through serde into raw types ([`raw`]), then
//! validated into a [`Scenario`] ([`load`]). Only this module and IO can
//! fail; everything downstream takes a valid `Scenario`.

pub mod load;
pub mod patch;
pub mod raw;

use crate::check::expect::Expectation;
use crate::dist::DurationDist;
use crate::faults::{Arrivals, Fault, Injection, MarkWindow, Outage};
use crate::fleet::{Fleet, NodeId, Os};
use crate::k8s::ActionKind;
use crate::policy::Policy;
use crate::time::{Epoch, SimDuration};

pub use load::{ScenarioError, load_file, load_file_with, load_str, load_str_with};
pub use patch::Patch;

/// The embedded default scenario: what `repairsim run` runs with no file.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.toml");

/// How one kind of action behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionSpec {
    /// Duration on Linux nodes, boot time included \[ms\].
    pub duration: DurationDist,
    /// Duration on Windows nodes; `None`: as Linux \[ms\].
    pub windows_duration: Option<DurationDist>,
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

/// Action behaviour by kind. Defaults: reboot 4m, reimage 10m, redeploy 15m,
/// no errors (the assumptions of POLICY.md section 5).
#[derive(Clone, Debug, PartialEq)]
pub struct Actions {
    pub reboot: ActionSpec,
    pub reimage: ActionSpec,
    pub redeploy: ActionSpec,
}

impl Default for Actions {
    fn default() -> Self {
        let m = |x| ActionSpec::with_duration(DurationDist::Fixed(SimDuration::from_mins(x)));
        Actions {
            reboot: m(4),
            reimage: m(10),
            redeploy: m(15),
        }
    }
}

impl Actions {
    pub fn get(&self, kind: ActionKind) -> &ActionSpec {
        match kind {
            ActionKind::Reboot => &self.reboot,
            ActionKind::Reimage => &self.reimage,
            ActionKind::Redeploy => &self.redeploy,
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
    /// The `[[expect]]` tables, in file order: what `repairsim check`
    /// verifies. Nothing else reads them.
    pub expectations: Vec<Expectation>,
}
