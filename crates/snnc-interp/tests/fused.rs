//! The fused ops the optimizer introduces: `Linear`, `SpikeLinear` (finite differences, and
//! equality with a Gemm per row) and `SpikeReset` (bit-equal to its primitive spelling, forward
//! and backward).

mod common;

use common::*;
use snnc_interp::{grad, run, GradOptions};
use snnc_ir::{DType, Graph, Op, ResetParams, Surrogate, Tensor};

const H: f64 = 1e-6;
const TOL: f64 = 1e-7;

/// FD-checks `o` on random f64 inputs of the given shapes.
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
    fd_check(&g, &feed, &gouts, &GradOptions::default(), H, TOL);
}

#[test]
fn linear_and_spike_linear_finite_differences() {
    for o in [Op::Linear { trans_b: true }, Op::SpikeLinear { trans_b: true }] {
        fd_op(o.clone(), &[&[3, 2, 4], &[5, 4], &[5]], 1);
        fd_op(o.clone(), &[&[2, 4], &[5, 4]], 2);
        fd_op(o, &[&[4], &[5, 4], &[5]], 3);
    }
    fd_op(Op::Linear { trans_b: false }, &[&[3, 2, 4], &[4, 5], &[5]], 4);
    fd_op(Op::SpikeLinear { trans_b: false }, &[&[3, 2, 4], &[4, 5]], 5);
}

#[test]
fn linear_over_a_sequence_is_a_gemm_per_step() {
    let mut rng = Rng::new(9);
    let (x, w, b) = (
        rng.tensor(&[3, 2, 4], -1.0, 1.0),
        rng.tensor(&[5, 4], -1.0, 1.0),
        rng.tensor(&[5], -1.0, 1.0),
    );
    let mut g = Graph::new("lin");
    let ids = [
        input(&mut g, "x", DType::F64, &[3, 2, 4]),
        input(&mut g, "w", DType::F64, &[5, 4]),
        input(&mut g, "b", DType::F64, &[5]),
    ];
    let y = op(&mut g, Op::Linear { trans_b: true }, &ids, "y");
    g.add_output(y).unwrap();
    let feed = vec![
        ("x".to_string(), x.clone()),
        ("w".to_string(), w.clone()),
        ("b".to_string(), b.clone()),
    ];
    let (got, shape) = run1(&g, &feed);
    assert_eq!(shape, [3, 2, 5]);
    let gemm = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true };
    for t in 0..3 {
        let mut h = Graph::new("gemm");
        let ids = [
            input(&mut h, "x", DType::F64, &[2, 4]),
            input(&mut h, "w", DType::F64, &[5, 4]),
            input(&mut h, "b", DType::F64, &[5]),
        ];
        let y = op(&mut h, gemm.clone(), &ids, "y");
        h.add_output(y).unwrap();
        let xt = Tensor::F64(x.to_f64().index_axis(ndarray::Axis(0), t).to_owned());
        let feed =
            vec![("x".to_string(), xt), ("w".to_string(), w.clone()), ("b".to_string(), b.clone())];
        let (want, _) = run1(&h, &feed);
        assert_eq!(&got[t * 10..(t + 1) * 10], want.as_slice());
    }
}

fn reset_params(surrogate: Surrogate) -> ResetParams {
    ResetParams {
        v_th: vec![0.8, 1.0, 1.2],
        v_reset: vec![-0.1, 0.0, 0.3],
        surrogate,
        family: Default::default(),
        reset_amount: None,
    }
}

/// `SpikeReset` and the exporter's spelling of the same thing, in f32.
fn both(surrogate: Surrogate) -> (Graph, Graph) {
    let p = reset_params(surrogate);
    let mut fused = Graph::new("fused");
    let v = input(&mut fused, "v", DType::F32, &[4, 3]);
    let outs = fused
        .add_node("sr", Op::SpikeReset(p.clone()), vec![Some(v)], &[Some("z"), Some("vn")])
        .unwrap();
    fused.add_output(outs[0].unwrap()).unwrap();
    fused.add_output(outs[1].unwrap()).unwrap();
    let mut prim = Graph::new("prim");
    let v = input(&mut prim, "v", DType::F32, &[4, 3]);
    let th = prim.add_initializer("th", t32(&[3], &p.v_th)).unwrap();
    let vr = prim.add_initializer("vr", t32(&[3], &p.v_reset)).unwrap();
    let zero = prim.add_initializer("zero", t32(&[], &[0.0])).unwrap();
    let one = prim.add_initializer("one", t32(&[], &[1.0])).unwrap();
    let s = op(&mut prim, Op::Sub, &[v, th], "s");
    let gt = op(&mut prim, Op::Greater, &[s, zero], "gt");
    let z = op(&mut prim, Op::Cast { to: DType::F32 }, &[gt], "z");
    let nz = op(&mut prim, Op::Sub, &[one, z], "nz");
    let keep = op(&mut prim, Op::Mul, &[nz, v], "keep");
    let rst = op(&mut prim, Op::Mul, &[z, vr], "rst");
    let vn = op(&mut prim, Op::Add, &[keep, rst], "vn");
    prim.add_output(z).unwrap();
    prim.add_output(vn).unwrap();
    (fused, prim)
}

#[test]
fn spike_reset_equals_its_primitive_spelling() {
    let s: Surrogate = "tanh:2".parse().unwrap();
    let (fused, prim) = both(s);
    let mut rng = Rng::new(5);
    let v = Tensor::F32(rng.tensor(&[4, 3], 0.0, 2.0).to_f64().mapv(|x| x as f32));
    let feed = vec![("v".to_string(), v)];
    let (a, b) = (run(&fused, &feed).unwrap(), run(&prim, &feed).unwrap());
    assert_eq!(a, b, "forward is bit-identical");
    let gouts = random_gouts(&fused, &feed, &mut rng);
    let opts = GradOptions { surrogate: s, ..Default::default() };
    let (ga, gb) =
        (grad(&fused, &feed, &gouts, &opts).unwrap(), grad(&prim, &feed, &gouts, &opts).unwrap());
    assert_close("dv", &vals(get(&ga.grads, "v")), &vals(get(&gb.grads, "v")), 1e-12);
}

#[test]
fn spike_reset_finite_differences_on_the_smooth_path() {
    // With the heaviside surrogate only the (1 − z)·v path carries gradient; inputs stay far
    // from the thresholds, so central differences see that path only.
    let p = reset_params("heaviside:1".parse().unwrap());
    let mut g = Graph::new("fd");
    let v = input(&mut g, "v", DType::F64, &[2, 3]);
    let outs =
        g.add_node("sr", Op::SpikeReset(p), vec![Some(v)], &[Some("z"), Some("vn")]).unwrap();
    g.add_output(outs[1].unwrap()).unwrap();
    let feed = vec![("v".to_string(), t64(&[2, 3], &[0.2, 1.5, 0.1, 1.3, 0.4, 1.9]))];
    let gouts = random_gouts(&g, &feed, &mut Rng::new(3));
    let opts = GradOptions { surrogate: "heaviside:1".parse().unwrap(), ..Default::default() };
    fd_check(&g, &feed, &gouts, &opts, H, TOL);
}
