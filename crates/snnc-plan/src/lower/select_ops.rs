//! Pass 1 for the ops with dedicated kernels: matrix products, linear layers, and the
//! integrate-and-fire ops.

use snnc_ir::{IafParams, Node, Op, ResetParams, Spikes, ValueId};

use crate::kernel_iaf::{IafK, RecK, ResetK};
use crate::lower::ctx::Lower;
use crate::lower::select::in_value;
use crate::plan::PackSpec;
use crate::{BiasK, BufId, Kernel, LinearK, MmEntry, MmK, Opnd, PlanError, WRef};

/// Gemm's operands as strided matrices: `(op(A), op(B), m, n, k)`.
pub(crate) fn gemm_operands(
    l: &Lower,
    node: &Node,
    (ta, tb): (bool, bool),
) -> Result<(Opnd, Opnd, usize, usize, usize), PlanError> {
    let (a, b) = (l.req(node, 0)?, l.req(node, 1)?);
    let (sa, sb) = (l.shape(in_value(node, 0)?), l.shape(in_value(node, 1)?));
    if sa.len() != 2 || sb.len() != 2 {
        return Err(PlanError::node(node, "Gemm operands must be matrices"));
    }
    let (m, k) = if ta { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
    let n = if tb { sb[0] } else { sb[1] };
    let ao = if ta { Opnd { buf: a, rs: 1, cs: m } } else { Opnd { buf: a, rs: k, cs: 1 } };
    let bo = if tb { Opnd { buf: b, rs: 1, cs: k } } else { Opnd { buf: b, rs: n, cs: 1 } };
    Ok((ao, bo, m, n, k))
}

/// One product writing (or accumulating into) the whole of C.
pub(crate) fn single(acc: bool) -> Vec<MmEntry> {
    vec![MmEntry { a_off: 0, b_off: 0, c_off: 0, acc }]
}

/// Gemm: the product, then `y + beta·C` when C is given.
pub(crate) fn gemm(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    (alpha, beta): (f32, f32),
    trans: (bool, bool),
) -> Result<(), PlanError> {
    let (a, b, m, n, k) = gemm_operands(l, node, trans)?;
    let c = l.input(node, 2)?;
    let Some(y) = l.output(node, 0) else { return Ok(()) };
    l.forward(ni, Kernel::Mm(MmK { m, n, k, a, b, c: y, c_rs: n, alpha, entries: single(false) }));
    if let (Some(cb), Some(cv)) = (c, node.input(2)) {
        let cs = l.shape(cv);
        let cn = if cs.is_empty() { 1 } else { cs[cs.len() - 1] };
        let cm = if cs.len() < 2 { 1 } else { cs[cs.len() - 2] };
        let (c_rs, c_cs) = (if cm == 1 { 0 } else { cn }, if cn == 1 { 0 } else { 1 });
        let bias = BiasK { y, rows: m, cols: n, alpha: 1.0, c: Some(cb), c_rs, c_cs, beta };
        l.push(ni, crate::NEED_ALWAYS, Kernel::Bias(bias));
    }
    Ok(())
}

/// How a batched, broadcasting MatMul pairs up matrices (NumPy rules; vectors promoted).
pub(crate) struct MatMulPlan {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    /// For each output matrix: (index of its A matrix, index of its B matrix).
    pub pairs: Vec<(usize, usize)>,
}

/// Plans `a @ b` for operand shapes `sa`, `sb`.
pub(crate) fn matmul_plan(
    node: &Node,
    sa: &[usize],
    sb: &[usize],
) -> Result<MatMulPlan, PlanError> {
    if sa.is_empty() || sb.is_empty() {
        return Err(PlanError::node(node, "MatMul operands must have rank ≥ 1"));
    }
    let pa: Vec<usize> = if sa.len() == 1 { vec![1, sa[0]] } else { sa.to_vec() };
    let pb: Vec<usize> = if sb.len() == 1 { vec![sb[0], 1] } else { sb.to_vec() };
    let (ba, bb) = (&pa[..pa.len() - 2], &pb[..pb.len() - 2]);
    let (m, k, n) = (pa[pa.len() - 2], pa[pa.len() - 1], pb[pb.len() - 1]);
    let batch = snnc_ir::broadcast_shapes(ba, bb)
        .ok_or_else(|| PlanError::node(node, "batch dimensions do not broadcast"))?;
    let count: usize = batch.iter().product();
    let index = |idx: &[usize], src: &[usize]| {
        let off = idx.len() - src.len();
        src.iter()
            .enumerate()
            .fold(0, |acc, (i, &d)| acc * d + if d == 1 { 0 } else { idx[off + i] })
    };
    let mut pairs = Vec::with_capacity(count);
    let mut idx = vec![0usize; batch.len()];
    for _ in 0..count {
        pairs.push((index(&idx, ba), index(&idx, bb)));
        for d in (0..batch.len()).rev() {
            idx[d] += 1;
            if idx[d] < batch[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(MatMulPlan { m, k, n, pairs })
}

pub(crate) fn matmul(l: &mut Lower, ni: usize, node: &Node) -> Result<(), PlanError> {
    let (a, b) = (l.req(node, 0)?, l.req(node, 1)?);
    let p = matmul_plan(node, &l.shape(in_value(node, 0)?), &l.shape(in_value(node, 1)?))?;
    let Some(y) = l.output(node, 0) else { return Ok(()) };
    let (m, k, n) = (p.m, p.k, p.n);
    let entries = p
        .pairs
        .iter()
        .enumerate()
        .map(|(i, &(ia, ib))| MmEntry {
            a_off: ia * m * k,
            b_off: ib * k * n,
            c_off: i * m * n,
            acc: false,
        })
        .collect();
    let (a, b) = (Opnd { buf: a, rs: k, cs: 1 }, Opnd { buf: b, rs: n, cs: 1 });
    l.forward(ni, Kernel::Mm(MmK { m, n, k, a, b, c: y, c_rs: n, alpha: 1.0, entries }));
    Ok(())
}

/// `(rows, k, n)` of a Linear/SpikeLinear node.
pub(crate) fn linear_dims(
    l: &Lower,
    node: &Node,
    trans_b: bool,
) -> Result<(usize, usize, usize), PlanError> {
    let (sx, sw) = (l.shape(in_value(node, 0)?), l.shape(in_value(node, 1)?));
    let (Some(&k), true) = (sx.last(), sw.len() == 2) else {
        return Err(PlanError::node(node, "X must have rank ≥ 1 and W rank 2"));
    };
    let rows = sx[..sx.len() - 1].iter().product();
    Ok((rows, k, if trans_b { sw[0] } else { sw[1] }))
}

/// Whether value `v` holds spike counts: the spikes of a `spikes = multi` IAF op, directly or
/// through ops that keep the stored values (reshapes, identities).
fn spike_counts(l: &Lower, v: ValueId) -> bool {
    let producers = l.g.producers();
    let mut v = v;
    loop {
        let Some(node) = producers.get(v.0).copied().flatten().map(|i| &l.g.nodes()[i]) else {
            return false;
        };
        let family = match &node.op {
            Op::Iaf(p) | Op::IafFeedForwardStep(p) | Op::IafRecurrent(p) | Op::IafStep(p) => {
                p.family
            }
            Op::SpikeReset(p) => p.family,
            Op::Identity | Op::Reshape { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } => {
                match node.input(0) {
                    Some(x) => {
                        v = x;
                        continue;
                    }
                    None => return false,
                }
            }
            _ => return false,
        };
        return family.spikes == Spikes::Multi && node.output(0) == Some(v);
    }
}

/// Linear and SpikeLinear. SpikeLinear, and Linear on a graph input (whose density only the
/// run can tell), try the event-driven kernel first. A SpikeLinear fed by spike counts
/// (`spikes = multi`) is dense: the event-driven kernels and the saved bits take 0/1 only.
pub(crate) fn linear(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    trans_b: bool,
    spike: bool,
) -> Result<(), PlanError> {
    let (x, w, bias) = (l.req(node, 0)?, l.req(node, 1)?, l.input(node, 2)?);
    let (rows, k, n) = linear_dims(l, node, trans_b)?;
    let counts = spike_counts(l, in_value(node, 0)?);
    let event = ((spike && !counts) || l.is_input(x)).then(|| match l.const_index(w) {
        Some(konst) => {
            WRef::Packed(l.shared.pack(PackSpec { konst, outputs: n, inputs: k, out_in: trans_b }))
        }
        None => WRef::Runtime,
    });
    let Some(y) = l.output(node, 0) else { return Ok(()) };
    l.forward(ni, Kernel::Linear(LinearK { rows, k, n, trans_b, x, w, bias, y, event }));
    Ok(())
}

/// `(input, output)`: the slots of U0 (U for the step ops) and of U_T (U_new) of an IAF op
/// with a synaptic current (`snnc_ir::Op::input_arity`, `output_count`).
pub(crate) fn u_slots(op: &Op) -> (usize, usize) {
    match op {
        Op::IafRecurrent(_) => (5, 3),
        Op::IafStep(_) => (5, 2),
        _ => (2, 2),
    }
}

/// The buffers of U0 and U_T of node `node` (a cell with a synaptic current; none otherwise).
fn current_bufs(
    l: &mut Lower,
    node: &Node,
    p: &IafParams,
) -> Result<(Option<BufId>, Option<BufId>), PlanError> {
    if !p.leak.has_current() {
        return Ok((None, None));
    }
    let (i, o) = u_slots(&node.op);
    Ok((l.input(node, i)?, l.output(node, o)))
}

/// `IAF` (`step = false`: X `[T,B,N]`) and `IAFFeedForwardStep` (`step`: X `[B,N]`, T = 1);
/// with a synaptic current, U0 (U) and U_T (U_new) too.
pub(crate) fn iaf(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    p: &IafParams,
    step: bool,
) -> Result<(), PlanError> {
    let (x, v0) = (l.req(node, 0)?, l.input(node, 1)?);
    let s = l.shape(in_value(node, 0)?);
    let (t, b, n) = match (step, s.as_slice()) {
        (true, &[b, n]) => (1, b, n),
        (false, &[t, b, n]) => (t, b, n),
        _ => return Err(PlanError::node(node, format!("unexpected input shape {s:?}"))),
    };
    let (z, v_last) = (l.output(node, 0), l.output(node, 1));
    let (u0, u_last) = current_bufs(l, node, p)?;
    let params = p.clone();
    let (v_pre, z_bits) = (None, None);
    let k = IafK { t, b, n, params, x, v0, z, v_last, v_pre, z_bits, u0, u_last };
    l.forward(ni, Kernel::Iaf(k));
    Ok(())
}

/// `IAFRecurrent` (X, W, R, V0, Z0 → Z, V_T, Z_T) and `IAFStep` (X, Z, V, W, R → Z', V');
/// with a synaptic current, U0 (U) and U_T (U_new) too.
pub(crate) fn recurrent(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    p: &IafParams,
    step: bool,
) -> Result<(), PlanError> {
    let slots = if step { [0, 3, 4, 2, 1] } else { [0, 1, 2, 3, 4] };
    let x = l.req(node, slots[0])?;
    let (w, r) = (l.req(node, slots[1])?, l.req(node, slots[2])?);
    let (v0, z0) = (l.input(node, slots[3])?, l.input(node, slots[4])?);
    let s = l.shape(in_value(node, 0)?);
    let sw = l.shape(in_value(node, slots[1])?);
    let (t, b, i) = match (step, s.as_slice()) {
        (true, &[b, i]) => (1, b, i),
        (false, &[t, b, i]) => (t, b, i),
        _ => return Err(PlanError::node(node, format!("unexpected input shape {s:?}"))),
    };
    let h = *sw.first().ok_or_else(|| PlanError::node(node, "W must be a matrix"))?;
    let r_pack = l
        .const_index(r)
        .map(|konst| l.shared.pack(PackSpec { konst, outputs: h, inputs: h, out_in: true }));
    let cur = l.arena(t * b * h);
    let (z, v_last, z_last) = if step {
        (l.output(node, 0), l.output(node, 1), None)
    } else {
        (l.output(node, 0), l.output(node, 1), l.output(node, 2))
    };
    let (u0, u_last) = current_bufs(l, node, p)?;
    let params = p.clone();
    let k = RecK {
        t,
        b,
        h,
        i,
        params,
        x,
        w,
        r,
        r_pack,
        v0,
        z0,
        cur,
        z,
        v_last,
        z_last,
        v_pre: None,
        z_bits: None,
        u0,
        u_last,
    };
    l.forward(ni, Kernel::Recurrent(k));
    Ok(())
}

/// `SpikeReset` over `[..., N]`.
pub(crate) fn reset(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    p: &ResetParams,
) -> Result<(), PlanError> {
    let v: BufId = l.req(node, 0)?;
    let s = l.shape(in_value(node, 0)?);
    let n = *s.last().ok_or_else(|| PlanError::node(node, "V must have rank ≥ 1"))?;
    let rows = s[..s.len() - 1].iter().product();
    let (z, v_out) = (l.output(node, 0), l.output(node, 1));
    let (v_th, v_reset, family) = (p.v_th.clone(), p.v_reset.clone(), p.family);
    let reset_amount = p.reset_amount.clone();
    let k = ResetK { rows, n, v_th, v_reset, family, reset_amount, v, z, v_out };
    l.forward(ni, Kernel::Reset(k));
    Ok(())
}
