//! The pinned parameters of POLICY.md section 2, the presets of section 6,
//! and the provenance table `repairsim policy` prints.
//!
//! Ladders, retry shape, concurrency and guards are data here, not code
//! paths, so another vendor's policy is another value of [`Policy`].

use super::Exclusion;
use super::providers::{Provider, Vocabulary};
use super::rules::{
    Amount, Detection, EvalUnit, EventDetection, Guard, Limit, PoolSlots, Rounding, Scope,
};
use super::spec::{Row, SETTINGS};
use crate::fleet::Os;
use crate::k8s::ActionKind;
pub use crate::k8s::EventWording;
use crate::time::SimDuration;

/// What the kubelet and the control plane do (Kubernetes defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct Kubelet {
    /// The kubelet posts a changed Ready condition on this grid \[ms\].
    pub status_update_interval: SimDuration,
    /// The kubelet renews its lease on this grid while it runs \[ms\].
    pub lease_renew_interval: SimDuration,
    /// No lease for this long: the controller sets Ready=Unknown \[ms\].
    pub node_monitor_grace_period: SimDuration,
    /// The node lifecycle controller's grid \[ms\].
    pub node_monitor_period: SimDuration,
    /// Pods are evicted this long after NotReady/Unknown; reported only \[ms\].
    pub not_ready_toleration: SimDuration,
}

impl Default for Kubelet {
    fn default() -> Self {
        Kubelet {
            status_update_interval: SimDuration::from_secs(10),
            lease_renew_interval: SimDuration::from_secs(10),
            node_monitor_grace_period: SimDuration::from_secs(50),
            node_monitor_period: SimDuration::from_secs(5),
            not_ready_toleration: SimDuration::from_secs(300),
        }
    }
}

/// Where the repair delay is counted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelayAnchor {
    /// From the detection check (the default).
    Detection,
    /// From the first not-Ready check of the run.
    Onset,
}

/// How the ladder is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryMode {
    /// The whole ladder is one pass; up to `max_attempts` passes.
    Sequence,
    /// Each step is tried `max_attempts` times before the next.
    PerStep,
    /// No retries and no overall timeout: a node still unhealthy after an
    /// action is detected again from scratch, and the ladder starts over
    /// (GKE, PEERS.md section 1).
    Redetect,
    /// Each ladder step runs once and is given `step_timeouts[i]` from its
    /// start; still unhealthy then (or its action failed), the next step
    /// starts at once. Past the last step's timeout the repair gives up
    /// (medik8s NodeHealthCheck `escalatingRemediations`, PEERS.md
    /// section 4).
    Escalate,
}

impl RetryMode {
    /// The `retry_mode` value.
    pub fn name(self) -> &'static str {
        match self {
            RetryMode::Sequence => "sequence",
            RetryMode::PerStep => "per_step",
            RetryMode::Redetect => "redetect",
            RetryMode::Escalate => "escalate",
        }
    }

    /// Whether `overall_timeout` bounds the repair.
    pub fn has_overall_timeout(self) -> bool {
        matches!(self, RetryMode::Sequence | RetryMode::PerStep)
    }
}

/// What an action error means for the repair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnActionError {
    /// Still unhealthy: emit the Error event, settle, go on with the next step.
    NextStep,
}

/// The named presets of POLICY.md sections 6 and 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Aks2020_08,
    Aks2021_09,
    Aks2023_09,
    Aks2024_08,
    /// `aks-2024-08` as the service was seen to behave (section 8).
    AksObserved2026,
    /// GKE node auto-repair (PEERS.md section 1).
    Gke,
    /// EKS node auto repair of a managed node group (PEERS.md section 2).
    Eks,
    /// EKS Auto Mode: Karpenter's node health controller (PEERS.md section 2).
    EksAuto,
    /// Cluster API MachineHealthCheck, remediated by the MachineSet
    /// (PEERS.md section 3).
    CapiMhc,
    /// medik8s NodeHealthCheck with Self Node Remediation (PEERS.md section 4).
    Nhc,
}

impl Preset {
    pub const ALL: [Preset; 10] = [
        Preset::Aks2020_08,
        Preset::Aks2021_09,
        Preset::Aks2023_09,
        Preset::Aks2024_08,
        Preset::AksObserved2026,
        Preset::Gke,
        Preset::Eks,
        Preset::EksAuto,
        Preset::CapiMhc,
        Preset::Nhc,
    ];
    pub const DEFAULT: Preset = Preset::Aks2024_08;

