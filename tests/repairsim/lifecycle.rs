//! Step the engine one event at a time and check the state after each step
//! (worked examples 1 and 2 of POLICY.md section 5).

use crate::common::{shipped, t};
use repairsim::engine::Sim;
use repairsim::k8s::Condition;
use repairsim::observe::{NodeState, Record, Trace};
use repairsim::policy::DetectRule;
use repairsim::policy::Phase;

#[test]
fn example_1_step_by_step() {
    let sc = shipped("example-1-reboot.toml");
    let mut tr = Trace::default();
    let mut sim = Sim::new(&sc, 0, &mut tr);
    let node = sc.fleet.find("pool-0").unwrap();
    let step = |sim: &mut Sim, expect_at: &str| {
        let at = sim.step().expect("an event before the horizon");
        assert_eq!(at, t(expect_at), "stepped to {at}, expected {expect_at}");
        (
            sim.phase(node),
            sim.condition(node),
            sim.state(node),
            sim.repairs_in_progress(),
        )
    };

    // The fault: nothing visible yet.
    let (ph, c, _, _) = step(&mut sim, "1h00m35s");
    assert_eq!(
        ph,
        Phase::Unnoticed {
            onset: t("1h00m35s")
        }
    );
    assert_eq!(c, Condition::Ready);
    // The kubelet posts Ready=False at its next 10 s tick.
    let (_, c, s, _) = step(&mut sim, "1h00m40s");
    assert_eq!((c, s), (Condition::NotReady, NodeState::NotReady));
    // The first not-Ready check opens the run.
    let (ph, ..) = step(&mut sim, "1h01m");
    assert_eq!(
        ph,
        Phase::Suspect {
            first_not_ready: t("1h01m")
        }
    );
    // No check in between matters: the next step is the detection.
    let (ph, ..) = step(&mut sim, "1h11m");
    assert_eq!(
        ph,
        Phase::Detected {
            first_not_ready: t("1h01m"),
            detected: t("1h11m")
        }
    );
    // The repair delay is over: the reboot starts and holds a slot.
    let (ph, _, s, slots) = step(&mut sim, "1h16m");
    assert_eq!(
        ph,
        Phase::Acting {
            repair_start: t("1h16m"),
            step: 0,
            started: t("1h16m")
        }
    );
    assert_eq!((s, slots), (NodeState::Rebooting, 1));
    assert_eq!(sim.condition(node), Condition::NotReady);
    // The node is silent: the lease expires 50 s after the last renewal
    // (1h15m50s) on the node monitor's 5 s grid. Inside the action that is
    // no event of its own (the engine applies it at the action's end), but
    // the control plane shows Unknown from that instant on.
    sim.step_until(t("1h16m39s"));
    assert_eq!(sim.now(), t("1h16m39s"));
    assert_eq!(sim.condition(node), Condition::NotReady);
    sim.step_until(t("1h16m40s"));
    assert_eq!(
        (sim.condition(node), sim.state(node)),
        (Condition::Unknown, NodeState::Rebooting)
    );
    // The reboot ends; the node waits for its kubelet tick.
    let (ph, c, s, _) = step(&mut sim, "1h20m");
    assert_eq!(
        ph,
        Phase::Settling {
            repair_start: t("1h16m"),
            next_step: 1,
            ended: t("1h20m")
        }
    );
    assert_eq!((c, s), (Condition::Unknown, NodeState::Unknown));
    // The kubelet posts Ready=True at the same instant (ticks come after action ends).
    let (_, c, s, _) = step(&mut sim, "1h20m");
    assert_eq!((c, s), (Condition::Ready, NodeState::Ready));
    // The check at 1h20m sees it Ready: the incident ends and frees its slot.
    let (ph, _, _, slots) = step(&mut sim, "1h20m");
    assert_eq!((ph, slots), (Phase::Healthy, 0));
    assert_eq!(sim.step(), None, "nothing else happens before the horizon");
    assert_eq!(sim.phase(node), Phase::Healthy);
}

