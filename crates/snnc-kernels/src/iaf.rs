//! The fused feed-forward integrate-and-fire sequence kernel (forward; the reverse-time kernel
//! is in `iaf_backward.rs`).
//!
//! One task owns one batch row and one group of [`GROUP`] neurons and runs the whole time loop
//! with the potentials in locals; tasks never share an output element.

use snnc_ir::{Family, IafParams, Order, Spikes, Surrogate};

use crate::bits::{pack_row, words_for};
use crate::error::{check_len, product};
use crate::family::{fire, with_family, Fam};
use crate::simd::multiversion;
use crate::threads::{for_each_task, DisjointMut};
use crate::{KernelError, SpikeBits, Threads};

/// Neurons per word of packed spikes.
pub(crate) const BLOCK: usize = 64;

/// Neurons per task of the feed-forward kernels: four words of spikes, so that every step
/// touches 1 KiB contiguous per buffer.
pub(crate) const GROUP: usize = 256;

/// The shape `[T, B, N]` of a sequence: `T` steps, `B` batch rows, `N` neurons. Element
/// `(t, b, n)` is at `(t·B + b)·N + n`; states `[B, N]` have `(b, n)` at `b·N + n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqDims {
    /// Time steps.
    pub t: usize,
    /// Batch rows.
    pub b: usize,
    /// Neurons.
    pub n: usize,
}

impl SeqDims {
    /// `T·B·N`, checked.
    pub fn seq_len(&self) -> Result<usize, KernelError> {
        product("sequence [T,B,N]", &[self.t, self.b, self.n])
    }

    /// `B·N`, checked.
    pub fn state_len(&self) -> Result<usize, KernelError> {
        product("state [B,N]", &[self.b, self.n])
    }
}

/// A population of integrate-and-fire neurons: per-neuron threshold and reset (expanded from
/// the scalar-or-vector [`IafParams`]), update order, surrogate and family member (SPEC §1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct IafCell {
    pub(crate) th: Vec<f32>,
    pub(crate) reset: Vec<f32>,
    pub(crate) order: Order,
    pub(crate) surrogate: Surrogate,
    pub(crate) family: Family,
}

/// Where a forward kernel writes. Every field is optional; absent ones are not computed.
///
/// * `z`: spikes as f32 0/1 (spike counts for `spikes = multi`), `[T, B, N]`;
/// * `z_bits`: the same spikes bit-packed (a [`SpikeBits`] of `T·B` rows × `N`); refused for
///   `spikes = multi`, whose counts are not bits;
/// * `v_pre`: the **pre-reset potential** of every step, `[T, B, N]`: the value Θ is applied
///   to before subtracting the threshold. Fire-then-integrate: `v_{t−1}` (so `v_pre[0]` is
///   V0); integrate-then-fire: `v̂_t = v_{t−1} + I_t`. It is all the backward kernels need:
///   `s = v_pre − th`, the spike(s) and the reset are recomputed bitwise;
/// * `v_last`: the final potential V_T, `[B, N]`;
/// * `z_last`: the last step's spikes Z_T, `[B, N]`.
#[derive(Debug, Default)]
pub struct IafOutputs<'a> {
    /// Spikes `[T, B, N]` as 0/1.
    pub z: Option<&'a mut [f32]>,
    /// Spikes bit-packed, `T·B` rows × `N`.
    pub z_bits: Option<&'a mut SpikeBits>,
    /// Pre-reset potentials `[T, B, N]` (saved for backward).
    pub v_pre: Option<&'a mut [f32]>,
    /// Final potential `[B, N]`.
    pub v_last: Option<&'a mut [f32]>,
    /// Final spikes `[B, N]`.
    pub z_last: Option<&'a mut [f32]>,
}

/// The output buffers, checked and shared between tasks.
pub(crate) struct Sinks<'a> {
    pub z: Option<DisjointMut<'a, f32>>,
    pub bits: Option<DisjointMut<'a, u64>>,
    pub v_pre: Option<DisjointMut<'a, f32>>,
    pub v_last: Option<DisjointMut<'a, f32>>,
    pub z_last: Option<DisjointMut<'a, f32>>,
}

