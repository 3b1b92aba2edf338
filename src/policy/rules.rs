//! The remediation rules of the event-driven peers as data (PEERS.md
//! section 0): condition timeouts counted from the Ready condition's
//! lastTransitionTime, and guards that hold new remediations back.
//!
//! Everything here is pure arithmetic on instants and counts; the engine
//! decides when to ask.

use super::Exclusion;
use crate::k8s::Condition;
use crate::time::{SimDuration, SimTime};

/// NHC with a single remediation template: the lease on it is extended
/// twice by 10 minutes, so it is overdue 30 minutes after it was taken
/// (PEERS.md section 4) \[ms\].
pub const LONE_TEMPLATE_TIMEOUT: SimDuration = SimDuration::from_mins(30);

/// How the controller notices an unhealthy node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detection {
    /// Checks on the `check_interval` grid with POLICY.md rules (a) and (b)
    /// (AKS, GKE).
    Periodic,
    /// Condition timeouts measured from the Ready condition's
    /// lastTransitionTime, evaluated when conditions change and at requeues
    /// (EKS, Cluster API MachineHealthCheck, medik8s NodeHealthCheck).
    Event(EventDetection),
}

/// Which nodes one evaluation covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalUnit {
    /// Each node on its own, at its own condition changes and requeues
    /// (Karpenter's node health controller, and so EKS).
    Node,
    /// Every node of a pool at once, in node name order; any of them
    /// changing triggers it (one MachineHealthCheck per MachineDeployment).
    Pool,
    /// Every node of the cluster at once (a NodeHealthCheck selecting all
    /// workers).
    Cluster,
}

/// The event-driven detection of PEERS.md section 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventDetection {
    /// Ready=False held this long makes a node unhealthy \[ms\]; `None`:
    /// no check matches Ready=False, so it never does.
    pub timeout_false: Option<SimDuration>,
    /// Ready=Unknown held this long makes a node unhealthy \[ms\]; `None`:
    /// never.
    pub timeout_unknown: Option<SimDuration>,
    /// A pending node is evaluated again at LTT + timeout + this \[ms\].
    /// Positive: the match is strict (`LTT + timeout` strictly before now),
    /// as MHC and NHC test it; zero: Karpenter's `!now.Before(LTT + timeout)`.
    pub requeue_offset: SimDuration,
    pub unit: EvalUnit,
    /// A due evaluation of one unit is deferred to its last evaluation plus
    /// this (MHC from v1.13: 15 s) \[ms\].
    pub min_eval_interval: SimDuration,
    /// An evaluation that a guard suppressed still schedules the requeue of
    /// its pending nodes (MHC); NHC schedules none.
    pub requeue_when_suppressed: bool,
    /// A replacement whose node is not up this long after its machine was
    /// created is unhealthy at once (MHC `nodeStartupTimeoutSeconds`)
    /// \[ms\].
    pub startup_timeout: Option<SimDuration>,
}

impl EventDetection {
    /// The condition timeout for a node showing `c`; `None` when no check
    /// matches `c` (always for Ready).
    pub fn timeout(&self, c: Condition) -> Option<SimDuration> {
        match c {
            Condition::Ready => None,
            Condition::NotReady => self.timeout_false,
            Condition::Unknown => self.timeout_unknown,
        }
    }

    /// The first instant at which a node whose condition `c` changed at
    /// `ltt` matches as unhealthy \[ms\].
    pub fn eligible_at(&self, c: Condition, ltt: SimTime) -> Option<SimTime> {
        let strict = u64::from(self.requeue_offset > SimDuration::ZERO);
        self.timeout(c).map(|t| ltt + t + SimDuration(strict))
    }

    /// When the controller requeues a node that becomes eligible at
    /// `eligible` (from [`EventDetection::eligible_at`]) \[ms\].
    pub fn requeue_at(&self, eligible: SimTime) -> SimTime {
        let strict = u64::from(self.requeue_offset > SimDuration::ZERO);
        SimTime(eligible.ms() - strict) + self.requeue_offset
    }
}

