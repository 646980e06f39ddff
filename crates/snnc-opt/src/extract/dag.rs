//! A greedy, DAG-aware extractor.
//!
//! Each e-class gets the node whose *set* of transitively chosen classes is cheapest, where a
//! set's cost sums each class once: a subterm shared by many users (a membrane potential, a
//! hoisted GEMM) is paid once, not once per use as in a tree cost. Classes are settled in order
//! of increasing cost (Knuth's generalization of Dijkstra's algorithm): a node is priced when
//! all its children are settled, and a class is settled by its cheapest priced node. A node
//! whose children's sets contain its own class would close a cycle and is never chosen.
//!
//! Exact sets of a deep unrolled chain grow with its length (quadratic work over the chain), so
//! a set larger than [`SET_LIMIT`] is dropped and its class priced as a tree (each child's cost
//! summed). Those are the long chains the rewrites replace; the final choice is re-priced exactly
//! on the emitted graph.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::rc::Rc;

use egg::{Id, Language};
use snnc_ir::{infer_types, TensorType};

use crate::analysis::EGraph;
use crate::extract::cost::node_cost;
use crate::extract::improve::{improve, Problem, MAX_CLASSES};
use crate::lang::SnnNode;
use crate::sym::Sym;

/// Largest exact cost set kept per class.
pub const SET_LIMIT: usize = 512;

/// A class's settled choice.
struct Settled {
    node: usize,
    cost: f64,
    /// Sorted (class index, cost of that class's own node); `None` when priced as a tree.
    set: Set,
}

#[derive(PartialEq)]
struct Cost(f64);

impl Eq for Cost {}

impl PartialOrd for Cost {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cost {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The per-node cost of `node` in an e-graph, or `None` when it is ill-typed.
fn own_cost(egraph: &EGraph, class: Id, node: &SnnNode) -> Option<f64> {
    let outs = &egraph[class].data.types;
    match &node.sym {
        Sym::Proj(i) => {
            egraph[node.args[0]].data.types.get(*i as usize)?;
            Some(node_cost(&node.sym, &[], outs))
        }
        s if s.is_leaf() => Some(node_cost(s, &[], outs)),
        s => {
            let ins: Vec<Option<&TensorType>> =
                node.args.iter().map(|&c| egraph[c].data.single()).collect();
            let types = infer_types(&s.to_op()?, &ins).ok()?;
            (&types == outs).then(|| node_cost(s, &ins, outs))
        }
    }
}

type Set = Option<Rc<Vec<(u32, f64)>>>;

/// The classes and nodes being extracted, by dense index.
struct Table<'a> {
    egraph: &'a EGraph,
    ids: Vec<Id>,
    nodes: Vec<Vec<SnnNode>>,
    /// For each node: its distinct children, as class indices.
    kids: Vec<Vec<Vec<usize>>>,
}

impl Table<'_> {
    /// Prices node `n` of class `c` whose children are all settled: its cost and cost set, or
    /// `None` when it is ill-typed or would close a cycle.
    fn price(&self, c: usize, n: usize, settled: &[Option<Settled>]) -> Option<(f64, Set)> {
        let own = own_cost(self.egraph, self.ids[c], &self.nodes[c][n])?;
        let ks = &self.kids[c][n];
        let child = |k: usize| settled[k].as_ref().expect("children are settled");
        if ks.iter().any(|&k| child(k).set.is_none()) {
            return Some((own + ks.iter().map(|&k| child(k).cost).sum::<f64>(), None));
        }
        let mut set: Vec<(u32, f64)> = Vec::new();
        for &k in ks {
            set.extend(child(k).set.as_ref().expect("exact").iter().copied());
        }
        set.sort_unstable_by_key(|e| e.0);
        set.dedup_by_key(|e| e.0);
        if set.binary_search_by_key(&(c as u32), |e| e.0).is_ok() {
            return None; // choosing this node would make the class depend on itself
        }
        let total = own + set.iter().map(|e| e.1).sum::<f64>();
        if set.len() >= SET_LIMIT {
            return Some((total, None));
        }
        let at = set.partition_point(|e| e.0 < c as u32);
        set.insert(at, (c as u32, own));
        Some((total, Some(Rc::new(set))))
    }
}

