//! Pass 4, `fuse-elementwise`: an elementwise kernel whose value the next elementwise kernel
//! of the same shape reads is merged into it, so that a chain runs as one loop and its
//! intermediate values never reach memory. A value that something else also reads (another
//! kernel, the backward pass, a graph output) stays stored by the merged kernel; the merge
//! happens only when every such reader runs after the merged kernel's position (that of its
//! last op), so that moving the producer there changes nothing anyone reads. Training keeps
//! the values its backward pass reads, and still runs a chain as one loop.

use std::collections::{HashMap, HashSet};

use crate::kernel_ew::{EwK, Instr};
use crate::lower::ctx::{root_of, Lower};
use crate::lower::usage::Usage;
use crate::{BufId, Kernel};

/// The largest register count of a merged kernel.
const MAX_REGS: usize = 1024;

/// Runs the pass over the forward steps.
pub(crate) fn run(l: &mut Lower) {
    let bufs = l.bufs.clone();
    let root = |b: BufId| root_of(&bufs, b);
    // Per buffer: the positions of the steps that read it (a merged step reads at its new
    // position; one whose value it now takes from registers no longer reads it).
    let mut at = Usage::of(&l.steps, root).readers;
    // Graph outputs are read after the last step.
    let outputs: HashSet<BufId> =
        l.g.outputs().iter().filter_map(|o| l.val[o.0]).map(root).collect();
    let fwd = l.forward_len;
    let mut steps: Vec<Option<crate::Step>> = l.steps.drain(..).map(Some).collect();
    let mut producer: HashMap<BufId, usize> = HashMap::new();
    for i in 0..fwd {
        let Some(Kernel::Ew(k)) = steps[i].as_ref().map(|s| &s.kernel) else { continue };
        let mut k = k.clone();
        loop {
            let found = k.inputs.iter().find_map(|inp| {
                let j = *producer.get(&root(inp.buf))?;
                let Some(Kernel::Ew(p)) = steps[j].as_ref().map(|s| &s.kernel) else { return None };
                let small = (p.regs as usize + k.regs as usize) < MAX_REGS;
                // Every value `p` stores is written later once it moves to `i`.
                let later = p
                    .stores
                    .iter()
                    .all(|s| at.get(&root(s.1)).is_none_or(|r| r.iter().all(|&r| r >= i)));
                let ok = later && inp.shape == k.shape && p.shape == k.shape && small;
                ok.then_some(j)
            });
            let Some(j) = found else { break };
            let Some(Kernel::Ew(p)) = steps[j].take().map(|s| s.kernel) else { break };
            let mut read: Vec<BufId> = k.inputs.iter().map(|inp| root(inp.buf)).collect();
            read.sort();
            read.dedup();
            // `k` now reads `p`'s values from registers, and `p`'s inputs at `i`.
            for b in read.into_iter().filter(|&b| producer.get(&b) == Some(&j)) {
                if let Some(r) = at.get_mut(&b) {
                    r.retain(|&r| r != i);
                }
            }
            for inp in &p.inputs {
                if let Some(r) = at.get_mut(&root(inp.buf)) {
                    r.iter_mut().filter(|r| **r == j).for_each(|r| *r = i);
                }
            }
            let keep = |b: BufId| {
                let b = root(b);
                outputs.contains(&b) || at.get(&b).is_some_and(|r| !r.is_empty())
            };
            k = merge(p, k, &keep, &root);
        }
        for (_, b) in &k.stores {
            producer.insert(root(*b), i);
        }
        if let Some(s) = steps[i].as_mut() {
            s.kernel = Kernel::Ew(k);
        }
    }
    l.forward_len = steps[..fwd].iter().flatten().count();
    l.steps = steps.into_iter().flatten().collect();
}

/// `p` followed by `k`: `k`'s inputs that `p` stores become `p`'s registers, and `p`'s stores
/// are kept where `keep` says something else reads them.
fn merge(p: EwK, k: EwK, keep: &impl Fn(BufId) -> bool, root: &impl Fn(BufId) -> BufId) -> EwK {
    let stored = |b: BufId| p.stores.iter().find(|s| root(s.1) == root(b)).map(|s| s.0);
    let mut inputs = p.inputs.clone();
    let mut in_map = Vec::with_capacity(k.inputs.len());
    for inp in &k.inputs {
        if let Some(r) = stored(inp.buf) {
            in_map.push(Err(r));
            continue;
        }
        let at = inputs.iter().position(|x| x == inp).unwrap_or_else(|| {
            inputs.push(inp.clone());
            inputs.len() - 1
        });
        in_map.push(Ok(at as u16));
    }
    let off = p.regs;
    let mut reg_map: Vec<u16> = (0..k.regs).map(|r| r + off).collect();
    let mut code = p.code.clone();
    for ins in &k.code {
        let m = |r: u16| reg_map[r as usize];
        match *ins {
            Instr::Load { dst, input } => match in_map[input as usize] {
                Err(r) => reg_map[dst as usize] = r,
                Ok(i) => code.push(Instr::Load { dst: dst + off, input: i }),
            },
            Instr::Un { dst, op, a } => code.push(Instr::Un { dst: dst + off, op, a: m(a) }),
            Instr::Bin { dst, op, a, b } => {
                code.push(Instr::Bin { dst: dst + off, op, a: m(a), b: m(b) })
            }
            Instr::Select { dst, c, a, b } => {
                code.push(Instr::Select { dst: dst + off, c: m(c), a: m(a), b: m(b) })
            }
        }
    }
    let kept = p.stores.iter().filter(|s| keep(s.1)).copied();
    let stores = kept.chain(k.stores.iter().map(|&(r, b)| (reg_map[r as usize], b))).collect();
    EwK { shape: k.shape, inputs, code, regs: p.regs + k.regs, stores }
}
