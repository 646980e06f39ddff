//! The order in which one time step evaluates the nodes, and which edges are recurrent.

use super::flat::{Flat, FlatKind};
use crate::NodeKind;

/// Each node's inputs, split into those of the same step and the recurrent ones (read from the
/// previous step), and the nodes in evaluation order.
pub(crate) struct Schedule {
    /// Per node: sources evaluated earlier in the same step.
    pub same: Vec<Vec<usize>>,
    /// Per node: sources of recurrent edges (their previous step's output).
    pub back: Vec<Vec<usize>>,
    /// Evaluation order.
    pub order: Vec<usize>,
}

/// A depth-first walk from the top-level Input nodes (in name order): an edge to a node still
/// on the walk's stack closes a cycle and is recurrent. Fails naming a node that no Input
/// reaches.
pub(crate) fn schedule(f: &Flat) -> Result<Schedule, String> {
    let n = f.names.len();
    let mut succ = vec![Vec::new(); n];
    for &(a, b) in &f.edges {
        succ[a].push(b);
    }
    let roots: Vec<usize> =
        (0..n).filter(|&i| matches!(f.kinds[i], FlatKind::Node(NodeKind::Input(_)))).collect();
    if roots.is_empty() {
        return Err("the graph has no Input node".into());
    }
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut post = Vec::with_capacity(n);
    let mut same = vec![Vec::new(); n];
    let mut back = vec![Vec::new(); n];
    for &r in &roots {
        if state[r] != 0 {
            continue;
        }
        let mut stack = vec![(r, 0usize)];
        state[r] = 1;
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            if let Some(&w) = succ[v].get(*k) {
                *k += 1;
                match state[w] {
                    1 => back[w].push(v),
                    0 => {
                        same[w].push(v);
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    _ => same[w].push(v),
                }
            } else {
                state[v] = 2;
                post.push(v);
                stack.pop();
            }
        }
    }
    if let Some(i) = (0..n).find(|&i| state[i] == 0) {
        return Err(format!("node '{}' is not reachable from any Input node", f.names[i]));
    }
    post.reverse();
    Ok(Schedule { same, back, order: post })
}
