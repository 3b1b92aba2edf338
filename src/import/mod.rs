//! `repairsim import`: a recorded cluster history as a scenario, one fault
//! per not-Ready episode, with every inference written beside the line it
//! produced.
//!
//! Reading ([`kubectl`]) turns each format into [`Obs`]: one fact about a
//! node at an instant. Inference ([`infer`]) groups them into episodes per
//! node and reads back, through docs/POLICY.md section 2's grids, the
//! fault behind each: its onset, signal, the weakest action that fixed it
//! or when it healed by itself. [`Imported::to_toml`] writes the scenario.
//!
//! [`Imported::verify`] then replays the scenario through its policy and
//! holds a node where the record shows the policy stopped acting on it.
//!
//! Invariant: a pure function of the observations, in time order (ties in
//! input order), and of the policy; the verification is an ordinary,
//! deterministic run.

pub mod calibrate;
pub mod kubectl;
pub mod kubeevents;
pub mod prometheus;
pub mod recorded;
pub mod replay;
pub mod stream;

use crate::k8s::{ActionKind, EventPhase};
use crate::time::{Epoch, SimDuration, format_duration};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use crate::observe::events::{KUBELET, NODE_CONTROLLER};

/// Kubernetes defaults the inference reads the grids with (docs/POLICY.md
/// section 2) \[ms\].
const STATUS_TICK: i64 = 10_000;
const GRACE: i64 = 50_000;
const MONITOR_TICK: i64 = 5_000;

/// Indices past this are names, not positions (a pool of `count` the
/// highest index plus one would exceed the fleet limit).
const MAX_INDEX: u64 = 100_000;

/// The pool of nodes a record without `RegisteredNode` events implies but
/// does not name.
const UNSEEN: &str = "unseen";

/// `text` of `file` as JSON, or an error naming the line and column.
fn parse_json(file: &std::path::Path, text: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "{}:{}:{}: not JSON: {e}",
            file.display(),
            e.line(),
            e.column()
        )
    })
}

/// One fact about a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Obs {
    /// Unix time \[ms\].
    pub at: i64,
    pub node: String,
    pub what: What,
    /// `FILE:LINE` or `FILE: items[I]`, for messages.
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// The node controller registered the node.
    Registered,
    /// The node left Ready: `silent` when the node controller set Unknown
    /// (no status), else the kubelet posted Ready=False.
    NotReady { silent: bool },
    /// The kubelet posted Ready=True.
    Ready,
    /// An auto-repair event, with the error code of an Error event.
    Action {
        kind: ActionKind,
        phase: EventPhase,
        code: Option<String>,
    },
    /// The Node object was deleted.
    Deleted,
    /// The record covers the cluster up to here (a Prometheus export's
    /// last sample), though nothing changed: the history's end.
    Seen,
}

/// What the reader skipped, for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ignored {
    /// Events about objects other than Nodes.
    pub other_objects: u64,
    /// Node events with a reason the importer does not use.
    pub unknown_reasons: u64,
    /// Aggregated events (`count` above 1) read as their first occurrence.
    pub aggregated: u64,
    /// Facts read twice (the same node, instant and event), kept once.
    pub duplicates: u64,
}

/// Choices the history cannot make.
#[derive(Clone, Debug)]
pub struct Options {
    /// The scenario's name.
    pub name: String,
    /// The policy to replay through: its preset names the scenario's, and
    /// its grids and delays decide which episodes it would have acted on.
    pub policy: crate::policy::params::Policy,
    /// Pools of Windows nodes (events do not say a node's OS).
    pub windows: Vec<String>,
    /// The input files, for the header.
    pub sources: Vec<String>,
    /// The record has the repair controller's events (a Prometheus export
    /// has none): only then does an episode without an action say the
    /// policy left it alone.
    pub repairs_recorded: bool,
}

/// One recorded action.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Action {
    kind: ActionKind,
    start: i64,
    end: Option<i64>,
    error: Option<String>,
    /// An End event came before the Error (POLICY.md section 8).
    ended_before_error: bool,
}

/// One not-Ready episode of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Episode {
    /// When the node left Ready \[Unix ms\], and whether it went silent.
    left: i64,
    silent: bool,
    actions: Vec<Action>,
    /// When it was Ready again \[Unix ms\].
    ready: Option<i64>,
    deleted: Option<i64>,
}

/// A pool as the node names show it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PoolOf {
    name: String,
    /// With `indexed`: the highest index plus one.
    count: u32,
    windows: bool,
    /// Every node name seen.
    names: std::collections::BTreeSet<String>,
    /// Every name is `<pool>-<index>`: the pool is `count` nodes.
    indexed: bool,
}

impl PoolOf {
    /// How many nodes the pool has.
    fn nodes(&self) -> usize {
        if self.indexed {
            self.count as usize
        } else {
            self.names.len()
        }
    }
}

