//! The spiking layers of a plain export, and `detach()` put back on the resets of some of them
//! (SPEC §1.1: an export loses `detach()`, so a network whose layers differ — Norse's
//! `LIFRecurrentCell` detaches its reset, its `LIFCell` readout does not — needs one choice per
//! layer).
//!
//! A **layer** is a set of spikes whose potentials are connected: two comparisons belong to
//! one layer when their potentials (the elementwise ancestors of their operands, see
//! [`crate::reset_uses`]) share a value. A step's potential is computed from the previous
//! step's reset potential, so the T steps of an unrolled cell are one layer, while two layers
//! meet only through linear maps, which a potential never crosses. Layers without a reset use
//! (snnTorch's `reset = none`, a leaky readout with no threshold) are not counted. Layers are
//! numbered in the order of their first comparison in the graph: for a feed-forward stack,
//! from the input to the output.

use std::collections::{BTreeMap, HashMap, HashSet};

use snnc_ir::{Graph, IrError, Op, ValueId};

use crate::reset_uses::{fired, Use};

/// One spiking layer with a reset.
#[derive(Debug, Clone, PartialEq)]
pub struct ResetLayer {
    /// The node indices of its comparisons, in graph order.
    pub comparisons: Vec<usize>,
    /// The reset uses of its spikes.
    pub resets: Vec<Use>,
}

/// Union-find over comparison indices.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The layers of `g` that have a reset, numbered from the first in graph order.
pub fn reset_layers(g: &Graph) -> Vec<ResetLayer> {
    let spikes = fired(g);
    let mut parent: Vec<usize> = (0..spikes.len()).collect();
    let mut owner: HashMap<ValueId, usize> = HashMap::new();
    for (i, f) in spikes.iter().enumerate() {
        for &v in &f.potential {
            match owner.get(&v) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    owner.insert(v, i);
                }
            }
        }
    }
    // A set's root is its smallest index (unions keep the smaller), and `spikes` is in node
    // order, so the root is the layer's first comparison.
    let mut layers: BTreeMap<usize, ResetLayer> = BTreeMap::new();
    for (i, f) in spikes.iter().enumerate() {
        let layer = layers
            .entry(root(&mut parent, i))
            .or_insert_with(|| ResetLayer { comparisons: Vec::new(), resets: Vec::new() });
        layer.comparisons.push(f.node);
        layer.resets.extend(f.resets.iter().copied());
    }
    layers.into_values().filter(|l| !l.resets.is_empty()).collect()
}

/// `g` with a `Detach` between each spike and its reset uses in the layers `which` selects
/// (one flag per layer of [`reset_layers`], in its order): the backward then drops the
/// gradient along exactly those edges, as the library's `detach()` did. Every other use keeps
/// the spike itself.
pub fn detach_resets(g: &Graph, layers: &[ResetLayer], which: &[bool]) -> Result<Graph, IrError> {
    let cut: HashSet<Use> = layers
        .iter()
        .zip(which)
        .filter(|(_, &d)| d)
        .flat_map(|(l, _)| l.resets.iter().copied())
        .collect();
    let detached: HashSet<ValueId> =
        cut.iter().filter_map(|&(n, s)| g.nodes()[n].input(s)).collect();
    let mut out = Graph::new(g.name());
    let mut map: HashMap<ValueId, ValueId> = HashMap::new();
    let mut detach: HashMap<ValueId, ValueId> = HashMap::new();
    for &i in g.inputs() {
        let v = g.value(i);
        map.insert(i, out.add_input(&v.name, v.ty.clone())?);
    }
    for (&i, t) in g.initializers() {
        map.insert(i, out.add_initializer(&g.value(i).name, t.clone())?);
    }
    let fresh = |taken: &dyn Fn(&str) -> bool, base: String| {
        let mut name = base.clone();
        let mut k = 1;
        while taken(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        name
    };
    for (ni, node) in g.nodes().iter().enumerate() {
        let inputs = node
            .inputs
            .iter()
            .enumerate()
            .map(|(s, v)| {
                v.map(|v| match cut.contains(&(ni, s)) {
                    true => detach[&v],
                    false => map[&v],
                })
            })
            .collect();
        let names: Vec<Option<&str>> =
            node.outputs.iter().map(|o| o.map(|v| g.value(v).name.as_str())).collect();
        let outs = out.add_node(&node.name, node.op.clone(), inputs, &names)?;
        for (o, n) in node.outputs.iter().zip(outs) {
            let (Some(o), Some(n)) = (o, n) else { continue };
            map.insert(*o, n);
            if !detached.contains(o) {
                continue;
            }
            let base = &g.value(*o).name;
            let value = fresh(
                &|s| g.find(s).is_some() || out.find(s).is_some(),
                format!("{base}.detached"),
            );
            let name = fresh(
                &|s| g.find_node(s).is_some() || out.find_node(s).is_some(),
                format!("{}.detach", node.name),
            );
            let d = out.add_node(&name, Op::Detach, vec![Some(n)], &[Some(&value)])?;
            detach.insert(*o, d[0].expect("the output was named"));
        }
    }
    for &o in g.outputs() {
        out.add_output(map[&o])?;
    }
    Ok(out)
}
