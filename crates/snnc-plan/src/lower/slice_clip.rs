//! Slice (forward and gradient) and Clip (forward) lowerings.

use snnc_ir::{AxisSlice, Node, SliceSpec};

use crate::kernel_ew::{BinOp, EwInput, EwK, Instr, SliceK};
use crate::lower::backward_rules::{want, R};
use crate::lower::ctx::Lower;
use crate::lower::select::in_value;
use crate::{BufId, Kernel, PlanError};

/// The axes a Slice actually cuts (others read their whole extent), as `(axis, start, len,
/// shape before the cut)`, in axis order. The compiled engines take unit steps only.
fn cuts(node: &Node, spec: &SliceSpec, shape: &[usize]) -> Result<Vec<SliceK>, PlanError> {
    let axes = spec.resolve(shape).map_err(|m| PlanError::node(node, m))?;
    let mut cur = shape.to_vec();
    let mut out = Vec::new();
    for AxisSlice { axis, start, len, step } in axes {
        if start == 0 && len == cur[axis] && (step == 1 || len <= 1) {
            continue;
        }
        if step != 1 && len > 1 {
            return Err(PlanError::node(
                node,
                format!("a Slice with step {step} is not supported by the compiled engines"),
            ));
        }
        let k = SliceK {
            outer: cur[..axis].iter().product(),
            src_dim: cur[axis],
            start,
            len,
            inner: cur[axis + 1..].iter().product(),
            src: BufId(0),
            dst: BufId(0),
            acc: false,
        };
        cur[axis] = len;
        out.push(k);
    }
    Ok(out)
}

/// Slice: one [`SliceK`] per cut axis, chained through scratch buffers; no cut is an alias.
pub(crate) fn slice(l: &mut Lower, ni: usize, node: &Node, spec: &SliceSpec) -> R {
    let x = in_value(node, 0)?;
    let mut src = l.value(node, x)?;
    let ks = cuts(node, spec, &l.shape(x))?;
    let Some(out) = node.output(0) else { return Ok(()) };
    if ks.is_empty() {
        l.val[out.0] = Some(l.buf(crate::lower::ctx::Spec::Alias(src), l.len_of(out)));
        return Ok(());
    }
    let last = ks.len() - 1;
    for (i, mut k) in ks.into_iter().enumerate() {
        let dst = if i == last {
            let Some(y) = l.output(node, 0) else { return Ok(()) };
            y
        } else {
            l.arena(k.outer * k.len * k.inner)
        };
        (k.src, k.dst) = (src, dst);
        l.forward(ni, Kernel::Slice(k));
        src = dst;
    }
    Ok(())
}

/// Slice's gradient: the cuts undone in reverse order, each writing zeros outside its window;
/// the last one accumulates into the input's gradient.
pub(crate) fn slice_back(l: &mut Lower, ni: usize, node: &Node, g: BufId, spec: &SliceSpec) -> R {
    let Some(v) = want(l, node, 0) else { return Ok(()) };
    let ks = cuts(node, spec, &l.shape(v))?;
    let need = l.dep[v.0];
    let (dst, acc) = l.gdst(ni, v);
    if ks.is_empty() {
        let len = l.len_of(v);
        let k = crate::kernel_ew::AddIntoK { src: g, dst, len, acc };
        l.push(ni, need, Kernel::AddInto(k));
        return Ok(());
    }
    let mut src = g;
    for (i, mut k) in ks.into_iter().enumerate().rev() {
        let (d, a) =
            if i == 0 { (dst, acc) } else { (l.arena(k.outer * k.src_dim * k.inner), false) };
        (k.src, k.dst, k.acc) = (src, d, a);
        l.push(ni, need, Kernel::Unslice(k));
        src = d;
    }
    Ok(())
}

/// Clip: `min(max(x, lo), hi)` over the bounds present, as one elementwise program.
pub(crate) fn clip(l: &mut Lower, ni: usize, node: &Node) -> R {
    let mut inputs = Vec::new();
    let mut code = Vec::new();
    let mut acc: u16 = 0;
    let mut regs: u16 = 0;
    for (slot, op) in [(0, None), (1, Some(BinOp::Max)), (2, Some(BinOp::Min))] {
        let Some(v) = node.input(slot) else { continue };
        let input = inputs.len() as u16;
        inputs.push(EwInput { buf: l.value(node, v)?, shape: l.shape(v) });
        let r = regs;
        code.push(Instr::Load { dst: r, input });
        regs += 1;
        if let Some(op) = op {
            code.push(Instr::Bin { dst: regs, op, a: acc, b: r });
            acc = regs;
            regs += 1;
        } else {
            acc = r;
        }
    }
    let Some(out) = node.output(0) else { return Ok(()) };
    let shape = l.shape(out);
    let Some(y) = l.output(node, 0) else { return Ok(()) };
    l.forward(ni, Kernel::Ew(EwK { shape, inputs, code, regs, stores: vec![(acc, y)] }));
    Ok(())
}
