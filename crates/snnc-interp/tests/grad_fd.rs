//! Finite-difference checks of the reverse rule of every differentiable primitive op (f64
//! graphs, so rounding does not interfere).

mod common;

use common::*;
use snnc_interp::{grad, GradOptions};
use snnc_ir::{DType, Graph, Op, Tensor};

const H: f64 = 1e-6;
const TOL: f64 = 1e-7;

/// FD-checks `o` applied to random f64 inputs of the given shapes (plus fixed extra inputs).
fn fd_op(o: Op, shapes: &[&[usize]], seed: u64) {
    fd_op_with(o, shapes, seed, -1.0, 1.0);
}

fn fd_op_with(o: Op, shapes: &[&[usize]], seed: u64, lo: f64, hi: f64) {
    let mut g = Graph::new("fd");
    let ins: Vec<_> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| input(&mut g, &format!("x{i}"), DType::F64, s))
        .collect();
    let y = op(&mut g, o, &ins, "y");
    g.add_output(y).unwrap();
    let mut rng = Rng::new(seed);
    let feed: Vec<(String, Tensor)> =
        shapes.iter().enumerate().map(|(i, s)| (format!("x{i}"), rng.tensor(s, lo, hi))).collect();
    let gouts = random_gouts(&g, &feed, &mut rng);
    fd_check(&g, &feed, &gouts, &GradOptions::default(), H, TOL);
}

#[test]
fn gemm_all_flag_combinations() {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let o = Op::Gemm { alpha: 1.5, beta: -0.75, trans_a: ta, trans_b: tb };
        let a: &[usize] = if ta { &[4, 3] } else { &[3, 4] };
        let b: &[usize] = if tb { &[2, 4] } else { &[4, 2] };
        fd_op(o.clone(), &[a, b], 1);
        fd_op(o.clone(), &[a, b, &[2]], 2);
        fd_op(o.clone(), &[a, b, &[3, 1]], 3);
        fd_op(o, &[a, b, &[3, 2]], 4);
    }
}

#[test]
fn matmul_vectors_and_broadcast_batches() {
    fd_op(Op::MatMul, &[&[3], &[3]], 5);
    fd_op(Op::MatMul, &[&[3], &[3, 2]], 6);
    fd_op(Op::MatMul, &[&[2, 3], &[3]], 7);
    fd_op(Op::MatMul, &[&[2, 3], &[3, 4]], 8);
    fd_op(Op::MatMul, &[&[2, 1, 2, 3], &[3, 3, 2]], 9);
    fd_op(Op::MatMul, &[&[4, 2, 3], &[3, 2]], 10);
    fd_op(Op::MatMul, &[&[3], &[2, 3, 2]], 11);
}

#[test]
fn broadcasting_arithmetic() {
    for o in [Op::Add, Op::Sub, Op::Mul] {
        fd_op(o.clone(), &[&[2, 3], &[2, 3]], 12);
        fd_op(o.clone(), &[&[2, 3], &[3]], 13);
        fd_op(o.clone(), &[&[2, 1], &[1, 3]], 14);
        fd_op(o, &[&[], &[2, 2]], 15);
    }
    // Divisors kept away from zero.
    fd_op_with(Op::Div, &[&[2, 3], &[3]], 16, 0.5, 2.0);
    fd_op_with(Op::Div, &[&[2, 1], &[1, 3]], 17, 0.5, 2.0);
}

#[test]
fn unary_ops() {
    fd_op(Op::Neg, &[&[2, 3]], 18);
    fd_op(Op::Identity, &[&[2, 3]], 19);
    fd_op(Op::Sigmoid, &[&[2, 3]], 20);
    fd_op(Op::Tanh, &[&[2, 3]], 21);
    fd_op(Op::Cast { to: DType::F64 }, &[&[4]], 22);
    // Relu away from its kink.
    fd_op_with(Op::Relu, &[&[6]], 23, 0.1, 1.0);
    fd_op_with(Op::Relu, &[&[6]], 24, -1.0, -0.1);
}

