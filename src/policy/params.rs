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
            Preset::Eks => event(eks_detection, eks_guard, vec![Replace]),
            // Karpenter: the same clock; the guard rounds up and has no
            // five-node minimum.
            Preset::EksAuto => event(
                eks_detection,
                Guard {
                    rounding: Rounding::Ceil,
                    min_group: 0,
                    ..eks_guard
                },
                vec![Replace],
            ),
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
        self.retry_mode == RetryMode::Escalate
            && self.ladder(os).len() == 1
            && self.step_timeouts.len() != 1
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
        let ladder = self.ladder(os);
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

fn ladder_text(l: &[ActionKind]) -> String {
    l.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

/// Every parameter name a scenario's `\[policy\]` table accepts, besides `preset`.
pub const POLICY_KEYS: [&str; 30] = [
    "check_interval",
    "detect_window",
    "no_status_timeout",
    "repair_delay",
    "repair_delay_anchor",
    "settle",
    "healthy_on",
    "ladder_linux",
    "ladder_windows",
    "retry_mode",
    "max_attempts",
    "overall_timeout",
    "on_action_error",
    "emit_end_on_error",
    "event_wording",
    "max_concurrent_repairs",
    "min_cluster_nodes",
    "all_not_ready_suppresses",
    "event_ttl",
    "drain_timeout",
    "unhealthy_false_after",
    "unhealthy_unknown_after",
    "requeue_offset",
    "min_eval_interval",
    "node_startup_timeout",
    "max_unhealthy",
    "min_healthy",
    "step_timeouts",
    "unhealthy_range",
    "max_in_flight",
];

/// The table of POLICY.md section 2 for this policy: parameter, value,
/// provenance. `overridden` names the parameters a scenario set. A value
/// that the preset sets apart from aks-2024-08 says `preset NAME`.
pub fn provenance_table(p: &Policy, overridden: &[String]) -> Vec<ParamRow> {
    let preset_default = rows(&Policy::preset(p.preset));
    let current = rows(&Policy::preset(Preset::Aks2024_08));
    let recreates = p.vocabulary().has_kind(ActionKind::Recreate);
    let event = matches!(p.detection, Detection::Event(_));
    rows(p)
        .into_iter()
        .zip(preset_default.iter().zip(&current))
        // A parameter of an action kind the policy never runs is left out,
        // and so is one of the other detection mode or retry shape.
        .filter(|(row, _)| row.name != "drain_timeout" || recreates)
        .filter(|(row, _)| row.name != "pool_slots" || p.pool_slots.is_some())
        .filter(|(row, _)| !event || !PERIODIC_ONLY.contains(&row.name))
        .filter(|(row, _)| {
            !EVENT_ONLY.contains(&row.name)
                || (event && (row.name != "step_timeouts" || p.retry_mode == RetryMode::Escalate))
        })
        .map(|(row, (by_preset, now))| {
            let set_by =
                |o: &String| o == row.name || also_set_by(row.name, p).contains(&o.as_str());
            let provenance = if overridden.iter().any(set_by) {
                "scenario override".to_string()
            } else if by_preset.value != now.value {
                format!("preset {}", p.preset.name())
            } else {
                row.base.to_string()
            };
            ParamRow {
                parameter: row.name,
                value: row.value,
                provenance,
            }
        })
        .collect()
}

/// The `[policy]` keys that set a row besides the key of its own name.
fn also_set_by(row: &str, p: &Policy) -> &'static [&'static str] {
    match row {
        "guard" => &["max_unhealthy", "min_healthy", "unhealthy_range"],
        "pool_slots" => &["max_in_flight"],
        // One template's timeout follows from its one-step ladder.
        "step_timeouts" if p.lone_template(Os::Linux) && p.lone_template(Os::Windows) => {
            &["ladder_linux", "ladder_windows"]
        }
        _ => &[],
    }
}