/// What `import` inferred, ready to write.
#[derive(Clone, Debug)]
pub struct Imported {
    opts: Options,
    start: Epoch,
    /// Why `start` is where it is.
    start_why: String,
    horizon_ms: i64,
    pools: Vec<PoolOf>,
    /// (kind, windows) → recorded durations \[ms\].
    durations: BTreeMap<(ActionKind, bool), Vec<i64>>,
    /// Per node in name order: its episodes.
    episodes: Vec<(String, Vec<Episode>)>,
    ignored: Ignored,
    events: usize,
    /// Things the scenario cannot say, as comment lines.
    notes: Vec<String>,
    /// Every recorded Start: (node, Unix ms).
    starts: std::collections::BTreeSet<(String, i64)>,
    /// Windows in which the recorded policy stopped acting on a node
    /// ([`Imported::verify`]).
    holds: Vec<Hold>,
}

/// A node the recorded policy stopped acting on, from `from` to `until`
/// \[ms from start\] (`None`: to the horizon).
#[derive(Clone, Debug)]
struct Hold {
    node: String,
    from: i64,
    until: Option<i64>,
    why: String,
}

/// A node name's pool, and its index when the name is `<pool>-<index>`
/// (as repairsim names nodes). An AKS name `aks-<pool>-<id>-vmss<suffix>`
/// gives its pool and no index; any other name is in pool `nodes`.
fn split_name(node: &str) -> (&str, Option<u32>) {
    if let Some(rest) = node.strip_prefix("aks-")
        && let Some((pool, tail)) = rest.split_once('-')
        && let Some((id, vmss)) = tail.split_once('-')
        && !pool.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && vmss.starts_with("vmss")
    {
        return (pool, None);
    }
    if let Some((pool, idx)) = node.rsplit_once('-')
        && let Some(i) = idx.parse::<u32>().ok().filter(|i| i.to_string() == idx)
        && !pool.is_empty()
        && pool
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return (pool, Some(i));
    }
    ("nodes", None)
}

/// The AKS action and phase of a reason such as `NodeReimageStart`.
fn aks_reason(reason: &str) -> Option<(ActionKind, EventPhase)> {
    [
        ActionKind::Reboot,
        ActionKind::Reimage,
        ActionKind::Redeploy,
    ]
    .into_iter()
    .flat_map(|k| [EventPhase::Start, EventPhase::End, EventPhase::Error].map(move |p| (k, p)))
    .find(|&(k, p)| crate::k8s::reason(k, p) == reason)
}

/// One Node event, as every format gives it.
pub struct Fact<'a> {
    pub node: String,
    pub reason: &'a str,
    /// The component that reported it (`kubelet`, `node-controller`, ...).
    pub source: &'a str,
    pub message: &'a str,
    /// RFC 3339.
    pub time: &'a str,
}

/// An RFC 3339 instant, in UTC (`Z`) or with an offset (`+02:00`), some
/// exporters write local time so.
fn parse_time(t: &str) -> Option<Epoch> {
    if let Ok(e) = Epoch::parse(t) {
        return Some(e);
    }
    // `...±HH:MM`: the same wall time in UTC, less the offset.
    let (base, off) = t.split_at(t.len().checked_sub(6)?);
    let sign = match off.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = off[1..].split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    let utc = Epoch::parse(&format!("{base}Z")).ok()?;
    Some(Epoch(utc.0 - sign * (h * 60 + m) * 60_000))
}

/// Checks that a record's end (`last`, its field `last_name`) is not
/// before its start (`first`, field `first_name`): a record whose
/// timestamps are out of order cannot say when anything happened.
/// Unparsable times are left to [`node_fact`] to name.
pub fn in_order(
    at: &str,
    (first_name, first): (&str, Option<&str>),
    (last_name, last): (&str, Option<&str>),
) -> Result<(), String> {
    if let (Some(f), Some(l)) = (first, last)
        && let (Some(fe), Some(le)) = (parse_time(f), parse_time(l))
        && le.0 < fe.0
    {
        return Err(format!(
            "{at}: {last_name} {l} is before {first_name} {f}: timestamps out of order; \
             expected {last_name} at or after {first_name}"
        ));
    }
    Ok(())
}

/// Kubernetes names nodes as DNS subdomains; anything else (quotes, a
/// newline) is not a node name, and could not be written back.
pub fn node_name(at: &str, node: &str) -> Result<(), String> {
    if node.is_empty()
        || node.len() > 253
        || !node
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(format!(
            "{at}: node name {node:?} is not a Kubernetes node name; expected letters, digits, \
             '-', '.' and '_', at most 253 characters"
        ));
    }
    Ok(())
}

/// Turns a Node event into an observation, or counts it as ignored.
/// `at` names where it came from.
pub fn node_fact(
    f: Fact,
    at: &str,
    out: &mut Vec<Obs>,
    ignored: &mut Ignored,
) -> Result<(), String> {
    node_name(at, &f.node)?;
    let epoch = parse_time(f.time).ok_or_else(|| {
        format!(
            "{at}: bad time {:?}: expected an RFC 3339 instant such as \"2026-05-19T21:34:43.709Z\" \
             or \"2026-05-19T23:34:43+02:00\"",
            f.time
        )
    })?;
    let what = match f.reason {
        "RegisteredNode" => What::Registered,
        "NodeNotReady" => What::NotReady {
            silent: f.source != KUBELET,
        },
        "NodeReady" => What::Ready,
        "DeletingNode" | "RemovingNode" => What::Deleted,
        r => match aks_reason(r) {
            Some((kind, phase)) => {
                let code = f
                    .message
                    .split_once("See error details here: ")
                    .map(|(_, c)| c.trim().to_string())
                    .filter(|c| !c.is_empty());
                What::Action { kind, phase, code }
            }
            None => {
                ignored.unknown_reasons += 1;
                return Ok(());
            }
        },
    };
    out.push(Obs {
        at: epoch.0,
        node: f.node,
        what,
        origin: at.to_string(),
    });
    Ok(())
}

