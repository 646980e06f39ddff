//! A spike-linear layer and the feed-forward layer of leaky (or IF) neurons that reads its
//! output, in one pass: each task sums the weight rows of one block of neurons for a few batch
//! rows and integrates them at once, so the currents `x·Wᵀ + b` are never stored.

use snnc_ir::Order;

use crate::bits::words_for;
use crate::error::check_len;
use crate::family::{has_state, integrator, multi, with_family, with_kind, with_order, Fam, Lk};
use crate::iaf::{
    init_state, pack_word, step_block, step_one, Neurons, Sinks, State, StepAt, BLOCK,
};
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
    state: State<'a>,
}

/// One step of 64 neurons `p` of member `F` (single spikes), cell kind `K`, on values held in
/// registers: the input currents `cur`, the potentials `v` and synaptic currents `u` (updated;
/// `u` only for a leaky cell); returns the pre-reset potentials and the spikes as bits. The
/// same operations as [`step_block`] ([`step_one`]), so bitwise its results.
#[inline(always)]
fn step64<F: Fam, K: Lk>(
    order: Order,
    p: &Neurons<'_>,
    cur: &[f32; 64],
    v: &mut [f32; 64],
    u: &mut [f32; 64],
) -> ([f32; 64], u64) {
    let p = p.first(64);
    let mut pre = [0f32; 64];
    let mut word = 0u64;
    with_order!(order, |O| for j in 0..64 {
        let (pj, zj, vj, uj) = step_one::<F, K>(O, &p, j, cur[j], v[j], u[j]);
        v[j] = vj;
        if has_state::<K>() {
            u[j] = uj;
        }
        pre[j] = pj;
        word |= ((zj != 0.0) as u64) << j;
    });
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
    fn fused_task<F: Fam, K: Lk>(
        l: &Layer<'_>,
        _f: F,
        _k: K,
        sinks: &Sinks<'_>,
        k: usize,
        b0: usize,
        b1: usize,
    ) {
        let (dims, width) = (l.dims, l.w.width());
        let n0 = k * width;
        let len = width.min(dims.n - n0);
        let block = l.w.block(k);
        let p = l.cell.block(n0, len);
        let bias = l.bias.map(|bias| &bias[n0..n0 + len]);
        // The potentials and (read and written by a leaky cell only) the synaptic currents.
        let (mut v, mut u) = (vec![0f32; (b1 - b0) * len], vec![0f32; (b1 - b0) * len]);
        for (b, (vb, ub)) in (b0..b1).zip(v.chunks_exact_mut(len).zip(u.chunks_exact_mut(len))) {
            init_state(p, dims, l.state, b, n0, vb, ub);
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
        // registers, the spikes as bits; other widths, spike counts and a leaky integrator's
        // potentials go through arrays.
        let spikes = !multi::<F>() && !integrator::<F>();
        if len == 64 && width == 64 && spikes {
            let bias = bias.and_then(|b| <&[f32; 64]>::try_from(b).ok());
            for t in 0..dims.t {
                let state = v.chunks_exact_mut(64).zip(u.chunks_exact_mut(64));
                for (b, (vb, ub)) in (b0..b1).zip(state) {
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
                    let (Ok(vb), Ok(ub)) =
                        (<&mut [f32; 64]>::try_from(vb), <&mut [f32; 64]>::try_from(ub))
                    else {
                        return;
                    };
                    let (pre, word) = step64::<F, K>(l.cell.order, &p, &cur, vb, ub);
                    // SAFETY: see `at`.
                    unsafe { sinks.write_step::<F, _>(at(t, b), &pre, || unpack64(word), || word) };
                }
            }
        } else {
            let (mut cur, mut pre, mut z) =
                ([0f32; MAX_WIDTH], [0f32; MAX_WIDTH], [0f32; MAX_WIDTH]);
            for t in 0..dims.t {
                let state = v.chunks_exact_mut(len).zip(u.chunks_exact_mut(len));
                for (b, (vb, ub)) in (b0..b1).zip(state) {
                    let row = t * dims.b + b;
                    let Ok(active) = l.lists.of(row) else { return };
                    let active = active.iter().map(|&i| i as usize);
                    sum_rows_bias_into(block, width, active, bias, &mut cur[..len]);
                    step_block::<F, K>(l.cell.order, p, &cur[..len], vb, ub, &mut pre, &mut z);
                    let (pre, z) = (&pre[..len], &z[..len]);
                    // SAFETY: see `at`.
                    unsafe { sinks.write_step::<F, _>(at(t, b), pre, || z, || pack_word(z)) };
                }
            }
        }
        // SAFETY (both): see `at`; V_T before the reset was written at the last step.
        if let (Some(o), false) = (&sinks.v_last, sinks.before && dims.t > 0) {
            for (b, vb) in (b0..b1).zip(v.chunks_exact(len)) {
                unsafe { o.range(b * dims.n + n0, len) }.copy_from_slice(vb);
            }
        }
        if let (Some(o), true) = (&sinks.u_last, has_state::<K>()) {
            for (b, ub) in (b0..b1).zip(u.chunks_exact(len)) {
                unsafe { o.range(b * dims.n + n0, len) }.copy_from_slice(ub);
            }
        }
    }
}

/// The feed-forward IAF layer `cell` driven by the currents `I = x·Wᵀ + bias` of an
/// event-driven spike-linear layer, without storing `I`.
///
/// * `x`: the spikes, `T·B` rows (row `t·B + b`) × I inputs, every entry 0 or 1;
/// * `w`: `W` `[N, I]` packed; `bias`: `[N]` or none;
/// * `v0`: the initial potential `[B, N]` (default: v_reset); `u0`: the initial synaptic
///   current `[B, N]` of a cell with a current (default: 0); `out`: what to write, as for
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
    u0: Option<&[f32]>,
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
    let state = State { v0, u0 };
    cell.check_state(dims, state)?;
    let sinks = Sinks::new(out, dims, cell)?;
    let lists = LazyRowLists::new(x, rows, inputs)?;
    let layer = Layer { w, lists: &lists, bias, cell, dims, state };
    let blocks = w.blocks();
    let chunk = chunk_len(dims.b, blocks);
    let chunks = dims.b.div_ceil(chunk);
    threads.install(|| -> Result<bool, KernelError> {
        // Consecutive tasks share a weight block, so each thread keeps one block in L2.
        for_each_task(blocks * chunks, |task| {
            let (k, c) = (task / chunks, task % chunks);
            let (b0, b1) = (c * chunk, ((c + 1) * chunk).min(dims.b));
            with_family!(cell.member, |F| with_kind!(cell.kind, |K| fused_task(
                &layer,
                F::IT,
                K::IT,
                &sinks,
                k,
                b0,
                b1
            )));
        });
        let nnz = lists.finish()?;
        Ok(!prefers_dense(nnz, rows, inputs))
    })?
}
