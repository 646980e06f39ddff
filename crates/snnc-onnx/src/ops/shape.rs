//! Unsqueeze, Squeeze, Concat, Reshape, Transpose, Gather and Slice.

use snnc_ir::{Op, SliceSpec};

use super::{Entry, Lowered, NodeCtx};
use crate::attrs;

/// The shape-manipulating ops. Axes and target shapes are read at import time.
pub(crate) const OPS: &[Entry] = &[
    Entry { domain: "", op_type: "Unsqueeze", convert: unsqueeze, static_inputs: &[1] },
    Entry { domain: "", op_type: "Squeeze", convert: squeeze, static_inputs: &[1] },
    Entry { domain: "", op_type: "Concat", convert: concat, static_inputs: &[] },
    Entry { domain: "", op_type: "Reshape", convert: reshape, static_inputs: &[1] },
    Entry { domain: "", op_type: "Transpose", convert: transpose, static_inputs: &[] },
    Entry { domain: "", op_type: "Gather", convert: gather, static_inputs: &[] },
    Entry { domain: "", op_type: "Slice", convert: slice, static_inputs: &[1, 2, 3, 4] },
];

/// Slice: starts, ends, axes and steps are constant inputs 1–4 from opset 10, attributes
/// before (without steps).
fn slice(ctx: &NodeCtx) -> Result<Lowered, String> {
    let spec = if ctx.opset < 10 {
        attrs::check_known(ctx.node, &["starts", "ends", "axes"])?;
        SliceSpec {
            starts: attrs::ints(ctx.node, "starts")?.ok_or("attribute 'starts' is required")?,
            ends: attrs::ints(ctx.node, "ends")?.ok_or("attribute 'ends' is required")?,
            axes: attrs::ints(ctx.node, "axes")?.unwrap_or_default(),
            steps: Vec::new(),
        }
    } else {
        attrs::check_known(ctx.node, &[])?;
        SliceSpec {
            starts: ctx.const_ints(1)?.ok_or("needs starts (input 1)")?,
            ends: ctx.const_ints(2)?.ok_or("needs ends (input 2)")?,
            axes: ctx.const_ints(3)?.unwrap_or_default(),
            steps: ctx.const_ints(4)?.unwrap_or_default(),
        }
    };
    Ok(Lowered { op: Op::Slice(spec), inputs: ctx.first_inputs(1) })
}

/// Axes from the `axes` attribute (opset < 13) or from constant input 1 (opset ≥ 13).
fn axes(ctx: &NodeCtx) -> Result<Option<Vec<i64>>, String> {
    attrs::check_known(ctx.node, &["axes"])?;
    let attr = attrs::ints(ctx.node, "axes")?;
    if ctx.opset < 13 {
        return Ok(attr);
    }
    if attr.is_some() {
        return Err(format!(
            "attribute 'axes' is not allowed at opset {} (axes are input 1 since opset 13)",
            ctx.opset
        ));
    }
    ctx.const_ints(1)
}

fn unsqueeze(ctx: &NodeCtx) -> Result<Lowered, String> {
    let axes = axes(ctx)?.ok_or("needs axes")?;
    Ok(Lowered { op: Op::Unsqueeze { axes }, inputs: ctx.first_inputs(1) })
}

fn squeeze(ctx: &NodeCtx) -> Result<Lowered, String> {
    let axes = axes(ctx)?.unwrap_or_default();
    Ok(Lowered { op: Op::Squeeze { axes }, inputs: ctx.first_inputs(1) })
}

fn concat(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &["axis"])?;
    let axis = attrs::int(ctx.node, "axis")?.ok_or("attribute 'axis' is required")?;
    Ok(ctx.all(Op::Concat { axis }))
}

fn reshape(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &["allowzero"])?;
    let shape = ctx.const_ints(1)?.ok_or("needs a target shape (input 1)")?;
    if attrs::int(ctx.node, "allowzero")?.unwrap_or(0) != 0 && shape.contains(&0) {
        return Err(format!(
            "allowzero=1 with a 0 in the target shape {shape:?} (zero-size tensors) is not supported"
        ));
    }
    Ok(Lowered { op: Op::Reshape { shape }, inputs: ctx.first_inputs(1) })
}

fn transpose(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &["perm"])?;
    let perm = attrs::ints(ctx.node, "perm")?.unwrap_or_default();
    let perm = perm
        .iter()
        .map(|&p| usize::try_from(p).map_err(|_| format!("perm {perm:?} has a negative entry")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ctx.all(Op::Transpose { perm }))
}

fn gather(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &["axis"])?;
    let axis = attrs::int(ctx.node, "axis")?.unwrap_or(0);
    Ok(ctx.all(Op::Gather { axis }))
}
