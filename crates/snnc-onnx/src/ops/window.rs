//! Conv, AveragePool, MaxPool and Flatten, and `Pow` with a constant exponent of 1 (how
//! PyTorch exports sinabs' `SumPool2d`, an `LPPool2d` with p = 1: `Pow(x, 1)`, AveragePool,
//! `Sign·Relu(Abs)`, a multiplication by the kernel's size, `Pow(·, 1)`).

use snnc_ir::{ConvSpec, Op, PoolKind, PoolSpec};

use super::{Entry, Lowered, NodeCtx};
use crate::attrs;

/// The window ops and Flatten.
pub(crate) const OPS: &[Entry] = &[
    Entry { domain: "", op_type: "Conv", convert: conv, static_inputs: &[] },
    Entry { domain: "", op_type: "AveragePool", convert: average_pool, static_inputs: &[] },
    Entry { domain: "", op_type: "MaxPool", convert: max_pool, static_inputs: &[] },
    Entry { domain: "", op_type: "Flatten", convert: flatten, static_inputs: &[] },
    Entry { domain: "", op_type: "Pow", convert: pow, static_inputs: &[1] },
];

/// A list of non-negative integers from an `INTS` attribute.
fn sizes(ctx: &NodeCtx, name: &str) -> Result<Option<Vec<usize>>, String> {
    attrs::ints(ctx.node, name)?
        .map(|v| {
            v.iter()
                .map(|&x| usize::try_from(x))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| format!("attribute '{name}' {v:?} has a negative entry"))
        })
        .transpose()
}

/// Refuses `auto_pad` other than NOTSET and `ceil_mode = 1`.
fn check_geometry(ctx: &NodeCtx) -> Result<(), String> {
    if let Some(p) = attrs::string(ctx.node, "auto_pad")? {
        if p != "NOTSET" {
            return Err(format!(
                "auto_pad = {p} is not supported (only NOTSET, with explicit pads)"
            ));
        }
    }
    match attrs::int(ctx.node, "ceil_mode")?.unwrap_or(0) {
        0 => Ok(()),
        1 => Err("ceil_mode = 1 is not supported (only floor: ceil_mode = 0)".into()),
        v => Err(format!("attribute 'ceil_mode' must be 0 or 1, got {v}")),
    }
}

fn conv(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(
        ctx.node,
        &["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"],
    )?;
    check_geometry(ctx)?;
    let group = attrs::int(ctx.node, "group")?.unwrap_or(1);
    let group = usize::try_from(group)
        .ok()
        .filter(|&g| g >= 1)
        .ok_or_else(|| format!("attribute 'group' must be at least 1, got {group}"))?;
    if let (Some(k), Some(w)) = (sizes(ctx, "kernel_shape")?, ctx.inputs.get(1).copied().flatten())
    {
        let ws = &ctx.graph.ty(w).shape;
        if ws.len() < 3 || ws[2..] != k[..] {
            return Err(format!("kernel_shape {k:?} does not match the weight's shape {ws:?}"));
        }
    }
    let spec = ConvSpec {
        strides: sizes(ctx, "strides")?.unwrap_or_default(),
        pads: sizes(ctx, "pads")?.unwrap_or_default(),
        dilations: sizes(ctx, "dilations")?.unwrap_or_default(),
        group,
    };
    Ok(ctx.all(Op::Conv(spec)))
}

fn pool(ctx: &NodeCtx, kind: PoolKind) -> Result<Lowered, String> {
    check_geometry(ctx)?;
    if sizes(ctx, "dilations")?.is_some_and(|d| d.iter().any(|&x| x != 1)) {
        return Err("dilations other than 1 are not supported for pooling".into());
    }
    if attrs::int(ctx.node, "storage_order")?.unwrap_or(0) != 0 {
        return Err("storage_order = 1 is not supported".into());
    }
    if ctx.node.output.get(1).is_some_and(|o| !o.is_empty()) {
        return Err("the Indices output is not supported".into());
    }
    let spec = PoolSpec {
        kind,
        kernel: sizes(ctx, "kernel_shape")?.ok_or("attribute 'kernel_shape' is required")?,
        strides: sizes(ctx, "strides")?.unwrap_or_default(),
        pads: sizes(ctx, "pads")?.unwrap_or_default(),
    };
    Ok(Lowered { op: Op::Pool(spec), inputs: ctx.first_inputs(1) })
}

fn average_pool(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(
        ctx.node,
        &[
            "auto_pad",
            "ceil_mode",
            "count_include_pad",
            "dilations",
            "kernel_shape",
            "pads",
            "strides",
        ],
    )?;
    let count_include_pad = match attrs::int(ctx.node, "count_include_pad")?.unwrap_or(0) {
        0 => false,
        1 => true,
        v => return Err(format!("attribute 'count_include_pad' must be 0 or 1, got {v}")),
    };
    pool(ctx, PoolKind::Avg { count_include_pad })
}

fn max_pool(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(
        ctx.node,
        &["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"],
    )?;
    pool(ctx, PoolKind::Max)
}

/// Flatten(axis) as a Reshape to [d_0·…·d_{axis−1}, d_axis·…] (the input's shape is static).
fn flatten(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &["axis"])?;
    let x = ctx.inputs.first().copied().flatten().ok_or("needs an input")?;
    let shape = &ctx.graph.ty(x).shape;
    let axis = attrs::int(ctx.node, "axis")?.unwrap_or(1);
    let r = shape.len() as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if !(0..=r).contains(&a) {
        return Err(format!("axis {axis} is out of range for rank {r}"));
    }
    let (head, tail) = shape.split_at(a as usize);
    let dim = |d: &[usize]| i64::try_from(d.iter().product::<usize>()).map_err(|e| e.to_string());
    let target = vec![dim(head)?, dim(tail)?];
    Ok(Lowered { op: Op::Reshape { shape: target }, inputs: ctx.first_inputs(1) })
}

/// `Pow(x, e)` with a constant exponent e = 1 is x (its gradient is 1 everywhere, as
/// PyTorch's); any other exponent is refused.
fn pow(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &[])?;
    let e = ctx.const_input(1)?.ok_or("needs an exponent (input 1)")?;
    let values = e.to_f64();
    if values.len() != 1 || values.iter().any(|&v| v != 1.0) {
        return Err(format!(
            "only a constant exponent of 1 is supported (sinabs' SumPool2d), got {}",
            e.tensor_type()
        ));
    }
    Ok(Lowered { op: Op::Identity, inputs: ctx.first_inputs(1) })
}
