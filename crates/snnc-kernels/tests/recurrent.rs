//! The recurrent sequence kernels of the leaky cell (with the GEMMs a plan puts around them)
//! against the reference interpreter's `IAFRecurrent`: IF, LIF, current-based LIF (the
//! recurrent current enters u) and LI.

mod common;

use common::*;
use proptest::prelude::*;
use snnc_ir::{Op, Order, VOut};
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
    /// Which leak ([`leak`]).
    leak: u8,
    /// V_T before the reset (integrate-then-fire only).
    before: bool,
    /// An initial current U0 (for a cell that has one).
    u0: bool,
}

impl Case {
    /// A `t × b` sequence of `i` inputs into `h` neurons of `family` with method `method`:
    /// scalar parameters, no initial state, the IF leak, V_T after the reset, seed 0.
    fn new(family: snnc_ir::Family, order: Order, method: usize, [t, b, i, h]: [usize; 4]) -> Self {
        Case {
            t,
            b,
            i,
            h,
            method,
            order,
            per_neuron: false,
            v0: false,
            z0: 0,
            seed: 0,
            family,
            leak: 0,
            before: false,
            u0: false,
        }
    }
}

struct Data {
    params: snnc_ir::IafParams,
    x: Vec<f32>,
    w: Vec<f32>,
    r: Vec<f32>,
    v0: Option<Vec<f32>>,
    z0: Option<Vec<f32>>,
    u0: Option<Vec<f32>>,
    gz: Vec<f32>,
    gv: Vec<f32>,
    gzl: Vec<f32>,
    gu: Vec<f32>,
}

/// Every output and gradient of the kernel pipeline.
#[derive(PartialEq)]
struct Out {
    z: Vec<f32>,
    v_last: Vec<f32>,
    z_last: Vec<f32>,
    u_last: Vec<f32>,
    gx: Vec<f32>,
    gw: Vec<f32>,
    gr: Vec<f32>,
    gv0: Vec<f32>,
    gz0: Vec<f32>,
    gu0: Vec<f32>,
}

