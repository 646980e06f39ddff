//! Step: one whole integrate-and-fire step is an `IAFFeedForwardStep` or `IAFStep` node, in
//! both update orders, from the fused spike-and-reset of the primitive spelling. The custom
//! step ops of the `snn` domain import as these same nodes, so the time rules see one form.
//!
//! * integrate then fire: v̂ = v + I; (z, v') = reset(v̂). The reset's tuple *is* the step's.
//! * fire then integrate: (z, v̂) = reset(v); v' = v̂ + I. The step's z is the reset's z and its
//!   v' is the sum.
//!
//! Feed-forward: I = x. Recurrent: I = x·Wᵀ + z_prev·Rᵀ, spelled `(v + lin(x, W)) + lin(z, R)`
//! or `v + (lin(x, W) + lin(z, R))` by the exporter (lin is Gemm(transB=1) without bias, or
//! Linear, which MatMul becomes); R must be square and z_prev binary neuron state. The two
//! associations round differently; the step ops integrate `v + (x·Wᵀ + z·Rᵀ)`.

use egg::Id;
use snnc_ir::Order;

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::support::{
    add_checked, args_of, custom, nodes, proj, proj_sources, same, ty, union, Rule,
};
use crate::sym::{Bits, Neuron, Sym};

/// Both operand orders of every `Add` in class `c`.
pub fn sums(eg: &EGraph, c: Id) -> Vec<(Id, Id)> {
    args_of(eg, c, &Sym::Add, 2).into_iter().flat_map(|d| [(d[0], d[1]), (d[1], d[0])]).collect()
}

/// The fused resets in class `t`: (parameters, input).
fn resets(eg: &EGraph, t: Id) -> Vec<(Neuron, Id)> {
    nodes(eg, t, |s| matches!(s, Sym::SpikeReset(_)))
        .filter_map(|n| match &n.sym {
            Sym::SpikeReset(p) => Some((p.clone(), eg.find(n.args[0]))),
            _ => None,
        })
        .collect()
}

/// The bias-free linear maps `x·Wᵀ` in class `c`: (x, W).
pub fn linears(eg: &EGraph, c: Id) -> Vec<(Id, Id)> {
    let one = Bits::of(1.0);
    let gemm = Sym::Gemm { alpha: one, beta: one, trans_a: false, trans_b: true };
    let mut out: Vec<(Id, Id)> =
        args_of(eg, c, &gemm, 2).into_iter().map(|d| (d[0], d[1])).collect();
    out.extend(args_of(eg, c, &Sym::Linear { trans_b: true }, 2).into_iter().map(|d| (d[0], d[1])));
    out
}

/// Whether a recurrent step of this neuron can run: the recurrent kernels hand spikes from one
/// step to the next as bits, so spike counts (`spikes = multi`) stay unfused there.
fn single(p: &Neuron) -> bool {
    p.family.spikes == snnc_ir::Spikes::Single
}

/// A recurrent term `lin(z, R)` whose input is binary neuron state and whose weight is square.
pub fn recurrent(eg: &EGraph, c: Id) -> Vec<(Id, Id)> {
    linears(eg, c).into_iter().filter(|&(z, r)| recurrent_pair(eg, z, r)).collect()
}

/// Whether `lin(z, R)` can be a recurrent term: z binary neuron state, R square.
pub fn recurrent_pair(eg: &EGraph, z: Id, r: Id) -> bool {
    let d = &eg[z].data;
    let square = ty(eg, r).is_some_and(|t| t.rank() == 2 && t.shape[0] == t.shape[1]);
    d.is_binary() && d.state && square
}

/// Adds step `sym(args)` and unions its outputs: the whole tuple with `tuple`, or output 0 with
/// `z` and output 1 with `v_new`.
fn add_step(
    eg: &mut EGraph,
    sym: Sym,
    args: Vec<Id>,
    tuple: Option<Id>,
    z: Id,
    v_new: Id,
) -> Vec<Id> {
    let Some(s) = add_checked(eg, SnnNode::new(sym, args)) else { return Vec::new() };
    if let Some(t) = tuple {
        return union(eg, t, s).into_iter().collect();
    }
    let (pz, pv) = (proj(eg, 0, s), proj(eg, 1, s));
    [union(eg, z, pz), union(eg, v_new, pv)].into_iter().flatten().collect()
}

