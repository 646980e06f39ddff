//! Conversions of well-formed graphs: ordering, naming, optional slots, `snn` attributes,
//! static inputs, constants and graph outputs.

mod common;

use std::path::Path;

use common::*;
use snnc_ir::{DType, Op, Order};
use snnc_onnx::{load_onnx, ImportOptions, OnnxError};
use tract_onnx::pb::tensor_proto::DataType;

fn load(p: &Path) -> Result<snnc_ir::Graph, OnnxError> {
    load_onnx(p, &ImportOptions::default())
}

fn ok(p: &Path) -> snnc_ir::Graph {
    let g = load(p).unwrap_or_else(|e| panic!("{e}"));
    snnc_ir::verify(&g).unwrap_or_else(|e| panic!("verify: {e}"));
    g
}

#[test]
fn nodes_out_of_order_are_sorted() {
    let dir = temp_dir("unsorted");
    let nodes =
        vec![node("Relu", "", "second", &["a"], &["y"]), node("Neg", "", "first", &["x"], &["a"])];
    let g = graph(nodes, vec![f32_input("x", &[2])], vec![output("y")], vec![]);
    let g = ok(&write(&dir, &model(g, 18)));
    let names: Vec<&str> = g.nodes().iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["first", "second"]);
}

#[test]
fn snn_defaults_and_given_attributes() {
    let g = ok(&iaf_model("snn-defaults", vec![]));
    let p = g.nodes()[0].op.iaf_params().expect("IAF").clone();
    assert_eq!(p, snnc_ir::IafParams::default());
    let attrs = vec![
        attr_fs("v_th", &[0.5, 0.6, 0.7]),
        attr_f("v_reset", -0.25),
        attr_s("method", "circ"),
        attr_f("alpha", 2.5),
        attr_s("order", "integrate_then_fire"),
    ];
    let g = ok(&iaf_model("snn-given", attrs));
    let p = g.nodes()[0].op.iaf_params().expect("IAF").clone();
    assert_eq!((p.v_th, p.v_reset), (vec![0.5, 0.6, 0.7], vec![-0.25]));
    assert_eq!(p.surrogate.to_string(), "circ:2.5");
    assert_eq!(p.order, Order::IntegrateThenFire);
}

