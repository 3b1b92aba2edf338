//! Runs replications in parallel and hands their results over in
//! replication order.
//!
//! Worker threads of a rayon pool take replication numbers from a shared
//! counter and send their results to the calling thread, which puts them
//! back in order and hands them, one at a time, to a caller-side closure
//! that writes rows, folds estimates and decides whether to stop. So:
//! - the output never depends on the thread count or on scheduling: only
//!   the order of consumption matters, and it is fixed;
//! - workers never wait for each other (no barrier between batches), and
//!   they run at most a window of replications ahead of the consumer, so
//!   memory holds a bounded number of results, whatever the number of
//!   replications;
//! - a stopping rule (`--until-ci`) sees replications one at a time; the
//!   results computed past the stop are dropped unseen.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex};

/// Whether to go on after a replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// How far ahead of the consumer each worker may run: enough that uneven
/// replications even out, few enough that memory stays flat.
const AHEAD_PER_THREAD: u64 = 16;

/// How many consecutive replications a worker takes at a time and sends
/// in one message: fewer wake-ups of the consumer.
const BLOCK: u64 = 4;

/// What workers and the consumer share.
struct Shared {
    /// The next replication a worker takes.
    next: AtomicU64,
    /// Set when the consumer stops early or fails.
    stop: AtomicBool,
    /// How many results the consumer has taken; workers wait on `moved`
    /// while they are a full window ahead of it.
    consumed: Mutex<u64>,
    moved: Condvar,
}

impl Shared {
    /// Tells every worker to stop and wakes the waiting ones.
    fn halt(&self) {
        self.stop.store(true, Ordering::Relaxed);
        // Taking the lock orders the store before any waiter's check.
        drop(self.consumed.lock().unwrap_or_else(|e| e.into_inner()));
        self.moved.notify_all();
    }
}

/// Halts the run when its thread unwinds from a panic, so that a panic in
/// a worker or in the consumer ends the scope (which re-raises it) rather
/// than leaving the others waiting for each other.
struct HaltOnPanic<'a>(&'a Shared);

impl Drop for HaltOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.halt();
        }
    }
}

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
    let threads = pool.current_num_threads().max(1);
    if threads == 1 {
        // One thread means one: everything on the calling thread.
        for r in 0..max {
            if consume(r, work(r))? == Flow::Stop {
                return Ok(r + 1);
            }
        }
        return Ok(max);
    }
    let window = threads as u64 * AHEAD_PER_THREAD;
    let shared = Shared {
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        consumed: Mutex::new(0),
        moved: Condvar::new(),
    };
    let (tx, rx) = mpsc::channel::<Vec<(u64, T)>>();
    let (shared, work) = (&shared, &work);
    pool.in_place_scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            scope.spawn(move |_| {
                let _halt = HaltOnPanic(shared);
                loop {
                    let first = shared.next.fetch_add(BLOCK, Ordering::Relaxed);
                    if first >= max {
                        return;
                    }
                    let end = first.saturating_add(BLOCK).min(max);
                    {
                        let mut done = shared.consumed.lock().unwrap_or_else(|e| e.into_inner());
                        while end > *done + window && !shared.stop.load(Ordering::Relaxed) {
                            done = shared.moved.wait(done).unwrap_or_else(|e| e.into_inner());
                        }
                    }
                    let mut block = Vec::with_capacity((end - first) as usize);
                    for r in first..end {
                        if shared.stop.load(Ordering::Relaxed) {
                            return;
                        }
                        block.push((r, work(r)));
                    }
                    if tx.send(block).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let _halt = HaltOnPanic(shared);
        let finish = |n: u64| {
            shared.halt();
            n
        };
        let mut pending: BTreeMap<u64, T> = BTreeMap::new();
        let mut want = 0u64;
        while want < max {
            let Ok(block) = rx.recv() else {
                break;
            };
            pending.extend(block);
            while let Some(t) = pending.remove(&want) {
                let flow = consume(want, t);
                want += 1;
                match flow {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Stop) => return Ok(finish(want)),
                    Err(e) => {
                        finish(want);
                        return Err(e);
                    }
                }
            }
            *shared.consumed.lock().unwrap_or_else(|e| e.into_inner()) = want;
            shared.moved.notify_all();
        }
        Ok(finish(want))
    })
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
    fn workers_stay_within_a_window_of_the_consumer() {
        use std::sync::atomic::AtomicI64;
        let p = pool(2).unwrap();
        let window = 2 * AHEAD_PER_THREAD as i64;
        let (alive, most) = (AtomicI64::new(0), AtomicI64::new(0));
        let n = replicate(
            &p,
            2_000,
            |r| {
                let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                r
            },
            |_, _| {
                alive.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, ()>(Flow::Continue)
            },
        )
        .unwrap();
        assert_eq!(n, 2_000);
        // A result is alive from its computation to its consumption; the
        // window bounds how many there are (plus one in flight per worker).
        assert!(most.load(Ordering::SeqCst) <= window + 2, "{most:?}");
    }

    #[test]
    fn a_panic_in_a_worker_or_the_consumer_propagates_instead_of_hanging() {
        for threads in [1, 2] {
            let p = pool(threads).unwrap();
            let in_work = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                replicate(
                    &p,
                    1000,
                    |r| assert_ne!(r, 5, "a bug in a replication"),
                    |_, _| Ok::<_, ()>(Flow::Continue),
                )
            }));
            assert!(in_work.is_err(), "threads {threads}");
            let in_consume = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                replicate(
                    &p,
                    1000,
                    |r| r,
                    |r, _| {
                        assert_ne!(r, 5, "a bug in the consumer");
                        Ok::<_, ()>(Flow::Continue)
                    },
                )
            }));
            assert!(in_consume.is_err(), "threads {threads}");
        }
    }

    #[test]
    fn a_stop_ends_consumption_at_that_replication() {
        for threads in [1, 2] {
            let p = pool(threads).unwrap();
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
    }

    #[test]
    fn an_error_stops_and_is_returned() {
        for threads in [1, 2] {
            let p = pool(threads).unwrap();
            let e = replicate(
                &p,
                1000,
                |r| r,
                |r, _| if r == 3 { Err(r) } else { Ok(Flow::Continue) },
            );
            assert_eq!(e, Err(3), "threads {threads}");
        }
    }
}
