//! One whole leaky step (SPEC §1.2) is an `IAFFeedForwardStep` or `IAFStep` node with the
//! cell's α, β, γ, v_leak, found from the affine form of its integration (`leak-step-itf`): a
//! fused reset `SpikeReset(v̂)` whose input reads `v̂ = β·v + γ·u + δ` is the integrate-then-fire
//! step from v with current u. Norse's `v + dt·τ_m·((v_leak − v) + i)`, SpikingJelly's
//! `v + (x − (v − v_reset))/τ`, sinabs' `e^{−1/τ}·v + (1 − e^{−1/τ})·x` and snnTorch's
//! `β·((1 − z)·mem) + x` all read so.
//!
//! A fire-then-integrate export is read the same way: its chain is an integrate-then-fire chain
//! over the post-reset potentials, shifted by one step (snnTorch's `mem` is v̂, reported as
//! `v_out = before_reset`). The IF rules keep both views; a leaky fire-then-integrate view would
//! only add an equal-cost alternative whose last spike lies past the sequence (computed apart,
//! from V_T), and the extractor, which improves its greedy choice one class at a time, can
//! settle on a mix of the two.
//!
//! The current u is the step's input x (α = 0), or `α·u_prev + x` with the previous current
//! `u_prev` (a synapse: the step takes u_prev as its U input and u is its U output), or for
//! integrate then fire `[α·u_prev +] x·Wᵀ + z·Rᵀ` (a recurrent step, z the previous spikes).
//! δ = (1 − β)·v_leak gives v_leak; β = 1 with δ ≠ 0 is no leaky cell and stays unfused; a
//! step whose α, β, γ are the IF cell's is left to the IF rules. Every constant read holds no
//! trainable parameter ([`crate::rules::leak::affine`]), so a cell whose decay is trained stays
//! unfused, and the constants absorbed are recorded as value-used.

use egg::Id;
use snnc_ir::{Order, Spikes};

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::leak::affine::{Coef, Forms};
use crate::rules::leak::cell::{
    absorb, currents, integrated, integrates, integrations, leak, rec_currents, sums_over,
    with_leak, Current, Integration, V_DEPTH,
};
use crate::rules::support::{add_checked, custom, nodes, proj, proj_sources, union, Rule};
use crate::sym::{Neuron, Sym};

/// The fused resets in class `t`: (parameters, input).
pub fn resets(eg: &EGraph, t: Id) -> Vec<(Neuron, Id)> {
    nodes(eg, t, |s| matches!(s, Sym::SpikeReset(_)))
        .filter_map(|n| match &n.sym {
            Sym::SpikeReset(p) => Some((p.clone(), eg.find(n.args[0]))),
            _ => None,
        })
        .collect()
}

/// A step node to add: its operator and arguments, the classes its outputs equal (z, the new
/// potential, and the new current for a synapse), and the constants it absorbed.
#[derive(Debug, Clone)]
pub struct NewStep {
    /// The operator.
    pub sym: Sym,
    /// Its arguments.
    pub args: Vec<Id>,
    /// The class of output 0 (spikes, or the potential of a leaky integrator).
    pub z: Id,
    /// The class of output 1.
    pub v: Id,
    /// The class of output 2 (the current), for a cell with a synapse.
    pub u: Option<Id>,
    /// Constants absorbed into the parameters.
    pub consts: Vec<Id>,
}

/// Adds `s` and unions its outputs; returns the classes that changed.
pub fn add_step(eg: &mut EGraph, s: &NewStep) -> Vec<Id> {
    let Some(n) = add_checked(eg, SnnNode::new(s.sym.clone(), s.args.clone())) else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    let (pz, pv) = (proj(eg, 0, n), proj(eg, 1, n));
    changed.extend(union(eg, s.z, pz));
    changed.extend(union(eg, s.v, pv));
    if let Some(u) = s.u {
        let pu = proj(eg, 2, n);
        changed.extend(union(eg, u, pu));
    }
    if !changed.is_empty() {
        absorb(eg, &s.consts);
    }
    changed
}

