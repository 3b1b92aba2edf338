//! The failure trace: every input of one replication (fault arrivals with
//! their self-heal instants, taint and upgrade windows), in time order.
//! [`TraceCursor`] draws it as the engine goes, in memory by streams, not
//! by the horizon; [`FailureTrace`] is the same inputs listed.
//!
//! Invariant: the trace depends on the scenario's fleet, faults, injections
//! and seed, never on the policy. So two policies run on the same trace see
//! the same faults at the same instants (common random numbers), and a
//! replayed cluster history is just another way to build a trace.
//!
//! It also keeps the engine's queue small: the queue holds only what the
//! simulation itself schedules, and the trace is merged in by a cursor.
//!
//! # Which draws belong to which node
//!
//! Every random choice about a node comes from a stream named by the node's
//! name ([`crate::fleet::Node::stream_id`]) and the *name* of what draws it,
//! never by a position in the fleet or in the scenario file. So adding a
//! node or a pool, or another `[[failures]]`, `[[outages]]` or `[[inject]]`
//! entry, leaves every other node's fault arrivals where they were:
//!
//! - `[[failures]]`: one stream per (node, fault name, occurrence number of
//!   the entry among the entries for that fault).
//! - `[[outages]]` with `fraction`: each candidate is hit independently,
//!   when a uniform draw in \[0, 1) from the stream of (node, outage name)
//!   is below `fraction`. The number of nodes hit is binomial, not exactly
//!   `fraction` × candidates; 1.0 still hits every candidate.
//! - `[[inject]]` with `pool` and `count`: each node of the pool gets a key
//!   from the stream of (node, injection time, fault, pool); the `count`
//!   smallest keys are hit (ties by node id). Growing the pool changes the
//!   choice only at the margin.

use crate::dist::DurationDist;
use crate::faults::{FaultId, Target};
use crate::fleet::NodeId;
use crate::policy::Exclusion;
use crate::rng::{Purpose, at_word, stable_hash, stream, stream_base};
use crate::scenario::Scenario;
use crate::time::SimTime;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// One input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// A fault reaches `node`; it would go away by itself at `heal_at`.
    Fault {
        node: NodeId,
        fault: FaultId,
        heal_at: Option<SimTime>,
    },
    /// Mark window `window` (a taint or an upgrade) starts (`on`) or ends.
    Mark { window: u32, on: bool },
}

/// The inputs of one replication, in time order (ties: scenario order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FailureTrace {
    pub inputs: Vec<(SimTime, Input)>,
}

/// The self-heal instant of a fault at `at` [ms], drawn from the stream of
/// `entity` (a node paired with the input that brought the fault).
fn heal(
    sc: &Scenario,
    replication: u64,
    fault: FaultId,
    entity: u64,
    at: SimTime,
) -> Option<SimTime> {
    let d = sc.faults[fault as usize].self_heal_after.as_ref()?;
    Some(at + d.sample(&mut stream(sc.seed, replication, entity, Purpose::SelfHeal)))
}

/// Sorts `inputs` by time; equal instants keep their order (the scenario
/// order above). O(n log n).
///
/// Times are below 2^42 ms (the horizon is at most 100 years), so a time
/// and a position up to 2^22 pack into one `u64`: an unstable sort of those
/// keys, then one gather, is several times faster than a stable sort of the
/// 32-byte inputs (a fleet-year has ~120,000 of them).
fn sort_stable_by_time(inputs: &mut [(SimTime, Input)]) {
    const POS_BITS: u32 = 22;
    let fits =
        inputs.len() < 1 << POS_BITS && inputs.iter().all(|(t, _)| t.ms() < 1 << (64 - POS_BITS));
    if !fits {
        inputs.sort_by_key(|(t, _)| *t);
        return;
    }
    if inputs.is_sorted_by_key(|(t, _)| *t) {
        return;
    }
    let mut keys: Vec<u64> = inputs
        .iter()
        .enumerate()
        .map(|(i, (t, _))| t.ms() << POS_BITS | i as u64)
        .collect();
    keys.sort_unstable();
    let mask = (1u64 << POS_BITS) - 1;
    // The gather in place, cycle by cycle: a second list of the inputs
    // would double the trace's peak (40 MB at 100,000 nodes).
    let mut from: Vec<u64> = keys;
    from.iter_mut().for_each(|k| *k &= mask);
    for i in 0..from.len() {
        if from[i] == i as u64 {
            continue;
        }
        let held = inputs[i];
        let mut j = i;
        loop {
            let k = from[j] as usize;
            from[j] = j as u64;
            if k == i {
                inputs[j] = held;
                break;
            }
            inputs[j] = inputs[k];
            j = k;
        }
    }
}