/// [`provenance_table`] for reports: the rows of the observed-behaviour
/// parameters (`emit_end_on_error`, `event_wording`) only where the
/// policy departs from the documented reading, so reports of the
/// documented presets read as the documentation does.
pub fn report_table(p: &Policy, overridden: &[String]) -> Vec<ParamRow> {
    let docs = Policy::preset(Preset::Aks2024_08);
    provenance_table(p, overridden)
        .into_iter()
        .filter(|r| match r.parameter {
            "emit_end_on_error" => p.emit_end_on_error != docs.emit_end_on_error,
            "event_wording" => p.event_wording != docs.event_wording,
            _ => true,
        })
        .collect()
}

/// Rows that mean nothing under event-driven detection.
const PERIODIC_ONLY: [&str; 9] = [
    "check_interval",
    "detect_window",
    "no_status_timeout",
    "repair_delay_anchor",
    "healthy_on",
    "max_attempts",
    "overall_timeout",
    "on_action_error",
    "all_not_ready_suppresses",
];

/// Rows of event-driven detection only.
const EVENT_ONLY: [&str; 9] = [
    "detection",
    "unhealthy_false_after",
    "unhealthy_unknown_after",
    "requeue_offset",
    "evaluation",
    "min_eval_interval",
    "node_startup_timeout",
    "guard",
    "step_timeouts",
];

/// A guard as one line, e.g. `max-unhealthy 20% exact, min group 6, per
/// pool, recheck 5m`.
fn guard_text(g: &Option<Guard>) -> String {
    let Some(g) = g else {
        return "none".into();
    };
    let mut out = match g.limit {
        Limit::MaxUnhealthy(a) => format!("max-unhealthy {a} {}", g.rounding.name()),
        Limit::MinHealthy(a) => format!("min-healthy {a} {}", g.rounding.name()),
        Limit::Range(lo, hi) => format!("unhealthy in [{lo}-{hi}]"),
    };
    if g.min_group > 0 {
        out.push_str(&format!(", min group {}", g.min_group));
    }
    out.push_str(match g.scope {
        Scope::Pool => ", per pool",
        Scope::Cluster => ", cluster",
    });
    match g.recheck {
        Some(d) => out.push_str(&format!(", recheck {d}")),
        None => out.push_str(", recheck at each evaluation"),
    }
    out
}

struct Row {
    name: &'static str,
    value: String,
    base: &'static str,
}

