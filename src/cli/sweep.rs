//! `repairsim sweep [SCENARIO]`: many replications of a scenario, or of
//! every point of a grid of settings, with 95% confidence intervals.

use super::run::out_err;
use super::{CliError, load_scenario, progress};
use crate::budget::Estimate;
use crate::mc::metrics::metric_defs;
use crate::mc::metrics::shown_metrics;
use crate::mc::runner;
use crate::mc::shard::{Header, PointKey, ShardSet};
use crate::mc::sweep::{
    Point, SweepInfo, replication_row, replications_header, run_point, settings_label,
    summary_json, summary_md, sweep_header, sweep_row,
};
use crate::mc::{Stop, Target, UNTIL_CI_MIN, format_value, parse_until_ci};
use crate::report::figures::sweep_charts;
use crate::report::{Staging, csv_bytes, csv_writer};
use crate::scenario::Patch;
use std::path::{Path, PathBuf};

/// How many replications, and on how many threads: shared by `sweep` and `compare`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReplicationArgs {
    /// Replications per point (replication r draws from streams of (seed, r)).
    #[arg(long, short = 'n', default_value_t = 100, conflicts_with = "until_ci")]
    pub replications: u64,
    /// Add replications until the 95% interval of METRIC is at most
    /// HALFWIDTH on each side of the mean, e.g. time_to_recover_mean_ms=15s
    /// or availability=0.0001 (at least 10, at most --max-replications).
    #[arg(long, value_name = "METRIC=HALFWIDTH")]
    pub until_ci: Option<String>,
    /// The most replications --until-ci may run. Stopping there with the
    /// target unmet is a warning on stderr and `target_met: false` in the
    /// JSON outputs.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub max_replications: u64,
    /// Exit 1 when --until-ci stops at --max-replications with its target
    /// unmet (the outputs are written all the same), for CI.
    #[arg(long, requires = "until_ci")]
    pub require_ci: bool,
    /// Worker threads (0: one per core). Outputs are the same for any value.
    #[arg(long, default_value_t = 0, value_name = "N",
          value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    /// With --until-ci: check the target only after every R replications
    /// (default: after each). A sharded --until-ci run needs it: each
    /// round of R replications is one set of shards.
    #[arg(long, value_name = "R", requires = "until_ci",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub round_size: Option<u64>,
    /// With --shard and --round-size: the round this shard runs (1, 2,
    /// ...): replications (J-1)*R to J*R-1 of every point.
    #[arg(long, value_name = "J", default_value_t = 1, help_heading = "Sharding",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub round: u64,
}

impl ReplicationArgs {
    /// The stopping rule and its description for the outputs; `watched`
    /// says whose interval `--until-ci` watches, e.g. "the 95% interval of".
    pub fn stop(&self, watched: &str) -> Result<(Stop, String), CliError> {
        match &self.until_ci {
            // clap's `requires` lets `-n N --require-ci` through.
            None if self.round_size.is_some() => Err(CliError::Input(
                "--round-size: only with --until-ci (it says how often the target is checked); \
                 a fixed count of replications runs as one round"
                    .into(),
            )),
            None if self.require_ci => Err(CliError::Input(
                "--require-ci: it needs --until-ci (a fixed count of replications has no \
                 target to miss)"
                    .into(),
            )),
            None => {
                if self.replications == 0 {
                    return Err(CliError::Input("--replications: must be at least 1".into()));
                }
                Ok((
                    Stop::Fixed(self.replications),
                    format!("fixed {} replications", self.replications),
                ))
            }
            Some(spec) => {
                let (metric, half_width) = parse_until_ci(spec).map_err(CliError::Input)?;
                if self.max_replications < UNTIL_CI_MIN {
                    return Err(CliError::Input(format!(
                        "--max-replications: must be at least {UNTIL_CI_MIN} with --until-ci"
                    )));
                }
                let def = &metric_defs()[metric];
                let (name, limit) = (&def.name, format_value(def.unit, half_width));
                let every = self.round_size.unwrap_or(1);
                Ok((
                    Stop::UntilCi {
                        metric,
                        half_width,
                        min: UNTIL_CI_MIN,
                        max: self.max_replications,
                        every,
                    },
                    format!(
                        "until the half-width of {watched} {name} is at most {limit} \
                         (at least {UNTIL_CI_MIN}, at most {} replications{})",
                        self.max_replications,
                        if every > 1 {
                            format!(", checked every {every}")
                        } else {
                            String::new()
                        }
                    ),
                ))
            }
        }
    }

