//! Estimates over replications: mean, standard deviation and a Student t
//! confidence interval of the mean; paired differences; the pooled
//! distribution of time to recover.
//!
//! Invariant: values are folded in replication order, one at a time, so
//! the same replications give the same bits whatever thread computed them.

use super::student::t_critical;
use crate::stats::Percentiles;
use serde::Serialize;
use std::collections::BTreeMap;

/// The confidence level of every interval, before any Bonferroni correction.
pub const CONFIDENCE: f64 = 0.95;

/// Running mean and variance (Welford), in the order values arrive.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Running {
    pub n: u64,
    mean: f64,
    m2: f64,
}

impl Running {
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Sample standard deviation (n − 1 in the denominator); `None` below 2 values.
    pub fn sd(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2 / (self.n - 1) as f64).max(0.0).sqrt())
    }

    /// Half the width of the `confidence` interval of the mean:
    /// t(confidence, n − 1) × sd / √n. `None` below 2 values.
    pub fn half_width(&self, confidence: f64) -> Option<f64> {
        let sd = self.sd()?;
        Some(t_critical(confidence, self.n - 1) * sd / (self.n as f64).sqrt())
    }

    pub fn estimate(&self, confidence: f64) -> Estimate {
        let hw = self.half_width(confidence);
        let mean = self.mean();
        Estimate {
            n: self.n,
            mean,
            sd: self.sd(),
            ci_low: mean.zip(hw).map(|(m, h)| m - h),
            ci_high: mean.zip(hw).map(|(m, h)| m + h),
            half_width: hw,
        }
    }
}

/// A mean with its interval. Everything is `None` where undefined (no
/// values; the interval needs two).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Estimate {
    /// Replications with a value.
    pub n: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub half_width: Option<f64>,
}

impl Estimate {
    /// The interval lies entirely above 0 (`Some(true)`), entirely below
    /// (`Some(false)`), or contains 0 or is undefined (`None`).
    pub fn sign(&self) -> Option<bool> {
        match (self.ci_low, self.ci_high) {
            (Some(lo), _) if lo > 0.0 => Some(true),
            (_, Some(hi)) if hi < 0.0 => Some(false),
            _ => None,
        }
    }
}

/// An exact histogram of durations \[ms\]: value → count. Its size is the
/// number of distinct values, not of replications, and two histograms
/// merge exactly.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Histogram {
    counts: BTreeMap<u64, u64>,
    n: u64,
    sum: u128,
}

impl Histogram {
    pub fn add(&mut self, ms: u64) {
        *self.counts.entry(ms).or_default() += 1;
        self.n += 1;
        self.sum += u128::from(ms);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (&v, &c) in &other.counts {
            *self.counts.entry(v).or_default() += c;
        }
        self.n += other.n;
        self.sum += other.sum;
    }

    pub fn count(&self) -> u64 {
        self.n
    }

    /// The mean \[ms\]; `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / self.n as f64)
    }

    /// The distinct values, ascending, each with how often it was added.
    pub fn runs(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().map(|(&v, &c)| (v, c))
    }

    /// Every value, ascending, each as often as it was added.
    #[cfg(test)]
    pub fn sorted(&self) -> Vec<u64> {
        let mut v = Vec::with_capacity(self.n as usize);
        for (&x, &c) in &self.counts {
            v.extend(std::iter::repeat_n(x, c as usize));
        }
        v
    }

    /// The value of nearest rank `p` (0..=100), as [`crate::stats::nearest_rank`].
    pub fn percentile(&self, p: u32) -> Option<u64> {
        if self.n == 0 {
            return None;
        }
        let rank = (u64::from(p.min(100)) * self.n).div_ceil(100).max(1);
        let mut seen = 0;
        for (&v, &c) in &self.counts {
            seen += c;
            if seen >= rank {
                return Some(v);
            }
        }
        self.counts.keys().next_back().copied()
    }

    pub fn percentiles(&self) -> Percentiles {
        if self.n == 0 {
            return Percentiles::default();
        }
        Percentiles {
            count: self.n,
            min: self.counts.keys().next().copied(),
            p50: self.percentile(50),
            p90: self.percentile(90),
            p99: self.percentile(99),
            max: self.counts.keys().next_back().copied(),
            mean: self.mean(),
        }
    }
}

