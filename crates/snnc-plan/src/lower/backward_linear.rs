//! Gradient kernels of the matrix products and linear layers: GEMMs for dX and dW, and the
//! event-driven dW where the layer input is spikes.

use snnc_ir::{Node, ValueId};

use crate::lower::backward_rules::{ew_grad, want, R};
use crate::lower::ctx::Lower;
use crate::lower::saved::spike_source;
use crate::lower::select::in_value;
use crate::lower::select_ops::{gemm_operands, linear_dims, matmul_plan, single};
use crate::{BufId, Kernel, MmEntry, MmK, Opnd, PlanError, SpikeDwK, SumRowsK};

/// The transpose of a strided operand.
pub(crate) fn tr(o: Opnd) -> Opnd {
    Opnd { buf: o.buf, rs: o.cs, cs: o.rs }
}

/// `dA'` and `dB'` of `Y = alpha·A'·B'` (A' `m×k`, B' `k×n`, G `m×n` row-major), written in
/// A's and B's own layouts (`ta`/`tb`: stored transposed).
#[allow(clippy::too_many_arguments)]
fn product_grads(
    l: &mut Lower,
    ni: usize,
    (a, b): (Option<ValueId>, Option<ValueId>),
    (ao, bo, g): (Opnd, Opnd, BufId),
    (m, n, k): (usize, usize, usize),
    (ta, tb): (bool, bool),
    alpha: f32,
) {
    let go = Opnd { buf: g, rs: n, cs: 1 };
    if let Some(v) = a {
        let (c, acc) = l.gdst(ni, v);
        let mm = if ta {
            MmK { m: k, n: m, k: n, a: bo, b: tr(go), c, c_rs: m, alpha, entries: single(acc) }
        } else {
            MmK { m, n: k, k: n, a: go, b: tr(bo), c, c_rs: k, alpha, entries: single(acc) }
        };
        l.push(ni, l.dep[v.0], Kernel::Mm(mm));
    }
    if let Some(v) = b {
        let (c, acc) = l.gdst(ni, v);
        let mm = if tb {
            MmK { m: n, n: k, k: m, a: tr(go), b: ao, c, c_rs: k, alpha, entries: single(acc) }
        } else {
            MmK { m: k, n, k: m, a: tr(ao), b: go, c, c_rs: n, alpha, entries: single(acc) }
        };
        l.push(ni, l.dep[v.0], Kernel::Mm(mm));
    }
}

pub(crate) fn gemm(
    l: &mut Lower,
    ni: usize,
    node: &Node,
    g: BufId,
    (alpha, beta): (f32, f32),
    t: (bool, bool),
) -> R {
    let (ao, bo, m, n, k) = gemm_operands(l, node, t)?;
    let ab = (want(l, node, 0), want(l, node, 1));
    product_grads(l, ni, ab, (ao, bo, g), (m, n, k), t, alpha);
    if node.input(2).is_some() {
        let out = node.output(0).ok_or_else(|| PlanError::node(node, "no output"))?;
        ew_grad(l, ni, node, (g, out), 2, crate::kernel_ew::GradRule::Scale(beta), &[])?;
    }
    Ok(())
}

pub(crate) fn matmul(l: &mut Lower, ni: usize, node: &Node, g: BufId) -> R {
    let (a, b) = (l.req(node, 0)?, l.req(node, 1)?);
    let p = matmul_plan(node, &l.shape(in_value(node, 0)?), &l.shape(in_value(node, 1)?))?;
    let (m, k, n) = (p.m, p.k, p.n);
    let go = Opnd { buf: g, rs: n, cs: 1 };
    if let Some(v) = want(l, node, 0) {
        let (c, acc) = l.gdst(ni, v);
        let entries =
            entries(&p.pairs, |&(ia, ib), i| (i * m * n, ib * k * n, ia * m * k), |e| e.0, acc);
        let bt = Opnd { buf: b, rs: 1, cs: n };
        l.push(
            ni,
            l.dep[v.0],
            Kernel::Mm(MmK { m, n: k, k: n, a: go, b: bt, c, c_rs: k, alpha: 1.0, entries }),
        );
    }
    if let Some(v) = want(l, node, 1) {
        let (c, acc) = l.gdst(ni, v);
        let entries =
            entries(&p.pairs, |&(ia, ib), i| (ia * m * k, i * m * n, ib * k * n), |e| e.1, acc);
        let at = Opnd { buf: a, rs: 1, cs: k };
        l.push(
            ni,
            l.dep[v.0],
            Kernel::Mm(MmK { m: k, n, k: m, a: at, b: go, c, c_rs: n, alpha: 1.0, entries }),
        );
    }
    Ok(())
}

/// Entries of a batched gradient product: the first product into each destination matrix
/// overwrites (unless the gradient already holds a contribution), later ones accumulate.
fn entries(
    pairs: &[(usize, usize)],
    offs: impl Fn(&(usize, usize), usize) -> (usize, usize, usize),
    dst: impl Fn(&(usize, usize)) -> usize,
    acc: bool,
) -> Vec<MmEntry> {
    let mut seen = std::collections::HashSet::new();
    pairs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (a_off, b_off, c_off) = offs(p, i);
            MmEntry { a_off, b_off, c_off, acc: acc || !seen.insert(dst(p)) }
        })
        .collect()
}

pub(crate) fn linear(l: &mut Lower, ni: usize, node: &Node, g: BufId, trans_b: bool) -> R {
    let (x, w) = (l.req(node, 0)?, l.req(node, 1)?);
    let (rows, k, n) = linear_dims(l, node, trans_b)?;
    let xo = Opnd { buf: x, rs: k, cs: 1 };
    let wo = if trans_b { Opnd { buf: w, rs: 1, cs: k } } else { Opnd { buf: w, rs: n, cs: 1 } };
    let event = l.steps.iter().any(|s| {
        s.node as usize == ni && matches!(&s.kernel, Kernel::Linear(k) if k.event.is_some())
    });
    let (wx, ww) = (want(l, node, 0), want(l, node, 1));
    let src = if event { spike_source(l, ni, x) } else { None };
    match (ww, src) {
        (Some(v), Some(src)) => {
            product_grads(l, ni, (wx, None), (xo, wo, g), (rows, n, k), (false, trans_b), 1.0);
            let (dw, acc) = l.gdst(ni, v);
            let kern = SpikeDwK { rows, k, n, g, x: src, dw, trans_b, acc };
            l.push(ni, l.dep[v.0], Kernel::SpikeDw(kern));
        }
        _ => product_grads(l, ni, (wx, ww), (xo, wo, g), (rows, n, k), (false, trans_b), 1.0),
    }
    if let Some(v) = want(l, node, 2) {
        let (dst, acc) = l.gdst(ni, v);
        l.push(ni, l.dep[v.0], Kernel::SumRows(SumRowsK { g, rows, cols: n, dst, acc }));
    }
    Ok(())
}