fn ff_itf() -> Rule {
    custom(
        "step-ff-itf",
        Some(Sym::SpikeReset(Neuron::probe())),
        |eg, t| {
            let mut out = Vec::new();
            for (_, vh) in resets(eg, t) {
                for (v, x) in sums(eg, vh) {
                    out.push(vec![vh, x, v]);
                }
            }
            out
        },
        |eg, t, m| {
            let mut changed = Vec::new();
            for (p, vh) in resets(eg, t) {
                if same(eg, vh, m[0]) {
                    let sym = Sym::FfStep(p, Order::IntegrateThenFire);
                    changed.extend(add_step(eg, sym, vec![m[1], m[2]], Some(t), t, t));
                }
            }
            changed
        },
    )
}

fn ff_fti() -> Rule {
    custom(
        "step-ff-fti",
        Some(Sym::Add),
        |eg, root| {
            let mut out = Vec::new();
            for (vh, x) in sums(eg, root) {
                for c in proj_sources(eg, vh, 1) {
                    for (_, v) in resets(eg, c) {
                        out.push(vec![c, x, v]);
                    }
                }
            }
            out
        },
        |eg, root, m| {
            let (c, x, v) = (m[0], m[1], m[2]);
            let mut changed = Vec::new();
            for (p, input) in resets(eg, c) {
                if same(eg, input, v) {
                    let z = proj(eg, 0, c);
                    let sym = Sym::FfStep(p, Order::FireThenIntegrate);
                    changed.extend(add_step(eg, sym, vec![x, v], None, z, root));
                }
            }
            changed
        },
    )
}

/// `(v + lin(x, W)) + lin(z, R)` and `v + (lin(x, W) + lin(z, R))` (any operand order) in
/// class `c`: [x, z, v, W, R].
fn recurrent_sums(eg: &EGraph, c: Id) -> Vec<Vec<Id>> {
    let mut out = Vec::new();
    for (p, q) in sums(eg, c) {
        for (z, r) in recurrent(eg, q) {
            for (v, g) in sums(eg, p) {
                for (x, w) in linears(eg, g) {
                    out.push(vec![x, z, v, w, r]);
                }
            }
        }
        // v + (Wx + Rz): p is v, q the sum of both currents.
        for (g, h) in sums(eg, q) {
            for (z, r) in recurrent(eg, h) {
                for (x, w) in linears(eg, g) {
                    out.push(vec![x, z, p, w, r]);
                }
            }
        }
    }
    out
}

fn rec_itf() -> Rule {
    custom(
        "step-rec-itf",
        Some(Sym::SpikeReset(Neuron::probe())),
        |eg, t| {
            let mut out = Vec::new();
            for (_, vh) in resets(eg, t) {
                for m in recurrent_sums(eg, vh) {
                    out.push([vec![vh], m].concat());
                }
            }
            out
        },
        |eg, t, m| {
            let mut changed = Vec::new();
            for (p, vh) in resets(eg, t) {
                if same(eg, vh, m[0]) && single(&p) {
                    let sym = Sym::RecStep(p, Order::IntegrateThenFire);
                    changed.extend(add_step(eg, sym, m[1..6].to_vec(), Some(t), t, t));
                }
            }
            changed
        },
    )
}

fn rec_fti() -> Rule {
    custom(
        "step-rec-fti",
        Some(Sym::Add),
        |eg, root| {
            let mut out = Vec::new();
            for m in recurrent_sums(eg, root) {
                let (x, z, vh, w, r) = (m[0], m[1], m[2], m[3], m[4]);
                for c in proj_sources(eg, vh, 1) {
                    for (_, v) in resets(eg, c) {
                        out.push(vec![c, x, z, v, w, r]);
                    }
                }
            }
            out
        },
        |eg, root, m| {
            let mut changed = Vec::new();
            for (p, input) in resets(eg, m[0]) {
                if same(eg, input, m[3]) && single(&p) {
                    let z = proj(eg, 0, m[0]);
                    let sym = Sym::RecStep(p, Order::FireThenIntegrate);
                    changed.extend(add_step(eg, sym, m[1..6].to_vec(), None, z, root));
                }
            }
            changed
        },
    )
}

/// The step rules.
pub fn rules() -> Vec<Rule> {
    vec![ff_itf(), ff_fti(), rec_itf(), rec_fti()]
}
