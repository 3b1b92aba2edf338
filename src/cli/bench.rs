//! `repairsim bench`: speed and memory on a synthetic fleet-year.
//!
//! The fleet is `--nodes` nodes (`--windows-share` of them Windows) for
//! `--days` days under the default policy, with faults arriving at a
//! combined `--mtbf` per node: kubelet hangs fixed by a reboot, disk
//! corruption fixed by a reimage, and network blips that heal by
//! themselves. Wall time is measured here, in the benchmark only; the model
//! never reads a clock.
//!
//! The fleet-year is generated as scenario text and loaded like a file, so
//! `--set` changes it like any scenario (`--set policy.repair_delay=5m`).

use super::{CliError, Out};
use crate::engine::Sim;
use crate::mc::Stop;
use crate::mc::metrics::shown_metrics;
use crate::mc::runner;
use crate::mc::shard::Source;
use crate::mc::sweep::{Point, replication_row, run_point};
use crate::observe::Fanout;
use crate::observe::incidents::IncidentLog;
use crate::observe::timeline::TimelineLog;
use crate::policy::Preset;
use crate::report::csv_writer;
use crate::scenario::load::{DEFAULT_START, MAX_ARRIVALS, MAX_NODES};
use crate::scenario::{Patch, Scenario, ScenarioError, load_str_with};
use crate::stats::Summary;
use crate::time::{DAY, MAX_SPAN, SECOND, SimDuration, SimTime, parse_duration};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Nodes in the fleet.
    #[arg(long, default_value_t = 10_000)]
    pub nodes: u32,
    /// Share of the nodes that run Windows, in [0, 1].
    #[arg(long, default_value_t = 0.2, value_parser = share)]
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
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// The world seed.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: u64,
    /// Run the whole matrix of the README (1k/10k/100k nodes, check interval
    /// 1m and 30s) instead of one configuration.
    #[arg(long)]
    pub matrix: bool,
    /// Measure `sweep` instead: --replications replications of SCENARIO
    /// (default: the embedded default scenario) on 1 thread, then on 2,
    /// then 4 × as many on 2 threads to show that memory stays flat.
    #[arg(long, conflicts_with = "matrix")]
    pub sweep: bool,
    /// Replications per measurement with --sweep.
    #[arg(long, default_value_t = 1000, requires = "sweep",
          value_parser = clap::value_parser!(u64).range(1..=u64::MAX))]
    pub replications: u64,
    /// The scenario --sweep replicates.
    #[arg(long, value_name = "SCENARIO", requires = "sweep")]
    pub scenario: Option<std::path::PathBuf>,
    /// Measure `import` instead: write a synthetic `kubectl get events -o
    /// json` List of about MIB MiB (Pod events, and a Node episode every
    /// 10,000 events) to the temporary directory, read it, then one four
    /// times as large, then the same for a Prometheus query_range export
    /// (1,000 nodes at a 15 s step), to show that memory stays flat.
    #[arg(long, value_name = "MIB", conflicts_with_all = ["matrix", "sweep"])]
    pub import: Option<u64>,
    /// Measure the `run` path instead: the fleet-year simulated with every
    /// output written (events, incidents, timeline, summary and charts)
    /// into the temporary directory, --repeat times; best and median wall
    /// time, bytes written and peak memory.
    #[arg(long, conflicts_with_all = ["matrix", "sweep", "import"])]
    pub run: bool,
    /// With --run: write no charts.
    #[arg(long, requires = "run")]
    pub no_charts: bool,
}

/// `--windows-share`: a finite number from 0 to 1.
fn share(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "expected a share of the nodes from 0 to 1, e.g. 0.2, found {s:?}"
        )),
    }
}

