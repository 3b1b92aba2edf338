//! The work budget: what a command will cost, estimated from its scenarios
//! before anything runs, against limits a user may raise
//! (`--max-work`, `--max-memory`).
//!
//! Work counts simulated inputs: each node once, and each fault the run is
//! expected to see (the `[[failures]]` arrivals, nodes × horizon / mtbf,
//! and the scheduled faults), for every replication the command runs, plus
//! [`POINT_WORK`] for each scenario a grid loads. A run's other events and
//! its output follow its faults: five to ten events and about 2 KB of
//! files per fault. Memory is the live state: [`NODE_MEMORY`] per node of
//! each run in flight at once, plus [`BASE_MEMORY`] of fixed buffers.
//!
//! Invariant: pure arithmetic on validated scenarios and counts, in
//! `u128`, so no estimate overflows.

use crate::scenario::Scenario;

/// The default `--max-work` \[simulated inputs\]: a 100,000-node
/// fleet-decade passes (12 million), a 3-minute mtbf on 2 nodes for 100
/// years (35 million) does not.
pub const DEFAULT_MAX_WORK: u64 = 20_000_000;
/// The default `--max-memory` \[bytes\]: 2 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 2 << 30;
/// Memory a run needs whatever its fleet \[bytes\]: the sorts' arenas, the
/// trace's window, the charts' buffers, the binary.
pub const BASE_MEMORY: u64 = 128 << 20;
/// Memory per node of a run in flight \[bytes\]: the engine's state, each
/// observer's entry, the fleet's record and name (about 700 measured at
/// 1,000,000 nodes).
pub const NODE_MEMORY: u64 = 1 << 10;
/// Memory per input of a run whose records are kept (`check` renders its
/// golden files from them) \[bytes\]: five to ten records and events.
pub const KEPT_MEMORY: u64 = 1 << 10;
/// Work charged for each grid point's scenario, loaded and checked
/// \[simulated inputs\].
pub const POINT_WORK: u64 = 1_000;

/// The limits a command runs under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// \[simulated inputs\]
    pub max_work: u64,
    /// \[bytes\]
    pub max_memory: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_work: DEFAULT_MAX_WORK,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

/// What a command is expected to cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    /// \[simulated inputs\]
    pub work: u128,
    /// Peak \[bytes\].
    pub memory: u128,
    /// What was counted, for the message: "3 runs of 41 nodes, each
    /// expecting about 60 faults".
    pub what: String,
}

/// Inputs one replication of `sc` is expected to simulate: its nodes, its
/// expected arrivals and its scheduled faults.
pub fn run_work(sc: &Scenario) -> u128 {
    let horizon = u128::from(sc.horizon.ms());
    let arrivals: u128 = sc
        .arrivals
        .iter()
        .map(|a| a.nodes.len() as u128 * horizon / u128::from(a.mtbf.ms().max(1)))
        .sum();
    sc.fleet.len() as u128 + arrivals + faults_scheduled(sc)
}

fn faults_scheduled(sc: &Scenario) -> u128 {
    let injected: u128 = sc.injections.len() as u128;
    let outages: u128 = sc.outages.iter().map(|o| o.candidates.len() as u128).sum();
    injected + outages + sc.never_registered.len() as u128
}

/// Peak memory of `concurrent` runs of `sc` at once.
pub fn run_memory(sc: &Scenario, concurrent: u64) -> u128 {
    u128::from(BASE_MEMORY)
        + u128::from(concurrent.max(1)) * sc.fleet.len() as u128 * u128::from(NODE_MEMORY)
}

impl Estimate {
    /// `replications` runs of `sc`, `concurrent` of them at once.
    pub fn runs(sc: &Scenario, replications: u128, concurrent: u64) -> Estimate {
        let each = run_work(sc);
        Estimate {
            work: replications.saturating_mul(each),
            memory: run_memory(sc, concurrent),
            what: format!(
                "{} run{} of {} node{} over {}, each about {} inputs",
                count(replications),
                if replications == 1 { "" } else { "s" },
                count(sc.fleet.len() as u128),
                if sc.fleet.len() == 1 { "" } else { "s" },
                sc.horizon,
                count(each)
            ),
        }
    }