    pub fn name(self) -> &'static str {
        match self {
            Preset::Aks2020_08 => "aks-2020-08",
            Preset::Aks2021_09 => "aks-2021-09",
            Preset::Aks2023_09 => "aks-2023-09",
            Preset::Aks2024_08 => "aks-2024-08",
            Preset::AksObserved2026 => "aks-observed-2026",
            Preset::Gke => "gke",
            Preset::Eks => "eks",
            Preset::EksAuto => "eks-auto",
            Preset::CapiMhc => "capi-mhc",
            Preset::Nhc => "nhc",
        }
    }

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == s)
    }

    pub fn names() -> String {
        Preset::ALL.map(|p| p.name()).join(", ")
    }

    /// Whose remediation the preset models.
    pub fn provider(self) -> Provider {
        match self {
            Preset::Aks2020_08
            | Preset::Aks2021_09
            | Preset::Aks2023_09
            | Preset::Aks2024_08
            | Preset::AksObserved2026 => Provider::Aks,
            Preset::Gke => Provider::Gke,
            Preset::Eks => Provider::Eks,
            Preset::EksAuto => Provider::Karpenter,
            Preset::CapiMhc => Provider::Capi,
            Preset::Nhc => Provider::Medik8s,
        }
    }
}

/// One planned action: which kind, in which pass (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedAction {
    pub kind: ActionKind,
    pub pass: u32,
}

/// The repair policy in effect: every parameter of POLICY.md section 2.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub preset: Preset,
    pub kubelet: Kubelet,
    /// The controller's check period \[ms\].
    pub check_interval: SimDuration,
    /// Rule (a): not Ready on every check of a run this long \[ms\].
    pub detect_window: SimDuration,
    /// Rule (b): no heartbeat for this long \[ms\].
    pub no_status_timeout: SimDuration,
    /// Still unhealthy this long after detection before the first action \[ms\].
    pub repair_delay: SimDuration,
    pub repair_delay_anchor: DelayAnchor,
    /// Still not Ready this long after an action ends before the next \[ms\].
    pub settle: SimDuration,
    pub ladder_linux: Vec<ActionKind>,
    pub ladder_windows: Vec<ActionKind>,
    pub retry_mode: RetryMode,
    /// Passes in total, the first counting.
    pub max_attempts: u32,
    /// No new action starts at or after repair start + this \[ms\].
    pub overall_timeout: SimDuration,
    pub on_action_error: OnActionError,
    /// A failed action emits End and then Error at the same instant,
    /// instead of Error alone.
    pub emit_end_on_error: bool,
    pub event_wording: EventWording,
    /// `None` is unlimited.
    pub max_concurrent_repairs: Option<u32>,
    /// Fewer nodes in the cluster: no repair.
    pub min_cluster_nodes: u32,
    /// No action starts on a check where every node is not Ready.
    pub all_not_ready_suppresses: bool,
    /// Events older than this are gone from `kubectl get events` \[ms\].
    pub event_ttl: SimDuration,
    /// A `recreate`'s drain is cut off after this long (GKE) \[ms\].
    pub drain_timeout: SimDuration,
    /// Periodic checks with rules (a)/(b), or event-driven condition
    /// timeouts (the peers of PEERS.md sections 2 to 4).
    pub detection: Detection,
    /// The peer's guard on unhealthy nodes per group, if any.
    pub guard: Option<Guard>,
    /// With [`RetryMode::Escalate`], how long each ladder step is given
    /// from its start \[ms\].
    pub step_timeouts: Vec<SimDuration>,
    /// Repair slots per pool besides `max_concurrent_repairs` (GKE).
    pub pool_slots: Option<PoolSlots>,
}

