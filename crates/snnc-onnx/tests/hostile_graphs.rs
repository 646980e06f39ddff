//! Hostile or unusual graphs: unsupported ops, cycles, dangling inputs, bad `snn` attributes,
//! unbound or absurd dimensions, bad element types and data sizes, bad opsets.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::*;
use snnc_ir::DType;
use snnc_onnx::{input_signature, load_onnx, ImportOptions, OnnxError};
use tract_onnx::pb::tensor_proto::DataType;

fn load(p: &Path) -> Result<snnc_ir::Graph, OnnxError> {
    load_onnx(p, &ImportOptions::default())
}

fn err(p: &Path) -> (OnnxError, String) {
    let e = load(p).expect_err("import must fail");
    let msg = e.to_string();
    assert!(msg.contains(&p.display().to_string()), "message does not name the file: {msg}");
    (e, msg)
}

#[test]
fn all_unsupported_ops_are_reported_in_one_error() {
    let dir = temp_dir("unsupported");
    let nodes = vec![
        node("Relu", "", "ok", &["x"], &["a"]),
        node("LSTM", "", "foo", &["a"], &["b"]),
        node("Baz", "com.x", "bar", &["b"], &["c"]),
    ];
    let g = graph(nodes, vec![f32_input("x", &[2, 3])], vec![output("c")], vec![]);
    let (e, msg) = err(&write(&dir, &model(g, 18)));
    assert!(matches!(&e, OnnxError::Unsupported { nodes, .. } if nodes.len() == 2), "{msg}");
    assert!(msg.contains("2 unsupported ops"), "{msg}");
    assert!(msg.contains("node 'foo' (LSTM)") && msg.contains("node 'bar' (com.x:Baz)"), "{msg}");
}

#[test]
fn a_cycle_is_reported_naming_a_node_on_it() {
    let dir = temp_dir("cycle");
    let nodes = vec![
        node("Relu", "", "pre", &["x"], &["p"]),
        node("Add", "", "c1", &["p", "b"], &["a"]),
        node("Relu", "", "c2", &["a"], &["b"]),
        node("Relu", "", "post", &["b"], &["y"]),
    ];
    let g = graph(nodes, vec![f32_input("x", &[2])], vec![output("y")], vec![]);
    let (e, msg) = err(&write(&dir, &model(g, 18)));
    let OnnxError::Node { node, .. } = &e else { panic!("{msg}") };
    assert!(node == "c1" || node == "c2", "{msg}");
    assert!(msg.contains("cycle"), "{msg}");
}

#[test]
fn a_dangling_input_is_reported_with_node_and_value() {
    let dir = temp_dir("dangling");
    let n = node("Add", "", "adder", &["x", "ghost"], &["y"]);
    let g = graph(vec![n], vec![f32_input("x", &[2])], vec![output("y")], vec![]);
    let (_, msg) = err(&write(&dir, &model(g, 18)));
    assert!(msg.contains("node 'adder' (Add)") && msg.contains("'ghost'"), "{msg}");
}

#[test]
fn unknown_snn_attribute_values_and_names_are_errors() {
    let cases = [
        ("method-foo", attr_s("method", "foo"), "'foo'"),
        ("order-bar", attr_s("order", "bar"), "'bar'"),
        ("name-tau", attr_f("tau_mem", 0.5), "unknown attribute 'tau_mem'"),
        ("vout-baz", attr_s("v_out", "baz"), "'baz'"),
        ("alpha-neg", attr_f("alpha", -1.0), "alpha"),
        ("vth-string", attr_s("v_th", "1"), "'v_th' must be a float or a list of floats"),
    ];
    for (name, attr, needle) in cases {
        let p = iaf_model(name, vec![attr]);
        let (_, msg) = err(&p);
        assert!(msg.contains("node 'iaf' (snn:IAF)") && msg.contains(needle), "{name}: {msg}");
    }
}

#[test]
fn v_th_of_wrong_length_is_an_error() {
    let p = iaf_model("vth-len", vec![attr_fs("v_th", &[1.0, 2.0])]);
    let (_, msg) = err(&p);
    assert!(msg.contains("node 'iaf' (snn:IAF)") && msg.contains("v_th has 2 values"), "{msg}");
}

#[test]
fn symbolic_dims_need_a_binding() {
    let dir = temp_dir("symbolic");
    let x = value_info("x", DataType::Float, &[Err("T"), Ok(2), Err("N")]);
    let g = graph(vec![node("Relu", "", "r", &["x"], &["y"])], vec![x], vec![output("y")], vec![]);
    let p = write(&dir, &model(g, 18));
    let (_, msg) = err(&p);
    assert!(msg.contains("graph input 'x'") && msg.contains("'T'"), "{msg}");
    let sig = input_signature(&p).expect("signature");
    assert_eq!(sig, vec![("x".to_string(), vec![None, Some(2), None], DType::F32)]);
    let opts = ImportOptions {
        dims: HashMap::from([("T".to_string(), 7), ("N".to_string(), 3)]),
        ..Default::default()
    };
    let g = load_onnx(&p, &opts).expect("bound");
    assert_eq!(g.ty(g.inputs()[0]).shape, [7, 2, 3]);
    let opts = ImportOptions {
        input_shapes: HashMap::from([("x".to_string(), vec![5, 9, 4])]),
        ..Default::default()
    };
    let g = load_onnx(&p, &opts).expect("bound from the array shape");
    assert_eq!(g.ty(g.inputs()[0]).shape, [5, 2, 4], "fixed dims stay as declared");
    let opts = ImportOptions {
        dims: HashMap::from([("T".to_string(), 1 << 40), ("N".to_string(), 1 << 40)]),
        ..Default::default()
    };
    let msg = load_onnx(&p, &opts).expect_err("absurd").to_string();
    assert!(msg.contains("graph input 'x'") && msg.contains("exceeds"), "{msg}");
}

