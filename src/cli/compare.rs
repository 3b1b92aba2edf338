//! `repairsim compare [SCENARIO] --candidate SPEC`: a baseline and
//! candidates on the same replications, with paired-t intervals and verdicts.

use super::sweep::{ReplicationArgs, split_top_level};
use super::{CliError, load_scenario, progress};
use crate::mc::Stop;
use crate::mc::compare::{CSV_HEADER, Side, csv_rows, run_compare, to_json, to_markdown};
use crate::mc::csv_number;
use crate::mc::metrics::shown_for;
use crate::mc::shard::{Header, PointKey, ShardSet};
use crate::mc::sweep::replications_header;
use crate::report::figures::compare_charts;
use crate::report::{Staging, csv_bytes, csv_writer};
use crate::scenario::Patch;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
#[command(after_help = "A SPEC is one or more comma-separated terms:
  preset=NAME        the policy is exactly this preset (aks-2020-08, aks-2021-09,
                     aks-2023-09, aks-2024-08, aks-observed-2026, gke, eks,
                     eks-auto, capi-mhc, nhc), replacing the scenario's [policy]
  policy=FILE        the policy is this TOML file of [policy] keys
  set=KEY=VALUE      any --set override (repeat the term for several)
  name=LABEL         what the outputs call this side [default: the spec]
A side's preset= or policy= applies first, then the global --set flags, then its set= terms.

Examples:
  repairsim compare --candidate set=policy.repair_delay=2m
  repairsim compare scenarios/default.toml --baseline preset=aks-2024-08 \\
      --candidate set=policy.repair_delay=2m --replications 500 --out out/delay2m
  repairsim compare scenarios/zonal-outage-unlimited.toml --candidate set=policy.max_concurrent_repairs=1
  repairsim compare --candidate preset=aks-2023-09 --candidate preset=aks-2021-09

Every side runs on the same replications: the same fault onsets and the same
self-heal instants on every node (common random numbers), so the paired
differences measure the policy. With several candidates the intervals are
Bonferroni-corrected. Verdicts: better, worse, no significant difference
(higher or lower for counts with no better direction), and `conflict: see
warnings` for a time metric that improved while failed repairs, not-Ready
node-hours or availability got significantly worse.

