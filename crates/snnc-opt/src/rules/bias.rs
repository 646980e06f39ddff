//! Biases of recurrent layers. snnTorch's `RLeaky` is a recurrent layer whose recurrent term
//! is an `nn.Linear` with a bias, after an input `nn.Linear` with its own: per step
//! v̂ = v + lin(x, W, b) + lin(z, R, c). The recurrent step ops take no bias (SPEC §2), so:
//!
//! * `linear-split-bias`: the recurrent term's bias comes out, lin(z, R, c) → lin(z, R) + c;
//! * `rec-bias-forward`: it joins the input term, p + (lin(z, R) + c) → (p + c) + lin(z, R)
//!   where p is the input term lin(x, W[, b]) (`v + (Wx + Rz)`), and
//!   (v + l) + (lin(z, R) + c) → (v + (l + c)) + lin(z, R) (`(v + Wx) + Rz`);
//! * `linear-bias-column`: the input term of a recurrent step, lin(x, W, b) or
//!   lin(x, W, b) + c, is lin([x, 1], [W | b]) or lin([x, 1, 1], [W | b | c]): each bias is a
//!   weight column on a constant-1 input, and the step ops take the widened X and W. Where x is
//!   row t of a sequence S, [x, 1, …] is row t of [S, 1, …], so the steps re-roll over it. The
//!   biases stay separate columns (not one column b + c) so that a first step without the
//!   recurrent term (the export folded R·z₋₁ = 0 away, or to a constant) can read a 0 in c's
//!   column there, and c gets exactly the gradient of the steps that add it.
//!
//! Every rewrite is exact in real arithmetic and only regroups the float sums (SPEC §5: a
//! spike at the threshold may move); gradients reach every parameter as before.

use egg::Id;
use ndarray::{ArrayD, IxDyn};
use snnc_ir::{DType, Tensor};

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::step::{linears, recurrent, recurrent_pair, sums};
use crate::rules::support::{add_checked, args_of, custom, index_of, nodes, ty, union, Rule};
use crate::sym::{Bits, Sym};

/// The linear maps with a bias `x·Wᵀ + b` in class `c` (`Gemm(transB)` with C, or `Linear`):
/// (x, W, b), with b a bias of W ([`is_bias`]).
pub fn biased_linears(eg: &EGraph, c: Id) -> Vec<(Id, Id, Id)> {
    let one = Bits::of(1.0);
    let gemm = Sym::Gemm { alpha: one, beta: one, trans_a: false, trans_b: true };
    let mut out = Vec::new();
    for sym in [gemm, Sym::Linear { trans_b: true }] {
        for d in args_of(eg, c, &sym, 3) {
            if is_bias(eg, d[2], d[1]) {
                out.push((d[0], d[1], d[2]));
            }
        }
    }
    out
}

/// Whether `b` can be the bias of weight `w` [H, I]: a float vector [H] of w's dtype that
/// depends on no neuron state.
pub fn is_bias(eg: &EGraph, b: Id, w: Id) -> bool {
    let (Some(tb), Some(tw)) = (ty(eg, b), ty(eg, w)) else { return false };
    tw.rank() == 2 && tb.shape == [tw.shape[0]] && tb.dtype == tw.dtype && !eg[b].data.state
}

/// Whether `c` is a vector [H] that broadcasts along the last axis only of a value of class
/// `of` [..., H] (and depends on no neuron state).
fn vector_for(eg: &EGraph, c: Id, of: Id) -> bool {
    let (Some(tc), Some(to)) = (ty(eg, c), ty(eg, of)) else { return false };
    tc.dtype.is_float()
        && tc.dtype == to.dtype
        && to.shape.last().is_some_and(|&h| tc.shape == [h])
        && !eg[c].data.state
}

/// Whether class `c` holds a linear map of trans_b form (with or without a bias).
fn is_linear(eg: &EGraph, c: Id) -> bool {
    !linears(eg, c).is_empty() || !biased_linears(eg, c).is_empty()
}

/// Adds `node` and returns its class when it is well typed with a single output of the type
/// of `like` (any single type when `None`).
fn add_like(eg: &mut EGraph, node: SnnNode, like: Option<Id>) -> Option<Id> {
    let n = add_checked(eg, node)?;
    let t = ty(eg, n)?;
    like.is_none_or(|l| ty(eg, l) == Some(t)).then_some(n)
}

fn add2(eg: &mut EGraph, sym: Sym, a: Id, b: Id, like: Option<Id>) -> Option<Id> {
    add_like(eg, SnnNode::new(sym, vec![a, b]), like)
}

fn split_bias() -> Rule {
    custom(
        "linear-split-bias",
        Some(Sym::Linear { trans_b: true }),
        |eg, c| {
            biased_linears(eg, c)
                .into_iter()
                .filter(|&(z, r, _)| recurrent_pair(eg, z, r))
                .map(|(z, r, b)| vec![z, r, b])
                .collect()
        },
        |eg, c, m| {
            let lin = SnnNode::new(Sym::Linear { trans_b: true }, vec![m[0], m[1]]);
            let Some(l) = add_like(eg, lin, Some(c)) else { return Vec::new() };
            let Some(s) = add2(eg, Sym::Add, l, m[2], Some(c)) else { return Vec::new() };
            union(eg, c, s).into_iter().collect()
        },
    )
}

