//! Durations that may vary: fixed, uniform, exponential, lognormal or an
//! empirical list. Sampling uses floating point internally and returns
//! whole seconds (whole milliseconds when a bound is not a whole second), so
//! simulated time stays integer and outputs stay readable.

use crate::time::{MAX_SPAN, SECOND, SimDuration};
use rand::Rng;

/// A distribution of durations. Parameters are in \[ms\].
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    Fixed(SimDuration),
    /// Uniform on `[lo, hi]`.
    Uniform(SimDuration, SimDuration),
    /// Exponential with this mean.
    Exponential(SimDuration),
    /// Lognormal with this median and shape `sigma` (of the underlying normal).
    LogNormal {
        median: SimDuration,
        sigma: f64,
    },
    /// One of these values, equally likely.
    Empirical(Vec<SimDuration>),
}

/// Rounds a draw \[ms\] to the nearest whole second, after clamping it to
/// `[0, 100 years]` (NaN counts as 0), so no draw can overflow.
pub fn to_seconds(ms: f64) -> SimDuration {
    let ms = if ms.is_nan() {
        0.0
    } else {
        ms.clamp(0.0, MAX_SPAN as f64)
    };
    // 100 years is a whole number of seconds, so rounding stays in range.
    SimDuration((ms / SECOND as f64).round() as u64 * SECOND)
}

/// The shortest exponential or lognormal draw: their parameters must be
/// longer than 0s, so a draw must not round to 0s.
const MIN_DRAW: SimDuration = SimDuration::from_secs(1);

impl DurationDist {
    /// Draws one duration \[ms\]. Exactly one or two `u64`/`f64` draws, so the
    /// stream position depends only on how many samples were taken.
    pub fn sample<R: Rng>(&self, rng: &mut R) -> SimDuration {
        match self {
            DurationDist::Fixed(d) => *d,
            DurationDist::Uniform(lo, hi) => {
                if lo.0 % SECOND == 0 && hi.0 % SECOND == 0 {
                    SimDuration(rng.gen_range(lo.0 / SECOND..=hi.0 / SECOND) * SECOND)
                } else {
                    SimDuration(rng.gen_range(lo.0..=hi.0))
                }
            }
            DurationDist::Exponential(mean) => {
                let u: f64 = rng.r#gen::<f64>();
                // 1 - u is in (0, 1], so ln is finite.
                to_seconds(-(1.0 - u).ln() * mean.0 as f64).max(MIN_DRAW)
            }
            DurationDist::LogNormal { median, sigma } => {
                let (u1, u2): (f64, f64) = (rng.r#gen(), rng.r#gen());
                let z = (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                to_seconds(median.0 as f64 * (sigma * z).exp()).max(MIN_DRAW)
            }
            DurationDist::Empirical(values) => values[rng.gen_range(0..values.len())],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn samples_stay_in_range_and_are_reproducible() {
        let d = DurationDist::Uniform(SimDuration(8 * 60_000), SimDuration(12 * 60_000));
        let mut r1 = stream(1, 0, 9, Purpose::ActionDuration);
        let mut r2 = stream(1, 0, 9, Purpose::ActionDuration);
        for _ in 0..1000 {
            let a = d.sample(&mut r1);
            assert_eq!(a, d.sample(&mut r2));
            assert!((480_000..=720_000).contains(&a.0));
        }
    }

    #[test]
    fn to_seconds_clamps_before_the_cast() {
        assert_eq!(to_seconds(1_499.0), SimDuration(1_000));
        assert_eq!(to_seconds(0.4), SimDuration::ZERO);
        assert_eq!(to_seconds(-5.0), SimDuration::ZERO);
        assert_eq!(to_seconds(f64::NEG_INFINITY), SimDuration::ZERO);
        assert_eq!(to_seconds(f64::NAN), SimDuration::ZERO);
        for huge in [MAX_SPAN as f64 + 1e6, 1e300, f64::MAX, f64::INFINITY] {
            assert_eq!(to_seconds(huge), SimDuration(MAX_SPAN), "{huge}");
        }
    }

    #[test]
    fn exponential_and_lognormal_draws_are_at_least_one_second() {
        let mut r = stream(5, 0, 2, Purpose::SelfHeal);
        for d in [
            DurationDist::Exponential(SimDuration(1)),
            DurationDist::LogNormal {
                median: SimDuration(1),
                sigma: 10.0,
            },
        ] {
            for _ in 0..2_000 {
                let x = d.sample(&mut r);
                assert!((SECOND..=MAX_SPAN).contains(&x.0), "{x:?} from {d:?}");
            }
        }
        // The extreme parameters the loader allows stay in range too.
        let d = DurationDist::LogNormal {
            median: SimDuration(MAX_SPAN),
            sigma: 10.0,
        };
        for _ in 0..2_000 {
            assert!((SECOND..=MAX_SPAN).contains(&d.sample(&mut r).0));
        }
        // Fixed keeps sub-second values.
        assert_eq!(
            DurationDist::Fixed(SimDuration(250)).sample(&mut r),
            SimDuration(250)
        );
    }

    #[test]
    fn exponential_mean_is_close() {
        let d = DurationDist::Exponential(SimDuration(1_000_000));
        let mut r = stream(3, 0, 1, Purpose::SelfHeal);
        let n = 20_000;
        let mean = (0..n).map(|_| d.sample(&mut r).0 as f64).sum::<f64>() / n as f64;
        assert!((mean - 1_000_000.0).abs() < 30_000.0, "mean {mean}");
    }
}
