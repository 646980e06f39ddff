//! sinabs' multi-spike: `z = [v > 0]·trunc(v / v_th)` with trunc spelled
//! `Sign(d)·Floor(Abs(d))` (d = v when the threshold is 1, else `v / v_th`), and the subtract
//! reset `v − z·v_th` (or `v − z`). One fused op with `spikes = multi`, `threshold = ge`,
//! `reset = subtract` (SPEC §1.1).
//!
//! A count that no reset reads (the last step of a layer, whose reset the exporter pruned) is
//! the same op's spike output on its own, so that it keeps the count's gradient.
//!
//! The export's own gradient is no guide here: `Floor` has none, so the plain graph's spike
//! count would pass back nothing. The fused op's surrogate at v − v_th is the library's
//! gradient (SPEC §1.1: the surrogate's argument is v̂ − v_th for `multi` too), and
//! `reset_grad` is the compile-time choice as for every arithmetic reset.

use egg::Id;
use snnc_ir::{Reset, ResetGrad, Spikes, Threshold};

use crate::analysis::EGraph;
use crate::consts::all_equal;
use crate::lang::SnnNode;
use crate::rules::reset::cell::{differences, fuse, neuron, pairs, Fire};
use crate::rules::support::{
    add_checked, args_of, constant, custom, mark_value_used, nodes, proj, same, ty, union, Rule,
};
use crate::sym::{Sg, Sym};

/// The surrogates of the `[v > 0]` factors in class `c`: Θ(v) (Θ(v − 0) after the algebra
/// rules) spelled with `>`.
fn positive(eg: &EGraph, c: Id, v: Id) -> Vec<Sg> {
    nodes(eg, c, |s| matches!(s, Sym::Spike(_, Threshold::Gt)))
        .filter(|n| same(eg, n.args[0], v))
        .filter_map(|n| if let Sym::Spike(sg, _) = n.sym { Some(sg) } else { None })
        .collect()
}

/// The divisor of `trunc(v / th)` in class `c`: `Some(th)` for `v / th`, `None` for `v`
/// itself (a threshold of 1).
fn truncs(eg: &EGraph, c: Id, v: Id) -> Vec<Option<Id>> {
    let mut out = Vec::new();
    for (s, f) in pairs(eg, c, &Sym::Mul) {
        for sd in args_of(eg, s, &Sym::Sign, 1) {
            for fa in args_of(eg, f, &Sym::Floor, 1) {
                for ad in args_of(eg, fa[0], &Sym::Abs, 1) {
                    let d = sd[0];
                    if !same(eg, ad[0], d) {
                        continue;
                    }
                    if same(eg, d, v) {
                        out.push(None);
                    }
                    for q in args_of(eg, d, &Sym::Div, 2) {
                        if same(eg, q[0], v) && constant(eg, q[1]).is_some() {
                            out.push(Some(q[1]));
                        }
                    }
                }
            }
        }
    }
    out
}

/// The multi-spike counts in class `z` for `v`: (surrogate, threshold class or `None` for 1).
pub fn counts(eg: &EGraph, z: Id, v: Id) -> Vec<(Sg, Option<Id>)> {
    let mut out = Vec::new();
    for (a, b) in pairs(eg, z, &Sym::Mul) {
        for sg in positive(eg, a, v) {
            for th in truncs(eg, b, v) {
                out.push((sg, th));
            }
        }
    }
    out
}

/// Whether the reset's scale `k` (`None`: 1) equals the count's threshold `th` (`None`: 1).
fn scale_fits(eg: &EGraph, k: Option<Id>, th: Option<Id>) -> bool {
    match (k, th) {
        (None, None) => true,
        (Some(k), Some(th)) => same(eg, k, th) || constant(eg, k) == constant(eg, th),
        (Some(k), None) => constant(eg, k).is_some_and(|t| all_equal(t, 1.0)),
        (None, Some(th)) => constant(eg, th).is_some_and(|t| all_equal(t, 1.0)),
    }
}

