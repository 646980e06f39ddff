//! IR → e-graph. The graph is in topological order, so one pass over its nodes adds every
//! e-node after its children (no recursion, any depth).

use std::sync::Arc;

use egg::Id;
use snnc_ir::{Graph, Op};

use crate::analysis::{EGraph, SnnAnalysis};
use crate::lang::SnnNode;
use crate::sym::Sym;
use crate::OptError;

/// A graph loaded into an e-graph.
pub struct Loaded {
    /// The e-graph (rebuilt, ready for rewriting).
    pub egraph: EGraph,
    /// The e-class of each graph output, in output order.
    pub roots: Vec<Id>,
}

/// Adds every value of `g` to a fresh e-graph: inputs and initializers as leaves, `Constant`
/// nodes as interned constants, each multi-output node as one tuple e-node with a projection
/// per bound output.
pub fn load(g: &Graph) -> Result<Loaded, OptError> {
    let mut analysis = SnnAnalysis::default();
    for &i in g.inputs() {
        analysis.leaves.inputs.push((g.value(i).name.clone(), g.ty(i).clone()));
    }
    for (&id, t) in g.initializers() {
        analysis.leaves.inits.push((g.value(id).name.clone(), Arc::new(t.clone())));
    }
    let mut egraph = EGraph::new(analysis);
    let mut class: Vec<Option<Id>> = vec![None; g.values().len()];
    for (k, &i) in g.inputs().iter().enumerate() {
        class[i.0] = Some(egraph.add(SnnNode::leaf(Sym::Input(k as u32))));
    }
    for (k, &id) in g.initializers().keys().enumerate() {
        class[id.0] = Some(egraph.add(SnnNode::leaf(Sym::Init(k as u32))));
    }
    for node in g.nodes() {
        let unknown = |what: &str| OptError::Import(format!("node '{}': {what}", node.name));
        let id = match &node.op {
            Op::Constant { value } => {
                let k = egraph.analysis.leaves.intern(value.clone());
                egraph.add(SnnNode::leaf(Sym::Const(k)))
            }
            op => {
                let sym = Sym::of_op(op).ok_or_else(|| unknown("op has no e-graph form"))?;
                let mut args = Vec::with_capacity(node.inputs.len());
                for slot in &node.inputs {
                    args.push(match slot {
                        Some(v) => {
                            class[v.0].ok_or_else(|| unknown("input used before definition"))?
                        }
                        None => egraph.add(SnnNode::leaf(Sym::Absent)),
                    });
                }
                egraph.add(SnnNode::new(sym, args))
            }
        };
        if node.op.output_count() > 1 {
            for (i, out) in node.outputs.iter().enumerate() {
                if let Some(v) = out {
                    class[v.0] = Some(egraph.add(SnnNode::proj(i as u32, id)));
                }
            }
        } else if let Some(v) = node.output(0) {
            class[v.0] = Some(id);
        }
    }
    egraph.rebuild();
    let roots = g
        .outputs()
        .iter()
        .map(|o| class[o.0].ok_or_else(|| OptError::Import("an output is never produced".into())))
        .collect::<Result<_, _>>()?;
    Ok(Loaded { egraph, roots })
}
