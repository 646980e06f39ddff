//! The leaky cell's parameters (SPEC §1.2) and which potential a sequence op reports.
//!
//! Per step, with input current x_t: `u_t = α·u_{t−1} + x_t`, then
//! `v̂ = v_leak + β·(v_{t−1} − v_leak) + γ·u_t`, after which the §1.1 choices fire and reset.
//! The integrate-and-fire cell is α = 0, β = γ = 1 (v_leak then cancels), so [`Leak::default`]
//! is the IF cell and every IAF op is the leaky cell's special case.

use crate::choice::choice;

/// α, β, γ and v_leak of a population: one value (a scalar, broadcast over neurons) or one per
/// neuron each.
#[derive(Debug, Clone, PartialEq)]
pub struct Leak {
    /// α: the synaptic current's decay per step (0: no synapse, u_t = x_t).
    pub alpha: Vec<f32>,
    /// β: the potential's decay toward v_leak per step.
    pub beta: Vec<f32>,
    /// γ: the gain of the current into the potential.
    pub gamma: Vec<f32>,
    /// v_leak: the potential the leak decays toward.
    pub v_leak: Vec<f32>,
}

impl Default for Leak {
    /// The integrate-and-fire cell: α = 0, β = 1, γ = 1, v_leak = 0.
    fn default() -> Self {
        Leak { alpha: vec![0.0], beta: vec![1.0], gamma: vec![1.0], v_leak: vec![0.0] }
    }
}

fn at(v: &[f32], n: usize) -> f32 {
    if v.len() == 1 {
        v[0]
    } else {
        v[n]
    }
}

impl Leak {
    /// α of neuron `n`.
    pub fn alpha_at(&self, n: usize) -> f32 {
        at(&self.alpha, n)
    }

    /// β of neuron `n`.
    pub fn beta_at(&self, n: usize) -> f32 {
        at(&self.beta, n)
    }

    /// γ of neuron `n`.
    pub fn gamma_at(&self, n: usize) -> f32 {
        at(&self.gamma, n)
    }

    /// v_leak of neuron `n`.
    pub fn v_leak_at(&self, n: usize) -> f32 {
        at(&self.v_leak, n)
    }

    /// True when every neuron has a synaptic current (some α ≠ 0): the cell then carries the
    /// current u as a second state, and its ops take U0 and give U_T.
    pub fn has_current(&self) -> bool {
        self.alpha.iter().any(|&a| a != 0.0)
    }

    /// True when the potential integrates without a leak (β = γ = 1 for every neuron): then
    /// `v̂ = v + u` whatever v_leak is.
    pub fn is_integrating(&self) -> bool {
        self.beta.iter().all(|&b| b == 1.0) && self.gamma.iter().all(|&g| g == 1.0)
    }

    /// True for the integrate-and-fire cell (no current, no leak).
    pub fn is_if(&self) -> bool {
        !self.has_current() && self.is_integrating()
    }

    /// The four parameters with their attribute names, in SPEC order.
    pub fn named(&self) -> [(&'static str, &[f32]); 4] {
        [
            ("alpha_syn", &self.alpha),
            ("beta", &self.beta),
            ("gamma", &self.gamma),
            ("v_leak", &self.v_leak),
        ]
    }

    /// Checks that each parameter has 1 or `neurons` values, all finite.
    pub fn check(&self, neurons: usize) -> Result<(), String> {
        for (name, v) in self.named() {
            if v.len() != 1 && v.len() != neurons {
                return Err(format!(
                    "{name} has {} values but the layer has {neurons} neurons (expected 1 or {neurons})",
                    v.len()
                ));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(format!("{name} must be finite"));
            }
        }
        Ok(())
    }
}

choice! {
    /// Which potential a sequence op's V_T output reports.
    VOut, "v_out", default AfterReset,
    /// The state: the potential after the last step's reset (Norse, SpikingJelly, sinabs).
    AfterReset => "after_reset",
    /// The potential v̂ of the last step before its reset (snnTorch's `mem`); only for the
    /// integrate-then-fire order, whose reset follows v̂ within the step.
    BeforeReset => "before_reset",
}
