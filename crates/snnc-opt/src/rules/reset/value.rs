//! The value reset: `(1 − z)·v + z·v_reset` with z = Θ(v − v_th) is one fused spike-and-reset
//! op. With v_reset = 0 the sum is just `(1 − z)·v`, also spelled `v − z·v`: the select
//! `z ? 0 : v`, the same op with a zero reset.
//!
//! These spellings differentiate z, so the fused op's reset gradient is the compile-time
//! `reset_grad` (attached unless the user says the library detached it, SPEC §1.1).

use egg::Id;
use snnc_ir::{Reset, ResetGrad};

use crate::analysis::EGraph;
use crate::consts::all_equal;
use crate::rules::reset::cell::{differences, factors_in, fuse_fired, pairs, spikes_of};
use crate::rules::support::{args_of, constant, custom, same, value, Rule};
use crate::sym::Sym;

/// The (1 − z) factors in class `c`: each z with `1 − z` spelled by value.
fn one_minus(eg: &EGraph, c: Id) -> Vec<Id> {
    args_of(eg, c, &Sym::Sub, 2)
        .into_iter()
        .filter(|d| constant(eg, d[0]).is_some_and(|t| all_equal(t, 1.0)))
        .map(|d| d[1])
        .collect()
}

/// `(1 − z)·v + z·v_reset`, in any operand order.
fn general(rg: ResetGrad) -> Rule {
    custom(
        "reset-fuse",
        Some(Sym::Add),
        |eg, root| {
            let mut out = Vec::new();
            for (keep, rst) in pairs(eg, root, &Sym::Add) {
                // (1 − z)·v is never a known constant, and a constant's class can be huge.
                if value(eg, keep).is_some() {
                    continue;
                }
                for (f, v) in pairs(eg, keep, &Sym::Mul) {
                    for z in one_minus(eg, f) {
                        for vr in factors_in(eg, z, rst) {
                            if constant(eg, vr).is_some() && !spikes_of(eg, z, v).is_empty() {
                                out.push(vec![v, z, vr]);
                            }
                        }
                    }
                }
            }
            out
        },
        move |eg, root, m| apply(eg, root, m[0], m[1], Some(m[2]), rg),
    )
}

/// `(1 − z)·v`, the reset to zero.
fn select(rg: ResetGrad) -> Rule {
    custom(
        "reset-zero-select",
        Some(Sym::Mul),
        |eg, root| {
            let mut out = Vec::new();
            if value(eg, root).is_some() {
                return out;
            }
            for (f, v) in pairs(eg, root, &Sym::Mul) {
                for z in one_minus(eg, f) {
                    if !spikes_of(eg, z, v).is_empty() {
                        out.push(vec![v, z]);
                    }
                }
            }
            out
        },
        move |eg, root, m| apply(eg, root, m[0], m[1], None, rg),
    )
}

/// `v − z·v`, the reset to zero spelled as a subtraction.
fn minus(rg: ResetGrad) -> Rule {
    custom(
        "reset-zero-minus",
        Some(Sym::Sub),
        |eg, root| {
            let mut out = Vec::new();
            for (v, p) in differences(eg, root) {
                for (z, k) in pairs(eg, p, &Sym::Mul) {
                    if same(eg, k, v) && !spikes_of(eg, z, v).is_empty() {
                        out.push(vec![v, z]);
                    }
                }
            }
            out
        },
        move |eg, root, m| apply(eg, root, m[0], m[1], None, rg),
    )
}

/// Fuses the value reset of potential `v` by its spikes `z` to `vr` (0 when `None`).
fn apply(eg: &mut EGraph, root: Id, v: Id, z: Id, vr: Option<Id>, rg: ResetGrad) -> Vec<Id> {
    fuse_fired(eg, root, v, z, Reset::Value, vr, rg)
}

/// The value-reset rules.
pub fn rules(reset_grad: ResetGrad) -> Vec<Rule> {
    vec![general(reset_grad), select(reset_grad), minus(reset_grad)]
}
