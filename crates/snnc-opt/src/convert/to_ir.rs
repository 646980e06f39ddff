//! Extracted e-graph → IR. Projections of one tuple class become the outputs of one IR node;
//! graph outputs keep their names, inputs keep their order, initializers keep their names, and
//! every trainable parameter of the imported graph is still an initializer.

use std::collections::{HashMap, HashSet};

use egg::Id;
use snnc_ir::{Graph, Op, ValueId};

use crate::analysis::EGraph;
use crate::consts::is_parameter;
use crate::lang::SnnNode;
use crate::sym::Sym;

/// The classes reachable from `roots` through the chosen nodes, children first (an iterative
/// depth-first search). Fails on a cycle.
fn post_order(choice: &HashMap<Id, SnnNode>, roots: &[Id]) -> Result<Vec<Id>, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    let mut mark: HashMap<Id, Mark> = HashMap::new();
    let mut order = Vec::new();
    for &r in roots {
        let mut stack = vec![(r, false)];
        while let Some((c, expanded)) = stack.pop() {
            if expanded {
                mark.insert(c, Mark::Done);
                order.push(c);
                continue;
            }
            match mark.get(&c) {
                Some(Mark::Done) => continue,
                Some(Mark::Open) => return Err("the extracted graph has a cycle".into()),
                None => {}
            }
            mark.insert(c, Mark::Open);
            stack.push((c, true));
            let node = choice.get(&c).ok_or("a class has no extracted node")?;
            for &k in node.args.iter().rev() {
                match mark.get(&k) {
                    Some(Mark::Open) => return Err("the extracted graph has a cycle".into()),
                    Some(Mark::Done) => {}
                    None => stack.push((k, false)),
                }
            }
        }
    }
    Ok(order)
}

/// Hands out value names that no other value uses.
struct Names {
    taken: HashSet<String>,
    counter: usize,
}

impl Names {
    fn fresh(&mut self, stem: &str) -> String {
        loop {
            let n = format!("{stem}_{}", self.counter);
            self.counter += 1;
            if self.taken.insert(n.clone()) {
                return n;
            }
        }
    }
}

/// Adds every trainable parameter ([`is_parameter`]) the extracted graph no longer reads as an
/// unused initializer. The rules only drop a parameter from a path where its gradient is zero
/// (`z·0`), so its gradient is exactly zero, and every engine reports it: a user's training
/// loop finds every parameter it passed in, whatever the optimizer made of it.
fn keep_parameters(
    g: &mut Graph,
    leaves: &crate::analysis::Leaves,
    emitted: &HashSet<u32>,
) -> Result<(), String> {
    for (i, (name, t)) in leaves.inits.iter().enumerate() {
        let i = i as u32;
        if is_parameter(t) && !emitted.contains(&i) && !leaves.value_used.contains(&i) {
            g.add_initializer(name, (**t).clone()).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Builds the IR graph of the extraction `choice` (canonical classes → nodes), with the graph
/// outputs `roots` named as in `original`.
pub fn build(
    egraph: &EGraph,
    choice: &HashMap<Id, SnnNode>,
    roots: &[Id],
    original: &Graph,
) -> Result<Graph, String> {
    let roots: Vec<Id> = roots.iter().map(|&r| egraph.find(r)).collect();
    let order = post_order(choice, &roots)?;
    let leaves = &egraph.analysis.leaves;
    let mut names =
        Names { taken: original.values().iter().map(|v| v.name.clone()).collect(), counter: 0 };
    // Graph outputs name the values that compute them (the first output naming a class wins).
    let mut named: HashMap<(Id, u32), String> = HashMap::new();
    for (&r, &o) in roots.iter().zip(original.outputs()) {
        let key = match &choice[&r].sym {
            Sym::Proj(i) => (choice[&r].args[0], *i),
            s if s.is_leaf() => continue,
            _ => (r, 0),
        };
        named.entry(key).or_insert_with(|| original.value(o).name.clone());
    }
    let mut used: HashMap<Id, HashSet<u32>> = HashMap::new();
    for c in &order {
        if let Sym::Proj(i) = choice[c].sym {
            used.entry(choice[c].args[0]).or_default().insert(i);
        }
    }
    let mut g = Graph::new(original.name());
    let mut value: HashMap<Id, Option<ValueId>> = HashMap::new();
    let mut outs: HashMap<Id, Vec<Option<ValueId>>> = HashMap::new();
    let mut inputs = Vec::new();
    for &i in original.inputs() {
        inputs.push(
            g.add_input(&original.value(i).name, original.ty(i).clone())
                .map_err(|e| e.to_string())?,
        );
    }
    let mut emitted_inits: HashSet<u32> = HashSet::new();
    for c in order {
        let node = &choice[&c];
        let v = match &node.sym {
            Sym::Input(i) => Some(inputs[*i as usize]),
            Sym::Init(i) if leaves.value_used.contains(i) => {
                let (name, t) = &leaves.inits[*i as usize];
                let op = Op::Constant { value: (**t).clone() };
                let o = g.add_node("", op, vec![], &[Some(name)]).map_err(|e| e.to_string())?;
                o.first().copied().flatten()
            }
            Sym::Init(i) => {
                let (name, t) = &leaves.inits[*i as usize];
                emitted_inits.insert(*i);
                Some(g.add_initializer(name, (**t).clone()).map_err(|e| e.to_string())?)
            }
            Sym::Const(k) => {
                let name = names.fresh("const");
                let t = (*leaves.consts[*k as usize]).clone();
                Some(g.add_initializer(&name, t).map_err(|e| e.to_string())?)
            }
            Sym::Absent => None,
            Sym::Proj(i) => outs[&node.args[0]].get(*i as usize).copied().flatten(),
            sym => {
                let op = sym.to_op().ok_or("a leaf operator in an op position")?;
                let ins: Vec<Option<ValueId>> = node.args.iter().map(|a| value[a]).collect();
                let count = if sym.is_tuple() { op.output_count() } else { 1 };
                let stem = op.name().to_lowercase();
                let mut slots: Vec<Option<String>> = (0..count as u32)
                    .map(|i| {
                        let bound = !sym.is_tuple() || used.get(&c).is_some_and(|u| u.contains(&i));
                        bound.then(|| {
                            named.get(&(c, i)).cloned().unwrap_or_else(|| names.fresh(&stem))
                        })
                    })
                    .collect();
                while slots.len() > 1 && slots.last().is_some_and(Option::is_none) {
                    slots.pop();
                }
                let slots: Vec<Option<&str>> = slots.iter().map(|s| s.as_deref()).collect();
                let o = g.add_node("", op, ins, &slots).map_err(|e| e.to_string())?;
                let first = o.first().copied().flatten();
                outs.insert(c, o);
                first
            }
        };
        value.insert(c, v);
    }
    keep_parameters(&mut g, leaves, &emitted_inits)?;
    let mut emitted: HashSet<ValueId> = HashSet::new();
    for (&r, &o) in roots.iter().zip(original.outputs()) {
        let name = &original.value(o).name;
        let v = value[&r].ok_or("an output has no value")?;
        let v = if &g.value(v).name == name && emitted.insert(v) {
            v
        } else {
            let ins = vec![Some(v)];
            let out = g
                .add_node("", snnc_ir::Op::Identity, ins, &[Some(name)])
                .map_err(|e| e.to_string())?;
            out[0].ok_or("identity has no output")?
        };
        g.add_output(v).map_err(|e| e.to_string())?;
    }
    Ok(g)
}
