//! Pass 4, `fuse-elementwise`: an elementwise kernel whose only reader is the next
//! elementwise kernel of the same shape is merged into it, so that a chain runs as one loop
//! and its intermediate values never reach memory. Values that anything else reads (another
//! kernel, the backward pass, a graph output) stay materialized, so every merged kernel still
//! stores exactly one value; running the merged chain at the position of its last op is
//! safe because none of its intermediates is read elsewhere.

use std::collections::HashMap;

use crate::kernel_ew::{EwK, Instr};
use crate::lower::ctx::{root_of, Lower};
use crate::{BufId, Kernel};

/// The largest register count of a merged kernel.
const MAX_REGS: usize = 1024;

/// Runs the pass over the forward steps.
pub(crate) fn run(l: &mut Lower) {
    let bufs = l.bufs.clone();
    let root = |b: BufId| root_of(&bufs, b);
    let mut readers: HashMap<BufId, usize> = HashMap::new();
    for s in &l.steps {
        let mut rs: Vec<BufId> = s.kernel.access().reads.into_iter().map(root).collect();
        rs.sort();
        rs.dedup();
        for b in rs {
            *readers.entry(b).or_default() += 1;
        }
    }
    for o in l.g.outputs() {
        if let Some(b) = l.val[o.0] {
            *readers.entry(root(b)).or_default() += 1;
        }
    }
    let fwd = l.forward_len;
    let mut steps: Vec<Option<crate::Step>> = l.steps.drain(..).map(Some).collect();
    let mut producer: HashMap<BufId, usize> = HashMap::new();
    for i in 0..fwd {
        let Some(Kernel::Ew(k)) = steps[i].as_ref().map(|s| &s.kernel) else { continue };
        let mut k = k.clone();
        loop {
            let found = k.inputs.iter().enumerate().find_map(|(ii, inp)| {
                let b = root(inp.buf);
                let j = *producer.get(&b)?;
                let Some(Kernel::Ew(p)) = steps[j].as_ref().map(|s| &s.kernel) else { return None };
                let small = (p.regs as usize + k.regs as usize) < MAX_REGS;
                let ok = readers.get(&b) == Some(&1)
                    && inp.shape == k.shape
                    && p.shape == k.shape
                    && small;
                ok.then_some((ii, j))
            });
            let Some((ii, j)) = found else { break };
            let Some(Kernel::Ew(p)) = steps[j].take().map(|s| s.kernel) else { break };
            k = merge(p, k, ii);
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

/// `p` followed by `k`, where `k`'s input `ii` is the value `p` stores (dropped).
fn merge(p: EwK, k: EwK, ii: usize) -> EwK {
    let stored = p.stores.first().map_or(0, |s| s.0);
    let mut inputs = p.inputs.clone();
    let mut in_map = Vec::with_capacity(k.inputs.len());
    for (i, inp) in k.inputs.iter().enumerate() {
        if i == ii {
            in_map.push(None);
            continue;
        }
        let at = inputs.iter().position(|x| x == inp).unwrap_or_else(|| {
            inputs.push(inp.clone());
            inputs.len() - 1
        });
        in_map.push(Some(at as u16));
    }
    let off = p.regs;
    let mut reg_map: Vec<u16> = (0..k.regs).map(|r| r + off).collect();
    let mut code = p.code.clone();
    for ins in &k.code {
        let m = |r: u16| reg_map[r as usize];
        match *ins {
            Instr::Load { dst, input } => match in_map[input as usize] {
                None => reg_map[dst as usize] = stored,
                Some(i) => code.push(Instr::Load { dst: dst + off, input: i }),
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
    let stores = k.stores.iter().map(|&(r, b)| (reg_map[r as usize], b)).collect();
    EwK { shape: k.shape, inputs, code, regs: p.regs + k.regs, stores }
}