/// The entity of a stream that belongs to a node and to something else
/// (an arrival spec, an outage, an injection), both named by hashes of
/// names. The rotation keeps the pair ordered: (a, b) and (b, a) differ.
fn pair(node_stream_id: u64, other: u64) -> u64 {
    node_stream_id ^ other.rotate_left(17)
}

/// The `count` nodes of `nodes` with the smallest keys, in node order.
///
/// Each node's key is the first `u64` of the stream of (node, `id`), so it
/// depends only on the node's name and the injection, not on the other
/// nodes: growing the pool changes the choice only at the margin (a new
/// node with a small key pushes out the old pick with the largest key).
/// Equal keys go by node id. O(n log n) in the pool size.
fn pick_smallest_keys(
    sc: &Scenario,
    replication: u64,
    nodes: std::ops::Range<NodeId>,
    id: u64,
    count: u32,
) -> Vec<NodeId> {
    let mut keyed: Vec<(u64, NodeId)> = nodes
        .map(|node| {
            let entity = pair(sc.fleet.node(node).stream_id, id);
            let key: u64 = stream(sc.seed, replication, entity, Purpose::Selection).r#gen();
            (key, node)
        })
        .collect();
    keyed.sort_unstable();
    let mut picked: Vec<NodeId> = keyed
        .into_iter()
        .take(count as usize)
        .map(|(_, n)| n)
        .collect();
    picked.sort_unstable();
    picked
}

impl FailureTrace {
    /// Builds the trace of replication `replication` of `sc`, every input
    /// listed: what [`TraceCursor`] hands out one by one.
    pub fn build(sc: &Scenario, replication: u64) -> FailureTrace {
        FailureTrace {
            inputs: TraceCursor::new(sc, replication).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }
}

/// One (node, arrival spec) pair's stream of fault arrivals, drawn one
/// arrival ahead. Its two random streams are kept as their positions
/// (ChaCha word offsets) rather than as generators: 40 bytes instead of
/// about 600, at the cost of rebuilding a generator when the stream next
/// draws (once per batch window in which it has an arrival).
#[derive(Clone, Copy, Debug)]
struct ArrivalStream {
    /// The next arrival; at or past the horizon when there is none, and 0
    /// before the first draw.
    next: SimTime,
    entity: u64,
    /// Words of the arrivals stream and of the self-heal stream drawn.
    arrival_pos: u64,
    heal_pos: u64,
    node: NodeId,
    /// Index into [`TraceCursor::specs`].
    spec: u32,
}

/// An arrival spec as the cursor draws it.
#[derive(Clone, Debug)]
struct Spec {
    fault: FaultId,
    gap: DurationDist,
    /// The gaps' mean \[ms\].
    mtbf_ms: u64,
    self_heal: Option<DurationDist>,
}

/// An arrival drawn into a batch, with what the input needs, so that
/// handing it out reads no stream.
#[derive(Clone, Copy, Debug)]
struct Drawn {
    at: SimTime,
    /// The self-heal instant \[ms\], or `u64::MAX` for none.
    heal: u64,
    stream: u32,
    node: NodeId,
    fault: FaultId,
}

/// Arrivals a batch window holds, about (see [`TraceCursor::window`]).
const BATCH_TARGET: u64 = 1 << 17;

/// The inputs of one replication in time order, drawn as the engine asks
/// for them: the failure trace without its list.
///
/// The scheduled inputs (never-registered nodes, injections, outages,
/// taint and upgrade windows) are few and listed. Stochastic arrivals are
/// drawn a window of simulated time at a time: every stream whose next
/// arrival falls in the window draws up to the window's end, and the
/// batch is sorted by (time, stream). The window is sized for about
/// [`BATCH_TARGET`] arrivals, or two per stream when there are more
/// streams, so memory is O(streams + batch), whatever the horizon. The
/// order is [`FailureTrace`]'s: by time; at equal instants the scheduled
/// inputs in scenario order, then arrivals by spec, then by node.
#[derive(Clone, Debug)]
pub struct TraceCursor {
    /// The next input, drawn ahead.
    head: Option<(SimTime, Input)>,
    fixed: Vec<(SimTime, Input)>,
    next_fixed: usize,
    specs: Vec<Spec>,
    streams: Vec<ArrivalStream>,
    /// The current window's arrivals, sorted by (time, stream).
    batch: Vec<Drawn>,
    next_batch: usize,
    /// The end of the window drawn so far \[ms\].
    drawn_to: SimTime,
    /// The window's length \[ms\].
    window: u64,
    /// The keyed generator every stream of this replication starts from.
    base: ChaCha8Rng,
    horizon: SimTime,
}

impl Iterator for TraceCursor {
    type Item = (SimTime, Input);

