//! The reordering that `fuse-linear-iaf` does first: steps between an event-driven linear step
//! and the IAF step that can fuse with it move before the linear step, so that the pair
//! becomes adjacent, and on before the layers above them that they do not depend on, so that
//! a stack of layers stays a chain of adjacent pairs (the cpu engine hands spikes from one
//! fused step to the next as bits only when the next step runs right after). What moves: a
//! leaky cell's U0 computed at run time (Norse's `LIFCell` exports `zeros · 1.25`), or the
//! packing of a layer's input spikes to bits for its dW. Only steps that neither read nor
//! write what the other writes swap, so the program computes the same.

use std::collections::HashMap;

use super::{fusable, mentions};
use crate::lower::ctx::Lower;
use crate::{Access, BufId, Kernel};

/// Reorders `l.steps` as the module says.
pub(super) fn run(l: &mut Lower, root: &impl Fn(BufId) -> BufId) {
    let mentions = mentions(l, root);
    let mut i = 0;
    while i < l.steps.len() {
        match partner(l, i, &mentions, root) {
            Some(j) => {
                l.steps[i..j].rotate_left(1);
                lift(l, i, j - 1, root);
                i = j;
            }
            None => i += 1,
        }
    }
}

/// The IAF step `j > i + 1` that the event-driven linear step `i` can fuse with once the steps
/// between have moved before it: the first later step that touches what step `i` writes, when
/// nothing between writes what step `i` reads, and all are on one side of the end of the
/// forward pass under the same `--wrt` mask.
fn partner(
    l: &Lower,
    i: usize,
    mentions: &HashMap<BufId, Vec<usize>>,
    root: &impl Fn(BufId) -> BufId,
) -> Option<usize> {
    let Kernel::Linear(lk) = &l.steps[i].kernel else { return None };
    let a = l.steps[i].kernel.access();
    let (reads, writes) = (roots(&a.reads, root), roots(&a.writes, root));
    let touches = |j: usize| {
        let a = l.steps[j].kernel.access();
        a.reads.iter().chain(&a.writes).any(|&b| writes.contains(&root(b)))
    };
    let j = (i + 1..l.steps.len()).find(|&j| touches(j)).filter(|&j| j > i + 1)?;
    let Kernel::Iaf(f) = &l.steps[j].kernel else { return None };
    let independent = l.steps[i + 1..j]
        .iter()
        .all(|s| s.kernel.access().writes.iter().all(|&b| !reads.contains(&root(b))));
    let fwd = l.forward_len;
    let same_side = (i < fwd) == (j < fwd);
    let ok = fusable(lk, f, i, j, mentions, root)
        && independent
        && same_side
        && l.steps[i].need == l.steps[j].need;
    ok.then_some(j)
}

/// Moves the steps `start..end` (kept in order) before every adjacent event-driven linear + IAF
/// pair right above them that none of them depends on, staying on their side of the end of
/// the forward pass. A pair moves past them whole or not at all, so it stays adjacent.
fn lift(l: &mut Lower, mut start: usize, end: usize, root: &impl Fn(BufId) -> BufId) {
    let block: Vec<Access> = l.steps[start..end].iter().map(|s| s.kernel.access()).collect();
    let fwd = l.forward_len;
    while start >= 2 && ((start - 2) < fwd) == (start < fwd) {
        let (lin, iaf) = (&l.steps[start - 2].kernel, &l.steps[start - 1].kernel);
        let pair = match (lin, iaf) {
            (Kernel::Linear(lk), Kernel::Iaf(f)) => lk.event.is_some() && root(f.x) == root(lk.y),
            _ => false,
        };
        let free = |k: &Kernel| {
            let a = k.access();
            block.iter().all(|b| commute(b, &a, root))
        };
        if !(pair && free(lin) && free(iaf)) {
            break;
        }
        l.steps[start - 2..end].rotate_left(2);
        start -= 2;
    }
}

/// Whether two steps may run in either order: neither writes what the other reads or writes.
fn commute(a: &Access, b: &Access, root: &impl Fn(BufId) -> BufId) -> bool {
    let (ar, aw, br, bw) = (
        roots(&a.reads, root),
        roots(&a.writes, root),
        roots(&b.reads, root),
        roots(&b.writes, root),
    );
    let clash = |w: &[BufId], other: &[BufId]| w.iter().any(|b| other.contains(b));
    !clash(&aw, &br) && !clash(&aw, &bw) && !clash(&bw, &ar)
}

fn roots(bufs: &[BufId], root: &impl Fn(BufId) -> BufId) -> Vec<BufId> {
    bufs.iter().map(|&b| root(b)).collect()
}
