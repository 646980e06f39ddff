//! Forward rule of each primitive op against hand-computed values.

mod common;

use common::*;
use snnc_interp::run;
use snnc_ir::{DType, Graph, Op, Tensor};

/// A graph applying `o` to inputs of the given shapes (f64), with output "y".
fn unit(o: Op, shapes: &[&[usize]]) -> Graph {
    let mut g = Graph::new("t");
    let ins: Vec<_> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| input(&mut g, &format!("x{i}"), DType::F64, s))
        .collect();
    let y = op(&mut g, o, &ins, "y");
    g.add_output(y).unwrap();
    g
}

fn feed(ts: &[Tensor]) -> Vec<(String, Tensor)> {
    ts.iter().enumerate().map(|(i, t)| (format!("x{i}"), t.clone())).collect()
}

fn check(o: Op, ts: &[Tensor], want_shape: &[usize], want: &[f64]) {
    let shapes: Vec<&[usize]> = ts.iter().map(|t| t.shape()).collect();
    let (got, shape) = run1(&unit(o.clone(), &shapes), &feed(ts));
    assert_eq!(shape, want_shape, "{o:?}");
    assert_close(&format!("{o:?}"), &got, want, 1e-12);
}

#[test]
fn broadcasting_arithmetic() {
    let a = t64(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let row = t64(&[3], &[10., 20., 30.]);
    check(Op::Add, &[a.clone(), row.clone()], &[2, 3], &[11., 22., 33., 14., 25., 36.]);
    check(Op::Sub, &[row.clone(), a.clone()], &[2, 3], &[9., 18., 27., 6., 15., 24.]);
    let col = t64(&[2, 1], &[2., -1.]);
    check(Op::Mul, &[col.clone(), row], &[2, 3], &[20., 40., 60., -10., -20., -30.]);
    check(Op::Div, &[a.clone(), col], &[2, 3], &[0.5, 1., 1.5, -4., -5., -6.]);
    check(Op::Neg, &[a], &[2, 3], &[-1., -2., -3., -4., -5., -6.]);
    check(Op::Add, &[t64(&[], &[1.5]), t64(&[1, 2], &[1., 2.])], &[1, 2], &[2.5, 3.5]);
}

#[test]
fn gemm_flags_alpha_beta_and_bias() {
    // A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]] → A·B = [[4,5],[10,11]].
    let a = [1., 2., 3., 4., 5., 6.];
    let b = [1., 0., 0., 1., 1., 1.];
    let gemm = |ta, tb| Op::Gemm { alpha: 2.0, beta: 0.5, trans_a: ta, trans_b: tb };
    let c = t64(&[2], &[2., 4.]);
    let want = [2. * 4. + 1., 2. * 5. + 2., 2. * 10. + 1., 2. * 11. + 2.];
    check(gemm(false, false), &[t64(&[2, 3], &a), t64(&[3, 2], &b), c.clone()], &[2, 2], &want);
    let at = [1., 4., 2., 5., 3., 6.];
    let bt = [1., 0., 1., 0., 1., 1.];
    check(gemm(true, false), &[t64(&[3, 2], &at), t64(&[3, 2], &b), c.clone()], &[2, 2], &want);
    check(gemm(false, true), &[t64(&[2, 3], &a), t64(&[2, 3], &bt), c.clone()], &[2, 2], &want);
    check(gemm(true, true), &[t64(&[3, 2], &at), t64(&[2, 3], &bt), c], &[2, 2], &want);
    let plain = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: false };
    check(plain.clone(), &[t64(&[2, 3], &a), t64(&[3, 2], &b)], &[2, 2], &[4., 5., 10., 11.]);
    let col = t64(&[2, 1], &[100., 200.]);
    check(plain, &[t64(&[2, 3], &a), t64(&[3, 2], &b), col], &[2, 2], &[104., 105., 210., 211.]);
}

