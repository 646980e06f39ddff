//! The `snn` integrate-and-fire ops: hand-computed runs, and equivalence of the sequence ops,
//! chains of step ops and the primitive-op spelling, forward and backward.

mod common;

use common::layers::Layer;
use common::*;
use snnc_interp::{grad, run, spike_margins, GradOptions};
use snnc_ir::{DType, Graph, IafParams, Method, Op, Order, Surrogate, Tensor};

fn params(order: Order, v_th: &[f32], v_reset: &[f32], sg: Surrogate) -> IafParams {
    IafParams {
        v_th: v_th.to_vec(),
        v_reset: v_reset.to_vec(),
        surrogate: sg,
        order,
        family: Default::default(),
        ..Default::default()
    }
}

/// `IAF` on X [T,1,N] without V0; returns (Z, V_T).
fn run_iaf(p: IafParams, x: &[f64], t: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut g = Graph::new("iaf");
    let xi = input(&mut g, "X", DType::F64, &[t, 1, n]);
    let outs = g.add_node("iaf", Op::Iaf(p), vec![Some(xi)], &[Some("Z"), Some("V_T")]).unwrap();
    for o in outs.iter().flatten() {
        g.add_output(*o).unwrap();
    }
    let out = run(&g, &[("X".into(), t64(&[t, 1, n], x))]).unwrap();
    (vals(&out[0].1), vals(&out[1].1))
}

#[test]
fn hand_computed_runs_in_both_orders() {
    let sg = Surrogate::default();
    // v₋₁ = 0, I = 0.6 each step. FTI fires on the old potential: v = .6, 1.2, (fire) .6, 1.2.
    let (z, v) = run_iaf(params(Order::FireThenIntegrate, &[1.0], &[0.0], sg), &[0.6; 4], 4, 1);
    assert_eq!(z, [0., 0., 1., 0.]);
    assert_close("v", &v, &[1.2], 1e-15);
    // ITF fires on the integrated potential: v̂ = .6, 1.2 (fire → 0), .6, 1.2 (fire → 0).
    let (z, v) = run_iaf(params(Order::IntegrateThenFire, &[1.0], &[0.0], sg), &[0.6; 4], 4, 1);
    assert_eq!(z, [0., 1., 0., 1.]);
    assert_eq!(v, [0.0]);
}

#[test]
fn per_neuron_threshold_and_reset() {
    // Neuron 0: th 1, reset 0; neuron 1: th 0.5, reset −0.25 (also its v₋₁).
    let p = params(Order::IntegrateThenFire, &[1.0, 0.5], &[0.0, -0.25], Surrogate::default());
    let (z, v) = run_iaf(p, &[0.3; 6], 3, 2);
    assert_eq!(z, [0., 0., 0., 0., 0., 1.]);
    assert_close("v", &v, &[0.9, -0.25], 1e-15);
    let p = params(Order::FireThenIntegrate, &[1.0, 0.5], &[0.0, -0.25], Surrogate::default());
    let (z, v) = run_iaf(p, &[0.3; 6], 3, 2);
    // Neuron 1: v = .05, .35, .65 and fires only after the last step.
    assert_eq!(z, [0., 0., 0., 0., 0., 0.]);
    assert_close("v", &v, &[0.9, 0.65], 1e-15);
}

/// One ITF step by hand: v̂ = 0.5 + 0.7 = 1.2, s = 0.2, z = 1, v = 0. With gZ = gV = 1:
/// gz' = 1 + 1·(0 − 1.2) = −0.2, ∂v̂ = 0 + (−0.2)·σ'(0.2), σ' = super:1 = 1/1.2².
#[test]
fn hand_computed_step_gradient() {
    let p = params(
        Order::IntegrateThenFire,
        &[1.0],
        &[0.0],
        Surrogate::new(Method::Super, 1.0).unwrap(),
    );
    let mut g = Graph::new("step");
    let x = input(&mut g, "x", DType::F64, &[1, 1]);
    let v = input(&mut g, "v", DType::F64, &[1, 1]);
    let outs = g
        .add_node("s", Op::IafFeedForwardStep(p), vec![Some(x), Some(v)], &[Some("z"), Some("vn")])
        .unwrap();
    g.add_output(outs[0].unwrap()).unwrap();
    g.add_output(outs[1].unwrap()).unwrap();
    let feed = [("x".into(), t64(&[1, 1], &[0.7])), ("v".into(), t64(&[1, 1], &[0.5]))];
    let one = t64(&[1, 1], &[1.0]);
    let r =
        grad(&g, &feed, &[("z".into(), one.clone()), ("vn".into(), one)], &GradOptions::default())
            .unwrap();
    assert_eq!(vals(&r.outputs[0].1), [1.0]);
    assert_eq!(vals(&r.outputs[1].1), [0.0]);
    let want = -0.2 / (1.2f64 * 1.2);
    assert_close("x", &vals(get(&r.grads, "x")), &[want], 1e-12);
    assert_close("v", &vals(get(&r.grads, "v")), &[want], 1e-12);
    assert_close("margin", &[spike_margins(&g, &feed).unwrap()], &[0.2], 1e-12);
}

