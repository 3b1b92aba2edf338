//! A Cluster API `MachineHealthCheck` (PEERS.md section 3) read into
//! preset `capi-mhc`, with the `maxInFlight` of the `MachineDeployment`s in
//! the same file.
//!
//! | field (v1beta2; v1beta1) | `[policy]` key |
//! |---|---|
//! | `checks.unhealthyNodeConditions` (`unhealthyConditions`), Ready | `unhealthy_false_after`, `unhealthy_unknown_after` |
//! | `checks.nodeStartupTimeoutSeconds` (`nodeStartupTimeout`) | `node_startup_timeout` |
//! | `remediation.triggerIf.unhealthyLessThanOrEqualTo` (`maxUnhealthy`) | `max_unhealthy` |
//! | `remediation.triggerIf.unhealthyInRange` (`unhealthyRange`) | `unhealthy_range` |
//! | MachineDeployment `spec.remediation.maxInFlight` (`spec.strategy.remediation.maxInFlight`) | `max_in_flight` |

use super::{
    Finding, Obj, Reader, api_version, conditions, duration_literal, join, object_names, pick,
};
use crate::time::SimDuration;
use saphyr::MarkedYaml;

const MHC_API: [&str; 2] = ["cluster.x-k8s.io/v1beta1", "cluster.x-k8s.io/v1beta2"];

/// Which API version the object is written in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1Beta1,
    V1Beta2,
}

fn version(r: &Reader, o: &Obj, kind: &str) -> Result<Version, Finding> {
    Ok(match api_version(r, o, kind, &MHC_API)? {
        0 => Version::V1Beta1,
        _ => Version::V1Beta2,
    })
}

pub(super) fn read(
    r: &mut Reader,
    mhcs: Vec<Obj>,
    mds: Vec<Obj>,
    select: Option<&str>,
) -> Result<(), Finding> {
    let names = object_names(r, &mhcs);
    let mhc = pick(
        mhcs,
        &names,
        select,
        "MachineHealthCheck",
        "MachineHealthChecks",
    )?;
    let v = version(r, &mhc, "MachineHealthCheck")?;
    let kind = r.child(mhc.node, "kind").unwrap_or(mhc.node);
    r.set(
        "preset",
        "\"capi-mhc\"".into(),
        kind,
        &join(&mhc.path, "kind"),
    );
    for (name, node, field) in r.fields(
        mhc.node,
        &mhc.path,
        &["apiVersion", "kind", "metadata", "spec", "status"],
    )? {
        match name {
            "metadata" => paused(r, node, &field)?,
            "spec" => match v {
                Version::V1Beta1 => spec_v1beta1(r, node, &field)?,
                Version::V1Beta2 => spec_v1beta2(r, node, &field)?,
            },
            // The observed state, not configuration.
            _ => {}
        }
    }
    if r.child(mhc.node, "spec").is_none() {
        return Err(r.err(
            mhc.node,
            &mhc.path,
            "the MachineHealthCheck has no spec".into(),
        ));
    }
    in_flight(r, mds)
}

/// A paused MachineHealthCheck remediates nothing: refused, not simulated
/// as an empty policy.
fn paused(r: &Reader, meta: &MarkedYaml, field: &str) -> Result<(), Finding> {
    if let Some(a) = r.child(meta, "annotations")
        && let Some(p) = r.child(a, "cluster.x-k8s.io/paused")
    {
        return Err(r.err(
            p,
            &join(&join(field, "annotations"), "cluster.x-k8s.io/paused"),
            "the MachineHealthCheck is paused, so it would remediate nothing; remove the \
             annotation, and give the pause a window with a [[pauses]] table of the scenario \
             (from, until, pool)"
                .into(),
        ));
    }
    Ok(())
}

