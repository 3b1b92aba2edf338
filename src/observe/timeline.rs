//! Node timelines: what each node showed, as intervals `[start, end)`, and
//! the totals the reports need (not-Ready time, the fewest Ready nodes per
//! pool).
//!
//! Every node starts `Ready` at 0, except the scenario's never-registered
//! nodes, which start `Unknown`; a `State` record at 0 overrides either.
//! Zero-length intervals are dropped and adjacent equal states merged, so
//! several state changes at one instant leave only the last.
//!
//! Invariant: with `keep_intervals = false` memory is O(nodes + pools) and
//! each record costs O(1), whatever the horizon (the 10,000-node-year
//! benchmark runs that way).

use super::{NodeState, Observer, Record};
use crate::fleet::NodeId;
use crate::scenario::Scenario;
use crate::time::SimTime;

/// A node showed `state` from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: SimTime,
    pub end: SimTime,
    pub state: NodeState,
}

#[derive(Clone, Copy, Debug)]
struct Track {
    state: NodeState,
    since: SimTime,
    /// Closed time in any state but `Ready` \[ms\].
    not_ready_ms: u64,
    /// Index into the fleet's pools; `None` before `begin` saw the node.
    pool: Option<usize>,
}

#[derive(Clone, Copy, Debug)]
struct PoolCount {
    ready: u32,
    min_ready: u32,
    min_ready_at: SimTime,
    /// Changed since the last fold into `min_ready`.
    dirty: bool,
}

/// A point of a capacity step series: from `at` \[ms\] on, `series`
/// (a pool index, or the pool count for nodes in repair) is `level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub at: u64,
    pub series: u32,
    pub level: u32,
}

/// The capacity series being built: levels at the end of each instant,
/// one point per change.
#[derive(Debug)]
struct Steps {
    /// Nodes in an acting state.
    acting: u32,
    acting_dirty: bool,
    /// The last level emitted per series; `u32::MAX` before the first.
    last: Vec<u32>,
    out: Vec<Step>,
}

/// Records node timelines. See the module doc.
#[derive(Debug)]
pub struct TimelineLog {
    keep_intervals: bool,
    tracks: Vec<Track>,
    /// By node; empty when `keep_intervals` is false.
    intervals: Vec<Vec<Interval>>,
    pools: Vec<PoolCount>,
    /// Pools changed since the last fold.
    dirty: Vec<usize>,
    /// Handing intervals off once final instead of keeping them: each
    /// node's last interval, which may still grow (`start == end`: none).
    pending: Option<Vec<Interval>>,
    /// Final intervals not yet taken ([`TimelineLog::take_final`]).
    finals: Vec<(NodeId, Interval)>,
    /// The capacity step series, when asked for.
    steps: Option<Steps>,
    /// The instant of the latest record.
    now: SimTime,
    /// Closed time per state, fleet-wide, indexed like [`NodeState::ALL`] \[ms\].
    state_ms: [u64; NodeState::ALL.len()],
    horizon: Option<SimTime>,
}

/// No interval (zero length).
const EMPTY: Interval = Interval {
    start: SimTime::ZERO,
    end: SimTime::ZERO,
    state: NodeState::Ready,
};

impl TimelineLog {
    /// `keep_intervals`: keep every interval (for `timeline.csv` and charts);
    /// false keeps only the totals.
    pub fn new(keep_intervals: bool) -> TimelineLog {
        TimelineLog {
            keep_intervals,
            tracks: Vec::new(),
            intervals: Vec::new(),
            pools: Vec::new(),
            dirty: Vec::new(),
            pending: None,
            finals: Vec::new(),
            steps: None,
            now: SimTime::ZERO,
            state_ms: [0; NodeState::ALL.len()],
            horizon: None,
        }
    }

    /// A log that keeps no intervals but hands each off once final
    /// ([`TimelineLog::take_final`]), and with `steps` builds the capacity
    /// step series ([`TimelineLog::take_steps`]). Memory is O(nodes +
    /// pools) plus what was not taken yet.
    pub fn handing_off(steps: bool) -> TimelineLog {
        let mut log = TimelineLog::new(false);
        log.pending = Some(Vec::new());
        if steps {
            log.steps = Some(Steps {
                acting: 0,
                acting_dirty: true,
                last: Vec::new(),
                out: Vec::new(),
            });
        }
        log
    }

