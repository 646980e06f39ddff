//! The extractor is DAG-aware: a subterm used twice inside one term is paid once.

mod common;

use common::*;
use snnc_opt::convert::{from_ir::load, to_ir::build};
use snnc_opt::extract::dag::extract;

/// p and q are made equal by hand: p uses one big product twice, q two smaller ones once each
/// (distinct inputs, so hash-consing does not merge them).
/// As trees p costs more (its product counted twice); as DAGs p is cheaper, and wins.
const G: &str = "graph t {
  input x: f32[8,10]
  input x6: f32[8,6]
  input w: f32[10,10]
  input w6: f32[6,10]
  input w6b: f32[6,10]
  input w2: f32[10,10]
  s = MatMul(x, w)
  a = Neg(s)
  b = Relu(s)
  p = Add(a, b)
  y = MatMul(x6, w6)
  z = MatMul(x6, w6b)
  c = Neg(y)
  d = Relu(z)
  q = Add(c, d)
  output p, q
}";

#[test]
fn a_shared_subterm_is_paid_once() {
    let mut l = load(&graph(G)).unwrap();
    l.egraph.union(l.roots[0], l.roots[1]);
    l.egraph.rebuild();
    let choice = extract(&l.egraph, &l.roots).unwrap();
    let out = build(&l.egraph, &choice, &l.roots, &graph(G)).unwrap();
    assert_eq!(out.op_histogram()["MatMul"], 1, "the shared product is chosen");
    assert!(out.nodes().iter().any(|n| n
        .inputs
        .iter()
        .flatten()
        .any(|&v| out.value(v).name == "w")));
}

#[test]
fn the_shared_term_loses_when_it_is_not_shared() {
    // The same, but p uses two different big products: now q is cheaper.
    let text = G.replace("b = Relu(s)", "s2 = MatMul(x, w2)\n  b = Relu(s2)");
    let mut l = load(&graph(&text)).unwrap();
    l.egraph.union(l.roots[0], l.roots[1]);
    l.egraph.rebuild();
    let choice = extract(&l.egraph, &l.roots).unwrap();
    let out = build(&l.egraph, &choice, &l.roots, &graph(&text)).unwrap();
    let uses_x6 =
        out.nodes().iter().any(|n| n.inputs.iter().flatten().any(|&v| out.value(v).name == "x6"));
    assert!(uses_x6, "q's smaller products are chosen");
}
