//! The fused feed-forward sequence kernel of the leaky cell (SPEC §1.2), whose special case is
//! the integrate-and-fire cell (forward; the reverse-time kernel is in `iaf_backward.rs`).
//!
//! One task owns one batch row and one group of [`GROUP`] neurons and runs the whole time loop
//! with the potentials (and synaptic currents) in locals; tasks never share an output element.
//!
//! Every kernel is compiled for each family member and for each kind of cell ([`Lk`]): the IF
//! cell, whose step is exactly the arithmetic it always had, and the leaky cells, whose step
//! adds the current `u = α·u + x` and the leak `L(w) = v_leak + β·(w − v_leak) + γ·u` (a neuron
//! with α = 0 or β = γ = 1 rounds as the reference does: by a select in a population that
//! mixes them, for nothing in one that does not). The kind is picked once per kernel call,
//! never per element.

use snnc_ir::{Family, IafParams, Order, Spikes, Surrogate, VOut};

use crate::bits::{pack_row, words_for};
use crate::error::{check_len, product};
use crate::family::MemberId;
use crate::family::{
    current, fire, has_state, integrate, integrator, with_family, with_kind, with_order, Fam, Kind,
    Lk,
};
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

/// A population of leaky (SPEC §1.2) or integrate-and-fire neurons: per-neuron threshold,
/// reset, α, β, γ and v_leak (expanded from the scalar-or-vector [`IafParams`]), update order,
/// surrogate, family member (SPEC §1.1) and which potential V_T reports.
#[derive(Debug, Clone, PartialEq)]
pub struct IafCell {
    pub(crate) th: Vec<f32>,
    pub(crate) reset: Vec<f32>,
    /// What the `subtract` reset removes per spike (the threshold unless the cell has its own).
    pub(crate) amount: Vec<f32>,
    pub(crate) alpha: Vec<f32>,
    pub(crate) beta: Vec<f32>,
    pub(crate) gamma: Vec<f32>,
    pub(crate) v_leak: Vec<f32>,
    pub(crate) order: Order,
    pub(crate) surrogate: Surrogate,
    pub(crate) family: Family,
    pub(crate) member: MemberId,
    /// Not the IF cell: some α ≠ 0, β ≠ 1 or γ ≠ 1, or a leaky integrator.
    pub(crate) leaky: bool,
    /// The kind of cell the forward kernels compute.
    pub(crate) kind: Kind,
    /// Some α ≠ 0: the cell carries the current as a second state (U0, U_T).
    pub(crate) current: bool,
    pub(crate) v_out: VOut,
}

/// The parameters of a block of neurons, as slices of equal length.
#[derive(Clone, Copy)]
pub(crate) struct Neurons<'a> {
    pub th: &'a [f32],
    pub r: &'a [f32],
    /// The reset amounts.
    pub d: &'a [f32],
    pub a: &'a [f32],
    pub b: &'a [f32],
    pub g: &'a [f32],
    pub vl: &'a [f32],
}

impl Neurons<'_> {
    /// The first `n` neurons.
    #[inline(always)]
    pub(crate) fn first(self, n: usize) -> Self {
        Neurons {
            th: &self.th[..n],
            r: &self.r[..n],
            d: &self.d[..n],
            a: &self.a[..n],
            b: &self.b[..n],
            g: &self.g[..n],
            vl: &self.vl[..n],
        }
    }
}

/// Where a forward kernel writes. Every field is optional; absent ones are not computed.
///
/// * `z`: spikes as f32 0/1 (spike counts for `spikes = multi`), `[T, B, N]`;
/// * `z_bits`: the same spikes bit-packed (a [`SpikeBits`] of `T·B` rows × `N`); refused for
///   `spikes = multi`, whose counts are not bits;
/// * `v_pre`: the **pre-reset potential** of every step, `[T, B, N]`: the value Θ is applied
///   to before subtracting the threshold. Fire-then-integrate: `v_{t−1}` (so `v_pre[0]` is
///   V0); integrate-then-fire: `v̂_t = L(v_{t−1})` (`v_{t−1} + I_t` for the IF cell). It is
///   all the backward kernels need (the leak is linear): `s = v_pre − th`, the spike(s) and
///   the reset are recomputed bitwise;
/// * `v_last`: the final potential V_T, `[B, N]` (with `v_out = before_reset`, v̂ of the last
///   step);
/// * `z_last`: the last step's spikes Z_T, `[B, N]`;
/// * `u_last`: the final synaptic current U_T, `[B, N]` (only for a cell with a current).
///
/// For a leaky integrator (`spikes = none`) `z` holds the potential after every step (its
/// output), while `z_bits` and `z_last` hold its spikes, which are all 0.
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
    /// Final synaptic current `[B, N]`.
    pub u_last: Option<&'a mut [f32]>,
}

