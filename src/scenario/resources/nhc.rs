//! A medik8s `NodeHealthCheck` (PEERS.md section 4) read into preset
//! `nhc`.
//!
//! | field | `[policy]` key |
//! |---|---|
//! | `unhealthyConditions`, Ready (CRD default: False and Unknown, 300s) | `unhealthy_false_after`, `unhealthy_unknown_after` |
//! | `minHealthy`, `maxUnhealthy` | `min_healthy`, `max_unhealthy` |
//! | `remediationTemplate` | `ladder_linux`, `ladder_windows` (one step: the lease runs out after 30 minutes) |
//! | `escalatingRemediations` (by `order`) | `ladder_linux`, `ladder_windows`, `step_timeouts` |
//!
//! Remediators: `SelfNodeRemediationTemplate` is `snr-reboot`,
//! `MachineDeletionRemediationTemplate` is `replace`.

use super::{
    Finding, Obj, Reader, api_version, conditions, duration_literal, join, object_names, pick,
};
use crate::time::SimDuration;
use saphyr::MarkedYaml;

const API: &str = "remediation.medik8s.io/v1alpha1";

/// The remediation templates repairsim simulates, and their action kinds.
const REMEDIATORS: [(&str, &str); 2] = [
    ("SelfNodeRemediationTemplate", "snr-reboot"),
    ("MachineDeletionRemediationTemplate", "replace"),
];

pub(super) fn read(r: &mut Reader, nhcs: Vec<Obj>, select: Option<&str>) -> Result<(), Finding> {
    let names = object_names(r, &nhcs);
    let o = pick(nhcs, &names, select, "NodeHealthCheck", "NodeHealthChecks")?;
    api_version(r, &o, "NodeHealthCheck", &[API])?;
    let kind = r.child(o.node, "kind").unwrap_or(o.node);
    r.set("preset", "\"nhc\"".into(), kind, &join(&o.path, "kind"));
    let mut spec = None;
    for (name, node, field) in r.fields(
        o.node,
        &o.path,
        &["apiVersion", "kind", "metadata", "spec", "status"],
    )? {
        if name == "spec" {
            spec = Some((node, field));
        }
    }
    let Some((spec, path)) = spec else {
        return Err(r.err(o.node, &o.path, "the NodeHealthCheck has no spec".into()));
    };
    read_spec(r, spec, &path)
}

fn read_spec(r: &mut Reader, spec: &MarkedYaml, path: &str) -> Result<(), Finding> {
    let fields = r.fields(
        spec,
        path,
        &[
            "selector",
            "unhealthyConditions",
            "minHealthy",
            "maxUnhealthy",
            "stormCooldownDuration",
            "remediationTemplate",
            "escalatingRemediations",
            "pauseRequests",
            "healthyDelay",
        ],
    )?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, ..)| *n == k)
            .map(|(_, n, f)| (*n, f.clone()))
    };
    // Absent: the CRD default, which is the preset's.
    if let Some((node, field)) = get("unhealthyConditions") {
        conditions(r, node, &field, "duration")?;
    }
    // The remediators first: maxUnhealthy depends on them.
    let deletes = match (get("remediationTemplate"), get("escalatingRemediations")) {
        (Some(_), Some((node, field))) => {
            return Err(r.err(
                node,
                &field,
                "remediationTemplate and escalatingRemediations are mutually exclusive; keep one"
                    .into(),
            ));
        }
        (None, None) => {
            return Err(r.err(
                spec,
                path,
                "set remediationTemplate or escalatingRemediations: the remediator to run".into(),
            ));
        }
        (Some((node, field)), None) => {
            let kind = remediator(r, node, &field)?;
            let ladder = format!("[{kind:?}]");
            r.set("ladder_linux", ladder.clone(), node, &field);
            r.set("ladder_windows", ladder, node, &field);
            kind == "replace"
        }
        (None, Some((node, field))) => escalation(r, node, &field)?,
    };
    match (get("minHealthy"), get("maxUnhealthy")) {
        (Some(_), Some((node, field))) => {
            return Err(r.err(
                node,
                &field,
                "minHealthy and maxUnhealthy are mutually exclusive; keep one".into(),
            ));
        }
        (Some((node, field)), None) => {
            let v = r.int_or_percent(node, &field)?;
            r.set("min_healthy", v, node, &field);
        }
        (None, Some((node, field))) => {
            if deletes {
                return Err(r.err(
                    node,
                    &field,
                    "maxUnhealthy is not allowed with a remediator that deletes nodes \
                     (MachineDeletionRemediation); use minHealthy"
                        .into(),
                ));
            }
            let v = r.int_or_percent(node, &field)?;
            r.set("max_unhealthy", v, node, &field);
        }
        (None, None) => {
            return Err(r.err(
                spec,
                path,
                "set minHealthy or maxUnhealthy (one is required since NodeHealthCheck v0.10.0; \
                 the old default was minHealthy: 51%)"
                    .into(),
            ));
        }
    }
    if let Some((node, field)) = get("pauseRequests")
        && !r.seq(node, &field)?.is_empty()
    {
        return Err(r.err(
            node,
            &field,
            "pause requests stop every new remediation, so nothing would be simulated; \
             remove them, and give the pause a window with a [[pauses]] table of the \
             scenario (from, until)"
                .into(),
        ));
    }
    for key in ["healthyDelay", "stormCooldownDuration"] {
        if let Some((node, field)) = get(key)
            && r.go_duration(node, &field)? != SimDuration::ZERO
        {
            return Err(r.err(
                node,
                &field,
                format!("{key} is not simulated yet; remove it or set it to 0s"),
            ));
        }
    }
    Ok(())
}

