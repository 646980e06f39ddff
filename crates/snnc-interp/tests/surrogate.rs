//! Surrogate gradients: the `Spike` op, and `Greater`/`Less` + `Cast` as the spike of plain
//! exports.

mod common;

use common::*;
use snnc_interp::{grad, GradOptions};
use snnc_ir::{DType, Graph, Method, Op, Surrogate};

const S: [f64; 8] = [-1.5, -0.3, -0.01, -0.0, 0.0, 0.02, 0.4, 2.0];

/// The SPEC §1 table, written out independently of `Surrogate::derivative`.
fn spec(m: Method, a: f64, s: f64) -> f64 {
    match m {
        Method::Heaviside => 0.0,
        Method::Super => 1.0 / (a * s.abs() + 1.0).powi(2),
        Method::Triangle => a * (1.0 - s.abs()).max(0.0),
        Method::Tanh => 1.0 - (a * s).tanh().powi(2),
        Method::Circ => a.powi(3) / (a * a + s * s).powf(1.5),
        Method::HeaviErfc => 2.0 * (-(a * s).powi(2)).exp() / std::f64::consts::PI.sqrt(),
        Method::Atan => (a / 2.0) / (1.0 + (std::f64::consts::PI / 2.0 * a * s).powi(2)),
        Method::Sigmoid => {
            let sig = 1.0 / (1.0 + (-a * s).exp());
            a * sig * (1.0 - sig)
        }
        Method::Exp => a * (-a * s.abs()).exp(),
    }
}

fn surrogates() -> Vec<Surrogate> {
    let mut v = Vec::new();
    for m in Method::ALL {
        for a in [0.75f32, 1.0, 5.0, 100.0] {
            v.push(Surrogate::new(m, a).unwrap());
        }
    }
    v
}

#[test]
fn spike_op_gradient_is_g_times_the_surrogate_derivative() {
    let mut rng = Rng::new(1);
    let gz = rng.vec(S.len(), -2.0, 2.0);
    for sg in surrogates() {
        let mut g = Graph::new("spike");
        let x = input(&mut g, "x", DType::F64, &[S.len()]);
        let z = op(&mut g, Op::Spike { surrogate: sg }, &[x], "z");
        g.add_output(z).unwrap();
        // GradOptions must not matter for Spike.
        let opts = GradOptions {
            surrogate: Surrogate::new(Method::Triangle, 3.0).unwrap(),
            ..Default::default()
        };
        let r = grad(
            &g,
            &[("x".into(), t64(&[S.len()], &S))],
            &[("z".into(), t64(&[S.len()], &gz))],
            &opts,
        )
        .unwrap();
        assert_eq!(vals(&r.outputs[0].1), [0., 0., 0., 0., 0., 1., 1., 1.]);
        let got = vals(get(&r.grads, "x"));
        let want: Vec<f64> = S.iter().zip(&gz).map(|(&s, &g)| g * sg.derivative(s)).collect();
        assert_eq!(got, want, "{sg}");
        let table: Vec<f64> =
            S.iter().zip(&gz).map(|(&s, &g)| g * spec(sg.method, sg.alpha as f64, s)).collect();
        assert_close(&sg.to_string(), &got, &table, 1e-12);
    }
}

