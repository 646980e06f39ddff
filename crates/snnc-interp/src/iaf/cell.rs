//! One neuron update of the leaky cell (SPEC §1.2; integrate-and-fire is its special case) and
//! its reverse, element by element.
//!
//! With `th` the neuron's threshold, `r` its reset potential, `v` the potential and `u` the
//! synaptic current before the step, and `x` the input current of the step, the current is
//! `u' = α·u + x` (just `x` without a synapse) and integrating a potential `w` gives
//! `L(w) = v_leak + β·(w − v_leak) + γ·u'` (just `w + u'` without a leak). Then:
//!
//! * **fire then integrate**: `s = v − th`, `z = spike(v)`, `v̂ = reset(z, v)`, `v' = L(v̂)`;
//! * **integrate then fire**: `v̂ = L(v)`, `s = v̂ − th`, `z = spike(v̂)`, `v' = reset(z, v̂)`.
//!
//! The family's choices (SPEC §1.1) define `spike` and `reset` of a potential `u`:
//!
//! * spike: `single` is `Θ(s)` (`gt`) or `[s ≥ 0]` (`ge`); `multi` is `[u > 0]·trunc(u / th)`;
//! * reset: `value` is `(1 − z)·u + z·r`; `subtract` is `u − z·d`, d the neuron's reset amount
//!   (its threshold unless the cell has its own); `none` is `u`.
//!
//! Each arithmetic result is rounded to the value dtype, exactly as the primitive-op spelling of
//! the step (`Sub`, `Greater`, `Cast`, `Sub`, `Mul`, `Mul`, `Add`, `Add`) would round it.

use snnc_ir::{neuron, DType, Family, Leak, Order, Spikes, Surrogate, VOut};

use crate::iaf::rounded::Rounded;
use crate::near::{within, NEAR};
use crate::value::round_elem;

/// A neuron population's parameters, in f64.
pub(crate) struct Cell {
    /// Threshold per neuron.
    pub th: Vec<f64>,
    /// Reset potential per neuron.
    pub reset: Vec<f64>,
    /// What the `subtract` reset removes per spike, per neuron (the threshold by default).
    pub amount: Vec<f64>,
    /// Update order.
    pub order: Order,
    /// The backward of Θ.
    pub surrogate: Surrogate,
    /// Threshold, reset, reset gradient and spike count.
    pub family: Family,
    /// Storage type of potentials and spikes.
    pub dtype: DType,
    /// α, β, γ and v_leak of every neuron.
    pub leak: Leak,
    /// Which potential V_T reports.
    pub v_out: VOut,
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
    /// The synaptic current of the step, `α·u_{t−1} + x_t` (`x_t` without a synapse).
    pub u: f64,
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

    /// The current of neuron `n` from the previous current `u` and the step's input `x`.
    fn current(&self, n: usize, u: f64, x: f64) -> f64 {
        let a = self.leak.alpha_at(n);
        if a == 0.0 {
            return x;
        }
        let rnd = |y: f64| round_elem(self.dtype, y);
        rnd(rnd(a as f64 * u) + x)
    }

    /// Integrates potential `w` of neuron `n` with current `u`: `w + u` for the IF cell,
    /// `v_leak + β·(w − v_leak) + γ·u` otherwise, each operation rounded to the dtype.
    fn integrate(&self, n: usize, w: f64, u: f64) -> f64 {
        let rnd = |y: f64| round_elem(self.dtype, y);
        let l = &self.leak;
        let (b, g, vl) = (l.beta_at(n) as f64, l.gamma_at(n) as f64, l.v_leak_at(n) as f64);
        if b == 1.0 && g == 1.0 {
            return rnd(w + u);
        }
        rnd(rnd(vl + rnd(b * rnd(w - vl))) + rnd(g * u))
    }

    /// Whether the decision of neuron `n` at potential `u`, with Θ argument `s`, is one SPEC §5
    /// lets an engine take the other way: `s` within 1e-5·max(1, |th|) of zero (or NaN), or,
    /// for multiple spikes, `u` that close to a multiple k·th (k ≥ 1) where the count changes.
    pub(crate) fn undecided(&self, n: usize, u: f64, s: f64) -> bool {
        if self.family.is_integrator() {
            return false;
        }
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
        let (d, r) = (self.num(self.amount[n]), self.num(self.reset[n]));
        neuron::reset(self.family, self.num(z), self.num(u), d, r).v
    }

    /// (∂reset/∂u, ∂reset/∂z) at potential `u` and spike(s) `z`, in f64; the second is 0
    /// when the reset is detached ([`neuron::reset_partials`]).
    fn reset_partials(&self, n: usize, z: f64, u: f64) -> (f64, f64) {
        neuron::reset_partials(self.family, z, u, self.amount[n], self.reset[n])
    }

    /// One forward step of neuron `n` from potential `v` and current `u` with input `x`.
    pub(crate) fn step(&self, n: usize, v: f64, u: f64, x: f64) -> StepValues {
        let u = self.current(n, u, x);
        match self.order {
            Order::FireThenIntegrate => {
                let (s, z) = self.fire(n, v);
                let v_hat = self.reset_of(n, z, v);
                StepValues { s, z, v_hat, v: self.integrate(n, v_hat, u), u }
            }
            Order::IntegrateThenFire => {
                let v_hat = self.integrate(n, v, u);
                let (s, z) = self.fire(n, v_hat);
                StepValues { s, z, v_hat, v: self.reset_of(n, z, v_hat), u }
            }
        }
    }

    /// The reverse of [`Cell::step`] for neuron `n`: given the forward values `f`, the potential
    /// `v` before the step, and the gradients `gz` of the spike, `gv` of the new potential and
    /// `gvh` of v̂ itself (a V_T reported before the reset), returns the gradients of (the old
    /// potential, the step's current u).
    ///
    /// With `w` the potential that fires (v, or v̂ for integrate then fire) and the reset's
    /// partials `ru = ∂reset/∂w`, `rz = ∂reset/∂z` (0 when detached), the reset passes back
    /// `g_w = g·ru + (gz + g·rz)·σ'(s)` from the gradient `g` of its result, where σ' is the
    /// surrogate derivative (0 for a leaky integrator, which has no spike). Integration
    /// `L(w) = v_leak + β·(w − v_leak) + γ·u` passes `β·g` to w and `γ·g` to u.
    pub(crate) fn step_back(
        &self,
        n: usize,
        f: &StepValues,
        v: f64,
        gz: f64,
        gv: f64,
        gvh: f64,
    ) -> (f64, f64) {
        let sg = if self.family.is_integrator() { 0.0 } else { self.surrogate.derivative(f.s) };
        let (b, g) = (self.leak.beta_at(n) as f64, self.leak.gamma_at(n) as f64);
        match self.order {
            Order::FireThenIntegrate => {
                let g_hat = b * gv + gvh;
                let (ru, rz) = self.reset_partials(n, f.z, v);
                (g_hat * ru + (gz + g_hat * rz) * sg, g * gv)
            }
            Order::IntegrateThenFire => {
                let (ru, rz) = self.reset_partials(n, f.z, f.v_hat);
                let g_hat = gv * ru + (gz + gv * rz) * sg + gvh;
                (b * g_hat, g * g_hat)
            }
        }
    }
}