/// The output buffers, checked and shared between tasks.
pub(crate) struct Sinks<'a> {
    pub z: Option<DisjointMut<'a, f32>>,
    pub bits: Option<DisjointMut<'a, u64>>,
    pub v_pre: Option<DisjointMut<'a, f32>>,
    pub v_last: Option<DisjointMut<'a, f32>>,
    pub z_last: Option<DisjointMut<'a, f32>>,
    pub u_last: Option<DisjointMut<'a, f32>>,
    /// V_T is v̂ of the last step (`v_out = before_reset`).
    pub before: bool,
}

impl<'a> Sinks<'a> {
    /// Checks every present buffer against `dims`; spike counts (`spikes = multi`) cannot go
    /// to bits, and only a cell with a current has a U_T.
    pub(crate) fn new(
        out: IafOutputs<'a>,
        dims: SeqDims,
        cell: &IafCell,
    ) -> Result<Self, KernelError> {
        let family = cell.family;
        cell.check_current("u_last", out.u_last.is_some())?;
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
            u_last: check("u_last [B,N]", out.u_last, state)?,
            before: cell.v_out == VOut::BeforeReset,
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
    /// Writes the step at `at` of member `F` to every present sink: the pre-reset potentials
    /// `pre`, the per-step outputs `z()` (spikes as 0/1, or a leaky integrator's potentials)
    /// and the spikes as bits `word()` (computed only when a sink wants them; a leaky
    /// integrator's are 0), and at the last step Z_T, and V_T when it is v̂ (`pre`).
    ///
    /// # Safety
    /// No other task may write the same neurons of this step (or state) at the same time.
    #[inline(always)]
    pub(crate) unsafe fn write_step<F: Fam, Z: AsRef<[f32]>>(
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
            unsafe { o.write(at.word, if integrator::<F>() { 0 } else { word() }) };
        }
        if let (Some(o), Some(s)) = (&self.z_last, at.last) {
            let o = unsafe { o.range(s, len) };
            if integrator::<F>() {
                o.fill(0.0);
            } else {
                o.copy_from_slice(&z().as_ref()[..len]);
            }
        }
        if let (Some(o), Some(s), true) = (&self.v_last, at.last, self.before) {
            unsafe { o.range(s, len) }.copy_from_slice(pre);
        }
    }
}

/// One step of neuron `j` of `p`, member `F`, cell kind `K`, from potential `v` and current
/// `u` with input `x`: returns `(pre, out, v', u')`, the pre-reset potential (the one that
/// fires: `v` for fire-then-integrate, v̂ for integrate-then-fire), the step's output (the
/// spike(s), or a leaky integrator's new potential), the new potential and the new current
/// (`u` itself for the IF cell, which has none). Bitwise the reference's rounding (SPEC §1,
/// §1.1, §1.2).
#[inline(always)]
pub(crate) fn step_one<F: Fam, K: Lk>(
    order: Order,
    p: &Neurons<'_>,
    j: usize,
    x: f32,
    v: f32,
    u: f32,
) -> (f32, f32, f32, f32) {
    let (b, g, vl) = if K::LEAKY { (p.b[j], p.g[j], p.vl[j]) } else { (1.0, 1.0, 0.0) };
    let c = if has_state::<K>() { current::<K>(p.a[j], u, x) } else { x };
    let out = |z: f32, v: f32| if integrator::<F>() { v } else { z };
    match order {
        Order::FireThenIntegrate => {
            let (_, z, after) = fire::<F>(v, p.th[j], p.d[j], p.r[j]);
            let v2 = integrate::<K>(after, c, b, g, vl);
            (v, out(z, v2), v2, c)
        }
        Order::IntegrateThenFire => {
            let w = integrate::<K>(v, c, b, g, vl);
            let (_, z, after) = fire::<F>(w, p.th[j], p.d[j], p.r[j]);
            (w, out(z, after), after, c)
        }
    }
}

