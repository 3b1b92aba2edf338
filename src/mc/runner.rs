//! Runs replications in parallel and hands their results over in
//! replication order.
//!
//! Replications are computed in chunks on a rayon pool; each chunk's
//! results are consumed in order by one caller-side closure, which writes
//! rows, folds estimates and decides whether to stop. So:
//! - the output never depends on the thread count or on scheduling: only
//!   the order of consumption matters, and it is fixed;
//! - memory holds one chunk of results, whatever the number of
//!   replications;
//! - a stopping rule (`--until-ci`) sees replications one at a time, and
//!   the results a chunk computed past the stop are dropped unseen.

use rayon::prelude::*;

/// Whether to go on after a replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// How many replications one chunk computes per thread. Large enough that
/// uneven replications even out within a chunk, small enough that memory
/// stays flat.
const PER_THREAD: usize = 16;

/// Computes `work(r)` for `r` in `0..max`, in parallel on `pool`, and calls
/// `consume(r, result)` in order of `r` until it returns [`Flow::Stop`] or
/// fails. Returns how many results were consumed.
pub fn replicate<T, E>(
    pool: &rayon::ThreadPool,
    max: u64,
    work: impl Fn(u64) -> T + Sync,
    mut consume: impl FnMut(u64, T) -> Result<Flow, E>,
) -> Result<u64, E>
where
    T: Send,
{
    let chunk = (pool.current_num_threads() * PER_THREAD) as u64;
    let mut next = 0u64;
    while next < max {
        let end = next.saturating_add(chunk).min(max);
        let results: Vec<T> = pool.install(|| (next..end).into_par_iter().map(&work).collect());
        for (r, t) in (next..end).zip(results) {
            if consume(r, t)? == Flow::Stop {
                return Ok(r + 1);
            }
        }
        next = end;
    }
    Ok(max)
}

/// A rayon pool of `threads` threads (0: one per core).
pub fn pool(threads: usize) -> Result<rayon::ThreadPool, String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("could not start {threads} worker threads: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_whatever_the_threads() {
        for threads in [1, 2, 3] {
            let p = pool(threads).unwrap();
            let mut seen = Vec::new();
            let n = replicate(
                &p,
                100,
                |r| r * r,
                |r, v| {
                    seen.push((r, v));
                    Ok::<_, ()>(Flow::Continue)
                },
            )
            .unwrap();
            assert_eq!(n, 100);
            let want: Vec<(u64, u64)> = (0..100).map(|r| (r, r * r)).collect();
            assert_eq!(seen, want, "threads {threads}");
        }
    }

    #[test]
    fn a_stop_ends_consumption_at_that_replication() {
        let p = pool(2).unwrap();
        let mut seen = 0;
        let n = replicate(
            &p,
            1000,
            |r| r,
            |r, _| {
                seen += 1;
                Ok::<_, ()>(if r == 40 { Flow::Stop } else { Flow::Continue })
            },
        )
        .unwrap();
        assert_eq!((n, seen), (41, 41));
    }

    #[test]
    fn an_error_stops_and_is_returned() {
        let p = pool(1).unwrap();
        let e = replicate(
            &p,
            10,
            |r| r,
            |r, _| if r == 3 { Err(r) } else { Ok(Flow::Continue) },
        );
        assert_eq!(e, Err(3));
    }
}
