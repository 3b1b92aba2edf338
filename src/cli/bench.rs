//! `repairsim bench`: speed and memory on a synthetic fleet-year.
//!
//! The fleet is `--nodes` nodes (`--windows-share` of them Windows) for
//! `--days` days under the default policy, with faults arriving at a
//! combined `--mtbf` per node: kubelet hangs fixed by a reboot, disk
//! corruption fixed by a reimage, and network blips that heal by
//! themselves. Wall time is measured here, in the benchmark only; the model
//! never reads a clock.

use super::CliError;
use crate::dist::DurationDist;
use crate::engine::Sim;
use crate::faults::{Arrivals, Fault, Signal};
use crate::fleet::{Fleet, Os, Pool};
use crate::k8s::ActionKind;
use crate::observe::Fanout;
use crate::observe::incidents::IncidentLog;
use crate::observe::timeline::TimelineLog;
use crate::policy::{Policy, Preset};
use crate::scenario::{Actions, Scenario};
use crate::stats::Summary;
use crate::time::{DAY, Epoch, SimDuration, SimTime, parse_duration};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Nodes in the fleet.
    #[arg(long, default_value_t = 10_000)]
    pub nodes: u32,
    /// Share of the nodes that run Windows, in [0, 1].
    #[arg(long, default_value_t = 0.2)]
    pub windows_share: f64,
    /// Simulated days.
    #[arg(long, default_value_t = 365)]
    pub days: u64,
    /// Mean time between failures per node, all faults together.
    #[arg(long, default_value = "30d")]
    pub mtbf: String,
    /// The auto-repair check interval.
    #[arg(long, default_value = "1m")]
    pub check_interval: String,
    /// Runs of the measurement; the best is reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
    /// The world seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Run the whole matrix of the README (1k/10k/100k nodes, check interval
    /// 1m and 30s) instead of one configuration.
    #[arg(long)]
    pub matrix: bool,
}

/// The synthetic fleet-year scenario the benchmark runs.
pub fn fleet_year(
    nodes: u32,
    windows_share: f64,
    days: u64,
    mtbf: SimDuration,
    check: SimDuration,
    seed: u64,
) -> Scenario {
    let windows = ((nodes as f64) * windows_share.clamp(0.0, 1.0)).round() as u32;
    let fleet = Fleet::new(vec![
        Pool {
            name: "linux".into(),
            os: Os::Linux,
            count: nodes - windows,
        },
        Pool {
            name: "win".into(),
            os: Os::Windows,
            count: windows,
        },
    ]);
    let all: Vec<u32> = (0..fleet.len() as u32).collect();
    let fault = |name: &str, signal, fixed_by, heal: Option<DurationDist>| Fault {
        name: name.into(),
        signal,
        fixed_by,
        self_heal_after: heal,
        exclude: None,
    };
    // Shares of the combined rate: 1/2 + 3/10 + 1/5 = 1.
    let share = |k: u64| SimDuration(mtbf.ms() * k);
    let mut policy = Policy::preset(Preset::Aks2024_08);
    policy.check_interval = check;
    Scenario {
        name: format!("bench-{nodes}"),
        description: "synthetic fleet-year for `repairsim bench`".into(),
        seed,
        start: Epoch(1_767_225_600_000),
        horizon: SimDuration(days * DAY),
        policy,
        policy_overrides: vec![],
        fleet,
        actions: Actions::default(),
        faults: vec![
            fault(
                "kubelet-hang",
                Signal::NotReady,
                Some(ActionKind::Reboot),
                None,
            ),
            fault(
                "disk-corruption",
                Signal::NoStatus,
                Some(ActionKind::Reimage),
                None,
            ),
            fault(
                "network-blip",
                Signal::NoStatus,
                Some(ActionKind::Reboot),
                Some(DurationDist::Exponential(SimDuration::from_mins(8))),
            ),
        ],
        injections: vec![],
        arrivals: vec![
            Arrivals {
                fault: 0,
                mtbf: share(2),
                nodes: all.clone(),
            },
            Arrivals {
                fault: 1,
                mtbf: SimDuration(mtbf.ms() * 10 / 3),
                nodes: all.clone(),
            },
            Arrivals {
                fault: 2,
                mtbf: share(5),
                nodes: all,
            },
        ],
        outages: vec![],
        marks: vec![],
        never_registered: vec![],
        content_hash: 0,
    }
}

/// One measured configuration.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub nodes: u32,
    pub check_interval: SimDuration,
    pub incidents: usize,
    pub events: u64,
    /// Best wall time of the simulation plus statistics \[s\].
    pub seconds: f64,
}

/// Simulates the fleet-year once with the observers `run` uses for its
/// statistics, and returns (incidents, events applied).
pub fn simulate_once(sc: &Scenario) -> (usize, u64) {
    let mut incidents = IncidentLog::new();
    let mut timeline = TimelineLog::new(false);
    let events = {
        let mut obs = Fanout(vec![&mut incidents, &mut timeline]);
        let mut sim = Sim::new(sc, 0, &mut obs);
        sim.run();
        sim.events_applied()
    };
    let list = incidents.into_incidents();
    let summary = Summary::build(sc, 0, &list, &timeline, SimTime::ZERO + sc.horizon);
    std::hint::black_box(&summary);
    (list.len(), events)
}

fn measure(args: &Args, nodes: u32, check: SimDuration) -> Result<Measurement, CliError> {
    let mtbf = parse_duration(&args.mtbf).map_err(|e| CliError::Input(format!("--mtbf: {e}")))?;
    if mtbf.ms() == 0 || nodes == 0 {
        return Err(CliError::Input(
            "--mtbf and --nodes must be greater than zero".into(),
        ));
    }
    let mut best = f64::INFINITY;
    let mut result = (0, 0);
    for _ in 0..args.repeat.max(1) {
        let t0 = Instant::now();
        let sc = fleet_year(nodes, args.windows_share, args.days, mtbf, check, args.seed);
        result = simulate_once(&sc);
        best = best.min(t0.elapsed().as_secs_f64());
    }
    Ok(Measurement {
        nodes,
        check_interval: check,
        incidents: result.0,
        events: result.1,
        seconds: best,
    })
}

/// Peak resident memory of this process \[MiB\], from /proc (Linux only).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn run(args: Args) -> Result<(), CliError> {
    let check = parse_duration(&args.check_interval)
        .map_err(|e| CliError::Input(format!("--check-interval: {e}")))?;
    if check.ms() == 0 {
        return Err(CliError::Input(
            "--check-interval must be greater than zero".into(),
        ));
    }
    let configs: Vec<(u32, SimDuration)> = if args.matrix {
        let half = SimDuration(check.ms() / 2);
        vec![
            (1_000, check),
            (10_000, check),
            (10_000, half),
            (100_000, check),
        ]
    } else {
        vec![(args.nodes, check)]
    };
    println!(
        "{:>8} {:>6} {:>6} {:>10} {:>11} {:>9} {:>12}",
        "nodes", "check", "days", "incidents", "events", "best [s]", "events/s"
    );
    for (nodes, check) in configs {
        let m = measure(&args, nodes, check)?;
        println!(
            "{:>8} {:>6} {:>6} {:>10} {:>11} {:>9.3} {:>12.0}",
            m.nodes,
            m.check_interval.to_string(),
            args.days,
            m.incidents,
            m.events,
            m.seconds,
            m.events as f64 / m.seconds
        );
    }
    if let Some(mib) = peak_rss_mib() {
        println!("peak resident memory of this process: {mib:.1} MiB");
    }
    Ok(())
}
