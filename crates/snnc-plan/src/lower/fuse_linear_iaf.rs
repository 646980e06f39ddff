//! Pass 5, `fuse-linear-iaf`: an event-driven linear step followed by the feed-forward IAF
//! step that alone reads its output becomes one [`LinearIafK`] step, so that every engine
//! gets the pair as one kernel (the CPU engine never writes the currents; see
//! `docs/plan.md`). The pair is fused only when no other step can tell: the currents are read
//! by nothing else (no other step, no graph output, no gradient), both steps run under the
//! same `--wrt` mask on the same side of the end of the forward pass, and the IAF part shares
//! no buffer with the linear part. Steps between the two that write nothing the linear step
//! reads and touch nothing it writes (a leaky cell's U0 computed at run time, the packing of
//! a layer's input spikes for its dW) move before the linear step first, so that the pair
//! becomes adjacent. Running after the other step-changing passes and before `liveness`, the fused
//! step's buffers are all live at once, so buffer assignment keeps them apart: the arena never
//! reuses memory within the pair.

use std::collections::HashMap;

use crate::kernel_fused::LinearIafK;
use crate::lower::ctx::{root_of, Lower};
use crate::{BufId, IafK, Kernel, LinearK, Step};

/// Runs the pass over the program's steps.
pub(crate) fn run(l: &mut Lower) {
    let bufs = l.bufs.clone();
    let root = |b: BufId| root_of(&bufs, b);
    hoist::run(l, &root);
    let mentions = mentions(l, &root);
    let steps = std::mem::take(&mut l.steps);
    let (fwd, mut out) = (l.forward_len, Vec::with_capacity(steps.len()));
    let mut forward_len = fwd;
    let mut it = steps.into_iter().enumerate().peekable();
    while let Some((i, s)) = it.next() {
        let pair = it.next_if(|(j, n)| {
            let same_side = (i < fwd) == (*j < fwd);
            let kernels = match (&s.kernel, &n.kernel) {
                (Kernel::Linear(lk), Kernel::Iaf(f)) => fusable(lk, f, i, *j, &mentions, &root),
                _ => false,
            };
            same_side && n.need == s.need && kernels
        });
        match (s, pair) {
            (
                Step { node, need, kernel: Kernel::Linear(linear) },
                Some((j, Step { node: iaf_node, kernel: Kernel::Iaf(mut iaf), .. })),
            ) => {
                // The IAF part may read the currents through an alias (a reshape); they are
                // the same storage and size, so it reads the linear part's output itself.
                iaf.x = linear.y;
                let kernel = Kernel::LinearIaf(LinearIafK { linear, iaf, iaf_node });
                out.push(Step { node, need, kernel });
                if j < fwd {
                    forward_len -= 1;
                }
            }
            (s, pair) => out.extend(std::iter::once(s).chain(pair.map(|p| p.1))),
        }
    }
    l.steps = out;
    l.forward_len = forward_len;
}

/// For every buffer (by root), the steps that read or write it, and whether a graph output
/// or a gradient lives in it (as step `usize::MAX`).
pub(super) fn mentions(l: &Lower, root: &impl Fn(BufId) -> BufId) -> HashMap<BufId, Vec<usize>> {
    let mut m: HashMap<BufId, Vec<usize>> = HashMap::new();
    for (i, s) in l.steps.iter().enumerate() {
        let a = s.kernel.access();
        for b in a.reads.into_iter().chain(a.writes) {
            m.entry(root(b)).or_default().push(i);
        }
    }
    let outputs = l.g.outputs().iter().filter_map(|o| l.val[o.0]);
    for b in outputs.chain(l.grads.iter().flatten().copied()) {
        m.entry(root(b)).or_default().push(usize::MAX);
    }
    m
}

/// Whether the event-driven linear step `i` (`lk`) and the IAF step `j` after it (`f`) can run
/// as one step, once adjacent.
pub(super) fn fusable(
    lk: &LinearK,
    f: &IafK,
    i: usize,
    j: usize,
    mentions: &HashMap<BufId, Vec<usize>>,
    root: &impl Fn(BufId) -> BufId,
) -> bool {
    let y = root(lk.y);
    let shapes = f.t.checked_mul(f.b) == Some(lk.rows) && f.n == lk.n;
    let feeds = root(f.x) == y && lk.event.is_some();
    let only_pair = mentions.get(&y).is_some_and(|m| m.iter().all(|&s| s == i || s == j));
    let linear = [Some(lk.x), Some(lk.w), lk.bias, Some(lk.y)].map(|b| b.map(root));
    let iaf = [f.v0, f.z, f.v_last, f.v_pre, f.z_bits, f.u0, f.u_last];
    let apart = iaf.iter().flatten().all(|&b| !linear.contains(&Some(root(b))));
    shapes && feeds && only_pair && apart
}

#[path = "fuse_linear_iaf_hoist.rs"]
mod hoist;

#[cfg(test)]
#[path = "fuse_linear_iaf_tests.rs"]
mod tests;
