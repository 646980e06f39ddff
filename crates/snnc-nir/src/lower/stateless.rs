//! One time step of the stateless nodes: Affine, Linear, Scale, Threshold, Flatten, Conv1d,
//! Conv2d, SumPool2d, AvgPool2d.

use snnc_ir::{ConvSpec, DType, IrError, Op, PoolKind, PoolSpec, Tensor, ValueId};

use super::emit::Emit;
use crate::nodes::affine::{AffineNode, ScaleNode};
use crate::nodes::conv::{ConvNode, PoolNode};
use crate::nodes::shape_ops::{FlattenNode, ThresholdNode};

/// An Affine/Linear node's weights (initializers `<node>.weight`, `<node>.bias`).
pub(crate) struct AffineWeights {
    w: ValueId,
    b: Option<ValueId>,
}

/// Declares `a`'s weights, named after the node.
pub(crate) fn affine_weights(
    e: &mut Emit,
    name: &str,
    a: &AffineNode,
) -> Result<AffineWeights, IrError> {
    let w = e.weight(&format!("{name}.weight"), &a.weight)?;
    let b = match &a.bias {
        Some(b) => Some(e.weight(&format!("{name}.bias"), b)?),
        None => None,
    };
    Ok(AffineWeights { w, b })
}

/// y = x·Wᵀ (+ b) for x `[B, in]`.
pub(crate) fn affine(
    e: &mut Emit,
    base: &str,
    w: &AffineWeights,
    x: ValueId,
) -> Result<ValueId, IrError> {
    let gemm = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true };
    let mut ins = vec![x, w.w];
    ins.extend(w.b);
    e.op(base, gemm, &ins)
}

/// A Scale node's factors (initializer `<node>.scale`).
pub(crate) fn scale_weight(e: &mut Emit, name: &str, s: &ScaleNode) -> Result<ValueId, IrError> {
    e.weight(&format!("{name}.scale"), &s.scale)
}

/// z = Cast(x − threshold > 0).
pub(crate) fn threshold(
    e: &mut Emit,
    base: &str,
    th: ValueId,
    x: ValueId,
) -> Result<ValueId, IrError> {
    let zero = e.constant(base, Tensor::scalar_f32(0.0))?;
    let s = e.op(base, Op::Sub, &[x, th])?;
    let gt = e.op(base, Op::Greater, &[s, zero])?;
    e.op(base, Op::Cast { to: DType::F32 }, &[gt])
}

/// The threshold constant of a Threshold node.
pub(crate) fn threshold_const(
    e: &mut Emit,
    name: &str,
    t: &ThresholdNode,
) -> Result<ValueId, IrError> {
    e.param(&format!("{name}/threshold"), &t.threshold)
}

/// Flattens the feature dimensions of x `[B, features...]`.
pub(crate) fn flatten(
    e: &mut Emit,
    base: &str,
    f: &FlattenNode,
    x: ValueId,
) -> Result<ValueId, String> {
    let shape = e.g.ty(x).shape.clone();
    let out = f.output_shape(&shape[1..])?;
    let mut target = vec![shape[0] as i64];
    target.extend(out.iter().map(|&d| d as i64));
    e.op(base, Op::Reshape { shape: target }, &[x]).map_err(|err| err.to_string())
}

/// A Conv node's weights (initializers `<node>.weight`, `<node>.bias`) and the IR op.
pub(crate) struct ConvWeights<'a> {
    node: &'a ConvNode,
    w: ValueId,
    b: ValueId,
    spec: ConvSpec,
}

fn sizes(v: &[i64]) -> Vec<usize> {
    // The parser checked that every value is at least 0 (pads) or 1 (strides, dilations).
    v.iter().map(|&x| x as usize).collect()
}

/// Declares `c`'s weights, named after the node.
pub(crate) fn conv_weights<'a>(
    e: &mut Emit,
    name: &str,
    c: &'a ConvNode,
) -> Result<ConvWeights<'a>, IrError> {
    let w = e.weight(&format!("{name}.weight"), &c.weight)?;
    let bias = crate::Array { shape: vec![c.bias.data.len()], data: c.bias.data.clone() };
    let b = e.weight(&format!("{name}.bias"), &bias)?;
    let mut pads = sizes(&c.padding);
    pads.extend(sizes(&c.padding_end));
    let spec = ConvSpec {
        strides: sizes(&c.stride),
        pads,
        dilations: sizes(&c.dilation),
        group: c.groups as usize,
    };
    Ok(ConvWeights { node: c, w, b, spec })
}

/// The convolution of x `[B, in, spatial...]` (per sample), plus the bias.
pub(crate) fn conv(
    e: &mut Emit,
    base: &str,
    c: &ConvWeights,
    x: ValueId,
) -> Result<ValueId, String> {
    let shape = e.g.ty(x).shape.clone();
    c.node.output_shape(&shape[1..])?;
    e.op(base, Op::Conv(c.spec.clone()), &[x, c.w, c.b]).map_err(|err| err.to_string())
}

/// The IR pool of a SumPool2d / AvgPool2d node.
pub(crate) fn pool_spec(p: &PoolNode) -> PoolSpec {
    let kind = if p.average { PoolKind::Avg { count_include_pad: true } } else { PoolKind::Sum };
    PoolSpec {
        kind,
        kernel: sizes(&p.kernel_size),
        strides: sizes(&p.stride),
        pads: sizes(&[p.padding.clone(), p.padding.clone()].concat()),
    }
}

/// The pool of x `[B, channels, h, w]` (per sample).
pub(crate) fn pool(
    e: &mut Emit,
    base: &str,
    p: &PoolNode,
    spec: &PoolSpec,
    x: ValueId,
) -> Result<ValueId, String> {
    let shape = e.g.ty(x).shape.clone();
    p.output_shape(&shape[1..])?;
    e.op(base, Op::Pool(spec.clone()), &[x]).map_err(|err| err.to_string())
}
