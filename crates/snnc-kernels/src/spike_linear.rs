//! Spike-linear: `y = x·Wᵀ + b` for binary `x`, as the sum of the weight rows of the active
//! inputs (event-driven), with a dense-GEMM fallback above [`DENSE_CROSSOVER`].

use crate::elementwise::add_bias_rows;
use crate::error::{check_len, product};
use crate::simd::multiversion;
use crate::sparse::{row_lists, Lists};
use crate::threads::{for_each_task, DisjointMut};
use crate::{sgemm, KernelError, SpikeBitsView, SpikeWeights, Threads};

/// Target number of tasks of the event-driven kernels (enough to balance a few cores; each
/// task reuses one weight block from L2 for as many samples as possible).
pub(crate) const TASKS: usize = 16;

/// Splits `n` items into chunks for `blocks` blocks so that there are about [`TASKS`] tasks:
/// returns the chunk length (at least 1). Depends only on the shape, never on threads.
pub(crate) fn chunk_len(n: usize, blocks: usize) -> usize {
    let chunks = TASKS.div_ceil(blocks.max(1));
    n.div_ceil(chunks).max(1)
}

/// Spike density (fraction of ones) above which [`SpikePath::Auto`] uses the dense GEMM.
/// Measured on the target machine (2 cores, AVX-512) with `benches/kernels.rs` at the N-MNIST
/// shape (rows 1600, I = 2312, O = 512): the event path took 2.3 / 7.2 / 10.8 / 19.1 / 28.7 /
/// 46.6 ms at 1 / 5 / 10 / 20 / 30 / 50 % against 37–40 ms for the dense path; on a busier run
/// the two met between 20 and 30 %.
pub const DENSE_CROSSOVER: f64 = 0.3;

/// Whether `nnz` ones in a `rows × cols` matrix are above [`DENSE_CROSSOVER`], where
/// [`SpikePath::Auto`] takes the dense GEMM.
pub(crate) fn prefers_dense(nnz: usize, rows: usize, cols: usize) -> bool {
    let total = (rows as f64) * (cols as f64);
    total > 0.0 && nnz as f64 / total > DENSE_CROSSOVER
}

/// A binary input matrix `[rows, cols]`.
#[derive(Debug, Clone, Copy)]
pub enum SpikeInput<'a> {
    /// Row-major f32 whose every element is 0.0 or 1.0 (checked; anything else is an error).
    F32(&'a [f32]),
    /// Packed bits (`rows` rows × `cols` columns).
    Bits(SpikeBitsView<'a>),
}

/// Which algorithm a spike-linear kernel uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpikePath {
    /// Event-driven below [`DENSE_CROSSOVER`] density, dense above.
    #[default]
    Auto,
    /// Always sum the active rows.
    Event,
    /// Always one dense GEMM.
    Dense,
}

/// Sizes of a linear layer applied to `rows` samples: `inputs` (I) → `outputs` (O).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinearDims {
    /// Number of samples (e.g. T·B).
    pub rows: usize,
    /// Input features I.
    pub inputs: usize,
    /// Output features O.
    pub outputs: usize,
}

impl<'a> SpikeInput<'a> {
    /// Checks that the input holds `rows × cols` entries.
    pub(crate) fn check(&self, rows: usize, cols: usize) -> Result<(), KernelError> {
        match self {
            SpikeInput::F32(x) => check_len("x [rows, I]", x.len(), product("x", &[rows, cols])?),
            SpikeInput::Bits(b) if b.rows() == rows && b.cols() == cols => Ok(()),
            SpikeInput::Bits(b) => Err(KernelError::Layout {
                what: "x bits",
                msg: format!("{}×{} bits, expected {rows}×{cols}", b.rows(), b.cols()),
            }),
        }
    }

    /// The input as f32 0/1 (borrowed when it already is).
    pub(crate) fn to_dense(self) -> Result<std::borrow::Cow<'a, [f32]>, KernelError> {
        match self {
            SpikeInput::F32(x) => Ok(std::borrow::Cow::Borrowed(x)),
            SpikeInput::Bits(b) => {
                let mut out = vec![0f32; product("x", &[b.rows(), b.cols()])?];
                b.to_f32(&mut out)?;
                Ok(std::borrow::Cow::Owned(out))
            }
        }
    }
}

/// `Σ_{i ∈ active} block[i·W .. (i+1)·W]`, in the order of `active`, in registers.
#[inline(always)]
pub(crate) fn sum_rows<const W: usize>(
    block: &[f32],
    active: impl Iterator<Item = usize>,
) -> [f32; W] {
    let mut acc = [0f32; W];
    for i in active {
        let row = &block[i * W..(i + 1) * W];
        for k in 0..W {
            acc[k] += row[k];
        }
    }
    acc
}

/// `out = Σ_{i ∈ active} block[i·width ..][..out.len()]` for the packed block width `width`.
#[inline(always)]
pub(crate) fn sum_rows_into(
    block: &[f32],
    width: usize,
    active: impl Iterator<Item = usize>,
    out: &mut [f32],
) {
    sum_rows_bias_into(block, width, active, None, out);
}