impl Histogram {
    /// A histogram of `(value, count)` runs, as [`Histogram::runs`] gives
    /// them; `None` when the values are not strictly ascending or a count
    /// is 0 (what a shard file must never hold).
    pub fn from_runs(runs: &[(u64, u64)]) -> Option<Histogram> {
        let mut h = Histogram::default();
        let mut last: Option<u64> = None;
        for &(v, c) in runs {
            if c == 0 || last.is_some_and(|l| l >= v) {
                return None;
            }
            last = Some(v);
            h.counts.insert(v, c);
            h.n = h.n.checked_add(c)?;
            h.sum = h.sum.checked_add(u128::from(v) * u128::from(c))?;
        }
        Some(h)
    }
}

impl FromIterator<u64> for Histogram {
    fn from_iter<I: IntoIterator<Item = u64>>(values: I) -> Histogram {
        let mut h = Histogram::default();
        values.into_iter().for_each(|v| h.add(v));
        h
    }
}

impl Histogram {
    /// `k` values spread evenly in rank, ascending: a compact stand-in for
    /// the sorted list of every value (for plotting an empirical CDF).
    pub fn quantile_points(&self, k: u32) -> Vec<u64> {
        if self.n == 0 || k == 0 {
            return Vec::new();
        }
        // One pass: the i-th point is the value of rank ceil(i·n/k).
        let mut out = Vec::with_capacity(k as usize);
        let mut values = self.counts.iter();
        let (mut seen, mut current) = (0u64, 0u64);
        for i in 1..=u64::from(k) {
            let rank = (i * self.n).div_ceil(u64::from(k)).max(1);
            while seen < rank {
                match values.next() {
                    Some((&v, &c)) => {
                        seen += c;
                        current = v;
                    }
                    None => break,
                }
            }
            out.push(current);
        }
        out
    }
}

/// A 95% band of the empirical CDF across replications: at each point `x`
/// of a fixed grid, the mean over replications of the share of that
/// replication's values at or below `x`, with its Student t interval.
/// Memory is the grid, whatever the number of replications.
#[derive(Clone, Debug, PartialEq)]
pub struct CdfBand {
    /// Grid points \[ms\], ascending.
    pub xs: Vec<u64>,
    acc: Vec<Running>,
}

impl CdfBand {
    /// A grid of round values from 1 s up to the first at or above
    /// `max_ms`: the R20 preferred numbers (1, 1.12, 1.25, ... 8.9) in every
    /// decade, about 12% apart, in integer arithmetic (the same grid on
    /// every machine).
    pub fn new(max_ms: u64) -> CdfBand {
        const R20: [u64; 20] = [
            100, 112, 125, 140, 160, 180, 200, 224, 250, 280, 315, 355, 400, 450, 500, 560, 630,
            710, 800, 900,
        ];
        let mut xs = Vec::new();
        let mut decade = 10u64; // 100 × 10 ms = 1 s
        'grid: loop {
            for r in R20 {
                let x = r.saturating_mul(decade);
                xs.push(x);
                if x >= max_ms || x == u64::MAX {
                    break 'grid;
                }
            }
            decade = decade.saturating_mul(10);
        }
        CdfBand {
            acc: vec![Running::default(); xs.len()],
            xs,
        }
    }

    /// Folds in one replication's values; none: nothing to fold.
    /// O(grid + distinct values).
    pub fn push(&mut self, h: &Histogram) {
        self.push_counts(&CdfCounts::of(&self.xs, h));
    }

    /// Folds in one replication's values as [`CdfCounts`] on this band's
    /// grid: what a shard keeps of a replication, re-folded by `merge`.
    pub fn push_counts(&mut self, c: &CdfCounts) {
        if c.n == 0 {
            return;
        }
        let n = c.n as f64;
        for (i, a) in self.acc.iter_mut().enumerate() {
            a.push(c.at_most(i) as f64 / n);
        }
    }
}