/// The synthetic fleet-year as scenario text (TOML), so that `--set` can
/// change any of its keys like those of a file. Shares of the combined
/// rate `mtbf`: 1/2 + 3/10 + 1/5 = 1. A pool of no nodes is left out.
pub fn fleet_year_toml(
    nodes: u32,
    windows_share: f64,
    days: u64,
    mtbf: SimDuration,
    check: SimDuration,
    seed: u64,
) -> String {
    let windows = ((nodes as f64) * windows_share.clamp(0.0, 1.0)).round() as u32;
    let mut t = format!(
        "name = \"bench-{nodes}\"\n\
         description = \"synthetic fleet-year for `repairsim bench`\"\n\
         seed = {seed}\n\
         start = \"{DEFAULT_START}\"\n\
         horizon = \"{days}d\"\n\n\
         [policy]\n\
         preset = \"{}\"\n\
         check_interval = \"{}ms\"\n",
        Preset::Aks2024_08.name(),
        check.ms()
    );
    for (name, os, count) in [
        ("linux", "linux", nodes.saturating_sub(windows)),
        ("win", "windows", windows),
    ] {
        if count > 0 {
            t.push_str(&format!(
                "\n[[pools]]\nname = \"{name}\"\nos = \"{os}\"\ncount = {count}\n"
            ));
        }
    }
    t.push_str(
        "\n[[faults]]\nname = \"kubelet-hang\"\nsignal = \"not-ready\"\nfixed_by = \"reboot\"\n\
         \n[[faults]]\nname = \"disk-corruption\"\nsignal = \"no-status\"\nfixed_by = \"reimage\"\n\
         \n[[faults]]\nname = \"network-blip\"\nsignal = \"no-status\"\nfixed_by = \"reboot\"\n\
         self_heal_after = { exponential = \"8m\" }\n",
    );
    let m = u128::from(mtbf.ms());
    for (fault, ms) in [
        ("kubelet-hang", m * 2),
        ("disk-corruption", m * 10 / 3),
        ("network-blip", m * 5),
    ] {
        t.push_str(&format!(
            "\n[[failures]]\nfault = \"{fault}\"\nmtbf = \"{ms}ms\"\n"
        ));
    }
    t
}

/// The synthetic fleet-year scenario the benchmark runs, with `patches`
/// (`--set`) applied.
pub fn fleet_year(
    nodes: u32,
    windows_share: f64,
    days: u64,
    mtbf: SimDuration,
    check: SimDuration,
    seed: u64,
    patches: &[Patch],
) -> Result<Scenario, ScenarioError> {
    let text = fleet_year_toml(nodes, windows_share, days, mtbf, check, seed);
    load_str_with(SYNTHETIC, &text, patches)
}

/// How errors name the generated scenario text.
const SYNTHETIC: &str = "<bench fleet-year>";

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
    let mut incidents = IncidentLog::folding();
    let mut timeline = TimelineLog::new(false);
    let events = {
        let mut obs = Fanout(vec![&mut incidents, &mut timeline]);
        let mut sim = Sim::new(sc, 0, &mut obs);
        sim.run();
        sim.events_applied()
    };
    let stats = incidents.stats();
    let summary = Summary::build(sc, 0, stats, &timeline, SimTime::ZERO + sc.horizon);
    std::hint::black_box(&summary);
    (stats.total as usize, events)
}

/// Checks one configuration's flags before anything runs; returns the mtbf.
fn check_config(args: &Args, nodes: u32) -> Result<SimDuration, CliError> {
    let mtbf = parse_duration(&args.mtbf).map_err(|e| CliError::Input(format!("--mtbf: {e}")))?;
    if mtbf.ms() == 0 || nodes == 0 {
        return Err(CliError::Input(
            "--mtbf and --nodes must be greater than zero".into(),
        ));
    }
    // The longest share of the rate, 5 × mtbf, is a [[failures]] mtbf: at most 100 years.
    if mtbf.ms() < SECOND || mtbf.ms() > MAX_SPAN / 5 {
        return Err(CliError::Input(
            "--mtbf must be from 1s to 20 years (7300d)".into(),
        ));
    }
    if u64::from(nodes) > MAX_NODES {
        return Err(CliError::Input(format!(
            "--nodes must be at most {MAX_NODES}"
        )));
    }
    // The same bound as a scenario's [[failures]]: a run's length.
    let arrivals =
        u128::from(nodes) * u128::from(args.days) * u128::from(DAY) / u128::from(mtbf.ms());
    if arrivals > u128::from(MAX_ARRIVALS) {
        return Err(CliError::Input(format!(
            "--nodes {nodes} for --days {} at --mtbf {mtbf} would generate about {arrivals} fault \
             arrivals, more than the limit of {MAX_ARRIVALS}; use a longer --mtbf, fewer --nodes \
             or fewer --days",
            args.days
        )));
    }
    Ok(mtbf)
}