/// `out = (Σ_{i ∈ active} block[i·width ..][..out.len()]) + bias` (no bias when `None`),
/// adding the bias in registers so that `out` is written once.
#[inline(always)]
pub(crate) fn sum_rows_bias_into(
    block: &[f32],
    width: usize,
    active: impl Iterator<Item = usize>,
    bias: Option<&[f32]>,
    out: &mut [f32],
) {
    #[inline(always)]
    fn finish<const W: usize>(mut acc: [f32; W], bias: Option<&[f32]>, out: &mut [f32]) {
        // A whole block (the common case) is written with fixed-size stores, not a memcpy.
        if let (Ok(full), Some(Ok(b))) =
            (<&mut [f32; W]>::try_from(&mut *out), bias.map(<&[f32; W]>::try_from))
        {
            for k in 0..W {
                full[k] = acc[k] + b[k];
            }
            return;
        }
        if let (Ok(full), None) = (<&mut [f32; W]>::try_from(&mut *out), bias) {
            *full = acc;
            return;
        }
        let n = out.len();
        if let Some(b) = bias {
            for (a, &bk) in acc[..n].iter_mut().zip(b) {
                *a += bk;
            }
        }
        out.copy_from_slice(&acc[..n]);
    }
    match width {
        16 => finish(sum_rows::<16>(block, active), bias, out),
        32 => finish(sum_rows::<32>(block, active), bias, out),
        _ => finish(sum_rows::<64>(block, active), bias, out),
    }
}

multiversion! {
    /// Rows `r0..r1` of output block `k`.
    fn event_task(
        w: &SpikeWeights,
        lists: &Lists,
        bias: Option<&[f32]>,
        y: &DisjointMut<'_, f32>,
        r0: usize,
        r1: usize,
        k: usize,
    ) {
        let (o, width) = (w.outputs(), w.width());
        let o0 = k * width;
        let len = width.min(o - o0);
        let block = w.block(k);
        for r in r0..r1 {
            // SAFETY: this task alone owns rows r0..r1, columns o0..o0+len of y.
            let out = unsafe { y.range(r * o + o0, len) };
            let active = lists.of(r).iter().map(|&i| i as usize);
            sum_rows_bias_into(block, width, active, bias.map(|b| &b[o0..o0 + len]), out);
        }
    }
}

/// `y = x·Wᵀ + bias` for binary `x`.
///
/// * `x`: `[rows, I]`, every entry 0 or 1 ([`SpikeInput`]);
/// * `w`: the weights `W` `[O, I]`, packed ([`SpikeWeights`]) so that the weights out of an
///   active input are contiguous;
/// * `bias`: `[O]` or none; `y`: `[rows, O]`, overwritten.
///
/// The event path computes each `y[r, o]` as `((Σ_{i active, increasing} W[o, i]) + bias[o])`
/// in f32, one packed block of outputs at a time; the dense path is one [`sgemm`] per block
/// then the bias. With
/// [`SpikePath::Auto`] the density of `x` (counted while building the index lists) picks the
/// path. Returns the path taken ([`SpikePath::Event`] or [`SpikePath::Dense`]). Errors on
/// shape mismatches and on non-binary f32 input (checked on both paths).
pub fn spike_linear(
    dims: LinearDims,
    x: SpikeInput<'_>,
    w: &SpikeWeights,
    bias: Option<&[f32]>,
    y: &mut [f32],
    path: SpikePath,
    threads: Threads,
) -> Result<SpikePath, KernelError> {
    let LinearDims { rows, inputs: i, outputs: o } = dims;
    x.check(rows, i)?;
    w.check(i, o)?;
    check_len("y [rows,O]", y.len(), product("y", &[rows, o])?)?;
    if let Some(b) = bias {
        check_len("bias [O]", b.len(), o)?;
    }
    if rows == 0 || o == 0 {
        return Ok(SpikePath::Event);
    }
    threads.install(|| {
        let lists = match path {
            SpikePath::Dense => {
                crate::sparse::count_ones(&x)?;
                None
            }
            _ => Some(row_lists(&x, rows, i)?),
        };
        let dense = match (&lists, path) {
            (None, _) | (_, SpikePath::Dense) => true,
            (Some(l), SpikePath::Auto) => prefers_dense(l.nnz(), rows, i),
            _ => false,
        };
        match lists {
            Some(lists) if !dense => {
                let out = DisjointMut::new(y);
                let blocks = w.blocks();
                let chunk = chunk_len(rows, blocks);
                let row_tasks = rows.div_ceil(chunk);
                for_each_task(row_tasks * blocks, |task| {
                    let (k, rt) = (task / row_tasks, task % row_tasks);
                    let (r0, r1) = (rt * chunk, ((rt + 1) * chunk).min(rows));
                    event_task(w, &lists, bias, &out, r0, r1, k);
                });
                Ok(SpikePath::Event)
            }
            _ => {
                let xd = x.to_dense()?;
                let width = w.width();
                for k in 0..w.blocks() {
                    let (o0, b) = (k * width, w.block(k));
                    let n = width.min(o - o0);
                    sgemm(rows, n, i, &xd, i, 1, b, width, 1, &mut y[o0..], o, false, threads)?;
                }
                if let Some(b) = bias {
                    add_bias_rows(y, rows, o, b)?;
                }
                Ok(SpikePath::Dense)
            }
        }
    })?
}
