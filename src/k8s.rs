//! The Kubernetes-facing vocabulary AKS documents: node conditions, repair
//! actions, the events `aks-auto-repair` emits, word for word
//! (POLICY.md section 1), and the documented error codes.

use serde::Serialize;
use std::fmt;

/// The node's Ready condition as the control plane shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Condition {
    /// Ready=True.
    Ready,
    /// Ready=False: the kubelet runs and reports the node unhealthy.
    NotReady,
    /// Ready=Unknown: the node lifecycle controller saw no lease for the grace period.
    Unknown,
}

/// A repair action of any provider. Each has a fixing strength
/// ([`ActionKind::tier`], PEERS.md section 0): an action fixes a fault
/// whose `fixed_by` is of its tier or a lower one (a reimage also reboots).
/// The declaration order is the order of outputs; the AKS kinds come first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    Reboot,
    Reimage,
    Redeploy,
    /// Drain, then a new VM under the same node name (GKE).
    Recreate,
    /// Delete the machine, then provision a new node with a new name
    /// (EKS, Cluster API, medik8s MachineDeletionRemediation).
    Replace,
    /// The node fences itself with a reboot (medik8s Self Node Remediation).
    SnrReboot,
}

impl ActionKind {
    pub const ALL: [ActionKind; 6] = [
        ActionKind::Reboot,
        ActionKind::Reimage,
        ActionKind::Redeploy,
        ActionKind::Recreate,
        ActionKind::Replace,
        ActionKind::SnrReboot,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Reboot => "reboot",
            ActionKind::Reimage => "reimage",
            ActionKind::Redeploy => "redeploy",
            ActionKind::Recreate => "recreate",
            ActionKind::Replace => "replace",
            ActionKind::SnrReboot => "snr-reboot",
        }
    }

    pub fn parse(s: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// `Reboot`, `Reimage`, `Redeploy`, `Recreate`, `Replace`, `SnrReboot`.
    pub fn title(self) -> &'static str {
        match self {
            ActionKind::Reboot => "Reboot",
            ActionKind::Reimage => "Reimage",
            ActionKind::Redeploy => "Redeploy",
            ActionKind::Recreate => "Recreate",
            ActionKind::Replace => "Replace",
            ActionKind::SnrReboot => "SnrReboot",
        }
    }

    /// The fixing strength, 1 (a reboot) to 4 (a new machine).
    pub fn tier(self) -> u8 {
        match self {
            ActionKind::Reboot | ActionKind::SnrReboot => 1,
            ActionKind::Reimage => 2,
            ActionKind::Redeploy => 3,
            ActionKind::Recreate | ActionKind::Replace => 4,
        }
    }

    /// This action fixes a fault whose weakest fixing action is `weakest`.
    pub fn fixes(self, weakest: ActionKind) -> bool {
        self.tier() >= weakest.tier()
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Error codes the public troubleshooting page names.
pub const ERROR_CODES: [&str; 7] = [
    "VMExtensionProvisioningError",
    "InvalidParameter",
    "scaleSetNameAndInstanceIDFromProviderID failed",
    "ManagedIdentityCredential authentication failed",
    "VMRedeploymentFailed",
    "TooManyVMRedeploymentRequests",
    "OutboundConnectivityNotEnabledOnVMSS",
];

/// `source.component` of every event.
pub const COMPONENT: &str = "aks-auto-repair";

/// The three phases of an action as events report them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventPhase {
    Start,
    End,
    Error,
}

/// The event `reason`, e.g. `NodeRebootStart`.
pub fn reason(kind: ActionKind, phase: EventPhase) -> String {
    let mut s = String::new();
    write_reason(&mut s, kind, phase);
    s
}

/// [`reason`], appended to `out`: no allocation when it has room.
pub fn write_reason(out: &mut String, kind: ActionKind, phase: EventPhase) {
    let p = match phase {
        EventPhase::Start => "Start",
        EventPhase::End => "End",
        EventPhase::Error => "Error",
    };
    out.push_str("Node");
    out.push_str(kind.title());
    out.push_str(p);
}

/// `Normal` or `Warning`.
pub fn event_type(phase: EventPhase) -> &'static str {
    match phase {
        EventPhase::Error => "Warning",
        _ => "Normal",
    }
}

/// The wording of the Start, End and Error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventWording {
    /// The current wording of the public AKS page (POLICY.md section 1).
    Docs,
    /// The wording the service was seen to emit (POLICY.md section 8).
    Observed,
}

impl EventWording {
    pub fn name(self) -> &'static str {
        match self {
            EventWording::Docs => "docs",
            EventWording::Observed => "observed",
        }
    }
}

