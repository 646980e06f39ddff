use std::fmt;
use std::str::FromStr;

/// Element type of a tensor value.
///
/// The set is what SNN exports need: float weights and activations, 64-bit integer indices and
/// shapes, and booleans from comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// IEEE-754 binary32.
    F32,
    /// IEEE-754 binary64.
    F64,
    /// Signed 64-bit integer.
    I64,
    /// Boolean.
    Bool,
}

impl DType {
    /// True for the floating-point types (the ones that carry gradients).
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// Lower-case name used by the text IR and in messages (`f32`, `f64`, `i64`, `bool`).
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::I64 => "i64",
            DType::Bool => "bool",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DType {
    type Err = String;

    /// Parses the names that [`DType::name`] prints.
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "f32" => Ok(DType::F32),
            "f64" => Ok(DType::F64),
            "i64" => Ok(DType::I64),
            "bool" => Ok(DType::Bool),
            other => Err(format!("unknown dtype '{other}' (expected f32, f64, i64 or bool)")),
        }
    }
}
