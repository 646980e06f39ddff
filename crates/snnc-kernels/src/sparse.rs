//! Index lists of the active (= 1) entries of a binary matrix, by row (CSR) or by column (CSC),
//! built in parallel over fixed chunks so that the lists never depend on the thread count.

use rayon::prelude::*;

use crate::bits::{pack_row, push_ones, words_for};
use crate::spike_linear::SpikeInput;
use crate::KernelError;

/// Rows per task when building row lists.
const ROW_CHUNK: usize = 64;

/// Compressed lists: entry `k`'s indices are `idx[starts[k]..starts[k + 1]]`, increasing.
#[derive(Debug, Default)]
pub(crate) struct Lists {
    pub starts: Vec<usize>,
    pub idx: Vec<u32>,
}

impl Lists {
    /// The indices of entry `k`.
    #[inline(always)]
    pub(crate) fn of(&self, k: usize) -> &[u32] {
        &self.idx[self.starts[k]..self.starts[k + 1]]
    }

    /// Total number of indices.
    pub(crate) fn nnz(&self) -> usize {
        self.idx.len()
    }

    /// Concatenates per-chunk lists (each with local `starts` beginning at 0).
    fn concat(parts: Vec<Lists>) -> Lists {
        let total = parts.iter().map(|p| p.idx.len()).sum();
        let mut out = Lists { starts: vec![0], idx: Vec::with_capacity(total) };
        for p in parts {
            let base = out.idx.len();
            out.starts.extend(p.starts[1..].iter().map(|s| s + base));
            out.idx.extend_from_slice(&p.idx);
        }
        out
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
    let chunks = rows.div_ceil(ROW_CHUNK);
    let parts: Result<Vec<Lists>, KernelError> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let (r0, r1) = (c * ROW_CHUNK, ((c + 1) * ROW_CHUNK).min(rows));
            let mut l = Lists { starts: Vec::with_capacity(r1 - r0 + 1), idx: Vec::new() };
            l.starts.push(0);
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
    Ok(Lists::concat(parts?))
}

/// The active rows of each of `cols` columns (column lists, CSC), built per group of 64
/// columns: one pass counts each column's rows, a second writes them in place.
pub(crate) fn col_lists(
    x: &SpikeInput<'_>,
    rows: usize,
    cols: usize,
) -> Result<Lists, KernelError> {
    check_u32("spike input rows", rows)?;
    let groups = words_for(cols);
    let parts: Result<Vec<Lists>, KernelError> = (0..groups)
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
            let mut l = Lists { starts: Vec::with_capacity(c1 - c0 + 1), idx: Vec::new() };
            l.starts.push(0);
            for n in &mut next[..c1 - c0] {
                let start = *l.starts.last().unwrap_or(&0);
                l.starts.push(start + *n);
                *n = start;
            }
            l.idx = vec![0; *l.starts.last().unwrap_or(&0)];
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
    Ok(Lists::concat(parts?))
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
