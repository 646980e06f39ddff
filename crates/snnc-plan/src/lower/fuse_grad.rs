//! Pass 5, `fuse-gradients` (training): a chain of elementwise gradient kernels becomes one
//! kernel. An [`EwGradK`] that writes the whole gradient of a value (no broadcast sum, no
//! accumulation) that exactly one later gradient kernel reads, and that nothing else writes or
//! reports, is folded into that reader as a link of its [`pre`](EwGradK::pre) chain: the chain
//! runs as one loop and its intermediate gradients never reach memory. Running the link at the
//! reader's position is safe: the intermediate has no other reader or writer, and the forward
//! values the link reads are saved values that the backward pass never writes. The merged
//! kernel keeps the reader's [`Wrt`](crate::Wrt) mask, which is what the intermediate was
//! needed for.

use std::collections::{HashMap, HashSet};

use crate::kernel_ew::GradStage;
use crate::lower::ctx::{root_of, Lower};
use crate::lower::target_values;
use crate::lower::usage::Usage;
use crate::{BufId, Kernel};

/// The longest chain one kernel runs.
const MAX_LINKS: usize = 16;

/// Runs the pass over the backward steps.
pub(crate) fn run(l: &mut Lower) {
    let bufs = l.bufs.clone();
    let root = |b: BufId| root_of(&bufs, b);
    let usage = Usage::of(&l.steps, root);
    // Reported gradients and graph outputs are read after the last step.
    let reported = target_values(l.g).into_iter().filter_map(|(v, _)| l.grads[v.0]);
    let outputs = l.g.outputs().iter().filter_map(|o| l.val[o.0]);
    let after: HashSet<BufId> = reported.chain(outputs).map(root).collect();
    let fwd = l.forward_len;
    let mut steps: Vec<Option<crate::Step>> = l.steps.drain(..).map(Some).collect();
    // The gradient kernel that alone writes a buffer, whole.
    let mut producer: HashMap<BufId, usize> = HashMap::new();
    for i in fwd..steps.len() {
        let Some(Kernel::EwGrad(k)) = steps[i].as_ref().map(|s| &s.kernel) else { continue };
        let mut k = k.clone();
        while let Some(&j) = producer.get(&root(k.g)) {
            let Some(Kernel::EwGrad(p)) = steps[j].as_ref().map(|s| &s.kernel) else { break };
            let b = root(k.g);
            let alone =
                usage.read_count(b) == 1 && !after.contains(&b) && usage.write_count(b) == 1;
            if !alone || !relabels(p, &k.shape) || p.pre.len() + k.pre.len() + 1 > MAX_LINKS {
                break;
            }
            let Some(Kernel::EwGrad(p)) = steps[j].take().map(|s| s.kernel) else { break };
            let reshaped = p.shape != k.shape;
            let mut pre = p.pre;
            pre.push(GradStage { rule: p.rule, operands: p.operands });
            if reshaped {
                // None of them broadcasts (`relabels`): the same elements under `k`'s shape.
                for o in pre.iter_mut().flat_map(|s| s.operands.iter_mut()) {
                    o.shape.clone_from(&k.shape);
                }
            }
            pre.append(&mut k.pre);
            k.pre = pre;
            k.g = p.g;
        }
        if !k.acc && k.dst_shape == k.shape {
            producer.insert(root(k.dst), i);
        }
        if let Some(s) = steps[i].as_mut() {
            s.kernel = Kernel::EwGrad(k);
        }
    }
    l.steps = steps.into_iter().flatten().collect();
}

/// Whether `p`'s chain can run over `shape`: the same shape, or (across a reshape) the same
/// number of elements with no operand broadcast, so that element `e` is element `e` of each.
fn relabels(p: &crate::EwGradK, shape: &[usize]) -> bool {
    if p.shape == shape {
        return true;
    }
    let count = |s: &[usize]| s.iter().product::<usize>();
    let mut ops = p.operands.iter().chain(p.pre.iter().flat_map(|s| s.operands.iter()));
    count(&p.shape) == count(shape) && ops.all(|o| o.shape == p.shape)
}
