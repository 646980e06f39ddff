//! The value of a graph value that depends on no graph input (weights the optimizer built from
//! initializers with `Concat`, `Unsqueeze`, …), computed by the reference interpreter on the
//! sub-graph that produces it.

use std::collections::BTreeSet;

use snnc_ir::{Graph, Tensor, ValueId};

/// The value of `v` when it is an initializer or computed from initializers only; `None` when
/// it depends on a graph input (or the sub-graph does not run).
pub fn const_value(g: &Graph, v: ValueId) -> Option<Tensor> {
    if let Some(t) = g.initializer(v) {
        return Some(t.clone());
    }
    let producers = g.producers();
    let mut needed = BTreeSet::new();
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        if g.initializer(x).is_some() {
            continue;
        }
        let p = producers[x.0]?;
        if needed.insert(p) {
            stack.extend(g.nodes()[p].inputs.iter().flatten());
        }
    }
    let mut sub = Graph::new("const");
    let mut map = std::collections::HashMap::new();
    for &p in &needed {
        let n = &g.nodes()[p];
        let mut ins = Vec::with_capacity(n.inputs.len());
        for i in &n.inputs {
            ins.push(match i {
                None => None,
                Some(i) => Some(match map.get(i) {
                    Some(&m) => m,
                    None => {
                        let t = g.initializer(*i)?.clone();
                        let m = sub.add_initializer(&g.value(*i).name, t).ok()?;
                        map.insert(*i, m);
                        m
                    }
                }),
            });
        }
        let names: Vec<Option<String>> =
            n.outputs.iter().map(|o| o.map(|o| g.value(o).name.clone())).collect();
        let names: Vec<Option<&str>> = names.iter().map(|o| o.as_deref()).collect();
        let outs = sub.add_node(&n.name, n.op.clone(), ins, &names).ok()?;
        for (o, m) in n.outputs.iter().zip(outs) {
            if let (Some(o), Some(m)) = (o, m) {
                map.insert(*o, m);
            }
        }
    }
    sub.add_output(*map.get(&v)?).ok()?;
    let out = snnc_interp::run(&sub, &[]).ok()?;
    out.into_iter().next().map(|(_, t)| t)
}
