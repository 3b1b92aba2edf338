//! Validated expectations: what a scenario's `[[expect]]` tables say must
//! happen. The loader ([`crate::scenario::load`]) builds them; [`super::eval`]
//! checks them against a run.
//!
//! Invariant: every name is resolved (nodes to ids, reasons to an action and
//! a phase, metrics to an index of [`crate::mc::metrics::metric_defs`]) and
//! every bound is in the metric's own unit, so evaluation cannot fail.

use crate::fleet::{NodeId, Os};
use crate::k8s::{self, ActionKind, EventPhase};
use crate::mc::metrics::Unit;
use crate::policy::providers::Provider;
use crate::policy::{DetectRule, Outcome};
use crate::time::{SimDuration, SimTime, format_duration};

/// One `[[expect]]` table.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    /// The test case's name: the table's `name`, or one built from its keys
    /// (`NodeRebootStart on pool-0 at 1h16m`).
    pub name: String,
    /// 1-based line of the table in the scenario file; `None` when a patch
    /// brought it in.
    pub line: Option<usize>,
    pub kind: Expect,
}

/// What an expectation asserts.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// An event of this reason on this node, at an instant or in a window.
    Event {
        reason: Reason,
        node: NodeId,
        when: When,
    },
    /// No event of this reason anywhere in `scope`.
    NoEvent { reason: Reason, scope: Scope },
    /// One incident's outcome and timings.
    Incident(IncidentExpect),
    /// A bound on a metric of the run, or on a statistic over replications.
    Metric(MetricExpect),
}

/// An event reason: AKS's `NodeRebootStart` is (reboot, start); a peer's
/// reason is its name (PEERS.md sections 2 to 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Aks {
        action: ActionKind,
        phase: EventPhase,
    },
    Peer(&'static str),
}

impl Reason {
    /// Every reason AKS emits, in POLICY.md section 1's order.
    pub fn aks() -> Vec<Reason> {
        let mut v = Vec::new();
        for phase in [EventPhase::Start, EventPhase::End] {
            for &action in Provider::Aks.kinds() {
                v.push((action, phase));
            }
        }
        v.sort_by_key(|r| r.0 as usize);
        for &action in Provider::Aks.kinds() {
            v.push((action, EventPhase::Error));
        }
        v.into_iter()
            .map(|(action, phase)| Reason::Aks { action, phase })
            .collect()
    }

    /// Every reason any provider emits: AKS's, then the peers'.
    pub fn all() -> Vec<Reason> {
        let mut v = Reason::aks();
        v.extend(crate::observe::peer_events::REASONS.map(Reason::Peer));
        v
    }

    /// `NodeRebootStart`, `MachineMarkedUnhealthy`.
    pub fn name(self) -> String {
        match self {
            Reason::Aks { action, phase } => k8s::reason(action, phase),
            Reason::Peer(name) => name.to_string(),
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::all().into_iter().find(|r| r.name() == s)
    }
}

/// When an expected event happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// Exactly at this simulated instant.
    At(SimTime),
    /// `from..=to` after the onset of the incident the event belongs to
    /// (the node's latest incident with an onset at or before the event).
    Within { from: SimDuration, to: SimDuration },
}

/// Where an absent event must be absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Fleet,
    Node(NodeId),
    /// An index into the fleet's pools.
    Pool(usize),
    Os(Os),
}

/// `None` fields are not checked. A timing of `Some(None)` asserts "never"
/// (not detected, not recovered).
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentExpect {
    pub node: NodeId,
    /// Which of the node's incidents: the one with this onset, or the first.
    pub onset: Option<SimTime>,
    pub outcome: Option<Outcome>,
    /// When the outcome was decided (the horizon for `open-at-horizon`).
    pub outcome_at: Option<SimTime>,
    pub detected_by: Option<DetectRule>,
    pub time_to_detect: Option<Option<SimDuration>>,
    pub time_to_recover: Option<Option<SimDuration>>,
}

/// What number of a metric a bound applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statistic {
    /// The metric of the scenario's own run (replication 0).
    Run,
    /// The mean over replications.
    Mean,
    /// The lower end of the 95% confidence interval of the mean.
    CiLower,
    /// The upper end of the same interval.
    CiUpper,
}

