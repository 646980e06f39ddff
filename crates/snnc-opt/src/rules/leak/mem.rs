//! snnTorch's `mem`: a layer whose spikes a library reads from one cell and whose final
//! potential *before its reset* from another. snnTorch exposes v̂_T, the last step's potential
//! before the reset; the IF rules read its export as an integrate-then-fire cell for the spikes
//! and a fire-then-integrate cell over the same input for `mem`, whose V_T is v̂_T. One
//! integrate-then-fire cell with `v_out = before_reset` gives both (`leak-mem-itf`).
//!
//! Why they agree: the fire-then-integrate cell's potential after step t, w_t = L(reset(w_{t−1}))
//! with x_t, is the integrate-then-fire cell's v̂_t = L(post(v̂_{t−1})) with x_t, by induction,
//! once w_1 = v̂_1: both start from V0 = v_reset (neither op is given a V0), and v_reset below
//! every threshold fires no spike at the fire-then-integrate cell's first decision, so
//! reset(v_reset) = v_reset. The spikes of an integrate-then-fire cell do not depend on which
//! potential it reports as V_T, and the current (U_T) on neither. The surrogate sees the same
//! arguments v̂_t − v_th in both, so gradients agree too.

use egg::Id;
use snnc_ir::{Order, Spikes, VOut};

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::support::{add_checked, custom, nodes, proj, union, Rule};
use crate::sym::{Bits, Neuron, Sym};

/// Whether v_reset lies below v_th for every neuron (scalars broadcast).
fn resets_below_threshold(p: &Neuron) -> bool {
    let n = p.v_th.len().max(p.v_reset.len());
    let at = |v: &[Bits], i: usize| if v.len() == 1 { v[0].get() } else { v[i].get() };
    let sizes_fit = |v: &[Bits]| v.len() == 1 || v.len() == n;
    sizes_fit(&p.v_th)
        && sizes_fit(&p.v_reset)
        && (0..n).all(|i| at(&p.v_reset, i) < at(&p.v_th, i))
}

/// The fire-then-integrate cells of class `c` that the rule applies to: V_T after the step,
/// no V0 given, spikes (not a leaky integrator), v_reset below the threshold. A match is the
/// cell's arguments.
fn fti_cells(eg: &EGraph, c: Id) -> Vec<Vec<Id>> {
    nodes(eg, c, |s| matches!(s, Sym::Iaf(_, Order::FireThenIntegrate)))
        .filter(|n| {
            let Sym::Iaf(p, _) = &n.sym else { return false };
            // V0 is the second argument, absent or left out.
            let v0_absent = n
                .args
                .get(1)
                .is_none_or(|&v0| nodes(eg, v0, |s| *s == Sym::Absent).next().is_some());
            p.leak.1 == VOut::AfterReset
                && p.family.spikes != Spikes::None
                && v0_absent
                && resets_below_threshold(p)
        })
        .map(|n| n.args.iter().map(|&a| eg.find(a)).collect())
        .collect()
}

/// The parameters of the fire-then-integrate cell with arguments `args` in class `c`.
fn params_of(eg: &EGraph, c: Id, args: &[Id]) -> Option<Neuron> {
    nodes(eg, c, |s| matches!(s, Sym::Iaf(_, Order::FireThenIntegrate)))
        .find(|n| n.args.iter().map(|&a| eg.find(a)).eq(args.iter().copied()))
        .and_then(|n| match &n.sym {
            Sym::Iaf(p, _) => Some(p.clone()),
            _ => None,
        })
}

fn mem_itf() -> Rule {
    let probe = Sym::Iaf(Neuron::of_iaf(&Default::default()), Order::FireThenIntegrate);
    custom("leak-mem-itf", Some(probe), fti_cells, |eg, c, args| {
        let Some(p) = params_of(eg, c, args) else { return Vec::new() };
        let mut before = p.clone();
        before.leak.1 = VOut::BeforeReset;
        let itf = |p: Neuron| SnnNode::new(Sym::Iaf(p, Order::IntegrateThenFire), args.to_vec());
        let (Some(cell), Some(twin)) = (add_checked(eg, itf(before)), add_checked(eg, itf(p)))
        else {
            return Vec::new();
        };
        let mut changed = Vec::new();
        // The spikes, whichever potential the cell reports.
        let (z, z_twin) = (proj(eg, 0, cell), proj(eg, 0, twin));
        changed.extend(union(eg, z, z_twin));
        // v̂_T of the one is w_T of the other.
        let (v, w) = (proj(eg, 1, cell), proj(eg, 1, c));
        changed.extend(union(eg, v, w));
        if args.len() > 2 {
            // U_T: the current does not see the reset.
            for other in [c, twin] {
                let (u, u_other) = (proj(eg, 2, cell), proj(eg, 2, other));
                changed.extend(union(eg, u, u_other));
            }
        }
        changed
    })
}

/// The rule: `leak-mem-itf`.
pub fn rules() -> Vec<Rule> {
    vec![mem_itf()]
}
