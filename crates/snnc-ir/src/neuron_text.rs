//! The neuron's step of one family member as source text: [`crate::neuron`]'s spike, reset and
//! reset partials evaluated on [`Code`] variables, so that the CUDA and WGSL kernels print the
//! very formulas the reference and the CPU kernels evaluate, not copies of them.

use crate::neuron;
use crate::{Code, Dialect, Family};

/// The expressions of one family member's step in one dialect. They read the variables `u`
/// (the pre-reset potential), `th` (the threshold; also the `subtract` reset's amount unless
/// the caller names another variable, [`StepText::with_amount`]), `r` (the reset potential), `s`
/// (`u − th`, which the kernel computes once, as it is also the surrogate's argument) and the
/// spike variable the caller names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepText {
    /// The spike(s) ([`neuron::spike`]), from `s`, `u` and `th`.
    pub spike: String,
    /// The potential after the reset ([`neuron::reset`]), from the spike, `u`, `th` and `r`.
    pub reset: String,
    /// ∂reset/∂u ([`neuron::reset_partials`]).
    pub du: String,
    /// ∂reset/∂z, `0` when the reset is detached ([`neuron::reset_partials`]).
    pub dz: String,
}

impl StepText {
    /// The step of member `f` in `dialect`, with the spike held in the variable `z`.
    pub fn new(dialect: Dialect, f: Family, z: &str) -> StepText {
        StepText::with_amount(dialect, f, z, "th")
    }

    /// The step of member `f` in `dialect`, with the spike held in the variable `z` and the
    /// `subtract` reset removing the variable `d` per spike (a cell with its own reset amount,
    /// [`crate::IafParams::reset_amount`]).
    pub fn with_amount(dialect: Dialect, f: Family, z: &str, d: &str) -> StepText {
        let var = |name: &str| Code::var(dialect, name);
        let spike = neuron::spike(f, var("s"), var("u"), var("th"));
        let reset = neuron::reset(f, var(z), var("u"), var(d), var("r"));
        let (du, dz) = neuron::reset_partials(f, var(z), var("u"), var(d), var("r"));
        StepText {
            spike: spike.text().to_string(),
            reset: reset.text().to_string(),
            du: du.text().to_string(),
            dz: dz.text().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Reset, ResetGrad, Spikes, Threshold};

    #[test]
    fn norse_prints_the_seed_formulas() {
        let t = StepText::new(Dialect::CudaF32, Family::NORSE, "zf");
        assert_eq!(t.spike, "(s > 0.0f ? 1.0f : 0.0f)");
        assert_eq!(t.reset, "(((1.0f - zf) * u) + (zf * r))");
        assert_eq!((t.du.as_str(), t.dz.as_str()), ("(1.0f - zf)", "(r - u)"));
    }

    #[test]
    fn members_print_their_own_choices() {
        let multi = Family {
            threshold: Threshold::Ge,
            reset: Reset::Subtract,
            reset_grad: ResetGrad::Detached,
            spikes: Spikes::Multi,
        };
        let t = StepText::new(Dialect::Wgsl, multi, "z");
        assert_eq!(t.spike, "select(bitcast<f32>(0u), trunc((u / th)), u > bitcast<f32>(0u))");
        assert_eq!(t.reset, "(u - (z * th))");
        assert_eq!(t.dz, "bitcast<f32>(0u)");
        let ge = Family { threshold: Threshold::Ge, ..Family::NORSE };
        assert_eq!(StepText::new(Dialect::CudaF32, ge, "z").spike, "(s >= 0.0f ? 1.0f : 0.0f)");
    }

    #[test]
    fn a_reset_amount_is_what_subtract_removes() {
        let sub =
            Family { reset: Reset::Subtract, reset_grad: ResetGrad::Attached, ..Family::NORSE };
        let t = StepText::with_amount(Dialect::CudaF32, sub, "zf", "rd");
        assert_eq!(t.reset, "(u - (zf * rd))");
        assert_eq!(t.dz, "(-rd)");
        assert_eq!(t.spike, "(s > 0.0f ? 1.0f : 0.0f)");
    }
}