    fn next(&mut self) -> Option<(SimTime, Input)> {
        let head = self.head.take();
        self.head = self.following();
        head
    }
}

impl TraceCursor {
    /// The instant of the next input, if any. O(1): the engine asks
    /// before every event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.head.map(|h| h.0)
    }

    /// The node of the next input, if it is a fault: a hint for
    /// [`crate::cache::prefetch`].
    #[inline]
    pub fn peek_node(&self) -> Option<NodeId> {
        match self.head {
            Some((_, Input::Fault { node, .. })) => Some(node),
            _ => None,
        }
    }

    /// The input after the ones handed out and the head.
    fn following(&mut self) -> Option<(SimTime, Input)> {
        let fixed = self.fixed.get(self.next_fixed).map(|f| f.0);
        let arrival = self.peek_arrival();
        match (fixed, arrival) {
            (Some(f), Some(a)) if f <= a => self.next_fixed(),
            (Some(_), None) => self.next_fixed(),
            (_, Some(_)) => self.next_arrival(),
            (None, None) => None,
        }
    }

    fn next_fixed(&mut self) -> Option<(SimTime, Input)> {
        let f = self.fixed.get(self.next_fixed).copied();
        self.next_fixed += 1;
        f
    }

    /// The next arrival's instant, drawing windows until one has arrivals
    /// or the horizon is reached.
    fn peek_arrival(&mut self) -> Option<SimTime> {
        while self.next_batch == self.batch.len() {
            if self.drawn_to >= self.horizon {
                return None;
            }
            self.draw_window();
        }
        self.batch.get(self.next_batch).map(|b| b.at)
    }

    fn next_arrival(&mut self) -> Option<(SimTime, Input)> {
        self.peek_arrival()?;
        let d = self.batch[self.next_batch];
        self.next_batch += 1;
        Some((
            d.at,
            Input::Fault {
                node: d.node,
                fault: d.fault,
                heal_at: (d.heal != u64::MAX).then_some(SimTime(d.heal)),
            },
        ))
    }

