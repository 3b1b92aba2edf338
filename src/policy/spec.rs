//! One declaration per setting.
//!
//! [`SETTINGS`] lists every parameter of a policy once, in the order of the
//! provenance table: its name, the table of a scenario that sets it, how a
//! value is written ([`Type`]), when it means something ([`Mode`]), its
//! documented provenance, one line of documentation, how its row reads, and
//! how a value is read from and written into a [`Policy`]. That one list
//! drives:
//!
//! - loading: `[policy]` and `[kubernetes]` accept exactly its keys
//!   (`crate::scenario::raw`), read each by its type and apply it with its
//!   `set` (`crate::scenario::load`), so `--set policy.KEY=VALUE` and a
//!   policy file go through the same code;
//! - validation errors: what a type accepts, a key the preset does not
//!   take, and the list of valid keys;
//! - `repairsim policy`: the rows, their order, values and provenance
//!   ([`super::params::provenance_table`]), and `repairsim policy --keys`;
//! - docs: the key tables of the README ([`markdown`], kept in sync by a
//!   test).
//!
//! A row that no key sets (`detection`, `evaluation`, `guard`,
//! `pool_slots`) follows from the preset and from the keys that name it as
//! their [`Row::In`].

use super::Exclusion;
use super::params::{DelayAnchor, EventWording, OnActionError, Policy, Preset, RetryMode};
use super::rules::{
    Amount, Detection, EvalUnit, EventDetection, Guard, InFlight, Limit, PercentOf, PoolSlots,
    Rounding, Scope,
};
use crate::fleet::Os;
use crate::k8s::ActionKind;
use crate::time::SimDuration;

/// The most passes `max_attempts` may ask for (a repair plan is ladder
/// length × passes actions long).
pub const MAX_ATTEMPTS: i64 = 1_000;

/// The table of a scenario a key is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// `[kubernetes]`: the kubelet's and the control plane's timing.
    Kubernetes,
    /// `[policy]`: the remediation policy.
    Policy,
}

impl Section {
    pub fn name(self) -> &'static str {
        match self {
            Section::Kubernetes => "kubernetes",
            Section::Policy => "policy",
        }
    }
}

/// How a value is written; it fixes how the loader reads it and what an
/// error says is valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// A duration string such as `"5m"` (integer milliseconds inside);
    /// `zero`: `"0s"` is allowed.
    Duration {
        zero: bool,
    },
    /// A duration (`"0s"` allowed), or `"never"`.
    DurationOrNever,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// An integer from `lo` to `hi`.
    Int {
        lo: i64,
        hi: i64,
    },
    /// An integer of at least 1, or `"unlimited"`.
    IntOrUnlimited,
    Bool,
    /// A non-empty array of action kinds.
    Ladder,
    /// A node count, or a percentage such as `"40%"`.
    Amount,
    /// `"[a-b]"` with `a <= b`.
    Range,
    /// A non-empty array of durations.
    Durations,
}

/// The action kinds a ladder may name.
pub const ACTIONS: &[&str] = &[
    "reboot",
    "reimage",
    "redeploy",
    "recreate",
    "replace",
    "snr-reboot",
];

impl Type {
    /// What a value of this type is, for docs.
    pub fn describe(self) -> String {
        let quoted = |w: &[&str]| {
            let q: Vec<String> = w.iter().map(|w| format!("`\"{w}\"`")).collect();
            match q.len() {
                1 => q[0].clone(),
                n => format!("{} or {}", q[..n - 1].join(", "), q[n - 1]),
            }
        };
        match self {
            Type::Duration { zero: false } => "duration > 0".into(),
            Type::Duration { zero: true } => "duration ≥ 0".into(),
            Type::DurationOrNever => "duration ≥ 0, or `\"never\"`".into(),
            Type::Choice(w) => quoted(w),
            Type::Int { lo, hi } if hi >= i64::from(u32::MAX) => format!("integer ≥ {lo}"),
            Type::Int { lo, hi } => format!("integer {lo}..={hi}"),
            Type::IntOrUnlimited => "integer ≥ 1, or `\"unlimited\"`".into(),
            Type::Bool => "boolean".into(),
            Type::Ladder => format!(
                "array of {} (non-empty under periodic detection)",
                quoted(ACTIONS)
            ),
            Type::Amount => "integer ≥ 0, or a percentage such as `\"40%\"`".into(),
            Type::Range => "`\"[a-b]\"`, a ≤ b".into(),
            Type::Durations => "non-empty array of durations".into(),
        }
    }
}

/// A value as the loader read it, checked against its [`Type`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Duration(SimDuration),
    Never,
    /// One of a [`Type::Choice`]'s words.
    Word(&'static str),
    Int(i64),
    Unlimited,
    Bool(bool),
    Ladder(Vec<ActionKind>),
    Amount(Amount),
    Range(u32, u32),
    Durations(Vec<SimDuration>),
}

impl Value {
    fn duration(&self) -> SimDuration {
        match self {
            Value::Duration(d) => *d,
            _ => SimDuration::ZERO,
        }
    }
    fn word(&self) -> &'static str {
        match self {
            Value::Word(w) => w,
            _ => "",
        }
    }
    fn boolean(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
    fn int(&self) -> i64 {
        match self {
            Value::Int(n) => *n,
            _ => 0,
        }
    }
    fn ladder(self) -> Vec<ActionKind> {
        match self {
            Value::Ladder(l) => l,
            _ => Vec::new(),
        }
    }
}

