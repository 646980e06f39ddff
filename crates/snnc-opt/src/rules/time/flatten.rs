//! Neurons with channel and spatial axes: a convolution's IF layer keeps its potential as
//! [B, C, H, W], but the step and sequence ops take neurons on one axis ([B, N], [T, B, N]).
//! The cell is elementwise, so it is the same cell over the flattened potential:
//!
//! * `neuron-flatten`: a fused reset `SpikeReset(w)` or a spike Θ(w) of rank > 2 is
//!   `Reshape(op(Reshape(w, [B, N])), shape of w)`, output by output (N the product of every
//!   axis after the first; the neuron's parameters must be shared, or fit N).
//! * `reshape-push`: `Reshape(op(a, b…), s)` for an elementwise op whose operands have its
//!   result's shape (or are scalars) is `op(Reshape(a, s), Reshape(b, s)…)`: the flattening
//!   moves down the step's arithmetic (v + x, the bare spike's v + x − v_th) to the previous
//!   step's flattened outputs and to the rows of the input sequence (`reshape-hoist-gather`).
//! * `reshape-window`: `Reshape(W(x, k…), s)` for a `Conv` or pool W and an s that changes only
//!   the leading (image) axes is `W(Reshape(x, s's leading axes ++ x's image axes), k…)`:
//!   the images are mapped one by one, so how they are grouped does not matter (sinabs'
//!   [B·T] images regrouped as [B, T] for its neurons).
//! * `reshape-reshape`: `Reshape(Reshape(y, s₁), s₂)` is `Reshape(y, s₂)`, and y itself when
//!   that is y's shape: the previous step's potential, flattened again, is the flat one.
//!
//! The step rules then see a whole [B, N] step, and `iaf-reroll` makes the layer one cell over
//! the flattened input sequence. Only data moves, so values and gradients are exact.

use egg::Id;

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::support::{add_checked, custom, moved_operands, nodes, proj, ty, union, Rule};
use crate::sym::{Neuron, Sg, Sym};
use snnc_ir::Threshold;

/// The shape [d₀, d₁·d₂·…] of a rank > 2 shape.
fn flat(shape: &[usize]) -> Option<Vec<i64>> {
    (shape.len() > 2).then(|| vec![shape[0] as i64, shape[1..].iter().product::<usize>() as i64])
}

fn reshape(eg: &mut EGraph, x: Id, shape: &[usize]) -> Option<Id> {
    let s = shape.iter().map(|&d| d as i64).collect();
    add_checked(eg, SnnNode::new(Sym::Reshape(s), vec![x]))
}

/// The spike ops that `neuron-flatten` reads: fused resets and Θ.
fn is_neuron(s: &Sym) -> bool {
    matches!(s, Sym::SpikeReset(_) | Sym::Spike(..))
}

fn neuron_flatten(name: &str, kind: Sym) -> Rule {
    custom(
        name,
        Some(kind),
        |eg, c| {
            nodes(eg, c, is_neuron)
                .filter(|n| ty(eg, n.args[0]).is_some_and(|t| t.rank() > 2))
                .map(|n| vec![eg.find(n.args[0])])
                .collect()
        },
        |eg, c, m| {
            let w = m[0];
            let Some(shape) = ty(eg, w).map(|t| t.shape.clone()) else { return Vec::new() };
            let Some(f) = flat(&shape) else { return Vec::new() };
            let syms: Vec<Sym> = nodes(eg, c, is_neuron)
                .filter(|n| eg.find(n.args[0]) == w)
                .map(|n| n.sym.clone())
                .collect();
            let Some(fw) = add_checked(eg, SnnNode::new(Sym::Reshape(f), vec![w])) else {
                return Vec::new();
            };
            let mut changed = Vec::new();
            for sym in syms {
                let tuple = sym.is_tuple();
                let Some(op) = add_checked(eg, SnnNode::new(sym, vec![fw])) else { continue };
                if !tuple {
                    changed.extend(reshape(eg, op, &shape).and_then(|g| union(eg, c, g)));
                    continue;
                }
                for i in 0..2 {
                    let (p, q) = (proj(eg, i, c), proj(eg, i, op));
                    changed.extend(reshape(eg, q, &shape).and_then(|g| union(eg, p, g)));
                }
            }
            changed
        },
    )
}

/// The elementwise operators `reshape-push` moves a reshape through.
fn pushes(s: &Sym) -> bool {
    crate::rules::time::map::is_elementwise(s)
        || matches!(
            s,
            Sym::Greater
                | Sym::Less
                | Sym::GreaterOrEqual
                | Sym::LessOrEqual
                | Sym::Equal
                | Sym::Not
                | Sym::Where
                | Sym::Spike(..)
        )
}

