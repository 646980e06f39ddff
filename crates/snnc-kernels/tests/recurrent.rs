//! The recurrent IAF sequence kernels (with the GEMMs a plan puts around them) against the
//! reference interpreter's `IAFRecurrent`.

mod common;

use common::*;
use proptest::prelude::*;
use snnc_ir::{Op, Order};
use snnc_kernels::{
    sgemm, IafCell, IafOutputs, RecurrentGrads, RecurrentInputs, RecurrentSaved, RecurrentUpstream,
    SeqDims, SpikeBits, SpikeWeights, Threads,
};

#[derive(Debug, Clone)]
struct Case {
    t: usize,
    b: usize,
    i: usize,
    h: usize,
    method: usize,
    order: Order,
    per_neuron: bool,
    v0: bool,
    /// 0: no Z0, 1: binary Z0, 2: real-valued Z0.
    z0: u8,
    seed: u64,
    family: snnc_ir::Family,
}

struct Data {
    params: snnc_ir::IafParams,
    x: Vec<f32>,
    w: Vec<f32>,
    r: Vec<f32>,
    v0: Option<Vec<f32>>,
    z0: Option<Vec<f32>>,
    gz: Vec<f32>,
    gv: Vec<f32>,
    gzl: Vec<f32>,
}

/// Every output and gradient of the kernel pipeline.
#[derive(PartialEq)]
struct Out {
    z: Vec<f32>,
    v_last: Vec<f32>,
    z_last: Vec<f32>,
    gx: Vec<f32>,
    gw: Vec<f32>,
    gr: Vec<f32>,
    gv0: Vec<f32>,
    gz0: Vec<f32>,
}

fn data(c: &Case) -> Data {
    let mut rng = SeedRng::new(c.seed);
    let (method, alpha) = methods()[c.method];
    let k = if c.per_neuron { c.h } else { 1 };
    let mut params = params(method, alpha, c.order, rng.vec(k, 0.5, 1.5), rng.vec(k, -0.3, 0.2));
    params.family = c.family;
    let (t, b, i, h) = (c.t, c.b, c.i, c.h);
    let ws = 1.5 / (i as f32).sqrt();
    let rs = 1.0 / (h as f32).sqrt();
    Data {
        params,
        x: rng.vec(t * b * i, 0.0, 1.0),
        w: rng.vec(h * i, -ws, ws),
        r: rng.vec(h * h, -rs, rs),
        v0: c.v0.then(|| rng.vec(b * h, -0.5, 1.5)),
        z0: match c.z0 {
            0 => None,
            1 => Some(rng.spikes(b * h, 0.3)),
            _ => Some(rng.vec(b * h, -1.0, 1.0)),
        },
        gz: rng.vec(t * b * h, -1.0, 1.0),
        gv: rng.vec(b * h, -1.0, 1.0),
        gzl: rng.vec(b * h, -1.0, 1.0),
    }
}

fn kernels(c: &Case, d: &Data, th: Threads) -> Out {
    let (t, b, i, h) = (c.t, c.b, c.i, c.h);
    let (rows, seq, state) = (t * b, t * b * h, b * h);
    let cell = IafCell::new(&d.params, h).unwrap();
    let dims = SeqDims { t, b, n: h };
    let mut cur = vec![0f32; seq];
    sgemm(rows, h, i, &d.x, i, 1, &d.w, 1, i, &mut cur, h, false, th).unwrap();
    let rp = SpikeWeights::from_out_in(&d.r, h, h).unwrap();
    let (mut z, mut v_pre) = (vec![0f32; seq], vec![0f32; seq]);
    let (mut v_last, mut z_last) = (vec![0f32; state], vec![0f32; state]);
    let mut bits = SpikeBits::zeros(rows, h).unwrap();
    let inp = RecurrentInputs { cur: &cur, r: &rp, v0: d.v0.as_deref(), z0: d.z0.as_deref() };
    let out = IafOutputs {
        z: Some(&mut z),
        z_bits: Some(&mut bits),
        v_pre: Some(&mut v_pre),
        v_last: Some(&mut v_last),
        z_last: Some(&mut z_last),
    };
    cell.recurrent_forward(dims, inp, out, th).unwrap();
    let mut g_cur = vec![0f32; seq];
    let (mut gv0, mut gz0, mut gr) = (vec![0f32; state], vec![0f32; state], vec![0f32; h * h]);
    let saved = RecurrentSaved { v_pre: &v_pre, z_bits: bits.view(), z0: d.z0.as_deref() };
    let up = RecurrentUpstream { gz: Some(&d.gz), gv_last: Some(&d.gv), gz_last: Some(&d.gzl) };
    let grads = RecurrentGrads {
        g_cur: &mut g_cur,
        gv0: Some(&mut gv0),
        gz0: Some(&mut gz0),
        gr: Some(&mut gr),
    };
    cell.recurrent_backward(dims, &d.r, saved, up, grads, th).unwrap();
    let mut gx = vec![0f32; rows * i];
    sgemm(rows, i, h, &g_cur, h, 1, &d.w, i, 1, &mut gx, i, false, th).unwrap();
    let mut gw = vec![0f32; h * i];
    sgemm(h, i, rows, &g_cur, 1, h, &d.x, i, 1, &mut gw, i, false, th).unwrap();
    Out { z, v_last, z_last, gx, gw, gr, gv0, gz0 }
}

