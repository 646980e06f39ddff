//! Event: a linear layer whose input is binary (spikes) is a spike-linear, the same function,
//! which an engine may run event-driven (summing the weight rows of the active inputs). The
//! analysis knows which values are 0/1; the plan decides how to run the op.

use crate::lang::SnnNode;
use crate::rules::support::{add_checked, custom, nodes, union, Rule};
use crate::sym::Sym;

/// The event rules.
pub fn rules() -> Vec<Rule> {
    vec![custom(
        "spike-linear",
        Some(Sym::Linear { trans_b: true }),
        |eg, c| {
            nodes(eg, c, |s| matches!(s, Sym::Linear { .. }))
                .filter(|n| eg[n.args[0]].data.is_binary())
                .map(|n| n.args.clone())
                .collect()
        },
        |eg, c, m| {
            let flags: Vec<bool> = nodes(eg, c, |s| matches!(s, Sym::Linear { .. }))
                .filter(|n| n.args.iter().zip(m).all(|(&a, &b)| eg.find(a) == eg.find(b)))
                .map(|n| matches!(n.sym, Sym::Linear { trans_b: true }))
                .collect();
            let mut changed = Vec::new();
            for trans_b in flags {
                let node = SnnNode::new(Sym::SpikeLinear { trans_b }, m.to_vec());
                if let Some(s) = add_checked(eg, node) {
                    changed.extend(union(eg, c, s));
                }
            }
            changed
        },
    )]
}