    /// The intervals that became final since the last call, each once:
    /// in the order they became final, every interval of a node in time
    /// order. The last ones come with `finish`.
    pub fn take_final(&mut self) -> std::vec::Drain<'_, (NodeId, Interval)> {
        self.finals.drain(..)
    }

    /// The capacity series' points since the last call, in time order:
    /// each series starts with its level at 0 and has a point wherever its
    /// level at the end of an instant before the horizon changed.
    pub fn take_steps(&mut self) -> impl Iterator<Item = Step> + '_ {
        self.steps.iter_mut().flat_map(|s| s.out.drain(..))
    }

    /// Where the run stopped, once `finish` ran.
    pub fn horizon(&self) -> Option<SimTime> {
        self.horizon
    }

    /// A node's intervals in time order, the last closed at the horizon;
    /// empty when intervals are not kept.
    pub fn intervals(&self, node: NodeId) -> &[Interval] {
        self.intervals
            .get(node as usize)
            .map_or(&[], |v| v.as_slice())
    }

    /// The node's current state (its last state once finished).
    pub fn state(&self, node: NodeId) -> Option<NodeState> {
        self.tracks.get(node as usize).map(|t| t.state)
    }

    /// Time the node spent in any state but `Ready` \[ms\]; complete once
    /// `finish` ran.
    pub fn not_ready_ms(&self, node: NodeId) -> u64 {
        self.tracks.get(node as usize).map_or(0, |t| t.not_ready_ms)
    }

    /// Sum of [`TimelineLog::not_ready_ms`] over the fleet \[ms\].
    pub fn total_not_ready_ms(&self) -> u64 {
        self.tracks.iter().map(|t| t.not_ready_ms).sum()
    }

    /// Node time spent in `state`, fleet-wide \[ms\].
    pub fn state_ms(&self, state: NodeState) -> u64 {
        self.state_ms[NodeState::index(state)]
    }

    /// The fewest `Ready` nodes the pool (index into the fleet's pools) had
    /// over any interval of positive length.
    pub fn min_ready(&self, pool: usize) -> u32 {
        self.pools.get(pool).map_or(0, |p| p.min_ready)
    }

    /// When the pool first had [`TimelineLog::min_ready`] Ready nodes.
    pub fn min_ready_at(&self, pool: usize) -> SimTime {
        self.pools
            .get(pool)
            .map_or(SimTime::ZERO, |p| p.min_ready_at)
    }

    /// The pools' counts held over `[self.now, until)`: fold them into the
    /// minima. O(pools changed).
    fn fold(&mut self, until: SimTime) {
        if until <= self.now {
            return;
        }
        for &p in &self.dirty {
            let pc = &mut self.pools[p];
            pc.dirty = false;
            if pc.ready < pc.min_ready {
                pc.min_ready = pc.ready;
                pc.min_ready_at = self.now;
            }
            if let Some(s) = &mut self.steps
                && s.last[p] != pc.ready
            {
                s.last[p] = pc.ready;
                s.out.push(Step {
                    at: self.now.ms(),
                    series: p as u32,
                    level: pc.ready,
                });
            }
        }
        self.dirty.clear();
        if let Some(s) = &mut self.steps
            && s.acting_dirty
        {
            s.acting_dirty = false;
            let i = self.pools.len();
            if s.last[i] != s.acting {
                s.last[i] = s.acting;
                s.out.push(Step {
                    at: self.now.ms(),
                    series: i as u32,
                    level: s.acting,
                });
            }
        }
        self.now = until;
    }

    fn mark_dirty(&mut self, pool: usize) {
        if !self.pools[pool].dirty {
            self.pools[pool].dirty = true;
            self.dirty.push(pool);
        }
    }

    /// Closes the node's current interval at `at` (dropped when empty,
    /// merged into an equal predecessor) and adds it to the totals.
    fn close(&mut self, node: usize, at: SimTime) {
        let t = self.tracks[node];
        let len = at.since(t.since).ms();
        if len > 0 {
            self.state_ms[NodeState::index(t.state)] += len;
            if t.state != NodeState::Ready {
                self.tracks[node].not_ready_ms += len;
            }
            if let Some(pending) = &mut self.pending {
                let last = &mut pending[node];
                if last.state == t.state && last.end == t.since && last.start < last.end {
                    last.end = at;
                } else {
                    if last.start < last.end {
                        self.finals.push((node as NodeId, *last));
                    }
                    *last = Interval {
                        start: t.since,
                        end: at,
                        state: t.state,
                    };
                }
            }
            if self.keep_intervals {
                let v = &mut self.intervals[node];
                match v.last_mut() {
                    Some(last) if last.state == t.state && last.end == t.since => last.end = at,
                    _ => v.push(Interval {
                        start: t.since,
                        end: at,
                        state: t.state,
                    }),
                }
            }
        }
        self.tracks[node].since = at;
    }

    /// The node shows `state` from `at` on.
    fn transition(&mut self, node: usize, at: SimTime, state: NodeState) {
        let t = self.tracks[node];
        if state == t.state {
            return;
        }
        self.close(node, at);
        if let Some(p) = t.pool {
            let was = t.state == NodeState::Ready;
            let is = state == NodeState::Ready;
            if was != is {
                let pc = &mut self.pools[p];
                if is {
                    pc.ready += 1;
                } else {
                    pc.ready -= 1;
                }
                self.mark_dirty(p);
            }
        }
        if let Some(s) = &mut self.steps
            && t.state.is_acting() != state.is_acting()
        {
            if state.is_acting() {
                s.acting += 1;
            } else {
                s.acting -= 1;
            }
            s.acting_dirty = true;
        }
        self.tracks[node].state = state;
    }

    fn ensure(&mut self, node: usize) {
        if self.tracks.len() <= node {
            self.tracks.resize(
                node + 1,
                Track {
                    state: NodeState::Ready,
                    since: SimTime::ZERO,
                    not_ready_ms: 0,
                    pool: None,
                },
            );
            if self.keep_intervals {
                self.intervals.resize(node + 1, Vec::new());
            }
            if let Some(p) = &mut self.pending {
                p.resize(node + 1, EMPTY);
            }
        }
    }
}

