//! snnTorch's late reset after a decay: with β ≠ 1 its step is `(β·v + I) − z·k` with
//! z = Θ(v − v_th) (k = v_th, or `z` alone where the exporter folded `z·1`), the reset of the
//! previous step subtracted after the decay. That is `β·(v − z·k/β) + I`: a `subtract` reset
//! of v whose amount is k/β, then the leaky integration, which the leak step rules fuse into
//! one cell ([`crate::rules::leak`]). `RLeaky` adds its two currents one after the other,
//! `((β·v + I₁) + I₂) − z·k`, which becomes `β·(v − z·k/β) + (I₁ + I₂)`.
//!
//! Like [`crate::rules::reset::late`], the rewrite rounds differently from the export (the
//! amount k/β is rounded to f32 once, and the product by β moves ahead of the sum): potentials
//! may move by an ulp, which SPEC §5 allows. β and k must be constants that hold no trainable
//! parameter ([`per_neuron`]), β nonzero for every neuron, and not 1 for all of them (that is
//! the late reset without a decay).

use egg::Id;
use snnc_ir::{Reset, ResetGrad, Spikes};

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::reset::cell::{neuron, pairs, per_neuron, spikes_of};
use crate::rules::support::{
    add_checked, args_of, custom, mark_value_used, proj, ty, union, value, Rule,
};
use crate::sym::{Bits, Sym};

/// A match: the sum `(β·v + I₁) [+ I₂] − p` in some class.
struct Late {
    /// The previous potential.
    v: Id,
    /// The decay's constant class.
    beta: Id,
    /// Whether the product is spelled `v·β` (else `β·v`).
    v_first: bool,
    /// The currents added after the decay, in order.
    inputs: Vec<Id>,
    /// The spike `z` of v that the reset subtracts.
    z: Id,
    /// The multiple of z's constant (`None`: `z` alone, a multiple of 1).
    k: Option<Id>,
}

/// The decays `β·v` in class `m`: (v, β, whether spelled `v·β`).
fn decays(eg: &EGraph, m: Id) -> Vec<(Id, Id, bool)> {
    args_of(eg, m, &Sym::Mul, 2)
        .into_iter()
        .flat_map(|d| [(d[1], d[0], false), (d[0], d[1], true)])
        .filter(|&(v, b, _)| value(eg, v).is_none() && value(eg, b).is_some())
        .collect()
}

/// The (z, k) that `p` is for potential `v`: `z·k`, `k·z`, or `z` itself (k = `None`).
fn scaled(eg: &EGraph, p: Id, v: Id) -> Vec<(Id, Option<Id>)> {
    let mut out: Vec<(Id, Option<Id>)> = Vec::new();
    if !spikes_of(eg, p, v).is_empty() {
        out.push((p, None));
    }
    for (z, k) in pairs(eg, p, &Sym::Mul) {
        if !spikes_of(eg, z, v).is_empty() && value(eg, k).is_some() {
            out.push((z, Some(k)));
        }
    }
    out
}

/// Every match in class `c`.
fn matches(eg: &EGraph, c: Id) -> Vec<Late> {
    let mut out = Vec::new();
    if value(eg, c).is_some() {
        return out;
    }
    for d in args_of(eg, c, &Sym::Sub, 2) {
        let (a, p) = (d[0], d[1]);
        // `β·v + I₁`, and `(β·v + I₁) + I₂`.
        let mut sums: Vec<(Id, Vec<Id>)> =
            pairs(eg, a, &Sym::Add).into_iter().map(|(m, i)| (m, vec![i])).collect();
        for (s, i2) in pairs(eg, a, &Sym::Add) {
            sums.extend(pairs(eg, s, &Sym::Add).into_iter().map(|(m, i1)| (m, vec![i1, i2])));
        }
        for (m, inputs) in sums {
            for (v, beta, v_first) in decays(eg, m) {
                for (z, k) in scaled(eg, p, v) {
                    out.push(Late { v, beta, v_first, inputs: inputs.clone(), z, k });
                }
            }
        }
    }
    out
}