impl Policy {
    /// The policy of a preset, all other parameters at their defaults.
    pub fn preset(preset: Preset) -> Policy {
        use ActionKind::*;
        let current = Policy {
            preset,
            kubelet: Kubelet::default(),
            check_interval: SimDuration::from_mins(1),
            detect_window: SimDuration::from_mins(10),
            no_status_timeout: SimDuration::from_mins(10),
            repair_delay: SimDuration::from_mins(5),
            repair_delay_anchor: DelayAnchor::Detection,
            settle: SimDuration::from_mins(5),
            ladder_linux: vec![Reboot, Reimage, Redeploy],
            ladder_windows: vec![Reboot, Reimage],
            retry_mode: RetryMode::Sequence,
            max_attempts: 3,
            overall_timeout: SimDuration::from_hours(1),
            on_action_error: OnActionError::NextStep,
            emit_end_on_error: false,
            event_wording: EventWording::Docs,
            max_concurrent_repairs: None,
            min_cluster_nodes: 2,
            all_not_ready_suppresses: true,
            event_ttl: SimDuration::from_hours(1),
            drain_timeout: SimDuration::from_hours(1),
            detection: Detection::Periodic,
            guard: None,
            step_timeouts: Vec::new(),
            pool_slots: None,
        };
        // What the event-driven peers share: no delay, no settle, no AKS
        // guards, detected again from its own condition clock after an
        // action that left the node unhealthy.
        let event = |d: EventDetection, guard: Guard, ladder: Vec<ActionKind>| Policy {
            repair_delay: SimDuration::ZERO,
            settle: SimDuration::ZERO,
            ladder_linux: ladder.clone(),
            ladder_windows: ladder,
            retry_mode: RetryMode::Redetect,
            max_attempts: 1,
            min_cluster_nodes: 0,
            all_not_ready_suppresses: false,
            detection: Detection::Event(d),
            guard: Some(guard),
            ..current.clone()
        };
        let eks_detection = EventDetection {
            timeout_false: Some(SimDuration::from_mins(30)),
            timeout_unknown: Some(SimDuration::from_mins(30)),
            requeue_offset: SimDuration::ZERO,
            unit: EvalUnit::Node,
            min_eval_interval: SimDuration::ZERO,
            requeue_when_suppressed: true,
            startup_timeout: None,
        };
        let eks_guard = Guard {
            limit: Limit::MaxUnhealthy(Amount::Percent(20)),
            rounding: Rounding::Exact,
            min_group: 6,
            scope: Scope::Pool,
            recheck: Some(SimDuration::from_mins(5)),
            name: Exclusion::GuardEks20pct,
        };
        let five_minutes = EventDetection {
            timeout_false: Some(SimDuration::from_secs(300)),
            timeout_unknown: Some(SimDuration::from_secs(300)),
            requeue_offset: SimDuration::from_secs(1),
            unit: EvalUnit::Pool,
            min_eval_interval: SimDuration::from_secs(15),
            requeue_when_suppressed: true,
            startup_timeout: Some(SimDuration::from_secs(600)),
        };
        match preset {
            Preset::Aks2024_08 => current,
            Preset::AksObserved2026 => Policy {
                repair_delay_anchor: DelayAnchor::Onset,
                emit_end_on_error: true,
                event_wording: EventWording::Observed,
                ..current
            },
            // PEERS.md section 1: rules (a) and (b) on a 1-minute grid, no
            // wait, drain and re-create, detected again from scratch.
            Preset::Gke => Policy {
                repair_delay: SimDuration::ZERO,
                settle: SimDuration::ZERO,
                ladder_linux: vec![Recreate],
                ladder_windows: vec![Recreate],
                retry_mode: RetryMode::Redetect,
                max_attempts: 1,
                min_cluster_nodes: 0,
                all_not_ready_suppresses: false,
                pool_slots: Some(PoolSlots::Adaptive {
                    per_nodes: 10,
                    cut_percent: 50,
                }),
                ..current
            },
            // PEERS.md section 2: Ready False/Unknown held 30 minutes, per
            // node, replaced; suppressed above 20% of a group of more
            // than five, re-checked every 5 minutes.
            // The node monitoring agent and repair are Linux only: Windows
            // nodes have an empty ladder, which leaves them alone.
            Preset::Eks => Policy {
                ladder_windows: vec![],
                ..event(eks_detection, eks_guard, vec![Replace])
            },
            // Karpenter: the same clock; the guard rounds up and has no
            // five-node minimum.
            Preset::EksAuto => Policy {
                ladder_windows: vec![],
                ..event(
                    eks_detection,
                    Guard {
                        rounding: Rounding::Ceil,
                        min_group: 0,
                        ..eks_guard
                    },
                    vec![Replace],
                )
            },
            // PEERS.md section 3: the book's conditions, one evaluation per
            // MachineDeployment at most every 15 s; maxUnhealthy 100% (off).
            Preset::CapiMhc => event(
                five_minutes,
                Guard {
                    limit: Limit::MaxUnhealthy(Amount::Percent(100)),
                    rounding: Rounding::Floor,
                    min_group: 0,
                    scope: Scope::Pool,
                    recheck: None,
                    name: Exclusion::GuardMaxUnhealthy,
                },
                vec![Replace],
            ),
            // PEERS.md section 4: one NodeHealthCheck over all workers,
            // minHealthy 51% rounded up, SNR for 300 s, then replace for
            // 30 minutes.
            Preset::Nhc => Policy {
                retry_mode: RetryMode::Escalate,
                step_timeouts: vec![SimDuration::from_secs(300), SimDuration::from_mins(30)],
                ..event(
                    EventDetection {
                        unit: EvalUnit::Cluster,
                        min_eval_interval: SimDuration::ZERO,
                        requeue_when_suppressed: false,
                        startup_timeout: None,
                        ..five_minutes
                    },
                    Guard {
                        limit: Limit::MinHealthy(Amount::Percent(51)),
                        rounding: Rounding::Ceil,
                        min_group: 0,
                        scope: Scope::Cluster,
                        recheck: None,
                        name: Exclusion::GuardMinHealthy,
                    },
                    vec![SnrReboot, Replace],
                )
            },
            Preset::Aks2023_09 => Policy {
                retry_mode: RetryMode::PerStep,
                ..current
            },
            Preset::Aks2020_08 | Preset::Aks2021_09 => Policy {
                repair_delay: SimDuration::from_mins(10),
                ladder_windows: vec![Reboot, Reimage, Redeploy],
                max_attempts: 1,
                max_concurrent_repairs: Some(1),
                ..current
            },
        }
    }

