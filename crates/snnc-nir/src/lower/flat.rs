//! Nested graphs flattened into one list of nodes and resolved edges.

use std::collections::HashMap;

use crate::graph::label;
use crate::{NirGraph, NodeKind};

/// What a flat node does.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FlatKind<'a> {
    /// A node of the file (a top-level Input or Output included).
    Node(&'a NodeKind),
    /// A nested graph's Input or Output: passes its input on.
    Pass,
}

/// The nodes of a graph and of its nested graphs, with edges between their indices.
pub(crate) struct Flat<'a> {
    /// Node paths (`outer/inner` inside nested graphs).
    pub names: Vec<String>,
    /// What each node does.
    pub kinds: Vec<FlatKind<'a>>,
    /// Edges `(from, to)`.
    pub edges: Vec<(usize, usize)>,
}

/// An edge that cannot be resolved: the graph's path and the message.
pub(crate) struct EdgeFault {
    pub graph: String,
    pub msg: String,
}

/// The ends of a flattened node: where its inputs arrive and where its output leaves.
struct Ends {
    entry: Vec<usize>,
    exit: Vec<usize>,
}

/// Flattens `g` (the top level when `prefix` is empty).
pub(crate) fn flatten(g: &NirGraph) -> Result<Flat<'_>, EdgeFault> {
    let mut f = Flat { names: Vec::new(), kinds: Vec::new(), edges: Vec::new() };
    add_graph(&mut f, g, "")?;
    Ok(f)
}

fn add_graph<'a>(
    f: &mut Flat<'a>,
    g: &'a NirGraph,
    prefix: &str,
) -> Result<(Vec<usize>, Vec<usize>), EdgeFault> {
    let top = prefix.is_empty();
    let mut ends: HashMap<&str, Ends> = HashMap::new();
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    for (name, kind) in &g.nodes {
        let path = if top { name.clone() } else { format!("{prefix}/{name}") };
        let e = match kind {
            NodeKind::Graph(inner) => {
                let (i, o) = add_graph(f, inner, &path)?;
                Ends { entry: i, exit: o }
            }
            _ => {
                let id = f.names.len();
                f.names.push(path);
                let pass = !top && matches!(kind, NodeKind::Input(_) | NodeKind::Output(_));
                f.kinds.push(if pass { FlatKind::Pass } else { FlatKind::Node(kind) });
                match kind {
                    NodeKind::Input(_) => inputs.push(id),
                    NodeKind::Output(_) => outputs.push(id),
                    _ => {}
                }
                Ends { entry: vec![id], exit: vec![id] }
            }
        };
        ends.insert(name.as_str(), e);
    }
    let fault = |msg: String| EdgeFault { graph: label(prefix), msg };
    for (a, b) in &g.edges {
        let missing = |n: &str| {
            fault(format!(
                "edge '{a}' → '{b}' names node '{n}', which does not exist (nodes: {})",
                g.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        };
        let from = ends.get(a.as_str()).ok_or_else(|| missing(a))?;
        let to = ends.get(b.as_str()).ok_or_else(|| missing(b))?;
        let one = |v: &[usize], what: &str, n: &str| match v {
            [x] => Ok(*x),
            _ => Err(fault(format!(
                "edge '{a}' → '{b}': nested graph '{n}' has {} {what} nodes; snnc connects \
                 nested graphs with exactly one",
                v.len()
            ))),
        };
        let (x, y) = (one(&from.exit, "Output", a)?, one(&to.entry, "Input", b)?);
        f.edges.push((x, y));
    }
    Ok((inputs, outputs))
}
