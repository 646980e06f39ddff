//! Batch-major sequences (sinabs' [B, T, N]): the time rules work on time-major [T, B, N]
//! sequences, so a step read on another axis and outputs joined on another axis are spelled
//! through a transpose that brings that axis to the front.
//!
//! * `gather-axis`: `Gather(S, t, axis a)` is `Gather(Transpose(S, p), t, axis 0)`, p moving
//!   axis a to the front.
//! * `concat-axis`: `Concat(Unsqueeze(x_i, [a]) …, axis a)` is
//!   `Transpose(Concat(Unsqueeze(x_i, [0]) …, axis 0), p⁻¹)`.
//! * `transpose-push`: a transpose that keeps the last axis commutes with a `Linear`
//!   (`Linear` maps rows of the last axis one by one); one that keeps the channel and spatial
//!   axes commutes with a `Conv` or a pool (their leading axes are images, each mapped alone)
//!   and with an elementwise op whose other operand is a one-element constant; two transposes
//!   compose. Between the layers of a batch-major CNN (sinabs) the transposes that bring time
//!   to the front for each IF layer and back for the next convolution then cancel.
//!
//! Only data moves, so values and gradients are kept exactly.

use egg::Id;
use snnc_ir::normalize_axis;

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::support::{add_checked, custom, moved_operands, nodes, ty, union, value, Rule};
use crate::sym::Sym;

/// The permutation of a rank-`rank` tensor that moves axis `a` to the front.
fn to_front(a: usize, rank: usize) -> Vec<usize> {
    std::iter::once(a).chain((0..rank).filter(|&i| i != a)).collect()
}

/// The inverse permutation.
fn inverse(p: &[usize]) -> Vec<usize> {
    let mut q = vec![0; p.len()];
    for (i, &x) in p.iter().enumerate() {
        q[x] = i;
    }
    q
}

/// Adds `Transpose(x, p)` (nothing when p is the identity).
fn transpose(eg: &mut EGraph, x: Id, p: Vec<usize>) -> Option<Id> {
    if p.iter().enumerate().all(|(i, &x)| i == x) {
        return Some(x);
    }
    add_checked(eg, SnnNode::new(Sym::Transpose(p), vec![x]))
}

