//! Pass 6, `liveness`: for every buffer with its own storage, the first and the last step that
//! touches it (aliases count for the buffer they alias). Graph outputs live to the end of the
//! forward pass, where they are read; gradients of the targets to the end of the program.

use snnc_ir::ValueId;

use crate::lower::ctx::Lower;

/// `[first, last]` step of each buffer (indexed by `BufId`; `None`: never touched, or not a
/// root).
pub(crate) type Intervals = Vec<Option<(usize, usize)>>;

/// Runs the pass.
pub(crate) fn run(l: &Lower) -> Intervals {
    let mut iv: Intervals = vec![None; l.bufs.len()];
    let mut touch = |b: crate::BufId, at: usize| {
        let r = l.root(b).0 as usize;
        iv[r] = Some(match iv[r] {
            None => (at, at),
            Some((f, last)) => (f.min(at), last.max(at)),
        });
    };
    for (i, s) in l.steps.iter().enumerate() {
        let a = s.kernel.access();
        for b in a.reads.into_iter().chain(a.writes) {
            touch(b, i);
        }
    }
    if l.forward_len > 0 {
        for o in l.g.outputs() {
            if let Some(b) = l.val[o.0] {
                touch(b, l.forward_len - 1);
            }
        }
    }
    if l.train && !l.steps.is_empty() {
        for (v, _) in target_values(l.g) {
            if let Some(b) = l.grads[v.0] {
                touch(b, l.steps.len() - 1);
            }
        }
    }
    iv
}

/// The values gradients are reported for: float graph inputs, then float initializers (that
/// are not also inputs), in value order; with whether each is an input.
pub(crate) fn target_values(g: &snnc_ir::Graph) -> Vec<(ValueId, bool)> {
    let inputs: std::collections::HashSet<_> = g.inputs().iter().copied().collect();
    let ins = g.inputs().iter().map(|&v| (v, true));
    let inits = g.initializers().keys().filter(|v| !inputs.contains(v)).map(|&v| (v, false));
    ins.chain(inits).filter(|(v, _)| g.ty(*v).dtype.is_float()).collect()
}