/// Groups the observations into episodes and reads the grids' phase.
pub fn infer(mut obs: Vec<Obs>, ignored: Ignored, opts: Options) -> Result<Imported, String> {
    if obs.is_empty() {
        return Err(
            "no Node events in the input: nothing to import (events about other objects: \
             ignored)"
                .into(),
        );
    }
    // The history ends at its last record, or later where a record says
    // it saw the cluster until then.
    let seen_until = obs
        .iter()
        .filter(|o| o.what == What::Seen)
        .map(|o| o.at)
        .max();
    obs.retain(|o| o.what != What::Seen);
    if obs.is_empty() {
        return Err(
            "no Node events in the input: nothing to import (events about other objects: \
             ignored)"
                .into(),
        );
    }
    obs.sort_by_key(|o| o.at);
    // The same fact twice (overlapping exports, or the same history in two
    // formats) is one fact: the first occurrence stays.
    let mut ignored = ignored;
    let mut kept: Vec<Obs> = Vec::with_capacity(obs.len());
    let mut group = 0;
    for o in obs {
        if kept.last().is_none_or(|l| l.at != o.at) {
            group = kept.len();
        }
        if kept[group..]
            .iter()
            .any(|k| k.node == o.node && k.what == o.what)
        {
            ignored.duplicates += 1;
        } else {
            kept.push(o);
        }
    }
    let obs = kept;
    let events = obs.len();
    let check = (opts.policy.check_interval.ms() as i64).max(1);
    let mut notes = Vec::new();

    // The fleet: every node named, pools from `<pool>-<index>`.
    let mut pools: Vec<PoolOf> = Vec::new();
    let mut by_node: BTreeMap<String, Vec<&Obs>> = BTreeMap::new();
    for o in &obs {
        let (pool, i) = split_name(&o.node);
        let p = match pools.iter().position(|p| p.name == pool) {
            Some(k) => &mut pools[k],
            None => {
                pools.push(PoolOf {
                    name: pool.to_string(),
                    count: 0,
                    windows: opts.windows.iter().any(|w| w == pool),
                    names: std::collections::BTreeSet::new(),
                    indexed: true,
                });
                pools.last_mut().expect("just pushed")
            }
        };
        match i {
            Some(i) if u64::from(i) < MAX_INDEX => p.count = p.count.max(i + 1),
            _ => p.indexed = false,
        }
        p.names.insert(o.node.clone());
        by_node.entry(o.node.clone()).or_default().push(o);
    }
    // Without RegisteredNode events the record names only the nodes that
    // had events. The cluster had others: the recorded policy acted, so
    // it was not too small, and not every node was down. They are a pool
    // of their own that never fails.
    if !obs.iter().any(|o| o.what == What::Registered) {
        let seen: usize = pools.iter().map(PoolOf::nodes).sum();
        let need = (opts.policy.min_cluster_nodes as usize)
            .saturating_sub(seen)
            .max(1);
        // A recorded pool may be called `unseen` too.
        let name = if pools.iter().any(|p| p.name == UNSEEN) {
            format!("{UNSEEN}-rest")
        } else {
            UNSEEN.to_string()
        };
        pools.push(PoolOf {
            name,
            count: need as u32,
            windows: false,
            names: std::collections::BTreeSet::new(),
            indexed: true,
        });
    }
    for w in &opts.windows {
        if !pools.iter().any(|p| &p.name == w) {
            return Err(format!(
                "--windows {w}: no such pool in the history; its pools are {}",
                pools
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }

    // The start: the registration instant when the history has one (a
    // cluster's start), else the first event less an hour; either way on
    // the check grid's phase that the recorded Starts show.
    // Every recorded Start, (node, Unix ms): the check grid's phase
    // here, and what `verify` matches the replay's Starts against.
    let recorded_starts: std::collections::BTreeSet<(String, i64)> = obs
        .iter()
        .filter(|o| {
            matches!(
                o.what,
                What::Action {
                    phase: EventPhase::Start,
                    ..
                }
            )
        })
        .map(|o| (o.node.clone(), o.at))
        .collect();
    let starts: Vec<i64> = recorded_starts
        .iter()
        .map(|(_, at)| at.rem_euclid(check))
        .collect();
    let phase = most_common(&starts).unwrap_or(0);
    let first = obs[0].at;
    let registered = obs
        .iter()
        .any(|o| o.at == first && o.what == What::Registered);
    let (start, start_why) = if registered {
        (
            first,
            "the nodes' registration: the cluster's start, whose grids the record keeps"
                .to_string(),
        )
    } else {
        let base = first - 3_600_000;
        (
            base - (base - phase).rem_euclid(check),
            if starts.is_empty() {
                "no recorded action: an hour before the first event, on the check grid".to_string()
            } else {
                format!(
                    "the check grid's phase: the recorded Starts fall at {} past the check \
                     period; an hour before the first event",
                    format_duration(SimDuration(phase as u64))
                )
            },
        )
    };
    let last = obs
        .last()
        .map_or(first, |o| o.at)
        .max(seen_until.unwrap_or(i64::MIN));
    let horizon_ms = last - start + 1000;
    // A scenario spans at most 100 years: a longer history has a wrong
    // timestamp at one end.
    if horizon_ms < 0 || horizon_ms as u64 > crate::time::MAX_SPAN {
        let (a, b) = (&obs[0], &obs[obs.len() - 1]);
        return Err(format!(
            "{}: the history runs from {} ({}) to {} ({}), more than 100 years: is one of \
             these timestamps wrong? expected a history of at most 100 years",
            b.origin,
            Epoch(a.at).format(crate::time::SimTime::ZERO),
            a.origin,
            Epoch(b.at).format(crate::time::SimTime::ZERO),
            b.origin
        ));
    }

    let mut durations: BTreeMap<(ActionKind, bool), Vec<i64>> = BTreeMap::new();
    let mut episodes = Vec::new();
    for (node, list) in &by_node {
        let windows = pools
            .iter()
            .find(|q| q.name == split_name(node).0)
            .is_some_and(|p| p.windows);
        let mut eps: Vec<Episode> = Vec::new();
        let mut open: Option<Episode> = None;
        for o in list {
            match &o.what {
                What::Registered | What::Seen => {}
                What::NotReady { silent } => match open.as_mut() {
                    None => {
                        open = Some(Episode {
                            left: o.at,
                            silent: *silent,
                            actions: Vec::new(),
                            ready: None,
                            deleted: None,
                        });
                    }
                    // The node controller also reports a Ready=False the
                    // kubelet posted, at its next monitor tick: the
                    // kubelet's event says what happened.
                    Some(e)
                        if e.silent
                            && !*silent
                            && e.actions.is_empty()
                            && (o.at - e.left).abs() <= MONITOR_TICK =>
                    {
                        e.silent = false;
                        e.left = o.at;
                    }
                    Some(_) => {}
                },
                What::Ready => {
                    if let Some(mut e) = open.take() {
                        e.ready = Some(o.at);
                        eps.push(e);
                    }
                }
                What::Deleted => {
                    if let Some(mut e) = open.take() {
                        e.deleted = Some(o.at);
                        eps.push(e);
                    }
                }
                What::Action { kind, phase, code } => {
                    // An End or Error after NodeReady (the kubelet can be
                    // Ready before the controller reports) belongs to the
                    // episode that just closed.
                    let late = open.is_none()
                        && *phase != EventPhase::Start
                        && eps.last().is_some_and(|e: &Episode| {
                            e.actions.iter().any(|a| a.kind == *kind && a.end.is_none())
                        });
                    let target = if late { eps.last_mut() } else { open.as_mut() };
                    let Some(e) = target else {
                        notes.push(format!(
                            "{}: {} on {node} outside a not-Ready episode (no NodeNotReady \
                             before it): left out",
                            o.origin,
                            crate::k8s::reason(*kind, *phase)
                        ));
                        continue;
                    };
                    match phase {
                        // The repair controller runs one action on a node
                        // at a time: a Start while another has not ended
                        // overlaps it.
                        EventPhase::Start if e.actions.iter().any(|a| a.end.is_none()) => {
                            let open = e.actions.iter().find(|a| a.end.is_none());
                            let open = open.expect("just found");
                            return Err(format!(
                                "{}: {} on {node} at {} while the {} that started at {} has not \
                                 ended: two actions at once on one node (overlapping episodes: \
                                 are two clusters' histories mixed?); expected each action to \
                                 end (End or Error) before the next starts",
                                o.origin,
                                crate::k8s::reason(*kind, *phase),
                                Epoch(o.at).format(crate::time::SimTime::ZERO),
                                open.kind.name(),
                                Epoch(open.start).format(crate::time::SimTime::ZERO),
                            ));
                        }
                        EventPhase::Start => e.actions.push(Action {
                            kind: *kind,
                            start: o.at,
                            end: None,
                            error: None,
                            ended_before_error: false,
                        }),
                        EventPhase::End | EventPhase::Error => {
                            let i = e.actions.iter().rposition(|a| a.kind == *kind);
                            let a = i.map(|i| &mut e.actions[i]);
                            if a.is_none() {
                                notes.push(format!(
                                    "{}: {} on {node} without its Start: left out",
                                    o.origin,
                                    crate::k8s::reason(*kind, *phase)
                                ));
                            }
                            if let Some(a) = a {
                                if *phase == EventPhase::Error && a.end.is_some() {
                                    a.ended_before_error = true;
                                }
                                if a.end.is_none() {
                                    a.end = Some(o.at);
                                    durations
                                        .entry((*kind, windows))
                                        .or_default()
                                        .push(o.at - a.start);
                                }
                                if *phase == EventPhase::Error {
                                    a.error = Some(code.clone().unwrap_or_default());
                                }
                            }
                        }
                    }
                }
            }
        }
        eps.extend(open);
        episodes.push((node.clone(), eps));
    }
    Ok(Imported {
        opts,
        start: Epoch(start),
        start_why,
        horizon_ms,
        pools,
        durations,
        episodes,
        ignored,
        events,
        notes,
        starts: recorded_starts,
        holds: Vec::new(),
    })
}

/// The most common value, the smallest on a tie.
fn most_common(v: &[i64]) -> Option<i64> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    v.iter().for_each(|x| *counts.entry(*x).or_default() += 1);
    let max = counts.values().copied().max()?;
    counts.into_iter().find(|(_, c)| *c == max).map(|(x, _)| x)
}

fn dur(ms: i64) -> String {
    format_duration(SimDuration(ms.max(0) as u64))
}

/// A TOML string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The last lease tick before a silent node went Unknown at `left` \[ms
/// from start\]: the one the grace period points back to.
fn last_tick(left: i64) -> i64 {
    (left - GRACE).div_euclid(STATUS_TICK) * STATUS_TICK
}

/// When policy `p` starts its first action on a node that left Ready at
/// `left` \[ms from start\], `silent` when the node controller set Unknown
/// (docs/POLICY.md section 2: rules (a) and (b), the repair delay and its
/// anchor, on the check grid). `None` for event-driven presets.
fn first_action_at(p: &crate::policy::params::Policy, silent: bool, left: i64) -> Option<i64> {
    use crate::policy::params::DelayAnchor;
    use crate::policy::rules::Detection;
    if !matches!(p.detection, Detection::Periodic) {
        return None;
    }
    let check = (p.check_interval.ms() as i64).max(1);
    let ceil = |t: i64| -(-t).div_euclid(check) * check;
    let first_check = ceil(left);
    let mut detected = ceil(first_check + p.detect_window.ms() as i64);
    if silent {
        detected = detected.min(ceil(last_tick(left) + p.no_status_timeout.ms() as i64));
    }
    Some(match p.repair_delay_anchor {
        DelayAnchor::Detection => ceil(detected + p.repair_delay.ms() as i64),
        DelayAnchor::Onset => detected.max(ceil(first_check + p.repair_delay.ms() as i64)),
    })
}

/// What one episode says about its fault, with the reasons.
struct Fault {
    onset: i64,
    onset_why: String,
    signal: &'static str,
    signal_why: String,
    fixed_by: String,
    fixed_why: String,
    heal: Option<(i64, String)>,
    /// Why the episode is imported as excluded: no repair was seen though
    /// the policy would have started one.
    excluded: Option<String>,
}

impl Imported {
    /// The fault behind an episode (times relative to `start` \[ms\]).
    fn fault(&self, e: &Episode) -> Fault {
        let rel = |t: i64| t - self.start.0;
        let at = |t: i64| {
            self.start
                .format(crate::time::SimTime(rel(t).max(0) as u64))
        };
        let left = rel(e.left);
        let (onset, onset_why, signal, signal_why) = if e.silent {
            // Unknown at the first monitor tick at or after the last lease
            // tick plus the grace period: the last tick is the lease tick at
            // or before `left - grace`, and the fault came after it.
            let last = last_tick(left);
            let off = left - GRACE - last;
            let why = if off < MONITOR_TICK {
                format!(
                    "after the last lease tick {} (Unknown at {}: that tick + {} grace, on the {} monitor grid)",
                    at(last + self.start.0),
                    at(e.left),
                    dur(GRACE),
                    dur(MONITOR_TICK)
                )
            } else {
                format!(
                    "Unknown at {} is {} past a lease tick + {} grace: not on the grids; the nearest fit",
                    at(e.left),
                    dur(off),
                    dur(GRACE)
                )
            };
            (
                last + STATUS_TICK,
                why,
                "no-status",
                format!(
                    "the node controller's NodeNotReady at {}: the kubelet went silent",
                    at(e.left)
                ),
            )
        } else {
            (
                left,
                format!(
                    "the kubelet's NodeNotReady at {}, a status tick (the fault came at most {} earlier)",
                    at(e.left),
                    dur(STATUS_TICK)
                ),
                "not-ready",
                "the kubelet's NodeNotReady: it posted Ready=False".to_string(),
            )
        };
        let tried = |upto: usize| -> Vec<&Action> {
            e.actions[..upto]
                .iter()
                .filter(|a| a.error.is_none() && a.end.is_some())
                .collect()
        };
        let (fixed_by, fixed_why, heal) = match (e.ready, e.deleted) {
            (Some(ready), _) => {
                // The action that ended on the status tick before Ready.
                // The action that ended on the status tick before Ready
                // (or just after it: the kubelet can post before the
                // controller reports the End).
                let fixer = e.actions.iter().rposition(|a| {
                    a.error.is_none() && a.end.is_some_and(|end| (ready - end).abs() < STATUS_TICK)
                });
                match fixer {
                    Some(i)
                        if tried(i)
                            .iter()
                            .all(|a| a.kind.tier() < e.actions[i].kind.tier()) =>
                    {
                        let a = &e.actions[i];
                        let weaker: Vec<&str> = tried(i).iter().map(|a| a.kind.name()).collect();
                        (
                            a.kind.name().to_string(),
                            if weaker.is_empty() {
                                format!(
                                    "Ready at {} after the {} that ended at {}",
                                    at(ready),
                                    a.kind.name(),
                                    at(a.end.unwrap_or(ready))
                                )
                            } else {
                                format!(
                                    "Ready at {} after the {} that ended at {}, not after {}",
                                    at(ready),
                                    a.kind.name(),
                                    at(a.end.unwrap_or(ready)),
                                    weaker.join(", ")
                                )
                            },
                            None,
                        )
                    }
                    Some(i) => {
                        let end = e.actions[i].end.unwrap_or(ready);
                        (
                            "none".to_string(),
                            format!(
                                "Ready at {} after a {} that a stronger action before it had not fixed: it healed by itself",
                                at(ready),
                                e.actions[i].kind.name()
                            ),
                            Some((
                                rel(end) - onset,
                                format!(
                                    "healed during the {} that ended at {}",
                                    e.actions[i].kind.name(),
                                    at(end)
                                ),
                            )),
                        )
                    }
                    None => (
                        "none".to_string(),
                        if e.actions.is_empty() {
                            format!("Ready at {} with no action", at(ready))
                        } else {
                            format!("Ready at {} with no action ending just before", at(ready))
                        },
                        Some((
                            rel(ready) - onset,
                            format!("Ready again at {} (a status tick)", at(ready)),
                        )),
                    ),
                }
            }
            (None, Some(deleted)) => (
                "none".to_string(),
                format!("never Ready again: the Node was deleted at {}", at(deleted)),
                None,
            ),
            (None, None) => (
                "none".to_string(),
                if e.actions.is_empty() {
                    "never Ready again, and no action was seen".to_string()
                } else {
                    let kinds: Vec<&str> = e.actions.iter().map(|a| a.kind.name()).collect();
                    format!("never Ready again after {}", kinds.join(", "))
                },
                None,
            ),
        };
        let excluded = self.left_alone(e, left);
        Fault {
            onset,
            onset_why,
            signal,
            signal_why,
            fixed_by,
            fixed_why,
            heal,
            excluded,
        }
    }

    /// An episode without a recorded action that lasted past the instant
    /// the policy would have started its first one (docs/POLICY.md section
    /// 2, rules (a) and (b) and the repair delay on the check grid): the
    /// recorded policy left it alone for a reason the record does not
    /// show. Only for presets with periodic checks (AKS).
    fn left_alone(&self, e: &Episode, left: i64) -> Option<String> {
        if !e.actions.is_empty() || !self.opts.repairs_recorded {
            return None;
        }
        let p = &self.opts.policy;
        let act = first_action_at(p, e.silent, left)?;
        let end = e.ready.or(e.deleted).map(|t| t - self.start.0);
        let past = end.map_or(act < self.horizon_ms, |end| end > act);
        past.then(|| {
            format!(
                "no repair was seen, though {} would have started one at {}",
                p.preset.name(),
                self.start.format(crate::time::SimTime(act.max(0) as u64))
            )
        })
    }

    /// Replays the import through its policy and, where the replay starts
    /// an action the record does not have, holds that node from just
    /// before it to the end of its episode: the recorded policy had
    /// stopped acting (a taint or an annotation the record does not
    /// show). One hold per round, at the earliest divergence, until the
    /// replay starts nothing the record lacks (at most one round per
    /// episode, each one simulation). Only for AKS presets, whose Start
    /// events the record names.
    pub fn verify(mut self) -> Result<Imported, String> {
        use crate::policy::providers::Provider;
        if self.opts.policy.preset.provider() != Provider::Aks || !self.opts.repairs_recorded {
            return Ok(self);
        }
        let episodes: usize = self.episodes.iter().map(|(_, e)| e.len()).sum();
        let check = self.opts.policy.check_interval.ms() as i64;
        for _ in 0..=episodes {
            let toml = self.to_toml();
            let mut sc = crate::scenario::load_str("imported scenario", &toml)
                .map_err(|e| format!("the history does not make a valid scenario: {e}"))?;
            sc.policy = self.opts.policy.clone();
            let mut log = crate::observe::events::EventLog::new();
            crate::engine::simulate(&sc, 0, &mut log);
            // Only the earliest divergence each round: the ones after it
            // may be its consequences (a concurrency slot held longer).
            let mut hold = None;
            for e in log.events() {
                if e.phase != Some(EventPhase::Start) {
                    continue;
                }
                // A recorded Start up to one check away is the same action:
                // real checks jitter by a fraction of a second, and a strict
                // settle on an exact grid can take the check after.
                let at = self.start.0 + e.sim_ms as i64;
                if self.recorded_start(&e.node_label, at - check, at + check) {
                    continue;
                }
                // The episode the Start falls in: the node's last one that
                // began before it; the hold ends when the node is Ready.
                let end = self
                    .episodes
                    .iter()
                    .find(|(n, _)| *n == e.node_label)
                    .and_then(|(_, eps)| eps.iter().rfind(|x| x.left <= at))
                    .and_then(|x| x.ready.or(x.deleted));
                // The record acts later in the episode: its policy did not
                // stop, it was slower than this one (calibrate says by how
                // much). A hold would drop the recorded actions.
                if self.recorded_start(&e.node_label, at + check + 1, end.unwrap_or(i64::MAX)) {
                    continue;
                }
                let until = end.map(|t| t - self.start.0);
                // Past the episode's end: the record's policy acted sooner
                // than this one, nothing to hold.
                if until.is_some_and(|u| u <= e.sim_ms as i64) {
                    continue;
                }
                hold = Some(Hold {
                    node: e.node_label.clone(),
                    from: e.sim_ms as i64 - 1,
                    until,
                    why: format!(
                        "the record shows no {} at {}, which {} would have started: it had stopped acting on the node",
                        e.reason,
                        self.start.format(crate::time::SimTime(e.sim_ms)),
                        self.opts.policy.preset.name()
                    ),
                });
                break;
            }
            match hold {
                Some(h) => self.holds.push(h),
                None => return Ok(self),
            }
        }
        Ok(self)
    }

    /// The record has a Start on `node` from `lo` to `hi` \[Unix ms\].
    fn recorded_start(&self, node: &str, lo: i64, hi: i64) -> bool {
        lo <= hi
            && self
                .starts
                .range((node.to_string(), lo)..=(node.to_string(), hi))
                .next()
                .is_some()
    }

    /// A node silent from the start that was never Ready: one that never
    /// registered as healthy.
    fn never_registered(&self, e: &Episode) -> bool {
        e.silent && e.left == self.start.0 && e.ready.is_none() && e.actions.is_empty()
    }

    /// The input files, as given.
    pub fn sources(&self) -> &[String] {
        &self.opts.sources
    }

    /// The one-line summary for stderr.
    pub fn summary(&self) -> String {
        let eps: Vec<&Episode> = self.episodes.iter().flat_map(|(_, e)| e).collect();
        let nodes: usize = self.pools.iter().map(PoolOf::nodes).sum();
        format!(
            "imported {} events: {} node{} in {} pool{}, {} not-Ready episode{} ({} Ready again, {} never); \
             ignored {} events about other objects and {} with other reasons{}",
            self.events,
            nodes,
            if nodes == 1 { "" } else { "s" },
            self.pools.len(),
            if self.pools.len() == 1 { "" } else { "s" },
            eps.len(),
            if eps.len() == 1 { "" } else { "s" },
            eps.iter().filter(|e| e.ready.is_some()).count(),
            eps.iter().filter(|e| e.ready.is_none()).count(),
            self.ignored.other_objects,
            self.ignored.unknown_reasons,
            if self.ignored.aggregated > 0 {
                format!(
                    "; {} aggregated events (count above 1) read as their first occurrence only",
                    self.ignored.aggregated
                )
            } else {
                String::new()
            } + &if self.ignored.duplicates > 0 {
                format!("; {} duplicates read once", self.ignored.duplicates)
            } else {
                String::new()
            }
        )
    }

    /// The scenario, every inference in a comment beside its line.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# Imported by `repairsim import` from {}.",
            self.opts.sources.join(", ")
        );
        let _ = writeln!(s, "# {}.", self.summary());
        let _ = writeln!(
            s,
            "# Every fault below is inferred from one not-Ready episode; the comments say from what."
        );
        for n in &self.notes {
            let _ = writeln!(s, "# Note: {n}");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "name = {}", quoted(&self.opts.name));
        let _ = writeln!(s, "seed = 1");
        let _ = writeln!(
            s,
            "start = {}   # {}",
            quoted(&self.start.format(crate::time::SimTime::ZERO)),
            self.start_why
        );
        let _ = writeln!(
            s,
            "horizon = {}   # to the last recorded event",
            quoted(&dur(self.horizon_ms))
        );
        let never: Vec<String> = self
            .episodes
            .iter()
            .filter(|(_, eps)| eps.first().is_some_and(|e| self.never_registered(e)))
            .map(|(n, _)| quoted(n))
            .collect();
        if !never.is_empty() {
            let _ = writeln!(
                s,
                "never_registered = [{}]   # Unknown from the start and never Ready",
                never.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "\n[policy]\npreset = {}   # the policy to replay through (--preset)",
            quoted(self.opts.policy.preset.name())
        );
        for p in &self.pools {
            let _ = writeln!(s, "\n[[pools]]");
            let _ = writeln!(
                s,
                "name = {}   # {}",
                quoted(&p.name),
                if p.name.starts_with(UNSEEN) && p.names.is_empty() {
                    format!(
                        "nodes the record does not name (it has no RegisteredNode events): the \
                         policy acted, so the cluster had at least {} (min_cluster_nodes) and not \
                         every node was down",
                        self.opts.policy.min_cluster_nodes.max(2)
                    )
                } else if p.indexed {
                    format!("from the node names {}-0 ..", p.name)
                } else if !p.names.iter().all(|n| n.starts_with("aks-")) {
                    "node names as recorded".to_string()
                } else {
                    format!("from the AKS node names aks-{}-<id>-vmss<instance>", p.name)
                }
            );
            let _ = writeln!(
                s,
                "os = {}{}",
                quoted(if p.windows { "windows" } else { "linux" }),
                if p.windows {
                    "   # --windows"
                } else {
                    "   # events do not say; --windows POOL for Windows pools"
                }
            );
            if p.name.starts_with(UNSEEN) && p.names.is_empty() {
                let _ = writeln!(
                    s,
                    "count = {}   # at least one, and enough for min_cluster_nodes",
                    p.count
                );
            } else if p.indexed {
                let _ = writeln!(
                    s,
                    "count = {}   # the highest index seen, plus one",
                    p.count
                );
            } else {
                let names: Vec<String> = p.names.iter().map(|n| quoted(n)).collect();
                let _ = writeln!(s, "nodes = [{}]   # as recorded", names.join(", "));
            }
        }
        if !self.durations.is_empty() {
            let _ = writeln!(s, "\n[actions]");
            let mut kinds: Vec<ActionKind> = self.durations.keys().map(|k| k.0).collect();
            kinds.dedup();
            for k in kinds {
                let mut fields = Vec::new();
                let mut why = Vec::new();
                for (windows, key) in [(false, "duration"), (true, "windows_duration")] {
                    if let Some(v) = self.durations.get(&(k, windows)) {
                        let mut v = v.clone();
                        v.sort_unstable();
                        let median = v[(v.len() - 1) / 2];
                        fields.push(format!("{key} = {}", quoted(&dur(median))));
                        why.push(if v[0] == v[v.len() - 1] {
                            format!("{} recorded, all {}", v.len(), dur(median))
                        } else {
                            format!(
                                "{} recorded, {} to {}: the median",
                                v.len(),
                                dur(v[0]),
                                dur(v[v.len() - 1])
                            )
                        });
                    }
                }
                let _ = writeln!(
                    s,
                    "{} = {{ {} }}   # {}",
                    k.name(),
                    fields.join(", "),
                    why.join("; ")
                );
            }
        }
        for (node, eps) in &self.episodes {
            for (i, e) in eps.iter().enumerate() {
                if self.never_registered(e) {
                    continue;
                }
                let f = self.fault(e);
                let name = format!("{node}-{}", i + 1);
                let _ = writeln!(s, "\n[[faults]]");
                let _ = writeln!(
                    s,
                    "name = {}   # node {node}, not-Ready episode {}",
                    quoted(&name),
                    i + 1
                );
                let _ = writeln!(s, "signal = {}   # {}", quoted(f.signal), f.signal_why);
                let _ = writeln!(s, "fixed_by = {}   # {}", quoted(&f.fixed_by), f.fixed_why);
                if let Some((after, why)) = &f.heal {
                    let _ = writeln!(s, "self_heal_after = {}   # {}", quoted(&dur(*after)), why);
                }
                if let Some(why) = &f.excluded {
                    let _ = writeln!(s, "exclude = \"unknown\"   # {why}");
                }
                let ended = &e.actions;
                if !ended.is_empty() {
                    let _ = writeln!(
                        s,
                        "actions = [   # as recorded: each attempt's duration, and its error"
                    );
                    for a in ended {
                        // Still running when the history ends: it ends
                        // after the horizon in the replay too.
                        let running = a.end.is_none();
                        let took = a
                            .end
                            .unwrap_or(self.start.0 + self.horizon_ms + STATUS_TICK)
                            - a.start;
                        let known = |c: &str| crate::k8s::ERROR_CODES.contains(&c);
                        let (error, unknown) = match a.error.as_deref() {
                            None => (String::new(), String::new()),
                            Some(c) if c.is_empty() || known(c) => {
                                (format!(", error = {}", quoted(c)), String::new())
                            }
                            Some(c) => (
                                ", error = \"\"".to_string(),
                                format!(" (code {c:?}, not one the troubleshooting page names)"),
                            ),
                        };
                        let _ = writeln!(
                            s,
                            "  {{ kind = {}, duration = {}{error} }},   # started {}{unknown}{}",
                            quoted(a.kind.name()),
                            quoted(&dur(took.max(1))),
                            self.start.format(crate::time::SimTime(
                                (a.start - self.start.0).max(0) as u64
                            )),
                            if running {
                                "; still running when the history ends, so past the horizon"
                            } else {
                                ""
                            },
                        );
                    }
                    let _ = writeln!(s, "]");
                }
                let _ = writeln!(s, "\n[[inject]]");
                let _ = writeln!(s, "at = {}   # {}", quoted(&dur(f.onset)), f.onset_why);
                let _ = writeln!(s, "node = {}", quoted(node));
                let _ = writeln!(s, "fault = {}", quoted(&name));
            }
        }
        for h in &self.holds {
            let _ = writeln!(s, "\n[[exclusions]]   # {}", h.why);
            let _ = writeln!(s, "reason = \"unknown\"");
            let _ = writeln!(s, "node = {}", quoted(&h.node));
            let _ = writeln!(s, "from = {}", quoted(&dur(h.from)));
            if let Some(until) = h.until {
                let _ = writeln!(s, "until = {}   # Ready again", quoted(&dur(until)));
            }
        }
        s
    }
}
