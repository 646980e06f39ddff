//! Pass 1 for the window ops: Conv becomes a [`ConvK`] and the pools a [`PoolK`], every axis
//! before the channels flattened into the image count (a re-rolled `[T, B, C, H, W]` layer is
//! one kernel over T·B images) and 1-D windows lifted to 2-D with height 1.

use snnc_ir::{split_input, ConvSpec, Node, Op, PoolKind, PoolSpec, ValueId, Window};

use crate::kernel_window::{ConvGeom, ConvK, PoolGeom, PoolK, PoolOp};
use crate::lower::ctx::Lower;
use crate::lower::select::in_value;
use crate::{Kernel, PlanError};

/// The spatial part of a window over `dims`, lifted to 2-D: `(h, w, oh, ow, kernel, strides,
/// pads, dilations)` with each pair `(vertical, horizontal)`.
struct Lifted {
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    k: (usize, usize),
    s: (usize, usize),
    p: (usize, usize),
    d: (usize, usize),
}

fn lift(node: &Node, win: &Window, dims: &[usize]) -> Result<Lifted, PlanError> {
    let out = win.output_dims(dims).map_err(|e| PlanError::node(node, e))?;
    Ok(match dims.len() {
        1 => Lifted {
            h: 1,
            w: dims[0],
            oh: 1,
            ow: out[0],
            k: (1, win.kernel[0]),
            s: (1, win.strides[0]),
            p: (0, win.pads[0]),
            d: (1, win.dilations[0]),
        },
        _ => Lifted {
            h: dims[0],
            w: dims[1],
            oh: out[0],
            ow: out[1],
            k: (win.kernel[0], win.kernel[1]),
            s: (win.strides[0], win.strides[1]),
            p: (win.pads[0], win.pads[1]),
            d: (win.dilations[0], win.dilations[1]),
        },
    })
}

/// The resolved geometry of Conv node `node` (inputs X, W).
pub(crate) fn conv_geom(l: &Lower, node: &Node, spec: &ConvSpec) -> Result<ConvGeom, PlanError> {
    let (sx, sw) = (l.shape(in_value(node, 0)?), l.shape(in_value(node, 1)?));
    let bad = |e: String| PlanError::node(node, e);
    if sw.len() < 3 {
        return Err(bad(format!("W must have rank ≥ 3, got shape {sw:?}")));
    }
    let win = spec.window(&sw[2..]).map_err(bad)?;
    let (lead, c, dims) = split_input(&sx, win.rank()).map_err(bad)?;
    let s = lift(node, &win, dims)?;
    let group = spec.group;
    if group == 0 || c % group != 0 || sw[0] % group != 0 || sw[1] * group != c {
        return Err(bad(format!("X {sx:?} and W {sw:?} do not fit group = {group}")));
    }
    Ok(ConvGeom {
        n: lead.iter().product(),
        c,
        h: s.h,
        w: s.w,
        m: sw[0],
        oh: s.oh,
        ow: s.ow,
        kh: s.k.0,
        kw: s.k.1,
        sh: s.s.0,
        sw: s.s.1,
        ph: s.p.0,
        pw: s.p.1,
        dh: s.d.0,
        dw: s.d.1,
        group,
    })
}

/// The plan's name for a pool kind.
pub(crate) fn pool_op(kind: PoolKind) -> PoolOp {
    match kind {
        PoolKind::Sum => PoolOp::Sum,
        PoolKind::Avg { count_include_pad: true } => PoolOp::AvgIncludePad,
        PoolKind::Avg { count_include_pad: false } => PoolOp::AvgExcludePad,
        PoolKind::Max => PoolOp::Max,
    }
}