    /// This and `o` one after the other: the work adds up, the memory is
    /// the larger peak.
    pub fn then(self, o: Estimate) -> Estimate {
        Estimate {
            work: self.work.saturating_add(o.work),
            memory: self.memory.max(o.memory),
            what: if self.what.is_empty() {
                o.what
            } else {
                format!("{}; {}", self.what, o.what)
            },
        }
    }
}

/// The limits of this process: the CLI sets them once from `--max-work`
/// and `--max-memory` ([`set_limits`]); otherwise the defaults.
static LIMITS: std::sync::OnceLock<Limits> = std::sync::OnceLock::new();

/// Sets the process's limits; the first call wins.
pub fn set_limits(l: Limits) {
    let _ = LIMITS.set(l);
}

/// The process's limits.
pub fn limits() -> Limits {
    LIMITS.get().copied().unwrap_or_default()
}

impl Limits {
    /// `Err` with the estimate, the limit and the flag that raises it,
    /// when `e` is over a limit.
    pub fn check(&self, command: &str, e: &Estimate) -> Result<(), String> {
        if e.work > u128::from(self.max_work) {
            let raise = match suggest(e.work) {
                n if n <= u128::from(u64::MAX) => {
                    format!(", or raise the limit with --max-work {n}")
                }
                _ => String::new(),
            };
            return Err(format!(
                "{command} would simulate about {} inputs ({}), more than the work limit of {}; \
                 use fewer nodes, replications or grid points, a longer mtbf or a shorter \
                 horizon{raise}",
                count(e.work),
                e.what,
                count(u128::from(self.max_work)),
            ));
        }
        if e.memory > u128::from(self.max_memory) {
            return Err(format!(
                "{command} would need about {} of memory ({}), more than the memory limit of {}; \
                 use fewer nodes or threads, or raise the limit with --max-memory {}",
                bytes(e.memory),
                e.what,
                bytes(u128::from(self.max_memory)),
                bytes(e.memory.div_ceil(1 << 30) << 30)
            ));
        }
        Ok(())
    }
}

/// A limit just above `n`, in two significant digits.
fn suggest(n: u128) -> u128 {
    let mut scale = 1u128;
    while n / scale >= 100 {
        scale *= 10;
    }
    (n / scale + 1) * scale
}