fn layer_feed(l: &Layer, seed: u64) -> Vec<(String, Tensor)> {
    let mut rng = Rng::new(seed);
    l.inputs()
        .into_iter()
        .map(|(n, s)| {
            let (lo, hi) = match n {
                "X" if l.recurrent => (0.0, 1.0),
                "X" => (0.0, 0.7),
                "W" => (-0.3, 0.9),
                "R" => (-0.5, 0.5),
                "V0" => (-0.2, 0.9),
                _ => (0.0, 1.0),
            };
            let mut t = rng.tensor(&s, lo, hi);
            if n == "Z0" {
                t = Tensor::F64(t.to_f64().mapv(|x| if x > 0.6 { 1.0 } else { 0.0 }));
            }
            if l.dtype == DType::F32 {
                t = Tensor::from_f64(DType::F32, t.to_f64());
            }
            (n.to_string(), t)
        })
        .collect()
}

fn assert_grads_match(what: &str, a: &[(String, Tensor)], b: &[(String, Tensor)], tol: f64) {
    let names: Vec<_> = a.iter().map(|(n, _)| n).collect();
    assert_eq!(names, b.iter().map(|(n, _)| n).collect::<Vec<_>>(), "{what}");
    for (n, t) in a {
        let (x, y) = (vals(t), vals(get(b, n)));
        let err: f64 = x.iter().zip(&y).map(|(p, q)| (p - q).powi(2)).sum::<f64>().sqrt();
        let norm: f64 = y.iter().map(|q| q * q).sum::<f64>().sqrt();
        assert!(
            err <= tol * norm.max(1e-30),
            "{what}: gradient of '{n}' differs: {err} vs norm {norm}\n{x:?}\n{y:?}"
        );
    }
}

/// The sequence op, the chain of step ops and the primitive ops agree: outputs exactly (both
/// dtypes), gradients to rounding (the primitives use `GradOptions.surrogate` = the layer's).
fn check_three_spellings(recurrent: bool) {
    let sgs = [
        (Method::Heaviside, 1.0),
        (Method::Super, 3.0),
        (Method::Triangle, 0.75),
        (Method::Tanh, 2.0),
        (Method::Circ, 1.5),
        (Method::HeaviErfc, 1.25),
    ];
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        for (k, &(m, a)) in sgs.iter().enumerate() {
            for dtype in [DType::F64, DType::F32] {
                let sg = Surrogate::new(m, a).unwrap();
                let (th, rs): (&[f32], &[f32]) = if k % 2 == 0 {
                    (&[1.0], &[0.0])
                } else {
                    (&[0.8, 1.0, 0.6, 1.2], &[-0.1, 0.0, 0.2, -0.3])
                };
                let (i, h) = if recurrent { (3, 4) } else { (4, 4) };
                let l = Layer { p: params(order, th, rs, sg), dtype, t: 7, b: 2, i, h, recurrent };
                let feed = layer_feed(&l, 10 + k as u64);
                let what = format!("{order} {sg} {dtype} recurrent={recurrent}");
                let seq = run(&l.sequence(), &feed).unwrap();
                let spikes: f64 = vals(&seq[0].1).iter().sum();
                assert!(
                    spikes > 0.0 && spikes < (l.t * l.b * l.h) as f64,
                    "{what}: {spikes} spikes"
                );
                assert_eq!(seq, run(&l.steps(), &feed).unwrap(), "{what}: steps");
                assert_eq!(seq, run(&l.primitives(), &feed).unwrap(), "{what}: primitives");
                let mut rng = Rng::new(99);
                let gouts = random_gouts(&l.sequence(), &feed, &mut rng);
                let opts = GradOptions { surrogate: sg, ..Default::default() };
                let gs = grad(&l.sequence(), &feed, &gouts, &GradOptions::default()).unwrap();
                let tol = if dtype == DType::F64 { 1e-12 } else { 1e-6 };
                assert_grads_match(
                    &format!("{what}: steps"),
                    &grad(&l.steps(), &feed, &gouts, &opts).unwrap().grads,
                    &gs.grads,
                    tol,
                );
                assert_grads_match(
                    &format!("{what}: prims"),
                    &grad(&l.primitives(), &feed, &gouts, &opts).unwrap().grads,
                    &gs.grads,
                    tol,
                );
                let margins = [
                    spike_margins(&l.sequence(), &feed).unwrap(),
                    spike_margins(&l.steps(), &feed).unwrap(),
                    spike_margins(&l.primitives(), &feed).unwrap(),
                ];
                assert!(
                    margins[0] == margins[1] && margins[1] == margins[2],
                    "{what}: {margins:?}"
                );
            }
        }
    }
}

