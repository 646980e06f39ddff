//! A NIR graph: named nodes and edges, read from the `node` group of a `.nir` file.

use std::collections::BTreeMap;

use crate::h5::{Tree, MAX_DEPTH};
use crate::nodes::fields::Fields;
use crate::nodes::kind::{parse_node, NodeFault};
use crate::NodeKind;

/// A (possibly nested) NIR graph.
#[derive(Debug, Clone, PartialEq)]
pub struct NirGraph {
    /// Nodes by name.
    pub nodes: BTreeMap<String, NodeKind>,
    /// Edges `(from, to)`, in file order.
    pub edges: Vec<(String, String)>,
}

/// Parses a `NIRGraph` group at `path` (empty for the root).
pub(crate) fn parse_graph(path: &str, t: &Tree, depth: usize) -> Result<NirGraph, NodeFault> {
    let fault = |msg: String| NodeFault { node: label(path), kind: "NIRGraph".into(), msg };
    if depth > MAX_DEPTH {
        return Err(fault(format!("graphs nest deeper than {MAX_DEPTH} levels")));
    }
    let f = Fields(t);
    let edges = f.pairs("edges").map_err(fault)?;
    let groups = t.groups.get("nodes").ok_or_else(|| fault("has no 'nodes' group".into()))?;
    if groups.groups.is_empty() {
        return Err(fault("has no nodes".into()));
    }
    let mut nodes = BTreeMap::new();
    for (name, g) in &groups.groups {
        let p = if path.is_empty() { name.clone() } else { format!("{path}/{name}") };
        nodes.insert(name.clone(), parse_node(&p, g, depth)?);
    }
    Ok(NirGraph { nodes, edges })
}

/// The graph's name in messages: its path, `(root)` for the top level.
pub(crate) fn label(path: &str) -> String {
    if path.is_empty() {
        "(root)".into()
    } else {
        path.to_string()
    }
}