/// Concurrency per pool, as data (PEERS.md section 0, "Concurrency as
/// data"): how many repairs of one pool may be in flight at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolSlots {
    /// GKE's adaptive parallelism (PEERS.md section 1): one slot per
    /// `per_nodes` pool nodes and at least one, cut to one while more than
    /// `cut_percent`% of the pool is not Ready.
    Adaptive { per_nodes: u32, cut_percent: u32 },
    /// A count, or a percentage of the pool's nodes or of its unhealthy
    /// ones, rounded up (MachineDeployment `maxInFlight`, EKS
    /// `maxParallelNodesRepaired*`).
    InFlight(InFlight),
}

/// What a percentage of [`InFlight`] is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PercentOf {
    /// The pool's nodes (its replicas), rounded up: Cluster API.
    Replicas,
    /// The pool's nodes that are not Ready now, rounded up and at least
    /// one: EKS.
    Unhealthy,
}

/// A limit on the repairs of one pool in flight at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub value: Amount,
    pub percent_of: PercentOf,
    /// A repair stops counting when its old machine is deleted, before its
    /// replacement is provisioned (Cluster API counts deleting Machines).
    pub until_deleted: bool,
}

impl PoolSlots {
    /// Repairs that may run at once in a pool of `nodes` of which
    /// `not_ready` are not Ready.
    pub fn limit(&self, nodes: u32, not_ready: u32) -> u32 {
        match *self {
            PoolSlots::Adaptive {
                per_nodes,
                cut_percent,
            } => {
                if 100 * u64::from(not_ready) > u64::from(cut_percent) * u64::from(nodes) {
                    1
                } else {
                    (nodes / per_nodes.max(1)).max(1)
                }
            }
            PoolSlots::InFlight(f) => match (f.value, f.percent_of) {
                (Amount::Count(c), _) => c,
                (Amount::Percent(p), PercentOf::Replicas) => {
                    scaled(p, u64::from(nodes), Rounding::Ceil) as u32
                }
                (Amount::Percent(p), PercentOf::Unhealthy) => {
                    (scaled(p, u64::from(not_ready), Rounding::Ceil) as u32).max(1)
                }
            },
        }
    }

    /// Whether the limit moves with the pool's not-Ready count.
    pub fn follows_not_ready(&self) -> bool {
        match self {
            PoolSlots::Adaptive { .. } => true,
            PoolSlots::InFlight(f) => {
                matches!(f.value, Amount::Percent(_)) && f.percent_of == PercentOf::Unhealthy
            }
        }
    }

    /// Whether a repair gives its slot back when its old machine is
    /// deleted rather than when it ends.
    pub fn until_deleted(&self) -> bool {
        matches!(self, PoolSlots::InFlight(f) if f.until_deleted)
    }
}

impl std::fmt::Display for PoolSlots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            PoolSlots::Adaptive {
                per_nodes,
                cut_percent,
            } => write!(
                f,
                "1 per {per_nodes} pool nodes, at least 1; 1 above {cut_percent}% not Ready"
            ),
            PoolSlots::InFlight(i) => {
                write!(f, "{} per pool", i.value)?;
                if let Amount::Percent(_) = i.value {
                    f.write_str(match i.percent_of {
                        PercentOf::Replicas => " of its nodes, rounded up",
                        PercentOf::Unhealthy => " of its unhealthy nodes, rounded up, at least 1",
                    })?;
                }
                if i.until_deleted {
                    f.write_str(", while the old machine is deleting")?;
                }
                Ok(())
            }
        }
    }
}

/// A count or a percentage of a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    Count(u32),
    Percent(u32),
}

/// As the resources write it: `2` or `40%`.
impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Amount::Count(c) => write!(f, "{c}"),
            Amount::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// How a percentage of a group becomes a node count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Floor,
    Ceil,
    /// No rounding: the fractions are compared (`100·U > p·N`).
    Exact,
}

impl Rounding {
    pub fn name(self) -> &'static str {
        match self {
            Rounding::Floor => "floor",
            Rounding::Ceil => "ceil",
            Rounding::Exact => "exact",
        }
    }
}

