//! Builders for small ONNX models encoded with prost, written into fresh temp folders.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use prost::Message;
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::{DataLocation, DataType};
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
use tract_onnx::pb::{
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto,
    StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

/// A fresh, empty folder under the system temp dir, unique to this process and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("snnc-onnx-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A dimension: `Ok(n)` fixed, `Err(name)` symbolic.
pub type D = Result<i64, &'static str>;

pub fn value_info(name: &str, elem: DataType, dims: &[D]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            denotation: String::new(),
            value: Some(match d {
                Ok(n) => dimension::Value::DimValue(*n),
                Err(p) => dimension::Value::DimParam(p.to_string()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            denotation: String::new(),
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: elem as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
        ..Default::default()
    }
}

/// A float32 input with fixed dims.
pub fn f32_input(name: &str, dims: &[i64]) -> ValueInfoProto {
    let dims: Vec<D> = dims.iter().map(|&d| Ok(d)).collect();
    value_info(name, DataType::Float, &dims)
}

/// An output declaration (type left empty, as many exporters do for intermediates).
pub fn output(name: &str) -> ValueInfoProto {
    ValueInfoProto { name: name.into(), ..Default::default() }
}

pub fn f32_tensor(name: &str, dims: &[i64], data: &[f32]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: data.to_vec(),
        ..Default::default()
    }
}

pub fn i64_tensor(name: &str, dims: &[i64], data: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Int64 as i32,
        int64_data: data.to_vec(),
        ..Default::default()
    }
}

/// A float32 tensor stored externally at `location` (`offset`, `length` entries when given).
pub fn external_f32(
    name: &str,
    dims: &[i64],
    location: &str,
    offset: Option<usize>,
) -> TensorProto {
    let mut entries = vec![("location", location.to_string())];
    if let Some(o) = offset {
        entries.push(("offset", o.to_string()));
    }
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        data_location: Some(DataLocation::External as i32),
        external_data: entries
            .into_iter()
            .map(|(k, v)| StringStringEntryProto { key: k.into(), value: v })
            .collect(),
        ..Default::default()
    }
}

pub fn node(op: &str, domain: &str, name: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        domain: domain.into(),
        name: name.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

pub fn with_attrs(mut n: NodeProto, attrs: Vec<AttributeProto>) -> NodeProto {
    n.attribute = attrs;
    n
}

pub fn attr_f(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Float as i32,
        f,
        ..Default::default()
    }
}

pub fn attr_fs(name: &str, floats: &[f32]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Floats as i32,
        floats: floats.to_vec(),
        ..Default::default()
    }
}

pub fn attr_i(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

pub fn attr_ints(name: &str, ints: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: ints.to_vec(),
        ..Default::default()
    }
}

pub fn attr_s(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::String as i32,
        s: s.as_bytes().to_vec(),
        ..Default::default()
    }
}

pub fn attr_t(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::Tensor as i32,
        t: Some(t),
        ..Default::default()
    }
}

/// A graph with the given parts.
pub fn graph(
    nodes: Vec<NodeProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
    initializers: Vec<TensorProto>,
) -> GraphProto {
    GraphProto {
        name: "test".into(),
        node: nodes,
        input: inputs,
        output: outputs,
        initializer: initializers,
        ..Default::default()
    }
}

/// A model importing the default domain at `opset` and `snn` version 1.
pub fn model(g: GraphProto, opset: i64) -> ModelProto {
    ModelProto {
        ir_version: 8,
        opset_import: vec![
            OperatorSetIdProto { domain: String::new(), version: opset },
            OperatorSetIdProto { domain: "snn".into(), version: 1 },
        ],
        graph: Some(g),
        ..Default::default()
    }
}

/// Encodes `m` to `dir/model.onnx` and returns the path.
pub fn write(dir: &Path, m: &ModelProto) -> PathBuf {
    let path = dir.join("model.onnx");
    std::fs::write(&path, m.encode_to_vec()).expect("write model");
    path
}

/// Little-endian bytes of `data`.
pub fn f32_bytes(data: &[f32]) -> Vec<u8> {
    data.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// `x [2,3] → snn.IAF(attrs) → z` in a fresh folder, as a sequence [T=2, B=1, N=3].
pub fn iaf_model(dir_name: &str, attrs: Vec<AttributeProto>) -> PathBuf {
    let dir = temp_dir(dir_name);
    let n = with_attrs(node("IAF", "snn", "iaf", &["x"], &["z"]), attrs);
    let g = graph(vec![n], vec![f32_input("x", &[2, 1, 3])], vec![output("z")], vec![]);
    write(&dir, &model(g, 18))
}
