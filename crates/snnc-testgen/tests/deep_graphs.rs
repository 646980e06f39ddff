//! Limits: a 100 000-node chain imports (ONNX and text IR), optimizes within its bounds,
//! compiles and runs on both engines with the same result, without deep recursion (test
//! threads have small stacks, so recursion over the chain would overflow here first).

use std::time::Duration;

use prost::Message;
use snnc_ir::{Graph, Tensor};
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
use tract_onnx::pb::{
    type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

const N: usize = 100_000;

/// Op of chain link `i`: `Tanh`, `Neg`, `Add(c)` in turn (bounded values, no cancellation the
/// optimizer could collapse the whole chain with).
fn link(i: usize) -> &'static str {
    ["Tanh", "Neg", "Add"][i % 3]
}

fn text_chain() -> String {
    let mut s = String::from("graph deep {\n  input v0: f32[2,3]\n  weight c: f32[] = 0.25\n");
    for i in 1..=N {
        let args = if link(i) == "Add" { format!("v{}, c", i - 1) } else { format!("v{}", i - 1) };
        s.push_str(&format!("  v{i} = {}({args})\n", link(i)));
    }
    s.push_str(&format!("  output v{N}\n}}\n"));
    s
}

fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|&d| Dimension {
            denotation: String::new(),
            value: Some(dimension::Value::DimValue(d)),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            denotation: String::new(),
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
        ..Default::default()
    }
}

fn onnx_chain() -> Vec<u8> {
    let nodes = (1..=N)
        .map(|i| {
            let mut input = vec![format!("v{}", i - 1)];
            if link(i) == "Add" {
                input.push("c".into());
            }
            NodeProto {
                op_type: link(i).into(),
                name: format!("n{i}"),
                input,
                output: vec![format!("v{i}")],
                ..Default::default()
            }
        })
        .collect();
    let c = TensorProto {
        name: "c".into(),
        data_type: DataType::Float as i32,
        float_data: vec![0.25],
        ..Default::default()
    };
    let g = GraphProto {
        name: "deep".into(),
        node: nodes,
        input: vec![value_info("v0", &[2, 3])],
        output: vec![value_info(&format!("v{N}"), &[2, 3])],
        initializer: vec![c],
        ..Default::default()
    };
    let m = ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 18 }],
        graph: Some(g),
        ..Default::default()
    };
    m.encode_to_vec()
}

fn input() -> Vec<(String, Tensor)> {
    let x = ndarray::ArrayD::from_shape_vec(
        ndarray::IxDyn(&[2, 3]),
        vec![-1.5f32, -0.2, 0.0, 0.3, 0.9, 2.0],
    )
    .unwrap();
    vec![("v0".to_string(), Tensor::F32(x))]
}

fn run_everywhere(g: &Graph) -> Vec<f64> {
    snnc_ir::verify(g).expect("verifies");
    let want = snnc_interp::run(g, &input()).expect("interpreter")[0].1.to_f64();
    let opts = snnc_plan::CompileOptions::default();
    let plan = snnc_plan::compile(g, &opts).expect("compiles");
    let plan = snnc_plan::Plan::from_bytes(&plan.to_bytes(), "deep.plan".as_ref()).expect("loads");
    let got = snnc_cpu::run(&plan, &input()).expect("cpu engine")[0].1.to_f64();
    for (a, b) in got.iter().zip(want.iter()) {
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "cpu {a} vs interpreter {b}");
    }
    want.iter().copied().collect()
}

#[test]
fn a_100000_node_chain_imports_optimizes_compiles_and_runs() {
    let from_text = snnc_text::parse_str(&text_chain(), None, "deep.snn").expect("text IR");
    assert_eq!(from_text.nodes().len(), N);
    let dir = std::env::temp_dir().join(format!("snnc-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("deep.onnx");
    std::fs::write(&path, onnx_chain()).unwrap();
    let from_onnx = snnc_onnx::load_onnx(&path, &Default::default()).expect("ONNX");
    assert_eq!(from_onnx.nodes().len(), N);
    let a = run_everywhere(&from_text);
    let b = run_everywhere(&from_onnx);
    assert_eq!(a, b, "both frontends build the same computation");
    let opts = snnc_opt::OptOptions { time_limit: Duration::from_secs(20), ..Default::default() };
    let opt = snnc_opt::optimize(&from_onnx, &opts).expect("optimizer stays within its bounds");
    let c = run_everywhere(&opt.graph);
    for (x, y) in c.iter().zip(&a) {
        assert!((x - y).abs() <= 1e-5 * y.abs().max(1.0), "optimized {x} vs {y}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