#[test]
fn zero_negative_and_absurd_dims_are_refused() {
    for (name, dims, needle) in [
        ("dim-zero", vec![Ok(0), Ok(3)], "positive"),
        ("dim-neg", vec![Ok(-4), Ok(3)], "positive"),
        ("dim-huge", vec![Ok(1 << 40), Ok(1 << 40)], "exceeds"),
    ] {
        let dir = temp_dir(name);
        let x = value_info("x", DataType::Float, &dims);
        let g =
            graph(vec![node("Relu", "", "r", &["x"], &["y"])], vec![x], vec![output("y")], vec![]);
        let (_, msg) = err(&write(&dir, &model(g, 18)));
        assert!(msg.contains("graph input 'x'") && msg.contains(needle), "{name}: {msg}");
    }
}

#[test]
fn unsupported_element_types_are_refused() {
    let dir = temp_dir("f16");
    let mut w = f32_tensor("w", &[2], &[]);
    w.data_type = DataType::Float16 as i32;
    w.int32_data = vec![0, 0];
    let g = graph(
        vec![node("Add", "", "a", &["x", "w"], &["y"])],
        vec![f32_input("x", &[2])],
        vec![output("y")],
        vec![w],
    );
    let (_, msg) = err(&write(&dir, &model(g, 18)));
    assert!(msg.contains("initializer 'w'") && msg.contains("FLOAT16"), "{msg}");
    let x = value_info("x", DataType::Uint8, &[Ok(2)]);
    let g = graph(vec![node("Relu", "", "r", &["x"], &["y"])], vec![x], vec![output("y")], vec![]);
    let (_, msg) = err(&write(&dir, &model(g, 18)));
    assert!(msg.contains("graph input 'x'") && msg.contains("UINT8"), "{msg}");
}

#[test]
fn wrong_data_sizes_are_refused() {
    let dir = temp_dir("sizes");
    let mut w = f32_tensor("w", &[2, 3], &[]);
    w.raw_data = vec![0; 20];
    let g = graph(vec![], vec![f32_input("x", &[2])], vec![output("x")], vec![w]);
    let (_, msg) = err(&write(&dir, &model(g, 18)));
    assert!(msg.contains("initializer 'w'") && msg.contains("raw_data has 20 bytes"), "{msg}");
    let w = f32_tensor("w", &[2, 3], &[1.0; 5]);
    let g = graph(vec![], vec![f32_input("x", &[2])], vec![output("x")], vec![w]);
    let (_, msg) = err(&write(&dir, &model(g, 18)));
    assert!(msg.contains("initializer 'w'") && msg.contains("float_data has 5 values"), "{msg}");
}

#[test]
fn opsets_outside_13_to_20_and_snn_other_than_1_are_refused() {
    let dir = temp_dir("opsets");
    let mk = || {
        graph(
            vec![node("Relu", "", "r", &["x"], &["y"])],
            vec![f32_input("x", &[2])],
            vec![output("y")],
            vec![],
        )
    };
    for v in [12, 21] {
        let (_, msg) = err(&write(&dir, &model(mk(), v)));
        assert!(msg.contains(&format!("opset {v}")), "{msg}");
    }
    let mut m = model(mk(), 18);
    m.opset_import[1].version = 2;
    let (_, msg) = err(&write(&dir, &m));
    assert!(msg.contains("'snn' version 2"), "{msg}");
    let mut m = model(mk(), 18);
    m.opset_import[0].domain = "ai.onnx".into();
    load(&write(&dir, &m)).expect("ai.onnx is the default domain");
}

#[test]
fn ir_errors_name_the_file_and_node() {
    let dir = temp_dir("ir-error");
    let n = node("Add", "", "bad_add", &["x", "w"], &["y"]);
    let g = graph(
        vec![n],
        vec![f32_input("x", &[2, 3])],
        vec![output("y")],
        vec![f32_tensor("w", &[4], &[0.0; 4])],
    );
    let (e, msg) = err(&write(&dir, &model(g, 18)));
    assert!(matches!(e, OnnxError::Node { .. }), "{msg}");
    assert!(msg.contains("node 'bad_add' (Add)") && msg.contains("broadcast"), "{msg}");
}

#[test]
fn a_runtime_axes_input_is_an_error() {
    let dir = temp_dir("runtime-axes");
    let n = node("Unsqueeze", "", "u", &["x", "axes"], &["y"]);
    let axes = value_info("axes", DataType::Int64, &[Ok(1)]);
    let g = graph(vec![n], vec![f32_input("x", &[2]), axes], vec![output("y")], vec![]);
    let (_, msg) = err(&write(&dir, &model(g, 18)));
    assert!(msg.contains("node 'u' (Unsqueeze)") && msg.contains("must be a constant"), "{msg}");
}

#[test]
fn an_output_nobody_produces_is_an_error() {
    let dir = temp_dir("no-producer");
    let g = graph(vec![], vec![f32_input("x", &[2])], vec![output("nothing")], vec![]);
    let (_, msg) = err(&write(&dir, &model(g, 18)));
    assert!(msg.contains("'nothing'"), "{msg}");
}
