//! Statistics over what the observers recorded: percentiles and the run
//! summary (`summary.json`, and the text `repairsim run` prints).
//!
//! Invariant: pure functions of the observers' output and the scenario; no
//! record stream, no IO. Every map is a `BTreeMap`, so output order never
//! depends on hashing.

use crate::fleet::Os;
use crate::k8s::ActionKind;
use crate::mc::estimate::Histogram;
use crate::observe::incidents::Incident;
use crate::observe::timeline::TimelineLog;
use crate::policy::Outcome;
use crate::scenario::Scenario;
use crate::time::{HOUR, SimDuration, SimTime, format_duration};
use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The value at percentile `p` (0..=100) of ascending `sorted` values, by
/// nearest rank: index `ceil(p/100 * n) - 1` (0 for p = 0). O(1).
pub fn nearest_rank(sorted: &[u64], p: u32) -> Option<u64> {
    nearest_rank_of(sorted.len() as u64, p).map(|i| sorted[i as usize])
}

/// The index into `n` ascending values of their percentile `p` (0..=100)
/// by nearest rank; `None` when `n` is 0.
pub fn nearest_rank_of(n: u64, p: u32) -> Option<u64> {
    (n > 0).then(|| (u64::from(p.min(100)) * n).div_ceil(100).saturating_sub(1))
}

/// The bound of the restricted mean time to recover \[ms\]: 24 hours.
pub const RESTRICTED_BOUND: SimDuration = SimDuration::from_hours(24);

/// Restricted mean survival time: the area under the Kaplan-Meier curve of
/// "not yet recovered" from 0 to `tau` \[ms\]. Each observation is
/// (duration \[ms\], recovered); an unrecovered one is censored at its
/// duration. Events sort before censorings at equal durations; past the
/// last observation the curve stays where it is. `None` without
/// observations.
pub fn restricted_mean(obs: &mut [(u64, bool)], tau: u64) -> Option<f64> {
    let mut s = Survival::new(tau);
    obs.iter().for_each(|&(d, recovered)| s.add(d, recovered));
    s.mean()
}

/// The observations [`restricted_mean`] needs, folded as they come: for
/// each distinct duration below the bound, how many recovered and how many
/// ended there. Memory follows the distinct durations, not the count, and
/// the mean is the same to the last bit as from the list of every one.
#[derive(Clone, Debug, PartialEq)]
pub struct Survival {
    /// \[ms\]
    tau: u64,
    n: u64,
    /// Duration \[ms\] → (recovered, observations), below `tau` only.
    at: BTreeMap<u64, (u64, u64)>,
}

impl Survival {
    /// Bound `tau` \[ms\].
    pub fn new(tau: u64) -> Survival {
        Survival {
            tau,
            n: 0,
            at: BTreeMap::new(),
        }
    }

    /// One observation: a duration \[ms\], recovered or censored there.
    pub fn add(&mut self, d: u64, recovered: bool) {
        self.n += 1;
        // Past the bound only the number at risk counts.
        if d < self.tau {
            let e = self.at.entry(d).or_default();
            e.0 += u64::from(recovered);
            e.1 += 1;
        }
    }

    /// [`restricted_mean`] of the observations; `None` without any.
    /// Events count before censorings at equal durations.
    pub fn mean(&self) -> Option<f64> {
        if self.n == 0 {
            return None;
        }
        let (mut s, mut area, mut prev) = (1.0f64, 0.0f64, 0u64);
        let mut at_risk = self.n as f64;
        for (&t, &(deaths, gone)) in &self.at {
            area += s * (t - prev) as f64;
            if deaths > 0 {
                s *= 1.0 - deaths as f64 / at_risk;
            }
            at_risk -= gone as f64;
            prev = t;
        }
        Some(area + s * (self.tau - prev.min(self.tau)) as f64)
    }
}

/// An incident's observation for the restricted mean time to recover
/// \[ms\]: its time to recover, or its time until the horizon, censored.
/// The bound is [`RESTRICTED_BOUND`], or the horizon if shorter.
fn ttr_observation(i: &Incident, horizon: SimTime) -> (u64, bool) {
    i.ttr()
        .map_or((horizon.since(i.onset).ms(), false), |d| (d.ms(), true))
}