/// `Cast(Greater(a, b))` differentiates as Θ(a − b) with the surrogate of `GradOptions`, and
/// `Cast(Less(a, b))` as Θ(b − a); the scalar operand's gradient is summed over the broadcast.
#[test]
fn greater_and_less_use_the_compile_time_surrogate() {
    let mut rng = Rng::new(2);
    let gz = rng.vec(S.len(), -2.0, 2.0);
    let th = 0.25;
    let a: Vec<f64> = S.iter().map(|s| s + th).collect();
    for greater in [true, false] {
        for sg in surrogates() {
            let mut g = Graph::new("cmp");
            let av = input(&mut g, "a", DType::F64, &[S.len()]);
            let bv = input(&mut g, "b", DType::F64, &[]);
            let (o, ins) = if greater { (Op::Greater, [av, bv]) } else { (Op::Less, [bv, av]) };
            let c = op(&mut g, o, &ins, "c");
            let z = op(&mut g, Op::Cast { to: DType::F64 }, &[c], "z");
            g.add_output(z).unwrap();
            let feed = [("a".into(), t64(&[S.len()], &a)), ("b".into(), t64(&[], &[th]))];
            let r = grad(
                &g,
                &feed,
                &[("z".into(), t64(&[S.len()], &gz))],
                &GradOptions { surrogate: sg, ..Default::default() },
            )
            .unwrap();
            let spikes: Vec<f64> = a.iter().map(|&x| if x > th { 1.0 } else { 0.0 }).collect();
            assert_eq!(vals(&r.outputs[0].1), spikes);
            // In both spellings the spike is Θ(a − b) with a − b computed from the stored values.
            let d: Vec<f64> = a.iter().zip(&gz).map(|(&x, &g)| g * sg.derivative(x - th)).collect();
            assert_close("grad a", &vals(get(&r.grads, "a")), &d, 1e-12);
            assert_close("grad b", &vals(get(&r.grads, "b")), &[-d.iter().sum::<f64>()], 1e-12);
        }
    }
}

#[test]
fn default_grad_options_are_super_100() {
    let o = GradOptions::default();
    assert_eq!(o.surrogate, Surrogate { method: Method::Super, alpha: 100.0 });
}

/// Paths that are not a spike carry no gradient: Where's condition, casts to bool or integer.
#[test]
fn non_spike_paths_carry_no_gradient() {
    let mut g = Graph::new("stops");
    let x = input(&mut g, "x", DType::F64, &[3]);
    let zero = constant(&mut g, t64(&[], &[0.0]), "zero");
    let c = op(&mut g, Op::Greater, &[x, zero], "c");
    let w = op(&mut g, Op::Where, &[c, zero, zero], "w");
    let b = op(&mut g, Op::Cast { to: DType::Bool }, &[x], "b");
    let bf = op(&mut g, Op::Cast { to: DType::F64 }, &[b], "bf");
    let i = op(&mut g, Op::Cast { to: DType::I64 }, &[x], "i");
    let f = op(&mut g, Op::Cast { to: DType::F64 }, &[i], "f");
    let s1 = op(&mut g, Op::Add, &[w, bf], "s1");
    let s2 = op(&mut g, Op::Add, &[s1, f], "s2");
    g.add_output(s2).unwrap();
    let r = grad(
        &g,
        &[("x".into(), t64(&[3], &[0.001, -0.5, 1.5]))],
        &[("s2".into(), t64(&[3], &[1., 1., 1.]))],
        &GradOptions::default(),
    )
    .unwrap();
    assert_eq!(vals(get(&r.grads, "x")), [0., 0., 0.]);
}

/// The spike path of a bool value passes through shape ops on the bool before the Cast.
#[test]
fn bool_gradient_flows_through_shape_ops() {
    let mut g = Graph::new("bool_shape");
    let x = input(&mut g, "x", DType::F64, &[2]);
    let one = constant(&mut g, t64(&[], &[1.0]), "one");
    let c = op(&mut g, Op::Greater, &[x, one], "c");
    let u = op(&mut g, Op::Unsqueeze { axes: vec![0] }, &[c], "u");
    let z = op(&mut g, Op::Cast { to: DType::F32 }, &[u], "z");
    let zz = op(&mut g, Op::Cast { to: DType::F64 }, &[z], "zz");
    g.add_output(zz).unwrap();
    let sg = GradOptions {
        surrogate: Surrogate::new(Method::Super, 2.0).unwrap(),
        ..Default::default()
    };
    let r = grad(
        &g,
        &[("x".into(), t64(&[2], &[1.5, 0.5]))],
        &[("zz".into(), t64(&[1, 2], &[3.0, -1.0]))],
        &sg,
    )
    .unwrap();
    let want = [3.0 / (2.0f64 * 0.5 + 1.0).powi(2), -1.0 / (2.0f64 * 0.5 + 1.0).powi(2)];
    assert_close("x", &vals(get(&r.grads, "x")), &want, 1e-12);
}
