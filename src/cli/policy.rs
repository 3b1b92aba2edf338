//! `repairsim policy`: the effective policy table (parameter, value,
//! provenance), for a preset or for a scenario's `\[policy\]` table; with
//! `--keys`, every key a scenario may set. Both come from
//! `crate::policy::spec::SETTINGS`.

use super::{CliError, Out, load_scenario};
use crate::policy::Preset;
use crate::policy::params::{ParamRow, provenance_table};
use crate::policy::spec::{self, Section};
use crate::scenario::Patch;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A scenario whose `[policy]` and `[kubernetes]` tables to apply.
    #[arg(value_name = "SCENARIO", conflicts_with = "preset")]
    pub scenario: Option<PathBuf>,
    /// A preset: aks-2020-08, aks-2021-09, aks-2023-09, aks-2024-08 (default),
    /// aks-observed-2026, gke, eks, eks-auto, capi-mhc, nhc.
    /// `--set policy.KEY=VALUE` changes its parameters.
    #[arg(long)]
    pub preset: Option<String>,
    /// List every key of the policy and kubernetes tables instead: what a value
    /// is, its default under each preset, the presets it applies to and
    /// what it means.
    #[arg(long, conflicts_with_all = ["scenario", "preset"])]
    pub keys: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// A JSON array of {parameter, value, provenance}.
    Json,
    /// CSV with a header row.
    Csv,
    /// Markdown tables (with --keys: the README's key tables).
    Markdown,
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    if args.keys {
        return Out::stdout().print(&render_keys(args.format));
    }
    let (sc, title) = match &args.scenario {
        Some(path) => {
            let sc = load_scenario(Some(path), patches)?;
            let title = format!(
                "policy of scenario {} (preset {})",
                sc.name,
                sc.policy.preset.name()
            );
            (sc, title)
        }
        None => {
            // The preset replaces the default scenario's [policy] table; the
            // `--set` patches then change it like a scenario's.
            let name = args.preset.as_deref().unwrap_or(Preset::DEFAULT.name());
            let all: Vec<Patch> = std::iter::once(Patch::Preset(name.to_string()))
                .chain(patches.iter().cloned())
                .collect();
            let sc = load_scenario(None, &all)?;
            let default = if args.preset.is_none() && sc.policy.preset == Preset::DEFAULT {
                " (default)"
            } else {
                ""
            };
            let title = format!("preset {}{default}", sc.policy.preset.name());
            (sc, title)
        }
    };
    let title = if patches.is_empty() {
        title
    } else {
        let sets: Vec<String> = patches
            .iter()
            .map(|p| match p {
                Patch::PolicyFile(f) => format!("--policy-file {}", f.display()),
                p => format!("--set {p}"),
            })
            .collect();
        format!("{title} with {}", sets.join(" "))
    };
    let rows = provenance_table(&sc.policy, &sc.policy_overrides);
    Out::stdout().print(&render(&rows, args.format, &title))
}

/// Where the parameters and their provenance are specified, under the table.
pub const SPEC_LINE: &str =
    "# specified in docs/POLICY.md section 2 (AKS) and docs/PEERS.md (the peers)\n";

/// Renders the provenance table in `format`.
pub fn render(rows: &[ParamRow], format: Format, title: &str) -> String {
    match format {
        Format::Markdown => {
            let mut out =
                format!("## {title}\n\n| parameter | value | provenance |\n|---|---|---|\n");
            for r in rows {
                out.push_str(&format!(
                    "| `{}` | {} | {} |\n",
                    r.parameter, r.value, r.provenance
                ));
            }
            out
        }
        Format::Json => serde_json::to_string_pretty(rows).expect("rows serialize") + "\n",
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in rows {
                w.serialize(r).expect("rows serialize");
            }
            String::from_utf8(w.into_inner().expect("in memory")).expect("utf-8")
        }
        Format::Table => {
            let wp = rows
                .iter()
                .map(|r| r.parameter.len())
                .max()
                .unwrap_or(9)
                .max(9);
            let wv = rows.iter().map(|r| r.value.len()).max().unwrap_or(5).max(5);
            let mut out = format!(
                "# {title}\n{:wp$}  {:wv$}  provenance\n",
                "parameter", "value"
            );
            for r in rows {
                out.push_str(&format!(
                    "{:wp$}  {:wv$}  {}\n",
                    r.parameter, r.value, r.provenance
                ));
            }
            out.push_str(SPEC_LINE);
            out
        }
    }
}

/// The keys of `[kubernetes]` and `[policy]` in `format`.
pub fn render_keys(format: Format) -> String {
    let rows = spec::key_rows();
    match format {
        Format::Json => serde_json::to_string_pretty(&rows).expect("rows serialize") + "\n",
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in &rows {
                w.serialize(r).expect("rows serialize");
            }
            String::from_utf8(w.into_inner().expect("in memory")).expect("utf-8")
        }
        Format::Markdown => format!(
            "### `[kubernetes]`\n\n{}\n### `[policy]`\n\n{}",
            spec::markdown(Section::Kubernetes),
            spec::markdown(Section::Policy)
        ),
        Format::Table => {
            let mut out = String::new();
            let mut table = "";
            for r in &rows {
                if r.table != table {
                    table = r.table;
                    out.push_str(&format!(
                        "{}[{table}]\n",
                        if out.is_empty() { "" } else { "\n" }
                    ));
                }
                let presets = match r.presets {
                    "periodic" => "; periodic presets only",
                    "event" => "; event-driven presets only",
                    _ => "",
                };
                out.push_str(&format!(
                    "  {}: {}{presets}\n    default {}\n    {}\n",
                    r.key,
                    r.value.replace('`', ""),
                    r.default.replace('`', ""),
                    r.meaning.replace('`', "")
                ));
            }
            out
        }
    }
}
