//! Pass 1, `select-kernels`: every live node becomes its kernel. Reshape-like ops and casts
//! that do not change the stored values become aliases; `Constant` nodes are constants.

use snnc_ir::{normalize_axis, DType, Node, Op, ValueId};

use crate::kernel_ew::{BinOp, ConcatK, EwInput, EwK, GatherK, Instr, TransposeK, UnOp};
use crate::lower::ctx::{Lower, Spec};
use crate::lower::{select_ops, select_window, slice_clip};
use crate::{Kernel, PlanError};

/// Runs the pass over every live node, in order.
pub(crate) fn run(l: &mut Lower) -> Result<(), PlanError> {
    let g = l.g;
    for (ni, node) in g.nodes().iter().enumerate() {
        if l.live[ni] {
            lower_node(l, ni, node)?;
        }
    }
    l.forward_len = l.steps.len();
    Ok(())
}

/// Whether a cast from `from` to `to` leaves the stored f32 values unchanged.
pub(crate) fn cast_is_alias(from: DType, to: DType) -> bool {
    to.is_float() || from == to || from == DType::Bool
}

fn dtype(l: &Lower, node: &Node, i: usize) -> Result<DType, PlanError> {
    node.input(i)
        .map(|v| l.g.ty(v).dtype)
        .ok_or_else(|| PlanError::node(node, format!("input {i} is missing")))
}

fn lower_node(l: &mut Lower, ni: usize, node: &Node) -> Result<(), PlanError> {
    match &node.op {
        Op::Constant { .. } => Ok(()),
        Op::Identity
        | Op::Detach
        | Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::Unsqueeze { .. } => alias(l, node),
        Op::Cast { to } => {
            let from = dtype(l, node, 0)?;
            if cast_is_alias(from, *to) {
                alias(l, node)
            } else {
                let op = if *to == DType::I64 { UnOp::Trunc } else { UnOp::NonZero };
                unary(l, ni, node, op)
            }
        }
        Op::Add => binary(l, ni, node, BinOp::Add),
        Op::Sub => binary(l, ni, node, BinOp::Sub),
        Op::Mul => binary(l, ni, node, BinOp::Mul),
        Op::Div if dtype(l, node, 0)? == DType::I64 => binary(l, ni, node, BinOp::DivInt),
        Op::Div => binary(l, ni, node, BinOp::Div),
        Op::Greater => binary(l, ni, node, BinOp::Greater),
        Op::Less => binary(l, ni, node, BinOp::Less),
        Op::GreaterOrEqual => binary(l, ni, node, BinOp::GreaterOrEqual),
        Op::LessOrEqual => binary(l, ni, node, BinOp::LessOrEqual),
        Op::Equal => binary(l, ni, node, BinOp::Equal),
        Op::Max => binary(l, ni, node, BinOp::Max),
        Op::Min => binary(l, ni, node, BinOp::Min),
        Op::Not => unary(l, ni, node, UnOp::Not),
        Op::Abs => unary(l, ni, node, UnOp::Abs),
        Op::Sign => unary(l, ni, node, UnOp::Sign),
        Op::Floor => unary(l, ni, node, UnOp::Floor),
        Op::Clip => slice_clip::clip(l, ni, node),
        Op::Slice(spec) => slice_clip::slice(l, ni, node, spec),
        Op::Neg => unary(l, ni, node, UnOp::Neg),
        Op::Relu => unary(l, ni, node, UnOp::Relu),
        Op::Sigmoid => unary(l, ni, node, UnOp::Sigmoid),
        Op::Tanh => unary(l, ni, node, UnOp::Tanh),
        Op::Spike { .. } => unary(l, ni, node, UnOp::Theta),
        Op::Where => ew(l, ni, node, 3, |r, d| Instr::Select { dst: d, c: r[0], a: r[1], b: r[2] }),
        Op::Gather { axis } => gather(l, ni, node, *axis),
        Op::Concat { axis } => concat(l, ni, node, *axis),
        Op::Transpose { perm } => transpose(l, ni, node, perm),
        Op::Gemm { alpha, beta, trans_a, trans_b } => {
            select_ops::gemm(l, ni, node, (*alpha, *beta), (*trans_a, *trans_b))
        }
        Op::MatMul => select_ops::matmul(l, ni, node),
        Op::Linear { trans_b } => select_ops::linear(l, ni, node, *trans_b, false),
        Op::SpikeLinear { trans_b } => select_ops::linear(l, ni, node, *trans_b, true),
        Op::Iaf(p) => select_ops::iaf(l, ni, node, supported(node, p)?, false),
        Op::IafFeedForwardStep(p) => select_ops::iaf(l, ni, node, supported(node, p)?, true),
        Op::IafRecurrent(p) => {
            select_ops::recurrent(l, ni, node, supported_recurrent(node, p)?, false)
        }
        Op::IafStep(p) => select_ops::recurrent(l, ni, node, supported_recurrent(node, p)?, true),
        Op::SpikeReset(p) => {
            supported(node, &p.to_iaf(snnc_ir::Order::IntegrateThenFire))?;
            select_ops::reset(l, ni, node, p)
        }
        Op::Conv(spec) => select_window::conv(l, ni, node, spec),
        Op::Pool(spec) => select_window::pool(l, ni, node, spec),
    }
}

/// The neuron's parameters, checked: the family's choices (SPEC §1.1) go together. Every
/// member and every leaky cell (SPEC §1.2) lowers; each engine checks the plan's kernels
/// ([`Kernel::family`]) against what it implements before running them.
fn supported<'a>(
    node: &Node,
    p: &'a snnc_ir::IafParams,
) -> Result<&'a snnc_ir::IafParams, PlanError> {
    p.family.check().map_err(|m| PlanError::node(node, m))?;
    Ok(p)
}

