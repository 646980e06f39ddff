//! The recurrent sequence kernel of the leaky cell (SPEC §1.2; the integrate-and-fire cell is
//! its special case), forward; reverse time is in `recurrent_backward.rs`.
//!
//! The input current is `I_t = cur_t + z_{t−1}·Rᵀ` (for a cell with a synaptic current, it
//! enters `u_t = α·u_{t−1} + I_t`), where `cur = X·Wᵀ` `[T, B, H]` was computed
//! beforehand by one GEMM over all `T·B` rows. Inside the time loop the recurrent product is
//! event-driven: for each batch row, the packed rows of R of the neurons that spiked at `t − 1`
//! are added. Each step needs all of the previous step's spikes, so steps run one after the
//! other; within a step, tasks own one packed block of neurons for every batch row (the block
//! of R stays in cache across the batch).

use crate::bits::words_for;
use crate::error::check_len;
use crate::family::{integrator, with_family, with_kind, Fam, Lk};
use crate::iaf::{pack_word, step_block, IafOutputs, SeqDims, Sinks, State, StepAt};
use crate::simd::multiversion;
use crate::spike_linear::sum_rows_into;
use crate::threads::{for_each_task, DisjointMut};
use crate::{IafCell, KernelError, SpikeWeights, Threads};

/// Inputs of the recurrent forward kernel (`H` = `dims.n` neurons).
#[derive(Debug, Clone, Copy)]
pub struct RecurrentInputs<'a> {
    /// The feed-forward current `X·Wᵀ`, `[T, B, H]`.
    pub cur: &'a [f32],
    /// The recurrent weights R `[H, H]` (row h = the weights into neuron h), packed with
    /// [`SpikeWeights::from_out_in`]`(R, H, H)`.
    pub r: &'a SpikeWeights,
    /// Initial potential `[B, H]`; default v_reset.
    pub v0: Option<&'a [f32]>,
    /// Initial spikes `[B, H]` (any real values); default 0.
    pub z0: Option<&'a [f32]>,
    /// Initial synaptic current `[B, H]` (a cell with a current only); default 0.
    pub u0: Option<&'a [f32]>,
}

/// The state shared by the tasks of one step.
struct Step<'a, 'b> {
    cell: &'b IafCell,
    dims: SeqDims,
    inp: &'b RecurrentInputs<'a>,
    sinks: &'b Sinks<'a>,
    v: DisjointMut<'b, f32>,
    u: DisjointMut<'b, f32>,
    prev: &'b [u64],
    next: DisjointMut<'b, u64>,
}

multiversion! {
    /// Step `t` of neuron block `k` for every batch row.
    fn step_task<F: Fam, K: Lk>(s: &Step<'_, '_>, _f: F, _k: K, t: usize, k: usize) {
        let (dims, h, cell) = (s.dims, s.dims.n, s.cell);
        let (width, block) = (s.inp.r.width(), s.inp.r.block(k));
        let o0 = k * width;
        let len = width.min(h - o0);
        let words = words_for(h);
        let p = cell.block(o0, len);
        let (mut cur, mut pre, mut z) = ([0f32; 64], [0f32; 64], [0f32; 64]);
        for b in 0..dims.b {
            let rec = &mut cur[..len];
            match (t, s.inp.z0) {
                (0, None) => rec.fill(0.0),
                (0, Some(z0)) => {
                    rec.fill(0.0);
                    for (j, &zj) in z0[b * h..(b + 1) * h].iter().enumerate() {
                        if zj != 0.0 {
                            for (a, &w) in rec.iter_mut().zip(&block[j * width..]) {
                                *a += zj * w;
                            }
                        }
                    }
                }
                _ => {
                    let row = &s.prev[b * words..(b + 1) * words];
                    let active = row.iter().enumerate().flat_map(|(wi, &w)| BitIter(w, wi * 64));
                    sum_rows_into(block, width, active, rec);
                }
            }
            let off = (t * dims.b + b) * h + o0;
            for (a, &c) in rec.iter_mut().zip(&s.inp.cur[off..off + len]) {
                *a += c;
            }
            // SAFETY (all writes below): in this step, this task alone owns neurons
            // o0..o0+len (within one word of bits) of every batch row.
            let (v, u) = unsafe { (s.v.range(b * h + o0, len), s.u.range(b * h + o0, len)) };
            step_block::<F, K>(cell.order, p, rec, v, u, &mut pre, &mut z);
            // A leaky integrator never spikes: its z (the potentials) feeds nothing back.
            let word = if integrator::<F>() { 0 } else { pack_word(&z[..len]) };
            unsafe { s.next.write(b * words + o0 / 64, word) };
            let at = StepAt {
                off,
                word: (t * dims.b + b) * words + o0 / 64,
                last: (t + 1 == dims.t).then_some(b * h + o0),
            };
            let (pre, z) = (&pre[..len], &z[..len]);
            unsafe { s.sinks.write_step::<F, _>(at, pre, || z, || word) };
        }
    }
}