/// The (q, c) of every `q + c` in class `g` with q a recurrent term and c a vector for `root`.
fn biased_recurrent(eg: &EGraph, g: Id, root: Id) -> Vec<(Id, Id)> {
    sums(eg, g)
        .into_iter()
        .filter(|&(q, c)| !recurrent(eg, q).is_empty() && vector_for(eg, c, root))
        .collect()
}

fn forward() -> Rule {
    custom(
        "rec-bias-forward",
        Some(Sym::Add),
        |eg, root| {
            let mut out = Vec::new();
            for (p, g) in sums(eg, root) {
                for (q, c) in biased_recurrent(eg, g, root) {
                    // lin(x, W) + (Rz + c): p is the input term.
                    if is_linear(eg, p) {
                        out.push(vec![p, q, c]);
                    }
                    // (v + lin(x, W)) + (Rz + c).
                    for (v, l) in sums(eg, p) {
                        if is_linear(eg, l) {
                            out.push(vec![v, l, q, c]);
                        }
                    }
                }
            }
            out
        },
        |eg, root, m| {
            let sum = match *m {
                [p, q, c] => add2(eg, Sym::Add, p, c, Some(p))
                    .and_then(|a| add2(eg, Sym::Add, a, q, Some(root))),
                [v, l, q, c] => add2(eg, Sym::Add, l, c, Some(l))
                    .and_then(|a| add2(eg, Sym::Add, v, a, Some(root)))
                    .and_then(|b| add2(eg, Sym::Add, b, q, Some(root))),
                _ => None,
            };
            sum.and_then(|s| union(eg, root, s)).into_iter().collect()
        },
    )
}

/// The input terms of the recurrent sums in Add class `root`: u in `u + Rz` (`v + (Wx + Rz)`)
/// and in `(v + u) + Rz` (`(v + Wx) + Rz`), any operand order.
fn input_terms(eg: &EGraph, root: Id) -> Vec<Id> {
    let mut out = Vec::new();
    for (p, q) in sums(eg, root) {
        if recurrent(eg, q).is_empty() {
            continue;
        }
        out.push(p);
        out.extend(sums(eg, p).into_iter().map(|(_, u)| u));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A constant of ones of type `dtype[shape]`.
fn ones(eg: &mut EGraph, dtype: DType, shape: &[usize]) -> Id {
    let t = Tensor::from_f64(dtype, ArrayD::from_elem(IxDyn(shape), 1.0));
    let k = eg.analysis.leaves.intern(t);
    eg.add(SnnNode::leaf(Sym::Const(k)))
}

/// `[x, 1, …]`: `x` [..., I] with `k` columns of ones appended on its last axis.
fn with_ones(eg: &mut EGraph, x: Id, k: usize) -> Option<Id> {
    let t = ty(eg, x)?.clone();
    let (_, lead) = t.shape.split_last()?;
    let mut shape = lead.to_vec();
    shape.push(k);
    let one = ones(eg, t.dtype, &shape);
    let axis = t.rank() as i64 - 1;
    add2(eg, Sym::Concat(axis), x, one, None)
}

fn bias_column() -> Rule {
    custom(
        "linear-bias-column",
        Some(Sym::Add),
        |eg, root| {
            let mut out = Vec::new();
            let step = |x: Id| ty(eg, x).is_some_and(|t| t.rank() == 2 && t.dtype.is_float());
            for u in input_terms(eg, root) {
                // lin(x, W, b).
                for (x, w, b) in biased_linears(eg, u) {
                    if step(x) {
                        out.push(vec![u, x, w, b]);
                    }
                }
                // lin(x, W, b) + c.
                for (l, c) in sums(eg, u) {
                    for (x, w, b) in biased_linears(eg, l) {
                        if step(x) && vector_for(eg, c, u) {
                            out.push(vec![u, x, w, b, c]);
                        }
                    }
                }
            }
            out
        },
        |eg, _, m| {
            let (u, x, w) = (m[0], m[1], m[2]);
            let biases = &m[3..];
            let Some(x1) = with_ones(eg, x, biases.len()) else { return Vec::new() };
            let mut parts = vec![w];
            for &b in biases {
                let col = SnnNode::new(Sym::Unsqueeze(vec![1]), vec![b]);
                let Some(col) = add_like(eg, col, None) else { return Vec::new() };
                parts.push(col);
            }
            let Some(w1) = add_like(eg, SnnNode::new(Sym::Concat(1), parts), None) else {
                return Vec::new();
            };
            let lin = SnnNode::new(Sym::Linear { trans_b: true }, vec![x1, w1]);
            let mut changed: Vec<Id> =
                add_like(eg, lin, Some(u)).and_then(|n| union(eg, u, n)).into_iter().collect();
            // Row t of S widened is row t of S widened as a whole.
            let rows: Vec<(Id, Id)> = nodes(eg, x, |s| *s == Sym::Gather(0))
                .filter(|g| index_of(eg, g.args[1]).is_some())
                .map(|g| (g.args[0], g.args[1]))
                .collect();
            for (s, t) in rows {
                let Some(s1) = with_ones(eg, s, biases.len()) else { continue };
                if let Some(g) = add2(eg, Sym::Gather(0), s1, t, Some(x1)) {
                    changed.extend(union(eg, x1, g));
                }
            }
            changed
        },
    )
}

/// The bias rules.
pub fn rules() -> Vec<Rule> {
    vec![split_bias(), forward(), bias_column()]
}