/// One step of `v.len()` neurons of member `F`, cell kind `K`: reads the input current `x`,
/// updates the potentials `v` (and for a cell with a current the currents `u`; the others
/// leave `u` alone), writes the pre-reset potentials to `pre` and the outputs to `z` ([`step_one`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn step_block<F: Fam, K: Lk>(
    order: Order,
    p: Neurons<'_>,
    x: &[f32],
    v: &mut [f32],
    u: &mut [f32],
    pre: &mut [f32],
    z: &mut [f32],
) {
    let n = v.len();
    let (p, x, pre, z) = (p.first(n), &x[..n], &mut pre[..n], &mut z[..n]);
    if has_state::<K>() {
        let u = &mut u[..n];
        with_order!(order, |O| for j in 0..n {
            let (pj, zj, vj, uj) = step_one::<F, K>(O, &p, j, x[j], v[j], u[j]);
            (pre[j], z[j], v[j], u[j]) = (pj, zj, vj, uj);
        })
    } else {
        with_order!(order, |O| for j in 0..n {
            let (pj, zj, vj, _) = step_one::<F, K>(O, &p, j, x[j], v[j], 0.0);
            (pre[j], z[j], v[j]) = (pj, zj, vj);
        })
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

/// The initial state `(v, u)` of batch row `b`, neurons `n0..n0 + v.len()`: V0 (default
/// v_reset) and U0 (default 0).
#[inline(always)]
pub(crate) fn init_state(
    p: Neurons<'_>,
    dims: SeqDims,
    state: State<'_>,
    b: usize,
    n0: usize,
    v: &mut [f32],
    u: &mut [f32],
) {
    let (len, s) = (v.len(), b * dims.n + n0);
    match state.v0 {
        Some(v0) => v.copy_from_slice(&v0[s..s + len]),
        None => v.copy_from_slice(&p.r[..len]),
    }
    match state.u0 {
        Some(u0) => u.copy_from_slice(&u0[s..s + len]),
        None => u.fill(0.0),
    }
}

/// The initial state of a layer: potential V0 and synaptic current U0 `[B, N]`, each
/// defaulting (to v_reset and 0) when absent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct State<'a> {
    pub v0: Option<&'a [f32]>,
    pub u0: Option<&'a [f32]>,
}

multiversion! {
    /// The whole time loop of batch row `b`, neurons `n0..n0 + len`.
    fn forward_task<F: Fam, K: Lk>(
        cell: &IafCell,
        _f: F,
        _k: K,
        dims: SeqDims,
        x: &[f32],
        state: State<'_>,
        sinks: &Sinks<'_>,
        b: usize,
        n0: usize,
        len: usize,
    ) {
        let p = cell.block(n0, len);
        let (mut v, mut u) = ([0f32; GROUP], [0f32; GROUP]);
        let (mut pre, mut z) = ([0f32; GROUP], [0f32; GROUP]);
        let s = b * dims.n + n0;
        init_state(p, dims, state, b, n0, &mut v[..len], &mut u[..len]);
        let words = words_for(dims.n);
        for t in 0..dims.t {
            let off = (t * dims.b + b) * dims.n + n0;
            let x = &x[off..off + len];
            step_block::<F, K>(cell.order, p, x, &mut v[..len], &mut u[..len], &mut pre, &mut z);
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
                if integrator::<F>() {
                    row.fill(0);
                } else {
                    let not_binary = pack_row(&z[..len], row);
                    debug_assert!(not_binary.is_none());
                }
            }
        }
        if let Some(o) = &sinks.v_last {
            // V_T before the reset is v̂ of the last step, its pre-reset potential.
            let last = if sinks.before && dims.t > 0 { &pre } else { &v };
            unsafe { o.range(s, len) }.copy_from_slice(&last[..len]);
        }
        if let (Some(o), true) = (&sinks.z_last, dims.t > 0) {
            let o = unsafe { o.range(s, len) };
            if integrator::<F>() {
                o.fill(0.0);
            } else {
                o.copy_from_slice(&z[..len]);
            }
        }
        if let Some(o) = &sinks.u_last {
            unsafe { o.range(s, len) }.copy_from_slice(&u[..len]);
        }
    }
}