/// `n` with thousands separators, e.g. `35,040,002`.
pub fn count(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in binary units, rounded up, e.g. `2GiB`, `2.1GiB`, `768MiB`.
pub fn bytes(n: u128) -> String {
    const GIB: u128 = 1 << 30;
    const MIB: u128 = 1 << 20;
    if n >= GIB && n.is_multiple_of(GIB) {
        format!("{}GiB", n / GIB)
    } else if n >= GIB {
        // Tenths, rounded up: an estimate over a limit never prints as it.
        let tenths = (n * 10).div_ceil(GIB);
        format!("{}.{}GiB", tenths / 10, tenths % 10)
    } else {
        format!("{}MiB", n.div_ceil(MIB))
    }
}

/// Parses a `--max-memory` size: bytes, or a number with `KiB`, `MiB`,
/// `GiB` or `TiB` (or `K`, `M`, `G`, `T`).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        "T" | "TiB" => 40,
        _ => {
            return Err(format!(
                "bad size {s:?}: expected e.g. 4GiB, 512MiB or a number of bytes"
            ));
        }
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("bad size {s:?}: expected e.g. 4GiB, 512MiB or a number of bytes"))?;
    n.checked_mul(1u64 << shift)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("bad size {s:?}: must be more than 0 and at most 16EiB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(text: &str) -> Scenario {
        crate::scenario::load_str("t.toml", text).unwrap()
    }

    /// One Linux pool of `count` nodes, one fault arriving every `mtbf`,
    /// over `horizon`: issue 14's scenarios.
    fn fleet(count: u32, horizon: &str, mtbf: &str) -> Scenario {
        scenario(&format!(
            "name = \"y\"\nhorizon = \"{horizon}\"\n\
             [[pools]]\nname = \"p\"\nos = \"linux\"\ncount = {count}\n\
             [[faults]]\nname = \"g\"\nsignal = \"not-ready\"\nfixed_by = \"reboot\"\n\
             [[failures]]\nfault = \"g\"\nmtbf = \"{mtbf}\"\n"
        ))
    }

    #[test]
    fn the_work_of_a_run_is_its_nodes_and_expected_faults() {
        let sc = fleet(2, "36500d", "3m");
        // 2 nodes × 36,500 days × 480 arrivals a day, and the 2 nodes.
        assert_eq!(run_work(&sc), 2 * 36_500 * 480 + 2);
        let e = Estimate::runs(&sc, 1, 1);
        let err = Limits::default().check("run", &e).unwrap_err();
        assert_eq!(
            err,
            "run would simulate about 35,040,002 inputs (1 run of 2 nodes over 36500d, each \
             about 35,040,002 inputs), more than the work limit of 20,000,000; use fewer \
             nodes, replications or grid points, a longer mtbf or a shorter horizon, or \
             raise the limit with --max-work 36000000"
        );
        let raised = Limits {
            max_work: 36_000_000,
            ..Limits::default()
        };
        assert_eq!(raised.check("run", &e), Ok(()));
    }

    #[test]
    fn replications_and_threads_multiply() {
        let sc = fleet(2, "36500d", "30d");
        let one = run_work(&sc);
        let e = Estimate::runs(&sc, u128::from(u64::MAX), 2);
        assert_eq!(e.work, u128::from(u64::MAX) * one);
        let err = Limits::default().check("sweep", &e).unwrap_err();
        assert!(
            err.ends_with("or a shorter horizon"),
            "no flag can raise it: {err}"
        );
        assert_eq!(e.memory, u128::from(BASE_MEMORY) + 2 * 2 * 1024);
        let both = Estimate::runs(&sc, 3, 1).then(Estimate::runs(&sc, 4, 2));
        assert_eq!(both.work, 7 * one);
        assert_eq!(both.memory, u128::from(BASE_MEMORY) + 2 * 2 * 1024);
    }

    #[test]
    fn a_million_nodes_for_three_days_fits_the_defaults() {
        // Issue 14's scenario: it runs (666 MiB peak measured), it is not refused.
        let sc = fleet(1_000_000, "3d", "5d");
        let e = Estimate::runs(&sc, 1, 1);
        assert_eq!(e.work, 1_000_000 + 600_000);
        assert_eq!(Limits::default().check("run", &e), Ok(()));
        assert!(e.memory < u128::from(DEFAULT_MAX_MEMORY));
    }

    #[test]
    fn memory_over_the_limit_names_the_flag() {
        let sc = fleet(1_000_000, "3d", "5d");
        let e = Estimate::runs(&sc, 1, 2);
        let err = Limits {
            max_work: u64::MAX,
            ..Limits::default()
        }
        .check("sweep", &e)
        .unwrap_err();
        assert!(
            err.starts_with("sweep would need about 2.1GiB of memory"),
            "{err}"
        );
        assert!(
            err.ends_with("raise the limit with --max-memory 3GiB"),
            "{err}"
        );
    }

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_bytes("4GiB"), Ok(4 << 30));
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("1.5G").is_err());
        assert!(parse_bytes("99999999999T").is_err());
        assert_eq!(bytes(2 << 30), "2GiB");
        assert_eq!(bytes(300 << 20), "300MiB");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
    }
}