impl<'a> Sinks<'a> {
    /// Checks every present buffer against `dims`; spike counts (`family` multi) cannot go
    /// to bits.
    pub(crate) fn new(
        out: IafOutputs<'a>,
        dims: SeqDims,
        family: Family,
    ) -> Result<Self, KernelError> {
        if family.spikes == Spikes::Multi && out.z_bits.is_some() {
            return Err(KernelError::Param(
                "spikes = multi emits spike counts, which cannot be bit-packed".into(),
            ));
        }
        let (seq, state) = (dims.seq_len()?, dims.state_len()?);
        let check = |what, b: Option<&'a mut [f32]>, len| -> Result<_, KernelError> {
            b.map(|b| check_len(what, b.len(), len).map(|_| DisjointMut::new(b))).transpose()
        };
        let bits = match out.z_bits {
            Some(bits) => {
                if bits.rows() != dims.t * dims.b || bits.cols() != dims.n {
                    return Err(KernelError::Layout {
                        what: "z_bits",
                        msg: format!(
                            "{}×{} bits, expected {}×{}",
                            bits.rows(),
                            bits.cols(),
                            dims.t * dims.b,
                            dims.n
                        ),
                    });
                }
                Some(DisjointMut::new(bits.words_mut()))
            }
            None => None,
        };
        Ok(Sinks {
            z: check("z [T,B,N]", out.z, seq)?,
            bits,
            v_pre: check("v_pre [T,B,N]", out.v_pre, seq)?,
            v_last: check("v_last [B,N]", out.v_last, state)?,
            z_last: check("z_last [B,N]", out.z_last, state)?,
        })
    }
}

/// Where one step of a block of at most 64 neurons goes: `off` = `(t·B + b)·N + n0` in the
/// sequences, `word` = the index of its word of bits, and `last` = `b·N + n0` in the states
/// when this is the last step.
#[derive(Clone, Copy)]
pub(crate) struct StepAt {
    pub off: usize,
    pub word: usize,
    pub last: Option<usize>,
}

impl Sinks<'_> {
    /// Writes the step at `at` to every present sink: the pre-reset potentials `pre`, the
    /// spikes `z()` as 0/1 and `word()` as bits (computed only when a sink wants them).
    ///
    /// # Safety
    /// No other task may write the same neurons of this step (or state) at the same time.
    #[inline(always)]
    pub(crate) unsafe fn write_step<Z: AsRef<[f32]>>(
        &self,
        at: StepAt,
        pre: &[f32],
        z: impl Fn() -> Z,
        word: impl Fn() -> u64,
    ) {
        let len = pre.len();
        // SAFETY (all writes): forwarded to the caller.
        if let Some(o) = &self.z {
            unsafe { o.range(at.off, len) }.copy_from_slice(&z().as_ref()[..len]);
        }
        if let Some(o) = &self.v_pre {
            unsafe { o.range(at.off, len) }.copy_from_slice(pre);
        }
        if let Some(o) = &self.bits {
            unsafe { o.write(at.word, word()) };
        }
        if let (Some(o), Some(s)) = (&self.z_last, at.last) {
            unsafe { o.range(s, len) }.copy_from_slice(&z().as_ref()[..len]);
        }
    }
}

/// One step of `v.len()` neurons of member `F`: reads the current `x`, updates the potentials
/// `v`, writes the pre-reset potentials to `pre` and the spikes to `z`. Bitwise the
/// reference's rounding (SPEC §1, §1.1).
#[inline(always)]
pub(crate) fn step_block<F: Fam>(
    order: Order,
    th: &[f32],
    r: &[f32],
    x: &[f32],
    v: &mut [f32],
    pre: &mut [f32],
    z: &mut [f32],
) {
    let n = v.len();
    let (th, r, x, pre, z) = (&th[..n], &r[..n], &x[..n], &mut pre[..n], &mut z[..n]);
    match order {
        Order::FireThenIntegrate => {
            for j in 0..n {
                let u = v[j];
                let (_, zj, after) = fire::<F>(u, th[j], r[j]);
                pre[j] = u;
                z[j] = zj;
                v[j] = after + x[j];
            }
        }
        Order::IntegrateThenFire => {
            for j in 0..n {
                let u = v[j] + x[j];
                let (_, zj, after) = fire::<F>(u, th[j], r[j]);
                pre[j] = u;
                z[j] = zj;
                v[j] = after;
            }
        }
    }
}

/// The spikes `z` (at most 64, each 0 or 1) as bits.
#[inline(always)]
pub(crate) fn pack_word(z: &[f32]) -> u64 {
    let mut w = 0u64;
    for (j, &zj) in z.iter().enumerate().take(64) {
        w |= ((zj != 0.0) as u64) << j;
    }
    w
}