impl Observer for TimelineLog {
    fn begin(&mut self, s: &Scenario) {
        let mut unregistered = vec![false; s.fleet.len()];
        for &n in &s.never_registered {
            if let Some(u) = unregistered.get_mut(n as usize) {
                *u = true;
            }
        }
        let initial = |id: usize| {
            if unregistered[id] {
                NodeState::Unknown
            } else {
                NodeState::Ready
            }
        };
        self.tracks = s
            .fleet
            .nodes
            .iter()
            .enumerate()
            .map(|(id, n)| Track {
                state: initial(id),
                since: SimTime::ZERO,
                not_ready_ms: 0,
                pool: Some(n.pool),
            })
            .collect();
        self.intervals = if self.keep_intervals {
            vec![Vec::new(); s.fleet.len()]
        } else {
            Vec::new()
        };
        self.pools = s
            .fleet
            .pools
            .iter()
            .map(|p| PoolCount {
                ready: 0,
                min_ready: p.count,
                min_ready_at: SimTime::ZERO,
                dirty: true,
            })
            .collect();
        for t in &self.tracks {
            if let (Some(p), NodeState::Ready) = (t.pool, t.state) {
                self.pools[p].ready += 1;
            }
        }
        self.dirty = (0..self.pools.len()).collect();
        self.now = SimTime::ZERO;
        if let Some(p) = &mut self.pending {
            *p = vec![EMPTY; s.fleet.len()];
        }
        if let Some(st) = &mut self.steps {
            st.acting = self.tracks.iter().filter(|t| t.state.is_acting()).count() as u32;
            st.acting_dirty = true;
            st.last = vec![u32::MAX; self.pools.len() + 1];
        }
    }

    fn prefetch(&self, node: NodeId) {
        crate::cache::prefetch_at(&self.tracks, node as usize);
        if let Some(p) = &self.pending {
            crate::cache::prefetch_at(p, node as usize);
        }
    }

    fn record(&mut self, rec: &Record) {
        if let Record::State { at, node, state } = *rec {
            self.fold(at);
            self.ensure(node as usize);
            self.transition(node as usize, at, state);
        }
    }

    fn finish(&mut self, horizon: SimTime) {
        if self.horizon.is_some() {
            return;
        }
        self.fold(horizon);
        for node in 0..self.tracks.len() {
            self.close(node, horizon);
        }
        if let Some(pending) = &mut self.pending {
            for (node, last) in pending.iter_mut().enumerate() {
                if last.start < last.end {
                    self.finals.push((node as NodeId, *last));
                    *last = EMPTY;
                }
            }
        }
        self.horizon = Some(horizon);
    }
}

#[cfg(test)]
mod tests {
    use super::super::incidents::fixtures::*;
    use super::*;
    use NodeState::*;

