//! Policy evaluation by Monte Carlo: replications, confidence intervals,
//! paired comparisons on common random numbers, and grids of settings.
//!
//! Replication `r` of a scenario is one single-threaded simulation whose
//! every random draw comes from streams named by (seed, `r`, ...) (see
//! [`crate::rng`]); replications run in parallel ([`runner`]) and are
//! consumed in replication order, so outputs never depend on the thread
//! count. Each replication is reduced to a fixed list of numbers
//! ([`metrics`]); [`estimate`] folds them into means with Student t
//! intervals ([`student`]).
//!
//! A comparison ([`compare`]) runs every side on the same replication
//! numbers. The failure trace ([`crate::trace`]) does not depend on the
//! policy, so sides that differ only in policy see the same fault onsets
//! and the same self-heal instants: the paired differences measure the
//! policy alone, with far narrower intervals than two independent samples.
//!
//! A run may be split into shards ([`shard`]): each simulates a block of
//! the replications into a file, and the merge folds every file's rows in
//! replication order through the same estimators, so its outputs are the
//! single machine's, byte for byte.
//!
//! Invariant: nothing here reads a clock; rows and progress leave through
//! caller-supplied closures, and only [`shard`] reads and writes files.

pub mod compare;
pub mod estimate;
pub mod fewest;
pub mod metrics;
pub mod runner;
pub mod shard;
pub mod student;
pub mod sweep;

use metrics::{MetricDef, Unit, metric_defs};
use serde::Serialize;

/// When to stop adding replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stop {
    /// Exactly this many.
    Fixed(u64),
    /// Until the interval of `metric` is at most `half_width` (in the
    /// metric's unit: ms for durations) wide on each side (for a
    /// comparison: every candidate's paired difference), after at least
    /// `min` and at most `max` replications; a zero-width interval counts
    /// only after [`UNTIL_CI_MIN_ZERO_SPREAD`]. The target is checked only
    /// after every `every` replications (a sharded run's rounds; 1: after
    /// each).
    UntilCi {
        metric: usize,
        half_width: f64,
        min: u64,
        max: u64,
        every: u64,
    },
}

impl Stop {
    /// The most replications this rule may run.
    pub fn max(&self) -> u64 {
        match *self {
            Stop::Fixed(n) => n,
            Stop::UntilCi { max, .. } => max,
        }
    }

    /// The metric `--until-ci` watches, if any.
    pub fn watched(&self) -> Option<usize> {
        match *self {
            Stop::UntilCi { metric, .. } => Some(metric),
            Stop::Fixed(_) => None,
        }
    }

    /// [`Stop::met`] as the runner's answer.
    pub fn flow(&self, n: u64, hw: Option<f64>) -> runner::Flow {
        if self.met(n, hw) {
            runner::Flow::Stop
        } else {
            runner::Flow::Continue
        }
    }

    /// True when the rule is met after `n` replications whose interval of
    /// the watched metric has half-width `hw` (`None`: not yet defined):
    /// its target is, or it ran out of replications.
    pub fn met(&self, n: u64, hw: Option<f64>) -> bool {
        match *self {
            Stop::Fixed(k) => n >= k,
            Stop::UntilCi { max, every, .. } => {
                n >= max || (n.is_multiple_of(every.max(1)) && self.target_met(n, hw))
            }
        }
    }

    /// Whether an `--until-ci` target holds after `n` replications (a
    /// fixed count has none).
    fn target_met(&self, n: u64, hw: Option<f64>) -> bool {
        let Stop::UntilCi {
            half_width, min, ..
        } = *self
        else {
            return false;
        };
        n >= min
            && hw.is_some_and(|h| h <= half_width && (h > 0.0 || n >= UNTIL_CI_MIN_ZERO_SPREAD))
    }