/// As [`supported`], for the recurrent layers, whose kernels hand spikes from one step to the
/// next as bits: spike counts (`spikes = multi`) are refused with the node named.
fn supported_recurrent<'a>(
    node: &Node,
    p: &'a snnc_ir::IafParams,
) -> Result<&'a snnc_ir::IafParams, PlanError> {
    if p.family.spikes == snnc_ir::Spikes::Multi {
        return Err(PlanError::node(
            node,
            "the compiled engines do not implement recurrent layers with spikes = multi yet",
        ));
    }
    supported(node, p)
}

/// The output shares the input's storage.
fn alias(l: &mut Lower, node: &Node) -> Result<(), PlanError> {
    let src = l.req(node, 0)?;
    if let Some(o) = node.output(0) {
        l.val[o.0] = Some(l.buf(Spec::Alias(src), l.len_of(o)));
    }
    Ok(())
}

fn unary(l: &mut Lower, ni: usize, node: &Node, op: UnOp) -> Result<(), PlanError> {
    ew(l, ni, node, 1, |r, d| Instr::Un { dst: d, op, a: r[0] })
}

fn binary(l: &mut Lower, ni: usize, node: &Node, op: BinOp) -> Result<(), PlanError> {
    ew(l, ni, node, 2, |r, d| Instr::Bin { dst: d, op, a: r[0], b: r[1] })
}

/// One elementwise op as a one-instruction program: load the `n` inputs, apply, store.
fn ew(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    n: usize,
    instr: impl FnOnce(&[u16], u16) -> Instr,
) -> Result<(), PlanError> {
    let mut inputs = Vec::with_capacity(n);
    let mut code = Vec::with_capacity(n + 1);
    for i in 0..n {
        let v =
            node.input(i).ok_or_else(|| PlanError::node(node, format!("input {i} is missing")))?;
        inputs.push(EwInput { buf: l.value(node, v)?, shape: l.shape(v) });
        code.push(Instr::Load { dst: i as u16, input: i as u16 });
    }
    let regs: Vec<u16> = (0..n as u16).collect();
    code.push(instr(&regs, n as u16));
    let Some(out) = node.output(0) else { return Ok(()) };
    let shape = l.shape(out);
    let Some(y) = l.output(node, 0) else { return Ok(()) };
    let k = EwK { shape, inputs, code, regs: n as u16 + 1, stores: vec![(n as u16, y)] };
    l.forward(ni, Kernel::Ew(k));
    Ok(())
}

/// `[outer, dim, inner]` of `shape` around `axis`.
pub(crate) fn split_axis(
    node: &Node,
    shape: &[usize],
    axis: i64,
) -> Result<(usize, usize, usize, usize), PlanError> {
    let a = normalize_axis(axis, shape.len())
        .ok_or_else(|| PlanError::node(node, format!("axis {axis} is out of range")))?;
    Ok((a, shape[..a].iter().product(), shape[a], shape[a + 1..].iter().product()))
}

fn gather(l: &mut Lower, ni: usize, node: &Node, axis: i64) -> Result<(), PlanError> {
    let (src, indices) = (l.req(node, 0)?, l.req(node, 1)?);
    let shape = l.shape(in_value(node, 0)?);
    let (_, outer, dim, inner) = split_axis(node, &shape, axis)?;
    let n_idx = l.len_of(in_value(node, 1)?);
    let Some(dst) = l.output(node, 0) else { return Ok(()) };
    let k = GatherK { outer, dim, inner, indices, n_idx, src, dst, acc: false };
    l.forward(ni, Kernel::Gather(k));
    Ok(())
}

fn concat(l: &mut Lower, ni: usize, node: &Node, axis: i64) -> Result<(), PlanError> {
    let mut parts = Vec::new();
    let (mut outer, mut inner) = (0, 0);
    for v in node.inputs.iter() {
        let v = v.ok_or_else(|| PlanError::node(node, "Concat inputs cannot be omitted"))?;
        let (_, o, d, i) = split_axis(node, &l.shape(v), axis)?;
        (outer, inner) = (o, i);
        parts.push((l.value(node, v)?, d));
    }
    let Some(dst) = l.output(node, 0) else { return Ok(()) };
    l.forward(ni, Kernel::Concat(ConcatK { outer, inner, parts, dst }));
    Ok(())
}

/// The full permutation of a Transpose (the reversal when `perm` is empty).
pub(crate) fn full_perm(perm: &[usize], rank: usize) -> Vec<usize> {
    if perm.is_empty() {
        (0..rank).rev().collect()
    } else {
        perm.to_vec()
    }
}

fn transpose(l: &mut Lower, ni: usize, node: &Node, perm: &[usize]) -> Result<(), PlanError> {
    let src = l.req(node, 0)?;
    let shape = l.shape(in_value(node, 0)?);
    let perm = full_perm(perm, shape.len());
    let Some(dst) = l.output(node, 0) else { return Ok(()) };
    l.forward(ni, Kernel::Transpose(TransposeK { shape, perm, src, dst, acc: false }));
    Ok(())
}

/// The input value of slot `i` (for callers that already checked it is present).
pub(crate) fn in_value(node: &Node, i: usize) -> Result<ValueId, PlanError> {
    node.input(i).ok_or_else(|| PlanError::node(node, format!("input {i} is missing")))
}