/// The censoring-aware time to recover of one run (`summary.json`
/// `time_to_recover_restricted`): see [`restricted_mean`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RestrictedTtr {
    /// Every incident.
    pub incidents: u64,
    /// Incidents that never recovered, censored at the horizon.
    pub censored: u64,
    /// The bound \[ms\]: 24 hours, or the horizon if shorter.
    pub bound_ms: u64,
    pub bound: String,
    /// \[ms\], rounded to whole milliseconds; `null` without incidents.
    pub mean_ms: Option<u64>,
    /// The same as a human duration.
    pub mean: Option<String>,
}

impl RestrictedTtr {
    fn from_survival(s: &Survival, censored: u64) -> RestrictedTtr {
        let mean_ms = s.mean().map(|m| m.round() as u64);
        RestrictedTtr {
            incidents: s.n,
            censored,
            bound_ms: s.tau,
            bound: format_duration(SimDuration(s.tau)),
            mean_ms,
            mean: mean_ms.map(|m| format_duration(SimDuration(m))),
        }
    }
}

/// Everything the summary and the replication metrics say about a run's
/// incidents, folded one incident at a time as each one is final. Memory
/// is O(pools + distinct durations), whatever the number of incidents:
/// the percentiles come from exact histograms, so every figure is the
/// same as from the list of every incident.
#[derive(Clone, Debug, PartialEq)]
pub struct IncidentStats {
    /// Incidents folded in.
    pub total: u64,
    outcome_n: [u64; Outcome::COUNT],
    /// Linux, then Windows.
    os_n: [[u64; Outcome::COUNT]; 2],
    /// By pool index.
    pool_n: Vec<[u64; Outcome::COUNT]>,
    /// Actions started, by kind.
    pub started: ByKind,
    /// Actions that ended in an error.
    pub errors: u64,
    code_n: BTreeMap<&'static str, u64>,
    /// Outcomes `gave-up-exhausted` and `gave-up-timeout`.
    pub failed: u64,
    pub needless: u64,
    /// See [`Summary::expired_event_incidents`].
    pub expired: u64,
    /// Time to detect of the detected incidents \[ms\].
    pub ttd: Histogram,
    /// Time to recover of the recovered incidents \[ms\].
    pub ttr: Histogram,
    restricted: Survival,
    censored: u64,
    horizon: SimTime,
    event_ttl: SimDuration,
}

impl IncidentStats {
    /// Empty, for a run of `sc` to its horizon.
    pub fn new(sc: &Scenario) -> IncidentStats {
        let horizon = SimTime::ZERO + sc.horizon;
        IncidentStats {
            total: 0,
            outcome_n: [0; Outcome::COUNT],
            os_n: [[0; Outcome::COUNT]; 2],
            pool_n: vec![[0; Outcome::COUNT]; sc.fleet.pools.len()],
            started: ByKind::new(&sc.vocabulary().kinds),
            errors: 0,
            code_n: BTreeMap::new(),
            failed: 0,
            needless: 0,
            expired: 0,
            ttd: Histogram::default(),
            ttr: Histogram::default(),
            restricted: Survival::new(RESTRICTED_BOUND.ms().min(horizon.ms())),
            censored: 0,
            horizon,
            event_ttl: sc.policy.event_ttl,
        }
    }

    /// The statistics of `incidents`, of a run of `sc`.
    pub fn of(sc: &Scenario, incidents: &[Incident]) -> IncidentStats {
        let mut s = IncidentStats::new(sc);
        incidents.iter().for_each(|i| s.add(i));
        s
    }

    /// Folds in one incident, final (its outcome decided, or open at the
    /// horizon). O(log distinct durations).
    pub fn add(&mut self, inc: &Incident) {
        self.total += 1;
        let o = inc.outcome.index();
        self.outcome_n[o] += 1;
        let os = match inc.os {
            Os::Linux => 0,
            Os::Windows => 1,
        };
        self.os_n[os][o] += 1;
        if let Some(p) = self.pool_n.get_mut(inc.pool) {
            p[o] += 1;
        }
        inc.actions.iter().for_each(|k| self.started.add(k));
        self.errors += u64::from(inc.errors);
        for &code in &inc.error_codes {
            *self.code_n.entry(code).or_default() += 1;
        }
        self.failed += u64::from(inc.outcome.is_failed_repair());
        self.needless += u64::from(inc.needless);
        self.expired += u64::from(inc.events_expired(self.event_ttl));
        if let Some(d) = inc.ttd() {
            self.ttd.add(d.ms());
        }
        if let Some(d) = inc.ttr() {
            self.ttr.add(d.ms());
        }
        let (d, recovered) = ttr_observation(inc, self.horizon);
        self.restricted.add(d, recovered);
        self.censored += u64::from(!recovered);
    }

