//! `leak-li`: a leaky integrator's step (SPEC §1.2's LI: no threshold, no reset). A sum that
//! reads `β·v + γ·u + δ` with a decay (β ≠ 1 for every neuron) is a step of the `LI` cell from v
//! with current u (or `α·u_prev + x`): its outputs 0 and 1 are both the sum, the new potential
//! (Norse's `LICell`, sinabs' `ExpLeak`). A sum that a spike decision reads (through a few
//! elementwise ops) is a spiking cell's potential, and no integrator's; a sum whose reading
//! does not chain (neither the potential it starts from nor the one it gives is integrated the
//! same way) is lone arithmetic. The chains over the rows of a sequence re-roll
//! (`iaf-reroll`).

use std::collections::HashSet;

use egg::Id;
use snnc_ir::Order;

use crate::analysis::EGraph;
use crate::rules::leak::affine::Forms;
use crate::rules::leak::cell::{
    integrated, integrates, integrations, integrator, sums_over, V_DEPTH,
};
use crate::rules::leak::step::{add_step, ff_steps, NewStep};
use crate::rules::support::{custom, Rule};
use crate::sym::{Neuron, Sym};

/// How far up a potential is followed to a spike decision ([`fires_on`]): Norse's current
/// reaches its spike through five elementwise ops (`Add`, `Mul`, `Add`, `Sub`, then Θ).
const FIRE_DEPTH: usize = 6;

/// Whether a spike decision (Θ, a comparison, a fused reset or step) reads class `c` through
/// at most [`FIRE_DEPTH`] elementwise ops: then c is (part of) the potential of a spiking
/// cell, not of an integrator. That cell may be unfused (snnTorch's subtract reset with β ≠ 1),
/// and an `LI` op in its arithmetic would hide the reset from the interpreter's reading of the
/// plain graph (`--reset-grad detached` finds a reset as elementwise arithmetic between a spike
/// and its potential).
fn fires_on(eg: &EGraph, c: Id) -> bool {
    let mut seen = HashSet::new();
    let mut frontier = vec![eg.find(c)];
    for _ in 0..FIRE_DEPTH {
        let mut next = Vec::new();
        for c in frontier {
            for p in eg[c].parents() {
                let sym = &eg.id_to_node(p).sym;
                let up = eg.find(p);
                match sym {
                    Sym::Spike(..)
                    | Sym::Greater
                    | Sym::GreaterOrEqual
                    | Sym::Less
                    | Sym::LessOrEqual
                    | Sym::SpikeReset(_) => return true,
                    Sym::Add
                    | Sym::Sub
                    | Sym::Mul
                    | Sym::Div
                    | Sym::Neg
                    | Sym::Identity
                    | Sym::Cast(_)
                        if seen.insert(up) =>
                    {
                        next.push(up)
                    }
                    _ => {}
                }
            }
        }
        frontier = next;
    }
    false
}

/// The candidate integrator steps whose new potential is class `root`.
fn li_steps(eg: &EGraph, root: Id) -> Vec<NewStep> {
    let mut out = Vec::new();
    if fires_on(eg, root) {
        return out;
    }
    let Some(mut forms) = Forms::new(eg, root) else { return out };
    for i in integrations(&mut forms, eg, root) {
        // A sum without decay (β = 1) is a running sum or an IF cell's input: no integrator.
        if i.beta.contains(&1.0) {
            continue;
        }
        // `ff_steps` gives the integrator each reading's leak.
        let base = integrator(Neuron::if_leak().0);
        let steps = ff_steps(eg, &mut forms, &base, Order::FireThenIntegrate, &i, i.v, root, root);
        // An integrator is a layer over time: the potential it starts from is integrated the
        // same way, or the one it gives is. A lone `β·v + γ·x` stays arithmetic.
        let chained = || {
            integrated(eg, i.v, &i)
                || sums_over(eg, root, V_DEPTH).into_iter().any(|a| integrates(eg, a, root, &i))
        };
        if !steps.is_empty() && chained() {
            out.extend(steps);
        }
    }
    out
}

fn li() -> Rule {
    custom(
        "leak-li",
        Some(Sym::Add),
        |eg, c| if li_steps(eg, c).is_empty() { Vec::new() } else { vec![vec![c]] },
        |eg, c, _| {
            let mut changed = Vec::new();
            for s in li_steps(eg, c) {
                changed.extend(add_step(eg, &s));
            }
            changed
        },
    )
}

/// The leaky-integrator rule.
pub fn rules() -> Vec<Rule> {
    vec![li()]
}