/// When a setting means something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Under every preset.
    Any,
    /// Under periodic detection (rules (a) and (b)). Accepted under an
    /// event-driven preset, where it changes nothing and has no row.
    Periodic,
    /// Under event-driven detection (condition timeouts). Refused under a
    /// periodic preset.
    Event,
}

impl Mode {
    fn applies(self, p: &Policy) -> bool {
        let event = p.event_driven();
        match self {
            Mode::Any => true,
            Mode::Periodic => !event,
            Mode::Event => event,
        }
    }
}

/// What the other keys given with a value are, for the rules between keys.
pub struct Given<'a> {
    pub preset: Preset,
    /// Every key the table gives, whatever its order.
    pub keys: &'a [&'static str],
}

impl Given<'_> {
    fn has(&self, key: &str) -> bool {
        self.keys.contains(&key)
    }
}

/// Why a value cannot be applied; `item` points at one entry of an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    pub item: Option<usize>,
    pub message: String,
}

impl From<String> for Reject {
    fn from(message: String) -> Reject {
        Reject {
            item: None,
            message,
        }
    }
}

impl From<&str> for Reject {
    fn from(message: &str) -> Reject {
        Reject::from(message.to_string())
    }
}

/// How a scenario sets a setting.
#[derive(Clone, Copy)]
pub struct Key {
    pub section: Section,
    pub ty: Type,
    /// The value now, as a TOML literal that sets it again; `None` where
    /// the policy has none (docs and round-trip tests).
    pub get: fn(&Policy) -> Option<String>,
    /// Applies a value read by its type.
    pub set: fn(&mut Policy, Value, &Given) -> Result<(), Reject>,
}

/// Where a setting shows in the provenance table.
#[derive(Clone, Copy)]
pub enum Row {
    /// A row of its own, with this value text.
    Own(fn(&Policy) -> String),
    /// It changes the row of that name.
    In(&'static str),
}

/// One parameter: the one place its name, type, provenance and docs are
/// written.
#[derive(Clone, Copy)]
pub struct Setting {
    pub name: &'static str,
    /// `None`: a row no key sets.
    pub key: Option<Key>,
    pub mode: Mode,
    pub row: Row,
    /// Where its default comes from, for its own row.
    pub provenance: &'static str,
    /// One line for the docs (`repairsim policy --keys`, the README).
    pub doc: &'static str,
    /// Its row shows only where this holds too (besides `mode`).
    pub when: fn(&Policy) -> bool,
    /// Keys besides its own that set its row, for this policy.
    pub also_set_by: fn(&Policy) -> &'static [&'static str],
    /// A parameter of observed behaviour: reports show its row only where
    /// the policy departs from the documented reading.
    pub observed: bool,
}

fn always(_: &Policy) -> bool {
    true
}

fn nobody(_: &Policy) -> &'static [&'static str] {
    &[]
}

/// The defaults every declaration starts from.
const BASE: Setting = Setting {
    name: "",
    key: None,
    mode: Mode::Any,
    row: Row::In(""),
    provenance: "",
    doc: "",
    when: always,
    also_set_by: nobody,
    observed: false,
};

fn lit(d: SimDuration) -> String {
    format!("\"{d}\"")
}

fn list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    let v: Vec<String> = items.iter().map(f).collect();
    format!("[{}]", v.join(", "))
}

