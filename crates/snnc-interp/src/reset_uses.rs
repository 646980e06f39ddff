//! Which uses of a plain export's spike are its reset, so that `--reset-grad detached` can
//! drop the gradient along exactly those edges (SPEC §1.1; the definition is in the crate docs,
//! "The reset of plain exports").
//!
//! The analysis is structural and local to the interpreter: it looks at the ops between a
//! spike and the potential it fired on, never at what the optimizer would fuse.

use std::collections::HashSet;

use snnc_ir::{Graph, Op, ValueId};

/// A use of a value: (node index, input slot).
pub type Use = (usize, usize);

/// The comparisons that define a spike with the compile-time surrogate, and `Spike` itself.
fn fires(op: &Op) -> bool {
    matches!(op, Op::Greater | Op::GreaterOrEqual | Op::Less | Op::LessOrEqual | Op::Spike { .. })
}

/// Elementwise ops a reset is spelt with. Comparisons are elementwise too, but a path through
/// `Greater`/`Less` (or `Spike`) reaches the next spike, not the potential.
fn elementwise(op: &Op) -> bool {
    matches!(
        op,
        Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Neg
            | Op::Equal
            | Op::Not
            | Op::Abs
            | Op::Sign
            | Op::Floor
            | Op::Max
            | Op::Min
            | Op::Clip
            | Op::Cast { .. }
            | Op::Where
            | Op::Identity
            | Op::Detach
            | Op::Relu
            | Op::Sigmoid
            | Op::Tanh
    )
}

/// Producers, consumers and constness of every value.
struct Uses<'g> {
    g: &'g Graph,
    producer: Vec<Option<usize>>,
    consumers: Vec<Vec<Use>>,
}

impl<'g> Uses<'g> {
    fn new(g: &'g Graph) -> Self {
        let mut consumers = vec![Vec::new(); g.values().len()];
        for (i, n) in g.nodes().iter().enumerate() {
            for (s, v) in n.inputs.iter().enumerate() {
                if let Some(v) = v {
                    consumers[v.0].push((i, s));
                }
            }
        }
        Uses { g, producer: g.producers(), consumers }
    }

    /// Initializers and `Constant` outputs: a threshold or a literal 1 is shared by every cell
    /// and says nothing about which potential a value belongs to.
    fn constant(&self, v: ValueId) -> bool {
        self.g.initializer(v).is_some()
            || self.producer[v.0]
                .is_some_and(|p| matches!(self.g.nodes()[p].op, Op::Constant { .. }))
    }

    /// The elementwise ancestors of `from` (themselves included): values reached backwards
    /// through elementwise ops that are not comparisons, constants excluded. Stops early, with
    /// `true`, at a value in `hit`.
    fn ancestors(
        &self,
        from: &[ValueId],
        hit: Option<&HashSet<ValueId>>,
    ) -> (HashSet<ValueId>, bool) {
        let mut seen = HashSet::new();
        let mut stack: Vec<ValueId> = from.iter().copied().filter(|&v| !self.constant(v)).collect();
        while let Some(v) = stack.pop() {
            if !seen.insert(v) {
                continue;
            }
            if hit.is_some_and(|h| h.contains(&v)) {
                return (seen, true);
            }
            let Some(p) = self.producer[v.0] else { continue };
            let node = &self.g.nodes()[p];
            if elementwise(&node.op) && !matches!(node.op, Op::Equal) {
                stack.extend(node.inputs.iter().flatten().filter(|&&u| !self.constant(u)));
            }
        }
        (seen, false)
    }

    /// Whether the use `(n, slot)` of a spike is a reset: `n` is elementwise and it, or a node
    /// elementwise-downstream of it (not crossing the next comparison), also consumes a value
    /// that shares a non-constant elementwise ancestor with the potential.
    fn is_reset(&self, (n, slot): Use, potential: &HashSet<ValueId>) -> bool {
        let nodes = self.g.nodes();
        if !elementwise(&nodes[n].op) {
            return false;
        }
        // Values computed from this use; the merge must be with something else.
        let mut path: HashSet<ValueId> = nodes[n].input(slot).into_iter().collect();
        let mut visited = HashSet::new();
        let mut queue = vec![n];
        while let Some(m) = queue.pop() {
            if !visited.insert(m) {
                continue;
            }
            let node = &nodes[m];
            for (s, u) in node.inputs.iter().enumerate() {
                let Some(u) = *u else { continue };
                if (m == n && s == slot) || path.contains(&u) || self.constant(u) {
                    continue;
                }
                if self.ancestors(&[u], Some(potential)).1 {
                    return true;
                }
            }
            for o in node.outputs.iter().flatten() {
                path.insert(*o);
                for &(c, _) in &self.consumers[o.0] {
                    let op = &nodes[c].op;
                    if elementwise(op) && !fires(op) {
                        queue.push(c);
                    }
                }
            }
        }
        false
    }
}

/// One spike of a plain export: the comparison that fires it, its potential (the elementwise
/// ancestors of the comparison's operands) and the uses of the spike that are its reset.
pub(crate) struct Fired {
    /// The comparison's node index.
    pub node: usize,
    /// The potential's values.
    pub potential: HashSet<ValueId>,
    /// The reset uses of the spike.
    pub resets: Vec<Use>,
}

/// Every float comparison (or `Spike`) of `g` in node order, with its reset uses.
pub(crate) fn fired(g: &Graph) -> Vec<Fired> {
    let u = Uses::new(g);
    let mut out = Vec::new();
    for (i, node) in g.nodes().iter().enumerate() {
        if !fires(&node.op) {
            continue;
        }
        let operands: Vec<ValueId> = node.inputs.iter().flatten().copied().collect();
        if !operands.iter().any(|&v| g.ty(v).dtype.is_float()) {
            continue;
        }
        let (potential, _) = u.ancestors(&operands, None);
        let mut resets = Vec::new();
        let mut spikes: Vec<ValueId> = node.outputs.iter().flatten().copied().collect();
        while let Some(z) = spikes.pop() {
            for &(c, s) in &u.consumers[z.0] {
                let op = &g.nodes()[c].op;
                if matches!(op, Op::Cast { .. } | Op::Identity) {
                    spikes.extend(g.nodes()[c].outputs.iter().flatten());
                } else if u.is_reset((c, s), &potential) {
                    resets.push((c, s));
                }
            }
        }
        out.push(Fired { node: i, potential, resets });
    }
    out
}

/// The uses of spikes that are resets, over the whole graph: the edges whose gradient
/// `--reset-grad detached` drops, in the reference and in the compiled engines alike. A spike is the output of a
/// float `Greater`/`GreaterOrEqual`/`Less`/`LessOrEqual` or of `Spike`, and whatever `Cast` and
/// `Identity` make of it; its uses by those `Cast`s and `Identity`s are the spike itself.
pub fn reset_uses(g: &Graph) -> HashSet<Use> {
    fired(g).into_iter().flat_map(|f| f.resets).collect()
}
