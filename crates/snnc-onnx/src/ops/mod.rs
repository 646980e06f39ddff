//! One converter per ONNX op family, registered by `(domain, op_type)`.

mod elementwise;
mod linear;
mod misc;
mod shape;
mod snn;
mod window;

use std::collections::HashMap;
use std::path::Path;

use snnc_ir::{Graph, Op, Tensor, ValueId};
use tract_onnx::pb::NodeProto;

/// What a converter makes of one ONNX node: one IR op applied to `inputs`.
pub(crate) struct Lowered {
    /// The IR op.
    pub op: Op,
    /// The IR inputs (static ONNX inputs such as axes or shapes are dropped).
    pub inputs: Vec<Option<ValueId>>,
}

/// Everything a converter may look at.
pub(crate) struct NodeCtx<'a> {
    /// The ONNX node.
    pub node: &'a NodeProto,
    /// Each ONNX input resolved to an IR value (`None` for an omitted input, or for a static
    /// input whose producer was folded away).
    pub inputs: Vec<Option<ValueId>>,
    /// The default-domain opset version.
    pub opset: i64,
    /// The model's folder (for tensors stored as external data).
    pub model_dir: &'a Path,
    /// The graph built so far.
    pub graph: &'a Graph,
    /// Outputs of `Constant` nodes, by value name.
    pub consts: &'a HashMap<String, Tensor>,
}

impl NodeCtx<'_> {
    /// The constant behind ONNX input `i` (an initializer or a `Constant` node's output);
    /// `Ok(None)` when the input is omitted, an error when it is computed at run time.
    pub fn const_input(&self, i: usize) -> Result<Option<&Tensor>, String> {
        let name = match self.node.input.get(i) {
            Some(n) if !n.is_empty() => n,
            _ => return Ok(None),
        };
        if let Some(t) = self.consts.get(name) {
            return Ok(Some(t));
        }
        match self.graph.find(name).and_then(|id| self.graph.initializer(id)) {
            Some(t) => Ok(Some(t)),
            None => Err(format!(
                "input {i} ('{name}') must be a constant (an initializer or a Constant node's output)"
            )),
        }
    }

    /// Constant input `i` as integers.
    pub fn const_ints(&self, i: usize) -> Result<Option<Vec<i64>>, String> {
        match self.const_input(i)? {
            Some(t) => t.as_i64_vec().map(Some).ok_or_else(|| {
                format!("input {i} must be an int64 tensor, got {}", t.tensor_type())
            }),
            None => Ok(None),
        }
    }

    /// The first `n` resolved inputs.
    pub fn first_inputs(&self, n: usize) -> Vec<Option<ValueId>> {
        self.inputs.iter().take(n).copied().collect()
    }

    /// The lowering of `op` over all the node's inputs.
    pub fn all(&self, op: Op) -> Lowered {
        Lowered { op, inputs: self.inputs.clone() }
    }
}

/// A converter: ONNX node → IR op, or a message (the caller adds the file and node).
pub(crate) type Convert = fn(&NodeCtx) -> Result<Lowered, String>;

/// A registry entry.
pub(crate) struct Entry {
    /// Normalized domain (`""` for the default domain).
    pub domain: &'static str,
    /// ONNX `op_type`.
    pub op_type: &'static str,
    /// The converter.
    pub convert: Convert,
    /// Input positions the op reads at import time (axes, shapes), not at run time.
    pub static_inputs: &'static [usize],
}

const FAMILIES: [&[Entry]; 6] =
    [linear::OPS, elementwise::OPS, shape::OPS, misc::OPS, snn::OPS, window::OPS];

/// The converter registered for `(domain, op_type)` (`domain` already normalized).
pub(crate) fn lookup(domain: &str, op_type: &str) -> Option<&'static Entry> {
    FAMILIES.iter().flat_map(|f| f.iter()).find(|e| e.domain == domain && e.op_type == op_type)
}
