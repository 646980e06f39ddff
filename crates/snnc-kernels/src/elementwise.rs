//! Small elementwise and layout helpers the plan needs around the fused kernels.

use rayon::prelude::*;

use crate::error::{check_len, product};
use crate::transpose8::{transpose_block, Block};
use crate::KernelError;

/// Columns per task of [`sum_rows`].
const COL_TASK: usize = 64;

/// `y[r, c] += bias[c]` for `y` `[rows, cols]` row-major, `bias` `[cols]`.
pub fn add_bias_rows(
    y: &mut [f32],
    rows: usize,
    cols: usize,
    bias: &[f32],
) -> Result<(), KernelError> {
    check_len("y [rows, cols]", y.len(), product("y", &[rows, cols])?)?;
    check_len("bias [cols]", bias.len(), cols)?;
    if cols == 0 {
        return Ok(());
    }
    y.par_chunks_mut(cols).for_each(|row| {
        for (a, &b) in row.iter_mut().zip(bias) {
            *a += b;
        }
    });
    Ok(())
}

/// `dst = srcᵀ`: `src` is `[rows, cols]` row-major, `dst` `[cols, rows]` row-major. Used to lay
/// out weights for [`spike_linear`](crate::spike_linear) (`Wᵀ`) and for the recurrent kernel.
pub fn transpose(
    src: &[f32],
    rows: usize,
    cols: usize,
    dst: &mut [f32],
) -> Result<(), KernelError> {
    let len = product("transpose", &[rows, cols])?;
    check_len("transpose src", src.len(), len)?;
    check_len("transpose dst", dst.len(), len)?;
    if rows == 0 {
        return Ok(());
    }
    const TILE: usize = 32;
    // Each task writes `TILE` rows of `dst`: the transpose of `TILE` columns of `src`.
    dst.par_chunks_mut(rows * TILE).enumerate().for_each(|(tile, out)| {
        let c0 = tile * TILE;
        let block = Block { src: &src[c0..], stride: cols, rows, cols: out.len() / rows };
        transpose_block(block, None, out, rows);
    });
    Ok(())
}

/// `out[c] = Σ_r g[r, c]` (or `+=` when `accumulate`) for `g` `[rows, cols]`: the bias gradient.
/// Rows are added in increasing order, in f32; columns are split between tasks.
pub fn sum_rows(
    g: &[f32],
    rows: usize,
    cols: usize,
    out: &mut [f32],
    accumulate: bool,
) -> Result<(), KernelError> {
    check_len("g [rows, cols]", g.len(), product("g", &[rows, cols])?)?;
    check_len("out [cols]", out.len(), cols)?;
    out.par_chunks_mut(COL_TASK).enumerate().for_each(|(t, o)| {
        let c0 = t * COL_TASK;
        let mut acc = [0f32; COL_TASK];
        for r in 0..rows {
            for (a, &v) in acc.iter_mut().zip(&g[r * cols + c0..r * cols + c0 + o.len()]) {
                *a += v;
            }
        }
        for (d, &a) in o.iter_mut().zip(&acc) {
            *d = if accumulate { *d + a } else { a };
        }
    });
    Ok(())
}

/// `Σ xs` in f64 over 8 interleaved partial sums (lane `j` takes the elements `≡ j mod 8`,
/// the tail goes to the first lanes), added pairwise in a fixed order at the end: the order
/// depends only on `xs.len()`, and the lanes vectorize where one running sum is bound by the
/// latency of each addition.
pub(crate) fn sum_f64(xs: &[f32]) -> f64 {
    let mut lanes = [0f64; 8];
    let chunks = xs.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += f64::from(v);
        }
    }
    for (l, &v) in lanes.iter_mut().zip(tail) {
        *l += f64::from(v);
    }
    let [a, b, c, d, e, f, g, h] = lanes;
    ((a + b) + (c + d)) + ((e + f) + (g + h))
}