/// The resolved geometry of Pool node `node`: every axis before the spatial ones is a plane.
pub(crate) fn pool_geom(l: &Lower, node: &Node, spec: &PoolSpec) -> Result<PoolGeom, PlanError> {
    let sx = l.shape(in_value(node, 0)?);
    let bad = |e: String| PlanError::node(node, e);
    let win = spec.window().map_err(bad)?;
    let (lead, c, dims) = split_input(&sx, win.rank()).map_err(bad)?;
    let s = lift(node, &win, dims)?;
    Ok(PoolGeom {
        n: lead.iter().product::<usize>() * c,
        h: s.h,
        w: s.w,
        oh: s.oh,
        ow: s.ow,
        kh: s.k.0,
        kw: s.k.1,
        sh: s.s.0,
        sw: s.s.1,
        ph: s.p.0,
        pw: s.p.1,
    })
}

/// Whether value `v` is probably mostly zeros, so that a scatter over its nonzero entries
/// beats a dense product: a graph input (only the run can tell; for a spiking network it is
/// usually events), the spikes of a cell (0/1, or small counts for `spikes = multi`), and
/// what zero-preserving ops make of those (reshapes, data movement, pools, sign/abs/relu,
/// products). The engine still measures the density, and its scatter is exact for any
/// values, so a wrong guess costs time only.
pub(crate) fn probably_sparse(l: &Lower, v: ValueId) -> bool {
    let producers = l.g.producers();
    let mut budget = 64;
    sparse_at(l, &producers, v, &mut budget)
}

/// [`probably_sparse`], visiting at most `budget` producers (the chains that matter are short).
fn sparse_at(l: &Lower, producers: &[Option<usize>], v: ValueId, budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    if l.g.inputs().contains(&v) {
        return true;
    }
    let Some(node) = producers.get(v.0).copied().flatten().map(|i| &l.g.nodes()[i]) else {
        return false;
    };
    let any = |budget: &mut usize, n: usize| {
        node.inputs.iter().take(n).flatten().any(|&x| sparse_at(l, producers, x, budget))
    };
    match &node.op {
        // Spikes (0/1, or small counts for `spikes = multi`).
        Op::Iaf(_)
        | Op::IafFeedForwardStep(_)
        | Op::IafRecurrent(_)
        | Op::IafStep(_)
        | Op::SpikeReset(_)
        | Op::Spike { .. } => node.output(0) == Some(v),
        Op::Identity
        | Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::Unsqueeze { .. }
        | Op::Cast { .. }
        | Op::Gather { .. }
        | Op::Slice(_)
        | Op::Transpose { .. }
        | Op::Pool(_)
        | Op::Sign
        | Op::Abs
        | Op::Relu
        | Op::Neg => any(budget, 1),
        // A product is zero where either factor is.
        Op::Mul => any(budget, 2),
        Op::Concat { .. } => {
            node.inputs.iter().flatten().all(|&x| sparse_at(l, producers, x, budget))
        }
        _ => false,
    }
}

/// Conv: one [`ConvK`] over every image; the event-driven path is preferred when the input is
/// [`probably_sparse`].
pub(crate) fn conv(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    spec: &ConvSpec,
) -> Result<(), PlanError> {
    let g = conv_geom(l, node, spec)?;
    let (x, w, bias) = (l.req(node, 0)?, l.req(node, 1)?, l.input(node, 2)?);
    let event = probably_sparse(l, in_value(node, 0)?);
    let Some(y) = l.output(node, 0) else { return Ok(()) };
    l.forward(ni, Kernel::Conv(ConvK { g, x, w, bias, y, event }));
    Ok(())
}

/// SumPool, AveragePool and MaxPool: one [`PoolK`] over every plane.
pub(crate) fn pool(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    spec: &PoolSpec,
) -> Result<(), PlanError> {
    let g = pool_geom(l, node, spec)?;
    let x = l.req(node, 0)?;
    let Some(y) = l.output(node, 0) else { return Ok(()) };
    l.forward(ni, Kernel::Pool(PoolK { op: pool_op(spec.kind), g, x, y }));
    Ok(())
}
