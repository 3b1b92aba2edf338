//! An EKS managed node group's `nodeRepairConfig` (PEERS.md section 2)
//! read into preset `eks`. It may stand alone, sit in an EKS API request
//! or response (`nodeRepairConfig`, `nodegroup.nodeRepairConfig`), or in an
//! eksctl `ClusterConfig` (`managedNodeGroups[].nodeRepairConfig`).
//!
//! | field | `[policy]` key |
//! |---|---|
//! | `maxUnhealthyNodeThresholdCount`, `...Percentage` | `max_unhealthy` (replaces the default 20% guard) |
//! | `maxParallelNodesRepairedCount`, `...Percentage` | `max_in_flight` (a percentage of the unhealthy nodes) |
//! | `nodeRepairConfigOverrides` | warning: they concern the node monitoring agent's conditions, which are not simulated |

use super::{Finding, Obj, Reader, join, pick};
use saphyr::MarkedYaml;

const FIELDS: [&str; 6] = [
    "enabled",
    "maxUnhealthyNodeThresholdCount",
    "maxUnhealthyNodeThresholdPercentage",
    "maxParallelNodesRepairedCount",
    "maxParallelNodesRepairedPercentage",
    "nodeRepairConfigOverrides",
];

pub(super) fn read(r: &mut Reader, objs: Vec<Obj>, select: Option<&str>) -> Result<(), Finding> {
    // Every nodeRepairConfig of the file, with the node group it belongs to.
    let mut configs: Vec<(String, &MarkedYaml, String)> = Vec::new();
    for o in &objs {
        if r.child(o.node, "kind").is_some() {
            let field = join(&o.path, "apiVersion");
            match r.opt_str(o.node, &o.path, "apiVersion")? {
                Some(v) if v.starts_with("eksctl.io/") => {}
                _ => {
                    return Err(r.err(
                        r.child(o.node, "apiVersion").unwrap_or(o.node),
                        &field,
                        "expected an eksctl ClusterConfig (apiVersion eksctl.io/v1alpha5)".into(),
                    ));
                }
            }
            let groups_path = join(&o.path, "managedNodeGroups");
            let Some(groups) = r.child(o.node, "managedNodeGroups") else {
                continue;
            };
            for (i, g) in r.seq(groups, &groups_path)?.into_iter().enumerate() {
                let path = format!("{groups_path}[{i}]");
                if let Some(c) = r.child(g, "nodeRepairConfig") {
                    let name = r.opt_str(g, &path, "name")?.unwrap_or("(unnamed)");
                    configs.push((name.to_string(), c, join(&path, "nodeRepairConfig")));
                }
            }
        } else if let Some(c) = r.child(o.node, "nodeRepairConfig") {
            // An EKS API request (CreateNodegroup, UpdateNodegroupConfig).
            let name = r
                .opt_str(o.node, &o.path, "nodegroupName")?
                .unwrap_or("(request)");
            configs.push((name.to_string(), c, join(&o.path, "nodeRepairConfig")));
        } else if let Some(ng) = r.child(o.node, "nodegroup") {
            // A DescribeNodegroup response.
            let path = join(&o.path, "nodegroup");
            let Some(c) = r.child(ng, "nodeRepairConfig") else {
                return Err(r.err(ng, &path, "the node group has no nodeRepairConfig".into()));
            };
            let name = r
                .opt_str(ng, &path, "nodegroupName")?
                .unwrap_or("(nodegroup)");
            configs.push((name.to_string(), c, join(&path, "nodeRepairConfig")));
        } else {
            configs.push(("(file)".into(), o.node, o.path.clone()));
        }
    }
    // Node groups with the same settings are one policy.
    if select.is_none() && configs.len() > 1 {
        let values = |c: &(String, &MarkedYaml, String)| -> Result<Vec<(&str, String)>, Finding> {
            Ok(settings_of(r, c.1, &c.2)?
                .into_iter()
                .map(|(k, v, ..)| (k, v))
                .collect())
        };
        let first = values(&configs[0])?;
        let mut same = true;
        for c in &configs[1..] {
            same &= values(c)? == first;
        }
        if same {
            configs.truncate(1);
        }
    }
    let names: Vec<String> = configs.iter().map(|c| c.0.clone()).collect();
    let (_, config, path) = pick(
        configs,
        &names,
        select,
        "node group with a nodeRepairConfig",
        "node groups with a nodeRepairConfig",
    )?;
    r.set("preset", "\"eks\"".into(), config, &path);
    for s in settings_of(r, config, &path)? {
        let (key, value, node, field) = s;
        r.set(key, value, node, &field);
    }
    if let Some(o) = r.child(config, "nodeRepairConfigOverrides") {
        let field = join(&path, "nodeRepairConfigOverrides");
        for (i, item) in r.seq(o, &field)?.into_iter().enumerate() {
            let f = format!("{field}[{i}]");
            let cond = r.child_str(item, "nodeMonitoringCondition").unwrap_or("?");
            r.warn(
                item,
                &f,
                format!(
                    "the override for {cond} is not simulated: it concerns a condition of the node \
                     monitoring agent, and repairsim's faults change only Ready"
                ),
            );
        }
    }
    Ok(())
}

type Settings<'y> = Vec<(&'static str, String, &'y MarkedYaml<'y>, String)>;

/// The `[policy]` settings of one nodeRepairConfig, validated.
fn settings_of<'y>(r: &Reader, c: &'y MarkedYaml<'y>, path: &str) -> Result<Settings<'y>, Finding> {
    let fields = r.fields(c, path, &FIELDS)?;
    let get = |k: &str| fields.iter().find(|(n, ..)| *n == k);
    match get("enabled") {
        Some((_, n, f)) if r.bool(n, f)? => {}
        Some((_, n, f)) => {
            return Err(r.err(
                n,
                f,
                "node repair is disabled, so nothing would be repaired; set enabled: true".into(),
            ));
        }
        None => {
            return Err(r.err(
                c,
                path,
                "enabled: true is missing (node auto repair is off by default)".into(),
            ));
        }
    }
    let mut out = Vec::new();
    for (key, count, percent) in [
        (
            "max_unhealthy",
            "maxUnhealthyNodeThresholdCount",
            "maxUnhealthyNodeThresholdPercentage",
        ),
        (
            "max_in_flight",
            "maxParallelNodesRepairedCount",
            "maxParallelNodesRepairedPercentage",
        ),
    ] {
        match (get(count), get(percent)) {
            (Some(_), Some((_, n, f))) => {
                return Err(r.err(
                    n,
                    f,
                    format!("{count} and {percent} are mutually exclusive; keep one"),
                ));
            }
            (Some((_, n, f)), None) => {
                let v = r.int(n, f, 1, i64::from(u32::MAX))?;
                out.push((key, v.to_string(), *n, f.clone()));
            }
            (None, Some((_, n, f))) => {
                let v = r.int(n, f, 1, 100)?;
                out.push((key, format!("\"{v}%\""), *n, f.clone()));
            }
            (None, None) => {}
        }
    }
    Ok(out)
}
