//! The gradient kernels of each op (the reverse rules of `snnc_interp`, see its crate docs).

use snnc_ir::{DType, Node, Op, Order, ValueId};

use crate::kernel_ew::{AddIntoK, EwGradK, EwInput, GatherK, GradRule, SliceK, TransposeK};
use crate::kernel_iaf::IafBackK;
use crate::lower::ctx::{Lower, Spec};
use crate::lower::select::{cast_is_alias, full_perm, in_value, split_axis};
use crate::lower::{backward_iaf, backward_linear, backward_window};
use crate::{BufId, Kernel, PlanError};

pub(crate) type R = Result<(), PlanError>;

/// The value of input slot `i` when its gradient is wanted.
pub(crate) fn want(l: &Lower, node: &Node, i: usize) -> Option<ValueId> {
    node.input(i).filter(|v| l.dep[v.0] != 0)
}

/// Emits the gradient kernels of node `ni` given its output gradients `gouts`.
pub(crate) fn node(l: &mut Lower, ni: usize, node: &Node, gouts: &[Option<BufId>]) -> R {
    let g0 = gouts.first().copied().flatten();
    match &node.op {
        Op::Iaf(p) | Op::IafFeedForwardStep(p) => {
            return backward_iaf::iaf(l, ni, node, p.clone(), gouts)
        }
        Op::IafRecurrent(_) | Op::IafStep(_) => return backward_iaf::recurrent(l, ni, node, gouts),
        Op::SpikeReset(p) => {
            let Some(v) = want(l, node, 0) else { return Ok(()) };
            let s = l.shape(v);
            let n = s.last().copied().unwrap_or(1);
            let params = p.to_iaf(Order::IntegrateThenFire);
            let (v_pre, gx) = (l.value(node, v)?, l.gdst_over(v));
            let (gz, gv_last) = (g0, gouts.get(1).copied().flatten());
            let rows = l.len_of(v).checked_div(n).unwrap_or(0);
            let (gv0, gu_last, gu0) = (None, None, None);
            let k =
                IafBackK { t: 1, b: rows, n, params, v_pre, gz, gv_last, gx, gv0, gu_last, gu0 };
            l.push(ni, l.dep[v.0], Kernel::IafBack(k));
            return Ok(());
        }
        _ => {}
    }
    let Some(g) = g0 else { return Ok(()) };
    let out = node.output(0).ok_or_else(|| PlanError::node(node, "no output"))?;
    let ew = |l: &mut Lower, slot: usize, rule: GradRule, ops: &[usize]| -> R {
        ew_grad(l, ni, node, (g, out), slot, rule, ops)
    };
    match &node.op {
        Op::Add => (0..2).try_for_each(|s| ew(l, s, GradRule::Scale(1.0), &[])),
        Op::Sub => {
            ew(l, 0, GradRule::Scale(1.0), &[])?;
            ew(l, 1, GradRule::Scale(-1.0), &[])
        }
        Op::Mul => {
            ew(l, 0, GradRule::Mul, &[1])?;
            ew(l, 1, GradRule::Mul, &[0])
        }
        Op::Div => {
            ew(l, 0, GradRule::DivNum, &[1])?;
            ew(l, 1, GradRule::DivDen, &[0, 1])
        }
        Op::Greater | Op::Less | Op::GreaterOrEqual | Op::LessOrEqual => {
            if !l.g.ty(in_value(node, 0)?).dtype.is_float() {
                return Ok(());
            }
            let greater = matches!(node.op, Op::Greater | Op::GreaterOrEqual);
            let surrogate = l.surrogate;
            for wrt_b in [false, true] {
                ew(
                    l,
                    usize::from(wrt_b),
                    GradRule::Compare { greater, wrt_b, surrogate },
                    &[0, 1],
                )?;
            }
            Ok(())
        }
        Op::Equal | Op::Not => Ok(()),
        Op::Neg => ew(l, 0, GradRule::Scale(-1.0), &[]),
        Op::Abs => ew(l, 0, GradRule::Abs, &[0]),
        // Piecewise constant: a zero gradient.
        Op::Sign | Op::Floor => ew(l, 0, GradRule::Scale(0.0), &[]),
        Op::Max | Op::Min => {
            let max = matches!(node.op, Op::Max);
            ew(l, 0, GradRule::Extremum { max, wrt_b: false }, &[0, 1])?;
            ew(l, 1, GradRule::Extremum { max, wrt_b: true }, &[0, 1])
        }
        Op::Clip => {
            let (lo, hi) = (node.input(1).is_some(), node.input(2).is_some());
            let ops: Vec<usize> = (0..3).filter(|&i| node.input(i).is_some()).collect();
            for part in 0..3u8 {
                if part == 0 || node.input(part as usize).is_some() {
                    ew(l, part as usize, GradRule::Clip { part, lo, hi }, &ops)?;
                }
            }
            Ok(())
        }
        Op::Slice(spec) => crate::lower::slice_clip::slice_back(l, ni, node, g, spec),
        Op::Relu => ew(l, 0, GradRule::Relu, &[0]),
        Op::Sigmoid => ew(l, 0, GradRule::Sigmoid, &[0]),
        Op::Tanh => ew(l, 0, GradRule::Tanh, &[0]),
        Op::Spike { surrogate } => ew(l, 0, GradRule::Spike(*surrogate), &[0]),
        Op::Where => {
            ew(l, 1, GradRule::WhereTrue, &[0])?;
            ew(l, 2, GradRule::WhereFalse, &[0])
        }
        Op::Cast { to } => {
            let from = l.g.ty(in_value(node, 0)?).dtype;
            let passes = match from {
                DType::F32 | DType::F64 => to.is_float(),
                DType::Bool => to.is_float() || *to == DType::Bool,
                DType::I64 => false,
            };
            if passes && cast_is_alias(from, *to) {
                add_into(l, ni, node, g)
            } else {
                Ok(())
            }
        }
        Op::Identity | Op::Reshape { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } => {
            add_into(l, ni, node, g)
        }
        // PyTorch's `detach()`: its operand gets no gradient from here.
        Op::Detach => Ok(()),
        Op::Gather { axis } => gather(l, ni, node, g, *axis),
        Op::Concat { axis } => concat(l, ni, node, g, *axis),
        Op::Transpose { perm } => transpose(l, ni, node, g, perm),
        Op::Constant { .. } => Ok(()),
        Op::Gemm { alpha, beta, trans_a, trans_b } => {
            backward_linear::gemm(l, ni, node, g, (*alpha, *beta), (*trans_a, *trans_b))
        }
        Op::MatMul => backward_linear::matmul(l, ni, node, g),
        Op::Linear { trans_b } | Op::SpikeLinear { trans_b } => {
            backward_linear::linear(l, ni, node, g, *trans_b)
        }
        Op::Iaf(_) | Op::IafFeedForwardStep(_) | Op::IafRecurrent(_) | Op::IafStep(_) => Ok(()),
        Op::SpikeReset(_) => Ok(()),
        Op::Conv(spec) => backward_window::conv(l, ni, node, g, spec),
        Op::Pool(spec) => backward_window::pool(l, ni, node, g, spec),
    }
}

