//! Shape identities: data movement that moves nothing. SpikingJelly's exports read each step
//! as `Squeeze(Slice(Unsqueeze(x, a), 0:1 on a), a)`, which is x itself; recognising it lets
//! the step and time rules see the same form as Norse's, and it passes spikes on as
//! `Gather(Unsqueeze(z, 0), 0)`, which is z.

use egg::Id;

use crate::analysis::EGraph;
use ndarray::{ArrayD, IxDyn};
use snnc_ir::{normalize_axis, Tensor};

use crate::lang::SnnNode;
use crate::rules::support::{add_checked, custom, index_of, nodes, ty, union, Rule};
use crate::sym::Sym;

/// `Slice(x)` that reads every axis whole, forwards, is x.
fn slice_full() -> Rule {
    custom(
        "slice-full",
        Some(Sym::Slice(Default::default())),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| matches!(s, Sym::Slice(_))) {
                let Sym::Slice(spec) = &n.sym else { continue };
                let x = eg.find(n.args[0]);
                let Some(shape) = ty(eg, x).map(|t| t.shape.clone()) else { continue };
                let whole = spec.resolve(&shape).is_ok_and(|axes| {
                    axes.iter().all(|a| a.start == 0 && a.len == shape[a.axis] && a.step == 1)
                });
                if whole {
                    out.push(vec![x]);
                }
            }
            out
        },
        |eg, c, m| union_same(eg, c, m[0]),
    )
}

/// `Squeeze(Unsqueeze(x, axes), axes)` is x (the same axes, as written).
fn squeeze_unsqueeze() -> Rule {
    custom(
        "squeeze-unsqueeze",
        Some(Sym::Squeeze(Vec::new())),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| matches!(s, Sym::Squeeze(_))) {
                let Sym::Squeeze(axes) = &n.sym else { continue };
                let inner = eg.find(n.args[0]);
                for u in nodes(eg, inner, |s| matches!(s, Sym::Unsqueeze(_))) {
                    let Sym::Unsqueeze(ua) = &u.sym else { continue };
                    if !axes.is_empty() && ua == axes {
                        out.push(vec![eg.find(u.args[0])]);
                    }
                }
            }
            out
        },
        |eg, c, m| union_same(eg, c, m[0]),
    )
}

/// `Gather(Unsqueeze(x, [a]), i, axis a)` is x: the new axis has one row, so the only index
/// is 0 (or −1). SpikingJelly's single-step exports pass each step's spikes on that way.
fn gather_unsqueeze() -> Rule {
    custom(
        "gather-unsqueeze",
        Some(Sym::Gather(0)),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| matches!(s, Sym::Gather(_))) {
                let Sym::Gather(axis) = n.sym else { continue };
                if !matches!(index_of(eg, n.args[1]), Some(0 | -1)) {
                    continue;
                }
                for u in nodes(eg, n.args[0], |s| matches!(s, Sym::Unsqueeze(_))) {
                    let Sym::Unsqueeze(ua) = &u.sym else { continue };
                    let rank = ty(eg, u.args[0]).map_or(0, |t| t.rank()) + 1;
                    let new_axis = normalize_axis(ua[0], rank);
                    if ua.len() == 1 && new_axis.is_some() && new_axis == normalize_axis(axis, rank)
                    {
                        out.push(vec![eg.find(u.args[0])]);
                    }
                }
            }
            out
        },
        |eg, c, m| union_same(eg, c, m[0]),
    )
}

/// `Squeeze(Slice(S, [t, t + 1) on axis a), [a])` is `Gather(S, t, axis a)`: one row of S,
/// the way SpikingJelly's multi-step exports read each step of a sequence.
fn squeeze_slice_row() -> Rule {
    custom(
        "squeeze-slice-row",
        Some(Sym::Squeeze(Vec::new())),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| matches!(s, Sym::Squeeze(_))) {
                let Sym::Squeeze(axes) = &n.sym else { continue };
                let inner = eg.find(n.args[0]);
                for sl in nodes(eg, inner, |s| matches!(s, Sym::Slice(_))) {
                    let Sym::Slice(spec) = &sl.sym else { continue };
                    let s = eg.find(sl.args[0]);
                    let Some(shape) = ty(eg, s).map(|t| t.shape.clone()) else { continue };
                    let Ok(resolved) = spec.resolve(&shape) else { continue };
                    let moved: Vec<_> =
                        resolved.iter().filter(|a| a.len != shape[a.axis] || a.step != 1).collect();
                    let [row] = moved.as_slice() else { continue };
                    let squeezed =
                        axes.len() == 1 && normalize_axis(axes[0], shape.len()) == Some(row.axis);
                    if squeezed && row.len == 1 {
                        out.push(vec![s, Id::from(row.axis), Id::from(row.start)]);
                    }
                }
            }
            out
        },
        |eg, c, m| {
            // The match carries the axis and the row as plain numbers, not e-classes.
            let (s, axis, t) = (m[0], usize::from(m[1]), usize::from(m[2]));
            let k = eg.analysis.leaves.intern(Tensor::I64(ArrayD::from_elem(IxDyn(&[]), t as i64)));
            let i = eg.add(SnnNode::leaf(Sym::Const(k)));
            let Some(g) = add_checked(eg, SnnNode::new(Sym::Gather(axis as i64), vec![s, i]))
            else {
                return Vec::new();
            };
            union_same(eg, c, g)
        },
    )
}

/// Unions `c` with `x` when both have one and the same type.
fn union_same(eg: &mut EGraph, c: Id, x: Id) -> Vec<Id> {
    if ty(eg, c).is_some() && ty(eg, c) == ty(eg, x) {
        union(eg, c, x).into_iter().collect()
    } else {
        Vec::new()
    }
}

/// The shape rules.
pub fn rules() -> Vec<Rule> {
    vec![slice_full(), squeeze_unsqueeze(), gather_unsqueeze(), squeeze_slice_row()]
}
