//! sinabs' multi-spike in plain exports: `Cast(Greater(v, 0)) · (Sign(d)·Floor(Abs(d)))` with
//! d = v (a threshold of 1, folded) or d = v / th, the spike count `[v > 0]·trunc(v / th)`.
//! Spelled with `Floor`, the count has no gradient of its own; SPEC §1.1 gives it the
//! surrogate's derivative at v − th, as the library does (and as the fused multi-spike cell
//! does), so the reverse pass recognises the spelling and differentiates the product as one
//! op: `∂count/∂v = σ'(v − th)`, nothing through the comparison or the truncation.
//!
//! Like the reset of plain exports ([`crate::reset_uses`]), the analysis is structural and
//! local to the interpreter: operand orders are free, the constant 0 and the threshold are read
//! from the forward values.

use std::collections::HashMap;

use ndarray::ArrayD;
use snnc_ir::{DType, Graph, Op, ValueId};

use crate::exec::Store;

/// A recognised spike count: the potential v and the threshold (`None`: 1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Count {
    pub v: ValueId,
    pub th: Option<ValueId>,
}

/// The node producing each value, and reading through a node's op and inputs.
struct Producers<'g> {
    g: &'g Graph,
    of: Vec<Option<usize>>,
}

impl<'g> Producers<'g> {
    /// The op and inputs of the node that produces `v`.
    fn node(&self, v: ValueId) -> Option<(&'g Op, Vec<ValueId>)> {
        let n = &self.g.nodes()[self.of[v.0]?];
        let ins: Option<Vec<ValueId>> = n.inputs.iter().copied().collect();
        Some((&n.op, ins?))
    }

    /// The inputs of `v`'s producer when its op satisfies `pred`.
    fn inputs(&self, v: ValueId, pred: impl Fn(&Op) -> bool) -> Option<Vec<ValueId>> {
        self.node(v).filter(|(op, _)| pred(op)).map(|(_, ins)| ins)
    }
}

/// `v` when `c = Cast(Greater(v, 0))` to a float, with 0 read from `store`.
fn positive(p: &Producers, store: &Store, c: ValueId) -> Option<ValueId> {
    let [b] = p.inputs(c, |op| matches!(op, Op::Cast { to } if to.is_float()))?[..] else {
        return None;
    };
    let [v, zero] = p.inputs(b, |op| *op == Op::Greater)?[..] else { return None };
    let zeros = store.get(zero.0)?.as_ref().is_some_and(|z| z.iter().all(|&x| x == 0.0));
    zeros.then_some(v)
}

/// The one input of `ins`.
fn one(ins: Option<Vec<ValueId>>) -> Option<ValueId> {
    match ins.as_deref() {
        Some(&[x]) => Some(x),
        _ => None,
    }
}

/// d when `t = Sign(d)·Floor(Abs(d))` in either order.
fn trunc_arg(p: &Producers, t: ValueId) -> Option<ValueId> {
    let [a, b] = p.inputs(t, |op| *op == Op::Mul)?[..] else { return None };
    for (s, f) in [(a, b), (b, a)] {
        let Some(d) = one(p.inputs(s, |op| *op == Op::Sign)) else { continue };
        let Some(ab) = one(p.inputs(f, |op| *op == Op::Floor)) else { continue };
        if one(p.inputs(ab, |op| *op == Op::Abs)) == Some(d) {
            return Some(d);
        }
    }
    None
}

/// The spike counts of `g`, keyed by the index of their final `Mul` node.
pub(crate) fn multi_counts(g: &Graph, store: &Store) -> HashMap<usize, Count> {
    let p = Producers { g, of: g.producers() };
    let mut out = HashMap::new();
    for (i, n) in g.nodes().iter().enumerate() {
        let (Op::Mul, [Some(a), Some(b)]) = (&n.op, n.inputs.as_slice()) else { continue };
        if g.ty(*a).dtype == DType::Bool {
            continue;
        }
        for (c, t) in [(*a, *b), (*b, *a)] {
            let (Some(v), Some(d)) = (positive(&p, store, c), trunc_arg(&p, t)) else { continue };
            let count = if d == v {
                Some(Count { v, th: None })
            } else {
                match p.inputs(d, |op| *op == Op::Div).as_deref() {
                    Some(&[u, th]) if u == v => Some(Count { v, th: Some(th) }),
                    _ => None,
                }
            };
            if let Some(count) = count {
                out.insert(i, count);
                break;
            }
        }
    }
    out
}

/// The threshold of `c` broadcast against v's value, from `store`.
pub(crate) fn threshold(c: &Count, store: &Store) -> Option<ArrayD<f64>> {
    let v = store.get(c.v.0)?.as_ref()?;
    match c.th {
        None => Some(ArrayD::from_elem(v.raw_dim(), 1.0)),
        Some(th) => store.get(th.0)?.as_ref()?.broadcast(v.raw_dim()).map(|t| t.to_owned()),
    }
}