/// The message, word for word: the current wording of the AKS page
/// (POLICY.md section 1), or the wording the service was seen to emit
/// (section 8). The documented redeploy Start message really lacks the
/// "for" the others have; the observed Error message carries no code.
pub fn message(
    kind: ActionKind,
    phase: EventPhase,
    code: Option<&str>,
    wording: EventWording,
) -> String {
    let mut s = String::new();
    write_message(&mut s, kind, phase, code, wording);
    s
}

/// [`message`], appended to `out`: no allocation when it has room.
pub fn write_message(
    out: &mut String,
    kind: ActionKind,
    phase: EventPhase,
    code: Option<&str>,
    wording: EventWording,
) {
    let k = kind.name();
    let parts: [&str; 3] = match (wording, phase) {
        (EventWording::Docs, EventPhase::Start) if kind == ActionKind::Redeploy => [
            "Node auto-repair is initiating a redeploy action due to NotReady status persisting more than five minutes.",
            "",
            "",
        ],
        (EventWording::Docs, EventPhase::Start) => [
            "Node auto-repair is initiating a ",
            k,
            " action due to NotReady status persisting for more than five minutes.",
        ],
        (EventWording::Docs, EventPhase::End) => [
            kind.title(),
            " action from node auto-repair is completed.",
            "",
        ],
        (EventWording::Docs, EventPhase::Error) => [
            "Node auto-repair ",
            k,
            " action failed due to an operation failure. See error details here: ",
        ],
        (EventWording::Observed, EventPhase::Start) => [
            "Node auto-repair is initiating a ",
            k,
            " action due to NotReady status persisting >5 minutes. Learn more: aka.ms/aks/node-auto-repair",
        ],
        (EventWording::Observed, EventPhase::End) => [
            kind.title(),
            " action from node auto-repair has completed. Learn more: aka.ms/aks/node-auto-repair",
            "",
        ],
        (EventWording::Observed, EventPhase::Error) => [
            "Node auto-repair ",
            k,
            " action failed due to an operation failure. Learn more: aka.ms/aks/node-auto-repair-errors",
        ],
    };
    parts.iter().for_each(|p| out.push_str(p));
    if (wording, phase) == (EventWording::Docs, EventPhase::Error) {
        out.push_str(code.unwrap_or(""));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording_matches_policy_section_1() {
        use ActionKind::*;
        use EventPhase::*;
        use EventWording::Docs;
        assert_eq!(reason(Reboot, Start), "NodeRebootStart");
        assert_eq!(reason(Redeploy, Error), "NodeRedeployError");
        assert_eq!(
            message(Reboot, Start, None, Docs),
            "Node auto-repair is initiating a reboot action due to NotReady status persisting for more than five minutes."
        );
        assert_eq!(
            message(Reimage, Start, None, Docs),
            "Node auto-repair is initiating a reimage action due to NotReady status persisting for more than five minutes."
        );
        assert_eq!(
            message(Redeploy, Start, None, Docs),
            "Node auto-repair is initiating a redeploy action due to NotReady status persisting more than five minutes."
        );
        assert_eq!(
            message(Reimage, End, None, Docs),
            "Reimage action from node auto-repair is completed."
        );
        assert_eq!(
            message(Redeploy, Error, Some("VMRedeploymentFailed"), Docs),
            "Node auto-repair redeploy action failed due to an operation failure. See error details here: VMRedeploymentFailed"
        );
        assert_eq!(event_type(Error), "Warning");
    }

    #[test]
    fn observed_wording_matches_policy_section_8() {
        use ActionKind::*;
        use EventPhase::*;
        use EventWording::Observed;
        assert_eq!(
            message(Reboot, Start, None, Observed),
            "Node auto-repair is initiating a reboot action due to NotReady status persisting >5 minutes. Learn more: aka.ms/aks/node-auto-repair"
        );
        assert_eq!(
            message(Redeploy, Start, None, Observed),
            "Node auto-repair is initiating a redeploy action due to NotReady status persisting >5 minutes. Learn more: aka.ms/aks/node-auto-repair"
        );
        assert_eq!(
            message(Reimage, End, None, Observed),
            "Reimage action from node auto-repair has completed. Learn more: aka.ms/aks/node-auto-repair"
        );
        // The observed Error carries no code, whatever the action's error.
        assert_eq!(
            message(Redeploy, Error, Some("VMRedeploymentFailed"), Observed),
            "Node auto-repair redeploy action failed due to an operation failure. Learn more: aka.ms/aks/node-auto-repair-errors"
        );
        assert_eq!(
            message(Reboot, Error, None, Observed),
            "Node auto-repair reboot action failed due to an operation failure. Learn more: aka.ms/aks/node-auto-repair-errors"
        );
        assert_eq!(event_type(End), "Normal");
    }
}
