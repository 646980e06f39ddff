//! Forward rule of every op: the f64 result of each output slot, before rounding to the dtype.

use ndarray::ArrayD;
use snnc_ir::{DType, Op, TensorType};

use crate::forward::elementwise::{
    binary, check_int_divisor, clip, flag, max_nan, min_nan, relu, select, sigmoid, sign, theta,
};
use crate::forward::linear::{gemm, linear, matmul};
use crate::forward::shape::{concat, gather, transpose};
use crate::forward::slice::slice;
use crate::iaf;
use crate::value::{reshaped, Arg};
use crate::window;

/// Input `i`'s data.
pub(crate) fn data<'a>(args: &[Option<Arg<'a>>], i: usize) -> Result<&'a ArrayD<f64>, String> {
    args.get(i).copied().flatten().map(|a| a.data).ok_or_else(|| format!("input {i} is missing"))
}

/// Evaluates `op` on `args`; `outs` are the inferred types of all output slots. The caller
/// rounds each result to its dtype.
pub(crate) fn eval(
    op: &Op,
    args: &[Option<Arg>],
    outs: &[TensorType],
) -> Result<Vec<ArrayD<f64>>, String> {
    let shape = outs.first().map(|t| t.shape.as_slice()).unwrap_or(&[]);
    let x = || data(args, 0);
    let bin = |f: fn(f64, f64) -> f64| binary(data(args, 0)?, data(args, 1)?, shape, f);
    let un = |f: fn(f64) -> f64| -> Result<ArrayD<f64>, String> { Ok(x()?.mapv(f)) };
    let y = match op {
        Op::Gemm { alpha, beta, trans_a, trans_b } => {
            let c = args.get(2).copied().flatten().map(|a| a.data);
            gemm(x()?, data(args, 1)?, c, (*alpha as f64, *beta as f64), (*trans_a, *trans_b))?
        }
        Op::MatMul => matmul(x()?, data(args, 1)?, shape)?,
        Op::Add => bin(|a, b| a + b)?,
        Op::Sub => bin(|a, b| a - b)?,
        Op::Mul => bin(|a, b| a * b)?,
        Op::Div => {
            if outs.first().map(|t| t.dtype) == Some(DType::I64) {
                check_int_divisor(data(args, 1)?)?;
            }
            bin(|a, b| a / b)?
        }
        Op::Greater => bin(|a, b| flag(a > b))?,
        Op::Less => bin(|a, b| flag(a < b))?,
        Op::GreaterOrEqual => bin(|a, b| flag(a >= b))?,
        Op::LessOrEqual => bin(|a, b| flag(a <= b))?,
        Op::Equal => bin(|a, b| flag(a == b))?,
        Op::Not => un(|a| flag(a == 0.0))?,
        Op::Abs => un(f64::abs)?,
        Op::Sign => un(sign)?,
        Op::Floor => un(f64::floor)?,
        Op::Max => bin(max_nan)?,
        Op::Min => bin(min_nan)?,
        Op::Clip => {
            let opt = |i: usize| args.get(i).copied().flatten().map(|a| a.data);
            clip(x()?, opt(1), opt(2), shape)?
        }
        Op::Slice(spec) => slice(x()?, spec)?,
        Op::Neg => un(|a| -a)?,
        Op::Cast { .. } | Op::Identity | Op::Detach => x()?.clone(),
        Op::Where => select(x()?, data(args, 1)?, data(args, 2)?, shape)?,
        Op::Gather { axis } => gather(x()?, data(args, 1)?, *axis, shape)?,
        Op::Unsqueeze { .. } | Op::Squeeze { .. } | Op::Reshape { .. } => reshaped(x()?, shape)?,
        Op::Concat { axis } => {
            let parts = (0..args.len()).map(|i| data(args, i)).collect::<Result<Vec<_>, _>>()?;
            concat(&parts, *axis)?
        }
        Op::Transpose { perm } => transpose(x()?, perm)?,
        Op::Constant { value } => value.to_f64(),
        Op::Relu => un(relu)?,
        Op::Sigmoid => un(sigmoid)?,
        Op::Tanh => un(f64::tanh)?,
        Op::Spike { .. } => un(theta)?,
        Op::Iaf(p) | Op::IafRecurrent(p) | Op::IafFeedForwardStep(p) | Op::IafStep(p) => {
            return iaf::ops::forward(op, p, args)
        }
        Op::Linear { trans_b } | Op::SpikeLinear { trans_b } => {
            let bias = args.get(2).copied().flatten().map(|a| a.data);
            linear(x()?, data(args, 1)?, bias, *trans_b, shape)?
        }
        Op::Conv(spec) => {
            let bias = args.get(2).copied().flatten().map(|a| a.data);
            window::conv::forward(spec, x()?, data(args, 1)?, bias, shape)?
        }
        Op::Pool(spec) => window::pool::forward(spec, x()?, shape)?,
        Op::SpikeReset(p) => {
            let dtype = args.first().copied().flatten().map(|a| a.ty.dtype).ok_or("no input")?;
            let (z, v) = iaf::reset::forward(p, dtype, x()?)?;
            return Ok(vec![z, v]);
        }
    };
    Ok(vec![y])
}
