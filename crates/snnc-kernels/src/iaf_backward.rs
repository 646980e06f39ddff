//! The reverse-time kernel of the feed-forward layer of the leaky cell (SPEC §1.2; the
//! integrate-and-fire cell is its special case).
//!
//! From the pre-reset potentials the forward kernel saved, each task (one batch row, one block
//! of neurons) runs the time loop backwards with `gv = ∂L/∂v_t` (and, for a cell with a
//! synaptic current, `gu` = the share of ∂L/∂u_t carried back from step t+1) in locals (SPEC
//! §1, §1.1; σ' the surrogate derivative, `s = v_pre − th`, `z` the spike(s) recomputed from
//! `w = v_pre`, `ru`, `rz` the reset's partials of [`snnc_ir::neuron::reset_partials`],
//! `rz = 0` detached). The reset passes `R(g) = g·ru + (gz + g·rz)·σ'(s)` back from the
//! gradient `g` of its result (`R(g) = g` for a leaky integrator, which has no spike and whose
//! per-step output gradient joins `gv`); integration `L(w) = v_leak + β·(w − v_leak) + γ·u`
//! passes `β·g` to w and `γ·g` to u:
//!
//! * fire then integrate (`w = v_{t−1}`): `∂v_{t−1} = R(β·gv)`, the step's share of ∂u_t is
//!   `γ·gv`;
//! * integrate then fire (`w = v̂_t`): `ĝ = R(gv)`, `∂v_{t−1} = β·ĝ`, the share is `γ·ĝ`;
//! * `∂u_t = share + gu`, which is also `∂x_t` (`u_t = α·u_{t−1} + x_t`), and `gu ← α·∂u_t`.
//!
//! For the IF cell (β = γ = 1, α = 0) that is `∂x_t = gv` and `∂v_{t−1} = R(gv)` (fire then
//! integrate) or `∂x_t = ∂v_{t−1} = R(gv)` (integrate then fire), computed as exactly that. A
//! V_T reported before the reset (`v_out = before_reset`) is v̂ of the last step: its gradient
//! joins ĝ there instead of starting `gv`.

use snnc_ir::{neuron, Order};

use crate::error::check_len;
use crate::family::{integrator, with_family, with_leak, with_order, Fam, Lk};
use crate::iaf::{IafCell, Neurons, SeqDims, GROUP};
use crate::simd::multiversion;
use crate::surrogate::{with_deriv, Deriv};
use crate::threads::{for_each_task, DisjointMut};
use crate::{KernelError, Threads};

/// Upstream gradients of a feed-forward layer's outputs (`None` = zero).
#[derive(Debug, Clone, Copy, Default)]
pub struct IafUpstream<'a> {
    /// Of the per-step output Z (spikes, or a leaky integrator's potentials), `[T, B, N]`.
    pub gz: Option<&'a [f32]>,
    /// Of V_T, `[B, N]`.
    pub gv_last: Option<&'a [f32]>,
    /// Of U_T, `[B, N]` (a cell with a synaptic current only).
    pub gu_last: Option<&'a [f32]>,
}

/// Where the feed-forward backward kernel writes.
#[derive(Debug)]
pub struct IafGrads<'a> {
    /// ∂L/∂X `[T, B, N]`, overwritten.
    pub gx: &'a mut [f32],
    /// ∂L/∂V0 `[B, N]`, overwritten.
    pub gv0: Option<&'a mut [f32]>,
    /// ∂L/∂U0 `[B, N]`, overwritten (a cell with a synaptic current only).
    pub gu0: Option<&'a mut [f32]>,
}