impl IafCell {
    /// The population of `neurons` neurons described by `params`. Errors when `v_th`,
    /// `v_reset`, α, β, γ or v_leak have neither 1 nor `neurons` values or are not finite,
    /// when the family's choices do not go together or `v_out = before_reset` comes with the
    /// fire-then-integrate order ([`IafParams::check`]), or when the surrogate's alpha is
    /// invalid.
    pub fn new(params: &IafParams, neurons: usize) -> Result<Self, KernelError> {
        params.check(neurons).map_err(KernelError::Param)?;
        crate::surrogate::check(&params.surrogate).map_err(KernelError::Param)?;
        let member = MemberId::of(params.family).ok_or_else(|| {
            KernelError::Param(format!("no kernel for the family {:?}", params.family))
        })?;
        let leak = &params.leak;
        let each = |at: &dyn Fn(usize) -> f32| (0..neurons).map(at).collect::<Vec<f32>>();
        let (alpha, beta, gamma) =
            (each(&|n| leak.alpha_at(n)), each(&|n| leak.beta_at(n)), each(&|n| leak.gamma_at(n)));
        let leaky = !leak.is_if() || params.family.is_integrator();
        Ok(IafCell {
            th: each(&|n| params.v_th_at(n)),
            reset: each(&|n| params.v_reset_at(n)),
            amount: each(&|n| params.reset_amount_at(n)),
            kind: Kind::of(leaky, &alpha, &beta, &gamma),
            alpha,
            beta,
            gamma,
            v_leak: each(&|n| leak.v_leak_at(n)),
            order: params.order,
            surrogate: params.surrogate,
            family: params.family,
            member,
            leaky,
            current: leak.has_current(),
            v_out: params.v_out,
        })
    }

    /// The parameters of neurons `n0..n0 + len`.
    #[inline(always)]
    pub(crate) fn block(&self, n0: usize, len: usize) -> Neurons<'_> {
        Neurons {
            th: &self.th[n0..n0 + len],
            r: &self.reset[n0..n0 + len],
            d: &self.amount[n0..n0 + len],
            a: &self.alpha[n0..n0 + len],
            b: &self.beta[n0..n0 + len],
            g: &self.gamma[n0..n0 + len],
            vl: &self.v_leak[n0..n0 + len],
        }
    }

    /// Refuses a synaptic-current buffer `what` (`present`) for a cell without a current.
    pub(crate) fn check_current(&self, what: &str, present: bool) -> Result<(), KernelError> {
        if present && !self.current {
            return Err(KernelError::Param(format!(
                "{what}: the cell has no synaptic current (alpha_syn = 0 for every neuron)"
            )));
        }
        Ok(())
    }

    /// Checks the initial state against `dims`.
    pub(crate) fn check_state(&self, dims: SeqDims, st: State<'_>) -> Result<(), KernelError> {
        self.check_current("u0", st.u0.is_some())?;
        let state = dims.state_len()?;
        for (what, s) in [("v0 [B,N]", st.v0), ("u0 [B,N]", st.u0)] {
            if let Some(s) = s {
                check_len(what, s.len(), state)?;
            }
        }
        Ok(())
    }

    /// Whether the cell is not the IF cell (it has a leak, a synaptic current, or no spikes).
    pub fn is_leaky(&self) -> bool {
        self.leaky
    }

    /// Whether the cell carries a synaptic current (some α ≠ 0): then it takes U0 and gives
    /// U_T.
    pub fn has_current(&self) -> bool {
        self.current
    }

    /// Which potential V_T reports.
    pub fn v_out(&self) -> VOut {
        self.v_out
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
    /// potential `v0` `[B, N]` (default: v_reset) and, for a cell with a synaptic current, the
    /// initial current `u0` `[B, N]` (default: 0), writing what `out` asks for.
    ///
    /// Spikes and potentials are bitwise those of the reference interpreter on f32 data, for
    /// every member of the family and every leak.
    /// With `T = 0`, `v_last` is `v0`, `u_last` is `u0` and `z_last` is left untouched.
    pub fn forward(
        &self,
        dims: SeqDims,
        x: &[f32],
        v0: Option<&[f32]>,
        u0: Option<&[f32]>,
        out: IafOutputs<'_>,
        threads: Threads,
    ) -> Result<(), KernelError> {
        self.check_dims(dims)?;
        check_len("x [T,B,N]", x.len(), dims.seq_len()?)?;
        let state = State { v0, u0 };
        self.check_state(dims, state)?;
        let sinks = Sinks::new(out, dims, self)?;
        let blocks = dims.n.div_ceil(GROUP);
        threads.install(|| {
            with_family!(self.member, |F| with_kind!(self.kind, |K| for_each_task(
                dims.b * blocks,
                |task| {
                    let (b, blk) = (task / blocks, task % blocks);
                    let n0 = blk * GROUP;
                    let len = GROUP.min(dims.n - n0);
                    forward_task(self, F::IT, K::IT, dims, x, state, &sinks, b, n0, len);
                }
            )))
        })
    }
}