fn ladder_text(l: &[ActionKind]) -> String {
    if l.is_empty() {
        return "none (not repaired)".into();
    }
    l.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

fn event(p: &Policy) -> Option<&EventDetection> {
    match &p.detection {
        Detection::Event(e) => Some(e),
        Detection::Periodic => None,
    }
}

fn event_mut(p: &mut Policy) -> Result<&mut EventDetection, Reject> {
    match &mut p.detection {
        Detection::Event(e) => Ok(e),
        Detection::Periodic => Err("this preset checks periodically".into()),
    }
}

fn base_guard(p: &Policy) -> Result<Guard, Reject> {
    p.guard.ok_or_else(|| "this preset has no guard".into())
}

/// A duration key of the kubelet's or the policy's.
macro_rules! duration {
    ($section:ident, $name:literal, $($field:ident).+, zero: $zero:literal, $prov:expr, $doc:literal) => {
        Setting {
            name: $name,
            key: Some(Key {
                section: Section::$section,
                ty: Type::Duration { zero: $zero },
                get: |p| Some(lit(p.$($field).+)),
                set: |p, v, _| {
                    p.$($field).+ = v.duration();
                    Ok(())
                },
            }),
            row: Row::Own(|p| p.$($field).+.to_string()),
            provenance: $prov,
            doc: $doc,
            ..BASE
        }
    };
}

/// A choice key over an enum field.
macro_rules! choice {
    ($name:literal, $field:ident, $( $word:literal => $variant:expr ),+ ; show: $show:expr, $prov:expr, $doc:literal) => {
        Setting {
            name: $name,
            key: Some(Key {
                section: Section::Policy,
                ty: Type::Choice(&[$($word),+]),
                get: |p| {
                    $( if p.$field == $variant { return Some(format!("\"{}\"", $word)); } )+
                    None
                },
                set: |p, v, _| {
                    $( if v.word() == $word { p.$field = $variant; } )+
                    Ok(())
                },
            }),
            row: Row::Own($show),
            provenance: $prov,
            doc: $doc,
            ..BASE
        }
    };
}

const KUBE: &str = "doc (Kubernetes default)";

/// Every setting, in the order of the provenance table.
pub const SETTINGS: &[Setting] = &[
    duration!(Kubernetes, "status_update_interval", kubelet.status_update_interval, zero: false, KUBE,
        "The kubelet posts a changed Ready condition on this grid."),
    duration!(Kubernetes, "lease_renew_interval", kubelet.lease_renew_interval, zero: false, KUBE,
        "The kubelet renews its lease on this grid while it runs."),
    duration!(Kubernetes, "node_monitor_grace_period", kubelet.node_monitor_grace_period, zero: false,
        "doc (Kubernetes default since 1.32)",
        "No lease for this long: the node lifecycle controller sets Ready=Unknown (40s before Kubernetes 1.32)."),
    duration!(Kubernetes, "node_monitor_period", kubelet.node_monitor_period, zero: false, KUBE,
        "The node lifecycle controller's grid."),
    duration!(Kubernetes, "not_ready_toleration", kubelet.not_ready_toleration, zero: false,
        "doc (Kubernetes default; reported only)",
        "Pods are evicted this long after NotReady/Unknown (reported only)."),
    Setting {
        mode: Mode::Periodic,
        ..duration!(Policy, "check_interval", check_interval, zero: false, "assumption",
            "The auto-repair controller's check period.")
    },
    Setting {
        mode: Mode::Periodic,
        ..duration!(Policy, "detect_window", detect_window, zero: false, "doc",
            "Rule (a): not Ready on every check of a run this long.")
    },
    Setting {
        mode: Mode::Periodic,
        ..duration!(Policy, "no_status_timeout", no_status_timeout, zero: false, "doc",
            "Rule (b): no heartbeat for this long.")
    },
    duration!(Policy, "repair_delay", repair_delay, zero: true, "doc",
        "Still unhealthy this long after detection before the first action."),
    Setting {
        mode: Mode::Periodic,
        ..choice!("repair_delay_anchor", repair_delay_anchor,
            "detection" => DelayAnchor::Detection, "onset" => DelayAnchor::Onset;
            show: |p| match p.repair_delay_anchor {
                DelayAnchor::Detection => "detection".into(),
                DelayAnchor::Onset => "onset".into(),
            },
            "assumption",
            "Count `repair_delay` from the detection check or from the first not-Ready check.")
    },
    duration!(Policy, "settle", settle, zero: true,
        "assumption (the Start messages' \"persisting for more than five minutes\")",
        "Still not Ready this long after an action ends before the next action."),
    Setting {
        name: "healthy_on",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Choice(&["first-ready-check"]),
            get: |_| Some("\"first-ready-check\"".into()),
            set: |_, _, _| Ok(()),
        }),
        mode: Mode::Periodic,
        row: Row::Own(|_| "first Ready check".into()),
        provenance: "assumption",
        doc: "A Ready check during detection, delay or settle ends the incident (the only value).",
        ..BASE
    },
    Setting {
        name: "ladder_linux",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Ladder,
            get: |p| Some(list(&p.ladder_linux, |k| format!("\"{}\"", k.name()))),
            set: |p, v, _| {
                p.ladder_linux = v.ladder();
                Ok(())
            },
        }),
        row: Row::Own(|p| ladder_text(&p.ladder_linux)),
        provenance: "doc",
        doc: "The actions tried on Linux nodes, in order. Under event-driven detection `[]` leaves them alone.",
        ..BASE
    },
    Setting {
        name: "ladder_windows",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Ladder,
            get: |p| Some(list(&p.ladder_windows, |k| format!("\"{}\"", k.name()))),
            set: |p, v, _| {
                p.ladder_windows = v.ladder();
                Ok(())
            },
        }),
        row: Row::Own(|p| ladder_text(&p.ladder_windows)),
        provenance: "doc",
        doc: "The actions tried on Windows nodes, in order. Under event-driven detection `[]` leaves Windows nodes alone (EKS: the node monitoring agent and repair are Linux only).",
        ..BASE
    },
    Setting {
        name: "retry_mode",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Choice(&["sequence", "per_step", "redetect", "escalate"]),
            get: |p| Some(format!("\"{}\"", p.retry_mode.name())),
            set: |p, v, g| {
                let mode = match v.word() {
                    "per_step" => RetryMode::PerStep,
                    "redetect" => RetryMode::Redetect,
                    "escalate" => RetryMode::Escalate,
                    _ => RetryMode::Sequence,
                };
                // Each detection mode has its own retry shapes.
                let event = event(p).is_some();
                let fits = if event {
                    !mode.has_overall_timeout()
                } else {
                    mode != RetryMode::Escalate
                };
                if !fits {
                    return Err(if event {
                        format!(
                            "preset {} detects by condition timeouts; valid retry modes: redetect, escalate",
                            g.preset.name()
                        )
                    } else {
                        format!(
                            "preset {} checks periodically; valid retry modes: sequence, per_step, redetect",
                            g.preset.name()
                        )
                    }
                    .into());
                }
                p.retry_mode = mode;
                Ok(())
            },
        }),
        row: Row::Own(|p| p.retry_mode.name().into()),
        provenance: "doc (since 2024-08; 2023-08..2024-08 said per step)",
        doc: "Retry the whole ladder (`sequence`) or each step (`per_step`) `max_attempts` times; or (`redetect`) never give up: a node still unhealthy after an action is detected again from scratch and the ladder starts over, with no overall timeout; or (`escalate`) each step once, for its `step_timeouts` entry. `sequence` and `per_step` need periodic detection, `escalate` event-driven detection.",
        ..BASE
    },
    Setting {
        name: "max_attempts",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Int {
                lo: 1,
                hi: MAX_ATTEMPTS,
            },
            get: |p| Some(p.max_attempts.to_string()),
            set: |p, v, _| {
                p.max_attempts = v.int() as u32;
                Ok(())
            },
        }),
        mode: Mode::Periodic,
        row: Row::Own(|p| p.max_attempts.to_string()),
        provenance: "doc",
        doc: "Passes in total, the first counting.",
        ..BASE
    },
    Setting {
        mode: Mode::Periodic,
        ..duration!(Policy, "overall_timeout", overall_timeout, zero: false,
            "doc (\"up to one hour\")",
            "No new action starts at or after repair start + this.")
    },
    Setting {
        mode: Mode::Periodic,
        ..choice!("on_action_error", on_action_error, "next_step" => OnActionError::NextStep;
            show: |_| "next_step".into(),
            "assumption",
            "An action error counts as still unhealthy (the only value).")
    },
    Setting {
        name: "emit_end_on_error",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Bool,
            get: |p| Some(p.emit_end_on_error.to_string()),
            set: |p, v, _| {
                p.emit_end_on_error = v.boolean();
                Ok(())
            },
        }),
        row: Row::Own(|p| p.emit_end_on_error.to_string()),
        provenance: "assumption (the docs list End as \"completed\")",
        doc: "A failed action emits its End event and then its Error event at the same instant, as the service was seen to do, instead of the Error event alone.",
        observed: true,
        ..BASE
    },
    Setting {
        observed: true,
        ..choice!("event_wording", event_wording,
            "docs" => EventWording::Docs, "observed" => EventWording::Observed;
            show: |p| p.event_wording.name().into(),
            "doc",
            "The wording of the Start, End and Error messages: the public page's, or the service's as recorded (docs/POLICY.md section 8; its Error message names no code).")
    },
    Setting {
        name: "max_concurrent_repairs",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::IntOrUnlimited,
            get: |p| {
                Some(
                    p.max_concurrent_repairs
                        .map_or("\"unlimited\"".into(), |n| n.to_string()),
                )
            },
            set: |p, v, _| {
                p.max_concurrent_repairs = match v {
                    Value::Int(n) => Some(n as u32),
                    _ => None,
                };
                Ok(())
            },
        }),
        row: Row::Own(|p| {
            p.max_concurrent_repairs
                .map_or("unlimited".into(), |n| n.to_string())
        }),
        provenance: "assumption (serial in the 2020-08..2023-08 docs)",
        doc: "Repairs in progress at once across the cluster.",
        ..BASE
    },
    Setting {
        name: "min_cluster_nodes",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Int {
                lo: 0,
                hi: u32::MAX as i64,
            },
            get: |p| Some(p.min_cluster_nodes.to_string()),
            set: |p, v, _| {
                p.min_cluster_nodes = v.int() as u32;
                Ok(())
            },
        }),
        row: Row::Own(|p| p.min_cluster_nodes.to_string()),
        provenance: "doc 2022-12..2023-05, support statements",
        doc: "A cluster with fewer nodes is not repaired (`cluster-too-small`).",
        ..BASE
    },
    Setting {
        name: "all_not_ready_suppresses",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Bool,
            get: |p| Some(p.all_not_ready_suppresses.to_string()),
            set: |p, v, _| {
                p.all_not_ready_suppresses = v.boolean();
                Ok(())
            },
        }),
        mode: Mode::Periodic,
        row: Row::Own(|p| p.all_not_ready_suppresses.to_string()),
        provenance: "support statements",
        doc: "No action starts on a check where every node is not Ready (`all-nodes-not-ready`).",
        ..BASE
    },
    duration!(Policy, "event_ttl", event_ttl, zero: false, "doc (kube-apiserver --event-ttl)",
        "Events older than this are gone from `kubectl get events`."),
    Setting {
        when: |p| p.vocabulary().has_kind(ActionKind::Recreate),
        ..duration!(Policy, "drain_timeout", drain_timeout, zero: false,
            "doc (GKE: \"waits one hour for the drain to complete\")",
            "A `recreate`'s drain is cut off after this long (GKE: \"waits one hour for the drain to complete\"). Its row shows only for a policy that recreates.")
    },
    Setting {
        name: "detection",
        mode: Mode::Event,
        row: Row::Own(|p| {
            if event(p).is_some() {
                "event"
            } else {
                "periodic"
            }
            .into()
        }),
        provenance: "src (docs/PEERS.md section 0: condition timeouts from lastTransitionTime)",
        doc: "Periodic checks with rules (a) and (b), or condition timeouts from the Ready condition's lastTransitionTime: the preset's.",
        ..BASE
    },
    Setting {
        name: "unhealthy_false_after",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::DurationOrNever,
            get: |p| event(p).map(|e| e.timeout_false.map_or("\"never\"".into(), lit)),
            set: |p, v, _| {
                event_mut(p)?.timeout_false = (v != Value::Never).then(|| v.duration());
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::Own(|p| {
            event(p).map_or("-".into(), |e| {
                e.timeout_false.map_or("never".into(), |d| d.to_string())
            })
        }),
        provenance: "docs/PEERS.md (EKS 30m doc; MHC book example; NHC CRD default)",
        doc: "Ready=False held this long, from its lastTransitionTime, makes a node unhealthy (`\"0s\"`: at once, as a MachineHealthCheck's `timeoutSeconds: 0`; `\"never\"`: no check matches that status).",
        ..BASE
    },
    Setting {
        name: "unhealthy_unknown_after",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::DurationOrNever,
            get: |p| event(p).map(|e| e.timeout_unknown.map_or("\"never\"".into(), lit)),
            set: |p, v, _| {
                event_mut(p)?.timeout_unknown = (v != Value::Never).then(|| v.duration());
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::Own(|p| {
            event(p).map_or("-".into(), |e| {
                e.timeout_unknown.map_or("never".into(), |d| d.to_string())
            })
        }),
        provenance: "docs/PEERS.md (EKS 30m doc; MHC book example; NHC CRD default)",
        doc: "The same for Ready=Unknown.",
        ..BASE
    },
    Setting {
        name: "requeue_offset",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Duration { zero: true },
            get: |p| event(p).map(|e| lit(e.requeue_offset)),
            set: |p, v, _| {
                event_mut(p)?.requeue_offset = v.duration();
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::Own(|p| event(p).map_or("-".into(), |e| e.requeue_offset.to_string())),
        provenance: "src (MHC, NHC: strict match, requeue + 1s; Karpenter: 0)",
        doc: "The requeue lands at LTT + timeout + this; a positive offset also makes the match strict.",
        ..BASE
    },
    Setting {
        name: "evaluation",
        mode: Mode::Event,
        row: Row::Own(|p| {
            match event(p).map(|e| e.unit) {
                Some(EvalUnit::Node) => "per node",
                Some(EvalUnit::Pool) => "per pool, in node name order",
                Some(EvalUnit::Cluster) => "whole cluster, in node name order",
                None => "-",
            }
            .into()
        }),
        provenance: "src (Karpenter reconciles Nodes; one MHC per pool; one NHC)",
        doc: "What one evaluation covers: a node, a pool or the cluster (the preset's).",
        ..BASE
    },
    Setting {
        name: "min_eval_interval",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Duration { zero: true },
            get: |p| event(p).map(|e| lit(e.min_eval_interval)),
            set: |p, v, _| {
                event_mut(p)?.min_eval_interval = v.duration();
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::Own(|p| event(p).map_or("-".into(), |e| e.min_eval_interval.to_string())),
        provenance: "src (CAPI v1.13+: 15s per MachineHealthCheck)",
        doc: "Evaluations of one unit at least this far apart (Cluster API v1.13+; set `\"0s\"` or `\"1s\"` for older versions).",
        ..BASE
    },
    Setting {
        name: "node_startup_timeout",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Duration { zero: true },
            get: |p| event(p).map(|e| lit(e.startup_timeout.unwrap_or(SimDuration::ZERO))),
            set: |p, v, _| {
                // 0 turns the startup timeout off, as in the MachineHealthCheck.
                let d = v.duration();
                event_mut(p)?.startup_timeout = (d > SimDuration::ZERO).then_some(d);
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::Own(|p| {
            event(p)
                .and_then(|e| e.startup_timeout)
                .map_or("none".into(), |d| d.to_string())
        }),
        provenance: "src (CAPI DefaultNodeStartupTimeoutSeconds = 600)",
        doc: "A replacement whose node is not up this long after its Machine was created is unhealthy at once and replaced again; its replace ends with the error `NodeStartupTimeout`. `\"0s\"` turns it off.",
        ..BASE
    },
    Setting {
        name: "guard",
        mode: Mode::Event,
        row: Row::Own(|p| guard_text(&p.guard)),
        provenance: "docs/PEERS.md guards",
        doc: "The preset's guard on unhealthy nodes, or the one `unhealthy_range`, `max_unhealthy` or `min_healthy` sets.",
        ..BASE
    },
    // Read before the other two guard keys, so that it names the conflict.
    Setting {
        name: "unhealthy_range",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Range,
            get: |p| match p.guard.map(|g| g.limit) {
                Some(Limit::Range(lo, hi)) => Some(format!("\"[{lo}-{hi}]\"")),
                _ => None,
            },
            set: |p, v, g| {
                if g.has("max_unhealthy") || g.has("min_healthy") {
                    return Err(
                        "set one of max_unhealthy, min_healthy and unhealthy_range, not two".into(),
                    );
                }
                let Value::Range(lo, hi) = v else {
                    return Ok(());
                };
                p.guard = Some(Guard {
                    limit: Limit::Range(lo, hi),
                    min_group: 0,
                    name: Exclusion::GuardMaxUnhealthy,
                    ..base_guard(p)?
                });
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::In("guard"),
        doc: "Replaces the preset's guard: new remediations only while the unhealthy count is from a to b, both included (Cluster API `unhealthyInRange`). Set one of `max_unhealthy`, `min_healthy` and `unhealthy_range`.",
        ..BASE
    },
    Setting {
        name: "max_unhealthy",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Amount,
            get: |p| match p.guard.map(|g| g.limit) {
                Some(Limit::MaxUnhealthy(a)) => Some(amount_lit(a)),
                _ => None,
            },
            set: |p, v, _| {
                let Value::Amount(a) = v else {
                    return Ok(());
                };
                let base = base_guard(p)?;
                // A user's threshold replaces the default guard (EKS: its
                // five-node minimum goes too); NHC rounds maxUnhealthy up.
                p.guard = Some(Guard {
                    limit: Limit::MaxUnhealthy(a),
                    rounding: if base.rounding == Rounding::Ceil
                        || matches!(base.limit, Limit::MinHealthy(_))
                    {
                        Rounding::Ceil
                    } else {
                        base.rounding
                    },
                    min_group: 0,
                    name: Exclusion::GuardMaxUnhealthy,
                    ..base
                });
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::In("guard"),
        doc: "Replaces the preset's guard: no new remediation while more than this many of the group are unhealthy (Cluster API `unhealthyLessThanOrEqualTo`, rounded down; EKS `maxUnhealthyNodeThreshold*`, compared exactly, without the five-node minimum; NHC `maxUnhealthy`, rounded up).",
        ..BASE
    },
    Setting {
        name: "min_healthy",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Amount,
            get: |p| match p.guard.map(|g| g.limit) {
                Some(Limit::MinHealthy(a)) => Some(amount_lit(a)),
                _ => None,
            },
            set: |p, v, g| {
                if g.has("max_unhealthy") {
                    return Err("set one of max_unhealthy and min_healthy, not both".into());
                }
                let Value::Amount(a) = v else {
                    return Ok(());
                };
                p.guard = Some(Guard {
                    limit: Limit::MinHealthy(a),
                    rounding: Rounding::Ceil,
                    min_group: 0,
                    name: Exclusion::GuardMinHealthy,
                    ..base_guard(p)?
                });
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::In("guard"),
        doc: "Replaces the preset's guard: no new remediation while fewer than this many are healthy (rounded up). Set one of `max_unhealthy` and `min_healthy`.",
        ..BASE
    },
    Setting {
        name: "pool_slots",
        row: Row::Own(|p| p.pool_slots.map_or("none".into(), |s| s.to_string())),
        when: |p| p.pool_slots.is_some(),
        provenance: "assumption (GKE: \"more nodes in parallel on a larger cluster, but fewer nodes as the number of unhealthy nodes grows\")",
        doc: "Repairs of one pool at once: GKE's adaptive parallelism, or the limit `max_in_flight` sets.",
        ..BASE
    },
    Setting {
        name: "max_in_flight",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Amount,
            get: |p| match p.pool_slots {
                Some(PoolSlots::InFlight(f)) => Some(amount_lit(f.value)),
                _ => None,
            },
            set: |p, v, g| {
                let (percent_of, until_deleted) = match g.preset {
                    Preset::CapiMhc => (PercentOf::Replicas, true),
                    Preset::Eks => (PercentOf::Unhealthy, false),
                    other => {
                        return Err(format!(
                            "preset {} has no in-flight limit; max_in_flight applies to capi-mhc \
                             (MachineDeployment maxInFlight) and eks (maxParallelNodesRepaired*){}",
                            other.name(),
                            if other.provider() == super::providers::Provider::Aks {
                                "; AKS repairs take max_concurrent_repairs"
                            } else {
                                ""
                            }
                        )
                        .into());
                    }
                };
                let Value::Amount(value) = v else {
                    return Ok(());
                };
                if g.preset == Preset::Eks && matches!(value, Amount::Count(0) | Amount::Percent(0))
                {
                    return Err("EKS repairs at least 1 node at a time: expected a count of at least 1 or a percentage of 1% to 100%".into());
                }
                p.pool_slots = Some(PoolSlots::InFlight(InFlight {
                    value,
                    percent_of,
                    until_deleted,
                }));
                Ok(())
            },
        }),
        row: Row::In("pool_slots"),
        doc: "capi-mhc and eks only. Repairs of one pool at once. capi-mhc (MachineDeployment `maxInFlight`): a percentage of the pool's nodes, rounded up; a replace stops counting when its old Machine is deleted, and the machines the health check already marked start then, the newest Machine first, then by name, with no new evaluation. eks (`maxParallelNodesRepaired*`): a percentage of the pool's not-Ready nodes, rounded up, at least 1; a waiting node is evaluated again when a slot frees.",
        ..BASE
    },
    Setting {
        name: "step_timeouts",
        key: Some(Key {
            section: Section::Policy,
            ty: Type::Durations,
            get: |p| {
                (p.retry_mode == RetryMode::Escalate && !p.step_timeouts.is_empty())
                    .then(|| list(&p.step_timeouts, |d| lit(*d)))
            },
            set: |p, v, _| {
                if p.retry_mode != RetryMode::Escalate {
                    return Err(format!(
                        "step timeouts need retry_mode = \"escalate\" (this policy's is {:?})",
                        p.retry_mode.name()
                    )
                    .into());
                }
                let Value::Durations(list) = v else {
                    return Ok(());
                };
                if let Some(i) = list.iter().position(|d| *d < SimDuration::from_secs(60)) {
                    return Err(Reject {
                        item: Some(i),
                        message: "a remediation timeout is at least 60s (the NodeHealthCheck webhook refuses less)".into(),
                    });
                }
                p.step_timeouts = list;
                Ok(())
            },
        }),
        mode: Mode::Event,
        row: Row::Own(|p| {
            // One template has no timeout of its own (the engine's rule).
            if p.lone_template(Os::Linux) && p.lone_template(Os::Windows) {
                format!(
                    "none (one template: its lease is overdue after {})",
                    super::rules::LONE_TEMPLATE_TIMEOUT
                )
            } else {
                p.step_timeouts
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }),
        when: |p| p.retry_mode == RetryMode::Escalate,
        // One template's timeout follows from its one-step ladder.
        also_set_by: |p| {
            if p.lone_template(Os::Linux) && p.lone_template(Os::Windows) {
                &["ladder_linux", "ladder_windows"]
            } else {
                &[]
            }
        },
        provenance: "doc (NHC escalatingRemediations: SNR 300s, then 30m)",
        doc: "With `retry_mode = \"escalate\"`, each ladder step's timeout from its start, each at least 60s; a longer ladder reuses the last. A one-step ladder is a single remediation template, whose lease is overdue after 30 minutes (`gave-up-timeout`), unless `step_timeouts` has exactly one entry: then it is an escalation of one step that runs out at that timeout (`gave-up-exhausted`).",
        ..BASE
    },
];

fn amount_lit(a: Amount) -> String {
    match a {
        Amount::Count(c) => c.to_string(),
        Amount::Percent(p) => format!("\"{p}%\""),
    }
}

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

impl Setting {
    /// Whether its row shows for this policy.
    pub fn shown(&self, p: &Policy) -> bool {
        self.mode.applies(p) && (self.when)(p)
    }

    /// The keys that set its row, for this policy: its own and those
    /// that name it as their row.
    pub fn set_by(&self, p: &Policy) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = SETTINGS
            .iter()
            .filter(|s| s.key.is_some())
            .filter(|s| s.name == self.name || matches!(s.row, Row::In(r) if r == self.name))
            .map(|s| s.name)
            .collect();
        out.extend((self.also_set_by)(p));
        out
    }
}

/// The setting of a key in `section`.
pub fn lookup(section: Section, key: &str) -> Option<&'static Setting> {
    SETTINGS
        .iter()
        .find(|s| s.name == key && s.key.is_some_and(|k| k.section == section))
}

/// Why `setting` is refused under `preset`, if it is: an event-driven key
/// under a periodic preset.
pub fn refusal(setting: &Setting, preset: Preset) -> Option<String> {
    if setting.mode != Mode::Event || event(&Policy::preset(preset)).is_some() {
        return None;
    }
    let takers: Vec<&str> = Preset::ALL
        .into_iter()
        .filter(|p| event(&Policy::preset(*p)).is_some())
        .map(|p| p.name())
        .collect();
    Some(format!(
        "preset {} checks periodically; {} applies to the event-driven presets ({})",
        preset.name(),
        setting.name,
        takers.join(", ")
    ))
}

const fn count(section: Section) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < SETTINGS.len() {
        if let Some(k) = &SETTINGS[i].key
            && k.section as u8 == section as u8
        {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The names of `section`'s keys in declaration order, after `first`.
const fn names<const N: usize>(section: Section, first: Option<&'static str>) -> [&'static str; N] {
    let mut out = [""; N];
    let mut n = 0;
    if let Some(f) = first {
        out[0] = f;
        n = 1;
    }
    let mut i = 0;
    while i < SETTINGS.len() {
        if let Some(k) = &SETTINGS[i].key
            && k.section as u8 == section as u8
        {
            out[n] = SETTINGS[i].name;
            n += 1;
        }
        i += 1;
    }
    out
}

/// Every key `[policy]` accepts, `preset` first, in declaration order:
/// what an unknown key's error lists.
pub const POLICY_FIELDS: &[&str] =
    &names::<{ count(Section::Policy) + 1 }>(Section::Policy, Some("preset"));

/// Every key `[kubernetes]` accepts.
pub const KUBERNETES_FIELDS: &[&str] =
    &names::<{ count(Section::Kubernetes) }>(Section::Kubernetes, None);

/// The default column of the docs: the value under the default preset (or
/// the first that the key applies to), then where other presets differ.
fn defaults(s: &Setting, key: &Key) -> String {
    let applies: Vec<Preset> = Preset::ALL
        .into_iter()
        .filter(|p| s.mode.applies(&Policy::preset(*p)))
        .collect();
    let value =
        |p: Preset| (key.get)(&Policy::preset(p)).map_or("none".into(), |v| format!("`{v}`"));
    let first = if applies.contains(&Preset::DEFAULT) {
        Preset::DEFAULT
    } else {
        applies[0]
    };
    let mut groups: Vec<(String, Vec<&str>)> = vec![(value(first), vec![])];
    for p in applies {
        let v = value(p);
        match groups.iter_mut().find(|(g, _)| *g == v) {
            Some((_, names)) => names.push(p.name()),
            None => groups.push((v, vec![p.name()])),
        }
    }
    let mut out = groups[0].0.clone();
    if groups.len() > 1 {
        let rest: Vec<String> = groups[1..]
            .iter()
            .map(|(v, names)| format!("{v} in {}", names.join(", ")))
            .collect();
        out.push_str(&format!(" ({})", rest.join("; ")));
    }
    out
}

/// One key, as `repairsim policy --keys` and the README list it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KeyRow {
    /// `policy` or `kubernetes`.
    pub table: &'static str,
    pub key: &'static str,
    /// What a value is, e.g. `duration ≥ 0`.
    pub value: String,
    /// The default preset's value (or the first preset's the key applies
    /// to), then the presets that differ.
    pub default: String,
    /// `any`, `periodic` or `event`: the presets it means something under.
    pub presets: &'static str,
    pub meaning: &'static str,
}

/// Every key of `[kubernetes]`, then of `[policy]`, in declaration order.
pub fn key_rows() -> Vec<KeyRow> {
    [Section::Kubernetes, Section::Policy]
        .into_iter()
        .flat_map(|section| {
            SETTINGS.iter().filter_map(move |s| {
                let k = s.key.filter(|k| k.section == section)?;
                Some(KeyRow {
                    table: section.name(),
                    key: s.name,
                    value: k.ty.describe(),
                    default: defaults(s, &k),
                    presets: match s.mode {
                        Mode::Any => "any",
                        Mode::Periodic => "periodic",
                        Mode::Event => "event",
                    },
                    meaning: s.doc,
                })
            })
        })
        .collect()
}

/// The key table of `section` in Markdown: key, value, default, meaning.
/// The README holds these tables verbatim (a test keeps them in sync;
/// `repairsim policy --keys --format markdown` prints them).
pub fn markdown(section: Section) -> String {
    let mut out = String::from("| key | value | default | meaning |\n|---|---|---|---|\n");
    for r in key_rows().iter().filter(|r| r.table == section.name()) {
        let mode = match r.presets {
            "periodic" => {
                " Periodic presets only: under an event-driven preset it changes nothing."
            }
            "event" => " Event-driven presets only: a periodic preset refuses it.",
            _ => "",
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {}{mode} |\n",
            r.key, r.value, r.default, r.meaning
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_declared_once_and_every_row_it_names_exists() {
        for (i, s) in SETTINGS.iter().enumerate() {
            assert!(
                SETTINGS[..i].iter().all(|t| t.name != s.name),
                "{} twice",
                s.name
            );
            match s.row {
                Row::In(r) => assert!(
                    SETTINGS[..i]
                        .iter()
                        .any(|t| t.name == r && matches!(t.row, Row::Own(_))),
                    "{}: its row {r} is declared before it",
                    s.name
                ),
                Row::Own(_) => assert!(!s.provenance.is_empty(), "{}: provenance", s.name),
            }
            assert!(
                s.key.is_some() || matches!(s.row, Row::Own(_)),
                "{}",
                s.name
            );
            assert!(!s.doc.is_empty(), "{}: doc", s.name);
        }
        assert_eq!(POLICY_FIELDS[0], "preset");
        assert_eq!(POLICY_FIELDS.len(), 31);
        assert_eq!(KUBERNETES_FIELDS.len(), 5);
        assert!(POLICY_FIELDS.iter().all(|f| !f.is_empty()));
    }

    #[test]
    fn the_guard_row_is_set_by_its_three_keys() {
        let p = Policy::preset(Preset::CapiMhc);
        let guard = SETTINGS.iter().find(|s| s.name == "guard").unwrap();
        assert_eq!(
            guard.set_by(&p),
            ["unhealthy_range", "max_unhealthy", "min_healthy"]
        );
        let steps = SETTINGS.iter().find(|s| s.name == "step_timeouts").unwrap();
        assert_eq!(
            steps.set_by(&Policy::preset(Preset::Nhc)),
            ["step_timeouts"]
        );
    }

    #[test]
    fn event_keys_are_refused_under_periodic_presets_with_the_presets_that_take_them() {
        let s = lookup(Section::Policy, "requeue_offset").unwrap();
        assert_eq!(
            refusal(s, Preset::Gke).as_deref(),
            Some(
                "preset gke checks periodically; requeue_offset applies to the event-driven \
                 presets (eks, eks-auto, capi-mhc, nhc)"
            )
        );
        assert_eq!(refusal(s, Preset::Eks), None);
        assert_eq!(
            refusal(lookup(Section::Policy, "settle").unwrap(), Preset::Gke),
            None
        );
        assert!(
            lookup(Section::Policy, "guard").is_none(),
            "a row, not a key"
        );
        assert!(lookup(Section::Policy, "lease_renew_interval").is_none());
        assert!(lookup(Section::Kubernetes, "lease_renew_interval").is_some());
    }

    /// The README's key tables are `markdown`'s output, verbatim
    /// (`repairsim policy --keys --format markdown` prints them).
    #[test]
    fn the_readme_key_tables_are_the_declarations() {
        let readme = include_str!("../../README.md");
        for section in [Section::Kubernetes, Section::Policy] {
            let start = format!(
                "<!-- generated by `repairsim policy --keys --format markdown`: [{}] -->\n",
                section.name()
            );
            let from = readme.find(&start).expect("the table's start marker") + start.len();
            let to = from
                + readme[from..]
                    .find("<!-- end of generated table -->")
                    .expect("its end marker");
            assert_eq!(
                readme[from..to],
                markdown(section),
                "README's [{}] table; regenerate it with `repairsim policy --keys --format markdown`",
                section.name()
            );
        }
    }

    #[test]
    fn defaults_name_the_presets_that_differ() {
        let delay = lookup(Section::Policy, "repair_delay").unwrap();
        assert_eq!(
            defaults(delay, &delay.key.unwrap()),
            "`\"5m\"` (`\"10m\"` in aks-2020-08, aks-2021-09; `\"0s\"` in gke, eks, eks-auto, \
             capi-mhc, nhc)"
        );
        let req = lookup(Section::Policy, "requeue_offset").unwrap();
        assert_eq!(
            defaults(req, &req.key.unwrap()),
            "`\"0s\"` (`\"1s\"` in capi-mhc, nhc)"
        );
    }
}
