//! Typing of the window ops (Conv and the pools): shapes, defaults and errors naming the node.

use snnc_ir::*;

fn f32t(shape: &[usize]) -> TensorType {
    TensorType::new(DType::F32, shape.to_vec())
}

fn conv(strides: &[usize], pads: &[usize], group: usize) -> Op {
    Op::Conv(ConvSpec {
        strides: strides.to_vec(),
        pads: pads.to_vec(),
        dilations: Vec::new(),
        group,
    })
}

fn pool(kind: PoolKind, kernel: &[usize], strides: &[usize], pads: &[usize]) -> Op {
    Op::Pool(PoolSpec {
        kind,
        kernel: kernel.to_vec(),
        strides: strides.to_vec(),
        pads: pads.to_vec(),
    })
}

#[test]
fn the_nir_paper_cnn_shapes() {
    let mut g = Graph::new("cnn");
    let x = g.add_input("x", f32t(&[4, 2, 34, 34])).unwrap();
    let w1 = g.add_initializer("w1", Tensor::zeros(DType::F32, &[16, 2, 5, 5])).unwrap();
    let b1 = g.add_initializer("b1", Tensor::zeros(DType::F32, &[16])).unwrap();
    let y = g
        .add_node(
            "c1",
            conv(&[2, 2], &[1, 1, 1, 1], 1),
            vec![Some(x), Some(w1), Some(b1)],
            &[Some("y1")],
        )
        .unwrap()[0]
        .unwrap();
    assert_eq!(g.ty(y), &f32t(&[4, 16, 16, 16]));
    let p = g
        .add_node("p1", pool(PoolKind::Sum, &[2, 2], &[2, 2], &[]), vec![Some(y)], &[Some("p")])
        .unwrap()[0]
        .unwrap();
    assert_eq!(g.ty(p), &f32t(&[4, 16, 8, 8]));
    assert_eq!(g.nodes()[1].op.name(), "SumPool");
    // Leading batch axes: [T, B, C, H, W].
    let s = g.add_input("s", f32t(&[3, 4, 2, 34, 34])).unwrap();
    let ys = g
        .add_node("c2", conv(&[2, 2], &[1, 1, 1, 1], 1), vec![Some(s), Some(w1)], &[Some("ys")])
        .unwrap()[0]
        .unwrap();
    assert_eq!(g.ty(ys), &f32t(&[3, 4, 16, 16, 16]));
    g.add_output(ys).unwrap();
    verify(&g).unwrap();
}

#[test]
fn conv_1d_groups_and_dilation() {
    let mut g = Graph::new("c");
    let x = g.add_input("x", f32t(&[2, 6, 10])).unwrap();
    let w = g.add_initializer("w", Tensor::zeros(DType::F32, &[4, 3, 3])).unwrap();
    let op =
        Op::Conv(ConvSpec { strides: vec![1], pads: vec![2, 0], dilations: vec![2], group: 2 });
    let y = g.add_node("c", op, vec![Some(x), Some(w)], &[Some("y")]).unwrap()[0].unwrap();
    assert_eq!(g.ty(y), &f32t(&[2, 4, 8]));
    let avg = pool(PoolKind::Avg { count_include_pad: false }, &[3], &[2], &[1, 1]);
    let p = g.add_node("p", avg, vec![Some(y)], &[Some("p")]).unwrap()[0].unwrap();
    assert_eq!(g.ty(p), &f32t(&[2, 4, 4]));
}

#[test]
fn errors_name_the_node() {
    let mut g = Graph::new("e");
    let x = g.add_input("x", f32t(&[2, 6, 10, 10])).unwrap();
    let w = g.add_initializer("w", Tensor::zeros(DType::F32, &[4, 3, 3, 3])).unwrap();
    let b = g.add_initializer("b", Tensor::zeros(DType::F32, &[5])).unwrap();
    let cases: Vec<(Op, Vec<Option<ValueId>>, &str)> = vec![
        (conv(&[], &[], 1), vec![Some(x), Some(w)], "C/group"),
        (conv(&[], &[], 0), vec![Some(x), Some(w)], "group"),
        (conv(&[1], &[], 2), vec![Some(x), Some(w)], "'strides' has 1 entries"),
        (conv(&[0, 1], &[], 2), vec![Some(x), Some(w)], "at least 1"),
        (conv(&[], &[], 2), vec![Some(x), Some(w), Some(b)], "bias must be f32[4]"),
        (pool(PoolKind::Max, &[2, 2, 2], &[], &[]), vec![Some(x)], "only 1-D and 2-D"),
        (pool(PoolKind::Max, &[11, 2], &[], &[]), vec![Some(x)], "does not fit"),
        (pool(PoolKind::Max, &[2, 2], &[], &[2, 0, 0, 0]), vec![Some(x)], "smaller than"),
    ];
    for (i, (op, ins, msg)) in cases.into_iter().enumerate() {
        let name = format!("n{i}");
        let e = g.add_node(&name, op, ins, &[Some("o")]).unwrap_err().to_string();
        assert!(e.contains(&format!("node '{name}'")) && e.contains(msg), "{e}");
    }
    let lo = g.add_input("lo", f32t(&[6, 10])).unwrap();
    let e = g.add_node("r", conv(&[], &[], 2), vec![Some(lo), Some(w)], &[Some("o")]);
    assert!(e.unwrap_err().to_string().contains("rank ≥ 4"));
}