    fn show(log: &TimelineLog, node: NodeId) -> String {
        log.intervals(node)
            .iter()
            .map(|i| format!("{} [{}, {})", i.state.name(), i.start, i.end))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn worked_example_1() {
        let s = scenario();
        let mut log = TimelineLog::new(true);
        run(&mut log, &s, &example1());
        assert_eq!(
            show(&log, 0),
            "Ready [0s, 1h00m40s) NotReady [1h00m40s, 1h16m) Rebooting [1h16m, 1h20m) Ready [1h20m, 2h)"
        );
        assert_eq!(show(&log, 1), "Ready [0s, 2h)");
        assert_eq!(show(&log, 3), "Ready [0s, 2h)");
        assert_eq!(log.not_ready_ms(0), 19 * 60_000 + 20_000);
        assert_eq!(log.total_not_ready_ms(), 1_160_000);
        assert_eq!(log.state_ms(Rebooting), 240_000);
        assert_eq!(log.state_ms(Ready), 4 * 7_200_000 - 1_160_000);
        assert_eq!((log.min_ready(0), log.min_ready_at(0)), (2, hms(1, 0, 40)));
        assert_eq!((log.min_ready(1), log.min_ready_at(1)), (1, SimTime::ZERO));
        assert_eq!(log.horizon(), Some(hms(2, 0, 0)));
    }

    #[test]
    fn totals_without_intervals_match() {
        let s = scenario();
        let mut with = TimelineLog::new(true);
        let mut without = TimelineLog::new(false);
        run(&mut with, &s, &example1());
        run(&mut without, &s, &example1());
        assert!(without.intervals(0).is_empty());
        for n in 0..4 {
            assert_eq!(with.not_ready_ms(n), without.not_ready_ms(n));
        }
        assert_eq!(with.min_ready(0), without.min_ready(0));
    }

    #[test]
    fn zero_length_intervals_drop_and_equal_neighbours_merge() {
        let mut s = scenario();
        s.never_registered = vec![3];
        let recs = vec![
            // Same-instant flap: NotReady for no time, then Ready again.
            Record::State {
                at: hms(0, 10, 0),
                node: 0,
                state: NotReady,
            },
            Record::State {
                at: hms(0, 10, 0),
                node: 0,
                state: Ready,
            },
            // Zero-length Unknown between two NotReady intervals.
            Record::State {
                at: hms(0, 20, 0),
                node: 1,
                state: NotReady,
            },
            Record::State {
                at: hms(0, 30, 0),
                node: 1,
                state: Unknown,
            },
            Record::State {
                at: hms(0, 30, 0),
                node: 1,
                state: NotReady,
            },
            Record::State {
                at: hms(0, 40, 0),
                node: 1,
                state: Reimaging,
            },
            Record::State {
                at: hms(0, 50, 0),
                node: 1,
                state: Ready,
            },
            // A state record at 0 overrides the initial state.
            Record::State {
                at: hms(0, 0, 0),
                node: 2,
                state: Unknown,
            },
            Record::State {
                at: hms(1, 0, 0),
                node: 2,
                state: Ready,
            },
        ];
        // Records must be in time order.
        let mut recs = recs;
        recs.sort_by_key(|r| r.at());
        let mut log = TimelineLog::new(true);
        run(&mut log, &s, &recs);
        assert_eq!(show(&log, 0), "Ready [0s, 2h)");
        assert_eq!(
            show(&log, 1),
            "Ready [0s, 20m) NotReady [20m, 40m) Reimaging [40m, 50m) Ready [50m, 2h)"
        );
        assert_eq!(show(&log, 2), "Unknown [0s, 1h) Ready [1h, 2h)");
        assert_eq!(show(&log, 3), "Unknown [0s, 2h)");
        assert_eq!(log.not_ready_ms(3), 7_200_000);
        // The same-instant flap of system-0 does not count; system-1 is
        // down over [20m, 50m) while system-2 is not registered yet.
        assert_eq!((log.min_ready(0), log.min_ready_at(0)), (1, hms(0, 20, 0)));
        assert_eq!((log.min_ready(1), log.min_ready_at(1)), (0, SimTime::ZERO));
    }

    #[test]
    fn min_ready_ignores_same_instant_flaps() {
        let s = scenario();
        let recs = vec![
            Record::State {
                at: hms(0, 10, 0),
                node: 0,
                state: NotReady,
            },
            Record::State {
                at: hms(0, 10, 0),
                node: 1,
                state: NotReady,
            },
            Record::State {
                at: hms(0, 10, 0),
                node: 0,
                state: Ready,
            },
            Record::State {
                at: hms(0, 20, 0),
                node: 1,
                state: Ready,
            },
        ];
        let mut log = TimelineLog::new(false);
        run(&mut log, &s, &recs);
        assert_eq!((log.min_ready(0), log.min_ready_at(0)), (2, hms(0, 10, 0)));
        assert_eq!(log.total_not_ready_ms(), 600_000);
    }
}
