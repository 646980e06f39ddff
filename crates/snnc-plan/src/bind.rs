//! The caller's tensors as the engines take them: inputs and upstream gradients checked
//! against the plan's signature (the checks `snnc_interp` makes) and converted to f32, and
//! f32 results back to tensors of the graph's dtypes.

use std::borrow::Cow;

use snnc_ir::{bind_grad_outputs, bind_inputs, BindError, Slot, Tensor};

use crate::{Plan, Sig};

/// The forward outputs and the gradients of one training run of a plan, as every engine
/// returns them.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// The forward outputs, in graph order, each in its declared dtype.
    pub outputs: Vec<(String, Tensor)>,
    /// One gradient per float graph input (in input order), then one per float initializer
    /// (in value order), keyed by the value's name, keeping those `wrt` asks for.
    pub grads: Vec<(String, Tensor)>,
}

impl Sig {
    /// This value as a binding slot.
    pub fn slot(&self) -> Slot<'_> {
        Slot { name: &self.name, dtype: self.dtype, shape: &self.shape }
    }

    /// `data` (f32, as a plan stores every value) as a tensor of this value's dtype and shape.
    pub fn tensor(&self, data: &[f32]) -> Result<Tensor, String> {
        Tensor::from_f32_data(self.dtype, &self.shape, data)
            .map_err(|e| format!("value '{}': {e}", self.name))
    }
}

impl Plan {
    /// Binds `given` to the graph inputs ([`snnc_ir::bind_inputs`]) and returns their data as
    /// f32, in input order (borrowed where it already is contiguous f32).
    pub fn bind_inputs<'t>(
        &self,
        given: &'t [(String, Tensor)],
    ) -> Result<Vec<Cow<'t, [f32]>>, BindError> {
        let slots: Vec<Slot> = self.inputs().iter().map(Sig::slot).collect();
        Ok(bind_inputs(&slots, given)?.into_iter().map(Tensor::to_f32_data).collect())
    }

    /// Binds upstream gradients to the graph outputs ([`snnc_ir::bind_grad_outputs`]): one
    /// entry per output, in output order, zeros where none was given.
    pub fn bind_grad_outputs<'t>(
        &self,
        given: &'t [(String, Tensor)],
    ) -> Result<Vec<Cow<'t, [f32]>>, BindError> {
        let slots: Vec<Slot> = self.outputs().iter().map(Sig::slot).collect();
        let bound = bind_grad_outputs(&slots, given)?;
        Ok(bound
            .into_iter()
            .zip(self.outputs())
            .map(|(t, s)| t.map_or_else(|| Cow::Owned(vec![0.0; s.len()]), Tensor::to_f32_data))
            .collect())
    }
}