#[test]
fn matmul_vectors_and_batches() {
    let v = t64(&[3], &[1., 2., 3.]);
    let m = t64(&[3, 2], &[1., 2., 3., 4., 5., 6.]);
    check(Op::MatMul, &[v.clone(), t64(&[3], &[4., 5., 6.])], &[], &[32.]);
    check(Op::MatMul, &[v.clone(), m.clone()], &[2], &[22., 28.]);
    check(Op::MatMul, &[t64(&[2, 3], &[1., 0., 0., 0., 1., 1.]), v.clone()], &[2], &[1., 5.]);
    // Batched with broadcasting: A [2,1,2,3] @ B [3,3,2] → [2,3,2,2], checked by a naive loop.
    let mut rng = Rng::new(3);
    let (a, b) = (rng.tensor(&[2, 1, 2, 3], -1., 1.), rng.tensor(&[3, 3, 2], -1., 1.));
    let (av, bv) = (vals(&a), vals(&b));
    let mut want = Vec::new();
    for i in 0..2 {
        for j in 0..3 {
            for r in 0..2 {
                for c in 0..2 {
                    want.push((0..3).map(|k| av[i * 6 + r * 3 + k] * bv[j * 6 + k * 2 + c]).sum());
                }
            }
        }
    }
    check(Op::MatMul, &[a, b], &[2, 3, 2, 2], &want);
    // A vector against a batch: [3] @ [2,3,2] → [2,2].
    let mb = t64(&[2, 3, 2], &[1., 2., 3., 4., 5., 6., 0., 1., 0., 1., 0., 1.]);
    check(Op::MatMul, &[v, mb], &[2, 2], &[22., 28., 0., 6.]);
}

#[test]
fn comparisons_cast_and_where() {
    let a = t64(&[4], &[1., f64::NAN, 3., -0.0]);
    let b = t64(&[1], &[1.]);
    check(Op::Greater, &[a.clone(), b.clone()], &[4], &[0., 0., 1., 0.]);
    check(Op::Less, &[a, b], &[4], &[0., 0., 0., 1.]);
    let x = t64(&[5], &[-1.7, 2.9, 0.0, -0.0, f64::NAN]);
    check(Op::Cast { to: DType::I64 }, std::slice::from_ref(&x), &[5], &[-1., 2., 0., 0., 0.]);
    check(Op::Cast { to: DType::Bool }, &[x], &[5], &[1., 1., 0., 0., 1.]);
    let c = tbool(&[2, 1], &[true, false]);
    let mut g = Graph::new("w");
    let ci = input(&mut g, "c", DType::Bool, &[2, 1]);
    let xi = input(&mut g, "x", DType::F64, &[3]);
    let yi = input(&mut g, "y", DType::F64, &[]);
    let w = op(&mut g, Op::Where, &[ci, xi, yi], "w");
    let f = op(&mut g, Op::Cast { to: DType::F32 }, &[ci], "f");
    g.add_output(w).unwrap();
    g.add_output(f).unwrap();
    let out = run(
        &g,
        &[("c".into(), c), ("x".into(), t64(&[3], &[1., 2., 3.])), ("y".into(), t64(&[], &[9.]))],
    )
    .unwrap();
    assert_eq!(vals(&out[0].1), [1., 2., 3., 9., 9., 9.]);
    assert_eq!(out[1].1, t32(&[2, 1], &[1.0, 0.0]));
}

#[test]
fn gather_negative_and_multidimensional_indices() {
    let mut g = Graph::new("gather");
    let d = input(&mut g, "d", DType::F64, &[3, 2]);
    let i0 = constant(&mut g, ti64(&[], &[-1]), "i0");
    let y0 = op(&mut g, Op::Gather { axis: 0 }, &[d, i0], "y0");
    let i1 = constant(&mut g, ti64(&[2, 2], &[1, 0, -2, 1]), "i1");
    let y1 = op(&mut g, Op::Gather { axis: -1 }, &[d, i1], "y1");
    g.add_output(y0).unwrap();
    g.add_output(y1).unwrap();
    let out = run(&g, &[("d".into(), t64(&[3, 2], &[1., 2., 3., 4., 5., 6.]))]).unwrap();
    assert_eq!(out[0].1, t64(&[2], &[5., 6.]));
    assert_eq!(out[1].1.shape(), [3, 2, 2]);
    assert_eq!(vals(&out[1].1), [2., 1., 1., 2., 4., 3., 3., 4., 6., 5., 5., 6.]);
}

