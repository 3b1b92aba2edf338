//! The auto-repair controller for one node, as a pure state machine.
//!
//! Each [`Phase`] carries the instants it needs, so the next check that
//! matters is computed ([`Phase::next_check`]) rather than simulated: a node
//! costs work only when something changes. The engine calls
//! [`Phase::on_check`] on the checks it scheduled, and applies the returned
//! [`Verdict`]; starting an action is the engine's call (it owns the
//! concurrency slots), and it reports back with [`Phase::granted`],
//! [`Phase::queued`] and [`Phase::action_ended`].

use super::{DelayAnchor, DetectRule, Exclusion, Policy, RetryMode};
use crate::time::SimTime;

/// The controller's view of one node's current incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No open incident.
    Healthy,
    /// A fault began at `onset`; no check has seen the node not Ready yet.
    Unnoticed { onset: SimTime },
    /// Not Ready on every check since `first_not_ready`; not detected yet.
    Suspect { first_not_ready: SimTime },
    /// Detected on the check at `detected`; the repair delay runs.
    Detected {
        first_not_ready: SimTime,
        detected: SimTime,
    },
    /// Due for its first action since `since`, but no repair slot was free.
    Queued { since: SimTime },
    /// Running `plan[step]` since `started`; the repair began at `repair_start`.
    Acting {
        repair_start: SimTime,
        step: usize,
        started: SimTime,
    },
    /// The action before `plan[next_step]` ended at `ended`.
    Settling {
        repair_start: SimTime,
        next_step: usize,
        ended: SimTime,
    },
    /// The outcome was decided at `at` (gave up, or excluded) but the node
    /// is still unhealthy; the incident closes when it is Ready again.
    Abandoned { at: SimTime },
}

/// What the controller sees of a node on a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckView {
    pub now: SimTime,
    /// The control plane shows Ready=True.
    pub ready: bool,
    /// The last heartbeat, when the kubelet is silent (`None`: it runs).
    pub silent_since: Option<SimTime>,
    /// The first exclusion (POLICY.md section 3) that holds now, if any.
    pub exclusion: Option<Exclusion>,
}

impl CheckView {
    /// An exclusion that ends the repair: every one but the
    /// all-nodes-not-ready guard, which only holds actions back.
    pub fn excluded(&self) -> Option<Exclusion> {
        self.exclusion.filter(|e| *e != Exclusion::AllNodesNotReady)
    }

    /// Every node is not Ready: no action starts on this check (POLICY.md
    /// section 2, `all_not_ready_suppresses`); the repair waits.
    pub fn suppressed(&self) -> bool {
        self.exclusion == Some(Exclusion::AllNodesNotReady)
    }
}

/// Why a repair process ends on a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// A Ready check: the engine tells self-healed from repaired.
    Healthy,
    Exhausted,
    Timeout,
    Excluded(Exclusion),
}

/// What a check decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Verdict {
    /// Detection happened on this check.
    pub detected: Option<DetectRule>,
    /// The action `plan[step]` is due now, if the engine can start it.
    pub wants_action: Option<usize>,
    /// The repair process ended on this check.
    pub ended: Option<End>,
    /// An action was due but a cluster guard held it back on this check.
    pub suppressed: Option<Exclusion>,
}

/// Policy facts the machine needs besides the parameters.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub policy: &'a Policy,
    /// Length of the plan for this node's OS.
    pub plan_len: usize,
}

impl Ctx<'_> {
    fn check_at_or_after(&self, t: SimTime) -> SimTime {
        t.ceil_to(self.policy.check_interval)
    }

    /// The instant the first action is due (before slots and exclusions).
    fn first_action_due(&self, first_not_ready: SimTime, detected: SimTime) -> SimTime {
        let p = self.policy;
        match p.repair_delay_anchor {
            DelayAnchor::Detection => detected + p.repair_delay,
            DelayAnchor::Onset => detected.max(first_not_ready + p.repair_delay),
        }
    }
}

/// The action `plan[step]` is due: exclusions end the repair, the
/// all-nodes-not-ready guard holds it back, otherwise it is wanted.
fn due(phase: Phase, mut v: Verdict, view: &CheckView, step: usize) -> (Phase, Verdict) {
    if let Some(e) = view.excluded() {
        return (
            Phase::Abandoned { at: view.now },
            ended(v, End::Excluded(e)),
        );
    }
    if view.suppressed() {
        v.suppressed = view.exclusion;
    } else {
        v.wants_action = Some(step);
    }
    (phase, v)
}

fn ended(mut v: Verdict, end: End) -> Verdict {
    v.ended = Some(end);
    v
}

impl Phase {
    /// Whether an incident is open (the node may not take a new fault).
    pub fn is_open(self) -> bool {
        !matches!(self, Phase::Healthy)
    }

    /// Whether the repair holds a concurrency slot: from its first action's
    /// start until its process ends.
    pub fn holds_slot(self) -> bool {
        matches!(self, Phase::Acting { .. } | Phase::Settling { .. })
    }

