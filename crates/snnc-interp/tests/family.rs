//! The integrate-and-fire family (SPEC §1.1): every valid combination of threshold, reset,
//! reset gradient and spike count, in both update orders, on `IAF` against a scalar BPTT
//! written here from the SPEC's formulas alone.

mod common;

use common::*;
use snnc_interp::{grad, run, GradOptions};
use snnc_ir::{
    DType, Family, Graph, IafParams, Method, Op, Order, Reset, ResetGrad, Spikes, Surrogate,
    Threshold,
};

const T: usize = 7;
const B: usize = 2;
const N: usize = 3;
/// Thresholds and resets exact in f32, so that the op's f32 attributes are these values.
const TH: [f64; N] = [0.5, 0.75, 0.375];
const VR: [f64; N] = [-0.25, 0.0, 0.125];

/// SPEC §1.1 for one neuron: (z, v_new, s, u) where u is the potential that fires.
fn spec_step(f: Family, order: Order, n: usize, v: f64, x: f64) -> (f64, f64, f64, f64) {
    let fire = |u: f64| -> (f64, f64) {
        let s = u - TH[n];
        let z = match f.spikes {
            Spikes::Multi => {
                if u > 0.0 {
                    (u / TH[n]).trunc()
                } else {
                    0.0
                }
            }
            Spikes::Single => match f.threshold {
                Threshold::Gt => (s > 0.0) as u8 as f64,
                Threshold::Ge => (s >= 0.0) as u8 as f64,
            },
            Spikes::None => 0.0,
        };
        (s, z)
    };
    let reset = |z: f64, u: f64| match f.reset {
        Reset::Value => (1.0 - z) * u + z * VR[n],
        Reset::Subtract => u - z * TH[n],
        Reset::None => u,
    };
    match order {
        Order::IntegrateThenFire => {
            let u = v + x;
            let (s, z) = fire(u);
            (z, reset(z, u), s, u)
        }
        Order::FireThenIntegrate => {
            let (s, z) = fire(v);
            (z, reset(z, v) + x, s, v)
        }
    }
}

/// Forward and BPTT of the whole layer by the SPEC: (Z [T,B,N], V_T [B,N], ∂X, ∂V0).
fn spec_layer(
    f: Family,
    order: Order,
    sg: Surrogate,
    x: &[f64],
    v0: &[f64],
    gz: &[f64],
    gvt: &[f64],
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let idx = |t: usize, k: usize| t * B * N + k;
    let mut v = v0.to_vec();
    let mut z = vec![0.0; T * B * N];
    let mut rec = Vec::new(); // (z, s, u, v_prev) per step and element
    for t in 0..T {
        let mut row = Vec::new();
        for k in 0..B * N {
            let (zz, vn, s, u) = spec_step(f, order, k % N, v[k], x[idx(t, k)]);
            z[idx(t, k)] = zz;
            row.push((zz, s, u));
            v[k] = vn;
        }
        rec.push(row);
    }
    let mut gv = gvt.to_vec();
    let mut gx = vec![0.0; T * B * N];
    for t in (0..T).rev() {
        for k in 0..B * N {
            let n = k % N;
            let (zz, s, u) = rec[t][k];
            let (du, dz) = match f.reset {
                Reset::Value => (1.0 - zz, VR[n] - u),
                Reset::Subtract => (1.0, -TH[n]),
                Reset::None => (1.0, 0.0),
            };
            let dz = if f.reset_grad == ResetGrad::Detached { 0.0 } else { dz };
            let g_u = gv[k] * du + (gz[idx(t, k)] + gv[k] * dz) * sg.derivative(s);
            match order {
                Order::IntegrateThenFire => {
                    gx[idx(t, k)] = g_u;
                    gv[k] = g_u;
                }
                Order::FireThenIntegrate => {
                    gx[idx(t, k)] = gv[k];
                    gv[k] = g_u;
                }
            }
        }
    }
    (z, v, gx, gv)
}

fn layer(p: IafParams) -> Graph {
    let mut g = Graph::new("family");
    let x = input(&mut g, "x", DType::F64, &[T, B, N]);
    let v0 = input(&mut g, "v0", DType::F64, &[B, N]);
    let o =
        g.add_node("iaf", Op::Iaf(p), vec![Some(x), Some(v0)], &[Some("z"), Some("v")]).unwrap();
    g.add_output(o[0].unwrap()).unwrap();
    g.add_output(o[1].unwrap()).unwrap();
    g
}