#[test]
fn shape_ops() {
    let x = t64(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
    let all = [1., 2., 3., 4., 5., 6.];
    check(Op::Unsqueeze { axes: vec![0, -1] }, std::slice::from_ref(&x), &[1, 2, 3, 1], &all);
    check(Op::Squeeze { axes: vec![] }, &[t64(&[1, 3, 1], &[1., 2., 3.])], &[3], &[1., 2., 3.]);
    check(
        Op::Squeeze { axes: vec![-1] },
        &[t64(&[1, 3, 1], &[1., 2., 3.])],
        &[1, 3],
        &[1., 2., 3.],
    );
    check(Op::Reshape { shape: vec![0, -1, 1] }, std::slice::from_ref(&x), &[2, 3, 1], &all);
    check(Op::Reshape { shape: vec![-1] }, std::slice::from_ref(&x), &[6], &all);
    check(
        Op::Reshape { shape: vec![3, 0, -1] },
        &[t64(&[2, 2, 3], &[0.; 12])],
        &[3, 2, 2],
        &[0.; 12],
    );
    check(
        Op::Transpose { perm: vec![] },
        std::slice::from_ref(&x),
        &[3, 2],
        &[1., 4., 2., 5., 3., 6.],
    );
    let cube = t64(&[1, 2, 3], &all);
    check(Op::Transpose { perm: vec![2, 0, 1] }, &[cube], &[3, 1, 2], &[1., 4., 2., 5., 3., 6.]);
    check(
        Op::Concat { axis: -1 },
        &[x.clone(), t64(&[2, 1], &[7., 8.])],
        &[2, 4],
        &[1., 2., 3., 7., 4., 5., 6., 8.],
    );
    check(
        Op::Concat { axis: 0 },
        &[x.clone(), t64(&[1, 3], &[7., 8., 9.])],
        &[3, 3],
        &[1., 2., 3., 4., 5., 6., 7., 8., 9.],
    );
    check(Op::Identity, &[x], &[2, 3], &all);
}

#[test]
fn activations_and_spike() {
    let x = t64(&[5], &[-2., -0.0, 0.0, 1e-300, 3.]);
    check(Op::Relu, std::slice::from_ref(&x), &[5], &[0., 0., 0., 1e-300, 3.]);
    let sig: Vec<f64> = vals(&x).iter().map(|v| 1. / (1. + (-v).exp())).collect();
    check(Op::Sigmoid, std::slice::from_ref(&x), &[5], &sig);
    let th: Vec<f64> = vals(&x).iter().map(|v| v.tanh()).collect();
    check(Op::Tanh, std::slice::from_ref(&x), &[5], &th);
    let spike = Op::Spike { surrogate: Default::default() };
    check(spike.clone(), &[x], &[5], &[0., 0., 0., 1., 1.]);
    check(spike, &[t64(&[1], &[f64::NAN])], &[1], &[0.]);
    let mut g = Graph::new("c");
    let c = constant(&mut g, t32(&[2], &[1.5, -2.0]), "c");
    g.add_output(c).unwrap();
    assert_eq!(run(&g, &[]).unwrap()[0].1, t32(&[2], &[1.5, -2.0]));
}

#[test]
fn float32_values_round_after_every_op() {
    let mut g = Graph::new("f32");
    let a = input(&mut g, "a", DType::F32, &[2]);
    let b = input(&mut g, "b", DType::F32, &[2]);
    let s = op(&mut g, Op::Add, &[a, b], "s");
    let m = op(&mut g, Op::Mul, &[s, b], "m");
    let d = op(&mut g, Op::Div, &[m, a], "d");
    g.add_output(d).unwrap();
    let (x, y) = ([0.1f32, 1e8], [0.2f32, 3.3]);
    let out =
        run(&g, &[("a".into(), t32(&[2], &x)), ("b".into(), Tensor::F64(t32(&[2], &y).to_f64()))])
            .unwrap();
    let want: Vec<f32> = (0..2).map(|i| (x[i] + y[i]) * y[i] / x[i]).collect();
    assert_eq!(out[0].1, t32(&[2], &want));
}

#[test]
fn integer_division_truncates_and_refuses_zero() {
    let mut g = Graph::new("idiv");
    let a = input(&mut g, "a", DType::I64, &[3]);
    let b = input(&mut g, "b", DType::I64, &[3]);
    let q = op(&mut g, Op::Div, &[a, b], "q");
    g.add_output(q).unwrap();
    let feed = |bv: &[i64]| {
        vec![("a".to_string(), ti64(&[3], &[7, -7, 6])), ("b".to_string(), ti64(&[3], bv))]
    };
    assert_eq!(run(&g, &feed(&[2, 2, -4])).unwrap()[0].1, ti64(&[3], &[3, -3, -1]));
    let e = run(&g, &feed(&[2, 0, 1])).unwrap_err().to_string();
    assert!(e.contains("'q'") && e.contains("Div") && e.contains("division by zero"), "{e}");
}