fn unions(eg: &mut EGraph, c: Id, w: Option<Id>) -> Vec<Id> {
    match w {
        Some(w) if ty(eg, w).is_some() && ty(eg, w) == ty(eg, c) => {
            union(eg, c, w).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

fn gather_axis() -> Rule {
    custom(
        "gather-axis",
        Some(Sym::Gather(1)),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| matches!(s, Sym::Gather(a) if *a != 0)) {
                let Sym::Gather(axis) = n.sym else { continue };
                let rank = ty(eg, n.args[0]).map_or(0, |t| t.rank());
                if let Some(a) = normalize_axis(axis, rank).filter(|&a| a > 0) {
                    out.push(vec![eg.find(n.args[0]), eg.find(n.args[1]), Id::from(a)]);
                }
            }
            out
        },
        |eg, c, m| {
            // m[2] is the axis as a number.
            let (s, i, a) = (m[0], m[1], usize::from(m[2]));
            let Some(rank) = ty(eg, s).map(|t| t.rank()) else { return Vec::new() };
            let Some(t) = transpose(eg, s, to_front(a, rank)) else { return Vec::new() };
            let g = add_checked(eg, SnnNode::new(Sym::Gather(0), vec![t, i]));
            unions(eg, c, g)
        },
    )
}

/// The parts of `Concat(Unsqueeze(x_i, [a]) …, axis a)` in class `c`: (x_i, a) with a > 0.
fn stacked(eg: &EGraph, c: Id) -> Vec<(Vec<Id>, usize)> {
    let mut out = Vec::new();
    for n in nodes(eg, c, |s| matches!(s, Sym::Concat(a) if *a != 0)) {
        let Sym::Concat(axis) = n.sym else { continue };
        let Some(rank) = ty(eg, c).map(|t| t.rank()) else { continue };
        let Some(a) = normalize_axis(axis, rank).filter(|&a| a > 0) else { continue };
        let xs: Option<Vec<Id>> = n
            .args
            .iter()
            .map(|&arg| {
                nodes(eg, arg, |s| {
                    matches!(s, Sym::Unsqueeze(u) if u.len() == 1 && normalize_axis(u[0], rank) == Some(a))
                })
                .map(|u| eg.find(u.args[0]))
                .next()
            })
            .collect();
        if let Some(xs) = xs {
            out.push((xs, a));
        }
    }
    out
}

fn concat_axis() -> Rule {
    custom(
        "concat-axis",
        Some(Sym::Concat(1)),
        |eg, c| if stacked(eg, c).is_empty() { Vec::new() } else { vec![vec![]] },
        |eg, c, _| {
            let mut changed = Vec::new();
            for (xs, a) in stacked(eg, c) {
                let Some(rank) = ty(eg, c).map(|t| t.rank()) else { continue };
                let us: Option<Vec<Id>> = xs
                    .iter()
                    .map(|&x| add_checked(eg, SnnNode::new(Sym::Unsqueeze(vec![0]), vec![x])))
                    .collect();
                let Some(us) = us else { continue };
                let Some(cat) = add_checked(eg, SnnNode::new(Sym::Concat(0), us)) else {
                    continue;
                };
                let w = transpose(eg, cat, inverse(&to_front(a, rank)));
                changed.extend(unions(eg, c, w));
            }
            changed
        },
    )
}

/// A transpose to push inward.
enum Pushed {
    /// `op` over `args`, each transposed by `perm` where its flag is set and kept where not.
    Op { perm: Vec<usize>, op: Box<Sym>, args: Vec<Id>, flags: Vec<bool> },
    /// `Transpose(x, perm)` alone (two transposes composed).
    Alone { x: Id, perm: Vec<usize> },
}

/// Whether permutation `p` keeps its last `k` axes in place.
fn keeps_last(p: &[usize], k: usize) -> bool {
    k <= p.len() && (p.len() - k..p.len()).all(|i| p[i] == i)
}

/// The trailing axes that window op `n` reads as one image (channels and spatial axes), from
/// its weight's rank or its window; the axes before them are images mapped one by one.
pub(crate) fn image_axes(eg: &EGraph, n: &SnnNode) -> Option<usize> {
    match &n.sym {
        Sym::Conv(_) => ty(eg, n.args[1]).map(|t| t.rank().saturating_sub(1)),
        Sym::Pool(spec) => Some(spec.kernel.len() + 1),
        _ => None,
    }
}

/// `Transpose(op(x, …), p)` for an op that p commutes with (a `Linear` when p keeps the last
/// axis; a `Conv` or pool when p keeps its image axes; an elementwise op): the op and which
/// of its arguments take the transpose. Also `Transpose(Transpose(x, q), p)` as x and q∘p
/// alone.
fn transposed(eg: &EGraph, c: Id) -> Vec<Pushed> {
    let mut out = Vec::new();
    for n in nodes(eg, c, |s| matches!(s, Sym::Transpose(_))) {
        let Sym::Transpose(p) = &n.sym else { continue };
        let inner = eg.find(n.args[0]);
        let mut push = |m: &SnnNode, flags: Vec<bool>| {
            let args = m.args.iter().map(|&a| eg.find(a)).collect();
            out.push(Pushed::Op { perm: p.clone(), op: Box::new(m.sym.clone()), args, flags });
        };
        let first = |m: &SnnNode| (0..m.args.len()).map(|i| i == 0).collect::<Vec<bool>>();
        if keeps_last(p, 1) {
            for l in nodes(eg, inner, |s| matches!(s, Sym::Linear { .. })) {
                push(l, first(l));
            }
        }
        for w in nodes(eg, inner, |s| matches!(s, Sym::Conv(_) | Sym::Pool(_))) {
            if image_axes(eg, w).is_some_and(|k| keeps_last(p, k)) {
                push(w, first(w));
            }
        }
        for m in nodes(eg, inner, crate::rules::time::map::is_elementwise) {
            let Some(shape) = ty(eg, inner).map(|t| &t.shape) else { continue };
            let one = |a: Id| value(eg, a).is_some_and(|v| v.len() == 1);
            if let Some(flags) = moved_operands(eg, m, shape, one) {
                push(m, flags);
            }
        }
        for t in nodes(eg, inner, |s| matches!(s, Sym::Transpose(_))) {
            let Sym::Transpose(q) = &t.sym else { continue };
            if q.len() == p.len() {
                let composed: Vec<usize> = p.iter().map(|&i| q[i]).collect();
                out.push(Pushed::Alone { x: eg.find(t.args[0]), perm: composed });
            }
        }
    }
    out
}

fn transpose_push() -> Rule {
    custom(
        "transpose-push",
        Some(Sym::Transpose(Vec::new())),
        |eg, c| if transposed(eg, c).is_empty() { Vec::new() } else { vec![vec![]] },
        |eg, c, _| {
            let mut changed = Vec::new();
            for pushed in transposed(eg, c) {
                let w = match pushed {
                    Pushed::Op { perm, op, args, flags } => {
                        let args: Option<Vec<Id>> = args
                            .iter()
                            .zip(&flags)
                            .map(
                                |(&a, &t)| if t { transpose(eg, a, perm.clone()) } else { Some(a) },
                            )
                            .collect();
                        args.and_then(|args| add_checked(eg, SnnNode::new(*op, args)))
                    }
                    Pushed::Alone { x, perm } => transpose(eg, x, perm),
                };
                changed.extend(unions(eg, c, w));
            }
            changed
        },
    )
}

/// The layout rules.
pub fn rules() -> Vec<Rule> {
    vec![gather_axis(), concat_axis(), transpose_push()]
}