/// What a guard limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Remediation is allowed while the unhealthy nodes are at most this.
    MaxUnhealthy(Amount),
    /// Remediation is allowed while the healthy nodes are at least this.
    MinHealthy(Amount),
    /// Remediation is allowed while the unhealthy count is in `[lo, hi]`
    /// (MHC `unhealthyInRange`).
    Range(u32, u32),
}

/// Which nodes a guard counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Pool,
    Cluster,
}

/// A guard that holds new remediations back while too much of a group is
/// unhealthy (PEERS.md section 0, "Guards as data"). Running remediations
/// continue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard {
    pub limit: Limit,
    pub rounding: Rounding,
    /// Below this group size the guard does not apply.
    pub min_group: u32,
    pub scope: Scope,
    /// `Some(d)`: a suppressed node is evaluated again `d` after each
    /// suppressed evaluation; `None`: only when a condition changes \[ms\].
    pub recheck: Option<SimDuration>,
    /// What the incidents' `exclusion` column records when it held.
    pub name: Exclusion,
}

impl Guard {
    /// Whether new remediations may start in a group of `total` nodes of
    /// which `unhealthy` are unhealthy.
    pub fn allows(&self, total: u32, unhealthy: u32) -> bool {
        if total < self.min_group {
            return true;
        }
        let (n, u) = (u64::from(total), u64::from(unhealthy));
        match self.limit {
            Limit::Range(lo, hi) => (u64::from(lo)..=u64::from(hi)).contains(&u),
            Limit::MaxUnhealthy(Amount::Count(c)) => u <= u64::from(c),
            Limit::MaxUnhealthy(Amount::Percent(p)) => match self.rounding {
                Rounding::Exact => 100 * u <= u64::from(p) * n,
                r => u <= scaled(p, n, r),
            },
            Limit::MinHealthy(Amount::Count(c)) => n - u.min(n) >= u64::from(c),
            Limit::MinHealthy(Amount::Percent(p)) => {
                let h = n - u.min(n);
                match self.rounding {
                    Rounding::Exact => 100 * h >= u64::from(p) * n,
                    r => h >= scaled(p, n, r),
                }
            }
        }
    }

    /// The limit as a node count for a group of `total`, for messages
    /// (the exact rounding reports the floor).
    pub fn threshold(&self, total: u32) -> u64 {
        let n = u64::from(total);
        match self.limit {
            Limit::MaxUnhealthy(Amount::Count(c)) | Limit::MinHealthy(Amount::Count(c)) => {
                u64::from(c)
            }
            Limit::MaxUnhealthy(Amount::Percent(p)) | Limit::MinHealthy(Amount::Percent(p)) => {
                scaled(p, n, self.rounding)
            }
            Limit::Range(_, hi) => u64::from(hi),
        }
    }
}

