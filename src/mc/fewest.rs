//! Fewest Ready nodes per pool over replications: the capacity question
//! of a review ("how low can the system pool go?") as a distribution,
//! and the probability that a pool drops below a threshold.
//!
//! Invariant: a histogram per pool indexed by node count, so memory is
//! bounded by the pools' sizes, not by the replications, and two
//! histograms of disjoint replications add up to the histogram of both.

use super::student::normal_quantile;
use crate::stats::nearest_rank_of;

/// One pool's fewest Ready nodes, one count per replication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FewestReady {
    /// `counts[k]`: replications whose fewest Ready nodes were `k`.
    counts: Vec<u64>,
}

impl FewestReady {
    /// An empty distribution for a pool of `nodes` nodes.
    pub fn new(nodes: u32) -> FewestReady {
        FewestReady {
            counts: vec![0; nodes as usize + 1],
        }
    }

    /// Adds one replication's fewest Ready nodes (at most the pool size).
    pub fn add(&mut self, fewest: u32) {
        let k = (fewest as usize).min(self.counts.len() - 1);
        self.counts[k] += 1;
    }

    /// Replications added.
    pub fn replications(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The `p`th percentile (0..=100) by nearest rank; `None` when empty.
    pub fn percentile(&self, p: u32) -> Option<u32> {
        nearest_rank_of(self.replications(), p)
            .and_then(|rank| {
                let mut seen = 0;
                self.counts.iter().position(|&c| {
                    seen += c;
                    seen > rank
                })
            })
            .map(|k| k as u32)
    }

    /// Replications in which the pool had fewer than `n` Ready nodes at
    /// some instant.
    pub fn below(&self, n: u32) -> u64 {
        self.counts.iter().take(n as usize).sum()
    }
}

/// A proportion with its Wilson score interval at `confidence`: a sound
/// interval for a probability even at 0 or 1, where the normal
/// approximation collapses to zero width.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Proportion {
    pub hits: u64,
    pub trials: u64,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Proportion {
    /// `None` without trials.
    pub fn wilson(hits: u64, trials: u64, confidence: f64) -> Option<Proportion> {
        if trials == 0 {
            return None;
        }
        let (x, n) = (hits as f64, trials as f64);
        let z = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
        let p = x / n;
        let z2 = z * z;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
        Some(Proportion {
            hits,
            trials,
            estimate: p,
            // At 0 and 1 the bound is exact, whatever the rounding says.
            ci_low: if hits == 0 {
                0.0
            } else {
                (centre - half).max(0.0)
            },
            ci_high: if hits == trials {
                1.0
            } else {
                (centre + half).min(1.0)
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn percentiles_and_thresholds_of_a_small_pool() {
        let mut f = FewestReady::new(3);
        for k in [3, 2, 2, 1, 3, 2, 2, 2, 3, 0] {
            f.add(k);
        }
        assert_eq!(f.replications(), 10);
        // Sorted: 0 1 2 2 2 2 2 3 3 3.
        assert_eq!(f.percentile(50), Some(2));
        assert_eq!(f.percentile(1), Some(0));
        assert_eq!(f.percentile(0), Some(0));
        assert_eq!(f.percentile(100), Some(3));
        assert_eq!(
            (f.below(0), f.below(1), f.below(2), f.below(3)),
            (0, 1, 2, 7)
        );
        assert_eq!(f.below(99), 10);
        assert_eq!(FewestReady::new(3).percentile(50), None);
    }

    #[test]
    fn wilson_matches_the_textbook_values() {
        // 0 of 30: [0, 0.1135]; 29 of 30: [0.8333, 0.9941] (z = 1.96).
        let p = Proportion::wilson(0, 30, 0.95).unwrap();
        assert_eq!((p.estimate, p.ci_low), (0.0, 0.0));
        assert!((p.ci_high - 0.1135).abs() < 1e-4, "{p:?}");
        let p = Proportion::wilson(29, 30, 0.95).unwrap();
        assert!((p.ci_low - 0.8333).abs() < 1e-4, "{p:?}");
        assert!((p.ci_high - 0.9941).abs() < 1e-4, "{p:?}");
        assert_eq!(Proportion::wilson(0, 0, 0.95), None);
    }

    proptest! {
        #[test]
        fn percentiles_agree_with_sorting(values in proptest::collection::vec(0u32..=8, 1..200), p in 0u32..=100) {
            let mut f = FewestReady::new(8);
            values.iter().for_each(|&v| f.add(v));
            let mut sorted: Vec<u64> = values.iter().map(|&v| u64::from(v)).collect();
            sorted.sort_unstable();
            prop_assert_eq!(f.percentile(p).map(u64::from), crate::stats::nearest_rank(&sorted, p));
            let n = values.len() as u64;
            let below = values.iter().filter(|&&v| v < 4).count() as u64;
            prop_assert_eq!(f.below(4), below);
            let w = Proportion::wilson(below, n, 0.95).unwrap();
            prop_assert!(w.ci_low <= w.estimate && w.estimate <= w.ci_high);
        }
    }
}