/// The set bits of a word, as column indices `base + bit`, increasing.
struct BitIter(u64, usize);

impl Iterator for BitIter {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let j = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(self.1 + j)
    }
}

impl IafCell {
    /// The recurrent kernels pass spikes between steps as bits, so they take single spikes
    /// only.
    pub(crate) fn check_recurrent(&self) -> Result<(), KernelError> {
        if self.family.spikes == snnc_ir::Spikes::Multi {
            return Err(KernelError::Param(
                "a recurrent layer with spikes = multi is not implemented".into(),
            ));
        }
        Ok(())
    }

    /// Runs the recurrent layer `I_t = cur_t + z_{t−1}·Rᵀ` over `T` steps (`dims.n` = H),
    /// writing what `out` asks for ([`IafOutputs`]: spikes, bit-packed spikes, pre-reset
    /// potentials, V_T, Z_T, U_T). For a leaky integrator `z` holds its potentials and the
    /// spikes it feeds back are 0 (only Z0 reaches the first step).
    ///
    /// The recurrent part of each step is `Σ_{j : z_{t−1,j} = 1} R[:, j]` summed in increasing
    /// `j` in f32 (for `t = 0`, `Σ_j z0_j·R[:, j]` over the nonzero `z0_j`), then added to
    /// `cur_t`. Steps are sequential; neuron blocks of a step run in parallel.
    pub fn recurrent_forward(
        &self,
        dims: SeqDims,
        inp: RecurrentInputs<'_>,
        out: IafOutputs<'_>,
        threads: Threads,
    ) -> Result<(), KernelError> {
        self.check_dims(dims)?;
        self.check_recurrent()?;
        let (seq, state) = (dims.seq_len()?, dims.state_len()?);
        check_len("cur [T,B,H]", inp.cur.len(), seq)?;
        inp.r.check(dims.n, dims.n)?;
        self.check_state(dims, State { v0: inp.v0, u0: inp.u0 })?;
        if let Some(z0) = inp.z0 {
            check_len("z0 [B,H]", z0.len(), state)?;
        }
        let sinks = Sinks::new(out, dims, self)?;
        let mut v = match inp.v0 {
            Some(v0) => v0.to_vec(),
            None => (0..state).map(|i| self.reset[i % dims.n.max(1)]).collect(),
        };
        let mut u = inp.u0.map_or_else(|| vec![0f32; state], <[f32]>::to_vec);
        let words = words_for(dims.n);
        let (mut prev, mut next) = (vec![0u64; dims.b * words], vec![0u64; dims.b * words]);
        let blocks = inp.r.blocks();
        threads.install(|| {
            for t in 0..dims.t {
                let s = Step {
                    cell: self,
                    dims,
                    inp: &inp,
                    sinks: &sinks,
                    v: DisjointMut::new(&mut v),
                    u: DisjointMut::new(&mut u),
                    prev: &prev,
                    next: DisjointMut::new(&mut next),
                };
                with_family!(self.member, |F| with_kind!(self.kind, |K| for_each_task(
                    blocks,
                    |k| step_task(&s, F::IT, K::IT, t, k)
                )));
                std::mem::swap(&mut prev, &mut next);
            }
        })?;
        // SAFETY (both): no task is running any more.
        if let (Some(o), false) = (&sinks.v_last, sinks.before && dims.t > 0) {
            // (V_T before the reset was written at the last step.)
            unsafe { o.range(0, state) }.copy_from_slice(&v);
        }
        if let Some(o) = &sinks.u_last {
            unsafe { o.range(0, state) }.copy_from_slice(&u);
        }
        Ok(())
    }
}