/// One reverse step of neuron `j` of `p`: from its pre-reset potential `w`, the gradient `gz`
/// of its output, the gradient `gvh` of v̂ itself (a V_T reported before the reset, at the
/// last step), and the state `gv` (∂L/∂v_t, replaced by ∂L/∂v_{t−1}) and `gu` (the current's
/// gradient carried back, replaced by α·∂L/∂u_t; untouched for the IF cell), returns the
/// gradient of the step's input current.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn back_one<D: Deriv, F: Fam, K: Lk>(
    order: Order,
    d: D,
    p: &Neurons<'_>,
    j: usize,
    w: f32,
    gz: f32,
    gvh: Option<f32>,
    gv: &mut f32,
    gu: &mut f32,
) -> f32 {
    let (th, r, amount) = (p.th[j], p.r[j], p.d[j]);
    // A leaky integrator's output is its potential: its gradient joins gv, and no spike
    // passes any back.
    let (g, gz) = if integrator::<F>() { (*gv + gz, 0.0) } else { (*gv, gz) };
    let reset_back = |g: f32| {
        if integrator::<F>() {
            return g;
        }
        let s = w - th;
        let z = neuron::spike(F::F, s, w, th);
        let (ru, rz) = neuron::reset_partials(F::F, z, w, amount, r);
        let gzz = gz + g * rz;
        g * ru + gzz * d.at(s)
    };
    let with_h = |g: f32| match gvh {
        Some(h) => g + h,
        None => g,
    };
    if !K::LEAKY {
        return match order {
            Order::FireThenIntegrate => {
                *gv = reset_back(with_h(g));
                g
            }
            Order::IntegrateThenFire => {
                let back = with_h(reset_back(g));
                *gv = back;
                back
            }
        };
    }
    let (a, b, c) = (p.a[j], p.b[j], p.g[j]);
    let share = match order {
        Order::FireThenIntegrate => {
            *gv = reset_back(with_h(b * g));
            c * g
        }
        Order::IntegrateThenFire => {
            let g_hat = with_h(reset_back(g));
            *gv = b * g_hat;
            c * g_hat
        }
    };
    let gi = share + *gu;
    *gu = a * gi;
    gi
}

/// One reverse step of `gv.len()` neurons ([`back_one`]): from the pre-reset potentials `pre`,
/// the output gradients `gz`, at the last step of a V_T reported before the reset its
/// gradient `gvh`, and the states `gv`, `gu`, writes the gradient of the step's input current
/// to `gi`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn back_block<D: Deriv, F: Fam, K: Lk>(
    order: Order,
    d: D,
    p: Neurons<'_>,
    pre: &[f32],
    gz: &[f32],
    gvh: Option<&[f32]>,
    gv: &mut [f32],
    gu: &mut [f32],
    gi: &mut [f32],
) {
    let n = gv.len();
    let (p, pre, gz, gi) = (p.first(n), &pre[..n], &gz[..n], &mut gi[..n]);
    let gu = &mut gu[..n];
    match gvh {
        None => with_order!(order, |O| for j in 0..n {
            let (w, g) = (pre[j], gz[j]);
            gi[j] = back_one::<D, F, K>(O, d, &p, j, w, g, None, &mut gv[j], &mut gu[j]);
        }),
        Some(h) => {
            let h = &h[..n];
            with_order!(order, |O| for j in 0..n {
                let (w, g, h) = (pre[j], gz[j], Some(h[j]));
                gi[j] = back_one::<D, F, K>(O, d, &p, j, w, g, h, &mut gv[j], &mut gu[j]);
            })
        }
    }
}

/// Checked inputs of the backward pass.
struct BackArgs<'a> {
    dims: SeqDims,
    v_pre: &'a [f32],
    up: IafUpstream<'a>,
}

/// Where the tasks write.
struct BackOut<'a> {
    gx: DisjointMut<'a, f32>,
    gv0: Option<DisjointMut<'a, f32>>,
    gu0: Option<DisjointMut<'a, f32>>,
}