    /// The controller's check on `view.now`. Pure: returns the next phase.
    ///
    /// The phases chain within one check, e.g. a detection whose delay is
    /// already over asks for its action on the same check.
    pub fn on_check(self, view: &CheckView, ctx: &Ctx) -> (Phase, Verdict) {
        let p = ctx.policy;
        let now = view.now;
        let mut phase = self;
        let mut v = Verdict::default();
        loop {
            match phase {
                Phase::Healthy | Phase::Acting { .. } | Phase::Abandoned { .. } => {
                    return (phase, v);
                }
                Phase::Unnoticed { .. } => {
                    if view.ready {
                        return (phase, v);
                    }
                    phase = Phase::Suspect {
                        first_not_ready: now,
                    };
                }
                Phase::Suspect { first_not_ready } => {
                    if view.ready {
                        return (Phase::Healthy, ended(v, End::Healthy));
                    }
                    if let Some(e) = view.excluded() {
                        return (Phase::Abandoned { at: now }, ended(v, End::Excluded(e)));
                    }
                    let no_status = view
                        .silent_since
                        .is_some_and(|hb| now.since(hb) >= p.no_status_timeout);
                    let not_ready = first_not_ready + p.detect_window <= now;
                    // Both on the same check: rule (b) is recorded.
                    let rule = if no_status {
                        DetectRule::NoStatus
                    } else if not_ready {
                        DetectRule::NotReady
                    } else {
                        return (phase, v);
                    };
                    v.detected = Some(rule);
                    phase = Phase::Detected {
                        first_not_ready,
                        detected: now,
                    };
                }
                Phase::Detected {
                    first_not_ready,
                    detected,
                } => {
                    if view.ready {
                        return (Phase::Healthy, ended(v, End::Healthy));
                    }
                    if now < ctx.first_action_due(first_not_ready, detected) {
                        return (phase, v);
                    }
                    return due(phase, v, view, 0);
                }
                Phase::Queued { .. } => {
                    if view.ready {
                        return (Phase::Healthy, ended(v, End::Healthy));
                    }
                    return due(phase, v, view, 0);
                }
                Phase::Settling {
                    repair_start,
                    next_step,
                    ended: end,
                } => {
                    if view.ready {
                        return (Phase::Healthy, ended(v, End::Healthy));
                    }
                    if now < end + p.settle {
                        return (phase, v);
                    }
                    if p.retry_mode == RetryMode::Redetect {
                        // The first not-Ready check of a new run: detection
                        // starts from scratch, and so does the ladder.
                        phase = Phase::Suspect {
                            first_not_ready: now,
                        };
                        continue;
                    }
                    // Exhaustion wins over the timeout when both hold.
                    if next_step >= ctx.plan_len {
                        return (Phase::Abandoned { at: now }, ended(v, End::Exhausted));
                    }
                    if now >= repair_start + p.overall_timeout {
                        return (Phase::Abandoned { at: now }, ended(v, End::Timeout));
                    }
                    return due(phase, v, view, next_step);
                }
            }
        }
    }

    /// The engine started `plan[step]` at `now`.
    pub fn granted(self, now: SimTime, step: usize) -> Phase {
        let repair_start = match self {
            Phase::Settling { repair_start, .. } | Phase::Acting { repair_start, .. } => {
                repair_start
            }
            _ => now,
        };
        Phase::Acting {
            repair_start,
            step,
            started: now,
        }
    }

    /// The first action is due but no slot is free.
    pub fn queued(self, now: SimTime) -> Phase {
        match self {
            Phase::Queued { .. } => self,
            _ => Phase::Queued { since: now },
        }
    }

    /// The running action ended at `now`.
    pub fn action_ended(self, now: SimTime) -> Phase {
        match self {
            Phase::Acting {
                repair_start, step, ..
            } => Phase::Settling {
                repair_start,
                next_step: step + 1,
                ended: now,
            },
            other => other,
        }
    }

    /// The next check at or after `now` on which this node's phase can
    /// change, given what the controller would see; `None` until something
    /// else changes (a condition, a mark, a free slot). O(1).
    pub fn next_check(self, now: SimTime, view: &CheckView, ctx: &Ctx) -> Option<SimTime> {
        let p = ctx.policy;
        let soon = ctx.check_at_or_after(now);
        match self {
            Phase::Healthy | Phase::Acting { .. } | Phase::Abandoned { .. } => None,
            Phase::Unnoticed { .. } => match (view.ready, view.silent_since) {
                (false, _) => Some(soon),
                // Rule (b) needs no not-Ready check: a Ready condition stops
                // counting once the heartbeat behind it is that old.
                (true, Some(hb)) => {
                    Some(ctx.check_at_or_after((hb + p.no_status_timeout).max(now)))
                }
                (true, None) => None,
            },
            Phase::Suspect { first_not_ready } => {
                if view.ready || view.excluded().is_some() {
                    return Some(soon);
                }
                let mut due = first_not_ready + p.detect_window;
                if let Some(hb) = view.silent_since {
                    due = due.min(hb + p.no_status_timeout);
                }
                Some(ctx.check_at_or_after(due.max(now)))
            }
            Phase::Detected {
                first_not_ready,
                detected,
            } => {
                if view.ready {
                    return Some(soon);
                }
                due_check(
                    ctx.first_action_due(first_not_ready, detected),
                    now,
                    view,
                    ctx,
                )
            }
            Phase::Queued { .. } => (view.ready || view.excluded().is_some()).then_some(soon),
            Phase::Settling { ended, .. } => {
                if view.ready {
                    return Some(soon);
                }
                due_check(ended + p.settle, now, view, ctx)
            }
        }
    }
}