multiversion! {
    /// The whole time loop of batch row `b`, neurons `n0..n0 + len`.
    fn forward_task<F: Fam>(
        cell: &IafCell,
        _f: F,
        dims: SeqDims,
        x: &[f32],
        v0: Option<&[f32]>,
        sinks: &Sinks<'_>,
        b: usize,
        n0: usize,
        len: usize,
    ) {
        let (th, r) = (&cell.th[n0..n0 + len], &cell.reset[n0..n0 + len]);
        let mut v = [0f32; GROUP];
        let (mut pre, mut z) = ([0f32; GROUP], [0f32; GROUP]);
        let s = b * dims.n + n0;
        match v0 {
            Some(v0) => v[..len].copy_from_slice(&v0[s..s + len]),
            None => v[..len].copy_from_slice(r),
        }
        let words = words_for(dims.n);
        for t in 0..dims.t {
            let off = (t * dims.b + b) * dims.n + n0;
            step_block::<F>(cell.order, th, r, &x[off..off + len], &mut v[..len], &mut pre, &mut z);
            // SAFETY (all writes below): this task alone owns batch row b, neurons
            // n0..n0+len (whole words of bits, as n0 is a multiple of 64) of every step.
            if let Some(o) = &sinks.z {
                unsafe { o.range(off, len) }.copy_from_slice(&z[..len]);
            }
            if let Some(o) = &sinks.v_pre {
                unsafe { o.range(off, len) }.copy_from_slice(&pre[..len]);
            }
            if let Some(o) = &sinks.bits {
                let row = unsafe { o.range((t * dims.b + b) * words + n0 / BLOCK, len.div_ceil(BLOCK)) };
                let not_binary = pack_row(&z[..len], row);
                debug_assert!(not_binary.is_none());
            }
        }
        if let Some(o) = &sinks.v_last {
            unsafe { o.range(s, len) }.copy_from_slice(&v[..len]);
        }
        if let (Some(o), true) = (&sinks.z_last, dims.t > 0) {
            unsafe { o.range(s, len) }.copy_from_slice(&z[..len]);
        }
    }
}

impl IafCell {
    /// The population of `neurons` neurons described by `params`. Errors when `v_th`/`v_reset`
    /// have neither 1 nor `neurons` values, are not finite, or the surrogate's alpha is invalid.
    pub fn new(params: &IafParams, neurons: usize) -> Result<Self, KernelError> {
        params.check(neurons).map_err(KernelError::Param)?;
        crate::surrogate::check(&params.surrogate).map_err(KernelError::Param)?;
        Ok(IafCell {
            th: (0..neurons).map(|n| params.v_th_at(n)).collect(),
            reset: (0..neurons).map(|n| params.v_reset_at(n)).collect(),
            order: params.order,
            surrogate: params.surrogate,
            family: params.family,
        })
    }

    /// Number of neurons.
    pub fn neurons(&self) -> usize {
        self.th.len()
    }

    /// Update order.
    pub fn order(&self) -> Order {
        self.order
    }

    /// Surrogate of the backward pass.
    pub fn surrogate(&self) -> Surrogate {
        self.surrogate
    }

    /// The family member (threshold, reset, reset gradient, spikes).
    pub fn family(&self) -> Family {
        self.family
    }

    /// Threshold per neuron.
    pub fn v_th(&self) -> &[f32] {
        &self.th
    }

    /// Reset potential per neuron.
    pub fn v_reset(&self) -> &[f32] {
        &self.reset
    }

    pub(crate) fn check_dims(&self, dims: SeqDims) -> Result<(), KernelError> {
        if dims.n != self.neurons() {
            return Err(KernelError::Param(format!(
                "the cell has {} neurons but the sequence has {}",
                self.neurons(),
                dims.n
            )));
        }
        Ok(())
    }

    /// Runs the feed-forward layer (`I_t = x_t`) over `x` `[T, B, N]` from the initial
    /// potential `v0` `[B, N]` (default: v_reset), writing what `out` asks for.
    ///
    /// Spikes and potentials are bitwise those of the reference interpreter on f32 data, for
    /// every member of the family.
    /// With `T = 0`, `v_last` is `v0` and `z_last` is left untouched.
    pub fn forward(
        &self,
        dims: SeqDims,
        x: &[f32],
        v0: Option<&[f32]>,
        out: IafOutputs<'_>,
        threads: Threads,
    ) -> Result<(), KernelError> {
        self.check_dims(dims)?;
        check_len("x [T,B,N]", x.len(), dims.seq_len()?)?;
        if let Some(v0) = v0 {
            check_len("v0 [B,N]", v0.len(), dims.state_len()?)?;
        }
        let sinks = Sinks::new(out, dims, self.family)?;
        let blocks = dims.n.div_ceil(GROUP);
        threads.install(|| {
            with_family!(self.family, |F| for_each_task(dims.b * blocks, |task| {
                let (b, blk) = (task / blocks, task % blocks);
                let n0 = blk * GROUP;
                let len = GROUP.min(dims.n - n0);
                forward_task(self, F::IT, dims, x, v0, &sinks, b, n0, len);
            }))
        })
    }
}
