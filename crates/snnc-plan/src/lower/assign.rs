//! Pass 7, `assign-buffers`: offsets in one f32 arena, aligned to 64 bytes, such that buffers
//! alive at the same time never overlap and memory of dead buffers is reused. Up to
//! [`GREEDY_LIMIT`] buffers are placed largest first, each at the lowest offset that overlaps
//! no placed buffer alive at the same time (tight, but quadratic); larger programs (unrolled
//! exports of thousands of steps) use a linear scan in order of first use with a best-fit
//! free list. Spike bits get slots of their own.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::lower::ctx::{Lower, Spec};
use crate::lower::liveness::{target_values, Intervals};
use crate::plan::{Buf, BufLoc, Program, Stats};
use crate::BufId;

/// Offsets are multiples of this many f32 (64 bytes).
const ALIGN: usize = 16;

/// The most buffers placed by the quadratic greedy-by-size method.
const GREEDY_LIMIT: usize = 4096;

fn aligned(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

fn overlaps(a: (usize, usize), b: (usize, usize)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

/// Places `(len, interval)` items; returns offsets and the arena length.
fn place(items: &[(usize, (usize, usize))]) -> (Vec<usize>, usize) {
    if items.len() <= GREEDY_LIMIT {
        greedy(items)
    } else {
        scan(items)
    }
}

/// Returns block `(off, len)` to the free list (sorted by offset), merging neighbours.
fn release(free: &mut Vec<(usize, usize)>, off: usize, len: usize) {
    let at = free.partition_point(|b| b.0 < off);
    free.insert(at, (off, len));
    if at + 1 < free.len() && free[at].0 + free[at].1 == free[at + 1].0 {
        free[at].1 += free[at + 1].1;
        free.remove(at + 1);
    }
    if at > 0 && free[at - 1].0 + free[at - 1].1 == free[at].0 {
        free[at - 1].1 += free[at].1;
        free.remove(at);
    }
}

/// Linear scan in order of first use: dead buffers return their blocks to a free list, new
/// ones take the best-fitting free block or grow the arena.
fn scan(items: &[(usize, (usize, usize))]) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (items[i].1 .0, Reverse(items[i].0), i));
    let mut off = vec![0usize; items.len()];
    let mut active: BinaryHeap<Reverse<(usize, usize)>> = BinaryHeap::new();
    let mut free: Vec<(usize, usize)> = Vec::new();
    let mut top = 0;
    for i in order {
        let (len, (start, end)) = items[i];
        while let Some(&Reverse((e, j))) = active.peek() {
            if e >= start {
                break;
            }
            active.pop();
            release(&mut free, off[j], aligned(items[j].0));
        }
        let need = aligned(len);
        let fit =
            free.iter().enumerate().filter(|(_, b)| b.1 >= need).min_by_key(|(_, b)| (b.1, b.0));
        match fit.map(|(k, _)| k) {
            Some(k) => {
                off[i] = free[k].0;
                free[k] = (free[k].0 + need, free[k].1 - need);
                if free[k].1 == 0 {
                    free.remove(k);
                }
            }
            None => {
                off[i] = top;
                top += need;
            }
        }
        active.push(Reverse((end, i)));
    }
    (off, top)
}

/// Greedy by size: largest first, each at the lowest offset free during its interval.
fn greedy(items: &[(usize, (usize, usize))]) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[b].0.cmp(&items[a].0).then(a.cmp(&b)));
    let mut off = vec![0usize; items.len()];
    let mut placed: Vec<usize> = Vec::new();
    let mut total = 0;
    for i in order {
        let (len, iv) = items[i];
        let mut busy: Vec<(usize, usize)> = placed
            .iter()
            .filter(|&&j| overlaps(items[j].1, iv))
            .map(|&j| (off[j], off[j] + items[j].0))
            .collect();
        busy.sort();
        let mut at = 0;
        for (s, e) in busy {
            if at + len <= s {
                break;
            }
            at = at.max(aligned(e));
        }
        off[i] = at;
        total = total.max(at + len);
        placed.push(i);
    }
    (off, aligned(total))
}