#[test]
fn leaky_attributes_and_names() {
    let attrs = vec![
        attr_fs("alpha_syn", &[0.5, 0.25, 0.0]),
        attr_f("beta", 0.9),
        attr_f("gamma", 0.1),
        attr_f("v_leak", -0.5),
        attr_s("order", "integrate_then_fire"),
        attr_s("v_out", "before_reset"),
    ];
    let g = ok(&iaf_model("snn-leaky", attrs));
    let p = g.nodes()[0].op.iaf_params().expect("IAF").clone();
    assert_eq!(p.leak.alpha, vec![0.5, 0.25, 0.0]);
    assert_eq!((p.leak.beta[0], p.leak.gamma[0], p.leak.v_leak[0]), (0.9, 0.1, -0.5));
    assert_eq!(p.v_out, snnc_ir::VOut::BeforeReset);
    assert!(p.leak.has_current());
    for (op, attrs, want_li) in
        [("LIF", vec![attr_f("beta", 0.5)], false), ("LI", vec![attr_f("beta", 0.5)], true)]
    {
        let dir = temp_dir(&format!("snn-{op}"));
        let n = with_attrs(node(op, "snn", "cell", &["x"], &["z"]), attrs);
        let gr = graph(vec![n], vec![f32_input("x", &[2, 1, 3])], vec![output("z")], vec![]);
        let g = ok(&write(&dir, &model(gr, 18)));
        let p = g.nodes()[0].op.iaf_params().expect(op).clone();
        assert_eq!(p.leak.beta, vec![0.5]);
        assert_eq!(p.family.is_integrator(), want_li, "{op}");
    }
    // LI has no threshold; v_out = before_reset needs integrate_then_fire.
    let dir = temp_dir("snn-li-th");
    let n = with_attrs(node("LI", "snn", "li", &["x"], &["z"]), vec![attr_f("v_th", 0.5)]);
    let gr = graph(vec![n], vec![f32_input("x", &[2, 1, 3])], vec![output("z")], vec![]);
    let e = load(&write(&dir, &model(gr, 18))).unwrap_err().to_string();
    assert!(e.contains("'v_th' does not apply") && e.contains("li"), "{e}");
    let e = load(&iaf_model("snn-vout", vec![attr_s("v_out", "before_reset")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("before_reset needs order"), "{e}");
}

#[test]
fn omitted_optional_inputs_and_outputs_are_none() {
    let dir = temp_dir("optional");
    let n = node("IAFRecurrent", "snn", "rec", &["x", "w", "r", "", "z0"], &["z", "", "zt"]);
    let inits = vec![f32_tensor("w", &[4, 3], &[0.1; 12]), f32_tensor("r", &[4, 4], &[0.0; 16])];
    let inputs = vec![f32_input("x", &[5, 2, 3]), f32_input("z0", &[2, 4])];
    let g = graph(vec![n], inputs, vec![output("z"), output("zt")], inits);
    let g = ok(&write(&dir, &model(g, 18)));
    let n = &g.nodes()[0];
    assert!(n.input(3).is_none() && n.input(4).is_some());
    assert!(n.output(1).is_none() && n.output(2).is_some());
}

#[test]
fn unnamed_nodes_get_op_type_and_index() {
    let dir = temp_dir("unnamed");
    let nodes = vec![node("Neg", "", "", &["x"], &["a"]), node("Relu", "", "", &["a"], &["y"])];
    let g = graph(nodes, vec![f32_input("x", &[2])], vec![output("y")], vec![]);
    let g = ok(&write(&dir, &model(g, 18)));
    let names: Vec<&str> = g.nodes().iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["Neg_0", "Relu_1"]);
}

#[test]
fn static_inputs_come_from_constants_and_constant_nodes_are_folded() {
    let dir = temp_dir("static");
    let axes = with_attrs(
        node("Constant", "", "axes_c", &[], &["axes"]),
        vec![attr_ints("value_ints", &[0])],
    );
    let nodes = vec![
        axes,
        node("Unsqueeze", "", "u", &["x", "axes"], &["a"]),
        node("Reshape", "", "r", &["a", "shape"], &["b"]),
        with_attrs(node("Transpose", "", "t", &["b"], &["c"]), vec![attr_ints("perm", &[1, 0])]),
        node("Squeeze", "", "s", &["c"], &["y"]),
    ];
    let inits = vec![i64_tensor("shape", &[2], &[3, -1])];
    let g = graph(nodes, vec![f32_input("x", &[2, 3])], vec![output("y")], inits);
    let g = ok(&write(&dir, &model(g, 18)));
    assert!(g.find_node("axes_c").is_none());
    assert_eq!(g.find_node("u").expect("u").op, Op::Unsqueeze { axes: vec![0] });
    assert_eq!(g.find_node("r").expect("r").op, Op::Reshape { shape: vec![3, -1] });
    assert_eq!(g.ty(g.outputs()[0]).shape, [2, 3]);
}

#[test]
fn constants_casts_gemm_and_graph_outputs_that_are_inputs() {
    let dir = temp_dir("misc");
    let c = with_attrs(
        node("Constant", "", "c", &[], &["one"]),
        vec![attr_t("value", f32_tensor("", &[], &[1.0]))],
    );
    let gemm = with_attrs(
        node("Gemm", "", "g", &["x", "w", "one"], &["h"]),
        vec![attr_f("alpha", 0.5), attr_i("transB", 1)],
    );
    let cast = with_attrs(node("Cast", "", "to_int", &["h"], &["hi"]), vec![attr_i("to", 6)]);
    let nodes = vec![c, gemm, cast];
    let inits = vec![f32_tensor("w", &[4, 3], &[0.5; 12])];
    let outs = vec![output("hi"), output("x"), output("w")];
    let g = graph(nodes, vec![f32_input("x", &[2, 3])], outs, inits);
    let g = ok(&write(&dir, &model(g, 18)));
    assert_eq!(g.op_histogram().get("Constant"), Some(&1));
    assert_eq!(g.ty(g.outputs()[0]), &snnc_ir::TensorType::new(DType::I64, vec![2, 4]));
    let names: Vec<&str> = g.outputs().iter().map(|&o| g.value(o).name.as_str()).collect();
    assert_eq!(names, ["hi", "x", "w"]);
}

/// `Where(cond, x, y)` imports as Op::Where with numpy broadcasting over all three inputs (a
/// comparison's bool[2,3], a bool[2,1] graph input, an f32[3] and a scalar branch); a condition
/// that is not bool is refused, naming the node.
#[test]
fn where_imports_with_broadcasting_and_a_bool_condition() {
    let dir = temp_dir("where");
    let nodes = vec![
        node("Greater", "", "gt", &["x", "half"], &["c"]),
        node("Where", "", "w1", &["c", "r", "zero"], &["y1"]),
        node("Where", "", "w2", &["m", "y1", "x"], &["y2"]),
    ];
    let inputs = vec![f32_input("x", &[2, 3]), value_info("m", DataType::Bool, &[Ok(2), Ok(1)])];
    let inits = vec![
        f32_tensor("half", &[], &[0.5]),
        f32_tensor("zero", &[], &[0.0]),
        f32_tensor("r", &[3], &[1.0, 2.0, 3.0]),
    ];
    let g = graph(nodes, inputs, vec![output("y1"), output("y2")], inits);
    let g = ok(&write(&dir, &model(g, 18)));
    assert_eq!(g.op_histogram().get("Where"), Some(&2));
    assert!(g.nodes().iter().filter(|n| n.name.starts_with('w')).all(|n| n.op == Op::Where));
    for &o in g.outputs() {
        assert_eq!(g.ty(o), &snnc_ir::TensorType::new(DType::F32, vec![2, 3]));
    }
    let bad = vec![node("Where", "", "not_bool", &["x", "x", "x"], &["y"])];
    let g = graph(bad, vec![f32_input("x", &[2, 3])], vec![output("y")], vec![]);
    let e = load(&write(&dir, &model(g, 18))).unwrap_err().to_string();
    assert!(e.contains("not_bool") && e.contains("bool"), "{e}");
}
