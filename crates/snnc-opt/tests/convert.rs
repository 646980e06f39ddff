//! IR → e-graph → IR: multi-output ops regroup, names survive, and deep graphs convert without
//! recursion.

mod common;

use common::*;
use egg::Id;
use snnc_ir::{DType, Graph, Op, Tensor, TensorType};
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

/// `Where` has no rules of its own: the optimizer carries each one through, broadcasting
/// included, and the optimized graph computes the same values.
#[test]
fn where_is_carried_through_unchanged() {
    let g = graph(
        "graph t {
  input x: f32[2,3]
  input r: f32[3]
  weight half: f32[] = 0.5
  weight zero: f32[] = 0.0
  weight keep: bool[2,1] = [[true], [false]]
  c = Greater(x, half)
  a = Where(c, r, x)
  n = Not(c)
  b = Where(n, a, zero)
  d = Where(keep, b, r)
  output a, d
}",
    );
    let o = optimize(&g, &OptOptions::default()).unwrap().graph;
    assert_eq!(o.op_histogram().get("Where"), Some(&3), "{:?}", o.op_histogram());
    let f = |shape: &[usize], v: &[f32]| Tensor::from_f32_data(DType::F32, shape, v).unwrap();
    let feed = vec![
        ("x".to_string(), f(&[2, 3], &[0.1, 0.7, 0.4, 0.9, 0.2, 0.6])),
        ("r".to_string(), f(&[3], &[-1.0, -2.0, -3.0])),
    ];
    let (want, got) = (snnc_interp::run(&g, &feed).unwrap(), snnc_interp::run(&o, &feed).unwrap());
    assert_eq!(got, want);
    assert_eq!(want[1].1, f(&[2, 3], &[0.1, 0.0, 0.4, -1.0, -2.0, -3.0]));
}

/// Conv and the pools have no rules: the optimizer carries them through unchanged, the IF
/// step behind a Conv still fuses, a max pool of spikes is known to be binary, and the
/// optimized graph computes the same values.
#[test]
fn conv_and_pools_pass_through() {
    let w: Vec<String> = (0..36).map(|i| format!("{}", (i % 7) as f32 * 0.125 - 0.25)).collect();
    let g = graph(&format!(
        "graph t {{
  input x: f32[2,1,6,6]
  weight w: f32[4,1,3,3] = [{}]
  weight one: f32[] = 1.0
  c = Conv(x, w) {{strides = [1, 1], pads = [1, 1, 1, 1], dilations = [1, 1], group = 1}}
  s = Sub(c, one)
  gt = Greater(s, one)
  z = Cast(gt) {{to = \"f32\"}}
  m = MaxPool(z) {{kernel_shape = [2, 2], strides = [2, 2]}}
  a = AveragePool(m) {{kernel_shape = [3, 3], pads = [1, 1, 1, 1], count_include_pad = true}}
  p = SumPool(a) {{kernel_shape = [2, 2]}}
  output p, m
}}",
        w.join(", ")
    ));
    let l = load(&g).unwrap();
    assert!(l.egraph[l.roots[1]].data.is_binary(), "a max pool of spikes is binary");
    let o = optimize(&g, &OptOptions::default()).unwrap();
    let h = o.graph.op_histogram();
    for op in ["Conv", "MaxPool", "AveragePool", "SumPool"] {
        assert_eq!(h.get(op), Some(&1), "{op} in {h:?}");
    }
    // The spike read only by the max pool (a linear map or data movement, no reset) fuses.
    assert_eq!(h.get("SpikeReset"), Some(&1), "the comparison became a fused spike: {h:?}");
    let x: Vec<f64> = (0..72).map(|i| ((i * 37) % 11) as f64 * 0.5 - 1.0).collect();
    let feed = vec![(
        "x".to_string(),
        Tensor::F32(
            ndarray::ArrayD::from_shape_vec(
                vec![2, 1, 6, 6],
                x.iter().map(|&v| v as f32).collect(),
            )
            .unwrap(),
        ),
    )];
    let a = snnc_interp::run(&g, &feed).unwrap();
    let b = snnc_interp::run(&o.graph, &feed).unwrap();
    for ((n, x), (_, y)) in a.iter().zip(&b) {
        assert_eq!(x.to_f64(), y.to_f64(), "{n}");
    }
}