/// The amount k/β per neuron, rounded to f32 once; `None` unless β and k are per-neuron
/// constants of a layer of `n` neurons, every β nonzero and some β ≠ 1.
fn amount(eg: &EGraph, beta: Id, k: Option<Id>, n: usize) -> Option<Vec<Bits>> {
    let b = per_neuron(eg, beta, n)?;
    let k = match k {
        Some(k) => per_neuron(eg, k, n)?,
        None => vec![Bits::of(1.0)],
    };
    if b.iter().any(|x| x.get() == 0.0) || b.iter().all(|x| x.get() == 1.0) {
        return None;
    }
    let at = |v: &[Bits], i: usize| f64::from(v[if v.len() == 1 { 0 } else { i }].get());
    let len = b.len().max(k.len());
    Some((0..len).map(|i| Bits::of((at(&k, i) / at(&b, i)) as f32)).collect())
}

/// Adds `op(a, b)` when it has the type of class `like`.
fn add_like(eg: &mut EGraph, op: Sym, a: Id, b: Id, like: Id) -> Option<Id> {
    let n = add_checked(eg, SnnNode::new(op, vec![a, b]))?;
    (ty(eg, n).is_some() && ty(eg, n) == ty(eg, like)).then_some(n)
}

/// Rewrites class `c`, matched as `l`, with a reset of amount k/β for each spike of v in z.
fn apply(eg: &mut EGraph, c: Id, l: &Late, rg: ResetGrad) -> Vec<Id> {
    let mut changed = Vec::new();
    let Some(&n) = ty(eg, l.v).and_then(|t| t.shape.last()) else { return changed };
    let Some(d) = amount(eg, l.beta, l.k, n) else { return changed };
    if ty(eg, l.z) != ty(eg, l.v) {
        return changed;
    }
    for fire in spikes_of(eg, l.z, l.v) {
        let Some(mut p) = neuron(eg, l.v, fire, Reset::Subtract, None, rg, Spikes::Single) else {
            continue;
        };
        p.amount = Some(d.clone());
        let Some(t) = add_checked(eg, SnnNode::new(Sym::SpikeReset(p), vec![l.v])) else {
            continue;
        };
        let (pz, pv) = (proj(eg, 0, t), proj(eg, 1, t));
        let (a, b) = if l.v_first { (pv, l.beta) } else { (l.beta, pv) };
        let Some(m) = add_like(eg, Sym::Mul, a, b, l.v) else { continue };
        // `β·r + (I₁ + I₂)`: the step's whole current in one class, which the leaky rules
        // read as a recurrent current `x·Wᵀ + z·Rᵀ` (a sum rounded as the fused step does).
        let current = match l.inputs[..] {
            [i] => Some(i),
            [i1, i2] => add_like(eg, Sym::Add, i1, i2, c),
            _ => None,
        };
        let Some(s) = current.and_then(|i| add_like(eg, Sym::Add, m, i, c)) else { continue };
        mark_value_used(eg, fire.th);
        if let Some(k) = l.k {
            mark_value_used(eg, k);
        }
        changed.extend(union(eg, fire.z, pz));
        changed.extend(union(eg, c, s));
    }
    changed
}

/// The matches of class `c` whose constants make an amount.
fn found(eg: &EGraph, c: Id) -> Vec<Late> {
    let n = |l: &Late| ty(eg, l.v).and_then(|t| t.shape.last()).copied();
    matches(eg, c)
        .into_iter()
        .filter(|l| n(l).is_some_and(|n| amount(eg, l.beta, l.k, n).is_some()))
        .collect()
}

fn late_decay(rg: ResetGrad) -> Rule {
    custom(
        "reset-late-decay",
        Some(Sym::Sub),
        |eg, c| if found(eg, c).is_empty() { Vec::new() } else { vec![vec![c]] },
        move |eg, c, _| {
            let mut changed = Vec::new();
            for l in found(eg, c) {
                changed.extend(apply(eg, c, &l, rg));
            }
            changed
        },
    )
}

/// The late-reset-after-a-decay rule (`reset-late-decay`), whose fused resets differentiate
/// through the spike as `reset_grad` says.
pub fn rules(reset_grad: ResetGrad) -> Vec<Rule> {
    vec![late_decay(reset_grad)]
}
