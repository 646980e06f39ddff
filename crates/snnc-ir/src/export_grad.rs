//! The gradient choices that a plain ONNX export loses (SPEC §1.1, §3).
//!
//! An export without the `snn` ops keeps the forward pass of a cell but neither the surrogate
//! of its spike nor a `detach()` on its reset, so the user picks both at compile time
//! (`--surrogate M[:A]`, `--reset-grad attached|detached`). They travel together from the
//! command line to the reference interpreter, the optimizer and the compiled plan.

use std::fmt;

use crate::{ResetGrad, Surrogate};

/// The compile-time backward of a plain export's spikes and resets.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ExportGrad {
    /// The backward of Θ where the spike is spelt as a comparison (+ `Cast`); default
    /// `super:100`.
    pub surrogate: Surrogate,
    /// Whether the reset is differentiated through the spike; default `attached`.
    pub reset_grad: ResetGrad,
}

impl ExportGrad {
    /// The choices `surrogate` and `reset_grad`.
    pub fn new(surrogate: Surrogate, reset_grad: ResetGrad) -> Self {
        ExportGrad { surrogate, reset_grad }
    }
}

impl fmt::Display for ExportGrad {
    /// `surrogate M:A, reset-grad attached|detached`, as messages name the choices.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "surrogate {}, reset-grad {}", self.surrogate, self.reset_grad)
    }
}