#[test]
fn iaf_equals_feed_forward_steps_and_primitives() {
    check_three_spellings(false);
}

#[test]
fn iaf_recurrent_equals_iaf_steps_and_primitives() {
    check_three_spellings(true);
}

/// The surrogate of the `snn` op is its own: `GradOptions` only affects Greater/Less.
#[test]
fn snn_ops_ignore_grad_options() {
    let sg = Surrogate::new(Method::Tanh, 2.0).unwrap();
    let l = Layer {
        p: params(Order::IntegrateThenFire, &[1.0], &[0.0], sg),
        dtype: DType::F64,
        t: 5,
        b: 2,
        i: 3,
        h: 4,
        recurrent: true,
    };
    let feed = layer_feed(&l, 5);
    let gouts = random_gouts(&l.sequence(), &feed, &mut Rng::new(6));
    let a = grad(&l.sequence(), &feed, &gouts, &GradOptions::default()).unwrap();
    let b = grad(
        &l.sequence(),
        &feed,
        &gouts,
        &GradOptions {
            surrogate: Surrogate::new(Method::Heaviside, 1.0).unwrap(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(a, b);
}

/// Optional inputs: without V0 the layer starts at v_reset (per neuron), without Z0 from no
/// spikes; unbound optional outputs are fine.
#[test]
fn default_initial_state() {
    let p = params(Order::FireThenIntegrate, &[1.0, 0.5], &[0.25, -0.5], Surrogate::default());
    let mut rng = Rng::new(8);
    let (x, w, r) = (
        rng.tensor(&[3, 2, 2], 0.0, 1.0),
        rng.tensor(&[2, 2], -1.0, 1.0),
        rng.tensor(&[2, 2], -1.0, 1.0),
    );
    let build = |with_state: bool| {
        let mut g = Graph::new("rec");
        let ins = ["X", "W", "R"]
            .iter()
            .zip([&[3usize, 2, 2][..], &[2, 2], &[2, 2]])
            .map(|(n, s)| input(&mut g, n, DType::F64, s))
            .collect::<Vec<_>>();
        let mut args: Vec<_> = ins.iter().map(|&i| Some(i)).collect();
        if with_state {
            let v0 = constant(&mut g, t64(&[2, 2], &[0.25, -0.5, 0.25, -0.5]), "v0");
            let z0 = constant(&mut g, t64(&[2, 2], &[0.0; 4]), "z0");
            args.extend([Some(v0), Some(z0)]);
        }
        let outs = g
            .add_node("rec", Op::IafRecurrent(p.clone()), args, &[Some("Z"), None, Some("Z_T")])
            .unwrap();
        g.add_output(outs[0].unwrap()).unwrap();
        g.add_output(outs[2].unwrap()).unwrap();
        g
    };
    let feed = [("X".to_string(), x), ("W".to_string(), w), ("R".to_string(), r)];
    let (a, b) = (run(&build(false), &feed).unwrap(), run(&build(true), &feed).unwrap());
    assert_eq!(a, b);
    let gouts = random_gouts(&build(false), &feed, &mut rng);
    assert_eq!(
        grad(&build(false), &feed, &gouts, &GradOptions::default()).unwrap(),
        grad(&build(true), &feed, &gouts, &GradOptions::default()).unwrap()
    );
}