Outputs in --out: compare.csv, compare.json, compare.md (the markdown table, also
printed on standard output), replications.csv (one row per side and replication).")]
pub struct Args {
    /// Scenario file (TOML); without it, the embedded default scenario.
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<PathBuf>,
    /// The baseline [default: the scenario as written].
    #[arg(long, value_name = "SPEC")]
    pub baseline: Option<String>,
    /// A candidate; repeat for several.
    #[arg(long, value_name = "SPEC", required = true)]
    pub candidate: Vec<String>,
    #[command(flatten)]
    pub reps: ReplicationArgs,
    /// Directory for the outputs [default: out/NAME-compare; with --shard,
    /// the directory of the shard files: out/NAME-compare-shards].
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

/// A parsed side: its label and its patches.
#[derive(Debug, PartialEq)]
pub struct SideSpec {
    pub label: String,
    pub patches: Vec<Patch>,
}

/// Parses `preset=NAME,set=KEY=VALUE,name=LABEL,...` (commas inside
/// brackets belong to a value).
pub fn parse_side(flag: &str, spec: &str) -> Result<SideSpec, CliError> {
    let mut patches = Vec::new();
    let mut label = None;
    // A comma that does not start a new term belongs to the previous value.
    let mut terms: Vec<String> = Vec::new();
    for part in split_top_level(spec) {
        let starts_term = ["preset=", "policy=", "set=", "name="]
            .iter()
            .any(|p| part.trim_start().starts_with(p));
        match terms.last_mut() {
            Some(last) if !starts_term => {
                last.push(',');
                last.push_str(&part);
            }
            _ => terms.push(part),
        }
    }
    for term in &terms {
        let term = term.trim();
        let bad = || {
            CliError::Input(format!(
                "{flag} {spec}: {term:?} is not a term; expected preset=NAME, policy=FILE, \
                 set=KEY=VALUE or name=LABEL, comma-separated"
            ))
        };
        let (kind, value) = term.split_once('=').ok_or_else(bad)?;
        match kind {
            "preset" => {
                // Named here, as a term of this side: the scenario's loader
                // would call it `--preset`, a flag of its own.
                if crate::policy::params::Preset::parse(value).is_none() {
                    return Err(CliError::Input(format!(
                        "{flag} {spec}: preset={value}: unknown preset; expected one of {}",
                        crate::policy::params::Preset::names()
                    )));
                }
                patches.push(Patch::Preset(value.to_string()))
            }
            "policy" => patches.push(Patch::PolicyFile(PathBuf::from(value))),
            "set" => patches.push(Patch::parse_set(value)?),
            "name" => label = Some(value.to_string()),
            _ => return Err(bad()),
        }
    }
    if patches.is_empty() && label.is_none() {
        return Err(CliError::Input(format!(
            "{flag} {spec}: empty; expected preset=NAME, policy=FILE or set=KEY=VALUE"
        )));
    }
    Ok(SideSpec {
        label: label.unwrap_or_else(|| spec.to_string()),
        patches,
    })
}

/// A side's patches in the order they apply. The global `--policy-file`
/// is the scenario's policy; a side's `preset=` and `policy=` replace the
/// whole `[policy]` table, so they go next; then the global `--set`s;
/// then the side's own `set=` terms. So `--set policy.settle=2m` applies
/// to a side that is a preset too, and a side with only `set=` terms
/// changes the global policy file.
pub fn side_patches(global: &[Patch], side: Vec<Patch>) -> Vec<Patch> {
    let is_set = |p: &Patch| matches!(p, Patch::Set { .. });
    let (side_tables, sets): (Vec<Patch>, Vec<Patch>) = side.into_iter().partition(|p| !is_set(p));
    let mut all: Vec<Patch> = global.iter().filter(|p| !is_set(p)).cloned().collect();
    all.extend(side_tables);
    all.extend(global.iter().filter(|p| is_set(p)).cloned());
    all.extend(sets);
    all
}

/// Loads a side of the scenario at `scenario`.
fn side(scenario: Option<&Path>, global: &[Patch], spec: SideSpec) -> Result<Side, CliError> {
    Ok(Side {
        scenario: load_scenario(scenario, &side_patches(global, spec.patches))?,
        label: spec.label,
    })
}

/// Checks that no two sides share a label.
pub fn unique_label(taken: &[String], flag_value: &str, label: &str) -> Result<(), CliError> {
    if taken.iter().any(|l| l == label) {
        return Err(CliError::Input(format!(
            "--candidate {flag_value}: another side is already called {label:?}; give each side its own name=LABEL"
        )));
    }
    Ok(())
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    run_with(args, patches, None)
}

/// `compare`; with `merged`, the replications are read from its shard
/// files instead of simulated (`repairsim merge`).
pub fn run_with(
    args: Args,
    patches: &[Patch],
    merged: Option<&mut ShardSet>,
) -> Result<(), CliError> {
    let path = args.scenario.as_deref();
    let baseline = match &args.baseline {
        Some(spec) => parse_side("--baseline", spec)?,
        None => SideSpec {
            label: "the scenario as written".into(),
            patches: vec![],
        },
    };
    let mut sides = vec![side(path, patches, baseline)?];
    for c in &args.candidate {
        let spec = parse_side("--candidate", c)?;
        let taken: Vec<String> = sides.iter().map(|s| s.label.clone()).collect();
        unique_label(&taken, c, &spec.label)?;
        sides.push(side(path, patches, spec)?);
    }
    let (stop, rule) = args
        .reps
        .stop("every candidate's interval of the difference in")?;
    let plan = super::shard::plan(&args.shard, merged.is_some(), stop.max(), || {
        args.reps.round_span(stop)
    })?;
    if plan.shard.is_none() {
        args.reps.no_round()?;
    }
    let simulated = plan.simulated;
    let pool = args.reps.pool()?;
    let mut estimate = crate::budget::Estimate::default();
    for s in &sides {
        estimate = estimate.then(crate::budget::Estimate::runs(
            &s.scenario,
            u128::from(simulated),
            super::workers(args.reps.threads).min(simulated.max(1)),
        ));
    }
    super::within_budget("compare", &estimate)?;
    let base = sides[0].scenario.clone();
    let keys = vec![PointKey::of(
        "compare".into(),
        &sides.iter().map(|s| &s.scenario).collect::<Vec<_>>(),
    )];
    if let Some((shard, span)) = plan.shard {
        let header = Header::new(
            "compare",
            super::shard::argv()?,
            &base,
            &rule,
            args.reps.round_size,
            keys,
            shard,
            args.reps.round,
            span,
        );
        let scenarios: Vec<&crate::scenario::Scenario> =
            sides.iter().map(|s| &s.scenario).collect();
        return super::shard::write(args.out.as_deref(), header, &pool, args.quiet, |run| {
            run(0, &scenarios)
        });
    }
    let mut source = super::shard::source(merged, &keys, &pool)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("{}-compare", base.name)));
    let err = super::run::out_err(&out);

    let mut staging = Staging::new(&out).map_err(&err)?;
    let file = staging.create("replications.csv").map_err(&err)?;
    let mut rows = csv_writer(std::io::BufWriter::new(file));
    let shown = shown_for(sides.iter().map(|s| &s.scenario));
    let mut header = replications_header(&["label".to_string()], &shown);
    header[0] = "side".into();
    rows.write_record(header).map_err(|e| err(e.into()))?;
    let bar = progress::bar(stop.max(), matches!(stop, Stop::UntilCi { .. }), args.quiet);
    let labels: Vec<String> = sides.iter().map(|s| s.label.clone()).collect();
    let cmp = run_compare(
        &mut source,
        &sides,
        stop,
        |i, r| {
            let mut row = vec![i.to_string(), labels[i].clone(), r.replication.to_string()];
            row.extend(shown.iter().map(|&m| csv_number(r.values[m])));
            rows.write_record(row).map_err(|e| err(e.into()))
        },
        || bar.inc(1),
    )?;
    bar.finish_and_clear();
    rows.flush().map_err(&err)?;
    drop(rows);

    let csv = csv_bytes(&CSV_HEADER, csv_rows(&cmp)).map_err(&err)?;
    staging.write("compare.csv", &csv).map_err(&err)?;
    staging
        .write("compare.json", to_json(&cmp, &base, stop, &rule).as_bytes())
        .map_err(&err)?;
    if !args.no_charts {
        crate::report::stage_charts(&mut staging, &compare_charts(&cmp)).map_err(&err)?;
    }
    let table = format!("{}\n", to_markdown(&cmp, &base, stop));
    staging
        .write("compare.md", table.as_bytes())
        .map_err(&err)?;
    let written = staging.commit().map_err(&err)?;
    super::print_result(args.quiet, &table, "outputs", &out, written.len())?;
    for w in cmp.warnings() {
        super::eprint_line(&format!("warning: {w}"));
    }
    let target = cmp.target(stop);
    args.reps
        .report_targets(target.iter().map(|t| ("compare".to_string(), t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(k: &str, v: &str) -> Patch {
        Patch::Set {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn side_specs() {
        let s = parse_side("--candidate", "set=policy.repair_delay=2m").unwrap();
        assert_eq!(s.label, "set=policy.repair_delay=2m");
        assert_eq!(s.patches, vec![set("policy.repair_delay", "2m")]);

        let s = parse_side(
            "--candidate",
            "preset=aks-2023-09,set=policy.ladder_linux=[reboot,reimage],name=old",
        )
        .unwrap();
        assert_eq!(s.label, "old");
        assert_eq!(
            s.patches,
            vec![
                Patch::Preset("aks-2023-09".into()),
                set("policy.ladder_linux", "[reboot,reimage]")
            ]
        );
        let s = parse_side("--baseline", "policy=p.toml").unwrap();
        assert_eq!(s.patches, vec![Patch::PolicyFile("p.toml".into())]);

        let e = parse_side("--candidate", "preset=nope,name=x").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--candidate preset=nope,name=x: preset=nope: unknown preset; expected one of aks-2020-08"),
            "{e}"
        );
        let e = parse_side("--candidate", "repair_delay=2m").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("expected preset=NAME"), "{e}");
        assert!(parse_side("--candidate", "").is_err());
    }
}