multiversion! {
    /// Batch row `b`, neurons `n0..n0 + len`, all steps backwards.
    fn backward_task<D: Deriv, F: Fam, K: Lk>(
        cell: &IafCell,
        d: D,
        _f: F,
        _k: K,
        a: &BackArgs<'_>,
        o: &BackOut<'_>,
        b: usize,
        n0: usize,
        len: usize,
    ) {
        let dims = a.dims;
        let p = cell.block(n0, len);
        let s = b * dims.n + n0;
        let (mut gv, mut gvh, mut gu) = ([0f32; GROUP], [0f32; GROUP], [0f32; GROUP]);
        let before = cell.v_out == snnc_ir::VOut::BeforeReset;
        if let Some(g) = a.up.gv_last {
            // A V_T reported before the reset is v̂ of the last step, not the state v_T.
            let dst = if before { &mut gvh } else { &mut gv };
            dst[..len].copy_from_slice(&g[s..s + len]);
        }
        if let Some(g) = a.up.gu_last {
            gu[..len].copy_from_slice(&g[s..s + len]);
        }
        let zero = [0f32; GROUP];
        for t in (0..dims.t).rev() {
            let off = (t * dims.b + b) * dims.n + n0;
            let gz = a.up.gz.map_or(&zero[..len], |g| &g[off..off + len]);
            let h = (before && a.up.gv_last.is_some() && t + 1 == dims.t).then_some(&gvh[..len]);
            // SAFETY: this task alone owns batch row b, neurons n0..n0+len, of every step.
            let gi = unsafe { o.gx.range(off, len) };
            let pre = &a.v_pre[off..off + len];
            back_block::<D, F, K>(cell.order, d, p, pre, gz, h, &mut gv[..len], &mut gu[..len], gi);
        }
        if let Some(o) = &o.gv0 {
            // SAFETY: as above, for the state [B, N].
            unsafe { o.range(s, len) }.copy_from_slice(&gv[..len]);
        }
        if let Some(o) = &o.gu0 {
            // SAFETY: as above.
            unsafe { o.range(s, len) }.copy_from_slice(&gu[..len]);
        }
    }
}

impl IafCell {
    /// Backpropagation through time of the feed-forward layer.
    ///
    /// Inputs: `v_pre` `[T, B, N]` as the forward kernel saved it; the upstream gradients `up`
    /// of Z `[T, B, N]`, V_T and U_T `[B, N]` (`None` = zero). Writes `grads`: ∂L/∂X
    /// `[T, B, N]` and, if given, ∂L/∂V0 and ∂L/∂U0 `[B, N]`. Gradients are computed in f32
    /// and agree with the reference to SPEC §5's 1e-4. U_T and U0 exist for a cell with a
    /// synaptic current only.
    pub fn backward(
        &self,
        dims: SeqDims,
        v_pre: &[f32],
        up: IafUpstream<'_>,
        grads: IafGrads<'_>,
        threads: Threads,
    ) -> Result<(), KernelError> {
        self.check_dims(dims)?;
        self.check_current("gu_last", up.gu_last.is_some())?;
        self.check_current("gu0", grads.gu0.is_some())?;
        let (seq, state) = (dims.seq_len()?, dims.state_len()?);
        check_len("v_pre [T,B,N]", v_pre.len(), seq)?;
        check_len("gx [T,B,N]", grads.gx.len(), seq)?;
        if let Some(g) = up.gz {
            check_len("gz [T,B,N]", g.len(), seq)?;
        }
        for (what, g) in [("gv_last [B,N]", up.gv_last), ("gu_last [B,N]", up.gu_last)] {
            if let Some(g) = g {
                check_len(what, g.len(), state)?;
            }
        }
        fn state_out<'g>(
            what: &'static str,
            g: Option<&'g mut [f32]>,
            state: usize,
        ) -> Result<Option<DisjointMut<'g, f32>>, KernelError> {
            g.map(|g| check_len(what, g.len(), state).map(|_| DisjointMut::new(g))).transpose()
        }
        let out = BackOut {
            gv0: state_out("gv0 [B,N]", grads.gv0, state)?,
            gu0: state_out("gu0 [B,N]", grads.gu0, state)?,
            gx: DisjointMut::new(grads.gx),
        };
        let args = BackArgs { dims, v_pre, up };
        let blocks = dims.n.div_ceil(GROUP);
        threads.install(|| {
            with_deriv!(self.surrogate, |d| with_family!(self.member, |F| with_leak!(
                self.leaky,
                |K| for_each_task(dims.b * blocks, |task| {
                    let (b, blk) = (task / blocks, task % blocks);
                    let n0 = blk * GROUP;
                    let len = GROUP.min(dims.n - n0);
                    backward_task(self, d, F::IT, K::IT, &args, &out, b, n0, len);
                })
            )))
        })
    }
}
