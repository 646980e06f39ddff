//! No reset (snnTorch's `reset_mechanism="none"`): a spike z = Θ(v − v_th) that only linear
//! maps and data movement read leaves v as it is, so it is the spike output of a
//! spike-and-reset op with `reset = none` on that potential, whose potential output is v
//! itself. The step rules then
//! see whole steps (the next step integrates onto v), and a chain of them re-rolls like any
//! other cell.
//!
//! The potential output is unioned with its own input, which makes the e-graph cyclic there;
//! extraction never picks a node that depends on its own class, so the cycle only serves the
//! step and time rules.

use egg::Id;
use snnc_ir::{DType, Reset, ResetGrad, Surrogate, Threshold};

use crate::analysis::EGraph;
use crate::rules::reset::cell::fuse_fired;
use crate::rules::support::{args_of, custom, nodes, Rule};
use crate::sym::{Sg, Sym};

/// Whether every use of the spikes `z` is a linear map or data movement: a spike that any
/// arithmetic reads (`1 − z`, `z·v`, `v − z`, a mask) is the input of a reset, and its
/// potential is not left as it is.
fn unreset(eg: &EGraph, z: Id) -> bool {
    eg[z].parents().all(|p| {
        matches!(
            eg.id_to_node(p).sym,
            Sym::Gemm { .. }
                | Sym::MatMul
                | Sym::Linear { .. }
                | Sym::SpikeLinear { .. }
                | Sym::Conv(_)
                | Sym::Pool(_)
                | Sym::Unsqueeze(_)
                | Sym::Squeeze(_)
                | Sym::Concat(_)
                | Sym::Gather(_)
                | Sym::Reshape(_)
                | Sym::Transpose(_)
                | Sym::Identity
                | Sym::Cast(DType::F32 | DType::F64)
        )
    })
}

/// The potentials v with a spike Θ(v − th) in class `z` that no reset reads.
fn fired(eg: &EGraph, z: Id) -> Vec<Vec<Id>> {
    let mut out = Vec::new();
    if !unreset(eg, z) {
        return out;
    }
    for n in nodes(eg, z, |s| matches!(s, Sym::Spike(..))) {
        for d in args_of(eg, n.args[0], &Sym::Sub, 2) {
            out.push(vec![d[0]]);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn none() -> Rule {
    let probe = Sym::Spike(Sg::of(&Surrogate::default()), Threshold::Gt);
    custom("reset-none", Some(probe), fired, |eg, z, m| {
        // No reset, so nothing to differentiate through: the gradient choice is moot.
        fuse_fired(eg, m[0], m[0], z, Reset::None, None, ResetGrad::Attached)
    })
}

/// The no-reset rule.
pub fn rules() -> Vec<Rule> {
    vec![none()]
}
