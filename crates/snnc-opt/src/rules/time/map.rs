//! Per-step maps over time: a convolution, a pool, a reshape or an elementwise op of step t of a
//! sequence is step t of the same op over the whole sequence,
//! `op(Gather(S, t), k…) = Gather(op(S, k…), t)`. Hash-consing makes the T hoisted ops one
//! e-class, so a loop over T that convolves each step's images becomes one convolution over
//! T·B images (`Conv`'s and the pools' leading axes are batch axes), as `linear-hoist-gather`
//! does for GEMMs.
//!
//! * `conv-hoist-gather`, `pool-hoist-gather`: `Conv(Gather(S, t), W, b)` and
//!   `Pool(Gather(S, t))`.
//! * `reshape-hoist-gather`: `Reshape(Gather(S, t), s)` is `Gather(Reshape(S, [T] ++ s), t)`
//!   (row t of S is a contiguous block, so it reshapes on its own).
//! * `map-hoist-gather`: an elementwise op whose operands are rows t of sequences of one type,
//!   or time-invariant values (known, computed from no input) that broadcast into the row
//!   (a scalar, a per-channel constant). Only rows with channel or spatial axes (rank ≥ 3, the
//!   images between convolutions and pools) are hoisted: on the [B, N] rows of a dense layer the
//!   elementwise ops are the neuron's own arithmetic, which the step rules read per step, and a
//!   whole-sequence copy of each step's arithmetic would only grow the e-graph.
//!
//! Only the order of independent computations changes: values are exact, and each gradient is
//! the same sum over the steps.

use egg::Id;
use snnc_ir::{PoolKind, PoolSpec};

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::support::{add_checked, custom, index_of, nodes, ty, union, value, Rule};
use crate::sym::Sym;

/// Rows t of sequences in class `c`: (sequence, index class) for every `Gather(S, t)` on axis 0
/// with a constant scalar t.
fn rows_in(eg: &EGraph, c: Id) -> Vec<(Id, Id)> {
    nodes(eg, c, |s| *s == Sym::Gather(0))
        .filter(|g| index_of(eg, g.args[1]).is_some())
        .map(|g| (eg.find(g.args[0]), eg.find(g.args[1])))
        .collect()
}

/// Adds `Gather(whole, t)` and unions it with `c` when the types agree.
fn gathered(eg: &mut EGraph, c: Id, whole: Option<Id>, t: Id) -> Vec<Id> {
    let Some(whole) = whole else { return Vec::new() };
    let Some(g) = add_checked(eg, SnnNode::new(Sym::Gather(0), vec![whole, t])) else {
        return Vec::new();
    };
    if ty(eg, g).is_some() && ty(eg, g) == ty(eg, c) {
        union(eg, c, g).into_iter().collect()
    } else {
        Vec::new()
    }
}

fn is_window(s: &Sym) -> bool {
    matches!(s, Sym::Conv(_) | Sym::Pool(_))
}

/// `name` over the classes holding a node of `kind` (a `Conv` or a pool).
fn window_hoist(name: &str, kind: Sym) -> Rule {
    custom(
        name,
        Some(kind),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, is_window) {
                for (s, t) in rows_in(eg, n.args[0]) {
                    let mut m = vec![s, t];
                    m.extend(n.args[1..].iter().map(|&a| eg.find(a)));
                    out.push(m);
                }
            }
            out
        },
        |eg, c, m| {
            let syms: Vec<Sym> = nodes(eg, c, is_window).map(|n| n.sym.clone()).collect();
            let mut changed = Vec::new();
            for sym in syms {
                let mut args = vec![m[0]];
                args.extend(&m[2..]);
                let whole = add_checked(eg, SnnNode::new(sym, args));
                changed.extend(gathered(eg, c, whole, m[1]));
            }
            changed
        },
    )
}