    /// Warns on stderr about every target missed (`where_`: which point
    /// or comparison), and with `--require-ci` turns a miss into exit 1.
    pub fn report_targets<'t>(
        &self,
        missed: impl IntoIterator<Item = (String, &'t Target)>,
    ) -> Result<(), CliError> {
        let mut failures = 0;
        for (where_, t) in missed {
            if let Some(w) = t.shortfall() {
                super::eprint_line(&format!("warning: {where_}: {w}"));
                failures += 1;
            }
        }
        if self.require_ci && failures > 0 {
            return Err(CliError::Failed(format!(
                "--require-ci: {} --until-ci target(s) not met (the warnings above say by how \
                 much); the outputs are written",
                failures
            )));
        }
        Ok(())
    }

    /// Refuses `--round` other than 1 without `--shard`: nothing is run
    /// in rounds on one machine.
    pub fn no_round(&self) -> Result<(), CliError> {
        if self.round != 1 {
            return Err(CliError::Input(format!(
                "--round {}: only with --shard (a round is one set of shards); on one machine, \
                 --round-size alone checks the target every R replications",
                self.round
            )));
        }
        Ok(())
    }

    /// A shard's round of `stop`'s replications.
    pub fn round_span(&self, stop: Stop) -> Result<crate::mc::shard::Span, CliError> {
        super::shard::round_span(stop, self.round, self.round_size)
    }

