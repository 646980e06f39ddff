//! One integrate-and-fire neuron update and its reverse, element by element.
//!
//! With `th` the neuron's threshold, `r` its reset potential, `v` the potential before the step
//! and `i` the input current of the step:
//!
//! * **fire then integrate**: `s = v − th`, `z = spike(v)`, `v̂ = reset(z, v)`, `v' = v̂ + i`;
//! * **integrate then fire**: `v̂ = v + i`, `s = v̂ − th`, `z = spike(v̂)`, `v' = reset(z, v̂)`.
//!
//! The family's choices (SPEC §1.1) define `spike` and `reset` of a potential `u`:
//!
//! * spike: `single` is `Θ(s)` (`gt`) or `[s ≥ 0]` (`ge`); `multi` is `[u > 0]·trunc(u / th)`;
//! * reset: `value` is `(1 − z)·u + z·r`; `subtract` is `u − z·th`; `none` is `u`.
//!
//! Each arithmetic result is rounded to the value dtype, exactly as the primitive-op spelling of
//! the step (`Sub`, `Greater`, `Cast`, `Sub`, `Mul`, `Mul`, `Add`, `Add`) would round it.

use snnc_ir::{neuron, DType, Family, Order, Spikes, Surrogate};

use crate::iaf::rounded::Rounded;
use crate::near::{within, NEAR};
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
    /// Threshold, reset, reset gradient and spike count.
    pub family: Family,
    /// Storage type of potentials and spikes.
    pub dtype: DType,
}

/// What one step computes for one neuron (all rounded to the dtype).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StepValues {
    /// The argument of Θ (of the surrogate, for multiple spikes).
    pub s: f64,
    /// The spike: 0 or 1, or the spike count for multiple spikes.
    pub z: f64,
    /// The intermediate potential: after the reset (fire then integrate) or after integration
    /// (integrate then fire).
    pub v_hat: f64,
    /// The potential after the step.
    pub v: f64,
}

impl Cell {
    /// `x` as a number of the cell's dtype.
    fn num(&self, x: f64) -> Rounded {
        Rounded::new(self.dtype, x)
    }

    /// The argument of the surrogate and the spike(s) of neuron `n` at potential `u`
    /// ([`neuron::spike`]).
    fn fire(&self, n: usize, u: f64) -> (f64, f64) {
        let (u, th) = (self.num(u), self.num(self.th[n]));
        let s = u - th;
        (s.v, neuron::spike(self.family, s, u, th).v)
    }

    /// Whether the decision of neuron `n` at potential `u`, with Θ argument `s`, is one SPEC §5
    /// lets an engine take the other way: `s` within 1e-5·max(1, |th|) of zero (or NaN), or,
    /// for multiple spikes, `u` that close to a multiple k·th (k ≥ 1) where the count changes.
    pub(crate) fn undecided(&self, n: usize, u: f64, s: f64) -> bool {
        let th = self.th[n];
        let tol = NEAR * th.abs().max(1.0);
        if within(s, tol) {
            return true;
        }
        let k = (u / th).round();
        self.family.spikes == Spikes::Multi && k >= 1.0 && within(u - k * th, tol)
    }

    /// Potential `u` after the reset of spike(s) `z`, for neuron `n` ([`neuron::reset`]).
    fn reset_of(&self, n: usize, z: f64, u: f64) -> f64 {
        let (th, r) = (self.num(self.th[n]), self.num(self.reset[n]));
        neuron::reset(self.family, self.num(z), self.num(u), th, r).v
    }

    /// (∂reset/∂u, ∂reset/∂z) at potential `u` and spike(s) `z`, in f64; the second is 0
    /// when the reset is detached ([`neuron::reset_partials`]).
    fn reset_partials(&self, n: usize, z: f64, u: f64) -> (f64, f64) {
        neuron::reset_partials(self.family, z, u, self.th[n], self.reset[n])
    }

    /// One forward step of neuron `n` from potential `v` with input current `i`.
    pub(crate) fn step(&self, n: usize, v: f64, i: f64) -> StepValues {
        let rnd = |x: f64| round_elem(self.dtype, x);
        match self.order {
            Order::FireThenIntegrate => {
                let (s, z) = self.fire(n, v);
                let v_hat = self.reset_of(n, z, v);
                StepValues { s, z, v_hat, v: rnd(v_hat + i) }
            }
            Order::IntegrateThenFire => {
                let v_hat = rnd(v + i);
                let (s, z) = self.fire(n, v_hat);
                StepValues { s, z, v_hat, v: self.reset_of(n, z, v_hat) }
            }
        }
    }

    /// The reverse of [`Cell::step`] for neuron `n`: given the forward values `f`, the potential
    /// `v` before the step, and the gradients `gz` of the spike and `gv` of the new potential,
    /// returns the gradients of (the old potential, the input current).
    ///
    /// With `u` the potential that fires (v, or v̂ for integrate then fire) and the reset's
    /// partials `ru = ∂reset/∂u`, `rz = ∂reset/∂z` (0 when detached):
    /// `gz' = gz + gv·rz` and `g_u = gv·ru + gz'·σ'(s)`, where σ' is the surrogate
    /// derivative. Fire then integrate: `gi = gv`, `g_v = g_u`; integrate then fire:
    /// `g_v = gi = g_u`.
    pub(crate) fn step_back(
        &self,
        n: usize,
        f: &StepValues,
        v: f64,
        gz: f64,
        gv: f64,
    ) -> (f64, f64) {
        let sg = self.surrogate.derivative(f.s);
        let u = match self.order {
            Order::FireThenIntegrate => v,
            Order::IntegrateThenFire => f.v_hat,
        };
        let (ru, rz) = self.reset_partials(n, f.z, u);
        let g_u = gv * ru + (gz + gv * rz) * sg;
        match self.order {
            Order::FireThenIntegrate => (g_u, gv),
            Order::IntegrateThenFire => (g_u, g_u),
        }
    }
}
