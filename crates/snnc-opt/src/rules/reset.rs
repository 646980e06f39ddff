//! Reset: `(1 − z)·v + z·v_reset` with z = Θ(v − v_th) is one fused spike-and-reset op, whose
//! outputs are the spike z and the reset potential. With v_reset = 0 the sum is just
//! `(1 − z)·v`: the select `z ? 0 : v`, the same fused op with a zero reset.
//!
//! The fused op's backward includes the surrogate path through z into the reset (the reset is
//! not detached, SPEC §1), so values and gradients are those of the primitive spelling.

use egg::Id;
use snnc_ir::{Family, ResetGrad};

use crate::analysis::EGraph;
use crate::consts::all_equal;
use crate::lang::SnnNode;
use crate::rules::support::{
    add_checked, args_of, constant, custom, nodes, proj, same, ty, union, value, Rule,
};
use crate::sym::{Bits, Neuron, Sg, Sym};

/// The per-neuron values of a constant that broadcasts over neurons (the last axis of a
/// potential of `n` neurons): one value, or one per neuron. A trainable parameter (a threshold
/// vector stored as an initializer) is no constant here ([`constant`]): as an attribute it would
/// get no gradient, so that layer stays unfused.
pub fn per_neuron(eg: &EGraph, c: Id, n: usize) -> Option<Vec<Bits>> {
    let t = constant(eg, c)?;
    let vals = t.as_f32_vec()?;
    let shape = t.shape();
    if vals.len() == 1 && shape.len() <= 1 {
        Some(vec![Bits::of(vals[0])])
    } else if shape == [n] {
        Some(vals.into_iter().map(Bits::of).collect())
    } else {
        None
    }
}

/// The spikes `z = Θ(v − th)` in class `z`: (surrogate, th) for each such Θ of this `v`.
pub fn spikes_of(eg: &EGraph, z: Id, v: Id) -> Vec<(Sg, Id)> {
    let mut out = Vec::new();
    for n in nodes(eg, z, |s| matches!(s, Sym::Spike(_))) {
        let Sym::Spike(sg) = n.sym else { continue };
        for d in args_of(eg, n.args[0], &Sym::Sub, 2) {
            if same(eg, d[0], v) {
                out.push((sg, d[1]));
            }
        }
    }
    out
}

/// The (1 − z) factors in class `c`: each z with `1 − z` spelled by value.
fn one_minus(eg: &EGraph, c: Id) -> Vec<Id> {
    args_of(eg, c, &Sym::Sub, 2)
        .into_iter()
        .filter(|d| constant(eg, d[0]).is_some_and(|t| all_equal(t, 1.0)))
        .map(|d| d[1])
        .collect()
}

/// Every `k` with `z·k` or `k·z` in class `target`, found through z's parents: a class of
/// equal constants (every `z·0` of a network is one zero) can hold thousands of products, and
/// scanning it for each match would cost O(T²).
fn factors_in(eg: &EGraph, z: Id, target: Id) -> Vec<Id> {
    let (z, target) = (eg.find(z), eg.find(target));
    let mut out = Vec::new();
    for p in eg[z].parents() {
        let n = eg.id_to_node(p);
        if n.sym != Sym::Mul || eg.find(p) != target {
            continue;
        }
        let (a, b) = (eg.find(n.args[0]), eg.find(n.args[1]));
        if a == z {
            out.push(b);
        }
        if b == z {
            out.push(a);
        }
    }
    out
}

/// Both operand orders of every node `sym(a, b)` in class `c`.
fn pairs(eg: &EGraph, c: Id, sym: &Sym) -> Vec<(Id, Id)> {
    args_of(eg, c, sym, 2).into_iter().flat_map(|d| [(d[0], d[1]), (d[1], d[0])]).collect()
}

