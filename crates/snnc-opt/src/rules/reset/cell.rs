//! What the reset spellings share: the spikes of a potential, per-neuron constants, and adding
//! the fused spike-and-reset op.

use egg::Id;
use snnc_ir::{Family, Reset, ResetGrad, Spikes, Threshold};

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::support::{
    add_checked, args_of, constant, mark_value_used, nodes, proj, same, ty, union,
};
use crate::sym::{Bits, Neuron, Sg, Sym};

/// The per-neuron values of a constant that broadcasts over the neurons of a potential of `n`
/// neurons (its last axis): one value (any shape of ones), or one per neuron in the last axis
/// with every other axis 1 (`[N]`, `[1, N]`, `[1, 1, N]`). A trainable parameter (a threshold
/// vector stored as an initializer) is no constant here ([`constant`]): as an attribute it
/// would get no gradient, so that layer stays unfused.
pub fn per_neuron(eg: &EGraph, c: Id, n: usize) -> Option<Vec<Bits>> {
    let t = constant(eg, c)?;
    let shape = t.shape();
    let (last, lead) = match shape.split_last() {
        Some((&last, lead)) => (last, lead),
        None => (1, &[][..]),
    };
    // Decided on the shape first: a large constant (a zero state of a whole layer) is no
    // per-neuron value, and converting it would cost more than the whole match.
    if lead.iter().any(|&d| d != 1) || (last != 1 && last != n) {
        return None;
    }
    let vals = t.as_f32_vec()?;
    if vals.len() == 1 {
        Some(vec![Bits::of(vals[0])])
    } else if last == n {
        Some(vals.into_iter().map(Bits::of).collect())
    } else {
        None
    }
}

/// One spike decision on a potential: Θ(v − th) with its surrogate and comparison.
#[derive(Debug, Clone, Copy)]
pub struct Fire {
    /// The surrogate.
    pub sg: Sg,
    /// `>` or `≥`.
    pub threshold: Threshold,
    /// The threshold's class.
    pub th: Id,
    /// The class of the spike itself, which the fused op's spike output joins.
    pub z: Id,
    /// Whether the reset reads the spike through `Detach` (the library's `detach()`, put
    /// back by `--reset-grad` for this layer): the fused reset is then `detached`.
    pub detached: bool,
}

/// The spikes `z = Θ(v − th)` in class `z` (either comparison), also read through a
/// `Detach`.
pub fn spikes_of(eg: &EGraph, z: Id, v: Id) -> Vec<Fire> {
    let mut classes = vec![(eg.find(z), false)];
    classes.extend(nodes(eg, z, |s| *s == Sym::Detach).map(|n| (eg.find(n.args[0]), true)));
    let mut out = Vec::new();
    for (c, detached) in classes {
        for n in nodes(eg, c, |s| matches!(s, Sym::Spike(..))) {
            let Sym::Spike(sg, threshold) = n.sym else { continue };
            for d in args_of(eg, n.args[0], &Sym::Sub, 2) {
                if same(eg, d[0], v) {
                    out.push(Fire { sg, threshold, th: d[1], z: c, detached });
                }
            }
        }
    }
    out
}

/// The (v, p) of every `v − p` in class `root`; none when the class has a known value (a reset
/// potential never has, and a constant's class can hold thousands of nodes).
pub fn differences(eg: &EGraph, root: Id) -> Vec<(Id, Id)> {
    if crate::rules::support::value(eg, root).is_some() {
        return Vec::new();
    }
    args_of(eg, root, &Sym::Sub, 2).into_iter().map(|d| (d[0], d[1])).collect()
}

/// Both operand orders of every node `sym(a, b)` in class `c`.
pub fn pairs(eg: &EGraph, c: Id, sym: &Sym) -> Vec<(Id, Id)> {
    args_of(eg, c, sym, 2).into_iter().flat_map(|d| [(d[0], d[1]), (d[1], d[0])]).collect()
}

/// Every `k` with `z·k` or `k·z` in class `target`, found through z's parents: a class of
/// equal constants (every `z·0` of a network is one zero) can hold thousands of products, and
/// scanning it for each match would cost O(T²).
pub fn factors_in(eg: &EGraph, z: Id, target: Id) -> Vec<Id> {
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

/// The cell that fires as `fire` says on potential `v` and resets as `reset` (to the constant
/// `vr`, or to 0), with `reset_grad` (`detached` where the reset reads the spike through
/// `Detach`) and `spikes`; `None` when a constant does not broadcast over the neurons.
pub fn neuron(
    eg: &EGraph,
    v: Id,
    fire: Fire,
    reset: Reset,
    vr: Option<Id>,
    reset_grad: ResetGrad,
    spikes: Spikes,
) -> Option<Neuron> {
    let n = *ty(eg, v)?.shape.last()?;
    let v_th = per_neuron(eg, fire.th, n)?;
    let v_reset = match vr {
        Some(r) => per_neuron(eg, r, n)?,
        None => vec![Bits::of(0.0)],
    };
    let reset_grad = if fire.detached { ResetGrad::Detached } else { reset_grad };
    let family = Family { threshold: fire.threshold, reset, reset_grad, spikes };
    family.check().ok()?;
    Some(Neuron { v_th, v_reset, sg: fire.sg, family, leak: Neuron::if_leak(), amount: None })
}

/// Adds the fused op for `v` and unions its outputs with the reset potential `root` and the
/// spike `z` (the spike itself, never a `Detach` of it: the two differ in the backward pass),
/// when all three have the potential's type. `absorbed` are the constant classes
/// whose values became the op's attributes (threshold, reset potential).
pub fn fuse(eg: &mut EGraph, root: Id, v: Id, z: Id, p: Neuron, absorbed: &[Id]) -> Vec<Id> {
    let same_type = ty(eg, root).is_some() && ty(eg, root) == ty(eg, v) && ty(eg, z) == ty(eg, v);
    if !same_type {
        return Vec::new();
    }
    let Some(t) = add_checked(eg, SnnNode::new(Sym::SpikeReset(p), vec![v])) else {
        return Vec::new();
    };
    for &c in absorbed {
        mark_value_used(eg, c);
    }
    let (pz, pv) = (proj(eg, 0, t), proj(eg, 1, t));
    [union(eg, root, pv), union(eg, z, pz)].into_iter().flatten().collect()
}

/// Fuses a single-spike cell of potential `v` for each spike of `v` in class `z` (or read
/// through a `Detach` there), with `reset`
/// to `vr` (0 when `None`) and `reset_grad`: its outputs are unioned with `root` and `z`, and
/// the threshold and reset constants are absorbed ([`fuse`]).
pub fn fuse_fired(
    eg: &mut EGraph,
    root: Id,
    v: Id,
    z: Id,
    reset: Reset,
    vr: Option<Id>,
    reset_grad: ResetGrad,
) -> Vec<Id> {
    let mut changed = Vec::new();
    for fire in spikes_of(eg, z, v) {
        if let Some(p) = neuron(eg, v, fire, reset, vr, reset_grad, Spikes::Single) {
            changed.extend(fuse(eg, root, v, fire.z, p, &[fire.th, vr.unwrap_or(fire.th)]));
        }
    }
    changed
}
