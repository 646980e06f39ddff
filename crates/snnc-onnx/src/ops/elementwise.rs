//! Elementwise arithmetic, comparisons, Where and activations (none has attributes).

use snnc_ir::Op;

use super::{Entry, Lowered, NodeCtx};
use crate::attrs;

macro_rules! plain {
    ($name:literal, $op:expr) => {
        Entry { domain: "", op_type: $name, convert: |c| lower(c, $op), static_inputs: &[] }
    };
}

/// The attribute-free elementwise ops.
pub(crate) const OPS: &[Entry] = &[
    plain!("Add", Op::Add),
    plain!("Sub", Op::Sub),
    plain!("Mul", Op::Mul),
    plain!("Div", Op::Div),
    plain!("Neg", Op::Neg),
    plain!("Greater", Op::Greater),
    plain!("Less", Op::Less),
    plain!("Where", Op::Where),
    plain!("Relu", Op::Relu),
    plain!("Sigmoid", Op::Sigmoid),
    plain!("Tanh", Op::Tanh),
];

fn lower(ctx: &NodeCtx, op: Op) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &[])?;
    Ok(ctx.all(op))
}
