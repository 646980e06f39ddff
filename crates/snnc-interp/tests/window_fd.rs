//! Finite-difference checks of the window ops' reverse rules (f64 graphs): the gradients of X,
//! W and the bias of Conv (1-D and 2-D, strides, per-side padding, dilation, groups) and of X
//! for every pool.

mod common;

use common::*;
use snnc_interp::GradOptions;
use snnc_ir::{ConvSpec, DType, Graph, Op, PoolKind, PoolSpec, Tensor};

fn fd_op(o: Op, shapes: &[&[usize]], seed: u64) {
    let mut g = Graph::new("fd");
    let ins: Vec<_> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| input(&mut g, &format!("x{i}"), DType::F64, s))
        .collect();
    let y = op(&mut g, o, &ins, "y");
    g.add_output(y).unwrap();
    let mut rng = Rng::new(seed);
    let feed: Vec<(String, Tensor)> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("x{i}"), rng.tensor(s, -1.0, 1.0)))
        .collect();
    let gouts = random_gouts(&g, &feed, &mut rng);
    fd_check(&g, &feed, &gouts, &GradOptions::default(), 1e-6, 1e-7);
}

fn conv(strides: &[usize], pads: &[usize], dilations: &[usize], group: usize) -> Op {
    Op::Conv(ConvSpec {
        strides: strides.to_vec(),
        pads: pads.to_vec(),
        dilations: dilations.to_vec(),
        group,
    })
}

#[test]
fn conv_2d() {
    fd_op(conv(&[2, 2], &[1, 1, 1, 1], &[], 1), &[&[2, 2, 7, 7], &[3, 2, 3, 3], &[3]], 1);
    fd_op(conv(&[1, 2], &[2, 0, 1, 1], &[2, 1], 1), &[&[1, 2, 6, 5], &[2, 2, 2, 3]], 2);
    fd_op(conv(&[], &[], &[], 2), &[&[2, 4, 4, 4], &[4, 2, 2, 2], &[4]], 3);
    // [T, B, C, H, W]
    fd_op(conv(&[1, 1], &[1, 1, 1, 1], &[], 1), &[&[2, 2, 1, 4, 4], &[2, 1, 3, 3], &[2]], 4);
}

#[test]
fn conv_1d() {
    fd_op(conv(&[2], &[1, 2], &[1], 1), &[&[2, 3, 9], &[2, 3, 3], &[2]], 5);
    fd_op(conv(&[1], &[0, 0], &[3], 3), &[&[1, 3, 10], &[6, 1, 2]], 6);
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
fn pools() {
    let kinds = [
        PoolKind::Sum,
        PoolKind::Avg { count_include_pad: true },
        PoolKind::Avg { count_include_pad: false },
        PoolKind::Max,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        let s = 10 * i as u64;
        fd_op(pool(kind, &[2, 2], &[2, 2], &[]), &[&[2, 3, 4, 4]], s + 1);
        fd_op(pool(kind, &[3, 2], &[2, 1], &[1, 0, 1, 1]), &[&[1, 2, 5, 4]], s + 2);
        fd_op(pool(kind, &[3], &[2], &[1, 2]), &[&[2, 2, 7]], s + 3);
        fd_op(pool(kind, &[2, 2], &[], &[]), &[&[2, 1, 2, 3, 3]], s + 4);
    }
}
