//! The window ops against PyTorch (float64, `torch.nn.functional` with autograd): outputs and
//! the gradients of X, W and the bias, from tests/data/window_torch.npz
//! (models/generate_window_ref.py).

mod common;

use std::path::Path;

use common::*;
use snnc_interp::{grad, GradOptions};
use snnc_ir::{ConvSpec, DType, Graph, Op, PoolKind, PoolSpec, Tensor};

fn data() -> Vec<(String, Tensor)> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/window_torch.npz");
    snnc_arrays::read_npz(&p).expect("window_torch.npz")
}

/// Runs `o` on the case's inputs (`ins`, in op order) and compares the output and every
/// input's gradient with PyTorch's.
fn case(all: &[(String, Tensor)], name: &str, o: Op, ins: &[&str], grads: &[&str]) {
    let key = |k: &str| format!("{name}.{k}");
    let mut g = Graph::new(name);
    let ids: Vec<_> =
        ins.iter().map(|k| input(&mut g, k, DType::F64, get(all, &key(k)).shape())).collect();
    let y = op(&mut g, o, &ids, "y");
    g.add_output(y).unwrap();
    let feed: Vec<(String, Tensor)> =
        ins.iter().map(|k| (k.to_string(), get(all, &key(k)).clone())).collect();
    let gouts = vec![("y".to_string(), get(all, &key("gy")).clone())];
    let r = grad(&g, &feed, &gouts, &GradOptions::default()).expect("grad");
    let want_y = get(all, &key("y"));
    assert_eq!(r.outputs[0].1.shape(), want_y.shape(), "{name}: output shape");
    assert_close(&format!("{name}.y"), &vals(&r.outputs[0].1), &vals(want_y), 1e-12);
    for (i, d) in ins.iter().zip(grads) {
        assert_close(
            &format!("{name}.{d}"),
            &vals(get(&r.grads, i)),
            &vals(get(all, &key(d))),
            1e-12,
        );
    }
}

#[test]
fn conv_matches_pytorch() {
    let all = data();
    let spec =
        ConvSpec { strides: vec![2, 1], pads: vec![1, 0, 1, 2], dilations: vec![1, 2], group: 2 };
    case(&all, "conv2d", Op::Conv(spec), &["x", "w", "b"], &["dx", "dw", "db"]);
    let spec = ConvSpec { strides: vec![2], pads: vec![2, 1], dilations: vec![2], group: 1 };
    case(&all, "conv1d", Op::Conv(spec), &["x", "w"], &["dx", "dw"]);
}

#[test]
fn pools_match_pytorch() {
    let all = data();
    let pool = |kind| {
        Op::Pool(PoolSpec { kind, kernel: vec![3, 2], strides: vec![2, 2], pads: vec![1, 0, 1, 1] })
    };
    case(&all, "sumpool", pool(PoolKind::Sum), &["x"], &["dx"]);
    case(&all, "avgpool_pad", pool(PoolKind::Avg { count_include_pad: true }), &["x"], &["dx"]);
    case(&all, "avgpool", pool(PoolKind::Avg { count_include_pad: false }), &["x"], &["dx"]);
    case(&all, "maxpool", pool(PoolKind::Max), &["x"], &["dx"]);
    let p1 = PoolSpec { kind: PoolKind::Max, kernel: vec![3], strides: vec![2], pads: vec![1, 2] };
    case(&all, "maxpool1d", Op::Pool(p1), &["x"], &["dx"]);
}
