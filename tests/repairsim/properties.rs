//! Properties over random scenarios: the invariants of POLICY.md hold for
//! every policy, fleet and fault mix proptest can think of.

use proptest::prelude::*;
use repairsim::dist::DurationDist;
use repairsim::engine::Sim;
use repairsim::faults::{Arrivals, Fault, Injection, Mark, MarkWindow, Outage, Signal, Target};
use repairsim::fleet::{Fleet, NodeId, Os, Pool};
use repairsim::invariants::InvariantChecker;
use repairsim::k8s::{ActionKind, EventPhase};
use repairsim::observe::events::EventLog;
use repairsim::observe::{Fanout, Observer, Record, Trace};
use repairsim::policy::providers::Reporting;
use repairsim::policy::{DelayAnchor, Exclusion, Policy, Preset, RetryMode};
use repairsim::scenario::{ActionSpec, Actions, Scenario};
use repairsim::time::{Epoch, MINUTE, SimDuration, SimTime};

fn mins(lo: u64, hi: u64) -> impl Strategy<Value = SimDuration> {
    (lo * MINUTE..=hi * MINUTE).prop_map(SimDuration)
}

fn arb_dist(lo: u64, hi: u64) -> impl Strategy<Value = DurationDist> {
    prop_oneof![
        mins(lo, hi).prop_map(DurationDist::Fixed),
        (mins(lo, hi), mins(0, hi)).prop_map(|(a, b)| DurationDist::Uniform(a, a + b)),
        mins(lo.max(1), hi).prop_map(DurationDist::Exponential),
    ]
}

fn arb_fault() -> impl Strategy<Value = Fault> {
    (
        prop_oneof![Just(Signal::NotReady), Just(Signal::NoStatus)],
        prop_oneof![
            Just(None),
            Just(Some(ActionKind::Reboot)),
            Just(Some(ActionKind::Reimage)),
            Just(Some(ActionKind::Redeploy))
        ],
        proptest::option::of(arb_dist(0, 180)),
        prop_oneof![8 => Just(None), 1 => Just(Some(Exclusion::NetworkMisconfiguration))],
    )
        .prop_map(|(signal, fixed_by, self_heal_after, exclude)| Fault {
            name: String::new(),
            signal,
            fixed_by,
            self_heal_after,
            exclude,
            recorded: Vec::new(),
        })
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    (
        proptest::sample::select(Preset::ALL.to_vec()),
        mins(0, 12),
        mins(0, 8),
        1u32..4,
        prop_oneof![Just(RetryMode::Sequence), Just(RetryMode::PerStep)],
        prop_oneof![Just(None), Just(Some(1u32)), Just(Some(2u32))],
        prop_oneof![Just(DelayAnchor::Detection), Just(DelayAnchor::Onset)],
        prop_oneof![Just(30u64), Just(60), Just(120)],
        mins(20, 120),
        0u32..4,
    )
        .prop_map(
            |(
                preset,
                delay,
                settle,
                attempts,
                retry,
                conc,
                anchor,
                check_s,
                timeout,
                min_nodes,
            )| {
                let mut p = Policy::preset(preset);
                p.repair_delay = delay;
                // Event-driven peers re-detect or escalate; they never settle.
                if p.retry_mode.has_overall_timeout() {
                    p.settle = settle;
                }
                p.max_attempts = attempts;
                // The event-driven peers keep their own retry shape
                // (redetect, or escalation).
                if p.retry_mode.has_overall_timeout() {
                    p.retry_mode = retry;
                }
                p.max_concurrent_repairs = conc;
                p.repair_delay_anchor = anchor;
                p.check_interval = SimDuration::from_secs(check_s);
                p.overall_timeout = timeout;
                p.min_cluster_nodes = min_nodes;
                p
            },
        )
}

fn arb_action() -> impl Strategy<Value = ActionSpec> {
    (
        arb_dist(1, 20),
        prop_oneof![3 => Just(0.0), 1 => 0.0f64..0.6],
    )
        .prop_map(|(d, e)| {
            let mut a = ActionSpec::with_duration(d);
            a.error_rate = e;
            a
        })
}