/// Every parameter's value and documented provenance, in table order.
fn rows(p: &Policy) -> Vec<Row> {
    let d = |x: SimDuration| x.to_string();
    let k = &p.kubelet;
    let kube = "doc (Kubernetes default)";
    let list: Vec<(&'static str, String, &'static str)> = vec![
        ("status_update_interval", d(k.status_update_interval), kube),
        ("lease_renew_interval", d(k.lease_renew_interval), kube),
        (
            "node_monitor_grace_period",
            d(k.node_monitor_grace_period),
            "doc (Kubernetes default since 1.32)",
        ),
        ("node_monitor_period", d(k.node_monitor_period), kube),
        (
            "not_ready_toleration",
            d(k.not_ready_toleration),
            "doc (Kubernetes default; reported only)",
        ),
        ("check_interval", d(p.check_interval), "assumption"),
        ("detect_window", d(p.detect_window), "doc"),
        ("no_status_timeout", d(p.no_status_timeout), "doc"),
        ("repair_delay", d(p.repair_delay), "doc"),
        (
            "repair_delay_anchor",
            match p.repair_delay_anchor {
                DelayAnchor::Detection => "detection".into(),
                DelayAnchor::Onset => "onset".into(),
            },
            "assumption",
        ),
        (
            "settle",
            d(p.settle),
            "assumption (the Start messages' \"persisting for more than five minutes\")",
        ),
        ("healthy_on", "first Ready check".into(), "assumption"),
        ("ladder_linux", ladder_text(&p.ladder_linux), "doc"),
        ("ladder_windows", ladder_text(&p.ladder_windows), "doc"),
        (
            "retry_mode",
            p.retry_mode.name().into(),
            "doc (since 2024-08; 2023-08..2024-08 said per step)",
        ),
        ("max_attempts", p.max_attempts.to_string(), "doc"),
        (
            "overall_timeout",
            d(p.overall_timeout),
            "doc (\"up to one hour\")",
        ),
        ("on_action_error", "next_step".into(), "assumption"),
        (
            "emit_end_on_error",
            p.emit_end_on_error.to_string(),
            "assumption (the docs list End as \"completed\")",
        ),
        ("event_wording", p.event_wording.name().into(), "doc"),
        (
            "max_concurrent_repairs",
            p.max_concurrent_repairs
                .map_or("unlimited".into(), |n| n.to_string()),
            "assumption (serial in the 2020-08..2023-08 docs)",
        ),
        (
            "min_cluster_nodes",
            p.min_cluster_nodes.to_string(),
            "doc 2022-12..2023-05, support statements",
        ),
        (
            "all_not_ready_suppresses",
            p.all_not_ready_suppresses.to_string(),
            "support statements",
        ),
        (
            "event_ttl",
            d(p.event_ttl),
            "doc (kube-apiserver --event-ttl)",
        ),
        (
            "drain_timeout",
            d(p.drain_timeout),
            "doc (GKE: \"waits one hour for the drain to complete\")",
        ),
    ];
    let mut list = list;
    let ev = match p.detection {
        Detection::Event(e) => Some(e),
        Detection::Periodic => None,
    };
    let evd = |f: fn(&EventDetection) -> SimDuration| ev.map_or("-".into(), |e| d(f(&e)));
    list.extend([
        (
            "detection",
            if ev.is_some() { "event" } else { "periodic" }.into(),
            "src (PEERS.md section 0: condition timeouts from lastTransitionTime)",
        ),
        (
            "unhealthy_false_after",
            ev.map_or("-".into(), |e| e.timeout_false.map_or("never".into(), d)),
            "PEERS.md (EKS 30m doc; MHC book example; NHC CRD default)",
        ),
        (
            "unhealthy_unknown_after",
            ev.map_or("-".into(), |e| e.timeout_unknown.map_or("never".into(), d)),
            "PEERS.md (EKS 30m doc; MHC book example; NHC CRD default)",
        ),
        (
            "requeue_offset",
            evd(|e| e.requeue_offset),
            "src (MHC, NHC: strict match, requeue + 1s; Karpenter: 0)",
        ),
        (
            "evaluation",
            match ev.map(|e| e.unit) {
                Some(EvalUnit::Node) => "per node",
                Some(EvalUnit::Pool) => "per pool, in node name order",
                Some(EvalUnit::Cluster) => "whole cluster, in node name order",
                None => "-",
            }
            .into(),
            "src (Karpenter reconciles Nodes; one MHC per pool; one NHC)",
        ),
        (
            "min_eval_interval",
            evd(|e| e.min_eval_interval),
            "src (CAPI v1.13+: 15s per MachineHealthCheck)",
        ),
        (
            "node_startup_timeout",
            ev.and_then(|e| e.startup_timeout).map_or("none".into(), d),
            "src (CAPI DefaultNodeStartupTimeoutSeconds = 600)",
        ),
        ("guard", guard_text(&p.guard), "PEERS.md guards"),
        (
            "pool_slots",
            p.pool_slots.map_or("none".into(), |s| s.to_string()),
            "assumption (GKE: \"more nodes in parallel on a larger cluster, but fewer nodes as the number of unhealthy nodes grows\")",
        ),
        (
            "step_timeouts",
            // One template has no timeout of its own (the engine's rule).
            if p.lone_template(Os::Linux) && p.lone_template(Os::Windows) {
                format!(
                    "none (one template: its lease is overdue after {})",
                    d(super::rules::LONE_TEMPLATE_TIMEOUT)
                )
            } else {
                p.step_timeouts
                    .iter()
                    .map(|&t| d(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            "doc (NHC escalatingRemediations: SNR 300s, then 30m)",
        ),
    ]);
    list.into_iter()
        .map(|(name, value, base)| Row { name, value, base })
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
