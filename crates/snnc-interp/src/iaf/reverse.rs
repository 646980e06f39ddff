//! Backpropagation through time for the `snn` layers: the forward loop run backwards.
//!
//! Going from t = T−1 down to 0 with `gv` = ∂L/∂v_t and `gz` = ∂L/∂z_t (the step's own
//! output gradient plus, for recurrent layers, what z_t feeds into step t+1 through R, plus
//! ∂L/∂Z_T at the last step), [`Cell::step_back`] gives ∂L/∂v_{t−1} and the step's share of
//! ∂L/∂u_t; with the share `α·∂L/∂u_{t+1}` carried back from the next step, that is ∂L/∂u_t,
//! which is also ∂L/∂I_t (u_t = α·u_{t−1} + I_t). A leaky integrator's per-step output is its
//! potential, so its upstream gradient joins `gv`. A recurrent
//! layer's current `I_t = x_t·Wᵀ + z_{t−1}·Rᵀ` then gives
//! `∂L/∂x_t = gI·W`, `∂L/∂W += gIᵀ·x_t`, `∂L/∂R += gIᵀ·z_{t−1}`, `∂L/∂z_{t−1} = gI·R`;
//! a feed-forward layer's `∂L/∂x_t = gI`. After the loop, `gv` and `gz` are the gradients of the
//! initial state V0 and Z0.

use ndarray::{s, Array2, Array3, ArrayView2, ArrayView3};

use snnc_ir::VOut;

use crate::iaf::cell::Cell;
use crate::iaf::sim::{Source, Trajectory};

/// Upstream gradients of a layer's outputs; absent ones are zero.
pub(crate) struct Upstream<'a> {
    /// Of the spike sequence [T, B, H].
    pub z: Option<ArrayView3<'a, f64>>,
    /// Of the final potential [B, H].
    pub v_last: Option<ArrayView2<'a, f64>>,
    /// Of the final spikes [B, H].
    pub z_last: Option<ArrayView2<'a, f64>>,
    /// Of the final synaptic current [B, H].
    pub u_last: Option<ArrayView2<'a, f64>>,
}

/// Gradients of a layer's inputs.
pub(crate) struct SourceGrads {
    /// Of the input sequence [T, B, I].
    pub x: Array3<f64>,
    /// Of W [H, I] and R [H, H], for recurrent layers.
    pub weights: Option<(Array2<f64>, Array2<f64>)>,
    /// Of the initial potential [B, H].
    pub v0: Array2<f64>,
    /// Of the initial spikes [B, H].
    pub z0: Array2<f64>,
    /// Of the initial synaptic current [B, H].
    pub u0: Array2<f64>,
}

/// The reverse pass over a [`Trajectory`] that [`simulate`](crate::iaf::sim::simulate) recorded
/// for `src`.
pub(crate) fn reverse(cell: &Cell, src: &Source, tr: &Trajectory, up: &Upstream) -> SourceGrads {
    let (t_len, b, h) = src.dims();
    let zeros = || Array2::zeros((b, h));
    let before = cell.v_out == VOut::BeforeReset;
    // A V_T reported before the reset is v̂ of the last step, not the state v_T.
    let (mut gv, mut gvh) = match (up.v_last.map(|g| g.to_owned()), before) {
        (Some(g), true) => (zeros(), g),
        (Some(g), false) => (g, zeros()),
        (None, _) => (zeros(), zeros()),
    };
    let mut gz_next = up.z_last.map_or_else(zeros, |g| g.to_owned());
    let mut gu_next = up.u_last.map_or_else(zeros, |g| g.to_owned());
    let li = cell.family.is_integrator();
    let mut gx = Array3::zeros(src.x.raw_dim());
    let mut gw = src.weights.map(|(w, r)| (Array2::zeros(w.raw_dim()), Array2::zeros(r.raw_dim())));
    for t in (0..t_len).rev() {
        let mut gz = gz_next;
        if let Some(up_z) = up.z {
            if li {
                gv += &up_z.slice(s![t, .., ..]);
            } else {
                gz += &up_z.slice(s![t, .., ..]);
            }
        }
        let (v_prev, steps) = (&tr.v[t], &tr.steps[t]);
        let mut gv_prev = Array2::zeros((b, h));
        let mut gi = Array2::zeros((b, h));
        for bi in 0..b {
            for n in 0..h {
                let f = &steps[(bi, n)];
                let (a, c) =
                    cell.step_back(n, f, v_prev[(bi, n)], gz[(bi, n)], gv[(bi, n)], gvh[(bi, n)]);
                gv_prev[(bi, n)] = a;
                let gu = c + gu_next[(bi, n)];
                gi[(bi, n)] = gu;
                gu_next[(bi, n)] = cell.leak.alpha_at(n) as f64 * gu;
            }
        }
        gvh = zeros();
        match (src.weights, gw.as_mut()) {
            (Some((w, r)), Some((gw, gr))) => {
                let x = src.x.slice(s![t, .., ..]);
                gx.slice_mut(s![t, .., ..]).assign(&gi.dot(&w));
                *gw += &gi.t().dot(&x);
                *gr += &gi.t().dot(&tr.z[t]);
                gz_next = gi.dot(&r);
            }
            _ => {
                gx.slice_mut(s![t, .., ..]).assign(&gi);
                gz_next = Array2::zeros((b, h));
            }
        }
        gv = gv_prev;
    }
    SourceGrads { x: gx, weights: gw, v0: gv, z0: gz_next, u0: gu_next }
}
