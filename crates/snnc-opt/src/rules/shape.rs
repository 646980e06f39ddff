//! Shape identities: data movement that moves nothing. SpikingJelly's exports read each step
//! as `Squeeze(Slice(Unsqueeze(x, a), 0:1 on a), a)`, which is x itself; recognising it lets
//! the step and time rules see the same form as Norse's.

use egg::Id;

use crate::analysis::EGraph;
use crate::rules::support::{custom, nodes, ty, union, Rule};
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
    vec![slice_full(), squeeze_unsqueeze()]
}