    /// How an `--until-ci` rule ended after `n` replications with
    /// half-width `hw`; `None` for a fixed count.
    pub fn target(&self, n: u64, hw: Option<f64>) -> Option<Target> {
        let Stop::UntilCi {
            metric, half_width, ..
        } = *self
        else {
            return None;
        };
        Some(Target {
            metric: metric_defs()[metric].name.clone(),
            target_half_width: half_width,
            half_width: hw,
            replications: n,
            target_met: self.target_met(n, hw),
        })
    }
}

/// How an `--until-ci` rule ended: the `stopping` object of the JSON
/// outputs. A rule that stopped at `--max-replications` has
/// `target_met: false`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    /// The watched metric.
    pub metric: String,
    /// The half-width asked for, in the metric's unit (ms for durations).
    pub target_half_width: f64,
    /// The half-width reached; `null` when undefined (a metric with no
    /// value, or one replication).
    pub half_width: Option<f64>,
    pub replications: u64,
    pub target_met: bool,
}

impl Target {
    /// One sentence for stderr and the reports, e.g. `--until-ci stopped
    /// at the cap of 20 replications with the half-width of availability
    /// at 0.0087, 87x the target 0.0001`.
    pub fn shortfall(&self) -> Option<String> {
        if self.target_met {
            return None;
        }
        let def = metric_defs().into_iter().find(|d| d.name == self.metric)?;
        let reached = match self.half_width {
            // Met in width, but a zero-width interval is trusted only later.
            Some(0.0) => format!(
                "at 0 (the same value in every replication so far), which counts only after \
                 {UNTIL_CI_MIN_ZERO_SPREAD} replications (the target was {})",
                format_value(def.unit, self.target_half_width)
            ),
            Some(h) if self.target_half_width > 0.0 => format!(
                "at {}, {:.1}x the target {}",
                format_value(def.unit, h),
                h / self.target_half_width,
                format_value(def.unit, self.target_half_width)
            ),
            _ => format!(
                "undefined (the target was {})",
                format_value(def.unit, self.target_half_width)
            ),
        };
        Some(format!(
            "--until-ci stopped at the cap of {} replications with the half-width of {} {reached}; \
             raise --max-replications or loosen the target",
            self.replications, self.metric
        ))
    }
}

/// The fewest replications `--until-ci` runs before it may stop.
pub const UNTIL_CI_MIN: u64 = 10;

/// The fewest replications after which `--until-ci` trusts an interval of
/// zero width (every value the same so far): a rare event missing from the
/// first ten replications must not end the run with a \[0, 0\] interval.
/// An event of probability 10% per replication is missing from 100 with
/// probability 3 × 10⁻⁵.
pub const UNTIL_CI_MIN_ZERO_SPREAD: u64 = 100;

