//! Step the engine one event at a time and check the state after each step
//! (worked example 1 of POLICY.md section 5).

use crate::common::{shipped, t};
use repairsim::engine::Sim;
use repairsim::k8s::Condition;
use repairsim::observe::{NodeState, Trace};
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
