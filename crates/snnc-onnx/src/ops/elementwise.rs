//! Elementwise arithmetic, comparisons, logic, rounding, Where, Max/Min/Clip and activations.

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
    plain!("GreaterOrEqual", Op::GreaterOrEqual),
    plain!("LessOrEqual", Op::LessOrEqual),
    plain!("Equal", Op::Equal),
    plain!("Not", Op::Not),
    plain!("Abs", Op::Abs),
    plain!("Sign", Op::Sign),
    plain!("Floor", Op::Floor),
    Entry { domain: "", op_type: "Max", convert: |c| variadic(c, Op::Max), static_inputs: &[] },
    Entry { domain: "", op_type: "Min", convert: |c| variadic(c, Op::Min), static_inputs: &[] },
    Entry { domain: "", op_type: "Clip", convert: clip, static_inputs: &[] },
    plain!("Where", Op::Where),
    plain!("Relu", Op::Relu),
    plain!("Sigmoid", Op::Sigmoid),
    plain!("Tanh", Op::Tanh),
];

fn lower(ctx: &NodeCtx, op: Op) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &[])?;
    Ok(ctx.all(op))
}

/// ONNX Max/Min take 1 or more inputs: one is a copy, two the binary op.
fn variadic(ctx: &NodeCtx, op: Op) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &[])?;
    match ctx.inputs.len() {
        1 => Ok(ctx.all(Op::Identity)),
        2 => Ok(ctx.all(op)),
        n => Err(format!("{n} inputs are not supported (1 or 2)")),
    }
}

/// Clip: bounds are inputs 1 and 2 from opset 11; before, the attributes `min` and `max`.
fn clip(ctx: &NodeCtx) -> Result<Lowered, String> {
    if ctx.opset < 11 {
        return Err(format!(
            "Clip at opset {} (bounds as attributes) is not supported; opset 11 or later gives \
             them as inputs",
            ctx.opset
        ));
    }
    attrs::check_known(ctx.node, &[])?;
    Ok(ctx.all(Op::Clip))
}