prop_compose! {
    pub(crate) fn arb_scenario()(
        pools in proptest::collection::vec((1u32..5, any::<bool>()), 1..4),
        faults in proptest::collection::vec(arb_fault(), 1..4),
        policy in arb_policy(),
        actions in (arb_action(), arb_action(), arb_action()),
        seed in any::<u64>(),
        mtbf_hours in 6u64..96,
        injections in proptest::collection::vec((0u64..48 * 60, any::<u32>(), any::<u32>()), 0..6),
        marks in proptest::collection::vec((0u64..48 * 60, 1u64..600, any::<u32>(), 0u8..3), 0..3),
        outage in proptest::option::of((0u64..48 * 60, 10u64..300, 0.1f64..1.0)),
        never in proptest::option::of(any::<u32>()),
    ) -> Scenario {
        let fleet = Fleet::new(pools.iter().enumerate().map(|(i, (count, win))| Pool {
            name: format!("p{i}"),
            os: if *win { Os::Windows } else { Os::Linux },
            count: *count,
            ladder: None,
        }).collect());
        let n = fleet.len() as u32;
        let mut faults: Vec<Fault> = faults.into_iter().enumerate().map(|(i, mut f)| { f.name = format!("f{i}"); f }).collect();
        let k = faults.len() as u32;
        let all: Vec<NodeId> = (0..n).collect();
        let never_registered: Vec<NodeId> = never.map(|x| vec![x % n]).unwrap_or_default();
        if !never_registered.is_empty() {
            faults.push(Fault {
                name: "never-registered".into(),
                signal: Signal::NoStatus,
                fixed_by: None,
                self_heal_after: None,
                exclude: Some(Exclusion::NeverRegistered),
                recorded: Vec::new(),
            });
        }
        Scenario {
            name: "prop".into(),
            description: String::new(),
            seed,
            start: Epoch(0),
            horizon: SimDuration(3 * 24 * 60 * MINUTE),
            policy,
            policy_overrides: vec![],
            fleet,
            actions: Actions { reboot: actions.0, reimage: actions.1, redeploy: actions.2, ..Actions::default() },
            faults,
            arrivals: (0..k).map(|f| Arrivals { fault: f, mtbf: SimDuration(mtbf_hours * 60 * MINUTE), nodes: all.clone() }).collect(),
            injections: injections.into_iter().map(|(at, node, f)| Injection {
                at: SimTime(at * MINUTE), fault: f % k, target: Target::Node(node % n),
            }).collect(),
            outages: outage.into_iter().map(|(at, dur, fraction)| Outage {
                name: "o".into(), at: SimTime(at * MINUTE), duration: SimDuration(dur * MINUTE),
                fault: 0, candidates: all.clone(), fraction,
            }).collect(),
            marks: marks.into_iter().map(|(from, len, node, kind)| MarkWindow {
                mark: [Mark::TaintShutdown, Mark::TaintToBeDeleted, Mark::Upgrading][kind as usize],
                nodes: vec![node % n],
                from: SimTime(from * MINUTE),
                until: Some(SimTime((from + len) * MINUTE)),
            }).collect(),
            never_registered,
            content_hash: 0,
            patches: vec![],
            warnings: vec![],
        }
    }
}

