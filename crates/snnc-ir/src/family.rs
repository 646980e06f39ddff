//! The four choices that make one member of the integrate-and-fire family (SPEC §1.1).
//!
//! Every library spells the same cell with a threshold comparison, a reset rule, a reset that
//! gradients do or do not flow through, and single or multiple spikes per step. Each choice is
//! an attribute of every IAF op; the defaults are Norse's, so `Family::default()` is the cell of
//! SPEC §1's table.

use crate::choice::choice;

choice! {
    /// When a neuron fires: `z = [v̂ − v_th > 0]` or `z = [v̂ − v_th ≥ 0]`.
    Threshold, "threshold", default Gt,
    /// Strictly above the threshold (Norse, snnTorch).
    Gt => "gt",
    /// At or above the threshold (SpikingJelly, sinabs).
    Ge => "ge",
}

choice! {
    /// What a spike does to the potential.
    Reset, "reset", default Value,
    /// `v = (1 − z)·v̂ + z·v_reset`.
    Value => "value",
    /// `v = v̂ − z·v_th`.
    Subtract => "subtract",
    /// `v = v̂`.
    None => "none",
}

choice! {
    /// Whether gradients flow through the spike inside the reset.
    ResetGrad, "reset_grad", default Attached,
    /// The reset's dependence on z is differentiated (Norse, SpikingJelly's default).
    Attached => "attached",
    /// The reset treats z as a constant (snnTorch, SpikingJelly `detach_reset=True`).
    Detached => "detached",
}

choice! {
    /// How many spikes a neuron emits in one step.
    Spikes, "spikes", default Single,
    /// z ∈ {0, 1}.
    Single => "single",
    /// z = [v̂ > 0]·trunc(v̂ / v_th), with the `subtract` reset (sinabs `MultiSpike`).
    Multi => "multi",
    /// No threshold: a leaky integrator (LI, SPEC §1.2), whose per-step output is the
    /// potential v̂ itself and which never resets.
    None => "none",
}

/// One member of the integrate-and-fire family: the four choices of SPEC §1.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Family {
    /// The threshold comparison.
    pub threshold: Threshold,
    /// The reset rule.
    pub reset: Reset,
    /// Whether the reset is differentiated through the spike.
    pub reset_grad: ResetGrad,
    /// Single or multiple spikes per step.
    pub spikes: Spikes,
}

impl Family {
    /// Norse's cell: `gt`, `value`, `attached`, `single`.
    pub const NORSE: Family = Family {
        threshold: Threshold::Gt,
        reset: Reset::Value,
        reset_grad: ResetGrad::Attached,
        spikes: Spikes::Single,
    };

    /// The leaky integrator: no spikes, no reset.
    pub const LI: Family = Family {
        threshold: Threshold::Gt,
        reset: Reset::None,
        reset_grad: ResetGrad::Attached,
        spikes: Spikes::None,
    };

    /// True for a leaky integrator (no threshold; the per-step output is the potential).
    pub fn is_integrator(&self) -> bool {
        self.spikes == Spikes::None
    }

    /// Checks that the choices go together: multiple spikes need the `subtract` reset (a
    /// neuron that emitted k spikes gives back k thresholds) and the `ge` comparison
    /// (trunc(v̂ / v_th) is 1 at v̂ = v_th).
    ///
    /// A leaky integrator (`spikes = none`) has no threshold and no reset: it needs
    /// `reset = none`, and its threshold and reset gradient keep their defaults, so that one
    /// member stands for it.
    pub fn check(&self) -> Result<(), String> {
        if self.spikes == Spikes::None {
            let li = Family::LI;
            if self.reset != li.reset {
                return Err(format!(
                    "spikes = none (a leaky integrator) needs reset = none (got reset = {})",
                    self.reset
                ));
            }
            if self.threshold != li.threshold || self.reset_grad != li.reset_grad {
                return Err(
                    "spikes = none (a leaky integrator) has no threshold: leave threshold and \
                     reset_grad at their defaults"
                        .into(),
                );
            }
        }
        if self.spikes == Spikes::Multi {
            if self.reset != Reset::Subtract {
                return Err(format!(
                    "spikes = multi needs reset = subtract (got reset = {})",
                    self.reset
                ));
            }
            if self.threshold != Threshold::Ge {
                return Err(format!(
                    "spikes = multi needs threshold = ge (got threshold = {})",
                    self.threshold
                ));
            }
        }
        Ok(())
    }

    /// Every spiking member whose choices go together ([`Family::check`]), in declaration
    /// order; the leaky integrator ([`Family::LI`]) is the one member left out.
    pub fn members() -> Vec<Family> {
        let mut out = Vec::new();
        for &threshold in Threshold::ALL {
            for &reset in Reset::ALL {
                for &reset_grad in ResetGrad::ALL {
                    for &spikes in Spikes::ALL {
                        let f = Family { threshold, reset, reset_grad, spikes };
                        if !f.is_integrator() && f.check().is_ok() {
                            out.push(f);
                        }
                    }
                }
            }
        }
        out
    }

    /// True for Norse's cell, the one every engine has always computed.
    pub fn is_norse(&self) -> bool {
        *self == Family::NORSE
    }

    /// `name = value` for each choice that differs from Norse's, comma-separated ("" for
    /// Norse's cell): what an error about an unsupported member names.
    pub fn describe(&self) -> String {
        let d = Family::NORSE;
        let mut parts = Vec::new();
        if self.threshold != d.threshold {
            parts.push(format!("threshold = {}", self.threshold));
        }
        if self.reset != d.reset {
            parts.push(format!("reset = {}", self.reset));
        }
        if self.reset_grad != d.reset_grad {
            parts.push(format!("reset_grad = {}", self.reset_grad));
        }
        if self.spikes != d.spikes {
            parts.push(format!("spikes = {}", self.spikes));
        }
        parts.join(", ")
    }
}
