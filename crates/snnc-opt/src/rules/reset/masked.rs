//! Resets written as a mask or a select, whose value does not depend on z differentiably:
//! `v·Cast(z == 0)` (sinabs' `MembraneReset`) and `Where(c, v_reset, v)` with c the spike
//! decision (a comparison of v with the threshold, or a spike cast to bool). Their gradient
//! reaches v only where the neuron did not fire and never flows through z, so the fused op's
//! reset is `detached` whatever `--reset-grad` says: that is the graph's own gradient.

use egg::Id;
use snnc_ir::{DType, Reset, ResetGrad};

use crate::analysis::EGraph;
use crate::consts::all_equal;
use crate::rules::reset::cell::{fuse_fired, pairs, spikes_of};
use crate::rules::support::{args_of, constant, custom, nodes, ty, value, Rule};
use crate::sym::Sym;

/// The float spikes z with `Cast(z == 0)` (either operand order) in class `m`.
fn not_spikes(eg: &EGraph, m: Id) -> Vec<Id> {
    let mut out = Vec::new();
    for n in nodes(eg, m, |s| matches!(s, Sym::Cast(d) if d.is_float())) {
        for (z, c) in pairs(eg, n.args[0], &Sym::Equal) {
            if constant(eg, c).is_some_and(|t| all_equal(t, 0.0)) {
                out.push(z);
            }
        }
    }
    out
}

/// The float spike classes whose decision is the bool class `c`: every `Cast(c)` to a float,
/// and z for `c = Cast(z, bool)`.
fn decided(eg: &EGraph, c: Id) -> Vec<Id> {
    let c = eg.find(c);
    let mut out: Vec<Id> = eg[c]
        .parents()
        .filter(|&p| {
            let n = eg.id_to_node(p);
            matches!(n.sym, Sym::Cast(d) if d.is_float()) && eg.find(n.args[0]) == c
        })
        .map(|p| eg.find(p))
        .collect();
    for n in nodes(eg, c, |s| *s == Sym::Cast(DType::Bool)) {
        out.push(eg.find(n.args[0]));
    }
    out
}

fn mask() -> Rule {
    custom(
        "reset-zero-mask",
        Some(Sym::Mul),
        |eg, root| {
            let mut out = Vec::new();
            if value(eg, root).is_some() {
                return out;
            }
            for (v, m) in pairs(eg, root, &Sym::Mul) {
                for z in not_spikes(eg, m) {
                    if !spikes_of(eg, z, v).is_empty() {
                        out.push(vec![v, z]);
                    }
                }
            }
            out
        },
        |eg, root, m| apply(eg, root, m[0], m[1], None),
    )
}

fn select() -> Rule {
    custom(
        "reset-where",
        Some(Sym::Where),
        |eg, root| {
            let mut out = Vec::new();
            for d in args_of(eg, root, &Sym::Where, 3) {
                let (c, vr, v) = (d[0], d[1], d[2]);
                if constant(eg, vr).is_none() {
                    continue;
                }
                for z in decided(eg, c) {
                    if !spikes_of(eg, z, v).is_empty() {
                        out.push(vec![v, z, vr]);
                    }
                }
            }
            out
        },
        |eg, root, m| apply(eg, root, m[0], m[1], Some(m[2])),
    )
}

/// Fuses the detached value reset of `v` by its spikes `z` to `vr` (0 when `None`).
fn apply(eg: &mut EGraph, root: Id, v: Id, z: Id, vr: Option<Id>) -> Vec<Id> {
    if ty(eg, z).map(|t| t.dtype) != ty(eg, v).map(|t| t.dtype) {
        return Vec::new();
    }
    fuse_fired(eg, root, v, z, Reset::Value, vr, ResetGrad::Detached)
}

/// The mask and select rules.
pub fn rules() -> Vec<Rule> {
    vec![mask(), select()]
}