/// Simulates `sc` `--repeat` times and keeps the best wall time.
fn measure(args: &Args, sc: &Scenario) -> Measurement {
    let mut best = f64::INFINITY;
    let mut result = (0, 0);
    for _ in 0..args.repeat.max(1) {
        let t0 = Instant::now();
        result = simulate_once(sc);
        best = best.min(t0.elapsed().as_secs_f64());
    }
    Measurement {
        nodes: sc.fleet.len() as u32,
        check_interval: sc.policy.check_interval,
        incidents: result.0,
        events: result.1,
        seconds: best,
    }
}

/// Peak resident memory of this process \[MiB\], from /proc (Linux only).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Wall time \[s\] of `n` replications of `point` on `pool`, rows rendered
/// to CSV and discarded: the work of `sweep` without the disk.
fn time_sweep(pool: &rayon::ThreadPool, point: &Point, n: u64) -> Result<f64, CliError> {
    let mut rows = csv_writer(std::io::sink());
    let shown = shown_metrics(&point.scenario.vocabulary());
    let t0 = Instant::now();
    run_point(
        &mut Source::Simulate(pool),
        0,
        point,
        Stop::Fixed(n),
        |r| {
            rows.write_record(replication_row(0, &[], r, &shown))
                .map_err(|e| CliError::Output(e.to_string()))
        },
        || {},
    )?;
    Ok(t0.elapsed().as_secs_f64())
}

/// `bench --sweep`: replications per second on 1 and 2 threads, and peak
/// memory after n and after 4n replications.
///
/// The 1- and 2-thread runs alternate, best of `--repeat` each, so that a
/// slow spell of the machine does not fall on one side of the ratio only.
fn run_sweep(args: &Args, patches: &[Patch]) -> Result<(), CliError> {
    let sc = super::load_scenario(args.scenario.as_deref(), patches)?;
    let n = args.replications.max(1);
    let repeat = args.repeat.max(1);
    let point = Point {
        settings: vec![],
        scenario: sc.clone(),
    };
    let pools = [
        runner::pool(1).map_err(CliError::Output)?,
        runner::pool(2).map_err(CliError::Output)?,
    ];
    let mut out = Out::stdout();
    out.println(&format!(
        "sweep of {} ({} nodes, {}), best of {repeat}",
        sc.name,
        sc.fleet.len(),
        sc.horizon,
    ))?;
    out.println(&format!(
        "{:>8} {:>13} {:>9} {:>16} {:>8} {:>14}",
        "threads", "replications", "best [s]", "replications/s", "speedup", "peak RSS [MiB]"
    ))?;
    let mut best = [f64::INFINITY; 2];
    for _ in 0..repeat {
        for (b, pool) in best.iter_mut().zip(&pools) {
            *b = b.min(time_sweep(pool, &point, n)?);
        }
    }
    let mut more = f64::INFINITY;
    let rss_n = peak_rss_mib();
    for _ in 0..repeat {
        more = more.min(time_sweep(&pools[1], &point, n.saturating_mul(4))?);
    }
    let rss_4n = peak_rss_mib();
    let merge = time_merge(args, &sc, patches, &pools[1])?;
    let base = n as f64 / best[0];
    for (threads, reps, secs, rss) in [
        (1, n, best[0], rss_n),
        (2, n, best[1], rss_n),
        (2, n.saturating_mul(4), more, rss_4n),
    ] {
        let rate = reps as f64 / secs;
        out.println(&format!(
            "{threads:>8} {reps:>13} {secs:>9.3} {rate:>16.0} {:>7.2}x {:>14}",
            rate / base,
            rss.map_or("-".into(), |m| format!("{m:.1}"))
        ))?;
    }
    out.println(&format!(
        "merge of {MERGE_REPLICATIONS} replications from {MERGE_SHARDS} shard files ({:.1} MiB): \
         {:.3} s ({:.0} replications/s, outputs and charts written), against {:.3} s to \
         simulate them on 2 threads",
        merge.bytes as f64 / (1 << 20) as f64,
        merge.merge,
        MERGE_REPLICATIONS as f64 / merge.merge,
        merge.simulate
    ))?;
    Ok(())
}

/// Replications behind `bench --sweep`'s merge figure.
const MERGE_REPLICATIONS: u64 = 10_000;

/// Shard files behind it.
const MERGE_SHARDS: u32 = 8;