#[test]
fn shape_ops() {
    fd_op(Op::Unsqueeze { axes: vec![0, 2] }, &[&[2, 3]], 25);
    fd_op(Op::Squeeze { axes: vec![] }, &[&[1, 3, 1]], 26);
    fd_op(Op::Reshape { shape: vec![0, -1] }, &[&[2, 3, 2]], 27);
    fd_op(Op::Transpose { perm: vec![1, 2, 0] }, &[&[2, 3, 4]], 28);
    fd_op(Op::Transpose { perm: vec![] }, &[&[2, 3]], 29);
    fd_op(Op::Concat { axis: 1 }, &[&[2, 1, 2], &[2, 3, 2], &[2, 2, 2]], 30);
}

#[test]
fn gather_scatters_repeated_and_negative_indices() {
    for axis in [0i64, 1, -1] {
        let mut g = Graph::new("gather");
        let d = input(&mut g, "d", DType::F64, &[3, 3]);
        let i = constant(&mut g, ti64(&[2, 2], &[0, -1, 2, 0]), "i");
        let y = op(&mut g, Op::Gather { axis }, &[d, i], "y");
        g.add_output(y).unwrap();
        let mut rng = Rng::new(31);
        let feed = vec![("d".to_string(), rng.tensor(&[3, 3], -1., 1.))];
        let gouts = random_gouts(&g, &feed, &mut rng);
        fd_check(&g, &feed, &gouts, &GradOptions::default(), H, TOL);
    }
}

#[test]
fn where_routes_to_both_branches() {
    let mut g = Graph::new("where");
    let c = input(&mut g, "c", DType::Bool, &[2, 1]);
    let x = input(&mut g, "x", DType::F64, &[2, 3]);
    let y = input(&mut g, "y", DType::F64, &[3]);
    let w = op(&mut g, Op::Where, &[c, x, y], "w");
    g.add_output(w).unwrap();
    let mut rng = Rng::new(32);
    let feed = vec![
        ("c".to_string(), tbool(&[2, 1], &[true, false])),
        ("x".to_string(), rng.tensor(&[2, 3], -1., 1.)),
        ("y".to_string(), rng.tensor(&[3], -1., 1.)),
    ];
    let gouts = random_gouts(&g, &feed, &mut rng);
    fd_check(&g, &feed, &gouts, &GradOptions::default(), H, TOL);
    let gr = grad(&g, &feed, &gouts, &GradOptions::default()).unwrap();
    let names: Vec<_> = gr.grads.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x", "y"], "the bool input gets no gradient");
    let gw = vals(get(&gouts, "w"));
    assert_eq!(vals(get(&gr.grads, "x")), [gw[0], gw[1], gw[2], 0., 0., 0.]);
    assert_eq!(vals(get(&gr.grads, "y")), [gw[3], gw[4], gw[5]]);
}

/// Both branches broadcast (x: [3] and y: [2,1,3] against a [2,2,3] condition): each one's
/// gradient is the upstream gradient where it was selected, summed back to its own shape.
#[test]
fn where_unbroadcasts_both_branches() {
    let mut g = Graph::new("where");
    let c = input(&mut g, "c", DType::Bool, &[2, 2, 3]);
    let x = input(&mut g, "x", DType::F64, &[3]);
    let y = input(&mut g, "y", DType::F64, &[2, 1, 3]);
    let w = op(&mut g, Op::Where, &[c, x, y], "w");
    g.add_output(w).unwrap();
    let mut rng = Rng::new(33);
    let cond = [true, false, true, false, false, true, true, true, false, false, true, false];
    let feed = vec![
        ("c".to_string(), tbool(&[2, 2, 3], &cond)),
        ("x".to_string(), rng.tensor(&[3], -1., 1.)),
        ("y".to_string(), rng.tensor(&[2, 1, 3], -1., 1.)),
    ];
    let gouts = random_gouts(&g, &feed, &mut rng);
    fd_check(&g, &feed, &gouts, &GradOptions::default(), H, TOL);
    let gr = grad(&g, &feed, &gouts, &GradOptions::default()).unwrap();
    let gw = vals(get(&gouts, "w"));
    let (mut gx, mut gy) = (vec![0.0; 3], vec![0.0; 6]);
    for (i, (&c, &d)) in cond.iter().zip(&gw).enumerate() {
        if c {
            gx[i % 3] += d;
        } else {
            gy[(i / 6) * 3 + i % 3] += d;
        }
    }
    let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| (p - q).abs() < 1e-12);
    assert!(close(&vals(get(&gr.grads, "x")), &gx), "{:?} vs {gx:?}", get(&gr.grads, "x"));
    assert!(close(&vals(get(&gr.grads, "y")), &gy), "{:?} vs {gy:?}", get(&gr.grads, "y"));
}

