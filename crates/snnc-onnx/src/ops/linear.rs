//! Gemm and MatMul.

use snnc_ir::Op;

use super::{Entry, Lowered, NodeCtx};
use crate::attrs;

/// The linear-algebra ops.
pub(crate) const OPS: &[Entry] = &[
    Entry { domain: "", op_type: "Gemm", convert: gemm, static_inputs: &[] },
    Entry { domain: "", op_type: "MatMul", convert: matmul, static_inputs: &[] },
];

fn flag(ctx: &NodeCtx, name: &str) -> Result<bool, String> {
    match attrs::int(ctx.node, name)?.unwrap_or(0) {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(format!("attribute '{name}' must be 0 or 1, got {v}")),
    }
}

fn gemm(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &["alpha", "beta", "transA", "transB"])?;
    let op = Op::Gemm {
        alpha: attrs::float(ctx.node, "alpha")?.unwrap_or(1.0),
        beta: attrs::float(ctx.node, "beta")?.unwrap_or(1.0),
        trans_a: flag(ctx, "transA")?,
        trans_b: flag(ctx, "transB")?,
    };
    Ok(ctx.all(op))
}

fn matmul(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &[])?;
    Ok(ctx.all(Op::MatMul))
}