fn reshape_hoist() -> Rule {
    custom(
        "reshape-hoist-gather",
        Some(Sym::Reshape(Vec::new())),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| matches!(s, Sym::Reshape(_))) {
                out.extend(rows_in(eg, n.args[0]).into_iter().map(|(s, t)| vec![s, t]));
            }
            out
        },
        |eg, c, m| {
            let (s, t) = (m[0], m[1]);
            let (Some(len), Some(row)) =
                (ty(eg, s).and_then(|t| t.shape.first().copied()), ty(eg, c).cloned())
            else {
                return Vec::new();
            };
            let shape: Vec<i64> =
                std::iter::once(len).chain(row.shape.iter().copied()).map(|d| d as i64).collect();
            let whole = add_checked(eg, SnnNode::new(Sym::Reshape(shape), vec![s]));
            gathered(eg, c, whole, t)
        },
    )
}

/// The elementwise operators `map-hoist-gather` moves (one or two operands).
pub fn is_elementwise(s: &Sym) -> bool {
    matches!(
        s,
        Sym::Add
            | Sym::Sub
            | Sym::Mul
            | Sym::Div
            | Sym::Neg
            | Sym::Abs
            | Sym::Sign
            | Sym::Floor
            | Sym::Max
            | Sym::Min
            | Sym::Relu
            | Sym::Sigmoid
            | Sym::Tanh
            | Sym::Identity
            | Sym::Detach
            | Sym::Cast(_)
    )
}

/// For an elementwise node: its operands as rows of sequences of one type at one t, or kept
/// (time-invariant values of rank at most the row's); `None` when it does not read so.
fn lifted(eg: &EGraph, n: &SnnNode, row_rank: usize) -> Option<(Vec<Option<Id>>, Id)> {
    let mut t: Option<Id> = None;
    let mut seq_ty = None;
    let mut out = Vec::new();
    for &a in &n.args {
        let a = eg.find(a);
        let row = rows_in(eg, a).into_iter().find(|&(s, i)| {
            t.is_none_or(|t| t == i) && seq_ty.as_ref().is_none_or(|st| ty(eg, s) == Some(st))
        });
        match row {
            Some((s, i)) => {
                t = Some(i);
                seq_ty = ty(eg, s).cloned();
                out.push(Some(s));
            }
            None if value(eg, a).is_some() && ty(eg, a).is_some_and(|x| x.rank() <= row_rank) => {
                out.push(None)
            }
            None => return None,
        }
    }
    t.map(|t| (out, t))
}

fn map_hoist() -> Rule {
    custom(
        "map-hoist-gather",
        None,
        |eg, c| {
            let Some(rank) = ty(eg, c).map(|t| t.rank()).filter(|&r| r >= 3) else {
                return Vec::new();
            };
            let any = nodes(eg, c, is_elementwise).any(|n| lifted(eg, n, rank).is_some());
            if any {
                vec![vec![]]
            } else {
                Vec::new()
            }
        },
        |eg, c, _| {
            let Some(rank) = ty(eg, c).map(|t| t.rank()) else { return Vec::new() };
            // Each lifted node as its whole-sequence node and the step it reads.
            let found: Vec<(SnnNode, Id)> = nodes(eg, c, is_elementwise)
                .filter_map(|n| {
                    let (seqs, t) = lifted(eg, n, rank)?;
                    let args = n.args.iter().zip(&seqs).map(|(&a, s)| s.unwrap_or(a)).collect();
                    Some((SnnNode::new(n.sym.clone(), args), t))
                })
                .collect();
            let mut changed = Vec::new();
            for (node, t) in found {
                let whole = add_checked(eg, node);
                changed.extend(gathered(eg, c, whole, t));
            }
            changed
        },
    )
}

/// A pool, for the rule's index by operator kind (the geometry is not looked at).
fn pool_probe() -> PoolSpec {
    PoolSpec { kind: PoolKind::Sum, kernel: Vec::new(), strides: Vec::new(), pads: Vec::new() }
}

/// The per-step map rules of the time family.
pub fn rules() -> Vec<Rule> {
    vec![
        window_hoist("conv-hoist-gather", Sym::Conv(Default::default())),
        window_hoist("pool-hoist-gather", Sym::Pool(pool_probe())),
        reshape_hoist(),
        map_hoist(),
    ]
}