    /// The provider's kinds, exclusions and outcomes, plus any kind a
    /// ladder names beyond them.
    pub fn vocabulary(&self) -> Vocabulary {
        let ladders = Vocabulary {
            kinds: ActionKind::ALL
                .into_iter()
                .filter(|k| self.ladder_linux.contains(k) || self.ladder_windows.contains(k))
                .collect(),
            exclusions: vec![],
        };
        self.preset.provider().vocabulary().union(&ladders)
    }

    /// Whether `os`'s nodes are remediated by one NodeHealthCheck
    /// template with no escalation: a one-step ladder under
    /// [`RetryMode::Escalate`], unless `step_timeouts` gives that one step
    /// its own timeout (an `escalatingRemediations` list of one). Its lease
    /// is overdue after [`super::rules::LONE_TEMPLATE_TIMEOUT`].
    pub fn lone_template(&self, os: Os) -> bool {
        self.lone_ladder(self.ladder(os))
    }

    /// Condition timeouts, not periodic checks (the event-driven peers).
    pub fn event_driven(&self) -> bool {
        matches!(self.detection, Detection::Event(_))
    }

    /// [`Policy::lone_template`] for a given ladder (a pool's own).
    pub fn lone_ladder(&self, ladder: &[ActionKind]) -> bool {
        self.retry_mode == RetryMode::Escalate && ladder.len() == 1 && self.step_timeouts.len() != 1
    }

    pub fn ladder(&self, os: Os) -> &[ActionKind] {
        match os {
            Os::Linux => &self.ladder_linux,
            Os::Windows => &self.ladder_windows,
        }
    }

    /// Every action a repair may run, in order. An incident walks this list;
    /// reaching its end is `gave-up-exhausted`.
    pub fn plan(&self, os: Os) -> Vec<PlannedAction> {
        self.plan_of(self.ladder(os))
    }

    /// [`Policy::plan`] for a given ladder (a pool's own).
    pub fn plan_of(&self, ladder: &[ActionKind]) -> Vec<PlannedAction> {
        let mut out = Vec::new();
        match self.retry_mode {
            RetryMode::Sequence => {
                for pass in 1..=self.max_attempts {
                    out.extend(ladder.iter().map(|&kind| PlannedAction { kind, pass }));
                }
            }
            RetryMode::PerStep => {
                for &kind in ladder {
                    out.extend((1..=self.max_attempts).map(|pass| PlannedAction { kind, pass }));
                }
            }
            RetryMode::Redetect | RetryMode::Escalate => {
                out.extend(ladder.iter().map(|&kind| PlannedAction { kind, pass: 1 }));
            }
        }
        out
    }
}