/// Runs `sc` with the invariant checker and a trace.
fn run(sc: &Scenario) -> (Vec<String>, Vec<Record>) {
    let mut checker = InvariantChecker::new(sc);
    let mut trace = Trace::default();
    {
        let mut obs = Fanout(vec![&mut checker, &mut trace]);
        Sim::new(sc, 0, &mut obs).run();
    }
    (
        checker.violations.iter().map(|v| v.to_string()).collect(),
        trace.0,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: crate::common::cases(256), max_global_rejects: 1 << 20, ..ProptestConfig::default() })]

    /// No action before detection + repair_delay; only ladder actions (so
    /// Windows never redeploys under the current policy); at most
    /// max_attempts passes; none at or after the overall timeout; every
    /// Start has one End; time never decreases; one outcome per incident;
    /// excluded nodes are never acted on; the concurrency limit holds.
    #[test]
    fn invariants_hold(sc in arb_scenario()) {
        let (violations, _) = run(&sc);
        prop_assert!(violations.is_empty(), "seed {}: {:#?}", sc.seed, violations);
    }

    /// Under the current preset's ladders, Windows nodes never redeploy.
    #[test]
    fn windows_never_redeploys_under_the_current_policy(mut sc in arb_scenario()) {
        let current = Policy::preset(Preset::Aks2024_08);
        sc.policy.ladder_windows = current.ladder_windows;
        let (_, recs) = run(&sc);
        for r in recs {
            if let Record::ActionStarted { node, kind, .. } = r {
                prop_assert!(!(sc.fleet.node(node).os == Os::Windows && kind == ActionKind::Redeploy));
            }
        }
    }

    /// Every Start is followed by exactly one End or Error on its node,
    /// unless the horizon cuts the action short.
    #[test]
    fn every_start_has_one_end(sc in arb_scenario()) {
        let (_, recs) = run(&sc);
        let mut running = vec![false; sc.fleet.len()];
        for r in &recs {
            match r {
                Record::ActionStarted { node, .. } => {
                    prop_assert!(!running[*node as usize]);
                    running[*node as usize] = true;
                }
                Record::ActionEnded { node, .. } => {
                    prop_assert!(running[*node as usize]);
                    running[*node as usize] = false;
                }
                _ => {}
            }
        }
    }

    /// Kubernetes events follow the records: one Start per action, one
    /// Error per failed action, and an End per action that succeeded, plus
    /// one per failed action when `emit_end_on_error` (End before Error).
    #[test]
    fn events_follow_the_records(mut sc in arb_scenario(), end_on_error in any::<bool>()) {
        prop_assume!(sc.policy.preset.provider().reporting() == Reporting::AksEvents);
        sc.policy.emit_end_on_error = end_on_error;
        let mut log = EventLog::new();
        let mut trace = Trace::default();
        {
            let mut obs = Fanout(vec![&mut log, &mut trace]);
            Sim::new(&sc, 0, &mut obs).run();
        }
        let (mut starts, mut ok, mut failed) = (0, 0, 0);
        for r in &trace.0 {
            match r {
                Record::ActionStarted { .. } => starts += 1,
                Record::ActionEnded { error: None, .. } => ok += 1,
                Record::ActionEnded { error: Some(_), .. } => failed += 1,
                _ => {}
            }
        }
        let count = |p: EventPhase| log.events().iter().filter(|e| e.phase == Some(p)).count();
        prop_assert_eq!(count(EventPhase::Start), starts);
        prop_assert_eq!(count(EventPhase::Error), failed);
        prop_assert_eq!(count(EventPhase::End), ok + if end_on_error { failed } else { 0 });
        for w in log.events().windows(2) {
            if w[1].phase == Some(EventPhase::Error) && end_on_error {
                prop_assert_eq!(w[0].phase, Some(EventPhase::End));
                prop_assert_eq!(w[0].sim_ms, w[1].sim_ms);
                prop_assert_eq!(w[0].node, w[1].node);
            }
        }
    }
}

#[test]
fn the_checker_catches_a_broken_stream() {
    // A stream that acts before detection and twice at once must fail.
    let sc = crate::common::shipped("example-1-reboot.toml");
    let mut c = InvariantChecker::new(&sc);
    c.record(&Record::FaultArrived {
        at: SimTime(0),
        node: 0,
        fault: 0,
        heal_at: None,
        masked: false,
    });
    c.record(&Record::ActionStarted {
        at: SimTime(1),
        node: 0,
        kind: ActionKind::Reboot,
        pass: 1,
    });
    c.record(&Record::ActionStarted {
        at: SimTime(0),
        node: 0,
        kind: ActionKind::Reboot,
        pass: 9,
    });
    let rules: Vec<&str> = c.violations.iter().map(|v| v.rule).collect();
    for rule in [
        "action-before-detection",
        "start-without-end",
        "too-many-passes",
        "time-decreased",
    ] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
}

/// The properties are only as good as the scenarios they see: the
/// generator must produce repairs, give-ups, exclusions and queueing.
#[test]
fn the_generator_reaches_every_kind_of_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use repairsim::policy::Outcome;
    let mut runner = TestRunner::deterministic();
    let (mut repaired, mut gave_up, mut excluded, mut errors, mut serial) = (0, 0, 0, 0, 0);
    for _ in 0..64 {
        let sc = arb_scenario().new_tree(&mut runner).unwrap().current();
        if sc.policy.max_concurrent_repairs.is_some() {
            serial += 1;
        }
        for r in run(&sc).1 {
            match r {
                Record::Outcome {
                    outcome: Outcome::RepairedBy(_),
                    ..
                } => repaired += 1,
                Record::Outcome {
                    outcome: Outcome::GaveUpExhausted | Outcome::GaveUpTimeout,
                    ..
                } => gave_up += 1,
                Record::Outcome {
                    outcome: Outcome::Excluded(_),
                    ..
                } => excluded += 1,
                Record::ActionEnded { error: Some(_), .. } => errors += 1,
                _ => {}
            }
        }
    }
    assert!(
        repaired > 50 && gave_up > 5 && excluded > 5 && errors > 5 && serial > 5,
        "repaired {repaired}, gave up {gave_up}, excluded {excluded}, errors {errors}, serial {serial}"
    );
}