/// What merging costs.
struct MergeCost {
    /// Wall time \[s\] to simulate the shards' replications on the pool.
    simulate: f64,
    /// Bytes of shard files.
    bytes: u64,
    /// Wall time \[s\] of `merge`: read, fold, write the outputs.
    merge: f64,
}

/// Writes [`MERGE_REPLICATIONS`] replications of `sc` as
/// [`MERGE_SHARDS`] shard files in a temporary directory, then times
/// `merge` of them into the outputs of `sweep -n 10000` (removed after).
fn time_merge(
    args: &Args,
    sc: &Scenario,
    patches: &[Patch],
    pool: &rayon::ThreadPool,
) -> Result<MergeCost, CliError> {
    use crate::mc::shard::{Header, PointKey, Shard, ShardSet, ShardWriter, Span};
    let dir = std::env::temp_dir().join(format!("repairsim-bench-merge-{}", std::process::id()));
    let io = |e: std::io::Error| CliError::Output(format!("{}: {e}", dir.display()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(io)?;
    let result = (|| {
        let span = Span {
            from: 0,
            to: MERGE_REPLICATIONS,
        };
        let t0 = Instant::now();
        let mut bytes = 0;
        for k in 0..MERGE_SHARDS {
            let shard = Shard {
                index: k,
                count: MERGE_SHARDS,
            };
            let keys = vec![PointKey::of(crate::mc::sweep::settings_label(&[]), &[sc])];
            let header = Header::new("sweep", vec![], sc, "bench", None, keys, shard, 1, span);
            let path = dir.join(shard.file_name(1));
            let f = std::fs::File::create(&path).map_err(io)?;
            let mut w = ShardWriter::new(std::io::BufWriter::new(f), &header).map_err(io)?;
            w.point(pool, 0, &[sc], true, shard.block(&span), || {})
                .map_err(io)?;
            w.finish().map_err(io)?;
            bytes += std::fs::metadata(&path).map_err(io)?.len();
        }
        let simulate = t0.elapsed().as_secs_f64();
        let mut argv = vec!["repairsim".to_string(), "sweep".into()];
        if let Some(p) = &args.scenario {
            argv.push(p.to_string_lossy().into_owned());
        }
        let out = dir.join("merged").to_string_lossy().into_owned();
        argv.extend([
            "-n".into(),
            MERGE_REPLICATIONS.to_string(),
            "--out".into(),
            out,
            "-q".into(),
        ]);
        let super::Command::Sweep(sweep) = <super::Cli as clap::Parser>::try_parse_from(argv)
            .map_err(|e| CliError::Input(e.to_string()))?
            .command
        else {
            return Err(CliError::Input(
                "bench --sweep: the merge's command is not a sweep".into(),
            ));
        };
        let t0 = Instant::now();
        let mut set = ShardSet::open(std::slice::from_ref(&dir))?;
        super::sweep::run_with(sweep, patches, Some(&mut set))?;
        Ok(MergeCost {
            simulate,
            bytes,
            merge: t0.elapsed().as_secs_f64(),
        })
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Writes a synthetic Event List of about `mib` MiB to `path`: Pod events,
/// and every 10,000th a node's NodeNotReady, then its NodeReady five
/// minutes later. Returns the number of events.
fn write_event_list(path: &std::path::Path, mib: u64) -> std::io::Result<u64> {
    use std::io::Write;
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "{{\n    \"apiVersion\": \"v1\",\n    \"items\": [")?;
    let start = crate::time::Epoch::parse(DEFAULT_START).map_or(0, |e| e.0);
    let (mut written, mut n) = (0u64, 0u64);
    while written < mib << 20 {
        let t = |ms: i64| crate::time::Epoch(start + ms).format(SimTime::ZERO);
        let item = if n % 10_000 == 500 {
            let k = n / 10_000;
            let (reason, at) = if k % 2 == 0 {
                ("NodeNotReady", t(k as i64 * 60_000))
            } else {
                ("NodeReady", t((k as i64 - 1) * 60_000 + 300_000))
            };
            format!(
                "        {{\n            \"apiVersion\": \"v1\",\n            \"kind\": \"Event\",\n            \"involvedObject\": {{\"kind\": \"Node\", \"name\": \"aks-nodepool1-12345678-vmss{:06}\"}},\n            \"reason\": \"{reason}\",\n            \"message\": \"Node status is now: {reason}\",\n            \"source\": {{\"component\": \"kubelet\"}},\n            \"firstTimestamp\": \"{at}\",\n            \"lastTimestamp\": \"{at}\",\n            \"count\": 1,\n            \"type\": \"Normal\"\n        }}",
                k / 2 % 100
            )
        } else {
            let at = t(n as i64 * 10);
            format!(
                "        {{\n            \"apiVersion\": \"v1\",\n            \"kind\": \"Event\",\n            \"metadata\": {{\"name\": \"web-{n}.17f3a\", \"namespace\": \"default\"}},\n            \"involvedObject\": {{\"kind\": \"Pod\", \"name\": \"web-{n}\", \"namespace\": \"default\"}},\n            \"reason\": \"Pulled\",\n            \"message\": \"Successfully pulled image \\\"mcr.microsoft.com/oss/nginx/nginx:1.25\\\" in 1.2s\",\n            \"source\": {{\"component\": \"kubelet\", \"host\": \"aks-nodepool1-12345678-vmss000001\"}},\n            \"firstTimestamp\": \"{at}\",\n            \"lastTimestamp\": \"{at}\",\n            \"count\": 1,\n            \"type\": \"Normal\"\n        }}"
            )
        };
        let sep = if n == 0 { "" } else { ",\n" };
        w.write_all(sep.as_bytes())?;
        w.write_all(item.as_bytes())?;
        written += (sep.len() + item.len()) as u64;
        n += 1;
    }
    writeln!(
        w,
        "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {{\"resourceVersion\": \"\"}}\n}}"
    )?;
    w.flush()?;
    Ok(n)
}

/// Writes a synthetic Prometheus query_range result of about `mib` MiB
/// to `path`: 1,000 nodes, a `true`, `false` and `unknown` series each at
/// a 15 s step, every node not Ready for 20 samples once. Returns the
/// number of samples.
fn write_prometheus(path: &std::path::Path, mib: u64) -> std::io::Result<u64> {
    use std::io::Write;
    const NODES: u64 = 1000;
    // About 15 bytes per sample: `[1779224400,"1"],`.
    let per_series = ((mib << 20) / (NODES * 3 * 17)).max(30);
    let start = crate::time::Epoch::parse(DEFAULT_START).map_or(0, |e| e.0 / 1000);
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    write!(
        w,
        "{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":["
    )?;
    for n in 0..NODES {
        let down = n * 7 % (per_series - 20);
        for status in ["true", "false", "unknown"] {
            if n > 0 || status != "true" {
                w.write_all(b",")?;
            }
            write!(
                w,
                "{{\"metric\":{{\"__name__\":\"kube_node_status_condition\",\"condition\":\"Ready\",\"node\":\"aks-nodepool1-12345678-vmss{n:06}\",\"status\":\"{status}\"}},\"values\":["
            )?;
            for i in 0..per_series {
                let is_down = (down..down + 20).contains(&i);
                let one = match status {
                    "true" => !is_down,
                    "false" => is_down,
                    _ => false,
                };
                let sep = if i == 0 { "" } else { "," };
                write!(w, "{sep}[{},\"{}\"]", start + i as i64 * 15, u8::from(one))?;
            }
            w.write_all(b"]}")?;
        }
    }
    w.write_all(b"]}}\n")?;
    w.flush()?;
    Ok(per_series * NODES * 3)
}

/// `bench --import MIB`: reading speed and peak memory of `import` on a
/// List of MIB MiB, then of 4 × MIB MiB, then the same for a Prometheus
/// export. Peak memory is the process's, so it can only grow down the
/// table: a row that stays level read in constant memory.
fn run_import(mib: u64) -> Result<(), CliError> {
    let mut out = Out::stdout();
    out.println(&format!(
        "{:>10} {:>10} {:>11} {:>9} {:>9} {:>8} {:>14}",
        "format", "size [MiB]", "records", "Node facts", "read [s]", "MiB/s", "peak RSS [MiB]"
    ))?;
    type Reader = fn(
        &std::path::Path,
        &mut Vec<crate::import::Obs>,
        &mut crate::import::Ignored,
    ) -> Result<(), String>;
    type Writer = fn(&std::path::Path, u64) -> std::io::Result<u64>;
    let formats: [(&str, Writer, Reader); 2] = [
        ("kubectl", write_event_list, crate::import::kubectl::read),
        (
            "prometheus",
            write_prometheus,
            crate::import::prometheus::read,
        ),
    ];
    for (name, write, read) in formats {
        for size in [mib.max(1), mib.max(1).saturating_mul(4)] {
            let path = std::env::temp_dir().join(format!(
                "repairsim-bench-import-{}.json",
                std::process::id()
            ));
            let io = |e: std::io::Error| CliError::Output(format!("{}: {e}", path.display()));
            let records = write(&path, size).map_err(io)?;
            let bytes = std::fs::metadata(&path).map_err(io)?.len();
            let t0 = Instant::now();
            let mut obs = Vec::new();
            let mut ignored = crate::import::Ignored::default();
            let result = read(&path, &mut obs, &mut ignored);
            let secs = t0.elapsed().as_secs_f64();
            let _ = std::fs::remove_file(&path);
            result.map_err(CliError::Output)?;
            let mb = bytes as f64 / (1u64 << 20) as f64;
            out.println(&format!(
                "{name:>10} {mb:>10.0} {records:>11} {:>9} {secs:>9.2} {:>8.0} {:>14}",
                obs.len(),
                mb / secs,
                peak_rss_mib().map_or("-".into(), |m| format!("{m:.1}"))
            ))?;
        }
    }
    Ok(())
}

/// `bench --run`: the `run` command's work on `sc`, outputs and all, into
/// a scratch directory removed after each repetition.
fn run_outputs(args: &Args, sc: &Scenario) -> Result<(), CliError> {
    use super::run::{ChartArgs, stream_run};
    let dir = std::env::temp_dir().join(format!("repairsim-bench-run-{}", std::process::id()));
    let err = |e: std::io::Error| CliError::Output(format!("{}: {e}", dir.display()));
    let chart_args = ChartArgs {
        no_charts: args.no_charts,
        from: None,
        to: None,
        pools: Vec::new(),
        nodes: Vec::new(),
    };
    let mut times = Vec::new();
    let (mut bytes, mut files, mut events) = (0u64, 0usize, 0u64);
    for _ in 0..args.repeat.max(1) {
        let t0 = Instant::now();
        let mut staging = crate::report::Staging::new(&dir).map_err(err)?;
        let charts = chart_args.of(sc)?;
        let r = stream_run(
            sc,
            0,
            super::run::Events::AutoRepair,
            charts,
            &mut staging,
            crate::report::spill::DEFAULT_BUDGET,
        )
        .map_err(err)?;
        let written = staging.commit().map_err(err)?;
        times.push(t0.elapsed().as_secs_f64());
        events = r.events;
        files = written.len();
        bytes = written
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        drop(r);
        let _ = std::fs::remove_dir_all(&dir);
    }
    times.sort_by(f64::total_cmp);
    let mut out = Out::stdout();
    out.println(&format!(
        "run of {} nodes over {}, {}: best and median of {}",
        sc.fleet.len(),
        sc.horizon,
        if args.no_charts {
            "every output but the charts"
        } else {
            "every output and the charts"
        },
        times.len()
    ))?;
    out.println(&format!(
        "{:>9} {:>10} {:>8} {:>6} {:>12} {:>14}",
        "events", "best [s]", "median", "files", "bytes", "peak RSS [MiB]"
    ))?;
    out.println(&format!(
        "{events:>9} {:>10.3} {:>8.3} {files:>6} {bytes:>12} {:>14}",
        times[0],
        times[times.len() / 2],
        peak_rss_mib().map_or("-".into(), |m| format!("{m:.1}"))
    ))
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    if args.sweep {
        return run_sweep(&args, patches);
    }
    if let Some(mib) = args.import {
        return run_import(mib);
    }
    if args.days == 0 || args.days > MAX_SPAN / DAY {
        return Err(CliError::Input(
            "--days must be from 1 to 36500 (100 years)".into(),
        ));
    }
    let check = parse_duration(&args.check_interval)
        .map_err(|e| CliError::Input(format!("--check-interval: {e}")))?;
    if check.ms() == 0 || check.ms() > MAX_SPAN {
        return Err(CliError::Input(
            "--check-interval must be greater than zero and at most 100 years (36500d)".into(),
        ));
    }
    let configs: Vec<(u32, SimDuration)> = if args.matrix {
        let half = SimDuration((check.ms() / 2).max(1));
        vec![
            (1_000, check),
            (10_000, check),
            (10_000, half),
            (100_000, check),
        ]
    } else {
        vec![(args.nodes, check)]
    };
    let mtbfs = configs
        .iter()
        .map(|(nodes, _)| check_config(&args, *nodes))
        .collect::<Result<Vec<_>, _>>()?;
    let scenario = |(nodes, check): (u32, SimDuration), mtbf| {
        fleet_year(
            nodes,
            args.windows_share,
            args.days,
            mtbf,
            check,
            args.seed,
            patches,
        )
    };
    // Every configuration is checked (with the patches) before anything runs.
    for (c, mtbf) in configs.iter().zip(&mtbfs) {
        let sc = scenario(*c, *mtbf)?;
        let e = crate::budget::Estimate::runs(&sc, u128::from(args.repeat.max(1)), 1);
        super::within_budget("bench", &e)?;
    }
    if args.run {
        let (c, mtbf) = (configs[0], mtbfs[0]);
        return run_outputs(&args, &scenario(c, mtbf)?);
    }
    let mut out = Out::stdout();
    out.println(&format!(
        "{:>8} {:>6} {:>6} {:>10} {:>11} {:>9} {:>12}",
        "nodes", "check", "days", "incidents", "events", "best [s]", "events/s"
    ))?;
    for ((nodes, check), mtbf) in configs.into_iter().zip(mtbfs) {
        // Nobody reads the rest: stop measuring.
        if out.is_closed() {
            return Ok(());
        }
        let sc = scenario((nodes, check), mtbf)?;
        let m = measure(&args, &sc);
        let h = sc.horizon.ms();
        let days = if h % DAY == 0 {
            (h / DAY).to_string()
        } else {
            sc.horizon.to_string()
        };
        out.println(&format!(
            "{:>8} {:>6} {:>6} {:>10} {:>11} {:>9.3} {:>12.0}",
            m.nodes,
            m.check_interval.to_string(),
            days,
            m.incidents,
            m.events,
            m.seconds,
            m.events as f64 / m.seconds
        ))?;
    }
    if let Some(mib) = peak_rss_mib() {
        out.println(&format!(
            "peak resident memory of this process: {mib:.1} MiB"
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(flags: &[&str]) -> Args {
        let argv = ["repairsim", "bench"].iter().chain(flags);
        match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Bench(a) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_import_benchmark_writes_an_export_import_reads() {
        let path = std::env::temp_dir().join(format!(
            "repairsim-unit-prometheus-{}.json",
            std::process::id()
        ));
        let samples = write_prometheus(&path, 1).unwrap();
        let mut obs = Vec::new();
        let mut ignored = crate::import::Ignored::default();
        let read = crate::import::prometheus::read(&path, &mut obs, &mut ignored);
        let _ = std::fs::remove_file(&path);
        read.unwrap();
        assert!(samples >= 30 * 3000, "{samples}");
        // Each node: registered, not Ready, Ready again; and the last sample.
        assert_eq!(obs.len(), 3 * 1000 + 1);
    }

    #[test]
    fn the_import_benchmark_writes_a_list_import_reads() {
        let path = std::env::temp_dir().join(format!(
            "repairsim-unit-event-list-{}.json",
            std::process::id()
        ));
        let events = write_event_list(&path, 1).unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        let mut obs = Vec::new();
        let mut ignored = crate::import::Ignored::default();
        let read = crate::import::kubectl::read(&path, &mut obs, &mut ignored);
        let _ = std::fs::remove_file(&path);
        read.unwrap();
        assert!((1 << 20..(1 << 20) + 2048).contains(&len), "{len} bytes");
        assert_eq!(obs.len() as u64 + ignored.other_objects, events);
        assert!(!obs.is_empty() && ignored.unknown_reasons == 0);
    }

    #[test]
    fn flags_that_would_hang_or_overflow_are_input_errors() {
        assert_eq!(
            check_config(&args(&[]), 10_000).unwrap(),
            SimDuration(30 * DAY)
        );
        for (flags, nodes) in [
            (&["--mtbf", "500ms"][..], 10),
            (&["--mtbf", "36501d"][..], 10),
            (&["--mtbf", "0s"][..], 10),
            (&["--mtbf", "1s"][..], 10_000),
            (&[][..], 0),
        ] {
            let e = check_config(&args(flags), nodes).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{flags:?}: {e}");
        }
        for days in ["0", "36501", "18446744073709551615"] {
            let e = run(args(&["--days", days]), &[]).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{days}: {e}");
        }
        let e = run(args(&["--check-interval", "36501d"]), &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }

    /// The fleet-year as it was built in code before it became TOML text.
    fn fleet_year_in_code(
        nodes: u32,
        windows_share: f64,
        days: u64,
        mtbf: SimDuration,
        check: SimDuration,
        seed: u64,
    ) -> Scenario {
        use crate::dist::DurationDist;
        use crate::faults::{Arrivals, Fault, Signal};
        use crate::fleet::{Fleet, Os, Pool};
        use crate::k8s::ActionKind;
        use crate::policy::Policy;
        use crate::scenario::Actions;
        use crate::time::Epoch;
        let windows = ((nodes as f64) * windows_share.clamp(0.0, 1.0)).round() as u32;
        let fleet = Fleet::new(vec![
            Pool {
                name: "linux".into(),
                os: Os::Linux,
                count: nodes - windows,
                ladder: None,
            },
            Pool {
                name: "win".into(),
                os: Os::Windows,
                count: windows,
                ladder: None,
            },
        ]);
        let all: Vec<u32> = (0..fleet.len() as u32).collect();
        let fault = |name: &str, signal, fixed_by, heal: Option<DurationDist>| Fault {
            name: name.into(),
            signal,
            fixed_by,
            self_heal_after: heal,
            exclude: None,
            recorded: Vec::new(),
        };
        let share = |k: u64| SimDuration(mtbf.ms().saturating_mul(k));
        let mut policy = Policy::preset(Preset::Aks2024_08);
        policy.check_interval = check;
        Scenario {
            name: format!("bench-{nodes}"),
            description: "synthetic fleet-year for `repairsim bench`".into(),
            seed,
            start: Epoch(1_767_225_600_000),
            horizon: SimDuration(days.saturating_mul(DAY)),
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
                    mtbf: SimDuration(mtbf.ms().saturating_mul(10) / 3),
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
            patches: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn the_generated_fleet_year_is_the_one_built_in_code() {
        let d = |s: &str| parse_duration(s).unwrap();
        for (nodes, share, days, mtbf, check, seed) in [
            (10_000, 0.2, 365, "30d", "1m", 1),
            (777, 0.35, 50, "7d", "30s", 5),
            (3, 0.5, 1, "1s", "1ms", 0),
            (10, 0.2, 36500, "7300d", "36500d", i64::MAX as u64),
        ] {
            let old = fleet_year_in_code(nodes, share, days, d(mtbf), d(check), seed);
            let new = fleet_year(nodes, share, days, d(mtbf), d(check), seed, &[]).unwrap();
            assert_eq!(new.policy_overrides, vec!["check_interval".to_string()]);
            let new = Scenario {
                content_hash: 0,
                policy_overrides: vec![],
                ..new
            };
            assert!(new == old, "{nodes} nodes, mtbf {mtbf}, check {check}");
        }
        // A pool of no nodes is left out; the simulation is the same.
        let old = fleet_year_in_code(300, 0.0, 20, d("3d"), d("1m"), 3);
        let new = fleet_year(300, 0.0, 20, d("3d"), d("1m"), 3, &[]).unwrap();
        assert_eq!(new.fleet.pools.len(), 1);
        assert_eq!(new.fleet.nodes, old.fleet.nodes);
        assert_eq!(simulate_once(&new), simulate_once(&old));
    }

    #[test]
    fn set_changes_the_fleet_year() {
        let d = |s: &str| parse_duration(s).unwrap();
        let set = |a: &str| Patch::parse_set(a).unwrap();
        let sc = fleet_year(
            100,
            0.2,
            10,
            d("30d"),
            d("1m"),
            1,
            &[set("policy.check_interval=30s"), set("pools[1].count=7")],
        )
        .unwrap();
        assert_eq!(sc.policy.check_interval, d("30s"));
        assert_eq!(sc.fleet.len(), 87);
        assert_eq!(
            sc.patches,
            ["policy.check_interval=30s", "pools[1].count=7"]
        );
        let e = run(
            args(&["--nodes", "10", "--days", "1"]),
            &[set("policy.repair_delay=2x")],
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string()
                .starts_with("--set policy.repair_delay=2x: policy.repair_delay: bad duration"),
            "{e}"
        );
    }
}
