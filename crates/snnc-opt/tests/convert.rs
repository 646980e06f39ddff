//! IR → e-graph → IR: multi-output ops regroup, names survive, and deep graphs convert without
//! recursion.

mod common;

use common::*;
use egg::Id;
use snnc_ir::{DType, Graph, Op, TensorType};
use snnc_opt::convert::{from_ir::load, to_ir::build};
use snnc_opt::extract::dag::extract;
use snnc_opt::{optimize, OptOptions};

fn round_trip(g: &Graph) -> Graph {
    let l = load(g).unwrap();
    let choice = extract(&l.egraph, &l.roots).unwrap();
    let out = build(&l.egraph, &choice, &l.roots, g).unwrap();
    snnc_ir::verify(&out).unwrap();
    out
}

#[test]
fn multi_output_ops_come_back_as_one_node() {
    for name in ["custom_recurrent_fti", "custom_steps_rec", "ff_t8"] {
        let g = fixture(name);
        let out = round_trip(&g);
        assert_eq!(out.op_histogram(), g.op_histogram(), "{name}");
        let names =
            |g: &Graph| g.outputs().iter().map(|&o| g.value(o).name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&out), names(&g));
        assert_eq!(out.inputs().len(), g.inputs().len());
    }
}

#[test]
fn an_output_that_is_an_input_keeps_its_name() {
    let g = graph("graph t {\n input x: f32[2]\n y = Identity(x)\n output y, x\n}");
    let o = optimize(&g, &OptOptions::default()).unwrap();
    let names: Vec<_> = o.graph.outputs().iter().map(|&v| o.graph.value(v).name.clone()).collect();
    assert_eq!(names, ["y", "x"]);
}

#[test]
fn twenty_thousand_nodes_convert_and_extract_without_recursion() {
    let mut g = Graph::new("deep");
    let mut v = g.add_input("x", TensorType::new(DType::F32, vec![4])).unwrap();
    for i in 0..20_000 {
        let op = if i % 2 == 0 { Op::Relu } else { Op::Tanh };
        v = g.add_node("", op, vec![Some(v)], &[Some(&format!("v{i}"))]).unwrap()[0].unwrap();
    }
    g.add_output(v).unwrap();
    let out = round_trip(&g);
    assert_eq!(out.nodes().len(), 20_000);
    let l = load(&g).unwrap();
    assert!(l.egraph.number_of_classes() > 20_000);
    let _: Id = l.roots[0];
}
