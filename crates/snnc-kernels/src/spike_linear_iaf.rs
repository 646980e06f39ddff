//! A spike-linear layer and the feed-forward IAF layer that reads its output, in one pass:
//! each task sums the weight rows of one block of neurons for a few batch rows and integrates
//! them at once, so the currents `x·Wᵀ + b` are never stored.

use snnc_ir::Order;

use crate::bits::words_for;
use crate::error::check_len;
use crate::family::{fire, multi, with_family, Fam};
use crate::iaf::{pack_word, step_block, Sinks, StepAt, BLOCK};
use crate::simd::multiversion;
use crate::sparse::LazyRowLists;
use crate::spike_linear::{chunk_len, prefers_dense, sum_rows, sum_rows_bias_into, SpikeInput};
use crate::threads::for_each_task;
use crate::{IafCell, IafOutputs, KernelError, SeqDims, SpikeWeights, Threads};

/// The widest block of a [`SpikeWeights`] packing.
const MAX_WIDTH: usize = 64;

/// The fixed inputs of every task.
struct Layer<'a> {
    w: &'a SpikeWeights,
    lists: &'a LazyRowLists<'a>,
    bias: Option<&'a [f32]>,
    cell: &'a IafCell,
    dims: SeqDims,
    v0: Option<&'a [f32]>,
}

/// One step of 64 neurons of member `F` (single spikes) on values held in registers: the
/// currents `cur`, the potentials `v` (updated); returns the pre-reset potentials and the
/// spikes as bits. The same operations as [`step_block`] in the same order, so bitwise its
/// results.
#[inline(always)]
fn step64<F: Fam>(
    order: Order,
    th: &[f32; 64],
    r: &[f32; 64],
    cur: &[f32; 64],
    v: &mut [f32; 64],
) -> ([f32; 64], u64) {
    let mut pre = [0f32; 64];
    let mut word = 0u64;
    for j in 0..64 {
        let u = match order {
            Order::FireThenIntegrate => v[j],
            Order::IntegrateThenFire => v[j] + cur[j],
        };
        let (_, zj, reset) = fire::<F>(u, th[j], r[j]);
        let fired = zj != 0.0;
        v[j] = match order {
            Order::FireThenIntegrate => reset + cur[j],
            Order::IntegrateThenFire => reset,
        };
        pre[j] = u;
        word |= (fired as u64) << j;
    }
    (pre, word)
}

/// The spikes of `word` as 0/1.
#[inline(always)]
fn unpack64(word: u64) -> [f32; 64] {
    std::array::from_fn(|j| ((word >> j) & 1) as f32)
}

multiversion! {
    /// The whole time loop of batch rows `b0..b1`, output block `k`. The batch rows are the
    /// inner loop, so the rows' index lists are read in order.
    fn fused_task<F: Fam>(l: &Layer<'_>, _f: F, sinks: &Sinks<'_>, k: usize, b0: usize, b1: usize) {
        let (dims, width) = (l.dims, l.w.width());
        let n0 = k * width;
        let len = width.min(dims.n - n0);
        let block = l.w.block(k);
        let (th, r) = (&l.cell.th[n0..n0 + len], &l.cell.reset[n0..n0 + len]);
        let bias = l.bias.map(|bias| &bias[n0..n0 + len]);
        let mut v = vec![0f32; (b1 - b0) * len];
        for (b, vb) in (b0..b1).zip(v.chunks_exact_mut(len)) {
            let s = b * dims.n + n0;
            match l.v0 {
                Some(v0) => vb.copy_from_slice(&v0[s..s + len]),
                None => vb.copy_from_slice(r),
            }
        }
        let words = words_for(dims.n);
        // Step t of batch row b. This task alone writes batch rows b0..b1, neurons
        // n0..n0+len of every step; n0 is a multiple of 64 or the only block, so the words of
        // bits are whole too.
        let at = |t: usize, b: usize| {
            let row = t * dims.b + b;
            StepAt {
                off: row * dims.n + n0,
                word: row * words + n0 / BLOCK,
                last: (t + 1 == dims.t).then_some(b * dims.n + n0),
            }
        };
        // A whole block of 64 keeps the currents, potentials and spikes of a step in
        // registers, the spikes as bits; other widths, and spike counts, go through arrays.
        let full = (<&[f32; 64]>::try_from(th), <&[f32; 64]>::try_from(r));
        if let (Ok(th), Ok(r), true) = (full.0, full.1, width == 64 && !multi::<F>()) {
            let bias = bias.and_then(|b| <&[f32; 64]>::try_from(b).ok());
            for t in 0..dims.t {
                for (b, vb) in (b0..b1).zip(v.chunks_exact_mut(64)) {
                    let row = t * dims.b + b;
                    // A non-binary input ends the task; the caller sees the error and throws
                    // the outputs away.
                    let Ok(active) = l.lists.of(row) else { return };
                    let mut cur = sum_rows::<64>(block, active.iter().map(|&i| i as usize));
                    if let Some(bias) = bias {
                        for j in 0..64 {
                            cur[j] += bias[j];
                        }
                    }
                    let Ok(vb) = <&mut [f32; 64]>::try_from(vb) else { return };
                    let (pre, word) = step64::<F>(l.cell.order, th, r, &cur, vb);
                    // SAFETY: see `at`.
                    unsafe { sinks.write_step(at(t, b), &pre, || unpack64(word), || word) };
                }
            }
        } else {
            let (mut cur, mut pre, mut z) =
                ([0f32; MAX_WIDTH], [0f32; MAX_WIDTH], [0f32; MAX_WIDTH]);
            for t in 0..dims.t {
                for (b, vb) in (b0..b1).zip(v.chunks_exact_mut(len)) {
                    let row = t * dims.b + b;
                    let Ok(active) = l.lists.of(row) else { return };
                    let active = active.iter().map(|&i| i as usize);
                    sum_rows_bias_into(block, width, active, bias, &mut cur[..len]);
                    step_block::<F>(l.cell.order, th, r, &cur[..len], vb, &mut pre, &mut z);
                    let (pre, z) = (&pre[..len], &z[..len]);
                    // SAFETY: see `at`.
                    unsafe { sinks.write_step(at(t, b), pre, || z, || pack_word(z)) };
                }
            }
        }
        if let Some(o) = &sinks.v_last {
            for (b, vb) in (b0..b1).zip(v.chunks_exact(len)) {
                unsafe { o.range(b * dims.n + n0, len) }.copy_from_slice(vb);
            }
        }
    }
}

