//! Topological order of the ONNX nodes, with cycle and dangling-input detection.

use std::collections::{BTreeSet, HashMap, HashSet};

use tract_onnx::pb::GraphProto;

/// A node-level problem found while ordering: (node index, message).
pub(crate) type TopoError = (usize, String);

/// The node indices of `g` in a topological order that keeps the model's order wherever it is
/// already valid. `defined` holds the names available before any node (inputs, initializers).
///
/// Fails naming a node when two producers define one value, an input is defined nowhere
/// (dangling), or nodes form a cycle (the node named lies on the cycle).
pub(crate) fn order(g: &GraphProto, defined: &HashSet<&str>) -> Result<Vec<usize>, TopoError> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            if defined.contains(o.as_str()) {
                return Err((i, format!("output '{o}' redefines a graph input or initializer")));
            }
            if producer.insert(o.as_str(), i).is_some() {
                return Err((i, format!("output '{o}' is produced by more than one node")));
            }
        }
    }
    let count = g.node.len();
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, n) in g.node.iter().enumerate() {
        for inp in n.input.iter().filter(|s| !s.is_empty()) {
            match producer.get(inp.as_str()) {
                Some(&p) => {
                    deps[i].push(p);
                    users[p].push(i);
                }
                None if defined.contains(inp.as_str()) => {}
                None => {
                    return Err((
                        i,
                        format!(
                            "input '{inp}' is not a graph input, an initializer or a node output"
                        ),
                    ))
                }
            }
        }
    }
    let mut missing: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut ready: BTreeSet<usize> = (0..count).filter(|&i| missing[i] == 0).collect();
    let mut out = Vec::with_capacity(count);
    while let Some(i) = ready.pop_first() {
        out.push(i);
        for &u in &users[i] {
            missing[u] -= 1;
            if missing[u] == 0 {
                ready.insert(u);
            }
        }
    }
    if out.len() == count {
        return Ok(out);
    }
    let start = (0..count).find(|&i| missing[i] > 0).unwrap_or(0);
    Err((on_cycle(start, &deps, &missing), "the node is part of a cycle".into()))
}

/// Walks unresolved predecessors from `start` until a node repeats; that node lies on a cycle.
fn on_cycle(start: usize, deps: &[Vec<usize>], missing: &[usize]) -> usize {
    let mut seen = vec![false; deps.len()];
    let mut at = start;
    while !seen[at] {
        seen[at] = true;
        match deps[at].iter().find(|&&p| missing[p] > 0) {
            Some(&p) => at = p,
            None => break,
        }
    }
    at
}