/// A small network in which values are used more than once, so gradients accumulate.
#[test]
fn composite_network_with_shared_values() {
    let mut g = Graph::new("mlp");
    let x = input(&mut g, "x", DType::F64, &[2, 3]);
    let w = input(&mut g, "w", DType::F64, &[4, 3]);
    let b = input(&mut g, "b", DType::F64, &[4]);
    let h = op(
        &mut g,
        Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true },
        &[x, w, b],
        "h",
    );
    let s = op(&mut g, Op::Sigmoid, &[h], "s");
    let t = op(&mut g, Op::Tanh, &[h], "t");
    let p = op(&mut g, Op::Mul, &[s, t], "p");
    let q = op(&mut g, Op::MatMul, &[p, w], "q");
    let r = op(&mut g, Op::Add, &[q, x], "r");
    let u = op(&mut g, Op::Unsqueeze { axes: vec![0] }, &[r], "u");
    let c = op(&mut g, Op::Concat { axis: 0 }, &[u, u], "c");
    g.add_output(c).unwrap();
    g.add_output(h).unwrap();
    let mut rng = Rng::new(33);
    let feed = vec![
        ("x".to_string(), rng.tensor(&[2, 3], -1., 1.)),
        ("w".to_string(), rng.tensor(&[4, 3], -1., 1.)),
        ("b".to_string(), rng.tensor(&[4], -1., 1.)),
    ];
    let gouts = random_gouts(&g, &feed, &mut rng);
    fd_check(&g, &feed, &gouts, &GradOptions::default(), H, TOL);
    // A missing upstream gradient counts as zero.
    fd_check(&g, &feed, &gouts[..1], &GradOptions::default(), H, TOL);
}

/// Initializer gradients equal the gradients of the same tensors fed as inputs, and come after
/// the float inputs, in value order; integer inputs get none.
#[test]
fn initializer_gradients_and_their_order() {
    let mut rng = Rng::new(34);
    let (xv, wv, bv) =
        (rng.tensor(&[2, 3], -1., 1.), rng.tensor(&[3, 4], -1., 1.), rng.tensor(&[4], -1., 1.));
    let build = |as_init: bool| {
        let mut g = Graph::new("init");
        let n = input(&mut g, "n", DType::I64, &[1]);
        let x = input(&mut g, "x", DType::F64, &[2, 3]);
        let (b, w) = if as_init {
            (
                g.add_initializer("b", bv.clone()).unwrap(),
                g.add_initializer("w", wv.clone()).unwrap(),
            )
        } else {
            (input(&mut g, "b", DType::F64, &[4]), input(&mut g, "w", DType::F64, &[3, 4]))
        };
        let m = op(&mut g, Op::MatMul, &[x, w], "m");
        let y = op(&mut g, Op::Add, &[m, b], "y");
        let f = op(&mut g, Op::Cast { to: DType::F64 }, &[n], "f");
        let z = op(&mut g, Op::Mul, &[y, f], "z");
        g.add_output(z).unwrap();
        g
    };
    let gout = vec![("z".to_string(), rng.tensor(&[2, 4], -1., 1.))];
    let base = vec![("n".to_string(), ti64(&[1], &[3])), ("x".to_string(), xv.clone())];
    let mut all = base.clone();
    all.push(("b".to_string(), bv.clone()));
    all.push(("w".to_string(), wv.clone()));
    let opts = GradOptions::default();
    let gi = grad(&build(true), &base, &gout, &opts).unwrap();
    let ga = grad(&build(false), &all, &gout, &opts).unwrap();
    let names: Vec<_> = gi.grads.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["x", "b", "w"]);
    for n in ["x", "b", "w"] {
        assert_eq!(get(&gi.grads, n), get(&ga.grads, n), "{n}");
    }
    assert_eq!(gi.outputs, ga.outputs);
    fd_check(&build(false), &all, &gout, &opts, H, TOL);
}