/// The feed-forward IAF layer `cell` driven by the currents `I = x·Wᵀ + bias` of an
/// event-driven spike-linear layer, without storing `I`.
///
/// * `x`: the spikes, `T·B` rows (row `t·B + b`) × I inputs, every entry 0 or 1;
/// * `w`: `W` `[N, I]` packed; `bias`: `[N]` or none;
/// * `v0`: the initial potential `[B, N]` (default: v_reset); `out`: what to write, as for
///   [`IafCell::forward`].
///
/// The index lists of the active inputs are built while the first tasks sum, so that reading
/// `x` overlaps with computing. Every current is the event path of
/// [`spike_linear`](crate::spike_linear) bit for bit, and every potential and spike is then
/// [`IafCell::forward`]'s, so the results are bitwise those of the two kernels run one after
/// the other with [`SpikePath::Auto`](crate::SpikePath) when that takes the event path.
///
/// Returns `Ok(true)` when it did so, and `Ok(false)` when the spikes are too dense
/// ([`DENSE_CROSSOVER`](crate::DENSE_CROSSOVER)), where `Auto` takes the dense GEMM: then, and
/// on a [`KernelError::NotBinary`] input, the outputs hold no meaningful values and the caller
/// runs the two kernels instead. Errors on shape mismatches.
#[allow(clippy::too_many_arguments)]
pub fn spike_linear_iaf(
    dims: SeqDims,
    x: SpikeInput<'_>,
    w: &SpikeWeights,
    bias: Option<&[f32]>,
    cell: &IafCell,
    v0: Option<&[f32]>,
    out: IafOutputs<'_>,
    threads: Threads,
) -> Result<bool, KernelError> {
    cell.check_dims(dims)?;
    let rows = dims.t.checked_mul(dims.b).ok_or(KernelError::Overflow("T·B"))?;
    let inputs = w.inputs();
    x.check(rows, inputs)?;
    w.check(inputs, dims.n)?;
    if let Some(b) = bias {
        check_len("bias [N]", b.len(), dims.n)?;
    }
    if let Some(v0) = v0 {
        check_len("v0 [B,N]", v0.len(), dims.state_len()?)?;
    }
    let sinks = Sinks::new(out, dims, cell.family)?;
    let lists = LazyRowLists::new(x, rows, inputs)?;
    let layer = Layer { w, lists: &lists, bias, cell, dims, v0 };
    let blocks = w.blocks();
    let chunk = chunk_len(dims.b, blocks);
    let chunks = dims.b.div_ceil(chunk);
    threads.install(|| -> Result<bool, KernelError> {
        // Consecutive tasks share a weight block, so each thread keeps one block in L2.
        for_each_task(blocks * chunks, |task| {
            let (k, c) = (task / chunks, task % chunks);
            with_family!(cell.family, |F| fused_task(
                &layer,
                F::IT,
                &sinks,
                k,
                c * chunk,
                ((c + 1) * chunk).min(dims.b)
            ));
        });
        let nnz = lists.finish()?;
        Ok(!prefers_dense(nnz, rows, inputs))
    })?
}
