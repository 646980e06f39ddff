use std::fmt;
use std::str::FromStr;

use crate::{Family, Leak, Reset, Surrogate, VOut};

/// Update order of an integrate-and-fire step (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Order {
    /// z = Θ(v − v_th); v̂ = reset(v); v = v̂ + I  (the seed, Norse ≤ 0.0.7; the `snn` default).
    FireThenIntegrate,
    /// v̂ = v + I; z = Θ(v̂ − v_th); v = reset(v̂)  (Norse ≥ 1.0).
    IntegrateThenFire,
}

impl Order {
    /// The attribute spelling of the order.
    pub fn name(self) -> &'static str {
        match self {
            Order::FireThenIntegrate => "fire_then_integrate",
            Order::IntegrateThenFire => "integrate_then_fire",
        }
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Order {
    type Err = String;

    /// Parses the attribute spelling; anything else is an error.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "fire_then_integrate" => Ok(Order::FireThenIntegrate),
            "integrate_then_fire" => Ok(Order::IntegrateThenFire),
            other => Err(format!(
                "unknown order '{other}' (expected fire_then_integrate or integrate_then_fire)"
            )),
        }
    }
}

/// Parameters shared by the four integrate-and-fire ops, which are the leaky cell of SPEC §1.2
/// (the IF cell when `leak` is [`Leak::default`]).
///
/// `v_th` and `v_reset` hold one value (a scalar, broadcast over neurons) or one per neuron.
/// With a synaptic current ([`Leak::has_current`]) each op takes the current's state as one
/// more optional input (after the others) and reports it as one more output (last).
#[derive(Debug, Clone, PartialEq)]
pub struct IafParams {
    /// Threshold(s), length 1 or N.
    pub v_th: Vec<f32>,
    /// Reset potential(s), length 1 or N.
    pub v_reset: Vec<f32>,
    /// Surrogate used by the backward pass.
    pub surrogate: Surrogate,
    /// Update order.
    pub order: Order,
    /// Threshold, reset, reset gradient and spike count (SPEC §1.1).
    pub family: Family,
    /// α, β, γ and v_leak (SPEC §1.2).
    pub leak: Leak,
    /// Which potential the sequence ops' V_T reports.
    pub v_out: VOut,
    /// What the `subtract` reset removes per spike, length 1 or N; `None`: v_th (SPEC §1.1).
    /// snnTorch subtracts v_th after the next step's decay, which is v_th/β before it.
    pub reset_amount: Option<Vec<f32>>,
}

impl Default for IafParams {
    /// v_th = 1, v_reset = 0, `super:100`, fire-then-integrate, Norse's family choices (the
    /// `snn` domain's defaults).
    fn default() -> Self {
        IafParams {
            v_th: vec![1.0],
            v_reset: vec![0.0],
            surrogate: Surrogate::default(),
            order: Order::FireThenIntegrate,
            family: Family::default(),
            leak: Leak::default(),
            v_out: VOut::AfterReset,
            reset_amount: None,
        }
    }
}

/// The value of neuron `n` in a list of one value (a scalar) or one per neuron.
fn at(v: &[f32], n: usize) -> f32 {
    if v.len() == 1 {
        v[0]
    } else {
        v[n]
    }
}

/// Checks that a `reset_amount` goes with the `subtract` reset: the other resets remove no
/// amount, so an attribute there is a mistake rather than something to ignore.
fn check_amount(amount: &Option<Vec<f32>>, family: &Family) -> Result<(), String> {
    if amount.is_some() && family.reset != Reset::Subtract {
        return Err(format!("reset_amount needs reset = subtract (got reset = {})", family.reset));
    }
    Ok(())
}

impl IafParams {
    /// Threshold of neuron `n`.
    pub fn v_th_at(&self, n: usize) -> f32 {
        if self.v_th.len() == 1 {
            self.v_th[0]
        } else {
            self.v_th[n]
        }
    }

    /// Reset potential of neuron `n`.
    pub fn v_reset_at(&self, n: usize) -> f32 {
        if self.v_reset.len() == 1 {
            self.v_reset[0]
        } else {
            self.v_reset[n]
        }
    }

    /// What the `subtract` reset removes from neuron `n` per spike: its reset amount, or
    /// its threshold when the cell has none.
    pub fn reset_amount_at(&self, n: usize) -> f32 {
        match &self.reset_amount {
            Some(a) => at(a, n),
            None => self.v_th_at(n),
        }
    }

    /// Checks that every parameter vector has length 1 or `neurons` and is finite, that the
    /// family's choices go together ([`Family::check`]), and that `v_out = before_reset` comes
    /// with the integrate-then-fire order (the other order's V_T is already before its reset).
    pub fn check(&self, neurons: usize) -> Result<(), String> {
        self.family.check()?;
        self.leak.check(neurons)?;
        if self.v_out == VOut::BeforeReset && self.order != Order::IntegrateThenFire {
            return Err("v_out = before_reset needs order = integrate_then_fire".into());
        }
        check_amount(&self.reset_amount, &self.family)?;
        let amount = self.reset_amount.as_ref().map(|a| ("reset_amount", a));
        for (name, v) in
            [("v_th", &self.v_th), ("v_reset", &self.v_reset)].into_iter().chain(amount)
        {
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

/// Parameters of the fused spike-and-reset op ([`Op::SpikeReset`](crate::Op::SpikeReset)).
///
/// `v_th` and `v_reset` hold one value (broadcast over neurons) or one per neuron (the last axis).
#[derive(Debug, Clone, PartialEq)]
pub struct ResetParams {
    /// Threshold(s), length 1 or N.
    pub v_th: Vec<f32>,
    /// Reset potential(s), length 1 or N.
    pub v_reset: Vec<f32>,
    /// Surrogate used by the backward pass.
    pub surrogate: Surrogate,
    /// Threshold, reset, reset gradient and spike count (SPEC §1.1).
    pub family: Family,
    /// What the `subtract` reset removes per spike, length 1 or N; `None`: v_th.
    pub reset_amount: Option<Vec<f32>>,
}

impl ResetParams {
    /// The same parameters as an integrate-and-fire op's of order `order`.
    pub fn to_iaf(&self, order: Order) -> IafParams {
        IafParams {
            v_th: self.v_th.clone(),
            v_reset: self.v_reset.clone(),
            surrogate: self.surrogate,
            order,
            family: self.family,
            leak: Leak::default(),
            v_out: VOut::AfterReset,
            reset_amount: self.reset_amount.clone(),
        }
    }

    /// Checks that both parameter vectors have length 1 or `neurons` and are finite, and that
    /// the family's choices go together.
    pub fn check(&self, neurons: usize) -> Result<(), String> {
        self.to_iaf(Order::IntegrateThenFire).check(neurons)
    }
}