impl Statistic {
    /// The words `statistic = ...` takes (`Run` has none: it is the
    /// absence of `replications`).
    pub const CHOICES: [(&'static str, Statistic); 3] = [
        ("mean", Statistic::Mean),
        ("ci-lower", Statistic::CiLower),
        ("ci-upper", Statistic::CiUpper),
    ];

    /// How messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            Statistic::Run => "value",
            Statistic::Mean => "mean",
            Statistic::CiLower => "lower bound of the 95% CI",
            Statistic::CiUpper => "upper bound of the 95% CI",
        }
    }
}

/// Bounds, in the metric's unit (ms for durations). At least one is set;
/// `equals` excludes the others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub equals: Option<f64>,
}

impl Bounds {
    /// Whether `x` is within every bound.
    pub fn hold(&self, x: f64) -> bool {
        self.at_least.is_none_or(|lo| x >= lo)
            && self.at_most.is_none_or(|hi| x <= hi)
            && self.equals.is_none_or(|e| x == e)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct MetricExpect {
    /// Index into [`crate::mc::metrics::metric_defs`].
    pub metric: usize,
    /// Replications to run; `None` for the scenario's own run.
    pub replications: Option<u64>,
    pub statistic: Statistic,
    pub bounds: Bounds,
    /// `KEY=VALUE` overrides, as `--set` takes them, applied after the
    /// command line's: the bound is on a what-if variant of the scenario.
    /// Empty for the scenario as it is.
    pub set: Vec<String>,
}

impl MetricExpect {
    /// Whether the bound needs a measurement besides the scenario's own run:
    /// replications, or a what-if variant.
    pub fn beyond_the_run(&self) -> bool {
        self.replications.is_some() || !self.set.is_empty()
    }
}

/// A value of `unit` as expectations write it: durations as the scenario
/// syntax writes them, to the millisecond (`19m29s500ms`), other numbers in
/// Rust's shortest form (`0`, `2.5`).
pub fn show_value(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Ms if x.is_finite() => {
            let sign = if x < 0.0 { "-" } else { "" };
            format!(
                "{sign}{}",
                format_duration(SimDuration(x.abs().round() as u64))
            )
        }
        _ => format!("{x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_the_nine_of_policy_section_1_in_order() {
        let names: Vec<String> = Reason::aks().into_iter().map(Reason::name).collect();
        assert_eq!(
            names,
            [
                "NodeRebootStart",
                "NodeRebootEnd",
                "NodeReimageStart",
                "NodeReimageEnd",
                "NodeRedeployStart",
                "NodeRedeployEnd",
                "NodeRebootError",
                "NodeReimageError",
                "NodeRedeployError",
            ]
        );
        assert_eq!(
            Reason::parse("NodeReimageError"),
            Some(Reason::Aks {
                action: ActionKind::Reimage,
                phase: EventPhase::Error
            })
        );
        assert_eq!(Reason::parse("nodereimageerror"), None);
        assert_eq!(
            Reason::parse("MachineMarkedUnhealthy"),
            Some(Reason::Peer("MachineMarkedUnhealthy"))
        );
    }

    #[test]
    fn values_show_in_their_unit() {
        assert_eq!(show_value(Unit::Ms, 1_169_500.0), "19m29s500ms");
        assert_eq!(show_value(Unit::Ms, 1_165_000.0), "19m25s");
        assert_eq!(show_value(Unit::Ms, 3_600_250.0), "1h00m00s250ms");
        assert_eq!(show_value(Unit::Ms, -60_000.0), "-1m");
        assert_eq!(show_value(Unit::Ms, 250.0), "250ms");
        assert_eq!(show_value(Unit::Count, 0.0), "0");
        assert_eq!(show_value(Unit::Count, 2.5), "2.5");
    }

    #[test]
    fn bounds_are_inclusive() {
        let b = Bounds {
            at_least: Some(1.0),
            at_most: Some(3.0),
            equals: None,
        };
        assert!(b.hold(1.0) && b.hold(3.0) && !b.hold(0.5) && !b.hold(3.5));
        let e = Bounds {
            at_least: None,
            at_most: None,
            equals: Some(0.0),
        };
        assert!(e.hold(0.0) && !e.hold(1.0));
    }
}
