//! Index lists of the active (= 1) entries of a binary matrix, by row (CSR) or by column (CSC),
//! built in parallel over fixed chunks so that the lists never depend on the thread count.

use std::sync::Mutex;

use rayon::prelude::*;

use crate::bits::{pack_row, push_ones, words_for};
use crate::spike_linear::SpikeInput;
use crate::KernelError;

/// Entries per part of a [`Lists`] (rows per task of [`row_lists`], columns per word group of
/// [`col_lists`]).
const PART: usize = 64;

/// The lists of [`PART`] consecutive entries: entry `k`'s indices are
/// `idx[starts[k]..starts[k + 1]]`, increasing.
#[derive(Debug, Default)]
struct Part {
    starts: Vec<usize>,
    idx: Vec<u32>,
}

/// Parts whose storage a dropped [`Lists`] gave back, so that the next kernel call reuses
/// warm, already-mapped memory instead of allocating (and page-faulting) afresh.
static SPARE: Mutex<Vec<Part>> = Mutex::new(Vec::new());

/// At most this many spare parts are kept (each holds one part's lists, a few KiB to a few
/// hundred KiB).
const MAX_SPARE: usize = 4096;

/// An empty part, reusing spare storage when there is some.
fn fresh_part() -> Part {
    let spare = SPARE.lock().unwrap_or_else(|e| e.into_inner()).pop();
    let mut p = spare.unwrap_or_default();
    p.starts.clear();
    p.idx.clear();
    p.starts.push(0);
    p
}

/// Compressed index lists of entries `0..len()` (the rows or the columns of a binary matrix),
/// stored in parts of [`PART`] entries that are built in parallel.
#[derive(Debug, Default)]
pub(crate) struct Lists {
    parts: Vec<Part>,
}

impl Drop for Lists {
    fn drop(&mut self) {
        let mut spare = SPARE.lock().unwrap_or_else(|e| e.into_inner());
        let room = MAX_SPARE.saturating_sub(spare.len());
        spare.extend(self.parts.drain(..).take(room));
    }
}

impl Lists {
    /// The indices of entry `k`.
    #[inline(always)]
    pub(crate) fn of(&self, k: usize) -> &[u32] {
        let p = &self.parts[k / PART];
        let j = k % PART;
        &p.idx[p.starts[j]..p.starts[j + 1]]
    }

    /// Total number of indices.
    pub(crate) fn nnz(&self) -> usize {
        self.parts.iter().map(|p| p.idx.len()).sum()
    }
}

/// Checks that indices below `n` fit in u32.
fn check_u32(what: &'static str, n: usize) -> Result<(), KernelError> {
    if u32::try_from(n).is_err() {
        return Err(KernelError::Overflow(what));
    }
    Ok(())
}

/// The active columns of each of `rows` rows of `cols` (row lists, CSR).
///
/// Errors when an f32 element is neither 0 nor 1.
pub(crate) fn row_lists(
    x: &SpikeInput<'_>,
    rows: usize,
    cols: usize,
) -> Result<Lists, KernelError> {
    check_u32("spike input columns", cols)?;
    let chunks = rows.div_ceil(PART);
    let parts: Result<Vec<Part>, KernelError> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let (r0, r1) = (c * PART, ((c + 1) * PART).min(rows));
            let mut l = fresh_part();
            for r in r0..r1 {
                match x {
                    SpikeInput::F32(x) => {
                        let row = &x[r * cols..(r + 1) * cols];
                        if let Some(j) = push_ones(row, &mut l.idx) {
                            let (index, value) = (r * cols + j, row[j]);
                            return Err(KernelError::NotBinary { what: "x", index, value });
                        }
                    }
                    SpikeInput::Bits(b) => b.for_each_one(r, |i| l.idx.push(i as u32)),
                }
                l.starts.push(l.idx.len());
            }
            Ok(l)
        })
        .collect();
    Ok(Lists { parts: parts? })
}

/// The active rows of each of `cols` columns (column lists, CSC), built per group of 64
/// columns (one part each): one pass counts each column's rows, a second writes them in place.
pub(crate) fn col_lists(
    x: &SpikeInput<'_>,
    rows: usize,
    cols: usize,
) -> Result<Lists, KernelError> {
    check_u32("spike input rows", rows)?;
    let groups = words_for(cols);
    debug_assert_eq!(PART, 64, "a part of column lists is one word of columns");
    let parts: Result<Vec<Part>, KernelError> = (0..groups)
        .into_par_iter()
        .map(|g| {
            let (c0, c1) = (g * 64, ((g + 1) * 64).min(cols));
            let mut masks = Vec::with_capacity(rows);
            for r in 0..rows {
                let w = match x {
                    SpikeInput::F32(x) => {
                        let part = &x[r * cols + c0..r * cols + c1];
                        let mut word = [0u64];
                        if let Some(j) = pack_row(part, &mut word) {
                            let (index, value) = (r * cols + c0 + j, part[j]);
                            return Err(KernelError::NotBinary { what: "x", index, value });
                        }
                        word[0]
                    }
                    SpikeInput::Bits(b) => b.row(r)[g],
                };
                masks.push(w);
            }
            let mut next = [0usize; 64];
            for &m in &masks {
                let mut w = m;
                while w != 0 {
                    next[w.trailing_zeros() as usize] += 1;
                    w &= w - 1;
                }
            }
            let mut l = fresh_part();
            for n in &mut next[..c1 - c0] {
                let start = *l.starts.last().unwrap_or(&0);
                l.starts.push(start + *n);
                *n = start;
            }
            l.idx.resize(*l.starts.last().unwrap_or(&0), 0);
            for (r, &m) in masks.iter().enumerate() {
                let mut w = m;
                while w != 0 {
                    let c = w.trailing_zeros() as usize;
                    l.idx[next[c]] = r as u32;
                    next[c] += 1;
                    w &= w - 1;
                }
            }
            Ok(l)
        })
        .collect();
    Ok(Lists { parts: parts? })
}

/// Number of active entries (errors on non-binary f32 values).
pub(crate) fn count_ones(x: &SpikeInput<'_>) -> Result<usize, KernelError> {
    match x {
        SpikeInput::Bits(b) => Ok(b.count_ones()),
        SpikeInput::F32(x) => {
            const CHUNK: usize = 1 << 16;
            let counts: Result<Vec<usize>, KernelError> = x
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(c, part)| {
                    let mut n = 0;
                    let mut words = [0u64; 16];
                    for (k, piece) in part.chunks(1024).enumerate() {
                        let used = &mut words[..piece.len().div_ceil(64)];
                        if let Some(i) = pack_row(piece, used) {
                            let (index, value) = (c * CHUNK + k * 1024 + i, piece[i]);
                            return Err(KernelError::NotBinary { what: "x", index, value });
                        }
                        n += used.iter().map(|w| w.count_ones() as usize).sum::<usize>();
                    }
                    Ok(n)
                })
                .collect();
            Ok(counts?.iter().sum())
        }
    }
}