/// One row of the provenance table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParamRow {
    pub parameter: &'static str,
    pub value: String,
    pub provenance: String,
}

/// The table of POLICY.md section 2 for this policy: parameter, value,
/// provenance, one row per [`Row::Own`] setting of [`SETTINGS`] that
/// means something for this policy, in declaration order. `overridden`
/// names the keys a scenario set. A value that the preset sets apart from
/// aks-2024-08 says `preset NAME`.
pub fn provenance_table(p: &Policy, overridden: &[String]) -> Vec<ParamRow> {
    let by_preset = Policy::preset(p.preset);
    let current = Policy::preset(Preset::Aks2024_08);
    SETTINGS
        .iter()
        .filter(|s| s.shown(p))
        .filter_map(|s| match s.row {
            Row::Own(show) => Some((s, show)),
            Row::In(_) => None,
        })
        .map(|(s, show)| {
            let set_by = s.set_by(p);
            let provenance = if overridden.iter().any(|o| set_by.contains(&o.as_str())) {
                "scenario override".to_string()
            } else if show(&by_preset) != show(&current) {
                format!("preset {}", p.preset.name())
            } else {
                s.provenance.to_string()
            };
            ParamRow {
                parameter: s.name,
                value: show(p),
                provenance,
            }
        })
        .collect()
}

/// [`provenance_table`] for reports: the rows of the observed-behaviour
/// parameters (`emit_end_on_error`, `event_wording`) only where the
/// policy departs from the documented reading, so reports of the
/// documented presets read as the documentation does.
pub fn report_table(p: &Policy, overridden: &[String]) -> Vec<ParamRow> {
    let docs = Policy::preset(Preset::Aks2024_08);
    let departs = |name: &str| {
        SETTINGS.iter().any(|s| {
            s.name == name
                && (!s.observed || matches!(s.row, Row::Own(show) if show(p) != show(&docs)))
        })
    };
    provenance_table(p, overridden)
        .into_iter()
        .filter(|r| departs(r.parameter))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionKind::*;

    #[test]
    fn sequence_plan_repeats_the_ladder() {
        let p = Policy::preset(Preset::Aks2024_08);
        let plan: Vec<_> = p
            .plan(Os::Windows)
            .iter()
            .map(|a| (a.kind, a.pass))
            .collect();
        assert_eq!(
            plan,
            vec![
                (Reboot, 1),
                (Reimage, 1),
                (Reboot, 2),
                (Reimage, 2),
                (Reboot, 3),
                (Reimage, 3)
            ]
        );
        assert_eq!(p.plan(Os::Linux).len(), 9);
    }

    #[test]
    fn per_step_plan_repeats_each_step() {
        let p = Policy::preset(Preset::Aks2023_09);
        let plan: Vec<_> = p.plan(Os::Linux).iter().map(|a| (a.kind, a.pass)).collect();
        assert_eq!(
            &plan[..4],
            &[(Reboot, 1), (Reboot, 2), (Reboot, 3), (Reimage, 1)]
        );
    }

    #[test]
    fn old_presets_are_serial_single_pass_with_windows_redeploy() {
        for preset in [Preset::Aks2020_08, Preset::Aks2021_09] {
            let p = Policy::preset(preset);
            assert_eq!(p.max_concurrent_repairs, Some(1));
            assert_eq!(p.repair_delay, SimDuration::from_mins(10));
            assert_eq!(p.plan(Os::Windows).len(), 3);
        }
    }

    #[test]
    fn provenance_marks_preset_and_override() {
        let p = Policy::preset(Preset::Aks2020_08);
        let rows = provenance_table(&p, &["settle".to_string()]);
        let get = |n: &str| rows.iter().find(|r| r.parameter == n).unwrap();
        assert_eq!(get("repair_delay").provenance, "preset aks-2020-08");
        assert_eq!(get("repair_delay").value, "10m");
        assert_eq!(get("settle").provenance, "scenario override");
        assert_eq!(get("detect_window").provenance, "doc");
    }
}