/// Runs the pass and builds the program. Buffers no step touches (values that fusion kept in
/// registers) take no memory.
pub(crate) fn run(l: &Lower, iv: &Intervals) -> Program {
    let end = l.steps.len().saturating_sub(1);
    let mut arena_ids = Vec::new();
    let mut items = Vec::new();
    let mut bits_slot = vec![0u32; l.bufs.len()];
    let mut bits = 0u32;
    let mut stats = Stats::default();
    for (i, b) in l.bufs.iter().enumerate() {
        let span = iv[i].unwrap_or((end, end));
        let saved = l.train && span.0 < l.forward_len && span.1 >= l.forward_len;
        match b.spec {
            Spec::Arena if iv[i].is_none() => {}
            Spec::Arena => {
                arena_ids.push(i);
                items.push((b.len, span));
                stats.unshared_bytes += 4 * b.len;
                stats.saved_bytes += if saved { 4 * b.len } else { 0 };
            }
            Spec::Bits { rows, cols } => {
                bits_slot[i] = bits;
                bits += 1;
                let bytes = 8 * rows * cols.div_ceil(64);
                stats.unshared_bytes += bytes;
                stats.peak_bytes += bytes;
                stats.saved_bytes += if saved { bytes } else { 0 };
            }
            _ => {}
        }
    }
    let (offs, arena_len) = place(&items);
    let mut arena_off = vec![0usize; l.bufs.len()];
    for (k, &i) in arena_ids.iter().enumerate() {
        arena_off[i] = offs[k];
    }
    stats.peak_bytes += 4 * arena_len;
    stats.buffers = arena_ids.len();
    let bufs = (0..l.bufs.len())
        .map(|i| {
            let r = l.root(BufId(i as u32)).0 as usize;
            let loc = match l.bufs[r].spec {
                Spec::Input(k) => BufLoc::Input(k),
                Spec::Const(k) => BufLoc::Const(k),
                Spec::Seed(k) => BufLoc::Seed(k),
                Spec::Bits { rows, cols } => BufLoc::Bits { slot: bits_slot[r], rows, cols },
                Spec::Arena | Spec::Alias(_) => BufLoc::Arena { off: arena_off[r] },
            };
            let untouched = matches!(l.bufs[r].spec, Spec::Arena) && iv[r].is_none();
            Buf { loc, len: if untouched { 0 } else { l.bufs[i].len } }
        })
        .collect();
    let outputs = l.g.outputs().iter().map(|o| l.val[o.0].unwrap_or(BufId(u32::MAX))).collect();
    let grads = if l.train {
        target_values(l.g).iter().map(|(v, _)| l.grads[v.0]).collect()
    } else {
        Vec::new()
    };
    Program {
        bufs,
        steps: l.steps.clone(),
        forward_len: l.forward_len,
        arena_len,
        bits_slots: bits as usize,
        outputs,
        grads,
        stats,
    }
}

#[cfg(test)]
mod tests {
    use super::{greedy, scan};

    /// Random buffers: both placements keep buffers that are alive together apart.
    #[test]
    fn placements_never_overlap_live_buffers() {
        let mut s = 12345u64;
        let mut rnd = |n: usize| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 33) as usize % n
        };
        let items: Vec<(usize, (usize, usize))> = (0..600)
            .map(|_| {
                let a = rnd(300);
                (rnd(100), (a, a + rnd(40)))
            })
            .collect();
        for (off, total) in [greedy(&items), scan(&items)] {
            for i in 0..items.len() {
                assert!(off[i] + items[i].0 <= total && off[i] % 16 == 0);
                for j in 0..i {
                    let ((li, ii), (lj, ij)) = (items[i], items[j]);
                    let live = ii.0 <= ij.1 && ij.0 <= ii.1;
                    let apart = off[i] + li <= off[j] || off[j] + lj <= off[i];
                    assert!(!live || apart || li == 0 || lj == 0, "{i} and {j} overlap");
                }
            }
        }
    }
}
