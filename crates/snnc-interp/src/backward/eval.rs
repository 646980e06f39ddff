//! Reverse rule of every op: the gradient of each input slot from the output gradients.

use ndarray::ArrayD;
use snnc_ir::{DType, Op, Surrogate};

use crate::backward::elementwise::{
    arith_back, clip_back, compare_back, extremum_back, unary_back, where_back,
};
use crate::backward::linear::{gemm_back, linear_back, matmul_back};
use crate::backward::shape::{concat_back, gather_back, transpose_back};
use crate::forward::eval::data;
use crate::forward::slice::slice_back;
use crate::iaf;
use crate::value::{reshaped, Arg};
use crate::window;

/// Whether `Cast` from `from` to `to` passes the gradient through unchanged: float → float,
/// bool → float (the spike of a plain export, see the crate docs) and bool → bool. Casts to or
/// from integers and float → bool carry no gradient.
pub(crate) fn cast_passes(from: DType, to: DType) -> bool {
    match from {
        DType::F32 | DType::F64 => to.is_float(),
        DType::Bool => to.is_float() || to == DType::Bool,
        DType::I64 => false,
    }
}

/// Gradients of `op`'s input slots (`None`: no gradient) given its inputs `args` and the
/// gradients `gouts` of its output slots (`None`: zero). `sg` is the surrogate of Greater/Less.
pub(crate) fn eval(
    op: &Op,
    args: &[Option<Arg>],
    gouts: &[Option<ArrayD<f64>>],
    sg: &Surrogate,
) -> Result<Vec<Option<ArrayD<f64>>>, String> {
    if let Some(p) = op.iaf_params() {
        return iaf::ops::backward(op, p, args, gouts);
    }
    if let Op::SpikeReset(p) = op {
        let dtype = args.first().copied().flatten().map(|a| a.ty.dtype).ok_or("no input")?;
        let g = |i: usize| gouts.get(i).and_then(|g| g.as_ref());
        return Ok(vec![Some(iaf::reset::backward(p, dtype, data(args, 0)?, g(0), g(1))?)]);
    }
    let Some(g) = gouts.first().and_then(|g| g.as_ref()) else {
        return Ok(Vec::new());
    };
    let x = || data(args, 0);
    let y = || data(args, 1);
    Ok(match op {
        Op::Gemm { alpha, beta, trans_a, trans_b } => {
            let c = args.get(2).copied().flatten().map(|a| a.data);
            let scale = (*alpha as f64, *beta as f64);
            gemm_back(x()?, y()?, c, g, scale, (*trans_a, *trans_b))?.into()
        }
        Op::MatMul => matmul_back(x()?, y()?, g)?.into(),
        Op::Add | Op::Sub | Op::Mul | Op::Div => arith_back(op, x()?, y()?, g)?.into(),
        Op::Greater | Op::Less | Op::GreaterOrEqual | Op::LessOrEqual => {
            let float = args.first().copied().flatten().is_some_and(|a| a.ty.dtype.is_float());
            if !float {
                return Ok(Vec::new());
            }
            let greater = matches!(op, Op::Greater | Op::GreaterOrEqual);
            compare_back(greater, x()?, y()?, g, sg)?.into()
        }
        // `Detach` passes no gradient (PyTorch's `detach()`).
        Op::Equal | Op::Not | Op::Detach => Vec::new(),
        Op::Neg
        | Op::Identity
        | Op::Relu
        | Op::Sigmoid
        | Op::Tanh
        | Op::Spike { .. }
        | Op::Abs
        | Op::Sign
        | Op::Floor => vec![Some(unary_back(op, x()?, g)?)],
        Op::Max | Op::Min => extremum_back(matches!(op, Op::Max), x()?, y()?, g)?.into(),
        Op::Clip => {
            let opt = |i: usize| args.get(i).copied().flatten().map(|a| a.data);
            clip_back(x()?, opt(1), opt(2), g)?
        }
        Op::Slice(spec) => vec![Some(slice_back(x()?.shape(), spec, g)?)],
        Op::Cast { to } => {
            let from = args.first().copied().flatten().map(|a| a.ty.dtype);
            if from.is_some_and(|f| cast_passes(f, *to)) {
                vec![Some(g.clone())]
            } else {
                Vec::new()
            }
        }
        Op::Where => where_back(x()?, y()?, data(args, 2)?, g)?.into(),
        Op::Gather { axis } => vec![Some(gather_back(x()?.shape(), y()?, *axis, g)?), None],
        Op::Unsqueeze { .. } | Op::Squeeze { .. } | Op::Reshape { .. } => {
            vec![Some(reshaped(g, x()?.shape())?)]
        }
        Op::Concat { axis } => {
            let shapes = (0..args.len())
                .map(|i| data(args, i).map(|d| d.shape()))
                .collect::<Result<Vec<_>, _>>()?;
            concat_back(&shapes, *axis, g)?
        }
        Op::Transpose { perm } => vec![Some(transpose_back(perm, g)?)],
        Op::Constant { .. } => Vec::new(),
        Op::Linear { trans_b } | Op::SpikeLinear { trans_b } => {
            let bias = args.get(2).copied().flatten().map(|a| a.data);
            linear_back(x()?, y()?, bias, g, *trans_b)?.into()
        }
        Op::Conv(spec) => {
            let bias = args.get(2).copied().flatten().map(|a| a.data);
            window::conv::backward(spec, x()?, y()?, bias, g)?
        }
        Op::Pool(spec) => vec![Some(window::pool::backward(spec, x()?, g)?)],
        Op::Iaf(_)
        | Op::IafRecurrent(_)
        | Op::IafFeedForwardStep(_)
        | Op::IafStep(_)
        | Op::SpikeReset(_) => {
            return Err("integrate-and-fire op reached the generic rule (internal error)".into())
        }
    })
}