/// Chooses one node per class reachable from the e-graph, minimizing DAG cost. Returns the
/// choice by canonical class id (children canonical), or the first root with no acyclic choice.
pub fn extract(egraph: &EGraph, roots: &[Id]) -> Result<HashMap<Id, SnnNode>, Id> {
    let ids: Vec<Id> = egraph.classes().map(|c| c.id).collect();
    let index: HashMap<Id, usize> = ids.iter().enumerate().map(|(i, &c)| (c, i)).collect();
    let nodes: Vec<Vec<SnnNode>> = ids
        .iter()
        .map(|&c| {
            egraph[c].nodes.iter().map(|n| n.clone().map_children(|k| egraph.find(k))).collect()
        })
        .collect();
    let mut kids: Vec<Vec<Vec<usize>>> = Vec::with_capacity(ids.len());
    let mut pending: Vec<Vec<usize>> = Vec::with_capacity(ids.len());
    let mut parents: Vec<Vec<(usize, usize)>> = vec![Vec::new(); ids.len()];
    for (c, ns) in nodes.iter().enumerate() {
        let mut ks = Vec::with_capacity(ns.len());
        let mut ps = Vec::with_capacity(ns.len());
        for (n, node) in ns.iter().enumerate() {
            let mut k: Vec<usize> = node.args.iter().map(|a| index[a]).collect();
            k.sort_unstable();
            k.dedup();
            for &child in &k {
                parents[child].push((c, n));
            }
            ps.push(k.len());
            ks.push(k);
        }
        kids.push(ks);
        pending.push(ps);
    }
    let table = Table { egraph, ids, nodes, kids };
    let mut settled: Vec<Option<Settled>> = (0..table.ids.len()).map(|_| None).collect();
    // Priced nodes wait in the heap by cost; their sets wait here, by (class, node).
    let mut sets: HashMap<(usize, usize), Set> = HashMap::new();
    let mut heap = BinaryHeap::new();
    let push = |c: usize,
                n: usize,
                settled: &[Option<Settled>],
                heap: &mut BinaryHeap<_>,
                sets: &mut HashMap<(usize, usize), Set>| {
        if let Some((cost, set)) = table.price(c, n, settled) {
            sets.insert((c, n), set);
            heap.push(Reverse((Cost(cost), c, n)));
        }
    };
    for (c, ps) in pending.iter().enumerate() {
        for (n, _) in ps.iter().enumerate().filter(|(_, &p)| p == 0) {
            push(c, n, &settled, &mut heap, &mut sets);
        }
    }
    while let Some(Reverse((Cost(cost), c, n))) = heap.pop() {
        let set = sets.remove(&(c, n)).flatten();
        if settled[c].is_some() {
            continue;
        }
        settled[c] = Some(Settled { node: n, cost, set });
        for &(p, pn) in &parents[c] {
            pending[p][pn] -= 1;
            if pending[p][pn] == 0 && settled[p].is_none() {
                push(p, pn, &settled, &mut heap, &mut sets);
            }
        }
    }
    let mut root_classes = Vec::with_capacity(roots.len());
    for &r in roots {
        let r = egraph.find(r);
        if settled[index[&r]].is_none() {
            return Err(r);
        }
        root_classes.push(index[&r]);
    }
    let mut choice: Vec<Option<usize>> =
        settled.iter().map(|s| s.as_ref().map(|s| s.node)).collect();
    improve_choice(&table, &root_classes, &mut choice);
    Ok(choice
        .into_iter()
        .enumerate()
        .filter_map(|(c, n)| n.map(|n| (table.ids[c], table.nodes[c][n].clone())))
        .collect())
}

/// Runs [`improve`] on the greedy `choice` when the chosen graph is small enough for it.
fn improve_choice(table: &Table, roots: &[usize], choice: &mut [Option<usize>]) {
    let mut seen = vec![false; choice.len()];
    let mut todo = roots.to_vec();
    let mut size = 0;
    while let Some(c) = todo.pop() {
        if std::mem::replace(&mut seen[c], true) {
            continue;
        }
        size += 1;
        if size > MAX_CLASSES {
            return;
        }
        if let Some(n) = choice[c] {
            todo.extend(table.kids[c][n].iter().copied());
        }
    }
    // Own costs are computed on demand: the e-graph may be far larger than what is chosen.
    let cache: RefCell<HashMap<(usize, usize), Option<f64>>> = RefCell::default();
    let own = |c: usize, n: usize| {
        *cache
            .borrow_mut()
            .entry((c, n))
            .or_insert_with(|| own_cost(table.egraph, table.ids[c], &table.nodes[c][n]))
    };
    improve(&Problem { own: &own, kids: &table.kids, roots }, choice);
}
