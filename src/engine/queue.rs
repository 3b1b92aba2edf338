//! The future event list: a binary heap ordered by `(time, rank, seq)`.
//!
//! `rank` is POLICY.md's tie order for events at the same instant; `seq` is
//! the insertion counter, so equal `(time, rank)` keep insertion order
//! (FIFO). The three are packed into one `u128` key, so a comparison is a
//! single integer compare: time in the top 64 bits, rank in the next 8, the
//! counter in the low 56.
//!
//! There is no cancellation by search: an event that may go stale carries
//! what it needs to tell (its node expects it at that instant), and the
//! engine drops it when it pops. That keeps every operation O(log n).

use crate::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

const SEQ_BITS: u32 = 56;

struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.key.cmp(&self.key)
    }
}

fn unpack(key: u128) -> (SimTime, u8) {
    (SimTime((key >> 64) as u64), (key >> SEQ_BITS) as u8)
}

/// A priority queue of events `E`, earliest first, FIFO among equals.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `event` at `time` with tie rank `rank`. O(log n).
    pub fn push(&mut self, time: SimTime, rank: u8, event: E) {
        self.seq += 1;
        let key = (time.0 as u128) << 64 | (rank as u128) << SEQ_BITS | self.seq as u128;
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event. O(log n).
    pub fn pop(&mut self) -> Option<(SimTime, u8, E)> {
        self.heap.pop().map(|e| {
            let (t, r) = unpack(e.key);
            (t, r, e.event)
        })
    }

    /// The earliest event's time and rank, without removing it. O(1).
    pub fn peek(&self) -> Option<(SimTime, u8)> {
        self.heap.peek().map(|e| unpack(e.key))
    }

    /// Number of scheduled events, stale ones included. O(1).
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_time_then_rank_then_insertion() {
        let mut q = EventQueue::default();
        q.push(SimTime(10), 3, "check-a");
        q.push(SimTime(10), 0, "onset");
        q.push(SimTime(5), 3, "early");
        q.push(SimTime(10), 3, "check-b");
        q.push(SimTime(10), 2, "condition");
        assert_eq!(q.peek(), Some((SimTime(5), 3)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|e| e.2)).collect();
        assert_eq!(order, ["early", "onset", "condition", "check-a", "check-b"]);
    }

    #[test]
    fn interleaved_pushes_and_pops_come_out_in_key_order() {
        // A reference: every pending (time, rank, insertion) triple, sorted.
        let mut q = EventQueue::default();
        let mut pending: Vec<(u64, u8, u32)> = Vec::new();
        let mut x: u64 = 12345;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut now = 0;
        for id in 0..3_000u32 {
            if next() % 3 != 0 || pending.is_empty() {
                let (t, r) = (now + next() % 50, (next() % 4) as u8);
                q.push(SimTime(t), r, id);
                pending.push((t, r, id));
            } else {
                pending.sort_unstable();
                let want = pending.remove(0);
                let got = q.pop().unwrap();
                assert_eq!((got.0.0, got.1, got.2), want);
                now = want.0;
            }
            assert_eq!(q.len(), pending.len());
        }
        pending.sort_unstable();
        for want in pending {
            let got = q.pop().unwrap();
            assert_eq!((got.0.0, got.1, got.2), want);
        }
        assert!(q.is_empty());
    }
}
