//! Regression tests, each named after the bug it pins.

use crate::common::check;
use repairsim::scenario::load_str;

/// A slot freed while every node was not Ready; the guard then lifted when
/// an abandoned node healed, with no check due anywhere. The waiting node
/// must take the slot on the next check instead of waiting forever.
#[test]
fn waiting_node_starts_when_the_all_not_ready_guard_lifts_without_a_check() {
    let sc = load_str("regression.toml", include_str!("guard_lift.toml")).unwrap();
    check(
        &sc,
        &[
            "1h p-0 FaultArrived stuck",
            "1h p-1 FaultArrived hang",
            "1h10m p-0 Detected rule-a",
            "1h10m p-1 Detected rule-a",
            "1h15m p-0 ActionStarted reboot pass=1",
            "1h19m p-0 ActionEnded reboot",
            "1h19m55s p-2 FaultArrived cni",
            "1h20m p-2 Outcome excluded:network-misconfiguration",
            "1h24m p-0 Outcome gave-up-exhausted",
            "1h40m p-0 Recovered",
            "1h40m p-1 ActionStarted reboot pass=1",
            "1h44m p-1 ActionEnded reboot",
            "1h44m p-1 Recovered",
            "1h44m p-1 Outcome repaired-by-reboot",
        ],
    );
}

/// The incidents of one run: node, detected, first action, outcome and
/// when it was decided, as `node detected start outcome@at`.
fn peer_incidents(file: &str, text: &str) -> Vec<String> {
    let sc = load_str(file, text).unwrap_or_else(|e| panic!("{e}"));
    let log = crate::common::incident_log(&sc);
    let t = |x: Option<repairsim::time::SimTime>| x.map_or("-".into(), |t| t.to_string());
    log.incidents()
        .iter()
        .map(|i| {
            format!(
                "{} {} {} {}@{}",
                i.node_name(&sc),
                t(i.detected),
                t(i.repair_started),
                i.outcome,
                i.outcome_at
            )
        })
        .collect()
}

/// An Unknown that the lease expiry posts while an action runs is a
/// condition change at its own instant (1h06m50s for md-0-0's first
/// replacement), so the MachineHealthCheck's evaluations and its 15 s
/// spacing follow it: md-0-1's requeue (1h11m51s) waits for 1h12m05s, 15 s
/// after the evaluation that md-0-0's NotReady at 1h11m50s triggered.
#[test]
fn mhc_sees_a_lease_expiry_during_an_action_at_its_instant() {
    let got = peer_incidents("mhc.toml", include_str!("peers/mhc-spurious.toml"));
    assert_eq!(
        got[1],
        "md-0-1 1h12m05s 1h12m05s repaired-by-replace@1h18m10s"
    );
}

/// A slot freed while the first waiting node's pool is held by its guard
/// goes to a waiting node of another pool at once.
#[test]
fn a_freed_slot_reaches_a_pool_whose_guard_allows_it() {
    let got = peer_incidents("eks.toml", include_str!("peers/eks-conc2.toml"));
    assert!(
        got.iter().any(|l| l.starts_with("c-0 1h31m20s 1h37m20s ")),
        "{got:#?}"
    );
}

/// A NodeHealthCheck with one template has no step timeout: its lease is
/// overdue 30 minutes after the remediation started.
#[test]
fn nhc_with_one_template_gives_up_when_its_lease_is_overdue() {
    let got = peer_incidents("nhc.toml", include_str!("peers/nhc-single.toml"));
    assert_eq!(got, ["worker-0 1h05m41s 1h05m41s gave-up-timeout@1h35m41s"]);
}

/// A requeue asked for before a suppressed evaluation still fires (a
/// controller's delaying queue keeps it): w-2 is detected at its own
/// LTT + 301 s, not at the next condition change.
#[test]
fn nhc_keeps_a_requeue_across_an_earlier_evaluation() {
    let got = peer_incidents("nhc.toml", include_str!("peers/nhc-conc.toml"));
    assert!(got[2].starts_with("w-2 1h07m41s "), "{got:#?}");
}

/// The EKS operations log names the node a repair acts on: after a
/// replacement, its `-r<k>` name.
#[test]
fn eks_operations_name_the_replacement_they_act_on() {
    use repairsim::observe::Observer;
    use repairsim::observe::events::EventLog;
    let text = include_str!("../../scenarios/preset-eks.toml").replace(
        "fixed_by = \"replace\"\n\n[[faults]]\nname = \"flaky-nic\"",
        "fixed_by = \"none\"\n\n[[faults]]\nname = \"flaky-nic\"",
    );
    let sc = load_str("eks.toml", &text).unwrap();
    let mut log = EventLog::new();
    log.begin(&sc);
    repairsim::engine::simulate(&sc, 0, &mut log);
    let ng0: Vec<(u32, &str)> = log
        .operations()
        .iter()
        .filter(|o| o.node == 0)
        .map(|o| (o.replaced, o.status))
        .collect();
    // ng-0 is replaced at 1h31m20s, then each of its replacements 30
    // minutes after it posts Unknown; none is ever Ready.
    assert_eq!(ng0, [(0, "Started"), (1, "Started"), (2, "Started")]);
}

/// Periodic retry shapes mean nothing to a condition clock: asking for
/// one under an event-driven preset is an input error that names the
/// valid ones.
#[test]
fn event_driven_presets_refuse_periodic_retry_modes() {
    let text = include_str!("../../scenarios/preset-eks.toml").replace(
        "preset = \"eks\"",
        "preset = \"eks\"\nretry_mode = \"sequence\"",
    );
    let e = load_str("eks.toml", &text).unwrap_err().to_string();
    assert!(
        e.contains("policy.retry_mode") && e.contains("valid retry modes: redetect, escalate"),
        "{e}"
    );
}