fn params(f: Family, order: Order, sg: Surrogate) -> IafParams {
    IafParams {
        v_th: TH.iter().map(|&x| x as f32).collect(),
        v_reset: VR.iter().map(|&x| x as f32).collect(),
        surrogate: sg,
        order,
        family: f,
        ..Default::default()
    }
}

#[test]
fn every_member_runs_and_differentiates_as_the_spec_says() {
    let sg = Surrogate::new(Method::Atan, 2.0).unwrap();
    let mut rng = Rng::new(11);
    // Large inputs, so that multi-spike members emit several spikes in some steps.
    let x = rng.vec(T * B * N, -0.6, 1.6);
    let v0 = rng.vec(B * N, -0.3, 0.4);
    let gz = rng.vec(T * B * N, -1.0, 1.0);
    let gvt = rng.vec(B * N, -1.0, 1.0);
    let feed = [("x".to_string(), t64(&[T, B, N], &x)), ("v0".to_string(), t64(&[B, N], &v0))];
    let gouts = [("z".to_string(), t64(&[T, B, N], &gz)), ("v".to_string(), t64(&[B, N], &gvt))];
    let mut multi_seen = false;
    let members = Family::members();
    assert_eq!(members.len(), 2 * 3 * 2 + 2, "12 single-spike members and 2 multi-spike ones");
    for f in members {
        for order in [Order::IntegrateThenFire, Order::FireThenIntegrate] {
            let what = format!("{f:?} {order}");
            let g = layer(params(f, order, sg));
            let (z, v, gx, gv0) = spec_layer(f, order, sg, &x, &v0, &gz, &gvt);
            let out = run(&g, &feed).unwrap();
            assert_eq!(vals(get(&out, "z")), z, "{what}: spikes");
            assert_close(&format!("{what}: V_T"), &vals(get(&out, "v")), &v, 1e-12);
            multi_seen |= z.iter().any(|&c| c >= 2.0);
            let r = grad(&g, &feed, &gouts, &GradOptions::default()).unwrap();
            assert_close(&format!("{what}: dX"), &vals(get(&r.grads, "x")), &gx, 1e-12);
            assert_close(&format!("{what}: dV0"), &vals(get(&r.grads, "v0")), &gv0, 1e-12);
        }
    }
    assert!(multi_seen, "the input must make some neuron emit two spikes in one step");
}

/// The choices change results: a detached reset drops exactly the reset's path through the
/// spike, and `ge` fires where `gt` does not (at the threshold itself).
#[test]
fn choices_are_not_ignored() {
    let sg = Surrogate::new(Method::Sigmoid, 4.0).unwrap();
    let mut rng = Rng::new(5);
    let x = rng.vec(T * B * N, -0.6, 1.2);
    let v0 = vec![0.0; B * N];
    let feed = [("x".to_string(), t64(&[T, B, N], &x)), ("v0".to_string(), t64(&[B, N], &v0))];
    let gouts = [("v".to_string(), t64(&[B, N], &[1.0; B * N]))];
    let grad_of = |f: Family| {
        let g = layer(params(f, Order::IntegrateThenFire, sg));
        vals(get(&grad(&g, &feed, &gouts, &GradOptions::default()).unwrap().grads, "x"))
    };
    let attached = grad_of(Family::NORSE);
    let detached = grad_of(Family { reset_grad: ResetGrad::Detached, ..Family::NORSE });
    assert_ne!(attached, detached);

    // x = th at the first step from v0 = 0: `ge` fires, `gt` does not.
    let at_th: Vec<f64> = (0..T * B * N).map(|i| if i < B * N { TH[i % N] } else { 0.0 }).collect();
    let feed = [("x".to_string(), t64(&[T, B, N], &at_th)), ("v0".to_string(), t64(&[B, N], &v0))];
    let first = |f: Family| {
        let g = layer(params(f, Order::IntegrateThenFire, sg));
        vals(get(&run(&g, &feed).unwrap(), "z"))[..B * N].to_vec()
    };
    assert_eq!(first(Family::NORSE), vec![0.0; B * N]);
    assert_eq!(first(Family { threshold: Threshold::Ge, ..Family::NORSE }), vec![1.0; B * N]);
}

#[test]
fn mismatched_choices_are_refused() {
    let f = Family { spikes: Spikes::Multi, threshold: Threshold::Ge, ..Family::NORSE };
    let mut g = Graph::new("family");
    let x = input(&mut g, "x", DType::F64, &[T, B, N]);
    let p = params(f, Order::IntegrateThenFire, Surrogate::default());
    let err = g.add_node("iaf", Op::Iaf(p), vec![Some(x)], &[Some("z")]).unwrap_err().to_string();
    assert!(err.contains("spikes = multi needs reset = subtract"), "{err}");
}