/// Neuron parameters from threshold and reset classes for potential `v`.
fn neuron(
    eg: &EGraph,
    v: Id,
    th: Id,
    vr: Option<Id>,
    sg: Sg,
    reset_grad: ResetGrad,
) -> Option<Neuron> {
    let n = *ty(eg, v)?.shape.last()?;
    let v_th = per_neuron(eg, th, n)?;
    let v_reset = match vr {
        Some(r) => per_neuron(eg, r, n)?,
        None => vec![Bits::of(0.0)],
    };
    let family = Family { reset_grad, ..Family::NORSE };
    Some(Neuron { v_th, v_reset, sg, family })
}

/// Adds the fused op for `v` and unions its outputs with the reset potential `root` and the
/// spike `z`.
fn fuse(eg: &mut EGraph, root: Id, v: Id, z: Id, p: Neuron) -> Vec<Id> {
    let Some(t) = add_checked(eg, SnnNode::new(Sym::SpikeReset(p), vec![v])) else {
        return Vec::new();
    };
    let (pz, pv) = (proj(eg, 0, t), proj(eg, 1, t));
    [union(eg, root, pv), union(eg, z, pz)].into_iter().flatten().collect()
}

/// `(1 − z)·v + z·v_reset`, in any operand order.
fn general(rg: ResetGrad) -> Rule {
    custom(
        "reset-fuse",
        Some(Sym::Add),
        |eg, root| {
            let mut out = Vec::new();
            for (keep, rst) in pairs(eg, root, &Sym::Add) {
                // (1 − z)·v is never a known constant, and a constant's class can be huge.
                if value(eg, keep).is_some() {
                    continue;
                }
                for (f, v) in pairs(eg, keep, &Sym::Mul) {
                    for z in one_minus(eg, f) {
                        for vr in factors_in(eg, z, rst) {
                            if constant(eg, vr).is_none() {
                                continue;
                            }
                            for (_, th) in spikes_of(eg, z, v) {
                                out.push(vec![v, z, th, vr]);
                            }
                        }
                    }
                }
            }
            out
        },
        move |eg, root, m| apply(eg, root, [m[0], m[1], m[2]], Some(m[3]), rg),
    )
}

/// `(1 − z)·v`, the reset to zero.
fn select(rg: ResetGrad) -> Rule {
    custom(
        "reset-zero-select",
        Some(Sym::Mul),
        |eg, root| {
            let mut out = Vec::new();
            if value(eg, root).is_some() {
                return out;
            }
            for (f, v) in pairs(eg, root, &Sym::Mul) {
                for z in one_minus(eg, f) {
                    for (_, th) in spikes_of(eg, z, v) {
                        out.push(vec![v, z, th]);
                    }
                }
            }
            out
        },
        move |eg, root, m| apply(eg, root, [m[0], m[1], m[2]], None, rg),
    )
}

/// Fuses the reset of potential `v` by spikes `z` over threshold `th` (`[v, z, th]`) to `vr`.
fn apply(eg: &mut EGraph, root: Id, vzt: [Id; 3], vr: Option<Id>, rg: ResetGrad) -> Vec<Id> {
    let [v, z, th] = vzt;
    let same_type = ty(eg, root).is_some() && ty(eg, root) == ty(eg, v) && ty(eg, z) == ty(eg, v);
    if !same_type {
        return Vec::new();
    }
    let mut changed = Vec::new();
    let sgs: Vec<Sg> =
        spikes_of(eg, z, v).into_iter().filter(|(_, t)| same(eg, *t, th)).map(|(s, _)| s).collect();
    for sg in sgs {
        if let Some(p) = neuron(eg, v, th, vr, sg, rg) {
            changed.extend(fuse(eg, root, v, z, p));
        }
    }
    changed
}

/// The reset rules; the cells they fuse differentiate their reset as `reset_grad` says.
pub fn rules(reset_grad: ResetGrad) -> Vec<Rule> {
    vec![general(reset_grad), select(reset_grad)]
}