    /// Draws every arrival in the next window, with its self-heal
    /// instant, and sorts them by (time, stream).
    fn draw_window(&mut self) {
        let from = self.drawn_to;
        let to = SimTime(from.ms().saturating_add(self.window)).min(self.horizon);
        self.batch.clear();
        self.next_batch = 0;
        for (i, st) in self.streams.iter_mut().enumerate() {
            if st.next >= to {
                continue;
            }
            let spec = &self.specs[st.spec as usize];
            let mut r = at_word(
                &self.base,
                st.entity,
                Purpose::FaultArrivals,
                st.arrival_pos,
            );
            // The k-th arrival of this (node, spec) takes the k-th self-heal
            // draw of the same pair, whatever else happens.
            let mut hr = spec
                .self_heal
                .as_ref()
                .map(|_| at_word(&self.base, st.entity, Purpose::SelfHeal, st.heal_pos));
            if st.arrival_pos == 0 {
                // The stream's first draw: its first arrival.
                st.next = SimTime::ZERO + spec.gap.sample(&mut r);
            }
            while st.next < to {
                let t = st.next;
                let heal = match (&spec.self_heal, hr.as_mut()) {
                    (Some(d), Some(hr)) => (t + d.sample(hr)).ms(),
                    _ => u64::MAX,
                };
                self.batch.push(Drawn {
                    at: t,
                    heal,
                    stream: i as u32,
                    node: st.node,
                    fault: spec.fault,
                });
                st.next = t + spec.gap.sample(&mut r);
            }
            st.arrival_pos = r.get_word_pos() as u64;
            if let Some(hr) = hr {
                st.heal_pos = hr.get_word_pos() as u64;
            }
        }
        // Keys are unique: one arrival per stream per instant.
        self.batch.sort_unstable_by_key(|b| (b.at, b.stream));
        self.drawn_to = to;
    }

    /// A window holding about [`BATCH_TARGET`] arrivals (two per stream
    /// when there are more streams) at the specs' rates, at least 1 s.
    fn window(&self) -> u64 {
        // Expected arrivals per ms, summed over the streams.
        let rate: f64 = self
            .streams
            .iter()
            .map(|s| 1.0 / self.specs[s.spec as usize].mtbf_ms.max(1) as f64)
            .sum();
        let target = BATCH_TARGET.max(2 * self.streams.len() as u64) as f64;
        if rate > 0.0 {
            ((target / rate) as u64).max(1_000)
        } else {
            u64::MAX
        }
    }