/// The feed-forward steps of neuron `base` and `order` integrating as `i`: one per reading of
/// its current (α = 0, or a synapse). `z` and `v` are the classes of the step's outputs 0
/// and 1; `from` is the potential the step starts from.
#[allow(clippy::too_many_arguments)]
pub fn ff_steps(
    eg: &EGraph,
    forms: &mut Forms,
    base: &Neuron,
    order: Order,
    i: &Integration,
    from: Id,
    z: Id,
    v: Id,
) -> Vec<NewStep> {
    let mut out = Vec::new();
    for c in currents(forms, eg, i.u) {
        let (alpha, args, u, extra): (Option<&Coef>, Vec<Id>, Option<Id>, &[Id]) = match &c {
            Current::Direct => (None, vec![i.u, from], None, &[]),
            // The current's state is not the potential (nor the step's input): `v + γ·(x − v)`
            // reads as a current `−v + x`, which is no synapse.
            Current::Synapse { x, prev, .. } if *prev == i.v || *x == i.v || *prev == from => {
                continue
            }
            Current::Synapse { x, prev, alpha, consts } => {
                (Some(alpha), vec![*x, from, *prev], Some(i.u), consts)
            }
        };
        let Some(p) = leak(i, alpha) else { continue };
        let consts = [i.consts.clone(), extra.to_vec()].concat();
        out.push(NewStep { sym: Sym::FfStep(with_leak(base, p), order), args, z, v, u, consts });
    }
    out
}

/// Whether the step integrating as `i` and resetting to class `after` is one of a chain: the
/// potential it starts from is the reset of a potential integrated the same way, or the one it
/// resets to is integrated the same way before a reset. A leaky cell is a layer over time; a
/// lone sum that reads as one step (`v + 0.5·x` before an IF reset) is left to the IF rules,
/// so no leaky op appears where no leaky layer is.
fn chains(eg: &EGraph, i: &Integration, after: Id) -> bool {
    let before = proj_sources(eg, i.v, 1)
        .into_iter()
        .any(|t| resets(eg, t).into_iter().any(|(_, vh)| integrated(eg, vh, i)));
    before
        || sums_over(eg, after, V_DEPTH).into_iter().any(|a| {
            eg[a].parents().any(|p| matches!(eg.id_to_node(p).sym, Sym::SpikeReset(_)))
                && integrates(eg, a, after, i)
        })
}

/// The candidate steps of an integrate-then-fire reset class `t`.
fn itf_steps(eg: &EGraph, t: Id) -> Vec<NewStep> {
    let mut out = Vec::new();
    for (p, vh) in resets(eg, t) {
        let Some(mut forms) = Forms::new(eg, vh) else { continue };
        let (z, v) = match (eg.lookup(SnnNode::proj(0, t)), eg.lookup(SnnNode::proj(1, t))) {
            (Some(z), Some(v)) => (z, v),
            _ => continue,
        };
        for i in integrations(&mut forms, eg, vh) {
            let found = out.len();
            // A recurrent current is read as one (below): a feed-forward step over it, with
            // the recurrent product computed apart, would be a second, unrolled reading of
            // the layer that only competes with the sequence op.
            let rcs = if p.family.spikes == Spikes::Single {
                rec_currents(&mut forms, eg, i.u)
            } else {
                Vec::new()
            };
            if rcs.is_empty() {
                out.extend(ff_steps(eg, &mut forms, &p, Order::IntegrateThenFire, &i, i.v, z, v));
            }
            for rc in rcs {
                let alpha = rc.synapse.as_ref().map(|s| &s.1);
                let Some(l) = leak(&i, alpha) else { continue };
                let mut args = vec![rc.x, rc.z, i.v, rc.w, rc.r];
                args.extend(rc.synapse.as_ref().map(|s| s.0));
                out.push(NewStep {
                    sym: Sym::RecStep(with_leak(&p, l), Order::IntegrateThenFire),
                    args,
                    z,
                    v,
                    u: rc.synapse.as_ref().map(|_| i.u),
                    consts: [i.consts.clone(), rc.consts.clone()].concat(),
                });
            }
            // Checked last: the IF cell's `v + x` reads as no leaky step at all.
            if out.len() > found && !chains(eg, &i, v) {
                out.truncate(found);
            }
        }
    }
    out
}

fn itf() -> Rule {
    custom(
        "leak-step-itf",
        Some(Sym::SpikeReset(Neuron::probe())),
        |eg, t| if itf_steps(eg, t).is_empty() { Vec::new() } else { vec![vec![t]] },
        |eg, t, _| {
            let mut changed = Vec::new();
            for s in itf_steps(eg, t) {
                changed.extend(add_step(eg, &s));
            }
            changed
        },
    )
}

/// The leaky step rules.
pub fn rules() -> Vec<Rule> {
    vec![itf()]
}
