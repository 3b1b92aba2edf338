//! A bounded external sort: records pushed in any order come back in key
//! order, while memory stays under a budget whatever their number.
//!
//! Records are `(key, payload)`: a key of three `u64`s (unique per record,
//! so the order is total) and a few bytes. They gather in an arena; when it
//! passes the budget, they are sorted and written as a run to a scratch
//! file. [`SpillSort::merge`] merges the runs and what is left in memory,
//! reading each run through a small buffer and removing it when done.
//!
//! Invariant: memory is O(budget + runs × buffer), not O(records). Run
//! files hold `key (3 × u64 LE) · len (u32 LE) · payload`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

/// A record's sort key.
pub type Key = [u64; 3];

/// The arena a sorter fills before it spills \[bytes\], by default.
pub const DEFAULT_BUDGET: usize = 8 << 20;

/// Bytes each run is read through while merging.
const RUN_BUFFER: usize = 32 << 10;

/// Records being sorted. See the module doc.
#[derive(Debug)]
pub struct SpillSort {
    /// Scratch file stem: runs are `<stem>.<n>`.
    stem: PathBuf,
    /// Key, payload offset and length in `arena`.
    entries: Vec<(Key, u32, u32)>,
    arena: Vec<u8>,
    /// Bytes of `arena` and `entries` before a spill.
    budget: usize,
    runs: Vec<PathBuf>,
}

impl SpillSort {
    /// A sorter spilling to `<stem>.<n>` once `budget` bytes gathered.
    pub fn new(stem: PathBuf, budget: usize) -> SpillSort {
        SpillSort {
            stem,
            entries: Vec::new(),
            arena: Vec::new(),
            budget: budget.max(1),
            runs: Vec::new(),
        }
    }

    /// Adds a record; spills when the budget is passed.
    pub fn push(&mut self, key: Key, payload: &[u8]) -> io::Result<()> {
        // u32 offsets: a run spills well before 4 GiB.
        let off = self.arena.len() as u32;
        self.arena.extend_from_slice(payload);
        self.entries.push((key, off, payload.len() as u32));
        let used = self.arena.len() + self.entries.len() * std::mem::size_of::<(Key, u32, u32)>();
        if used >= self.budget || self.arena.len() >= u32::MAX as usize / 2 {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.entries.sort_unstable_by_key(|e| e.0);
        let path = self.stem.with_extension(format!("{}", self.runs.len()));
        let mut w = BufWriter::with_capacity(RUN_BUFFER, fs::File::create(&path)?);
        self.runs.push(path);
        for &(key, off, len) in &self.entries {
            for k in key {
                w.write_all(&k.to_le_bytes())?;
            }
            w.write_all(&len.to_le_bytes())?;
            w.write_all(&self.arena[off as usize..(off + len) as usize])?;
        }
        w.into_inner().map_err(io::IntoInnerError::into_error)?;
        self.entries.clear();
        self.arena.clear();
        Ok(())
    }

    /// Hands every record to `each` in key order, then removes the runs.
    pub fn merge(mut self, mut each: impl FnMut(Key, &[u8]) -> io::Result<()>) -> io::Result<()> {
        self.entries.sort_unstable_by_key(|e| e.0);
        if self.runs.is_empty() {
            for &(key, off, len) in &self.entries {
                each(key, &self.arena[off as usize..(off + len) as usize])?;
            }
            return Ok(());
        }
        let mut runs = Vec::with_capacity(self.runs.len());
        for p in &self.runs {
            runs.push(Run {
                r: BufReader::with_capacity(RUN_BUFFER, fs::File::open(p)?),
                payload: Vec::new(),
            });
        }
        // Sources: the runs, then the arena (index runs.len()).
        let mut heap: BinaryHeap<Reverse<(Key, usize)>> = BinaryHeap::new();
        for (i, run) in runs.iter_mut().enumerate() {
            if let Some(k) = run.next()? {
                heap.push(Reverse((k, i)));
            }
        }
        let mem = runs.len();
        let mut at = 0;
        if let Some(e) = self.entries.first() {
            heap.push(Reverse((e.0, mem)));
        }
        while let Some(Reverse((key, src))) = heap.pop() {
            if src == mem {
                let (_, off, len) = self.entries[at];
                each(key, &self.arena[off as usize..(off + len) as usize])?;
                at += 1;
                if let Some(e) = self.entries.get(at) {
                    heap.push(Reverse((e.0, mem)));
                }
            } else {
                each(key, &runs[src].payload)?;
                if let Some(k) = runs[src].next()? {
                    heap.push(Reverse((k, src)));
                }
            }
        }
        drop(runs);
        for p in std::mem::take(&mut self.runs) {
            fs::remove_file(p)?;
        }
        Ok(())
    }
}

impl Drop for SpillSort {
    fn drop(&mut self) {
        for p in &self.runs {
            let _ = fs::remove_file(p);
        }
    }
}

/// A run being read back.
struct Run {
    r: BufReader<fs::File>,
    payload: Vec<u8>,
}

impl Run {
    /// The next record's key, its payload in `self.payload`; `None` at the end.
    fn next(&mut self) -> io::Result<Option<Key>> {
        let mut head = [0u8; 28];
        match self.r.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let word = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&head[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        let key = [word(0), word(1), word(2)];
        let mut l = [0u8; 4];
        l.copy_from_slice(&head[24..28]);
        self.payload.resize(u32::from_le_bytes(l) as usize, 0);
        self.r.read_exact(&mut self.payload)?;
        Ok(Some(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sorted(
        records: &[(Key, Vec<u8>)],
        budget: usize,
        dir: &std::path::Path,
    ) -> Vec<(Key, Vec<u8>)> {
        let mut s = SpillSort::new(dir.join("t"), budget);
        for (k, p) in records {
            s.push(*k, p).unwrap();
        }
        let mut out = Vec::new();
        s.merge(|k, p| {
            out.push((k, p.to_vec()));
            Ok(())
        })
        .unwrap();
        out
    }

    proptest! {
        #[test]
        fn merges_to_the_in_memory_sort(
            keys in proptest::collection::btree_set((0u64..50, 0u64..50, 0u64..4), 0..300),
            budget in 1usize..400,
        ) {
            let dir = std::env::temp_dir().join(format!("repairsim-spill-{}", std::process::id()));
            fs::create_dir_all(&dir).unwrap();
            // Shuffled by a fixed permutation of the sorted keys.
            let mut records: Vec<(Key, Vec<u8>)> = keys
                .iter()
                .map(|&(a, b, c)| ([a, b, c], format!("{a}-{b}-{c}").into_bytes()))
                .collect();
            let n = records.len();
            for i in 0..n {
                records.swap(i, (i * 7919 + 13) % n);
            }
            let mut want = records.clone();
            want.sort();
            prop_assert_eq!(sorted(&records, budget, &dir), want);
            // Every run was removed.
            prop_assert!(fs::read_dir(&dir).unwrap().next().is_none());
        }
    }
}
