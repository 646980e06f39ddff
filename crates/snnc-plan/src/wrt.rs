use std::fmt;
use std::str::FromStr;

/// Which gradients a training run computes (`--wrt`). Gradient kernels that only lead to
/// values outside the set are skipped, so `Params` never computes ∂L/∂X of data inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Wrt {
    /// Float initializers (weights and parameters) only.
    Params,
    /// Float graph inputs only.
    Inputs,
    /// Both.
    #[default]
    All,
}

/// Mask bit of values that depend on a float initializer.
pub const NEED_PARAMS: u8 = 1;
/// Mask bit of values that depend on a float graph input.
pub const NEED_INPUTS: u8 = 2;
/// Mask of steps that always run (the forward pass).
pub const NEED_ALWAYS: u8 = NEED_PARAMS | NEED_INPUTS;

impl Wrt {
    /// The mask bits of the gradients this setting asks for.
    pub fn mask(self) -> u8 {
        match self {
            Wrt::Params => NEED_PARAMS,
            Wrt::Inputs => NEED_INPUTS,
            Wrt::All => NEED_ALWAYS,
        }
    }

    /// The spelling `--wrt` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Wrt::Params => "params",
            Wrt::Inputs => "inputs",
            Wrt::All => "all",
        }
    }
}

impl fmt::Display for Wrt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Wrt {
    type Err = String;

    /// Parses `params`, `inputs` or `all`.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "params" => Ok(Wrt::Params),
            "inputs" => Ok(Wrt::Inputs),
            "all" => Ok(Wrt::All),
            other => Err(format!("unknown --wrt '{other}' (expected params, inputs or all)")),
        }
    }
}
