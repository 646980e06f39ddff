//! `leak-li`: a leaky integrator's step (SPEC §1.2's LI: no threshold, no reset). A sum that
//! reads `β·v + γ·u + δ` with a decay (β ≠ 1 for every neuron) is a step of the `LI` cell from v with
//! current u (or `α·u_prev + x`): its outputs 0 and 1 are both the sum, the new potential
//! (Norse's `LICell`, sinabs' `ExpLeak`). Nothing marks a sum as a potential, so every such
//! sum gets the step as an alternative; only those that chain over the rows of a sequence
//! re-roll (`iaf-reroll`), and a lone step costs more than the sum, so the others are never
//! extracted.

use egg::Id;
use snnc_ir::Order;

use crate::analysis::EGraph;
use crate::rules::leak::affine::Forms;
use crate::rules::leak::cell::{integrator, integrations};
use crate::rules::leak::step::{add_step, ff_steps, NewStep};
use crate::rules::support::{custom, Rule};
use crate::sym::{Neuron, Sym};

/// The candidate integrator steps whose new potential is class `root`.
fn li_steps(eg: &EGraph, root: Id) -> Vec<NewStep> {
    let mut out = Vec::new();
    let Some(mut forms) = Forms::new(eg, root) else { return out };
    for i in integrations(&mut forms, eg, root) {
        // A sum without decay (β = 1) is a running sum or an IF cell's input: no integrator.
        if i.beta.iter().any(|&b| b == 1.0) {
            continue;
        }
        // `ff_steps` gives the integrator each reading's leak.
        let base = integrator(Neuron::if_leak().0);
        out.extend(ff_steps(eg, &mut forms, &base, Order::FireThenIntegrate, &i, i.v, root, root));
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
