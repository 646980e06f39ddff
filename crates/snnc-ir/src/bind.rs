//! Matching a caller's named tensors to a signature (a graph's inputs, or the outputs that
//! take upstream gradients), with the checks and messages every engine shares.

use std::collections::HashSet;

use thiserror::Error;

use crate::{DType, Tensor, TensorType};

/// A caller's tensors that do not fit the signature they are bound to. Each variant names the
/// input or output and says what was expected and what was given.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum BindError {
    /// A value was passed for a name that is not a graph input.
    #[error("unknown input '{name}' (the graph's inputs are: {known})")]
    UnknownInput {
        /// The name that was passed.
        name: String,
        /// The graph's input names, comma-separated.
        known: String,
    },
    /// A graph input was given more than once.
    #[error("input '{0}' is given more than once")]
    DuplicateInput(String),
    /// A graph input was not given.
    #[error("missing input '{name}' (expected {expected})")]
    MissingInput {
        /// The input's name.
        name: String,
        /// Its declared type, e.g. `f32[8,2,5]`.
        expected: String,
    },
    /// A graph input was given with the wrong element type or shape.
    #[error("input '{name}': expected {expected}, got {got}")]
    InputType {
        /// The input's name.
        name: String,
        /// The declared type.
        expected: String,
        /// The type of the given data.
        got: String,
    },
    /// An upstream gradient was passed for a name that is not a graph output.
    #[error("gradient given for '{name}', which is not a graph output (the outputs are: {known})")]
    UnknownGradOutput {
        /// The name that was passed.
        name: String,
        /// The graph's output names, comma-separated.
        known: String,
    },
    /// An upstream gradient was given more than once for the same output.
    #[error("gradient for output '{0}' is given more than once")]
    DuplicateGradOutput(String),
    /// An upstream gradient does not fit its output.
    #[error("gradient for output '{name}': expected {expected}, got {got}")]
    GradOutputType {
        /// The output's name.
        name: String,
        /// What is accepted.
        expected: String,
        /// What was given.
        got: String,
    },
}

/// One named, typed place of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    /// The value's name.
    pub name: &'a str,
    /// Its element type.
    pub dtype: DType,
    /// Its shape.
    pub shape: &'a [usize],
}

impl Slot<'_> {
    fn ty(&self) -> String {
        TensorType::new(self.dtype, self.shape.to_vec()).to_string()
    }
}

fn names(slots: &[Slot]) -> String {
    slots.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// Binds `given` to the input `slots`: every slot exactly once, by name, with its shape and
/// its dtype (any float dtype for a float slot). Returns the tensors in slot order.
pub fn bind_inputs<'t>(
    slots: &[Slot],
    given: &'t [(String, Tensor)],
) -> Result<Vec<&'t Tensor>, BindError> {
    let mut out: Vec<Option<&'t Tensor>> = vec![None; slots.len()];
    for (name, t) in given {
        let Some(i) = slots.iter().position(|s| s.name == name) else {
            return Err(BindError::UnknownInput { name: name.clone(), known: names(slots) });
        };
        if out[i].is_some() {
            return Err(BindError::DuplicateInput(name.clone()));
        }
        let s = &slots[i];
        let dtype_ok = s.dtype == t.dtype() || (s.dtype.is_float() && t.dtype().is_float());
        if !dtype_ok || t.shape() != s.shape {
            let got = t.tensor_type().to_string();
            return Err(BindError::InputType { name: name.clone(), expected: s.ty(), got });
        }
        out[i] = Some(t);
    }
    out.into_iter()
        .zip(slots)
        .map(|(t, s)| {
            t.ok_or_else(|| BindError::MissingInput { name: s.name.into(), expected: s.ty() })
        })
        .collect()
}

/// Binds upstream gradients to the output `slots`: each at most once, by name (the first slot
/// of that name), float data of the output's shape; an integer output takes none. Returns one
/// entry per slot, `None` where no gradient was given.
pub fn bind_grad_outputs<'t>(
    slots: &[Slot],
    given: &'t [(String, Tensor)],
) -> Result<Vec<Option<&'t Tensor>>, BindError> {
    let mut out: Vec<Option<&'t Tensor>> = vec![None; slots.len()];
    let mut seen = HashSet::new();
    for (name, t) in given {
        let Some(i) = slots.iter().position(|s| s.name == name) else {
            return Err(BindError::UnknownGradOutput { name: name.clone(), known: names(slots) });
        };
        if !seen.insert(i) {
            return Err(BindError::DuplicateGradOutput(name.clone()));
        }
        let s = &slots[i];
        let got = t.tensor_type().to_string();
        if s.dtype == DType::I64 {
            let expected = "none: an integer output has no gradient".to_string();
            return Err(BindError::GradOutputType { name: name.clone(), expected, got });
        }
        if !t.dtype().is_float() || t.shape() != s.shape {
            let expected = format!("float data of shape {:?}", s.shape);
            return Err(BindError::GradOutputType { name: name.clone(), expected, got });
        }
        out[i] = Some(t);
    }
    Ok(out)
}