#[test]
fn example_2_step_by_step() {
    let sc = shipped("example-2-reimage.toml");
    let mut tr = Trace::default();
    let node = sc.fleet.find("pool-0").unwrap();
    {
        let mut sim = Sim::new(&sc, 0, &mut tr);
        let step = |sim: &mut Sim, expect_at: &str| {
            let at = sim.step().expect("an event before the horizon");
            assert_eq!(at, t(expect_at), "stepped to {at}, expected {expect_at}");
            (
                sim.phase(node),
                sim.condition(node),
                sim.state(node),
                sim.repairs_in_progress(),
            )
        };

        // The kubelet goes silent: nothing visible yet (the last lease
        // renewal was at 3h00m20s).
        let (ph, c, s, _) = step(&mut sim, "3h00m30s");
        assert_eq!(
            ph,
            Phase::Unnoticed {
                onset: t("3h00m30s")
            }
        );
        assert_eq!((c, s), (Condition::Ready, NodeState::Ready));
        // The check at 3h01m still sees Ready=True, so it is no step:
        // Ready is still True one second before the grace period ends.
        sim.step_until(t("3h01m09s"));
        assert_eq!(sim.condition(node), Condition::Ready);
        // 3h00m20s + 50 s grace, on the 5 s node-monitor grid.
        let (ph, c, s, _) = step(&mut sim, "3h01m10s");
        assert_eq!(
            ph,
            Phase::Unnoticed {
                onset: t("3h00m30s")
            }
        );
        assert_eq!((c, s), (Condition::Unknown, NodeState::Unknown));
        // The first check that sees the node not Ready opens the run.
        let (ph, ..) = step(&mut sim, "3h02m");
        assert_eq!(
            ph,
            Phase::Suspect {
                first_not_ready: t("3h02m")
            }
        );
        // Rule (b): the last heartbeat (3h00m20s) is 10 minutes old on the
        // 3h11m check, one check before rule (a) would fire (3h12m).
        let (ph, c, ..) = step(&mut sim, "3h11m");
        assert_eq!(
            ph,
            Phase::Detected {
                first_not_ready: t("3h02m"),
                detected: t("3h11m")
            }
        );
        assert_eq!(c, Condition::Unknown);
        // The repair delay is over: the reboot starts and holds a slot.
        let (ph, c, s, slots) = step(&mut sim, "3h16m");
        assert_eq!(
            ph,
            Phase::Acting {
                repair_start: t("3h16m"),
                step: 0,
                started: t("3h16m")
            }
        );
        assert_eq!((c, s, slots), (Condition::Unknown, NodeState::Rebooting, 1));
        // The reboot ends but fixes nothing: the kubelet stays silent, so
        // no Ready=True is posted and the node waits out the settle time.
        let (ph, c, s, slots) = step(&mut sim, "3h20m");
        assert_eq!(
            ph,
            Phase::Settling {
                repair_start: t("3h16m"),
                next_step: 1,
                ended: t("3h20m")
            }
        );
        assert_eq!((c, s, slots), (Condition::Unknown, NodeState::Unknown, 1));
        // The first check at least 5 m after the reboot ended, still not
        // Ready: the reimage (step 1 of the plan) starts.
        let (ph, c, s, slots) = step(&mut sim, "3h25m");
        assert_eq!(
            ph,
            Phase::Acting {
                repair_start: t("3h16m"),
                step: 1,
                started: t("3h25m")
            }
        );
        assert_eq!((c, s, slots), (Condition::Unknown, NodeState::Reimaging, 1));
        // The reimage ends and fixes the fault; the node waits for its
        // kubelet tick.
        let (ph, c, s, _) = step(&mut sim, "3h35m");
        assert_eq!(
            ph,
            Phase::Settling {
                repair_start: t("3h16m"),
                next_step: 2,
                ended: t("3h35m")
            }
        );
        assert_eq!((c, s), (Condition::Unknown, NodeState::Unknown));
        // The kubelet posts Ready=True at the same instant (ticks come
        // after action ends).
        let (_, c, s, slots) = step(&mut sim, "3h35m");
        assert_eq!((c, s, slots), (Condition::Ready, NodeState::Ready, 1));
        // The check at 3h35m sees it Ready: the incident ends and frees
        // its slot.
        let (ph, c, _, slots) = step(&mut sim, "3h35m");
        assert_eq!((ph, c, slots), (Phase::Healthy, Condition::Ready, 0));
        assert_eq!(sim.step(), None, "nothing else happens before the horizon");
        assert_eq!(sim.phase(node), Phase::Healthy);
    }
    // Detection was by rule (b), at 3h11m.
    let detected: Vec<_> =
        tr.0.iter()
            .filter_map(|r| match r {
                Record::Detected { at, rule, .. } => Some((*at, *rule)),
                _ => None,
            })
            .collect();
    assert_eq!(detected, vec![(t("3h11m"), DetectRule::NoStatus)]);
}