fn spec_v1beta1(r: &mut Reader, spec: &MarkedYaml, path: &str) -> Result<(), Finding> {
    let fields = r.fields(
        spec,
        path,
        &[
            "clusterName",
            "selector",
            "unhealthyConditions",
            "unhealthyMachineConditions",
            "maxUnhealthy",
            "unhealthyRange",
            "nodeStartupTimeout",
            "remediationTemplate",
        ],
    )?;
    let mut saw_conditions = false;
    for (name, node, field) in &fields {
        match *name {
            "unhealthyConditions" => {
                saw_conditions = true;
                conditions(r, node, field, "timeout")?;
            }
            "unhealthyMachineConditions" => machine_conditions(r, node, field),
            "maxUnhealthy" => {
                let v = r.int_or_percent(node, field)?;
                r.set("max_unhealthy", v, node, field);
            }
            "nodeStartupTimeout" => {
                let d = r.go_duration(node, field)?;
                r.set("node_startup_timeout", duration_literal(d), node, field);
            }
            "remediationTemplate" => return Err(external(r, node, field)),
            _ => {}
        }
    }
    if let Some((_, node, field)) = fields.iter().find(|(n, ..)| *n == "unhealthyRange") {
        range(
            r,
            node,
            field,
            fields.iter().find(|(n, ..)| *n == "maxUnhealthy"),
        )?;
    }
    if !saw_conditions {
        no_conditions(r, spec, path);
    }
    Ok(())
}

fn spec_v1beta2(r: &mut Reader, spec: &MarkedYaml, path: &str) -> Result<(), Finding> {
    let mut saw_conditions = false;
    for (name, node, field) in r.fields(
        spec,
        path,
        &["clusterName", "selector", "checks", "remediation"],
    )? {
        match name {
            "checks" => {
                for (name, node, field) in r.fields(
                    node,
                    &field,
                    &[
                        "nodeStartupTimeoutSeconds",
                        "unhealthyNodeConditions",
                        "unhealthyMachineConditions",
                    ],
                )? {
                    match name {
                        "nodeStartupTimeoutSeconds" => {
                            let s = r.int(node, &field, 0, i64::from(i32::MAX))?;
                            let d = SimDuration::from_secs(s as u64);
                            r.set("node_startup_timeout", duration_literal(d), node, &field);
                        }
                        "unhealthyNodeConditions" => {
                            saw_conditions = true;
                            conditions(r, node, &field, "timeoutSeconds")?;
                        }
                        _ => machine_conditions(r, node, &field),
                    }
                }
            }
            "remediation" => {
                for (name, node, field) in r.fields(node, &field, &["triggerIf", "templateRef"])? {
                    if name == "templateRef" {
                        return Err(external(r, node, &field));
                    }
                    let fields = r.fields(
                        node,
                        &field,
                        &["unhealthyLessThanOrEqualTo", "unhealthyInRange"],
                    )?;
                    let le = fields
                        .iter()
                        .find(|(n, ..)| *n == "unhealthyLessThanOrEqualTo");
                    if let Some((_, node, field)) = le {
                        let v = r.int_or_percent(node, field)?;
                        r.set("max_unhealthy", v, node, field);
                    }
                    if let Some((_, node, field)) =
                        fields.iter().find(|(n, ..)| *n == "unhealthyInRange")
                    {
                        range(r, node, field, le)?;
                    }
                }
            }
            _ => {}
        }
    }
    if !saw_conditions {
        no_conditions(r, spec, path);
    }
    Ok(())
}

/// `unhealthyInRange` (`unhealthyRange`), which takes precedence over the
/// count or percentage beside it.
fn range(
    r: &mut Reader,
    node: &MarkedYaml,
    field: &str,
    le: Option<&(&str, &MarkedYaml, String)>,
) -> Result<(), Finding> {
    let text = r.str(node, field)?;
    if crate::scenario::load::parse_range(text).is_none() {
        return Err(r.err(
            node,
            field,
            format!("expected a range such as \"[3-5]\" (both ends included), found {text:?}"),
        ));
    }
    if let Some((_, n, f)) = le {
        r.warn(
            n,
            f,
            format!("{field} takes precedence over it (Cluster API); this value is not used"),
        );
        r.settings.retain(|s| s.key != "max_unhealthy");
    }
    r.set("unhealthy_range", format!("{text:?}"), node, field);
    Ok(())
}

fn machine_conditions(r: &mut Reader, node: &MarkedYaml, field: &str) {
    r.warn(
        node,
        field,
        "Machine conditions are not simulated (NodeReady mirrors the Node's Ready \
         condition, which unhealthyNodeConditions check; the others never turn False); \
         these entries never match"
            .into(),
    );
}