    pub fn pool(&self) -> Result<rayon::ThreadPool, CliError> {
        runner::pool(usize::from(self.threads)).map_err(CliError::Output)
    }
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  repairsim sweep scenarios/default.toml --replications 1000 --out out/sweep
  repairsim sweep --grid policy.repair_delay=1m,2m,5m,10m --replications 200
  repairsim sweep --grid policy.repair_delay=2m,5m --grid policy.max_concurrent_repairs=1,unlimited
  repairsim sweep --until-ci time_to_recover_mean_ms=10s

METRIC (--until-ci) is any metric column of replications.csv: time_to_recover_mean_ms,
time_to_recover_p50_ms, time_to_recover_p99_ms, time_to_detect_mean_ms, failed_repairs,
needless_repairs, not_ready_node_hours, availability, incidents, incidents_<outcome>
(e.g. incidents_gave_up_timeout), actions_reboot, actions_reimage, actions_redeploy,
action_errors.

Outputs in --out: replications.csv (one row per point and replication),
sweep.csv (one row per point: mean and 95% CI of every metric),
summary.json and summary.md (the same, with the pooled time to recover).")]
pub struct Args {
    /// Scenario file (TOML); without it, the embedded default scenario.
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// A grid axis: KEY=V1,V2,... (any key --set takes). Several --grid
    /// flags run every combination; the first varies slowest.
    #[arg(long, value_name = "KEY=V1,V2,...")]
    pub grid: Vec<String>,
    #[command(flatten)]
    pub reps: ReplicationArgs,
    /// Directory for the outputs [default: out/NAME-sweep; with --shard,
    /// the directory of the shard files: out/NAME-sweep-shards].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub shard: super::shard::ShardArgs,
    /// Write no charts (SVG and PNG).
    #[arg(long)]
    pub no_charts: bool,
    /// Print nothing on success (and draw no progress bar).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Splits `s` at the commas outside brackets and braces, so that
/// `[reboot,reimage],[reboot]` is two values.
pub fn split_top_level(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut cur) = (0i32, String::new());
    for c in s.chars() {
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

/// A `--grid KEY=V1,V2` axis: the key and its values.
pub fn parse_axis(spec: &str) -> Result<(String, Vec<String>), CliError> {
    let bad = |why: &str| {
        CliError::Input(format!(
            "--grid {spec}: {why}; expected KEY=V1,V2,..., e.g. policy.repair_delay=1m,2m,5m"
        ))
    };
    let (key, values) = spec.split_once('=').ok_or_else(|| bad("no '='"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(bad("empty key"));
    }
    let values: Vec<String> = split_top_level(values)
        .into_iter()
        .map(|v| v.trim().to_string())
        .collect();
    if values.iter().any(|v| v.is_empty()) {
        return Err(bad("empty value"));
    }
    Ok((key.to_string(), values))
}

/// Every combination of the axes' values, the first axis slowest.
pub fn product(axes: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut points: Vec<Vec<(String, String)>> = vec![vec![]];
    for (key, values) in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((key.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// Loads a grid point's scenario: the global patches, then the point's.
/// Points are loaded one at a time, when needed: a grid holds its
/// settings, never every point's scenario at once.
fn point(
    scenario: Option<&Path>,
    patches: &[Patch],
    settings: Vec<(String, String)>,
) -> Result<Point, CliError> {
    let mut all = patches.to_vec();
    for (k, v) in &settings {
        all.push(Patch::Set {
            key: k.clone(),
            value: v.clone(),
        });
    }
    // An error in a grid value names the --grid flag, not --set.
    let scenario = load_scenario(scenario, &all).map_err(|e| match e {
        CliError::Input(m) => CliError::Input(settings.iter().fold(m, |m, (k, v)| {
            m.replacen(&format!("--set {k}={v}:"), &format!("--grid {k}={v}:"), 1)
        })),
        other => other,
    })?;
    Ok(Point { settings, scenario })
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    run_with(args, patches, None)
}

/// `sweep`; with `merged`, the replications are read from its shard files
/// instead of simulated (`repairsim merge`).
pub fn run_with(
    args: Args,
    patches: &[Patch],
    merged: Option<&mut ShardSet>,
) -> Result<(), CliError> {
    let axes = args
        .grid
        .iter()
        .map(|g| parse_axis(g))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, (key, _)) in axes.iter().enumerate() {
        if axes[..i].iter().any(|(k, _)| k == key) {
            return Err(CliError::Input(format!(
                "--grid {key}: the key is on two --grid flags; give all its values to one"
            )));
        }
    }
    let (stop, rule) = args.reps.stop("the 95% interval of")?;
    let plan = super::shard::plan(&args.shard, merged.is_some(), stop.max(), || {
        args.reps.round_span(stop)
    })?;
    if plan.shard.is_none() {
        args.reps.no_round()?;
    }
    let simulated = plan.simulated;
    let threads = super::workers(args.reps.threads).min(simulated.max(1));
    // The scenario as every point starts from: the file and the --sets.
    let base = &load_scenario(args.scenario.as_deref(), patches)?;
    // Before any point is made: every point costs about what the base does.
    let count = axes
        .iter()
        .fold(1u128, |n, (_, v)| n.saturating_mul(v.len() as u128));
    let mut estimate = Estimate::runs(base, count.saturating_mul(u128::from(simulated)), threads);
    estimate.work = estimate
        .work
        .saturating_add(count.saturating_mul(u128::from(crate::budget::POINT_WORK)));
    if count > 1 {
        estimate.what = format!("{} grid points: {}", count, estimate.what);
    }
    super::within_budget("sweep", &estimate)?;
    let grid = product(&axes);
    // Exactly, point by point, with every point's vocabulary (a grid may
    // change the preset); each scenario is dropped once read.
    let mut exact = Estimate::default();
    let mut vocabulary: Option<crate::policy::providers::Vocabulary> = None;
    let mut keys = Vec::with_capacity(grid.len());
    for settings in &grid {
        let p = point(args.scenario.as_deref(), patches, settings.clone())?;
        let e = Estimate::runs(&p.scenario, u128::from(simulated), threads);
        exact.work = exact.work.saturating_add(e.work);
        exact.memory = exact.memory.max(e.memory);
        let v = p.scenario.vocabulary();
        vocabulary = Some(match vocabulary {
            Some(u) => u.union(&v),
            None => v,
        });
        keys.push(PointKey::of(settings_label(&p.settings), &[&p.scenario]));
    }
    exact.what = format!(
        "{} grid point{}, up to {} replications each",
        grid.len(),
        if grid.len() == 1 { "" } else { "s" },
        simulated
    );
    super::within_budget("sweep", &exact)?;
    let pool = args.reps.pool()?;
    if let Some((shard, span)) = plan.shard {
        let header = Header::new(
            "sweep",
            super::shard::argv()?,
            base,
            &rule,
            args.reps.round_size,
            keys,
            shard,
            args.reps.round,
            span,
        );
        return super::shard::write(args.out.as_deref(), header, &pool, args.quiet, |run| {
            for (i, settings) in grid.into_iter().enumerate() {
                run(
                    i,
                    &[&point(args.scenario.as_deref(), patches, settings)?.scenario],
                )?;
            }
            Ok(())
        });
    }
    let mut source = super::shard::source(merged, &keys, &pool)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("{}-sweep", base.name)));
    let err = out_err(&out);
    let grid_keys: Vec<String> = axes.iter().map(|(k, _)| k.clone()).collect();
    let info = SweepInfo {
        scenario: base.name.clone(),
        content_hash: format!("{:016x}", base.content_hash),
        seed: base.seed,
        patches: patches.iter().map(|p| p.label()).collect(),
        grid: grid_keys.clone(),
        stopping_rule: rule,
        // Every point's vocabulary: a grid may change the preset.
        shown: vocabulary.map_or_else(Vec::new, |v| shown_metrics(&v)),
        stop,
    };

    let mut staging = Staging::new(&out).map_err(&err)?;
    let file = staging.create("replications.csv").map_err(&err)?;
    let mut rows = csv_writer(std::io::BufWriter::new(file));
    rows.write_record(replications_header(&grid_keys, &info.shown))
        .map_err(|e| err(e.into()))?;
    let bar = progress::bar(
        stop.max().saturating_mul(grid.len() as u64),
        matches!(stop, Stop::UntilCi { .. }),
        args.quiet,
    );
    let total = grid.len();
    let mut summaries = Vec::with_capacity(total);
    for (i, settings) in grid.into_iter().enumerate() {
        let p = &point(args.scenario.as_deref(), patches, settings)?;
        bar.set_message(format!("point {}/{total}", i + 1));
        let s = run_point(
            &mut source,
            i,
            p,
            stop,
            |r| {
                rows.write_record(replication_row(i, &p.settings, r, &info.shown))
                    .map_err(|e| err(e.into()))
            },
            || bar.inc(1),
        )?;
        summaries.push(s);
    }
    bar.finish_and_clear();
    rows.flush().map_err(&err)?;
    drop(rows);

    let sweep_rows = summaries
        .iter()
        .enumerate()
        .map(|(i, s)| sweep_row(i, s, &info.shown));
    let header = sweep_header(&grid_keys, &info.shown);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    staging
        .write("sweep.csv", &csv_bytes(&header, sweep_rows).map_err(&err)?)
        .map_err(&err)?;
    staging
        .write("summary.json", summary_json(&info, &summaries).as_bytes())
        .map_err(&err)?;
    if !args.no_charts {
        crate::report::stage_charts(&mut staging, &sweep_charts(&summaries)).map_err(&err)?;
    }
    let md = summary_md(&info, &summaries);
    staging.write("summary.md", md.as_bytes()).map_err(&err)?;
    let written = staging.commit().map_err(&err)?;

    super::print_result(args.quiet, &md, "outputs", &out, written.len())?;
    let targets: Vec<(String, Target)> = summaries
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let t = s.target(stop)?;
            Some((format!("point {i} ({})", settings_label(&s.settings)), t))
        })
        .collect();
    args.reps
        .report_targets(targets.iter().map(|(w, t)| (w.clone(), t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_split_outside_brackets() {
        assert_eq!(split_top_level("1m,2m,5m"), ["1m", "2m", "5m"]);
        assert_eq!(
            split_top_level("[reboot,reimage],[reboot]"),
            ["[reboot,reimage]", "[reboot]"]
        );
        assert_eq!(split_top_level("{ a = 1, b = 2 }"), ["{ a = 1, b = 2 }"]);
    }

    #[test]
    fn axes_and_their_product() {
        let a = parse_axis("policy.repair_delay=1m, 2m").unwrap();
        assert_eq!(
            a,
            ("policy.repair_delay".into(), vec!["1m".into(), "2m".into()])
        );
        let b = parse_axis("seed=1,2,3").unwrap();
        let p = product(&[a, b]);
        assert_eq!(p.len(), 6);
        assert_eq!(
            p[1],
            [
                ("policy.repair_delay".to_string(), "1m".to_string()),
                ("seed".to_string(), "2".to_string())
            ]
        );
        assert_eq!(product(&[]), vec![vec![]]);
        for bad in ["policy.repair_delay", "=1m", "seed=1,,2"] {
            let e = parse_axis(bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--grid {bad}:")), "{e}");
        }
    }
}