    /// The cursor of replication `replication` of `sc`. O(scheduled
    /// inputs · log + streams).
    pub fn new(sc: &Scenario, replication: u64) -> TraceCursor {
        let horizon = SimTime::ZERO + sc.horizon;
        let rng = |entity: u64, purpose| stream(sc.seed, replication, entity, purpose);
        let mut inputs: Vec<(SimTime, Input)> = Vec::new();

        if !sc.never_registered.is_empty() {
            let fault = sc
                .faults
                .iter()
                .position(|f| f.exclude == Some(Exclusion::NeverRegistered));
            if let Some(f) = fault {
                for &node in &sc.never_registered {
                    inputs.push((
                        SimTime::ZERO,
                        Input::Fault {
                            node,
                            fault: f as FaultId,
                            heal_at: None,
                        },
                    ));
                }
            }
        }
        // Identity of each injection: its time, fault and pool, plus its
        // occurrence number among injections with that same triple, so
        // inserting another injection moves no other one's choice.
        let mut seen_injections: Vec<(SimTime, FaultId, usize)> = Vec::new();
        let mut seen_heal_keys: Vec<String> = Vec::new();
        for inj in &sc.injections {
            let nodes: Vec<NodeId> = match inj.target {
                Target::Node(n) => vec![n],
                Target::Pool { pool, count } => {
                    let same = seen_injections
                        .iter()
                        .filter(|k| **k == (inj.at, inj.fault, pool))
                        .count();
                    seen_injections.push((inj.at, inj.fault, pool));
                    let id = stable_hash(&format!(
                        "inject@{}ms#{}#{}#{same}",
                        inj.at.ms(),
                        sc.faults[inj.fault as usize].name,
                        sc.fleet.pools[pool].name,
                    ));
                    pick_smallest_keys(sc, replication, sc.fleet.pool_nodes(pool), id, count)
                }
            };
            // Named like the pool choice above: time, fault, target and
            // occurrence, so inserting another injection moves no heal draw.
            let target = match inj.target {
                Target::Node(n) => sc.fleet.node(n).name.clone(),
                Target::Pool { pool, .. } => sc.fleet.pools[pool].name.clone(),
            };
            let key = format!(
                "inject@{}ms#{}#{target}",
                inj.at.ms(),
                sc.faults[inj.fault as usize].name
            );
            let same = seen_heal_keys.iter().filter(|k| **k == key).count();
            let inj_id = stable_hash(&format!("{key}#{same}"));
            seen_heal_keys.push(key);
            for node in nodes {
                let heal_at = heal(
                    sc,
                    replication,
                    inj.fault,
                    pair(sc.fleet.node(node).stream_id, inj_id),
                    inj.at,
                );
                inputs.push((
                    inj.at,
                    Input::Fault {
                        node,
                        fault: inj.fault,
                        heal_at,
                    },
                ));
            }
        }
        for o in &sc.outages {
            // Each candidate on its own: hit when its uniform draw in [0, 1)
            // is below `fraction` (so 1.0 hits every one). The draw comes
            // from the stream of (node, outage name), so whether a node is
            // hit does not depend on the other candidates.
            let outage_id = stable_hash(&format!("outage#{}", o.name));
            let picked = o.candidates.iter().copied().filter(|&node| {
                let entity = pair(sc.fleet.node(node).stream_id, outage_id);
                let u: f64 = rng(entity, Purpose::Selection).r#gen();
                u < o.fraction
            });
            for node in picked {
                inputs.push((
                    o.at,
                    Input::Fault {
                        node,
                        fault: o.fault,
                        heal_at: Some(o.at + o.duration),
                    },
                ));
            }
        }
        for (w, m) in sc.marks.iter().enumerate() {
            inputs.push((
                m.from,
                Input::Mark {
                    window: w as u32,
                    on: true,
                },
            ));
            if let Some(until) = m.until {
                inputs.push((
                    until,
                    Input::Mark {
                        window: w as u32,
                        on: false,
                    },
                ));
            }
        }
        inputs.retain(|(t, _)| *t < horizon);
        sort_stable_by_time(&mut inputs);
        let mut cursor = TraceCursor {
            head: None,
            fixed: inputs,
            next_fixed: 0,
            specs: Vec::with_capacity(sc.arrivals.len()),
            streams: Vec::new(),
            batch: Vec::new(),
            next_batch: 0,
            drawn_to: SimTime::ZERO,
            window: u64::MAX,
            base: stream_base(sc.seed, replication),
            horizon,
        };
        // Each (node, arrival spec) pair has its own stream, named by names:
        // the spec by its fault's name and its occurrence number among the
        // specs of that fault (0 for the first `kubelet-hang` entry, 1 for
        // the second...), never by its position in the file. So adding a
        // node, or a spec for another fault, moves no other draws.
        let mut occurrences = vec![0u64; sc.faults.len()];
        for (si, a) in sc.arrivals.iter().enumerate() {
            let k = &mut occurrences[a.fault as usize];
            let spec_id = stable_hash(&sc.faults[a.fault as usize].name) ^ k.rotate_left(32);
            *k += 1;
            cursor.specs.push(Spec {
                fault: a.fault,
                // Whole seconds, at least 1 s, like every exponential draw.
                gap: DurationDist::Exponential(a.mtbf),
                mtbf_ms: a.mtbf.ms(),
                self_heal: sc.faults[a.fault as usize].self_heal_after.clone(),
            });
            // Stream indices follow (spec, node): the tie order at equal
            // instants. Each stream draws its first arrival in the first
            // window (`next` 0 with nothing drawn).
            for &node in &a.nodes {
                cursor.streams.push(ArrivalStream {
                    next: SimTime::ZERO,
                    entity: pair(sc.fleet.node(node).stream_id, spec_id),
                    arrival_pos: 0,
                    heal_pos: 0,
                    node,
                    spec: si as u32,
                });
            }
        }
        cursor.window = cursor.window();
        cursor.head = cursor.following();
        cursor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trace as it was built before the cursor: every arrival drawn
    /// from live generators up front, then one stable sort by time.
    fn eager(sc: &Scenario, replication: u64) -> Vec<(SimTime, Input)> {
        let horizon = SimTime::ZERO + sc.horizon;
        let rng = |entity: u64, purpose| stream(sc.seed, replication, entity, purpose);
        let mut inputs = TraceCursor::new(sc, replication).fixed;
        let mut occurrences = vec![0u64; sc.faults.len()];
        for a in &sc.arrivals {
            let k = &mut occurrences[a.fault as usize];
            let spec_id = stable_hash(&sc.faults[a.fault as usize].name) ^ k.rotate_left(32);
            *k += 1;
            for &node in &a.nodes {
                let entity = pair(sc.fleet.node(node).stream_id, spec_id);
                let mut r = rng(entity, Purpose::FaultArrivals);
                let self_heal = sc.faults[a.fault as usize].self_heal_after.as_ref();
                let mut heal_rng = self_heal.map(|_| rng(entity, Purpose::SelfHeal));
                let gap = DurationDist::Exponential(a.mtbf);
                let mut t = SimTime::ZERO + gap.sample(&mut r);
                while t < horizon {
                    let heal_at = self_heal
                        .zip(heal_rng.as_mut())
                        .map(|(d, hr)| t + d.sample(hr));
                    inputs.push((
                        t,
                        Input::Fault {
                            node,
                            fault: a.fault,
                            heal_at,
                        },
                    ));
                    t = t + gap.sample(&mut r);
                }
            }
        }
        sort_stable_by_time(&mut inputs);
        inputs
    }

    #[test]
    fn the_cursor_hands_out_the_eager_trace_whatever_its_window() {
        let mut arrivals = 0;
        let mut paths: Vec<_> = std::fs::read_dir("scenarios")
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("toml"))
            .map(|p| (p, Vec::new()))
            .collect();
        // A year of the default fleet: thousands of arrivals, many windows.
        let year = crate::scenario::Patch::Set {
            key: "horizon".into(),
            value: "365d".into(),
        };
        paths.push(("scenarios/default.toml".into(), vec![year]));
        // Arrivals every few whole seconds: streams tie at equal instants.
        let set = |key: &str, value: &str| crate::scenario::Patch::Set {
            key: key.into(),
            value: value.into(),
        };
        let ties = vec![
            set("horizon", "20m"),
            set("failures[0].mtbf", "3s"),
            set("failures[1].mtbf", "3s"),
        ];
        paths.push(("scenarios/default.toml".into(), ties));
        for (path, patches) in paths {
            let sc = crate::cli::load_scenario(Some(&path), &patches).unwrap();
            for replication in 0..2 {
                let want = eager(&sc, replication);
                arrivals += want.len();
                // 1 s windows, 1 h, the sized one, and one window for all.
                for window in [Some(1_000), Some(3_600_000), None, Some(u64::MAX)] {
                    let mut c = TraceCursor::new(&sc, replication);
                    if let Some(w) = window {
                        c = TraceCursor { window: w, ..c };
                    }
                    let got: Vec<_> = c.collect();
                    assert!(got == want, "{}: window {window:?}", path.display());
                }
            }
        }
        assert!(arrivals > 5_000, "{arrivals} inputs");
    }

    #[test]
    fn the_packed_sort_is_a_stable_sort_by_time() {
        let input = |i: u32| Input::Mark {
            window: i,
            on: i.is_multiple_of(2),
        };
        for big in [false, true] {
            // Many ties, so stability shows; `big` takes the fallback path.
            let mut v: Vec<(SimTime, Input)> = (0..5_000u32)
                .map(|i| {
                    let t = u64::from(i.wrapping_mul(2_654_435_761) % 97);
                    (SimTime(if big { t << 50 } else { t }), input(i))
                })
                .collect();
            let mut want = v.clone();
            want.sort_by_key(|(t, _)| *t);
            sort_stable_by_time(&mut v);
            assert_eq!(v, want);
        }
    }
}
