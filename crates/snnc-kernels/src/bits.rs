//! Bit-packed spikes.

use rayon::prelude::*;

use crate::error::{check_len, product};
use crate::KernelError;

/// Words needed for one row of `cols` bits.
pub(crate) fn words_for(cols: usize) -> usize {
    cols.div_ceil(64)
}

/// Packs one row of 0/1 floats into `out` (`⌈row.len()/64⌉` words, overwritten). Returns the
/// first column that is neither 0 nor 1 (−0.0 counts as 0; NaN is neither), if any.
pub(crate) fn pack_row(row: &[f32], out: &mut [u64]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::level() == 2 {
        // SAFETY: level 2 means the CPU has AVX-512F.
        return unsafe { pack_row_avx512(row, out) };
    }
    pack_row_scalar(row, out)
}

fn pack_row_scalar(row: &[f32], out: &mut [u64]) -> Option<usize> {
    out.fill(0);
    for (c, &v) in row.iter().enumerate() {
        if v == 1.0 {
            out[c / 64] |= 1u64 << (c % 64);
        } else if v != 0.0 {
            return Some(c);
        }
    }
    None
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pack_row_avx512(row: &[f32], out: &mut [u64]) -> Option<usize> {
    use std::arch::x86_64::*;
    let (one, zero) = (_mm512_set1_ps(1.0), _mm512_setzero_ps());
    let full = row.len() / 16;
    let mut word = 0u64;
    for k in 0..full {
        // SAFETY: k·16 + 16 ≤ row.len().
        let v = unsafe { _mm512_loadu_ps(row.as_ptr().add(k * 16)) };
        let ones = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, one);
        let zeros = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, zero);
        if ones | zeros != 0xffff {
            return Some(k * 16 + (!(ones | zeros)).trailing_zeros() as usize);
        }
        word |= (ones as u64) << (16 * (k % 4));
        if k % 4 == 3 {
            out[k / 4] = word;
            word = 0;
        }
    }
    if !full.is_multiple_of(4) || full * 16 < row.len() {
        let rest = &row[full * 16..];
        for (j, &v) in rest.iter().enumerate() {
            if v == 1.0 {
                word |= 1u64 << (16 * (full % 4) + j);
            } else if v != 0.0 {
                return Some(full * 16 + j);
            }
        }
        out[full / 4] = word;
    }
    None
}

/// Rows per task of [`pack_rows`].
const PACK_ROWS: usize = 64;

/// Packs the `rows × cols` binary f32 matrix `x` (length already checked) in parallel;
/// errors at the first non-binary entry in row-major order, naming the operand `what`.
pub(crate) fn pack_rows(
    x: &[f32],
    rows: usize,
    cols: usize,
    what: &'static str,
) -> Result<SpikeBits, KernelError> {
    let mut bits = SpikeBits::zeros(rows, cols)?;
    let w = words_for(cols);
    if w == 0 {
        return Ok(bits);
    }
    let bad: Option<usize> = bits
        .words
        .par_chunks_mut(PACK_ROWS * w)
        .enumerate()
        .filter_map(|(c, words)| {
            words.chunks_exact_mut(w).enumerate().find_map(|(j, out)| {
                let r = c * PACK_ROWS + j;
                pack_row(&x[r * cols..(r + 1) * cols], out).map(|col| r * cols + col)
            })
        })
        .min();
    match bad {
        Some(index) => Err(KernelError::NotBinary { what, index, value: x[index] }),
        None => Ok(bits),
    }
}

/// A `rows × cols` matrix of spikes, one bit each.
///
/// Row `r` occupies words `r·W .. (r+1)·W` with `W = ⌈cols / 64⌉`; bit `c % 64` of word
/// `r·W + c / 64` is spike `(r, c)`. Bits past `cols` in a row's last word are always 0. A
/// spike sequence `[T, B, N]` is stored with `rows = T·B` and row index `t·B + b`, so the rows
/// of one time step are contiguous and a range of steps is a range of rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpikeBits {
    rows: usize,
    cols: usize,
    words: Vec<u64>,
}

/// A borrowed range of rows of a [`SpikeBits`] (same layout).
#[derive(Debug, Clone, Copy)]
pub struct SpikeBitsView<'a> {
    rows: usize,
    cols: usize,
    words: &'a [u64],
}

impl SpikeBits {
    /// All-zero spikes of `rows × cols`.
    pub fn zeros(rows: usize, cols: usize) -> Result<Self, KernelError> {
        let len = product("spike bits", &[rows, words_for(cols)])?;
        Ok(SpikeBits { rows, cols, words: vec![0; len] })
    }

    /// Packs `x` (`rows × cols`, row-major, every element 0.0 or 1.0), rows in parallel in the
    /// current rayon pool.
    ///
    /// Errors when the length is wrong or an element is not 0 or 1 (−0.0 counts as 0); a
    /// non-binary error names the first such element in row-major order.
    pub fn from_f32(x: &[f32], rows: usize, cols: usize) -> Result<Self, KernelError> {
        check_len("spikes [rows, cols]", x.len(), product("spikes", &[rows, cols])?)?;
        pack_rows(x, rows, cols, "spikes")
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (bits per row).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Words per row.
    pub fn words_per_row(&self) -> usize {
        words_for(self.cols)
    }

    /// All words, row after row.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub(crate) fn words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// Spike `(r, c)`; false when out of range.
    pub fn get(&self, r: usize, c: usize) -> bool {
        self.view().get(r, c)
    }

    /// The whole matrix as a view.
    pub fn view(&self) -> SpikeBitsView<'_> {
        SpikeBitsView { rows: self.rows, cols: self.cols, words: &self.words }
    }

    /// Number of spikes.
    pub fn count_ones(&self) -> usize {
        self.view().count_ones()
    }

    /// Unpacks into `out` (`rows × cols` f32 0/1).
    pub fn to_f32(&self, out: &mut [f32]) -> Result<(), KernelError> {
        self.view().to_f32(out)
    }
}

impl<'a> SpikeBitsView<'a> {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The words of row `r` (`⌈cols/64⌉` of them). Panics when `r ≥ rows`.
    pub fn row(&self, r: usize) -> &'a [u64] {
        let w = words_for(self.cols);
        &self.words[r * w..(r + 1) * w]
    }

    /// Rows `start..end` (errors when out of range).
    pub fn slice_rows(&self, start: usize, end: usize) -> Result<SpikeBitsView<'a>, KernelError> {
        if start > end || end > self.rows {
            return Err(KernelError::Layout {
                what: "spike bits",
                msg: format!("rows {start}..{end} out of 0..{}", self.rows),
            });
        }
        let w = words_for(self.cols);
        Ok(SpikeBitsView {
            rows: end - start,
            cols: self.cols,
            words: &self.words[start * w..end * w],
        })
    }

    /// Spike `(r, c)`; false when out of range.
    pub fn get(&self, r: usize, c: usize) -> bool {
        r < self.rows && c < self.cols && (self.row(r)[c / 64] >> (c % 64)) & 1 == 1
    }

    /// Number of spikes.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Unpacks into `out` (`rows × cols` f32 0/1).
    pub fn to_f32(&self, out: &mut [f32]) -> Result<(), KernelError> {
        check_len("unpacked spikes", out.len(), product("spikes", &[self.rows, self.cols])?)?;
        if self.cols == 0 {
            return Ok(());
        }
        for (r, o) in out.chunks_exact_mut(self.cols).enumerate() {
            let row = self.row(r);
            for (c, v) in o.iter_mut().enumerate() {
                *v = ((row[c / 64] >> (c % 64)) & 1) as f32;
            }
        }
        Ok(())
    }
}