    /// Incidents with outcome `o`.
    pub fn outcome_count(&self, o: Outcome) -> u64 {
        self.outcome_n[o.index()]
    }

    /// The restricted mean time to recover \[ms\]: [`restricted_mean`] of
    /// every incident, censored at the horizon when it never recovered.
    pub fn restricted_mean(&self) -> Option<f64> {
        self.restricted.mean()
    }
}

/// Distribution of a duration \[ms\]. All `None` (and `count` 0) when empty.
///
/// Serializes as `count`, `min_ms`, `p50_ms`, `p90_ms`, `p99_ms`, `max_ms`,
/// `mean_ms` (rounded to whole milliseconds), then the same as human
/// durations (`min`, `p50`, ... `mean`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Percentiles {
    pub count: u64,
    pub min: Option<u64>,
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
    pub max: Option<u64>,
    pub mean: Option<f64>,
}

impl Percentiles {
    /// O(n log n): sorts a copy. The list-based definition that
    /// [`Histogram::percentiles`] is tested against.
    #[cfg(test)]
    pub fn of(values: &[u64]) -> Percentiles {
        let mut v = values.to_vec();
        v.sort_unstable();
        Percentiles::of_sorted(&v)
    }

    /// `sorted` must be ascending. O(n) for the mean.
    #[cfg(test)]
    pub fn of_sorted(sorted: &[u64]) -> Percentiles {
        debug_assert!(sorted.is_sorted());
        if sorted.is_empty() {
            return Percentiles::default();
        }
        let sum: u128 = sorted.iter().map(|&x| u128::from(x)).sum();
        Percentiles {
            count: sorted.len() as u64,
            min: sorted.first().copied(),
            p50: nearest_rank(sorted, 50),
            p90: nearest_rank(sorted, 90),
            p99: nearest_rank(sorted, 99),
            max: sorted.last().copied(),
            mean: Some(sum as f64 / sorted.len() as f64),
        }
    }
}

fn human(ms: Option<u64>) -> Option<String> {
    ms.map(|m| format_duration(SimDuration(m)))
}

impl Serialize for Percentiles {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Percentiles", 13)?;
        st.serialize_field("count", &self.count)?;
        st.serialize_field("min_ms", &self.min)?;
        st.serialize_field("p50_ms", &self.p50)?;
        st.serialize_field("p90_ms", &self.p90)?;
        st.serialize_field("p99_ms", &self.p99)?;
        st.serialize_field("max_ms", &self.max)?;
        // Times are whole milliseconds everywhere (README: Time); the
        // mean is rounded to the nearest, as its human form is.
        st.serialize_field("mean_ms", &self.mean.map(|m| m.round() as u64))?;
        st.serialize_field("min", &human(self.min))?;
        st.serialize_field("p50", &human(self.p50))?;
        st.serialize_field("p90", &human(self.p90))?;
        st.serialize_field("p99", &human(self.p99))?;
        st.serialize_field("max", &human(self.max))?;
        st.serialize_field("mean", &human(self.mean.map(|m| m.round() as u64)))?;
        st.end()
    }
}

