//! Conv, AveragePool, MaxPool, Flatten and `Pow(x, 1)`: attributes mapped to the IR, and
//! unsupported attributes refused with the node named.

mod common;

use common::*;
use snnc_ir::{ConvSpec, Op, PoolKind, PoolSpec};
use snnc_onnx::{load_onnx, ImportOptions};
use tract_onnx::pb::{AttributeProto, NodeProto};

/// x [2,4,9,9] → `n` (with weight w [6,2,3,3], bias b [6], exponent e = 1.0 and e2 = 2.0
/// available) → y.
fn import(dir: &str, n: NodeProto) -> Result<snnc_ir::Graph, String> {
    let d = temp_dir(dir);
    let inits = vec![
        f32_tensor("w", &[6, 2, 3, 3], &[0.5; 108]),
        f32_tensor("b", &[6], &[0.25; 6]),
        f32_tensor("e", &[], &[1.0]),
        f32_tensor("e2", &[], &[2.0]),
    ];
    let g = graph(vec![n], vec![f32_input("x", &[2, 4, 9, 9])], vec![output("y")], inits);
    load_onnx(&write(&d, &model(g, 18)), &ImportOptions::default()).map_err(|e| e.to_string())
}

fn op(dir: &str, n: NodeProto) -> (Op, Vec<usize>) {
    let g = import(dir, n).unwrap_or_else(|e| panic!("{e}"));
    snnc_ir::verify(&g).unwrap();
    let y = g.outputs()[0];
    (g.nodes()[0].op.clone(), g.ty(y).shape.clone())
}

fn conv(attrs: Vec<AttributeProto>) -> NodeProto {
    with_attrs(node("Conv", "", "c1", &["x", "w", "b"], &["y"]), attrs)
}

fn pool(kind: &str, attrs: Vec<AttributeProto>) -> NodeProto {
    with_attrs(node(kind, "", "p1", &["x"], &["y"]), attrs)
}

#[test]
fn conv_attributes() {
    let attrs = vec![
        attr_ints("kernel_shape", &[3, 3]),
        attr_ints("strides", &[2, 1]),
        attr_ints("pads", &[1, 0, 1, 2]),
        attr_ints("dilations", &[1, 2]),
        attr_i("group", 2),
        attr_s("auto_pad", "NOTSET"),
    ];
    let (o, shape) = op("conv-attrs", conv(attrs));
    let spec =
        ConvSpec { strides: vec![2, 1], pads: vec![1, 0, 1, 2], dilations: vec![1, 2], group: 2 };
    assert_eq!(o, Op::Conv(spec));
    assert_eq!(shape, vec![2, 6, 5, 7]);
}

#[test]
fn pools_and_flatten() {
    let attrs = vec![
        attr_ints("kernel_shape", &[2, 2]),
        attr_ints("strides", &[2, 2]),
        attr_i("count_include_pad", 1),
        attr_i("ceil_mode", 0),
    ];
    let (o, shape) = op("avg", pool("AveragePool", attrs));
    let spec = PoolSpec {
        kind: PoolKind::Avg { count_include_pad: true },
        kernel: vec![2, 2],
        strides: vec![2, 2],
        pads: vec![],
    };
    assert_eq!((o, shape), (Op::Pool(spec), vec![2, 4, 4, 4]));
    let (o, shape) = op("max", pool("MaxPool", vec![attr_ints("kernel_shape", &[3, 3])]));
    assert_eq!(o.name(), "MaxPool");
    assert_eq!(shape, vec![2, 4, 7, 7]);
    let (o, shape) = op("flatten", node("Flatten", "", "f", &["x"], &["y"]));
    assert_eq!((o, shape), (Op::Reshape { shape: vec![2, 324] }, vec![2, 324]));
    let f = with_attrs(node("Flatten", "", "f", &["x"], &["y"]), vec![attr_i("axis", -1)]);
    assert_eq!(op("flatten-1", f).1, vec![72, 9]);
    let (o, _) = op("pow", node("Pow", "", "pw", &["x", "e"], &["y"]));
    assert_eq!(o, Op::Identity);
}

#[test]
fn unsupported_attributes_name_the_node() {
    let cases = [
        (conv(vec![attr_s("auto_pad", "SAME_UPPER")]), "c1", "auto_pad = SAME_UPPER"),
        (conv(vec![attr_ints("kernel_shape", &[5, 5])]), "c1", "kernel_shape [5, 5]"),
        (conv(vec![attr_i("group", 0)]), "c1", "'group' must be at least 1"),
        (
            pool("AveragePool", vec![attr_ints("kernel_shape", &[2, 2]), attr_i("ceil_mode", 1)]),
            "p1",
            "ceil_mode = 1",
        ),
        (
            pool(
                "MaxPool",
                vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("dilations", &[2, 2])],
            ),
            "p1",
            "dilations",
        ),
        (pool("MaxPool", vec![]), "p1", "'kernel_shape' is required"),
        (node("Pow", "", "pw", &["x", "e2"], &["y"]), "pw", "exponent of 1"),
        (
            conv(vec![attr_i("group", 2), attr_ints("pads", &[i64::MAX, 0, i64::MAX, 0])]),
            "c1",
            "overflows",
        ),
        (
            pool("MaxPool", vec![attr_ints("kernel_shape", &[1 << 40, 1 << 40])]),
            "p1",
            "too many taps",
        ),
    ];
    for (i, (n, name, msg)) in cases.into_iter().enumerate() {
        let e = import(&format!("bad-{i}"), n).unwrap_err();
        assert!(e.contains(&format!("'{name}'")) && e.contains(msg), "{e}");
    }
}
