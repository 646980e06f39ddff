//! The weight gradient of a linear layer fed by spikes, `dW = gᵀ·x`, event-driven: each
//! weight's gradient is the sum of the output gradients of the samples where its input fired.

use std::sync::Mutex;

use rayon::prelude::*;

use crate::aligned::AlignedBuf;
use crate::col_lists::col_lists;
use crate::error::{check_len, product};
use crate::simd::multiversion;
use crate::sparse::{count_ones, Lists};
use crate::spike_linear::{
    chunk_len, prefers_dense, sum_rows_into, LinearDims, SpikeInput, SpikePath,
};
use crate::threads::{for_each_task, DisjointMut};
use crate::weights::width_for;
use crate::{sgemm, KernelError, Threads};

/// The layout of a weight gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DwLayout {
    /// `[O, I]`, PyTorch's `Linear.weight` layout (`dw[o·I + i]`).
    OutIn,
    /// `[I, O]`, the transposed layout [`spike_linear`](crate::spike_linear) reads
    /// (`dw[i·O + o]`).
    InOut,
}

/// The storage of the last [`pack_columns`], kept for the next call: 3 MB for the N-MNIST
/// layer, which a fresh allocation would fault in page by page on every training step.
static SPARE: Mutex<Option<AlignedBuf>> = Mutex::new(None);

/// `g` `[rows, O]` cut into blocks of `width` columns, each `[rows, width]` (zero-padded), so
/// that the gathers of one block stay in L2 without power-of-two strides; rows start on cache
/// lines. Give the buffer back with [`spare`] when done.
fn pack_columns(g: &[f32], rows: usize, o: usize, width: usize) -> Result<AlignedBuf, KernelError> {
    let block_len = rows * width;
    let len = product("packed g", &[o.div_ceil(width), block_len])?;
    let mut out = SPARE.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default();
    out.resize(len)?;
    if block_len > 0 {
        out.par_chunks_mut(block_len).enumerate().for_each(|(k, block)| {
            let (o0, len) = (k * width, width.min(o - k * width));
            for (r, row) in block.chunks_exact_mut(width).enumerate() {
                row[..len].copy_from_slice(&g[r * o + o0..r * o + o0 + len]);
                row[len..].fill(0.0);
            }
        });
    }
    Ok(out)
}

/// Keeps `buf` for the next [`pack_columns`].
fn spare(buf: AlignedBuf) {
    *SPARE.lock().unwrap_or_else(|e| e.into_inner()) = Some(buf);
}

multiversion! {
    /// Inputs `c0..c1` of output block `k` (`gk` is that block of the packed `g`).
    fn dw_task(
        gk: &[f32],
        width: usize,
        dims: LinearDims,
        lists: &Lists,
        dw: &DisjointMut<'_, f32>,
        layout: DwLayout,
        accumulate: bool,
        c0: usize,
        c1: usize,
        k: usize,
    ) {
        let (ni, o) = (dims.inputs, dims.outputs);
        let o0 = k * width;
        let len = width.min(o - o0);
        let mut acc = [0f32; 64];
        for c in c0..c1 {
            let rows = lists.of(c).iter().map(|&r| r as usize);
            sum_rows_into(gk, width, rows, &mut acc[..len]);
            // SAFETY (both arms): this task alone owns inputs c0..c1 × outputs o0..o0+len.
            match layout {
                DwLayout::InOut => {
                    let out = unsafe { dw.range(c * o + o0, len) };
                    for (d, &a) in out.iter_mut().zip(&acc[..len]) {
                        *d = if accumulate { *d + a } else { a };
                    }
                }
                DwLayout::OutIn => {
                    for (j, &a) in acc[..len].iter().enumerate() {
                        let d = unsafe { dw.range((o0 + j) * ni + c, 1) };
                        d[0] = if accumulate { d[0] + a } else { a };
                    }
                }
            }
        }
    }
}

/// `dW = gᵀ·x` (or `dW += gᵀ·x` when `accumulate`) for binary `x`: the weight gradient of
/// `y = x·Wᵀ + b` given `g = ∂L/∂y`.
///
/// * `g`: `[rows, O]`; `x`: `[rows, I]`, every entry 0 or 1;
/// * `dw`: `[O, I]` or `[I, O]` as `layout` says.
///
/// The event path computes each `dW[o, i]` as the sum of `g[r, o]` over the rows `r` with
/// `x[r, i] = 1`, in increasing `r`, in f32; only those rows are read (from a copy of `g` cut
/// into column blocks). The dense path is one
/// [`sgemm`]. [`SpikePath::Auto`] picks by density against
/// [`DENSE_CROSSOVER`](crate::DENSE_CROSSOVER). Returns the path
/// taken; errors on shape mismatches and non-binary f32 input.
#[allow(clippy::too_many_arguments)]
pub fn spike_linear_dw(
    dims: LinearDims,
    g: &[f32],
    x: SpikeInput<'_>,
    dw: &mut [f32],
    layout: DwLayout,
    accumulate: bool,
    path: SpikePath,
    threads: Threads,
) -> Result<SpikePath, KernelError> {
    let LinearDims { rows, inputs: ni, outputs: o } = dims;
    x.check(rows, ni)?;
    check_len("g [rows,O]", g.len(), product("g", &[rows, o])?)?;
    check_len("dw", dw.len(), product("dw", &[ni, o])?)?;
    if o == 0 || ni == 0 {
        return Ok(SpikePath::Event);
    }
    threads.install(|| {
        // The column lists count the ones too, so Auto decides from them: one pass over x.
        let lists = match path {
            SpikePath::Dense => {
                count_ones(&x)?;
                None
            }
            _ => Some(col_lists(&x, rows, ni)?),
        };
        let lists = match lists {
            Some(l) if path == SpikePath::Event || !prefers_dense(l.nnz(), rows, ni) => l,
            _ => {
                let xd = x.to_dense()?;
                match layout {
                    DwLayout::OutIn => {
                        sgemm(o, ni, rows, g, 1, o, &xd, ni, 1, dw, ni, accumulate, threads)?
                    }
                    DwLayout::InOut => {
                        sgemm(ni, o, rows, &xd, 1, ni, g, o, 1, dw, o, accumulate, threads)?
                    }
                }
                return Ok(SpikePath::Dense);
            }
        };
        let width = width_for(o);
        let gp = pack_columns(g, rows, o, width)?;
        let out = DisjointMut::new(dw);
        let blocks = o.div_ceil(width);
        let chunk = chunk_len(ni, blocks);
        let col_tasks = ni.div_ceil(chunk);
        for_each_task(col_tasks * blocks, |task| {
            let (k, ct) = (task / col_tasks, task % col_tasks);
            let (c0, c1) = (ct * chunk, ((ct + 1) * chunk).min(ni));
            let gk = &gp[k * rows * width..(k + 1) * rows * width];
            dw_task(gk, width, dims, &lists, &out, layout, accumulate, c0, c1, k);
        });
        spare(gp);
        Ok(SpikePath::Event)
    })?
}
