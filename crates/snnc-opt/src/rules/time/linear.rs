//! Linear layers over time: a per-step GEMM of step t of a sequence is step t of one GEMM over
//! the whole sequence, `Gemm(Gather(x, t), W, b) = Gather(Linear(x, W, b), t)`. Hash-consing
//! makes the T hoisted GEMMs one e-class, so the extractor pays for it once.
//!
//! `Gemm` (alpha = beta = 1, A not transposed, C absent or [N]) and `MatMul` by a matrix are
//! first spelled as `Linear`, and a bias added to a bias-free `Linear` joins it.

use egg::Id;

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::support::{add_checked, custom, index_of, nodes, ty, union, Rule};
use crate::sym::{Bits, Sym};

/// The `Linear` equal to a Gemm node: alpha = beta = 1, A not transposed.
fn gemm_linear(n: &SnnNode) -> Option<SnnNode> {
    let one = Bits::of(1.0);
    match n.sym {
        Sym::Gemm { alpha, beta, trans_a: false, trans_b } if alpha == one && beta == one => {
            Some(SnnNode::new(Sym::Linear { trans_b }, n.args.clone()))
        }
        _ => None,
    }
}

fn gemm_to_linear() -> Rule {
    let one = Bits::of(1.0);
    custom(
        "gemm-to-linear",
        Some(Sym::Gemm { alpha: one, beta: one, trans_a: false, trans_b: true }),
        |eg, c| {
            nodes(eg, c, |s| matches!(s, Sym::Gemm { .. }))
                .filter_map(gemm_linear)
                .map(|n| n.args)
                .collect()
        },
        |eg, c, m| {
            let found: Vec<SnnNode> = nodes(eg, c, |s| matches!(s, Sym::Gemm { .. }))
                .filter(|n| n.args.iter().zip(m).all(|(&a, &b)| eg.find(a) == eg.find(b)))
                .filter_map(gemm_linear)
                .collect();
            found.into_iter().flat_map(|n| replace(eg, c, n)).collect()
        },
    )
}

fn matmul_to_linear() -> Rule {
    custom(
        "matmul-to-linear",
        Some(Sym::MatMul),
        |eg, c| {
            nodes(eg, c, |s| *s == Sym::MatMul)
                .filter(|n| ty(eg, n.args[1]).is_some_and(|t| t.rank() == 2))
                .filter(|n| ty(eg, n.args[0]).is_some_and(|t| t.rank() >= 2))
                .map(|n| n.args.clone())
                .collect()
        },
        |eg, c, m| replace(eg, c, SnnNode::new(Sym::Linear { trans_b: false }, m.to_vec())),
    )
}

/// `Linear(x, M)` with M stored [K, N] (a MatMul) on a per-step x [B, K] is
/// `Linear(x, Transpose(M))` with the weight stored [N, K], the form of the recurrent step
/// ops' W and R (a MatMul-spelled recurrent layer). Only data moves.
fn linear_transposed() -> Rule {
    custom(
        "linear-transposed",
        Some(Sym::Linear { trans_b: false }),
        |eg, c| {
            nodes(eg, c, |s| *s == Sym::Linear { trans_b: false })
                .filter(|n| n.args.len() == 2)
                .filter(|n| ty(eg, n.args[0]).is_some_and(|t| t.rank() == 2))
                .filter(|n| ty(eg, n.args[1]).is_some_and(|t| t.rank() == 2))
                .map(|n| n.args.clone())
                .collect()
        },
        |eg, c, m| {
            let t = SnnNode::new(Sym::Transpose(vec![1, 0]), vec![m[1]]);
            let Some(wt) = add_checked(eg, t) else { return Vec::new() };
            replace(eg, c, SnnNode::new(Sym::Linear { trans_b: true }, vec![m[0], wt]))
        },
    )
}

/// Adds `node` (if well typed) and unions it with `c` when the types agree.
fn replace(eg: &mut EGraph, c: Id, node: SnnNode) -> Vec<Id> {
    let Some(n) = add_checked(eg, node) else { return Vec::new() };
    if ty(eg, n).is_some() && ty(eg, n) == ty(eg, c) {
        union(eg, c, n).into_iter().collect()
    } else {
        Vec::new()
    }
}

fn is_linear(s: &Sym) -> bool {
    matches!(s, Sym::Linear { .. } | Sym::SpikeLinear { .. })
}

fn linear_bias() -> Rule {
    custom(
        "linear-bias",
        Some(Sym::Add),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| *s == Sym::Add) {
                for (l, b) in [(n.args[0], n.args[1]), (n.args[1], n.args[0])] {
                    if nodes(eg, l, is_linear).any(|n| n.args.len() == 2) {
                        out.push(vec![l, b]);
                    }
                }
            }
            out
        },
        |eg, c, m| {
            let (l, b) = (m[0], m[1]);
            let found: Vec<SnnNode> = nodes(eg, l, |s| matches!(s, Sym::Linear { .. }))
                .filter(|n| n.args.len() == 2)
                .map(|n| SnnNode::new(n.sym.clone(), vec![n.args[0], n.args[1], b]))
                .collect();
            found.into_iter().flat_map(|n| replace(eg, c, n)).collect()
        },
    )
}

/// Whether the linear node `n` reads the row `Gather(m[0], m[1])` with the weight and bias
/// `m[2..]` (a match of `linear-hoist-gather`).
fn reads_row(eg: &EGraph, n: &SnnNode, m: &[Id]) -> bool {
    n.args.len() + 1 == m.len()
        && n.args[1..].iter().zip(&m[2..]).all(|(&a, &b)| eg.find(a) == eg.find(b))
        && nodes(eg, n.args[0], |s| *s == Sym::Gather(0))
            .any(|g| eg.find(g.args[0]) == eg.find(m[0]) && eg.find(g.args[1]) == eg.find(m[1]))
}

/// `linear-hoist-gather`: lin(Gather(S, t), W[, b]) is Gather(lin(S, W[, b]), t), with the
/// operator (and so the weight layout, trans_b) of the node matched. The class may also hold
/// products of the row by other weights (`linear-transposed` adds lin:t(x, Transpose(M)) beside
/// lin:n(x, M)); pairing one node's operator with another's weight is wrong, and with a square
/// weight it type-checks.
fn hoist() -> Rule {
    custom(
        "linear-hoist-gather",
        Some(Sym::Linear { trans_b: true }),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, is_linear) {
                for g in nodes(eg, n.args[0], |s| *s == Sym::Gather(0)) {
                    if index_of(eg, g.args[1]).is_some() {
                        let mut m = vec![g.args[0], g.args[1]];
                        m.extend(&n.args[1..]);
                        out.push(m);
                    }
                }
            }
            out
        },
        |eg, c, m| {
            let mut changed = Vec::new();
            let mut syms: Vec<Sym> = nodes(eg, c, is_linear)
                .filter(|n| reads_row(eg, n, m))
                .map(|n| n.sym.clone())
                .collect();
            syms.dedup();
            for sym in syms {
                let mut args = vec![m[0]];
                args.extend(&m[2..]);
                let Some(whole) = add_checked(eg, SnnNode::new(sym, args)) else { continue };
                changed.extend(replace(eg, c, SnnNode::new(Sym::Gather(0), vec![whole, m[1]])));
            }
            changed
        },
    )
}

/// The linear-layer rules of the time family.
pub fn rules() -> Vec<Rule> {
    vec![gemm_to_linear(), matmul_to_linear(), linear_transposed(), linear_bias(), hoist()]
}