fn multi(rg: ResetGrad) -> Rule {
    custom(
        "reset-multi",
        Some(Sym::Sub),
        |eg, root| {
            let mut out = Vec::new();
            for (v, p) in differences(eg, root) {
                let mut scaled = vec![(p, None)];
                scaled.extend(pairs(eg, p, &Sym::Mul).into_iter().map(|(z, k)| (z, Some(k))));
                for (z, k) in scaled {
                    for (_, th) in counts(eg, z, v) {
                        if scale_fits(eg, k, th) {
                            out.push([vec![v, z], th.into_iter().collect()].concat());
                        }
                    }
                }
            }
            out
        },
        move |eg, root, m| {
            let (v, z, th) = (m[0], m[1], m.get(2).copied());
            let mut changed = Vec::new();
            for (sg, t) in counts(eg, z, v) {
                if t.map(|t| eg.find(t)) != th.map(|t| eg.find(t)) {
                    continue;
                }
                let th = match th {
                    Some(t) => t,
                    None => one(eg),
                };
                let fire = Fire { sg, threshold: Threshold::Ge, th, z, detached: false };
                if let Some(p) = neuron(eg, v, fire, Reset::Subtract, None, rg, Spikes::Multi) {
                    changed.extend(fuse(eg, root, v, z, p, &[th]));
                }
            }
            changed
        },
    )
}

/// The potentials v (and threshold classes, absent for 1) of every count
/// `[v > 0]·trunc(v / th)` in class `z`.
fn bare_counts(eg: &EGraph, z: Id) -> Vec<Vec<Id>> {
    let mut out = Vec::new();
    for (a, _) in pairs(eg, z, &Sym::Mul) {
        for n in nodes(eg, a, |s| matches!(s, Sym::Spike(_, Threshold::Gt))) {
            let v = eg.find(n.args[0]);
            for (_, th) in counts(eg, z, v) {
                out.push([vec![v], th.map(|t| eg.find(t)).into_iter().collect()].concat());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every count, also one that no reset reads (the last step's, whose reset the exporter
/// pruned), is the spike output of the fused multi-spike op on its potential (whose potential
/// output then goes unused). Left as `Spike(v)·trunc(v / th)` it would differentiate as a
/// product, `trunc(v / th)·σ'(v)`, not as the count of plain exports and of the fused op,
/// `σ'(v − th)` (SPEC §1.1; the reference interpreter's rule for that spelling), and the
/// optimized graph would pass back another gradient. Where [`multi`] fuses the count's reset
/// too, this is the same node.
fn count(rg: ResetGrad) -> Rule {
    custom("reset-multi-count", Some(Sym::Mul), bare_counts, move |eg, z, m| {
        let (v, th) = (m[0], m.get(1).copied());
        let same_type = ty(eg, z).is_some() && ty(eg, z) == ty(eg, v);
        if !same_type {
            return Vec::new();
        }
        let mut changed = Vec::new();
        for (sg, t) in counts(eg, z, v) {
            if t.map(|t| eg.find(t)) != th.map(|t| eg.find(t)) {
                continue;
            }
            let th = match th {
                Some(t) => t,
                None => one(eg),
            };
            let fire = Fire { sg, threshold: Threshold::Ge, th, z, detached: false };
            let Some(p) = neuron(eg, v, fire, Reset::Subtract, None, rg, Spikes::Multi) else {
                continue;
            };
            let Some(cell) = add_checked(eg, SnnNode::new(Sym::SpikeReset(p), vec![v])) else {
                continue;
            };
            mark_value_used(eg, th);
            let pz = proj(eg, 0, cell);
            changed.extend(union(eg, z, pz));
        }
        changed
    })
}

/// The scalar constant 1 (f32), as a leaf class.
fn one(eg: &mut EGraph) -> Id {
    let k = eg.analysis.leaves.intern(snnc_ir::Tensor::scalar_f32(1.0));
    eg.add(crate::lang::SnnNode::leaf(Sym::Const(k)))
}

/// The multi-spike rules: a count with its reset, and a count on its own.
pub fn rules(reset_grad: ResetGrad) -> Vec<Rule> {
    vec![multi(reset_grad), count(reset_grad)]
}