/// What names the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Provenance {
    pub tool: String,
    pub version: String,
    pub scenario: String,
    /// The scenario text's hash, 16 lowercase hex digits.
    pub content_hash: String,
    pub seed: u64,
    pub replication: u64,
    pub preset: String,
    /// The `--set` patches applied to the scenario file, in order.
    pub patches: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolSummary {
    pub name: String,
    pub os: Os,
    pub count: u32,
    /// The fewest Ready nodes over any interval of the run.
    pub min_ready: u32,
    /// When the pool first had `min_ready` Ready nodes \[ms\].
    pub min_ready_at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FleetSummary {
    pub nodes: u64,
    pub linux: u64,
    pub windows: u64,
    pub pools: Vec<PoolSummary>,
}

/// Outcome name → incidents; every outcome of [`Outcome::all`] is a key.
pub type OutcomeCounts = BTreeMap<String, u64>;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ByOs {
    pub linux: OutcomeCounts,
    pub windows: OutcomeCounts,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncidentCounts {
    pub total: u64,
    /// Fault arrivals on a node that already had an incident.
    pub masked_faults: u64,
    pub by_outcome: OutcomeCounts,
    pub by_os: ByOs,
    /// Pool name → outcome counts; every pool is a key, in file order (as
    /// everywhere else pools are listed).
    #[serde(serialize_with = "in_order")]
    pub by_pool: Vec<(String, OutcomeCounts)>,
}

impl IncidentCounts {
    /// The outcome counts of the pool named `name`.
    pub fn pool(&self, name: &str) -> Option<&OutcomeCounts> {
        self.by_pool.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }
}

/// A list of pairs as a JSON object, keys in list order.
fn in_order<S: Serializer>(pairs: &[(String, OutcomeCounts)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// Actions counted by kind. Serialized as a map over the policy's
/// vocabulary, in [`ActionKind::ALL`] order (`{"reboot":1,"reimage":0,...}`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ByKind {
    counts: [u64; ActionKind::ALL.len()],
    /// The kinds shown; a kind that ran outside them is shown too.
    shown: Vec<ActionKind>,
}

impl ByKind {
    pub fn new(shown: &[ActionKind]) -> ByKind {
        ByKind {
            counts: [0; ActionKind::ALL.len()],
            shown: shown.to_vec(),
        }
    }

    pub fn get(&self, k: ActionKind) -> u64 {
        self.counts[k as usize]
    }

    fn add(&mut self, k: ActionKind) {
        self.counts[k as usize] += 1;
    }

    /// The kinds shown with their counts, in [`ActionKind::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (ActionKind, u64)> + '_ {
        ActionKind::ALL
            .into_iter()
            .filter(|k| self.shown.contains(k) || self.get(*k) > 0)
            .map(|k| (k, self.get(k)))
    }
}

impl Serialize for ByKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        for (k, n) in self.iter() {
            m.serialize_entry(k.name(), &n)?;
        }
        m.end()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActionCounts {
    /// Actions started, by kind.
    pub started: ByKind,
    /// Actions that ended in an error.
    pub errors: u64,
    /// Error code → count.
    pub errors_by_code: BTreeMap<String, u64>,
}

/// The run summary: `summary.json`, field names stable for `jq`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub provenance: Provenance,
    pub fleet: FleetSummary,
    /// \[ms\]
    pub horizon_ms: u64,
    pub horizon: String,
    pub incidents: IncidentCounts,
    pub time_to_detect: Percentiles,
    /// Over the incidents that recovered only.
    pub time_to_recover: Percentiles,
    /// Over every incident, censoring-aware.
    pub time_to_recover_restricted: RestrictedTtr,
    pub actions: ActionCounts,
    /// Outcomes `gave-up-exhausted` and `gave-up-timeout`.
    pub failed_repairs: u64,
    /// Some action ended after the fault would have healed by itself.
    pub needless_repairs: u64,
    /// Incidents whose first auto-repair event had expired (`event_ttl`)
    /// when the outcome was decided.
    pub expired_event_incidents: u64,
    /// Node time in any state but Ready \[ms\].
    pub not_ready_ms: u64,
    /// The same \[h\].
    pub not_ready_node_hours: f64,
    /// `1 - not_ready_ms / (nodes * horizon_ms)`; 1 for an empty run.
    pub availability: f64,
}

fn zero_counts(outcomes: &[Outcome]) -> OutcomeCounts {
    outcomes.iter().map(|o| (o.name(), 0)).collect()
}

impl Summary {
    /// Summarises one run from its folded incidents. `masked_faults` is 0
    /// here: the incidents do not carry it; set it with
    /// [`Summary::with_masked_faults`] from
    /// [`crate::observe::incidents::IncidentLog::masked_faults`].
    /// O(pools + nodes + distinct durations).
    pub fn build(
        scenario: &Scenario,
        replication: u64,
        stats: &IncidentStats,
        timeline: &TimelineLog,
        horizon: SimTime,
    ) -> Summary {
        let fleet = &scenario.fleet;
        let pools = fleet
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| PoolSummary {
                name: p.name.clone(),
                os: p.os,
                count: p.count,
                min_ready: timeline.min_ready(i),
                min_ready_at_ms: timeline.min_ready_at(i).ms(),
            })
            .collect();

        type Counts = [u64; Outcome::COUNT];
        let (outcome_n, os_n, pool_n) = (&stats.outcome_n, &stats.os_n, &stats.pool_n);
        let vocab = scenario.vocabulary();
        // The policy's outcomes, and any other that happened.
        let all: Vec<Outcome> = Outcome::all()
            .into_iter()
            .filter(|o| vocab.has_outcome(*o) || outcome_n[o.index()] > 0)
            .collect();
        let named = |c: &Counts| -> OutcomeCounts {
            all.iter().map(|o| (o.name(), c[o.index()])).collect()
        };
        let by_outcome = named(outcome_n);
        let by_os = ByOs {
            linux: named(&os_n[0]),
            windows: named(&os_n[1]),
        };
        // Pools sharing a name share a key, their counts added; file order.
        let mut by_pool: Vec<(String, OutcomeCounts)> = Vec::new();
        for (p, c) in fleet.pools.iter().zip(pool_n) {
            let i = match by_pool.iter().position(|(n, _)| *n == p.name) {
                Some(i) => i,
                None => {
                    by_pool.push((p.name.clone(), zero_counts(&all)));
                    by_pool.len() - 1
                }
            };
            for (name, n) in named(c) {
                *by_pool[i].1.entry(name).or_default() += n;
            }
        }
        let errors_by_code: BTreeMap<String, u64> = stats
            .code_n
            .iter()
            .map(|(c, n)| (c.to_string(), *n))
            .collect();

        let nodes = fleet.len() as u64;
        let not_ready_ms = timeline.total_not_ready_ms();
        let denom = nodes as f64 * horizon.ms() as f64;
        let availability = if denom > 0.0 {
            1.0 - not_ready_ms as f64 / denom
        } else {
            1.0
        };

        Summary {
            provenance: Provenance {
                tool: "repairsim".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                scenario: scenario.name.clone(),
                content_hash: format!("{:016x}", scenario.content_hash),
                seed: scenario.seed,
                replication,
                preset: scenario.policy.preset.name().into(),
                patches: scenario.patches.clone(),
            },
            fleet: FleetSummary {
                nodes,
                linux: fleet.count_os(Os::Linux) as u64,
                windows: fleet.count_os(Os::Windows) as u64,
                pools,
            },
            horizon_ms: horizon.ms(),
            horizon: format_duration(SimDuration(horizon.ms())),
            incidents: IncidentCounts {
                total: stats.total,
                masked_faults: 0,
                by_outcome,
                by_os,
                by_pool,
            },
            time_to_detect: stats.ttd.percentiles(),
            time_to_recover: stats.ttr.percentiles(),
            time_to_recover_restricted: RestrictedTtr::from_survival(
                &stats.restricted,
                stats.censored,
            ),
            actions: ActionCounts {
                started: stats.started.clone(),
                errors: stats.errors,
                errors_by_code,
            },
            failed_repairs: stats.failed,
            needless_repairs: stats.needless,
            expired_event_incidents: stats.expired,
            not_ready_ms,
            not_ready_node_hours: not_ready_ms as f64 / HOUR as f64,
            availability,
        }
    }

    /// Sets `incidents.masked_faults`.
    pub fn with_masked_faults(mut self, masked: u64) -> Summary {
        self.incidents.masked_faults = masked;
        self
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a Summary always serializes");
        s.push('\n');
        s
    }

    /// The short human summary `repairsim run` prints: one line per
    /// fact, labels in a column, outcomes with no incident left out.
    pub fn to_text(&self) -> String {
        const W: usize = 18;
        let p = &self.provenance;
        let f = &self.fleet;
        let i = &self.incidents;
        let a = &self.actions;
        let mut rows: Vec<(String, String)> = Vec::new();
        let mut row = |label: &str, value: String| rows.push((label.to_string(), value));
        row(
            "scenario",
            format!(
                "{} (preset {}, seed {}, replication {}, hash {})",
                p.scenario, p.preset, p.seed, p.replication, p.content_hash
            ),
        );
        if !p.patches.is_empty() {
            row("overrides", p.patches.join(", "));
        }
        row(
            "fleet",
            format!(
                "{} nodes ({} linux, {} windows) in {} pool{}",
                f.nodes,
                f.linux,
                f.windows,
                f.pools.len(),
                if f.pools.len() == 1 { "" } else { "s" }
            ),
        );
        let fewest: Vec<String> = f
            .pools
            .iter()
            .map(|p| format!("{} {}/{}", p.name, p.min_ready, p.count))
            .collect();
        row("fewest Ready", fewest.join(", "));
        row("horizon", self.horizon.clone());
        row(
            "incidents",
            format!("{} (masked faults {})", i.total, i.masked_faults),
        );
        let nonzero: Vec<(String, u64)> = Outcome::all()
            .into_iter()
            .map(|o| (o.name(), i.by_outcome.get(&o.name()).copied().unwrap_or(0)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let width = nonzero
            .iter()
            .map(|(name, _)| name.len())
            .max()
            .unwrap_or(0);
        for (name, n) in &nonzero {
            row("", format!("{name:<width$} {n:>6}"));
        }
        let cols = |c: [String; 5]| {
            format!(
                "{:>9} {:>9} {:>9} {:>9} {:>6}",
                c[0], c[1], c[2], c[3], c[4]
            )
        };
        row(
            "",
            cols(["p50", "p90", "p99", "max", "n"].map(String::from)),
        );
        for (label, pc, over) in [
            ("time to detect", &self.time_to_detect, ""),
            ("time to recover", &self.time_to_recover, "recovered only"),
        ] {
            let h = |v: Option<u64>| human(v).unwrap_or_else(|| "-".into());
            row(
                label,
                format!(
                    "{}  {over}",
                    cols([
                        h(pc.p50),
                        h(pc.p90),
                        h(pc.p99),
                        h(pc.max),
                        pc.count.to_string(),
                    ])
                ),
            );
        }
        let r = &self.time_to_recover_restricted;
        if let Some(ms) = r.mean_ms {
            // Whole seconds, as the other durations here.
            let mean = format_duration(SimDuration((ms + 500) / 1000 * 1000));
            row(
                "",
                format!(
                    "restricted mean {mean} over all incidents (Kaplan-Meier to {}, {} of {} censored)",
                    r.bound, r.censored, r.incidents
                ),
            );
        }
        let started: Vec<String> = a
            .started
            .iter()
            .map(|(k, n)| format!("{} {n}", k.name()))
            .collect();
        row("actions", started.join(", "));
        let codes: Vec<String> = a
            .errors_by_code
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        row(
            "action errors",
            if codes.is_empty() {
                a.errors.to_string()
            } else {
                format!("{} ({})", a.errors, codes.join(", "))
            },
        );
        row("failed repairs", self.failed_repairs.to_string());
        row("needless repairs", self.needless_repairs.to_string());
        row("expired events", self.expired_event_incidents.to_string());
        row(
            "not Ready",
            format!("{:.2} node-hours", self.not_ready_node_hours),
        );
        row("availability", format!("{:.6}", self.availability));
        let mut out = String::new();
        for (label, value) in rows {
            let _ = writeln!(out, "{}", format!("{label:<W$}{value}").trim_end());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::incidents::IncidentLog;
    use crate::observe::incidents::fixtures::*;
    use proptest::prelude::*;

    /// The restricted mean from the sorted list of every observation: the
    /// list-based computation [`Survival`] replaced, kept as the oracle.
    fn restricted_mean_of_list(obs: &mut [(u64, bool)], tau: u64) -> Option<f64> {
        if obs.is_empty() {
            return None;
        }
        obs.sort_unstable_by_key(|&(d, recovered)| (d, !recovered));
        let (mut s, mut area, mut prev) = (1.0f64, 0.0f64, 0u64);
        let mut at_risk = obs.len() as f64;
        let mut i = 0;
        while i < obs.len() && obs[i].0 < tau {
            let t = obs[i].0;
            let (mut deaths, mut gone) = (0.0, 0.0);
            while i < obs.len() && obs[i].0 == t {
                deaths += f64::from(u8::from(obs[i].1));
                gone += 1.0;
                i += 1;
            }
            area += s * (t - prev) as f64;
            if deaths > 0.0 {
                s *= 1.0 - deaths / at_risk;
            }
            at_risk -= gone;
            prev = t;
        }
        Some(area + s * (tau - prev.min(tau)) as f64)
    }

    proptest! {
        #[test]
        fn the_folded_restricted_mean_is_the_lists_to_the_bit(
            obs in proptest::collection::vec((0u64..400, any::<bool>()), 0..120),
            tau in 1u64..500,
        ) {
            let want = restricted_mean_of_list(&mut obs.clone(), tau);
            let got = restricted_mean(&mut obs.clone(), tau);
            prop_assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits));
        }
    }

    /// A simulated month of a real scenario, folded as it runs, gives the
    /// figures of the list of every incident.
    #[test]
    fn a_folded_run_summarises_as_its_incident_list() {
        let text = include_str!("../scenarios/default.toml");
        let sc = crate::scenario::load_str("default.toml", text).unwrap();
        let mut kept = IncidentLog::new();
        let mut folded = IncidentLog::folding();
        let mut tl = TimelineLog::new(false);
        crate::engine::Sim::new(
            &sc,
            0,
            &mut crate::observe::Fanout(vec![&mut kept, &mut folded, &mut tl]),
        )
        .run();
        let list = kept.incidents();
        assert!(list.len() > 50, "{} incidents", list.len());
        assert!(folded.incidents().is_empty(), "folding keeps none");
        assert_eq!(folded.stats(), kept.stats());
        assert_eq!(folded.stats(), &IncidentStats::of(&sc, list));
        let ttr: Vec<u64> = list
            .iter()
            .filter_map(|i| i.ttr().map(|d| d.ms()))
            .collect();
        let ttd: Vec<u64> = list
            .iter()
            .filter_map(|i| i.ttd().map(|d| d.ms()))
            .collect();
        let s = folded.stats();
        assert_eq!(s.ttr.percentiles(), Percentiles::of(&ttr));
        assert_eq!(s.ttd.percentiles(), Percentiles::of(&ttd));
        let horizon = SimTime::ZERO + sc.horizon;
        let mut obs: Vec<(u64, bool)> = list.iter().map(|i| ttr_observation(i, horizon)).collect();
        let tau = RESTRICTED_BOUND.ms().min(horizon.ms());
        assert_eq!(
            s.restricted_mean().map(f64::to_bits),
            restricted_mean_of_list(&mut obs, tau).map(f64::to_bits)
        );
        let outcomes: u64 = Outcome::all().into_iter().map(|o| s.outcome_count(o)).sum();
        assert_eq!(outcomes, list.len() as u64);
        assert_eq!(
            s.errors,
            list.iter().map(|i| u64::from(i.errors)).sum::<u64>()
        );
    }

    #[test]
    fn outcome_index_is_the_position_in_all() {
        let all = Outcome::all();
        assert_eq!(all.len(), Outcome::COUNT);
        for (i, o) in all.into_iter().enumerate() {
            assert_eq!(o.index(), i, "{o}");
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(Percentiles::of(&[]), Percentiles::default());
        let one = Percentiles::of(&[7]);
        assert_eq!(
            (one.min, one.p50, one.p99, one.max, one.mean),
            (Some(7), Some(7), Some(7), Some(7), Some(7.0))
        );
        let v: Vec<u64> = (1..=10).rev().collect();
        let p = Percentiles::of(&v);
        assert_eq!(
            (p.count, p.min, p.p50, p.p90, p.p99, p.max),
            (10, Some(1), Some(5), Some(9), Some(10), Some(10))
        );
        assert_eq!(p.mean, Some(5.5));
        let h: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&h, 99), Some(99));
        assert_eq!(nearest_rank(&h, 0), Some(1));
        assert_eq!(nearest_rank(&h, 100), Some(100));
        assert_eq!(nearest_rank(&[3, 4], 50), Some(3));
    }

    pub(crate) fn example1_summary() -> Summary {
        let s = scenario();
        let mut inc = IncidentLog::new();
        let mut tl = TimelineLog::new(true);
        run(&mut inc, &s, &example1());
        run(&mut tl, &s, &example1());
        Summary::build(&s, 0, inc.stats(), &tl, SimTime(s.horizon.ms()))
            .with_masked_faults(inc.masked_faults())
    }

    #[test]
    fn worked_example_1_text() {
        assert_eq!(
            example1_summary().to_text(),
            "\
scenario          example-1 (preset aks-2024-08, seed 7, replication 0, hash 0123456789abcdef)
fleet             4 nodes (3 linux, 1 windows) in 2 pools
fewest Ready      system 2/3, win 1/1
horizon           2h
incidents         1 (masked faults 0)
                  repaired-by-reboot      1
                        p50       p90       p99       max      n
time to detect       10m25s    10m25s    10m25s    10m25s      1
time to recover      19m25s    19m25s    19m25s    19m25s      1  recovered only
                  restricted mean 19m25s over all incidents (Kaplan-Meier to 2h, 0 of 1 censored)
actions           reboot 1, reimage 0, redeploy 0
action errors     0
failed repairs    0
needless repairs  0
expired events    0
not Ready         0.32 node-hours
availability      0.959722
"
        );
    }

    #[test]
    fn worked_example_1_json() {
        let j: serde_json::Value = serde_json::from_str(&example1_summary().to_json()).unwrap();
        assert_eq!(j["provenance"]["content_hash"], "0123456789abcdef");
        assert_eq!(j["provenance"]["tool"], "repairsim");
        assert_eq!(j["horizon_ms"], 7_200_000);
        assert_eq!(
            j["incidents"]["by_outcome"].as_object().unwrap().len(),
            14,
            "the AKS outcomes, no peer's"
        );
        assert!(j["incidents"]["by_outcome"]["repaired-by-recreate"].is_null());
        assert_eq!(j["incidents"]["by_outcome"]["repaired-by-reboot"], 1);
        assert_eq!(j["incidents"]["by_outcome"]["excluded:upgrading"], 0);
        assert_eq!(j["incidents"]["by_os"]["linux"]["repaired-by-reboot"], 1);
        assert_eq!(j["incidents"]["by_os"]["windows"]["repaired-by-reboot"], 0);
        assert_eq!(j["incidents"]["by_pool"]["win"]["self-healed"], 0);
        assert_eq!(j["time_to_detect"]["p50_ms"], 625_000);
        assert_eq!(j["time_to_detect"]["p50"], "10m25s");
        assert_eq!(j["time_to_recover"]["max_ms"], 1_165_000);
        assert_eq!(j["actions"]["started"]["reboot"], 1);
        assert_eq!(j["fleet"]["pools"][0]["min_ready"], 2);
        assert_eq!(j["fleet"]["pools"][1]["os"], "windows");
        assert_eq!(j["not_ready_ms"], 1_160_000);
        assert!(
            (j["availability"].as_f64().unwrap() - (1.0 - 1_160_000.0 / 28_800_000.0)).abs()
                < 1e-12
        );
    }

    #[test]
    fn mixed_text() {
        let s = scenario();
        let mut inc = IncidentLog::new();
        let mut tl = TimelineLog::new(false);
        run(&mut inc, &s, &mixed());
        run(&mut tl, &s, &mixed());
        let sum = Summary::build(&s, 3, inc.stats(), &tl, SimTime(s.horizon.ms()))
            .with_masked_faults(inc.masked_faults());
        assert_eq!(
            sum.to_text(),
            "\
scenario          example-1 (preset aks-2024-08, seed 7, replication 3, hash 0123456789abcdef)
fleet             4 nodes (3 linux, 1 windows) in 2 pools
fewest Ready      system 1/3, win 0/1
horizon           2h
incidents         4 (masked faults 1)
                  self-healed             1
                  repaired-by-reboot      1
                  gave-up-timeout         1
                  excluded:upgrading      1
                        p50       p90       p99       max      n
time to detect       10m30s       11m       11m       11m      3
time to recover      19m25s  1h39m40s  1h39m40s  1h39m40s      3  recovered only
                  restricted mean 55m26s over all incidents (Kaplan-Meier to 2h, 1 of 4 censored)
actions           reboot 3, reimage 2, redeploy 1
action errors     1 (InvalidParameter 1)
failed repairs    1
needless repairs  0
expired events    1
not Ready         3.02 node-hours
availability      0.622222
"
        );
        assert_eq!(sum.time_to_recover.p50, Some(1_165_000));
        assert_eq!(sum.fleet.pools[0].min_ready_at_ms, 1_800_000);
        assert_eq!(sum.not_ready_ms, 10_880_000);
        assert_eq!(sum.expired_event_incidents, 1);
        assert_eq!(sum.incidents.pool("system").unwrap()["gave-up-timeout"], 1);
        assert_eq!(sum.incidents.by_os.windows["excluded:upgrading"], 1);
    }
}
