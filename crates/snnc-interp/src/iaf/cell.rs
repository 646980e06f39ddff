//! One integrate-and-fire neuron update and its reverse, element by element.
//!
//! With `th` the neuron's threshold, `r` its reset potential, `v` the potential before the step
//! and `i` the input current of the step:
//!
//! * **fire then integrate**: `s = v − th`, `z = Θ(s)`, `v̂ = (1 − z)·v + z·r`, `v' = v̂ + i`;
//! * **integrate then fire**: `v̂ = v + i`, `s = v̂ − th`, `z = Θ(s)`, `v' = (1 − z)·v̂ + z·r`.
//!
//! Each arithmetic result is rounded to the value dtype, exactly as the primitive-op spelling of
//! the step (`Sub`, `Greater`, `Cast`, `Sub`, `Mul`, `Mul`, `Add`, `Add`) would round it.

use snnc_ir::{DType, Order, Surrogate};

use crate::forward::elementwise::theta;
use crate::value::round_elem;

/// A neuron population's parameters, in f64.
pub(crate) struct Cell {
    /// Threshold per neuron.
    pub th: Vec<f64>,
    /// Reset potential per neuron.
    pub reset: Vec<f64>,
    /// Update order.
    pub order: Order,
    /// The backward of Θ.
    pub surrogate: Surrogate,
    /// Storage type of potentials and spikes.
    pub dtype: DType,
}

/// What one step computes for one neuron (all rounded to the dtype).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StepValues {
    /// The argument of Θ.
    pub s: f64,
    /// The spike, 0 or 1.
    pub z: f64,
    /// The intermediate potential: after the reset (fire then integrate) or after integration
    /// (integrate then fire).
    pub v_hat: f64,
    /// The potential after the step.
    pub v: f64,
}

impl Cell {
    /// One forward step of neuron `n` from potential `v` with input current `i`.
    pub(crate) fn step(&self, n: usize, v: f64, i: f64) -> StepValues {
        let rnd = |x: f64| round_elem(self.dtype, x);
        let (th, r) = (self.th[n], self.reset[n]);
        let reset = |z: f64, u: f64| rnd(rnd((1.0 - z) * u) + rnd(z * r));
        match self.order {
            Order::FireThenIntegrate => {
                let s = rnd(v - th);
                let z = theta(s);
                let v_hat = reset(z, v);
                StepValues { s, z, v_hat, v: rnd(v_hat + i) }
            }
            Order::IntegrateThenFire => {
                let v_hat = rnd(v + i);
                let s = rnd(v_hat - th);
                let z = theta(s);
                StepValues { s, z, v_hat, v: reset(z, v_hat) }
            }
        }
    }

    /// The reverse of [`Cell::step`] for neuron `n`: given the forward values `f`, the potential
    /// `v` before the step, and the gradients `gz` of the spike and `gv` of the new potential,
    /// returns the gradients of (the old potential, the input current).
    ///
    /// * fire then integrate: `gi = gv`; `gz' = gz + gv·(r − v)`;
    ///   `g_v = gv·(1 − z) + gz'·σ'(s)`;
    /// * integrate then fire: `gz' = gz + gv·(r − v̂)`; `g_v̂ = gv·(1 − z) + gz'·σ'(s)`;
    ///   `g_v = gi = g_v̂`;
    ///
    /// where σ' is the surrogate derivative. The reset is not detached: `gz'` carries the
    /// reset's dependence on the spike.
    pub(crate) fn step_back(
        &self,
        n: usize,
        f: &StepValues,
        v: f64,
        gz: f64,
        gv: f64,
    ) -> (f64, f64) {
        let r = self.reset[n];
        let sg = self.surrogate.derivative(f.s);
        match self.order {
            Order::FireThenIntegrate => {
                let gz_all = gz + gv * (r - v);
                (gv * (1.0 - f.z) + gz_all * sg, gv)
            }
            Order::IntegrateThenFire => {
                let gz_all = gz + gv * (r - f.v_hat);
                let g_hat = gv * (1.0 - f.z) + gz_all * sg;
                (g_hat, g_hat)
            }
        }
    }
}
