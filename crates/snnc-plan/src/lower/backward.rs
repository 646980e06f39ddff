//! Pass 3, `build-backward` (training only): the reverse pass. Graph outputs are seeded with
//! the caller's upstream gradients; nodes are visited in reverse order and each contributes
//! the gradients of its inputs ([`backward_rules`](super::backward_rules)). The first
//! contribution to a gradient overwrites its buffer and later ones accumulate, so nothing is
//! zero-filled. Each step carries the [`Wrt`](crate::Wrt) mask of the values it leads to, so
//! a run skips what its `wrt` does not need (∂X of data inputs under `params`).

use snnc_ir::DType;

use crate::lower::backward_rules;
use crate::lower::ctx::{Lower, Spec};
use crate::PlanError;

/// Runs the pass.
pub(crate) fn run(l: &mut Lower) -> Result<(), PlanError> {
    let g = l.g;
    for (oi, &o) in g.outputs().iter().enumerate() {
        if l.dep[o.0] != 0 && g.ty(o).dtype != DType::I64 && l.grads[o.0].is_none() {
            l.grads[o.0] = Some(l.buf(Spec::Seed(oi as u32), l.len_of(o)));
        }
    }
    for (ni, node) in g.nodes().iter().enumerate().rev() {
        if !l.live[ni] || !node.inputs.iter().flatten().any(|v| l.dep[v.0] != 0) {
            continue;
        }
        let gouts: Vec<_> = node.outputs.iter().map(|o| o.and_then(|o| l.grads[o.0])).collect();
        if gouts.iter().all(Option::is_none) {
            continue;
        }
        backward_rules::node(l, ni, node, &gouts)?;
        l.flush(ni);
    }
    Ok(())
}