/// One replication's empirical CDF on a band's grid: how many of its `n`
/// values are at or below each grid point. Its size is bounded by the grid,
/// not by the replication's incidents, and it is all a [`CdfBand`] needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CdfCounts {
    /// How many values.
    pub n: u64,
    /// The count at or below each grid point, up to the first that counts
    /// all `n` (the rest are `n`).
    pub at_most: Vec<u64>,
}

impl CdfCounts {
    /// The counts of `h` on the grid `xs` (ascending) \[ms\].
    pub fn of(xs: &[u64], h: &Histogram) -> CdfCounts {
        let mut at_most = Vec::new();
        let mut values = h.counts.iter().peekable();
        let mut seen = 0u64;
        for x in xs {
            if seen == h.n {
                break;
            }
            while let Some((_, &c)) = values.next_if(|(v, _)| *v <= x) {
                seen += c;
            }
            at_most.push(seen);
        }
        CdfCounts { n: h.n, at_most }
    }

    /// The count at or below grid point `i`.
    pub fn at_most(&self, i: usize) -> u64 {
        self.at_most.get(i).copied().unwrap_or(self.n)
    }
}

impl CdfBand {
    /// `(x, low, high)` at every grid point with an interval, clamped to \[0, 1\].
    pub fn band(&self, confidence: f64) -> Vec<(u64, f64, f64)> {
        self.xs
            .iter()
            .zip(&self.acc)
            .filter_map(|(&x, a)| {
                let e = a.estimate(confidence);
                Some((x, e.ci_low?.clamp(0.0, 1.0), e.ci_high?.clamp(0.0, 1.0)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::nearest_rank;
    use proptest::prelude::*;

    #[test]
    fn mean_sd_and_interval_of_a_small_sample() {
        let mut r = Running::default();
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            r.push(x);
        }
        let e = r.estimate(CONFIDENCE);
        assert_eq!(e.n, 8);
        assert!((e.mean.unwrap() - 5.0).abs() < 1e-12);
        // Sample variance 32/7.
        assert!((e.sd.unwrap() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        // t(0.975, 7) = 2.364624.
        let hw = 2.364_624 * (32.0f64 / 7.0).sqrt() / 8f64.sqrt();
        assert!((e.half_width.unwrap() - hw).abs() < 1e-5, "{e:?}");
        assert_eq!(e.sign(), Some(true));
    }

    #[test]
    fn one_value_has_a_mean_but_no_interval() {
        let mut r = Running::default();
        r.push(3.0);
        let e = r.estimate(CONFIDENCE);
        assert_eq!(e.mean, Some(3.0));
        assert_eq!((e.sd, e.ci_low, e.sign()), (None, None, None));
        assert_eq!(Running::default().estimate(CONFIDENCE).mean, None);
    }

    #[test]
    fn constant_values_have_a_zero_width_interval() {
        let mut r = Running::default();
        for _ in 0..5 {
            r.push(0.0);
        }
        let e = r.estimate(CONFIDENCE);
        assert_eq!((e.ci_low, e.ci_high), (Some(0.0), Some(0.0)));
        assert_eq!(e.sign(), None, "an interval at 0 is not significant");
    }

    #[test]
    fn runs_out_of_order_or_of_zero_are_refused() {
        assert_eq!(Histogram::from_runs(&[(5, 1), (5, 1)]), None);
        assert_eq!(Histogram::from_runs(&[(7, 1), (5, 1)]), None);
        assert_eq!(Histogram::from_runs(&[(5, 0)]), None);
        assert_eq!(Histogram::from_runs(&[(u64::MAX, u64::MAX), (0, 1)]), None);
        assert_eq!(Histogram::from_runs(&[]), Some(Histogram::default()));
    }

    #[test]
    fn quantile_points_follow_the_ranks() {
        let mut h = Histogram::default();
        (1..=100).for_each(|x| h.add(x));
        assert_eq!(h.quantile_points(4), vec![25, 50, 75, 100]);
        assert_eq!(h.quantile_points(1), vec![100]);
        let mut two = Histogram::default();
        [7, 7, 7, 9].iter().for_each(|&x| two.add(x));
        assert_eq!(two.quantile_points(8), vec![7, 7, 7, 7, 7, 7, 9, 9]);
        assert!(Histogram::default().quantile_points(4).is_empty());
    }

    #[test]
    fn cdf_band_brackets_the_replications() {
        let mut b = CdfBand::new(10_000);
        assert_eq!(b.xs.first(), Some(&1_000));
        assert_eq!(b.xs.last(), Some(&10_000));
        assert_eq!(b.xs.len(), 21);
        b.push(&[500, 5_000].into_iter().collect());
        b.push(&[500, 20_000].into_iter().collect());
        b.push(&Histogram::default());
        let band = b.band(CONFIDENCE);
        // At 1 s both replications have half their values below: no spread.
        assert_eq!(band[0], (1_000, 0.5, 0.5));
        // At 10 s one has all, the other half: a wide interval around 0.75.
        let (x, lo, hi) = band[20];
        assert_eq!(x, 10_000);
        assert!(lo < 0.75 && hi > 0.75 && lo >= 0.0 && hi <= 1.0);
    }

    proptest! {
        #[test]
        fn histogram_percentiles_equal_the_sorted_list(
            v in proptest::collection::vec(0u64..500, 0..200),
            p in 0u32..=100,
        ) {
            let mut h = Histogram::default();
            v.iter().for_each(|&x| h.add(x));
            let mut s = v.clone();
            s.sort_unstable();
            prop_assert_eq!(h.percentile(p), nearest_rank(&s, p));
            prop_assert_eq!(h.percentiles(), Percentiles::of_sorted(&s));
        }

        #[test]
        fn a_band_folds_a_histogram_as_the_sorted_list_it_counts(
            v in proptest::collection::vec(0u64..40_000, 1..200),
        ) {
            let mut b = CdfBand::new(30_000);
            b.push(&v.iter().copied().collect());
            let mut s = v.clone();
            s.sort_unstable();
            for (x, a) in b.xs.iter().zip(&b.acc) {
                let share = s.partition_point(|v| v <= x) as f64 / s.len() as f64;
                prop_assert_eq!(a.mean(), Some(share));
            }
        }

        #[test]
        fn a_histogram_is_its_runs_and_counts_are_cut_where_all_are_counted(
            v in proptest::collection::vec(0u64..40_000, 0..200),
        ) {
            let h: Histogram = v.iter().copied().collect();
            let runs: Vec<(u64, u64)> = h.runs().collect();
            prop_assert_eq!(Histogram::from_runs(&runs), Some(h.clone()));
            let b = CdfBand::new(30_000);
            let c = CdfCounts::of(&b.xs, &h);
            for (i, x) in b.xs.iter().enumerate() {
                prop_assert_eq!(c.at_most(i), v.iter().filter(|&&y| y <= *x).count() as u64);
            }
            prop_assert!(c.at_most.iter().filter(|&&a| a == h.count()).count() <= 1);
        }

        #[test]
        fn histograms_merge_exactly(
            a in proptest::collection::vec(0u64..50, 0..50),
            b in proptest::collection::vec(0u64..50, 0..50),
        ) {
            let (mut ha, mut hb, mut hab) =
                (Histogram::default(), Histogram::default(), Histogram::default());
            a.iter().for_each(|&x| { ha.add(x); hab.add(x) });
            b.iter().for_each(|&x| { hb.add(x); hab.add(x) });
            ha.merge(&hb);
            prop_assert_eq!(ha, hab);
        }
    }
}