fn data(c: &Case) -> Data {
    let mut rng = SeedRng::new(c.seed);
    let (method, alpha) = methods()[c.method];
    let k = if c.per_neuron { c.h } else { 1 };
    let mut params = params(method, alpha, c.order, rng.vec(k, 0.5, 1.5), rng.vec(k, -0.3, 0.2));
    params.family = c.family;
    params.leak = leak(c.leak, k, &mut rng);
    if c.before && c.order == Order::IntegrateThenFire {
        params.v_out = VOut::BeforeReset;
    }
    let current = params.leak.has_current();
    let (t, b, i, h) = (c.t, c.b, c.i, c.h);
    let ws = 1.5 / (i as f32).sqrt();
    let rs = 1.0 / (h as f32).sqrt();
    Data {
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
        u0: (c.u0 && current).then(|| rng.vec(b * h, -0.5, 0.8)),
        gu: rng.vec(b * h, -1.0, 1.0),
        params,
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
    let mut u_last = vec![0f32; state];
    let current = cell.has_current();
    let mut bits = SpikeBits::zeros(rows, h).unwrap();
    let inp = RecurrentInputs {
        cur: &cur,
        r: &rp,
        v0: d.v0.as_deref(),
        z0: d.z0.as_deref(),
        u0: d.u0.as_deref(),
    };
    let out = IafOutputs {
        z: Some(&mut z),
        z_bits: Some(&mut bits),
        v_pre: Some(&mut v_pre),
        v_last: Some(&mut v_last),
        z_last: Some(&mut z_last),
        u_last: current.then_some(&mut u_last[..]),
    };
    cell.recurrent_forward(dims, inp, out, th).unwrap();
    let mut g_cur = vec![0f32; seq];
    let (mut gv0, mut gz0, mut gr) = (vec![0f32; state], vec![0f32; state], vec![0f32; h * h]);
    let mut gu0 = vec![0f32; state];
    let saved = RecurrentSaved { v_pre: &v_pre, z_bits: bits.view(), z0: d.z0.as_deref() };
    let up = RecurrentUpstream {
        gz: Some(&d.gz),
        gv_last: Some(&d.gv),
        gz_last: Some(&d.gzl),
        gu_last: current.then_some(&d.gu[..]),
    };
    let grads = RecurrentGrads {
        g_cur: &mut g_cur,
        gv0: Some(&mut gv0),
        gz0: Some(&mut gz0),
        gr: Some(&mut gr),
        gu0: current.then_some(&mut gu0[..]),
    };
    cell.recurrent_backward(dims, &d.r, saved, up, grads, th).unwrap();
    let mut gx = vec![0f32; rows * i];
    sgemm(rows, i, h, &g_cur, h, 1, &d.w, i, 1, &mut gx, i, false, th).unwrap();
    let mut gw = vec![0f32; h * i];
    sgemm(h, i, rows, &g_cur, 1, h, &d.x, i, 1, &mut gw, i, false, th).unwrap();
    Out { z, v_last, z_last, u_last, gx, gw, gr, gv0, gz0, gu0 }
}

/// Returns false when the case sits too close to a threshold to compare spikes.
fn check(c: &Case) -> bool {
    let d = data(c);
    let (t, b, i, h) = (c.t, c.b, c.i, c.h);
    let current = d.params.leak.has_current();
    let mut inputs = vec![
        ("x", vec![t, b, i], Some(d.x.clone())),
        ("w", vec![h, i], Some(d.w.clone())),
        ("r", vec![h, h], Some(d.r.clone())),
        ("v0", vec![b, h], d.v0.clone()),
        ("z0", vec![b, h], d.z0.clone()),
    ];
    let mut outputs = vec!["z", "v_t", "z_t"];
    if current {
        inputs.push(("u0", vec![b, h], d.u0.clone()));
        outputs.push("u_t");
    }
    let graph = RefGraph::new(Op::IafRecurrent(d.params.clone()), inputs, &outputs);
    let th_max = d.params.v_th.iter().fold(1f32, |m, v| m.max(v.abs())) as f64;
    if graph.margin() < 1e-5 * th_max {
        return false;
    }
    let o = kernels(c, &d, Threads::Fixed(1));
    let out = graph.run();
    if c.family.is_integrator() {
        // A leaky integrator's output is its potential, a sum of sums.
        assert_close("z", &o.z, &get(&out, "z"));
    } else {
        assert_bits("z", &o.z, &get(&out, "z"));
    }
    assert_bits("z_t", &o.z_last, &get(&out, "z_t"));
    assert_close("v_t", &o.v_last, &get(&out, "v_t"));
    let mut up = vec![
        ("z", vec![t, b, h], d.gz.clone()),
        ("v_t", vec![b, h], d.gv.clone()),
        ("z_t", vec![b, h], d.gzl.clone()),
    ];
    if current {
        assert_close("u_t", &o.u_last, &get(&out, "u_t"));
        up.push(("u_t", vec![b, h], d.gu.clone()));
    }
    let grads = graph.grad(&up);
    assert_grad("gx", &o.gx, &get(&grads, "x"));
    assert_grad("gw", &o.gw, &get(&grads, "w"));
    assert_grad("gr", &o.gr, &get(&grads, "r"));
    if c.v0 {
        assert_grad("gv0", &o.gv0, &get(&grads, "v0"));
    }
    if c.z0 > 0 {
        assert_grad("gz0", &o.gz0, &get(&grads, "z0"));
    }
    if d.u0.is_some() {
        assert_grad("gu0", &o.gu0, &get(&grads, "u0"));
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
        leak in 0u8..LEAKS, li: bool, before: bool, u0: bool,
    ) {
        let family = if li { snnc_ir::Family::LI } else { snnc_ir::Family::NORSE };
        let c = Case {
            t, b, i, h, method, order, per_neuron, v0, z0, seed, family, leak, before, u0,
        };
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
                    let base = Case::new(snnc_ir::Family::NORSE, order, method, [12, 3, 20, 70]);
                    let c = Case { per_neuron, v0, z0, seed, ..base };
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
                    let base = Case::new(family, order, 1, [10, 2, 16, 70]);
                    let c = Case { per_neuron, v0, z0, seed, ..base };
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

/// Every leak with every single-spike member and the leaky integrator, both orders, V_T after
/// and before the reset, with and without an initial state (U0 included).
#[test]
fn every_leak_member_and_v_out() {
    let mut members: Vec<_> =
        members().into_iter().filter(|f| f.spikes == snnc_ir::Spikes::Single).collect();
    members.push(snnc_ir::Family::LI);
    let mut compared = 0;
    let mut cases = 0;
    for leak in 0..LEAKS {
        for &family in &members {
            for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
                for (per_neuron, v0, z0, before) in
                    [(false, false, 0, false), (true, true, 1, true), (true, false, 2, true)]
                {
                    if before && order == Order::FireThenIntegrate {
                        continue;
                    }
                    cases += 1;
                    for seed in 0..6 {
                        let base = Case::new(family, order, 1, [10, 2, 16, 70]);
                        let c = Case { per_neuron, v0, z0, seed, leak, before, u0: v0, ..base };
                        if check(&c) {
                            compared += 1;
                            break;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(compared, cases, "some cases never compared");
}