/// `p`% of `n`, rounded.
fn scaled(p: u32, n: u64, r: Rounding) -> u64 {
    let x = u64::from(p) * n;
    match r {
        Rounding::Ceil => x.div_ceil(100),
        Rounding::Floor | Rounding::Exact => x / 100,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{MINUTE, SECOND};

    fn guard(limit: Limit, rounding: Rounding, min_group: u32) -> Guard {
        Guard {
            limit,
            rounding,
            min_group,
            scope: Scope::Pool,
            recheck: None,
            name: Exclusion::GuardMaxUnhealthy,
        }
    }

    #[test]
    fn gke_slots_are_one_per_ten_nodes_and_one_when_half_is_down() {
        let s = PoolSlots::Adaptive {
            per_nodes: 10,
            cut_percent: 50,
        };
        assert_eq!(s.limit(3, 0), 1);
        assert_eq!(s.limit(25, 2), 2);
        assert_eq!(s.limit(40, 20), 4);
        assert_eq!(s.limit(40, 21), 1);
    }

    #[test]
    fn in_flight_counts_replicas_or_unhealthy_nodes_rounding_up() {
        let capi = |value| {
            PoolSlots::InFlight(InFlight {
                value,
                percent_of: PercentOf::Replicas,
                until_deleted: true,
            })
        };
        // MachineDeployment maxInFlight: a percentage of replicas, rounded up.
        assert_eq!(capi(Amount::Percent(20)).limit(6, 0), 2);
        assert_eq!(capi(Amount::Percent(20)).limit(10, 9), 2);
        assert_eq!(capi(Amount::Count(1)).limit(10, 9), 1);
        assert!(capi(Amount::Count(1)).until_deleted());
        let eks = |value| {
            PoolSlots::InFlight(InFlight {
                value,
                percent_of: PercentOf::Unhealthy,
                until_deleted: false,
            })
        };
        // EKS maxParallelNodesRepairedPercentage: of the unhealthy nodes,
        // rounded up, at least one.
        assert_eq!(eks(Amount::Percent(15)).limit(10, 0), 1);
        assert_eq!(eks(Amount::Percent(15)).limit(10, 7), 2);
        assert_eq!(eks(Amount::Percent(50)).limit(10, 4), 2);
        assert_eq!(eks(Amount::Count(2)).limit(10, 9), 2);
        assert!(!eks(Amount::Count(2)).until_deleted());
        assert_eq!(
            eks(Amount::Percent(15)).to_string(),
            "15% per pool of its unhealthy nodes, rounded up, at least 1"
        );
    }

    #[test]
    fn eks_guard_compares_fractions_above_five_nodes() {
        let g = guard(Limit::MaxUnhealthy(Amount::Percent(20)), Rounding::Exact, 6);
        // PEERS.md G1: 6 nodes, 2 unhealthy: 200 > 120, suppressed.
        assert!(!g.allows(6, 2));
        assert!(g.allows(6, 1));
        // E2: 3 nodes, the guard does not apply.
        assert!(g.allows(3, 3));
        assert!(g.allows(5, 5));
        assert!(g.allows(10, 2) && !g.allows(10, 3));
    }

    #[test]
    fn karpenter_guard_rounds_up_without_a_minimum() {
        let g = guard(Limit::MaxUnhealthy(Amount::Percent(20)), Rounding::Ceil, 0);
        // G1 under eks-auto: ceil(1.2) = 2.
        assert!(g.allows(6, 2) && !g.allows(6, 3));
        assert!(g.allows(1, 1));
    }

    #[test]
    fn mhc_max_unhealthy_rounds_down_and_nhc_min_healthy_rounds_up() {
        let mhc = guard(Limit::MaxUnhealthy(Amount::Percent(40)), Rounding::Floor, 0);
        // G2's CAPI comparison: floor(2.4) = 2.
        assert!(mhc.allows(6, 2) && !mhc.allows(6, 3));
        assert_eq!(mhc.threshold(6), 2);
        let nhc = guard(Limit::MinHealthy(Amount::Percent(51)), Rounding::Ceil, 0);
        // G2: 5 nodes, ceil(2.55) = 3 healthy needed.
        assert!(!nhc.allows(5, 3) && nhc.allows(5, 2));
        assert_eq!(nhc.threshold(5), 3);
        let range = guard(Limit::Range(1, 2), Rounding::Floor, 0);
        assert!(!range.allows(6, 0) && range.allows(6, 2) && !range.allows(6, 3));
    }

    #[test]
    fn strict_match_lands_one_offset_after_the_timeout() {
        let d = EventDetection {
            timeout_false: Some(SimDuration::from_secs(300)),
            timeout_unknown: Some(SimDuration::from_secs(300)),
            requeue_offset: SimDuration::from_secs(1),
            unit: EvalUnit::Pool,
            min_eval_interval: SimDuration::from_secs(15),
            requeue_when_suppressed: true,
            startup_timeout: None,
        };
        let ltt = SimTime(61 * MINUTE + 20 * SECOND);
        let e = d.eligible_at(Condition::Unknown, ltt).unwrap();
        assert_eq!(e, SimTime(66 * MINUTE + 20 * SECOND + 1));
        assert_eq!(d.requeue_at(e), SimTime(66 * MINUTE + 21 * SECOND));
        assert_eq!(d.eligible_at(Condition::Ready, ltt), None);
        let eks = EventDetection {
            requeue_offset: SimDuration::ZERO,
            ..d
        };
        let e = eks.eligible_at(Condition::Unknown, ltt).unwrap();
        assert_eq!(e, SimTime(66 * MINUTE + 20 * SECOND));
        assert_eq!(eks.requeue_at(e), e);
    }
}
