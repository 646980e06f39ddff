//! The forward time loop shared by the four `snn` ops, keeping every step for the reverse pass.

use ndarray::{s, Array2, Array3, ArrayView2, ArrayView3};

use crate::iaf::cell::{Cell, StepValues};
use crate::value::round_elem;

/// The inputs of a layer run over time.
///
/// Feed-forward layers (`w`, `r` absent) take the current from `x` directly; recurrent layers
/// compute `I_t = x_t·Wᵀ + z_{t−1}·Rᵀ` (each product and the sum rounded to the dtype).
pub(crate) struct Source<'a> {
    /// Input sequence [T, B, I] (I = N for feed-forward layers).
    pub x: ArrayView3<'a, f64>,
    /// Input weights [H, I] and recurrent weights [H, H], for recurrent layers.
    pub weights: Option<(ArrayView2<'a, f64>, ArrayView2<'a, f64>)>,
    /// Initial potential [B, H]; default v_reset.
    pub v0: Option<ArrayView2<'a, f64>>,
    /// Initial spikes [B, H]; default 0.
    pub z0: Option<ArrayView2<'a, f64>>,
    /// Initial synaptic current [B, H]; default 0.
    pub u0: Option<ArrayView2<'a, f64>>,
}

impl Source<'_> {
    /// (T, B, H).
    pub(crate) fn dims(&self) -> (usize, usize, usize) {
        let (t, b, i) = self.x.dim();
        (t, b, self.weights.map_or(i, |(w, _)| w.nrows()))
    }
}

/// Every step of a run: `v[t]`/`z[t]` are the state *before* step t (so `v[0]` = v₋₁ and
/// `v[T]` is the final potential), `steps[t]` what step t computed.
pub(crate) struct Trajectory {
    /// Potentials v₋₁ … v_{T−1}, each [B, H].
    pub v: Vec<Array2<f64>>,
    /// Spikes z₋₁ … z_{T−1}, each [B, H].
    pub z: Vec<Array2<f64>>,
    /// Synaptic currents u₋₁ … u_{T−1}, each [B, H].
    pub u: Vec<Array2<f64>>,
    /// Per step, per neuron: Θ's argument, the spike, v̂ and the new potential.
    pub steps: Vec<Array2<StepValues>>,
}

impl Trajectory {
    /// The spikes of every step as [T, B, H].
    pub(crate) fn spikes(&self) -> Array3<f64> {
        stack(&self.z[1..])
    }

    /// The potential after every step as [T, B, H] (a leaky integrator's output).
    pub(crate) fn potentials(&self) -> Array3<f64> {
        stack(&self.v[1..])
    }
}

fn stack(steps: &[Array2<f64>]) -> Array3<f64> {
    let (b, h) = steps.first().map_or((0, 0), |a| a.dim());
    let mut out = Array3::zeros((steps.len(), b, h));
    for (t, a) in steps.iter().enumerate() {
        out.slice_mut(s![t, .., ..]).assign(a);
    }
    out
}

/// The current of step `t` given the previous spikes `z`.
pub(crate) fn current(cell: &Cell, src: &Source, t: usize, z: &Array2<f64>) -> Array2<f64> {
    let x = src.x.slice(s![t, .., ..]);
    match src.weights {
        None => x.to_owned(),
        Some((w, r)) => {
            let rnd = |a: Array2<f64>| a.mapv_into(|v| round_elem(cell.dtype, v));
            rnd(rnd(x.dot(&w.t())) + rnd(z.dot(&r.t())))
        }
    }
}

/// Runs the layer over all T steps.
pub(crate) fn simulate(cell: &Cell, src: &Source) -> Trajectory {
    let (t_len, b, h) = src.dims();
    let v0 = src
        .v0
        .map_or_else(|| Array2::from_shape_fn((b, h), |(_, n)| cell.reset[n]), |v| v.to_owned());
    let z0 = src.z0.map_or_else(|| Array2::zeros((b, h)), |z| z.to_owned());
    let u0 = src.u0.map_or_else(|| Array2::zeros((b, h)), |u| u.to_owned());
    let mut tr =
        Trajectory { v: vec![v0], z: vec![z0], u: vec![u0], steps: Vec::with_capacity(t_len) };
    for t in 0..t_len {
        let (v, z, u) = (&tr.v[t], &tr.z[t], &tr.u[t]);
        let i = current(cell, src, t, z);
        let step = Array2::from_shape_fn((b, h), |(bi, n)| {
            cell.step(n, v[(bi, n)], u[(bi, n)], i[(bi, n)])
        });
        tr.v.push(step.mapv(|f| f.v));
        tr.z.push(step.mapv(|f| f.z));
        tr.u.push(step.mapv(|f| f.u));
        tr.steps.push(step);
    }
    tr
}