/// For `Reshape(x, s)` in class `c`: (x's elementwise node's operator, its operands, and per
/// operand whether it is reshaped: it has x's shape; otherwise it is a scalar, kept).
fn pushable(eg: &EGraph, c: Id) -> Vec<(Sym, Vec<Id>, Vec<bool>)> {
    let mut out = Vec::new();
    for r in nodes(eg, c, |s| matches!(s, Sym::Reshape(_))) {
        let x = eg.find(r.args[0]);
        let Some(shape) = ty(eg, x).map(|t| t.shape.clone()) else { continue };
        for n in nodes(eg, x, pushes) {
            let scalar = |a: Id| ty(eg, a).is_some_and(|t| t.rank() == 0);
            if let Some(moved) = moved_operands(eg, n, &shape, scalar) {
                out.push((n.sym.clone(), n.args.iter().map(|&a| eg.find(a)).collect(), moved));
            }
        }
    }
    out
}

fn reshape_push() -> Rule {
    custom(
        "reshape-push",
        Some(Sym::Reshape(Vec::new())),
        |eg, c| if pushable(eg, c).is_empty() { Vec::new() } else { vec![vec![]] },
        |eg, c, _| {
            let Some(shape) = ty(eg, c).map(|t| t.shape.clone()) else { return Vec::new() };
            let mut changed = Vec::new();
            for (sym, args, moved) in pushable(eg, c) {
                let args: Option<Vec<Id>> = args
                    .iter()
                    .zip(&moved)
                    .map(|(&a, &m)| if m { reshape(eg, a, &shape) } else { Some(a) })
                    .collect();
                let Some(args) = args else { continue };
                let Some(n) = add_checked(eg, SnnNode::new(sym, args)) else { continue };
                if ty(eg, n).is_some() && ty(eg, n) == ty(eg, c) {
                    changed.extend(union(eg, c, n));
                }
            }
            changed
        },
    )
}

/// For `Reshape(y, s)` in class `c` with y a `Conv` or pool node that s regroups only the
/// leading axes of: the node's operator, its arguments, and x's new shape.
fn regrouped(eg: &EGraph, c: Id) -> Vec<(Sym, Vec<Id>, Vec<usize>)> {
    let Some(s) = ty(eg, c).map(|t| t.shape.clone()) else { return Vec::new() };
    let mut out = Vec::new();
    for r in nodes(eg, c, |s| matches!(s, Sym::Reshape(_))) {
        let y = eg.find(r.args[0]);
        let Some(ys) = ty(eg, y).map(|t| t.shape.clone()) else { continue };
        for w in nodes(eg, y, |s| matches!(s, Sym::Conv(_) | Sym::Pool(_))) {
            let Some(k) = crate::rules::time::axis::image_axes(eg, w) else { continue };
            let Some(xs) = ty(eg, w.args[0]).map(|t| t.shape.clone()) else { continue };
            if k >= s.len() || k >= ys.len() || s[s.len() - k..] != ys[ys.len() - k..] {
                continue;
            }
            let shape = [&s[..s.len() - k], &xs[xs.len() - k..]].concat();
            out.push((w.sym.clone(), w.args.iter().map(|&a| eg.find(a)).collect(), shape));
        }
    }
    out
}

fn reshape_window() -> Rule {
    custom(
        "reshape-window",
        Some(Sym::Reshape(Vec::new())),
        |eg, c| if regrouped(eg, c).is_empty() { Vec::new() } else { vec![vec![]] },
        |eg, c, _| {
            let mut changed = Vec::new();
            for (sym, mut args, shape) in regrouped(eg, c) {
                let Some(x) = reshape(eg, args[0], &shape) else { continue };
                args[0] = x;
                let Some(n) = add_checked(eg, SnnNode::new(sym, args)) else { continue };
                if ty(eg, n).is_some() && ty(eg, n) == ty(eg, c) {
                    changed.extend(union(eg, c, n));
                }
            }
            changed
        },
    )
}

fn reshape_reshape() -> Rule {
    custom(
        "reshape-reshape",
        Some(Sym::Reshape(Vec::new())),
        |eg, c| {
            let mut out = Vec::new();
            for r in nodes(eg, c, |s| matches!(s, Sym::Reshape(_))) {
                for inner in nodes(eg, r.args[0], |s| matches!(s, Sym::Reshape(_))) {
                    out.push(vec![eg.find(inner.args[0])]);
                }
            }
            out
        },
        |eg, c, m| {
            let Some(shape) = ty(eg, c).map(|t| t.shape.clone()) else { return Vec::new() };
            let y = m[0];
            let w = if ty(eg, y).is_some_and(|t| t.shape == shape) {
                Some(y)
            } else {
                reshape(eg, y, &shape)
            };
            match w {
                Some(w) if ty(eg, w) == ty(eg, c) => union(eg, c, w).into_iter().collect(),
                _ => Vec::new(),
            }
        },
    )
}

/// The flattening rules of the time family.
pub fn rules() -> Vec<Rule> {
    vec![
        neuron_flatten("neuron-flatten", Sym::SpikeReset(Neuron::probe())),
        neuron_flatten("spike-flatten", Sym::Spike(Sg::of(&Default::default()), Threshold::Gt)),
        reshape_push(),
        reshape_window(),
        reshape_reshape(),
    ]
}