/// PEERS.md G2's Cluster API comparison, through the `max_unhealthy` key:
/// `unhealthyLessThanOrEqualTo: 40%` of 6 targets is floor(2.4) = 2, so 3
/// unhealthy machines get `RemediationRestricted` and no
/// `MachineMarkedUnhealthy`; when one heals (2h20m) the other two are
/// replaced.
#[test]
fn capi_max_unhealthy_40_percent_restricts_three_of_six() {
    let sc = load_str("capi-40.toml", include_str!("peers/capi-40.toml")).unwrap();
    let ev = crate::common::event_lines(&sc);
    // The event is about the whole MachineHealthCheck: no node column.
    assert_eq!(
        ev[0],
        "2h06m21s  RemediationRestricted Remediation is not allowed, the number of not started \
         or unhealthy machines exceeds maxUnhealthy (total: 6, unhealthy: 3, maxUnhealthy: 40%)"
    );
    let marked: Vec<&String> = ev
        .iter()
        .filter(|l| l.contains("MachineMarkedUnhealthy"))
        .collect();
    assert_eq!(marked.len(), 2, "{ev:#?}");
    assert!(marked.iter().all(|l| l.starts_with("2h20m ")), "{ev:#?}");
    let p = repairsim::policy::params::provenance_table(&sc.policy, &sc.policy_overrides);
    let guard = p.iter().find(|r| r.parameter == "guard").unwrap();
    assert_eq!(
        guard.value,
        "max-unhealthy 40% floor, per pool, recheck at each evaluation"
    );
    assert_eq!(guard.provenance, "scenario override");
}

/// The event-driven keys are refused, with the presets that take them,
/// under a periodic preset.
#[test]
fn event_keys_name_the_presets_that_take_them() {
    let text = include_str!("../../scenarios/example-1-reboot.toml")
        .replace("[policy]\n", "[policy]\nmax_unhealthy = \"40%\"\n");
    let e = load_str("x.toml", &text).unwrap_err().to_string();
    assert!(
        e.contains("policy.max_unhealthy")
            && e.contains("applies to the event-driven presets (eks, eks-auto, capi-mhc, nhc)"),
        "{e}"
    );
}

/// Cluster API's node startup timeout (600 s from the Machine's creation):
/// a replacement whose node is not up by then is remediated again at
/// once. Provisioning takes 12 minutes here, so every replacement misses
/// it.
#[test]
fn capi_replaces_a_machine_whose_node_misses_the_startup_timeout() {
    let text = include_str!("../../scenarios/preset-capi-mhc.toml")
        .replace("provision = \"4m\"", "provision = \"12m\"");
    let sc = load_str("capi.toml", &text).unwrap();
    let lines: Vec<String> = crate::common::render(&sc, &crate::common::trace(&sc))
        .into_iter()
        .filter(|l| l.contains(" md-0-0 "))
        .take(6)
        .collect();
    assert_eq!(
        lines,
        [
            "1h00m35s md-0-0 FaultArrived dead-kubelet",
            "1h06m21s md-0-0 Detected rule-b",
            "1h06m21s md-0-0 ActionStarted replace pass=1",
            "1h08m21s md-0-0 Replaced r1",
            "1h18m21s md-0-0 ActionEnded replace error=NodeStartupTimeout",
            "1h18m21s md-0-0 ActionStarted replace pass=1",
        ]
    );
}

/// `node_startup_timeout = "0s"` turns the startup timeout off: the slow
/// replacement is waited for.
#[test]
fn capi_node_startup_timeout_zero_waits_for_a_slow_replacement() {
    let text = include_str!("../../scenarios/preset-capi-mhc.toml")
        .replace("provision = \"4m\"", "provision = \"12m\"")
        .replace(
            "preset = \"capi-mhc\"",
            "preset = \"capi-mhc\"\nnode_startup_timeout = \"0s\"",
        );
    let sc = load_str("capi.toml", &text).unwrap();
    let recs = crate::common::render(&sc, &crate::common::trace(&sc));
    assert!(
        recs.contains(&"1h20m21s md-0-0 ActionEnded replace".to_string()),
        "{recs:#?}"
    );
}

/// Every reason the peers emit is one `[[expect]] event=` accepts: the
/// list of reasons cannot drift from what the vocabularies write.
#[test]
fn every_emitted_peer_reason_is_an_expectable_reason() {
    use repairsim::check::expect::Reason;
    use repairsim::observe::Observer;
    use repairsim::observe::events::EventLog;
    let mut seen = std::collections::BTreeSet::new();
    for file in ["preset-eks-auto", "preset-capi-mhc", "preset-nhc"] {
        let sc = crate::common::shipped(&format!("{file}.toml"));
        let mut log = EventLog::new();
        log.begin(&sc);
        repairsim::engine::simulate(&sc, 0, &mut log);
        seen.extend(log.events().iter().map(|e| e.reason.clone()));
    }
    let sc = load_str("capi-40.toml", include_str!("peers/capi-40.toml")).unwrap();
    let mut log = EventLog::new();
    log.begin(&sc);
    repairsim::engine::simulate(&sc, 0, &mut log);
    seen.extend(log.events().iter().map(|e| e.reason.clone()));
    assert!(seen.len() >= 18, "{seen:?}");
    for r in &seen {
        assert!(
            Reason::parse(r).is_some(),
            "{r} is emitted but not expectable"
        );
    }
}
