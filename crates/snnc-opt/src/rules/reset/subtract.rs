//! The subtract reset: `v − z·v_th` with z = Θ(v − v_th) (SpikingJelly's soft reset, snnTorch's
//! and sinabs' default), in either product order, and `v − z` where the threshold is 1 (the
//! exporter folds `z·1`). The product's constant must equal the spike's threshold neuron by
//! neuron; any other `v − z·k` is no reset of this family and stays as it is.
//!
//! The spelling differentiates z, so the fused op's reset gradient is the compile-time
//! `reset_grad`.

use egg::Id;
use snnc_ir::{Reset, ResetGrad, Spikes};

use crate::analysis::EGraph;
use crate::rules::reset::cell::{differences, fuse, neuron, pairs, per_neuron, spikes_of, Fire};
use crate::rules::support::{custom, same, ty, Rule};
use crate::sym::{Bits, Sym};

/// Whether `k` (or 1 when `None`) is the threshold of `fire`, neuron by neuron, for `v`.
fn is_threshold(eg: &EGraph, v: Id, fire: &Fire, k: Option<Id>) -> bool {
    let Some(&n) = ty(eg, v).and_then(|t| t.shape.last()) else { return false };
    let Some(th) = per_neuron(eg, fire.th, n) else { return false };
    let k = match k {
        Some(k) => per_neuron(eg, k, n),
        None => Some(vec![Bits::of(1.0)]),
    };
    k.is_some_and(|k| same_per_neuron(&k, &th))
}

/// Whether two per-neuron value lists ([`per_neuron`]: one value, or one per neuron) are the
/// same numbers neuron by neuron, a single value standing for every neuron.
pub fn same_per_neuron(a: &[Bits], b: &[Bits]) -> bool {
    let at = |v: &[Bits], i: usize| v[if v.len() == 1 { 0 } else { i }].get();
    let n = a.len().max(b.len());
    (a.len() == b.len() || a.len() == 1 || b.len() == 1) && (0..n).all(|i| at(a, i) == at(b, i))
}

/// The (z, k) that `p` is: `z·k`, `k·z`, or `z` itself (k = `None`, a threshold of 1).
fn scaled_spikes(eg: &EGraph, p: Id, v: Id) -> Vec<(Id, Option<Id>)> {
    let mut out: Vec<(Id, Option<Id>)> = Vec::new();
    if !spikes_of(eg, p, v).is_empty() {
        out.push((p, None));
    }
    for (z, k) in pairs(eg, p, &Sym::Mul) {
        if !spikes_of(eg, z, v).is_empty() {
            out.push((z, Some(k)));
        }
    }
    out
}

fn subtract(rg: ResetGrad) -> Rule {
    custom(
        "reset-subtract",
        Some(Sym::Sub),
        |eg, root| {
            let mut out = Vec::new();
            for (v, p) in differences(eg, root) {
                for (z, k) in scaled_spikes(eg, p, v) {
                    let fits = spikes_of(eg, z, v).iter().any(|f| is_threshold(eg, v, f, k));
                    if fits {
                        out.push([vec![v, z], k.into_iter().collect()].concat());
                    }
                }
            }
            out
        },
        move |eg, root, m| {
            let (v, z, k) = (m[0], m[1], m.get(2).copied());
            let mut changed = Vec::new();
            for fire in spikes_of(eg, z, v) {
                if !is_threshold(eg, v, &fire, k) || same(eg, z, root) {
                    continue;
                }
                if let Some(p) = neuron(eg, v, fire, Reset::Subtract, None, rg, Spikes::Single) {
                    changed.extend(fuse(eg, root, v, fire.z, p, &[fire.th, k.unwrap_or(fire.th)]));
                }
            }
            changed
        },
    )
}

/// The subtract-reset rules.
pub fn rules(reset_grad: ResetGrad) -> Vec<Rule> {
    vec![subtract(reset_grad)]
}