fn no_conditions(r: &mut Reader, spec: &MarkedYaml, path: &str) {
    r.set("unhealthy_false_after", "\"never\"".into(), spec, path);
    r.set("unhealthy_unknown_after", "\"never\"".into(), spec, path);
    r.warn(
        spec,
        path,
        "no unhealthy node conditions: only machines whose node never starts are remediated".into(),
    );
}

/// External remediation is another controller's policy.
fn external(r: &Reader, node: &MarkedYaml, field: &str) -> Finding {
    let kind = r.child_str(node, "kind").unwrap_or("(no kind)");
    r.err(
        node,
        field,
        format!(
            "external remediation ({kind}) is not simulated: repairsim models the \
             MachineSet's own remediation (replace). For a medik8s remediator, give its \
             NodeHealthCheck instead (preset nhc)"
        ),
    )
}

/// The MachineDeployments' `maxInFlight`: one value for every pool.
fn in_flight(r: &mut Reader, mds: Vec<Obj>) -> Result<(), Finding> {
    // Per MachineDeployment: its name, and its maxInFlight (the TOML
    // literal, the node and the field) if set.
    type Found<'y> = (String, Option<(String, &'y MarkedYaml<'y>, String)>);
    let mut found: Vec<Found> = Vec::new();
    for (md, md_name) in mds.iter().zip(object_names(r, &mds)) {
        let v = version(r, md, "MachineDeployment")?;
        let spec_path = join(&md.path, "spec");
        let Some(spec) = r.child(md.node, "spec") else {
            found.push((md_name, None));
            continue;
        };
        // Only the remediation settings are read: a MachineDeployment's
        // other fields (template, replicas, ...) are the pool, which the
        // scenario's [[pools]] give.
        let (rem, rem_path) = match v {
            Version::V1Beta2 => (
                r.child(spec, "remediation"),
                join(&spec_path, "remediation"),
            ),
            Version::V1Beta1 => {
                let strategy = r.child(spec, "strategy");
                (
                    strategy.and_then(|s| r.child(s, "remediation")),
                    join(&join(&spec_path, "strategy"), "remediation"),
                )
            }
        };
        // maxInFlight moved between versions: one at the other version's
        // path would otherwise be read as unset.
        let (other, other_path, here) = match v {
            Version::V1Beta2 => (
                r.child(spec, "strategy")
                    .and_then(|s| r.child(s, "remediation")),
                join(&join(&spec_path, "strategy"), "remediation"),
                "v1beta2 puts it at spec.remediation.maxInFlight",
            ),
            Version::V1Beta1 => (
                r.child(spec, "remediation"),
                join(&spec_path, "remediation"),
                "v1beta1 puts it at spec.strategy.remediation.maxInFlight",
            ),
        };
        if let Some(o) = other {
            return Err(r.err(
                o,
                &other_path,
                format!("this MachineDeployment's apiVersion has no {other_path}; {here}"),
            ));
        }
        let mut value = None;
        if let Some(rem) = rem {
            for (_, node, field) in r.fields(rem, &rem_path, &["maxInFlight"])? {
                value = Some((r.int_or_percent(node, &field)?, node, field));
            }
        }
        found.push((md_name, value));
    }
    let values: Vec<Option<&str>> = found
        .iter()
        .map(|(_, v)| v.as_ref().map(|(s, ..)| s.as_str()))
        .collect();
    if values.windows(2).any(|w| w[0] != w[1]) {
        let list: Vec<String> = found
            .iter()
            .map(|(n, v)| match v {
                Some((s, ..)) => format!("{n}: {s}"),
                None => format!("{n}: unset"),
            })
            .collect();
        return Err(Finding::file(format!(
            "the MachineDeployments set different maxInFlight ({}); repairsim applies one \
             policy to every pool: keep one MachineDeployment in the file",
            list.join(", ")
        )));
    }
    if let Some((_, Some((value, node, field)))) = found.into_iter().next() {
        r.set("max_in_flight", value, node, &field);
    }
    Ok(())
}
