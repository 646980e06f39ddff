//! Finding chains of steps over time: step t reads `Gather(S, t)` and the state step t − 1
//! wrote, for consecutive t, with the same neuron parameters (and, recurrent, the same W, R).
//!
//! The walk links each step to its predecessor through the state (its V is output 1 of the
//! previous step's tuple class), so it costs one pass over the step nodes, whatever T is.

use std::collections::HashMap;

use egg::Id;
use snnc_ir::Order;

use crate::analysis::EGraph;
use crate::lang::{Kind, SnnNode};
use crate::rules::support::{index_of, nodes, proj_sources, ty};
use crate::sym::{Neuron, Sym};

/// One step node of the e-graph.
#[derive(Debug, Clone)]
pub struct Step {
    /// The step's tuple class (canonical).
    pub tuple: Id,
    /// Neuron parameters.
    pub neuron: Neuron,
    /// Update order.
    pub order: Order,
    /// Input X [B, I].
    pub x: Id,
    /// State V before the step.
    pub v: Id,
    /// Recurrent steps: (spikes before the step, W, R).
    pub rec: Option<(Id, Id, Id)>,
    /// A cell with a synaptic current: its current before the step (U; an `absent` class when
    /// the step starts from zero current).
    pub u: Option<Id>,
    /// Every (sequence, t) with X = Gather(sequence, t).
    pub at: Vec<(Id, i64)>,
}

/// Every (sequence, t) such that class `x` contains `Gather(sequence, t)` on axis 0 with a
/// constant scalar t (counted from the front).
pub fn positions(eg: &EGraph, x: Id) -> Vec<(Id, i64)> {
    let mut out = Vec::new();
    for g in nodes(eg, x, |s| *s == Sym::Gather(0)) {
        let seq = eg.find(g.args[0]);
        let (Some(t), Some(len)) =
            (index_of(eg, g.args[1]), ty(eg, seq).and_then(|t| t.shape.first()))
        else {
            continue;
        };
        let t = if t < 0 { t + *len as i64 } else { t };
        if (0..*len as i64).contains(&t) {
            out.push((seq, t));
        }
    }
    out
}

/// Every step node of the e-graph that reads a step of a sequence.
pub fn all_steps(eg: &EGraph) -> Vec<Step> {
    let probe = Neuron::probe();
    let kinds = [
        Sym::FfStep(probe.clone(), Order::IntegrateThenFire),
        Sym::RecStep(probe, Order::IntegrateThenFire),
    ];
    let mut out = Vec::new();
    for k in kinds {
        let Some(classes) = eg.classes_for_op(&Kind::of(&k)) else { continue };
        for c in classes {
            for n in &eg[c].nodes {
                let a: Vec<Id> = n.args.iter().map(|&a| eg.find(a)).collect();
                let (neuron, order, x, v, rec, u_slot) = match &n.sym {
                    Sym::FfStep(p, o) => (p.clone(), *o, a[0], a[1], None, 2),
                    Sym::RecStep(p, o) => (p.clone(), *o, a[0], a[2], Some((a[1], a[3], a[4])), 5),
                    _ => continue,
                };
                // A leaky cell with a synapse carries its current from step to step too.
                let u = if has_current(&neuron) {
                    match a.get(u_slot) {
                        Some(&u) => Some(u),
                        None => continue,
                    }
                } else {
                    None
                };
                let at = positions(eg, x);
                if !at.is_empty() {
                    out.push(Step { tuple: eg.find(c), neuron, order, x, v, rec, u, at });
                }
            }
        }
    }
    out
}

/// Whether the neuron has a synaptic current (some α ≠ 0): its ops take and give U.
pub fn has_current(n: &Neuron) -> bool {
    n.leak.0[0].iter().any(|a| a.get() != 0.0)
}

/// Output `i` of tuple class `t`, if the e-graph has that projection.
pub fn output(eg: &EGraph, i: u32, t: Id) -> Option<Id> {
    eg.lookup(SnnNode::proj(i, t))
}

/// Whether step `m` can be the step just before `n` (ignoring positions).
pub fn follows(eg: &EGraph, m: &Step, n: &Step) -> bool {
    if m.neuron != n.neuron || m.order != n.order {
        return false;
    }
    // The current n starts from is the one m gave.
    if let Some(u) = n.u {
        if output(eg, 2, m.tuple).is_none_or(|p| eg.find(p) != u) {
            return false;
        }
    }
    match (m.rec, n.rec) {
        (None, None) => true,
        (Some((_, w1, r1)), Some((z, w2, r2))) => {
            w1 == w2 && r1 == r2 && output(eg, 0, m.tuple).is_some_and(|p| eg.find(p) == z)
        }
        _ => false,
    }
}

/// Maximal chains of steps over consecutive rows of one sequence: (sequence, first t, steps).
/// A step that reads rows of several sequences (a layer's spikes are rows of each cell the
/// e-graph has for that layer: both update orders, over different spans) is linked along each
/// of them, so that one sequence's links do not cut another's chain short; each chain keeps to
/// one sequence.
pub fn chains(eg: &EGraph, steps: &[Step]) -> Vec<(Id, i64, Vec<usize>)> {
    let mut by_tuple: HashMap<Id, Vec<usize>> = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        by_tuple.entry(s.tuple).or_default().push(i);
    }
    // (step, sequence) → the step before / after it along that sequence.
    let mut prev: HashMap<(usize, Id), usize> = HashMap::new();
    let mut next: HashMap<(usize, Id), usize> = HashMap::new();
    for (n, s) in steps.iter().enumerate() {
        for c in proj_sources(eg, s.v, 1) {
            for &m in by_tuple.get(&c).into_iter().flatten() {
                if m == n || !follows(eg, &steps[m], s) {
                    continue;
                }
                for &(seq, t) in &s.at {
                    let free = !prev.contains_key(&(n, seq)) && !next.contains_key(&(m, seq));
                    if free && steps[m].at.contains(&(seq, t - 1)) {
                        prev.insert((n, seq), m);
                        next.insert((m, seq), n);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (start, s) in steps.iter().enumerate() {
        let mut seen = Vec::new();
        for &(seq, t0) in &s.at {
            if seen.contains(&seq) || prev.contains_key(&(start, seq)) {
                continue;
            }
            seen.push(seq);
            let mut chain = vec![start];
            let mut cur = start;
            while let Some(&n) = next.get(&(cur, seq)) {
                chain.push(n);
                cur = n;
            }
            out.push((seq, t0, chain));
        }
    }
    // A chain whose steps another chain takes all of, and more, would only add a shorter cell:
    // the steps of the next layer read the rows of every cell of this one, and a cell per
    // sub-span would grow the e-graph each iteration.
    let sets: Vec<Vec<usize>> = out
        .iter()
        .map(|c| {
            let mut s = c.2.clone();
            s.sort_unstable();
            s
        })
        .collect();
    let covered = |i: usize| {
        sets.iter().enumerate().any(|(j, s)| {
            j != i && s.len() > sets[i].len() && sets[i].iter().all(|x| s.binary_search(x).is_ok())
        })
    };
    let keep: Vec<bool> = (0..out.len()).map(|i| !covered(i)).collect();
    out.into_iter().zip(keep).filter(|c| c.1).map(|c| c.0).collect()
}