/// Returns false when the case sits too close to a threshold to compare spikes.
fn check(c: &Case) -> bool {
    let d = data(c);
    let (t, b, i, h) = (c.t, c.b, c.i, c.h);
    let graph = RefGraph::new(
        Op::IafRecurrent(d.params.clone()),
        vec![
            ("x", vec![t, b, i], Some(d.x.clone())),
            ("w", vec![h, i], Some(d.w.clone())),
            ("r", vec![h, h], Some(d.r.clone())),
            ("v0", vec![b, h], d.v0.clone()),
            ("z0", vec![b, h], d.z0.clone()),
        ],
        &["z", "v_t", "z_t"],
    );
    let th_max = d.params.v_th.iter().fold(1f32, |m, v| m.max(v.abs())) as f64;
    if graph.margin() < 1e-5 * th_max {
        return false;
    }
    let o = kernels(c, &d, Threads::Fixed(1));
    let out = graph.run();
    assert_bits("z", &o.z, &get(&out, "z"));
    assert_bits("z_t", &o.z_last, &get(&out, "z_t"));
    assert_close("v_t", &o.v_last, &get(&out, "v_t"));
    let grads = graph.grad(&[
        ("z", vec![t, b, h], d.gz.clone()),
        ("v_t", vec![b, h], d.gv.clone()),
        ("z_t", vec![b, h], d.gzl.clone()),
    ]);
    assert_grad("gx", &o.gx, &get(&grads, "x"));
    assert_grad("gw", &o.gw, &get(&grads, "w"));
    assert_grad("gr", &o.gr, &get(&grads, "r"));
    if c.v0 {
        assert_grad("gv0", &o.gv0, &get(&grads, "v0"));
    }
    if c.z0 > 0 {
        assert_grad("gz0", &o.gz0, &get(&grads, "z0"));
    }
    for th in [2, 3] {
        assert!(kernels(c, &d, Threads::Fixed(th)) == o, "results differ with {th} threads");
    }
    true
}

fn orders() -> impl Strategy<Value = Order> {
    prop_oneof![Just(Order::FireThenIntegrate), Just(Order::IntegrateThenFire)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn matches_reference(
        t in 1usize..10, b in 1usize..4, i in 1usize..40, h in 1usize..90, method in 0usize..7,
        order in orders(), per_neuron: bool, v0: bool, z0 in 0u8..3, seed: u64,
    ) {
        let family = snnc_ir::Family::NORSE;
        let c = Case { t, b, i, h, method, order, per_neuron, v0, z0, seed, family };
        prop_assume!(check(&c));
    }
}

#[test]
fn every_method_and_order() {
    let mut compared = 0;
    for method in 0..methods().len() {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            for (per_neuron, v0, z0) in [(false, false, 0), (true, true, 1), (true, false, 2)] {
                for seed in 0..4 {
                    let family = snnc_ir::Family::NORSE;
                    let (t, b, i, h) = (12, 3, 20, 70);
                    let c = Case { t, b, i, h, method, order, per_neuron, v0, z0, seed, family };
                    if check(&c) {
                        compared += 1;
                        break;
                    }
                }
            }
        }
    }
    assert_eq!(compared, methods().len() * 2 * 3, "some configurations never compared");
}

/// Every member with single spikes (the recurrent kernels refuse spike counts), both orders,
/// scalar and per-neuron parameters.
#[test]
fn every_single_spike_family_member() {
    let members: Vec<_> =
        members().into_iter().filter(|f| f.spikes == snnc_ir::Spikes::Single).collect();
    let mut compared = 0;
    for &family in &members {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            for (per_neuron, v0, z0) in [(false, false, 0), (true, true, 1)] {
                for seed in 0..6 {
                    let (t, b, i, h, method) = (10, 2, 16, 70, 1);
                    let c = Case { t, b, i, h, method, order, per_neuron, v0, z0, seed, family };
                    if check(&c) {
                        compared += 1;
                        break;
                    }
                }
            }
        }
    }
    assert_eq!(compared, members.len() * 2 * 2, "some members never compared");
}
