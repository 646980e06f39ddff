//! The reverse-time kernel of the feed-forward integrate-and-fire layer.
//!
//! From the pre-reset potentials the forward kernel saved, each task (one batch row, one block
//! of neurons) runs the time loop backwards with `gv = ∂L/∂v_t` in locals (SPEC §1, §1.1; σ'
//! the surrogate derivative, `s = v_pre − th`, `z` the spike(s) recomputed from `u = v_pre`,
//! `ru`, `rz` the reset's partials of [`snnc_ir::neuron::reset_partials`], `rz = 0` detached):
//!
//! * fire then integrate (`u = v_{t−1}`): `∂x_t = gv`; `∂v_{t−1} = gv·ru + (gz + gv·rz)·σ'(s)`;
//! * integrate then fire (`u = v̂_t`): `∂x_t = ∂v_{t−1} = gv·ru + (gz + gv·rz)·σ'(s)`.

use snnc_ir::{neuron, Order};

use crate::error::check_len;
use crate::family::{with_family, Fam};
use crate::iaf::{IafCell, SeqDims, GROUP};
use crate::simd::multiversion;
use crate::surrogate::{with_deriv, Deriv};
use crate::threads::{for_each_task, DisjointMut};
use crate::{KernelError, Threads};

/// One reverse step of `gv.len()` neurons: from the pre-reset potentials `pre`, the spike
/// gradients `gz` and the potential gradients `gv` (∂L/∂v_t, replaced by ∂L/∂v_{t−1}), writes
/// the gradient of the step's input current to `gi`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn back_block<D: Deriv, F: Fam>(
    order: Order,
    d: D,
    th: &[f32],
    r: &[f32],
    pre: &[f32],
    gz: &[f32],
    gv: &mut [f32],
    gi: &mut [f32],
) {
    let n = gv.len();
    let (th, r, pre, gz, gi) = (&th[..n], &r[..n], &pre[..n], &gz[..n], &mut gi[..n]);
    for j in 0..n {
        let u = pre[j];
        let s = u - th[j];
        let z = neuron::spike(F::F, s, u, th[j]);
        let (ru, rz) = neuron::reset_partials(F::F, z, u, th[j], r[j]);
        let g = gv[j];
        let gzz = gz[j] + g * rz;
        let back = g * ru + gzz * d.at(s);
        match order {
            Order::FireThenIntegrate => {
                gi[j] = g;
                gv[j] = back;
            }
            Order::IntegrateThenFire => {
                gi[j] = back;
                gv[j] = back;
            }
        }
    }
}

/// Checked inputs of the backward pass.
struct BackArgs<'a> {
    dims: SeqDims,
    v_pre: &'a [f32],
    gz: Option<&'a [f32]>,
    gv_last: Option<&'a [f32]>,
}

multiversion! {
    /// Batch row `b`, neurons `n0..n0 + len`, all steps backwards.
    fn backward_task<D: Deriv, F: Fam>(
        cell: &IafCell,
        d: D,
        _f: F,
        a: &BackArgs<'_>,
        gx: &DisjointMut<'_, f32>,
        gv0: Option<&DisjointMut<'_, f32>>,
        b: usize,
        n0: usize,
        len: usize,
    ) {
        let dims = a.dims;
        let (th, r) = (&cell.th[n0..n0 + len], &cell.reset[n0..n0 + len]);
        let s = b * dims.n + n0;
        let mut gv = [0f32; GROUP];
        if let Some(g) = a.gv_last {
            gv[..len].copy_from_slice(&g[s..s + len]);
        }
        let zero = [0f32; GROUP];
        for t in (0..dims.t).rev() {
            let off = (t * dims.b + b) * dims.n + n0;
            let gz = a.gz.map_or(&zero[..len], |g| &g[off..off + len]);
            // SAFETY: this task alone owns batch row b, neurons n0..n0+len, of every step.
            let gi = unsafe { gx.range(off, len) };
            back_block::<D, F>(cell.order, d, th, r, &a.v_pre[off..off + len], gz, &mut gv[..len], gi);
        }
        if let Some(o) = gv0 {
            // SAFETY: as above, for the state [B, N].
            unsafe { o.range(s, len) }.copy_from_slice(&gv[..len]);
        }
    }
}

impl IafCell {
    /// Backpropagation through time of the feed-forward layer.
    ///
    /// Inputs: `v_pre` `[T, B, N]` as the forward kernel saved it; the upstream gradients `gz`
    /// of Z `[T, B, N]` and `gv_last` of V_T `[B, N]` (`None` = zero). Writes `gx` `[T, B, N]`
    /// (∂L/∂X) and, if given, `gv0` `[B, N]` (∂L/∂V0). Gradients are computed in f32 and agree
    /// with the reference to SPEC §5's 1e-4.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        dims: SeqDims,
        v_pre: &[f32],
        gz: Option<&[f32]>,
        gv_last: Option<&[f32]>,
        gx: &mut [f32],
        gv0: Option<&mut [f32]>,
        threads: Threads,
    ) -> Result<(), KernelError> {
        self.check_dims(dims)?;
        let (seq, state) = (dims.seq_len()?, dims.state_len()?);
        check_len("v_pre [T,B,N]", v_pre.len(), seq)?;
        check_len("gx [T,B,N]", gx.len(), seq)?;
        if let Some(g) = gz {
            check_len("gz [T,B,N]", g.len(), seq)?;
        }
        if let Some(g) = gv_last {
            check_len("gv_last [B,N]", g.len(), state)?;
        }
        let gv0 = match gv0 {
            Some(g) => {
                check_len("gv0 [B,N]", g.len(), state)?;
                Some(DisjointMut::new(g))
            }
            None => None,
        };
        let args = BackArgs { dims, v_pre, gz, gv_last };
        let gx = DisjointMut::new(gx);
        let blocks = dims.n.div_ceil(GROUP);
        threads.install(|| {
            with_deriv!(self.surrogate, |d| with_family!(self.family, |F| for_each_task(
                dims.b * blocks,
                |task| {
                    let (b, blk) = (task / blocks, task % blocks);
                    let n0 = blk * GROUP;
                    let len = GROUP.min(dims.n - n0);
                    backward_task(self, d, F::IT, &args, &gx, gv0.as_ref(), b, n0, len);
                }
            )))
        })
    }
}
