//! The optimizer on the bundled exports: each network re-rolls to a graph whose size does not
//! depend on T, with one GEMM per layer over all T·B rows, and is never worse than the import.

mod common;

use std::collections::BTreeMap;

use common::*;
use snnc_ir::Op;
use snnc_opt::{optimize, OptOptions, Optimized};

fn optimized(name: &str) -> Optimized {
    let o = optimize(&fixture(name), &OptOptions::default()).expect("optimizes");
    assert_eq!(o.fell_back, None, "{name}");
    assert_eq!(o.stop_reason, "saturated", "{name}");
    o
}

fn hist(o: &Optimized) -> BTreeMap<String, usize> {
    o.graph.op_histogram()
}

fn expect(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect()
}

/// The shape of input 0 of every node with op `name`.
fn inputs_of(o: &Optimized, name: &str) -> Vec<Vec<usize>> {
    let g = &o.graph;
    g.nodes()
        .iter()
        .filter(|n| n.op.name() == name)
        .map(|n| g.ty(n.input(0).unwrap()).shape.clone())
        .collect()
}

#[test]
fn feed_forward_exports_reroll_to_one_graph_for_every_t() {
    let mut sizes = Vec::new();
    for t in [8, 16, 32] {
        let o = optimized(&format!("ff_t{t}"));
        assert_eq!(hist(&o), expect(&[("IAF", 2), ("Linear", 1), ("SpikeLinear", 1)]), "T={t}");
        // Each layer's input GEMM runs once over all T·B rows.
        assert_eq!(inputs_of(&o, "Linear"), [vec![t, 2, 6]]);
        assert_eq!(inputs_of(&o, "SpikeLinear"), [vec![t, 2, 12]]);
        assert!(o.cells.iter().all(|c| c.steps == t && c.kind == "IAF"));
        sizes.push(o.graph.nodes().len());
    }
    assert!(sizes.iter().all(|&n| n == sizes[0] && n <= 24), "{sizes:?}");
}

#[test]
fn recurrent_exports_reroll_to_one_graph_for_every_t() {
    let mut sizes = Vec::new();
    for t in [10, 20] {
        let o = optimized(&format!("recurrent_t{t}"));
        // The zero state `zeros_1` [2,10] is an initializer, added twice to the first step's
        // input (v₋₁ and the folded R·z₋₁): V0 = zeros_1 + zeros_1 keeps its gradient.
        let want = expect(&[("Add", 1), ("IAFRecurrent", 1), ("SpikeLinear", 1)]);
        assert_eq!(hist(&o), want, "T={t}");
        assert_eq!(inputs_of(&o, "IAFRecurrent"), [vec![t, 2, 5]]);
        assert_eq!(inputs_of(&o, "SpikeLinear"), [vec![t, 2, 10]]);
        // The e-graph grows with T, not with T² cells: a lone step of the layer seen in its
        // other update order is no chain for a pruned last step to extend (before that guard,
        // T = 20 ended with 14 666 e-nodes over 15 iterations).
        assert!(o.egraph_nodes <= 60 * t, "T={t}: {} e-nodes", o.egraph_nodes);
        sizes.push(o.graph.nodes().len());
    }
    assert_eq!(sizes[0], sizes[1]);
}

#[test]
fn seed_order_exports_reroll_to_one_graph_for_every_t() {
    let mut sizes = Vec::new();
    for t in [8, 16] {
        let o = optimized(&format!("seed_order_t{t}"));
        let h = hist(&o);
        assert_eq!(h["IAF"], 2, "T={t}: {h:?}");
        assert_eq!(h["Linear"], 1, "T={t}: {h:?}");
        // Layer 2 starts at its first whole step, from the exporter's constant plus the input of
        // the folded step (layer 1's first spike through one row of fc2): one Add, at most one
        // row GEMM, independent of T.
        assert!(h.get("Add") <= Some(&1) && h.get("Gemm") <= Some(&1), "T={t}: {h:?}");
        assert!(o.graph.nodes().len() <= 24, "T={t}: {h:?}");
        assert_eq!(inputs_of(&o, "Linear"), [vec![t, 2, 6]]);
        sizes.push(o.graph.nodes().len());
    }
    assert_eq!(sizes[0], sizes[1]);
}

#[test]
fn chains_of_custom_step_ops_are_sequence_ops() {
    let ff = optimized("custom_steps_ff");
    assert_eq!(ff.graph.nodes().iter().filter(|n| matches!(n.op, Op::Iaf(_))).count(), 1);
    assert_eq!(ff.graph.nodes().len(), 2);
    assert_eq!(hist(&optimized("custom_steps_rec")), expect(&[("IAFRecurrent", 1)]));
}

#[test]
fn never_worse_than_the_imported_graph() {
    for name in ["custom_iaf_fti", "custom_iaf_itf_perneuron", "custom_recurrent_fti", "ff_t8"] {
        let o = optimized(name);
        assert!(o.optimized_cost <= o.imported_cost, "{name}");
        snnc_ir::verify(&o.graph).unwrap();
    }
}

#[test]
fn limits_stop_the_rewriting_and_say_which() {
    let g = fixture("ff_t8");
    let o = optimize(&g, &OptOptions { iter_limit: 2, ..OptOptions::default() }).unwrap();
    assert_eq!(o.stop_reason, "iteration limit (2)");
    assert!(o.optimized_cost <= o.imported_cost);
    snnc_ir::verify(&o.graph).unwrap();
    let o = optimize(&g, &OptOptions { node_limit: 300, ..OptOptions::default() }).unwrap();
    assert!(o.stop_reason.starts_with("node limit"), "{}", o.stop_reason);
    snnc_ir::verify(&o.graph).unwrap();
}