/// The check on which an action due at `due` can start. While the
/// all-nodes-not-ready guard holds an overdue action back there is none:
/// the engine wakes the node when the guard lifts.
fn due_check(due: SimTime, now: SimTime, view: &CheckView, ctx: &Ctx) -> Option<SimTime> {
    if due <= now && view.suppressed() {
        return None;
    }
    Some(ctx.check_at_or_after(due.max(now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Preset;
    use crate::time::{MINUTE, SECOND};

    fn t(ms: u64) -> SimTime {
        SimTime(ms)
    }

    fn view(now: u64, ready: bool) -> CheckView {
        CheckView {
            now: t(now),
            ready,
            silent_since: None,
            exclusion: None,
        }
    }

    #[test]
    fn detection_then_delay_then_action() {
        let p = Policy::preset(Preset::Aks2024_08);
        let ctx = Ctx {
            policy: &p,
            plan_len: 9,
        };
        let ph = Phase::Unnoticed {
            onset: t(60 * MINUTE + 35 * SECOND),
        };
        let (ph, v) = ph.on_check(&view(61 * MINUTE, false), &ctx);
        assert_eq!(
            ph,
            Phase::Suspect {
                first_not_ready: t(61 * MINUTE)
            }
        );
        assert_eq!(v, Verdict::default());
        assert_eq!(
            ph.next_check(t(61 * MINUTE), &view(61 * MINUTE, false), &ctx),
            Some(t(71 * MINUTE))
        );
        let (ph, v) = ph.on_check(&view(71 * MINUTE, false), &ctx);
        assert_eq!(v.detected, Some(DetectRule::NotReady));
        assert_eq!(
            ph.next_check(t(71 * MINUTE), &view(71 * MINUTE, false), &ctx),
            Some(t(76 * MINUTE))
        );
        let (ph, v) = ph.on_check(&view(76 * MINUTE, false), &ctx);
        assert_eq!(v.wants_action, Some(0));
        let ph = ph.granted(t(76 * MINUTE), 0);
        assert!(ph.holds_slot());
        let ph = ph.action_ended(t(80 * MINUTE));
        let (ph, v) = ph.on_check(&view(80 * MINUTE, true), &ctx);
        assert_eq!((ph, v.ended), (Phase::Healthy, Some(End::Healthy)));
    }

    #[test]
    fn exhaustion_wins_over_timeout() {
        let p = Policy::preset(Preset::Aks2024_08);
        let ctx = Ctx {
            policy: &p,
            plan_len: 2,
        };
        let ph = Phase::Settling {
            repair_start: t(0),
            next_step: 2,
            ended: t(90 * MINUTE),
        };
        let (_, v) = ph.on_check(&view(95 * MINUTE, false), &ctx);
        assert_eq!(v.ended, Some(End::Exhausted));
        let ph = Phase::Settling {
            repair_start: t(0),
            next_step: 1,
            ended: t(90 * MINUTE),
        };
        let (_, v) = ph.on_check(&view(95 * MINUTE, false), &ctx);
        assert_eq!(v.ended, Some(End::Timeout));
    }

    #[test]
    fn onset_anchor_can_act_on_the_detection_check() {
        let mut p = Policy::preset(Preset::Aks2024_08);
        p.repair_delay_anchor = DelayAnchor::Onset;
        let ctx = Ctx {
            policy: &p,
            plan_len: 9,
        };
        let ph = Phase::Suspect {
            first_not_ready: t(MINUTE),
        };
        let (_, v) = ph.on_check(&view(11 * MINUTE, false), &ctx);
        assert_eq!(v.detected, Some(DetectRule::NotReady));
        assert_eq!(v.wants_action, Some(0));
    }

    #[test]
    fn exclusion_before_detection_abandons() {
        let p = Policy::preset(Preset::Aks2024_08);
        let ctx = Ctx {
            policy: &p,
            plan_len: 9,
        };
        let mut vw = view(5 * MINUTE, false);
        vw.exclusion = Some(Exclusion::TaintShutdown);
        let (ph, v) = Phase::Suspect {
            first_not_ready: t(MINUTE),
        }
        .on_check(&vw, &ctx);
        assert_eq!(ph, Phase::Abandoned { at: t(5 * MINUTE) });
        assert_eq!(v.ended, Some(End::Excluded(Exclusion::TaintShutdown)));
    }
}