/// Parses `--until-ci METRIC=HALFWIDTH`. A duration metric (`..._ms`) takes
/// a duration (`30s`) or a number of milliseconds; `_ms` may be left out of
/// its name.
pub fn parse_until_ci(spec: &str) -> Result<(usize, f64), String> {
    let defs = metric_defs();
    let names = || {
        defs.iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((name, value)) = spec.split_once('=') else {
        return Err(format!(
            "--until-ci {spec}: expected METRIC=HALFWIDTH, e.g. time_to_recover_mean_ms=30s"
        ));
    };
    let name = name.trim();
    let idx = defs
        .iter()
        .position(|d| d.name == name || (d.unit == Unit::Ms && d.name == format!("{name}_ms")))
        .ok_or_else(|| {
            format!(
                "--until-ci {spec}: unknown metric {name:?}; valid metrics: {}",
                names()
            )
        })?;
    let d: &MetricDef = &defs[idx];
    let value = value.trim();
    let hw = if d.unit == Unit::Ms {
        match crate::time::parse_duration(value) {
            Ok(x) => Some(x.ms() as f64),
            Err(_) => value.parse::<f64>().ok(),
        }
    } else {
        value.parse::<f64>().ok()
    };
    match hw {
        Some(h) if h.is_finite() && h > 0.0 => Ok((idx, h)),
        _ => Err(format!(
            "--until-ci {spec}: the half-width must be a positive {}, e.g. {}",
            if d.unit == Unit::Ms {
                "duration"
            } else {
                "number"
            },
            if d.unit == Unit::Ms { "30s" } else { "0.5" }
        )),
    }
}

/// A number for CSV: Rust's shortest round-trip form; empty when undefined.
pub fn csv_number(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// A metric is worth a row for people unless it is 0 in every replication.
pub fn all_zero(e: &estimate::Estimate) -> bool {
    e.mean.is_none_or(|m| m == 0.0) && e.sd.is_none_or(|s| s == 0.0)
}

/// A value of `unit` for people: durations as `12m34s`, ratios with six
/// decimals, counts and node-hours with two.
pub fn format_value(unit: Unit, v: f64) -> String {
    match unit {
        Unit::Ms => {
            let sign = if v < 0.0 { "-" } else { "" };
            let ms = v.abs().round() as u64;
            // Sub-second values keep their milliseconds; longer ones are rounded to the second.
            if ms == 0 {
                "0s".to_string()
            } else if ms < 1000 {
                format!("{sign}{ms}ms")
            } else {
                let s = (ms + 500) / 1000;
                format!(
                    "{sign}{}",
                    crate::time::format_duration(crate::time::SimDuration(s * 1000))
                )
            }
        }
        Unit::Ratio => format!("{v:.6}"),
        Unit::Count | Unit::NodeHours => format!("{v:.2}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mc::metrics::{IDX_AVAILABILITY, IDX_TTR_MEAN};

    #[test]
    fn until_ci_parses_durations_and_numbers() {
        assert_eq!(
            parse_until_ci("time_to_recover_mean_ms=30s"),
            Ok((IDX_TTR_MEAN, 30_000.0))
        );
        assert_eq!(
            parse_until_ci("time_to_recover_mean=1500"),
            Ok((IDX_TTR_MEAN, 1500.0))
        );
        assert_eq!(
            parse_until_ci("availability=0.0001"),
            Ok((IDX_AVAILABILITY, 0.0001))
        );
        let e = parse_until_ci("ttr=30s").unwrap_err();
        assert!(
            e.contains("unknown metric \"ttr\"") && e.contains("time_to_recover_mean_ms"),
            "{e}"
        );
        let e = parse_until_ci("availability=-1").unwrap_err();
        assert!(e.contains("positive number"), "{e}");
        assert!(
            parse_until_ci("availability")
                .unwrap_err()
                .contains("METRIC=HALFWIDTH")
        );
    }

    #[test]
    fn stop_rules() {
        assert!(!Stop::Fixed(3).met(2, None));
        assert!(Stop::Fixed(3).met(3, None));
        let s = Stop::UntilCi {
            metric: 0,
            half_width: 1.0,
            min: 10,
            max: 1000,
            every: 1,
        };
        assert!(!s.met(5, Some(0.1)), "not before min");
        assert!(!s.met(20, Some(1.5)));
        assert!(!s.met(20, None));
        assert!(s.met(20, Some(1.0)));
        assert!(s.met(1000, Some(9.0)), "always at max");
        assert!(!s.met(20, Some(0.0)), "no spread yet: maybe a rare event");
        assert!(s.met(UNTIL_CI_MIN_ZERO_SPREAD, Some(0.0)));
        let rounds = Stop::UntilCi {
            metric: 0,
            half_width: 1.0,
            min: 10,
            max: 1000,
            every: 25,
        };
        assert!(!rounds.met(20, Some(1.0)), "only at the end of a round");
        assert!(rounds.met(25, Some(1.0)));
        assert!(rounds.met(1000, Some(9.0)), "always at max");
    }

    #[test]
    fn values_for_people() {
        assert_eq!(format_value(Unit::Ms, 1_169_500.0), "19m30s");
        assert_eq!(format_value(Unit::Ms, -90_000.0), "-1m30s");
        assert_eq!(format_value(Unit::Ms, 250.4), "250ms");
        assert_eq!(format_value(Unit::Ratio, 0.9995), "0.999500");
        assert_eq!(format_value(Unit::Count, 3.0), "3.00");
    }
}
