//! Finite differences through integrate-and-fire layers along the smooth paths.
//!
//! With every |Θ argument| far above the perturbation, the spikes do not change under it, so
//! central differences see only the potential path (linear layers, the integration, the reset's
//! (1 − z) factor). The analytic gradient with the `heaviside` surrogate zeroes exactly the
//! spike path, so the two must agree — for the outputs V_T, Z_T and a readout Σ w·Z alike.

mod common;

use common::layers::Layer;
use common::*;
use snnc_interp::{run, spike_margins, GradOptions};
use snnc_ir::{DType, Graph, IafParams, Method, Op, Order, Surrogate, Tensor};

const H: f64 = 1e-6;
const TOL: f64 = 1e-6;
const MIN_MARGIN: f64 = 1e-3;

fn heaviside() -> Surrogate {
    Surrogate::new(Method::Heaviside, 1.0).unwrap()
}

fn params(order: Order, per_neuron: bool) -> IafParams {
    let (v_th, v_reset) = if per_neuron {
        (vec![0.8, 1.0, 0.6, 1.2], vec![-0.1, 0.0, 0.2, -0.3])
    } else {
        (vec![1.0], vec![0.0])
    };
    IafParams {
        v_th,
        v_reset,
        surrogate: heaviside(),
        order,
        family: Default::default(),
        ..Default::default()
    }
}

/// Random f64 inputs for `g` (uniform in the range `range(name)` gives), drawn with the first
/// seed whose run has spikes and keeps every Θ argument at least `MIN_MARGIN` from zero.
fn feed_with_margin(
    g: &Graph,
    shapes: &[(&str, Vec<usize>)],
    range: impl Fn(&str) -> (f64, f64),
) -> Vec<(String, Tensor)> {
    for seed in 0..500 {
        let mut rng = Rng::new(seed);
        let feed: Vec<(String, Tensor)> = shapes
            .iter()
            .map(|(n, s)| {
                let (lo, hi) = range(n);
                let t = rng.tensor(s, lo, hi);
                let t = if *n == "Z0" {
                    Tensor::F64(t.to_f64().mapv(|x| if x > 0.5 { 1.0 } else { 0.0 }))
                } else {
                    t
                };
                (n.to_string(), t)
            })
            .collect();
        let spikes: f64 = vals(&run(g, &feed).unwrap()[0].1).iter().sum();
        if spikes > 0.0 && spike_margins(g, &feed).unwrap() >= MIN_MARGIN {
            return feed;
        }
    }
    panic!("no seed gives a margin of {MIN_MARGIN}");
}

fn range(n: &str) -> (f64, f64) {
    match n {
        "X" => (0.0, 1.0),
        "Wt" | "W" => (-0.3, 0.8),
        "R" => (-0.5, 0.5),
        "V0" => (-0.2, 0.9),
        _ => (-1.0, 1.0),
    }
}

fn check(g: &Graph, feed: &[(String, Tensor)]) {
    let gouts = random_gouts(g, feed, &mut Rng::new(77));
    fd_check(
        g,
        feed,
        &gouts,
        &GradOptions { surrogate: heaviside(), ..Default::default() },
        H,
        TOL,
    );
}

/// MatMul → IAF → readout MatMul.
#[test]
fn linear_into_iaf_and_readout() {
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        for per_neuron in [false, true] {
            let (t, b, i, n) = (6, 2, 3, 4);
            let mut g = Graph::new("ff");
            let x = input(&mut g, "X", DType::F64, &[t, b, i]);
            let w = input(&mut g, "Wt", DType::F64, &[i, n]);
            let v0 = input(&mut g, "V0", DType::F64, &[b, n]);
            let wo = input(&mut g, "Wo", DType::F64, &[n, 2]);
            let cur = op(&mut g, Op::MatMul, &[x, w], "cur");
            let outs = g
                .add_node(
                    "iaf",
                    Op::Iaf(params(order, per_neuron)),
                    vec![Some(cur), Some(v0)],
                    &[Some("Z"), Some("V_T")],
                )
                .unwrap();
            let (z, vt) = (outs[0].unwrap(), outs[1].unwrap());
            let ro = op(&mut g, Op::MatMul, &[z, wo], "readout");
            for o in [z, vt, ro] {
                g.add_output(o).unwrap();
            }
            let shapes =
                [("X", vec![t, b, i]), ("Wt", vec![i, n]), ("V0", vec![b, n]), ("Wo", vec![n, 2])];
            let feed = feed_with_margin(&g, &shapes, range);
            check(&g, &feed);
        }
    }
}

/// IAFRecurrent (and the chain of IAFStep, and the primitive spelling) with every input free.
#[test]
fn recurrent_layer_all_inputs() {
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        for per_neuron in [false, true] {
            let l = Layer {
                p: params(order, per_neuron),
                dtype: DType::F64,
                t: 5,
                b: 2,
                i: 3,
                h: 4,
                recurrent: true,
            };
            let shapes = l.inputs();
            let feed = feed_with_margin(&l.sequence(), &shapes, range);
            check(&l.sequence(), &feed);
            check(&l.steps(), &feed);
            check(&l.primitives(), &feed);
        }
    }
}

/// Feed-forward step chains and primitives, V0 free.
#[test]
fn feed_forward_spellings() {
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let l = Layer {
            p: params(order, true),
            dtype: DType::F64,
            t: 6,
            b: 2,
            i: 4,
            h: 4,
            recurrent: false,
        };
        let feed = feed_with_margin(&l.sequence(), &l.inputs(), range);
        check(&l.sequence(), &feed);
        check(&l.steps(), &feed);
        check(&l.primitives(), &feed);
    }
}

/// A single IAFStep with a Gemm in front of X.
#[test]
fn single_step_op() {
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let mut g = Graph::new("step");
        let a = input(&mut g, "A", DType::F64, &[2, 3]);
        let m = input(&mut g, "M", DType::F64, &[3, 3]);
        let ins: Vec<_> = [("Z0", [2, 4]), ("V0", [2, 4]), ("W", [4, 3]), ("R", [4, 4])]
            .iter()
            .map(|(n, s)| input(&mut g, n, DType::F64, s))
            .collect();
        let x = op(
            &mut g,
            Op::Gemm { alpha: 0.5, beta: 1.0, trans_a: false, trans_b: false },
            &[a, m],
            "x",
        );
        let args = vec![Some(x), Some(ins[0]), Some(ins[1]), Some(ins[2]), Some(ins[3])];
        let outs = g
            .add_node("s", Op::IafStep(params(order, true)), args, &[Some("Z"), Some("V")])
            .unwrap();
        g.add_output(outs[0].unwrap()).unwrap();
        g.add_output(outs[1].unwrap()).unwrap();
        let shapes = [
            ("A", vec![2, 3]),
            ("M", vec![3, 3]),
            ("Z0", vec![2, 4]),
            ("V0", vec![2, 4]),
            ("W", vec![4, 3]),
            ("R", vec![4, 4]),
        ];
        let feed = feed_with_margin(&g, &shapes, |n| if n == "V0" { (0.0, 1.5) } else { range(n) });
        check(&g, &feed);
    }
}