/// The action kind of a remediation template reference.
fn remediator(r: &Reader, node: &MarkedYaml, path: &str) -> Result<&'static str, Finding> {
    let mut kind = None;
    for (name, n, field) in r.fields(
        node,
        path,
        &[
            "apiVersion",
            "kind",
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "fieldPath",
        ],
    )? {
        if name == "kind" {
            kind = Some((r.str(n, &field)?, n, field));
        }
    }
    let Some((kind, n, field)) = kind else {
        return Err(r.err(node, path, "missing required field \"kind\"".into()));
    };
    REMEDIATORS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, a)| *a)
        .ok_or_else(|| {
            r.err(
                n,
                &field,
                format!(
                    "remediator {kind:?} is not simulated; repairsim simulates {}",
                    REMEDIATORS
                        .iter()
                        .map(|(k, a)| format!("{k} ({a})"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            )
        })
}

/// `escalatingRemediations`, by `order`: the ladder and its step timeouts.
/// Whether a step deletes nodes.
fn escalation(r: &mut Reader, list: &MarkedYaml, path: &str) -> Result<bool, Finding> {
    let mut steps: Vec<(i64, &'static str, SimDuration, &MarkedYaml, String)> = Vec::new();
    for (i, item) in r.seq(list, path)?.into_iter().enumerate() {
        let p = format!("{path}[{i}]");
        let (mut kind, mut order, mut timeout) = (None, None, None);
        for (name, node, field) in
            r.fields(item, &p, &["remediationTemplate", "order", "timeout"])?
        {
            match name {
                "remediationTemplate" => kind = Some(remediator(r, node, &field)?),
                "order" => {
                    order = Some((r.int(node, &field, 0, i64::from(i32::MAX))?, node, field))
                }
                _ => {
                    let d = r.go_duration(node, &field)?;
                    if d < SimDuration::from_secs(60) {
                        return Err(r.err(
                            node,
                            &field,
                            "a remediation timeout is at least 60s (the NodeHealthCheck \
                             webhook refuses less)"
                                .into(),
                        ));
                    }
                    timeout = Some(d);
                }
            }
        }
        let missing = |what: &str| r.err(item, &p, format!("missing required field {what:?}"));
        let kind = kind.ok_or_else(|| missing("remediationTemplate"))?;
        let (order, onode, ofield) = order.ok_or_else(|| missing("order"))?;
        let timeout = timeout.ok_or_else(|| missing("timeout"))?;
        if steps.iter().any(|s| s.0 == order) {
            return Err(r.err(
                onode,
                &ofield,
                format!("order {order} is used twice; each step needs its own"),
            ));
        }
        steps.push((order, kind, timeout, item, p));
    }
    if steps.is_empty() {
        return Err(r.err(
            list,
            path,
            "the list is empty; give at least one step".into(),
        ));
    }
    steps.sort_by_key(|s| s.0);
    let kinds: Vec<String> = steps.iter().map(|s| format!("{:?}", s.1)).collect();
    let ladder = format!("[{}]", kinds.join(", "));
    r.set("ladder_linux", ladder.clone(), list, path);
    r.set("ladder_windows", ladder, list, path);
    let timeouts: Vec<String> = steps.iter().map(|s| duration_literal(s.2)).collect();
    r.set(
        "step_timeouts",
        format!("[{}]", timeouts.join(", ")),
        list,
        path,
    );
    Ok(steps.iter().any(|s| s.1 == "replace"))
}
