//! A hint to the processor: load a value's memory into cache before it is
//! needed.
//!
//! At 100,000 nodes the per-node state of the engine and of the observers
//! (tens of megabytes) no longer fits in cache, and a fault arrival on a
//! random node waits for memory several times over. The trace's cursor
//! knows the next arrival's node one input ahead, about a microsecond of
//! work before it is applied, so the engine asks for that node's state then
//! ([`crate::engine`], [`crate::observe::Observer::prefetch`]).
//!
//! Invariant: a hint only. A prefetch reads nothing the program sees and
//! cannot fault, so no output depends on it.

/// Asks the processor to bring every cache line of `value` into all cache
/// levels. A no-op on targets other than x86_64.
#[inline(always)]
pub fn prefetch<T: ?Sized>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        const LINE: usize = 64;
        let start = (value as *const T).cast::<i8>();
        // The lines from the one holding the first byte to the one holding
        // the last: a value may straddle one more line than its size needs.
        let lines = (start as usize % LINE + size_of_val(value).max(1)).div_ceil(LINE);
        for i in 0..lines {
            // SAFETY: SSE is part of the x86_64 baseline, and a prefetch is
            // a hint that never faults and changes no memory, whatever the
            // address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(i * LINE)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// [`prefetch`] of `items[i]`, when there is one.
#[inline(always)]
pub fn prefetch_at<T>(items: &[T], i: usize) {
    if let Some(v) = items.get(i) {
        prefetch(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefetch_changes_nothing_and_accepts_any_index() {
        let v: Vec<[u64; 26]> = (0..4).map(|i| [i; 26]).collect();
        prefetch_at(&v, 0);
        prefetch_at(&v, 3);
        prefetch_at(&v, 4);
        prefetch_at(&[] as &[u8], 0);
        prefetch(&());
        prefetch("a node's name");
        assert_eq!(v.iter().map(|a| a[25]).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }
}