/// One operand's gradient of an elementwise op; `ops` are the forward input slots the rule reads.
pub(crate) fn ew_grad(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    (g, out): (BufId, ValueId),
    slot: usize,
    rule: GradRule,
    ops: &[usize],
) -> R {
    if l.detached.contains(&(ni, slot)) {
        return Ok(());
    }
    let Some(v) = want(l, node, slot) else { return Ok(()) };
    let mut operands = Vec::with_capacity(ops.len());
    for &i in ops {
        let ov = in_value(node, i)?;
        operands.push(EwInput { buf: l.value(node, ov)?, shape: l.shape(ov) });
    }
    let (dst, acc) = l.gdst(ni, v);
    let (shape, dst_shape, pre) = (l.shape(out), l.shape(v), Vec::new());
    let k = EwGradK { shape, g, operands, rule, dst, dst_shape, acc, pre };
    l.push(ni, l.dep[v.0], Kernel::EwGrad(k));
    Ok(())
}

/// The gradient of an op that only relabels its operand's elements (Identity, Reshape, …):
/// the first contribution to the operand's gradient is `g` itself, no copy. Backward steps
/// run in reverse node order, so every reader of `g` (this node's backward alone) has run when
/// later contributions accumulate into it. A caller's seed is never written, so it is copied.
fn add_into(l: &mut Lower, ni: usize, node: &Node, g: BufId) -> R {
    let Some(v) = want(l, node, 0) else { return Ok(()) };
    let seed = matches!(l.bufs[l.root(g).0 as usize].spec, Spec::Seed(_));
    if l.grads[v.0].is_none() && !seed && l.len_of(v) == l.bufs[g.0 as usize].len {
        l.grads[v.0] = Some(g);
        return Ok(());
    }
    let (dst, acc) = l.gdst(ni, v);
    let len = l.len_of(v);
    l.push(ni, l.dep[v.0], Kernel::AddInto(AddIntoK { src: g, dst, len, acc }));
    Ok(())
}

fn gather(l: &mut Lower, ni: usize, node: &Node, g: BufId, axis: i64) -> R {
    let Some(v) = want(l, node, 0) else { return Ok(()) };
    let (_, outer, dim, inner) = split_axis(node, &l.shape(v), axis)?;
    let iv = in_value(node, 1)?;
    let (indices, n_idx) = (l.value(node, iv)?, l.len_of(iv));
    let (dst, acc) = l.gdst(ni, v);
    let k = GatherK { outer, dim, inner, indices, n_idx, src: g, dst, acc };
    l.push(ni, l.dep[v.0], Kernel::GatherBack(k));
    Ok(())
}

fn concat(l: &mut Lower, ni: usize, node: &Node, g: BufId, axis: i64) -> R {
    let out = node.output(0).ok_or_else(|| PlanError::node(node, "no output"))?;
    let (_, outer, src_dim, inner) = split_axis(node, &l.shape(out), axis)?;
    let mut start = 0;
    for slot in 0..node.inputs.len() {
        let len = split_axis(node, &l.shape(in_value(node, slot)?), axis)?.2;
        if let Some(v) = want(l, node, slot) {
            let (dst, acc) = l.gdst(ni, v);
            let k = SliceK { outer, src_dim, start, len, inner, src: g, dst, acc };
            l.push(ni, l.dep[v.0], Kernel::Slice(k));
        }
        start += len;
    }
    Ok(())
}

fn transpose(l: &mut Lower, ni: usize, node: &Node, g: BufId, perm: &[usize]) -> R {
    let Some(v) = want(l, node, 0) else { return Ok(()) };
    let out = node.output(0).ok_or_else(|| PlanError::node(node, "no output"))?;
    let perm = full_perm(perm, l.shape(v).len());
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    let (dst, acc) = l.gdst(ni, v);
    let k = TransposeK { shape: l.shape(out), perm: inv, src: g, dst, acc };
    l.push(ni, l.dep[v.0], Kernel::Transpose(k));
    Ok(())
}
