//! The feed-forward sequence kernel of the leaky cell (IF, LIF, current-based LIF, LI) against
//! the reference interpreter.

mod common;

use common::*;
use proptest::prelude::*;
use snnc_ir::{Family, Op, Order, Spikes, VOut};
use snnc_kernels::{IafCell, IafGrads, IafOutputs, IafUpstream, SeqDims, SpikeBits, Threads};

#[derive(Debug, Clone)]
struct Case {
    t: usize,
    b: usize,
    n: usize,
    method: usize,
    order: Order,
    per_neuron: bool,
    with_v0: bool,
    seed: u64,
    family: Family,
    /// Which leak ([`leak`]).
    leak: u8,
    /// V_T before the reset (integrate-then-fire only).
    before: bool,
    /// An initial current U0 (for a cell that has one).
    with_u0: bool,
}

impl Case {
    /// The IF cell of Norse's family member.
    fn norse(t: usize, b: usize, n: usize, method: usize, order: Order, seed: u64) -> Self {
        Case {
            t,
            b,
            n,
            method,
            order,
            per_neuron: false,
            with_v0: false,
            seed,
            family: Family::NORSE,
            leak: 0,
            before: false,
            with_u0: false,
        }
    }
}

/// Everything the kernels produce for one case.
struct Run {
    z: Vec<f32>,
    bits: SpikeBits,
    v_pre: Vec<f32>,
    v_last: Vec<f32>,
    u_last: Vec<f32>,
    gx: Vec<f32>,
    gv0: Vec<f32>,
    gu0: Vec<f32>,
}

struct Data {
    cell: IafCell,
    params: snnc_ir::IafParams,
    dims: SeqDims,
    x: Vec<f32>,
    v0: Option<Vec<f32>>,
    u0: Option<Vec<f32>>,
    gz: Vec<f32>,
    gv: Vec<f32>,
    gu: Vec<f32>,
}

fn data(c: &Case) -> Data {
    let mut rng = SeedRng::new(c.seed);
    let (method, alpha) = methods()[c.method];
    let k = if c.per_neuron { c.n } else { 1 };
    let v_th = rng.vec(k, 0.4, 1.5);
    let v_reset = rng.vec(k, -0.3, 0.2);
    let mut params = params(method, alpha, c.order, v_th, v_reset);
    params.family = c.family;
    params.leak = leak(c.leak, k, &mut rng);
    if c.family.is_integrator() {
        params.v_th = vec![1.0];
    }
    if c.before && c.order == Order::IntegrateThenFire {
        params.v_out = VOut::BeforeReset;
    }
    let current = params.leak.has_current();
    let dims = SeqDims { t: c.t, b: c.b, n: c.n };
    // Spike counts need currents of several thresholds to reach 2 and more spikes.
    let hi = if c.family.spikes == Spikes::Multi { 3.5 } else { 0.9 };
    let x = rng.vec(c.t * c.b * c.n, -0.4, hi);
    let v0 = c.with_v0.then(|| rng.vec(c.b * c.n, -0.5, 1.5));
    let gz = rng.vec(c.t * c.b * c.n, -1.0, 1.0);
    let gv = rng.vec(c.b * c.n, -1.0, 1.0);
    let u0 = (c.with_u0 && current).then(|| rng.vec(c.b * c.n, -0.5, 0.8));
    let gu = rng.vec(c.b * c.n, -1.0, 1.0);
    let cell = IafCell::new(&params, c.n).expect("cell");
    Data { cell, params, dims, x, v0, u0, gz, gv, gu }
}

fn kernels(d: &Data, threads: Threads) -> Run {
    let (seq, state) = (d.dims.seq_len().unwrap(), d.dims.state_len().unwrap());
    let mut z = vec![0f32; seq];
    let mut bits = SpikeBits::zeros(d.dims.t * d.dims.b, d.dims.n).unwrap();
    let mut v_pre = vec![0f32; seq];
    let (mut v_last, mut u_last) = (vec![0f32; state], vec![0f32; state]);
    // Spike counts cannot be bit-packed.
    let single = d.cell.family().spikes != Spikes::Multi;
    let current = d.cell.has_current();
    let out = IafOutputs {
        z: Some(&mut z),
        z_bits: single.then_some(&mut bits),
        v_pre: Some(&mut v_pre),
        v_last: Some(&mut v_last),
        z_last: None,
        u_last: current.then_some(&mut u_last[..]),
    };
    d.cell.forward(d.dims, &d.x, d.v0.as_deref(), d.u0.as_deref(), out, threads).expect("forward");
    let mut gx = vec![0f32; seq];
    let (mut gv0, mut gu0) = (vec![0f32; state], vec![0f32; state]);
    let up = IafUpstream {
        gz: Some(&d.gz),
        gv_last: Some(&d.gv),
        gu_last: current.then_some(&d.gu[..]),
    };
    let grads = IafGrads { gx: &mut gx, gv0: Some(&mut gv0), gu0: current.then_some(&mut gu0[..]) };
    d.cell.backward(d.dims, &v_pre, up, grads, threads).expect("backward");
    Run { z, bits, v_pre, v_last, u_last, gx, gv0, gu0 }
}

fn check(c: &Case) {
    let d = data(c);
    let (t, b, n) = (c.t, c.b, c.n);
    let r = kernels(&d, Threads::Fixed(1));
    let current = d.params.leak.has_current();
    let mut inputs =
        vec![("x", vec![t, b, n], Some(d.x.clone())), ("v0", vec![b, n], d.v0.clone())];
    let mut outputs = vec!["z", "v_t"];
    if current {
        inputs.push(("u0", vec![b, n], d.u0.clone()));
        outputs.push("u_t");
    }
    let graph = RefGraph::new(Op::Iaf(d.params.clone()), inputs, &outputs);
    let out = graph.run();
    assert_bits("z", &r.z, &get(&out, "z"));
    assert_bits("v_t", &r.v_last, &get(&out, "v_t"));
    if current {
        assert_bits("u_t", &r.u_last, &get(&out, "u_t"));
    }
    let mut unpacked = vec![0f32; r.z.len()];
    r.bits.to_f32(&mut unpacked).unwrap();
    if c.family.spikes == Spikes::Single {
        assert_bits("bits", &unpacked, &r.z);
    } else if c.family.is_integrator() {
        assert!(unpacked.iter().all(|&z| z == 0.0), "a leaky integrator's spikes are 0");
    }
    let pre0 = match c.order {
        Order::FireThenIntegrate => {
            d.v0.clone().unwrap_or_else(|| (0..b * n).map(|i| d.params.v_reset_at(i % n)).collect())
        }
        Order::IntegrateThenFire => r.v_pre[..b * n].to_vec(),
    };
    assert_bits("v_pre[0]", &r.v_pre[..b * n], &pre0);
    let mut up = vec![("z", vec![t, b, n], d.gz.clone()), ("v_t", vec![b, n], d.gv.clone())];
    if current {
        up.push(("u_t", vec![b, n], d.gu.clone()));
    }
    let grads = graph.grad(&up);
    assert_grad("gx", &r.gx, &get(&grads, "x"));
    if c.with_v0 {
        assert_grad("gv0", &r.gv0, &get(&grads, "v0"));
    }
    if d.u0.is_some() {
        assert_grad("gu0", &r.gu0, &get(&grads, "u0"));
    }
    for threads in [2, 3] {
        let o = kernels(&d, Threads::Fixed(threads));
        assert_bits("z threads", &o.z, &r.z);
        assert_bits("v_pre threads", &o.v_pre, &r.v_pre);
        assert_bits("v_last threads", &o.v_last, &r.v_last);
        assert_bits("u_last threads", &o.u_last, &r.u_last);
        assert_bits("gx threads", &o.gx, &r.gx);
        assert_bits("gv0 threads", &o.gv0, &r.gv0);
        assert_bits("gu0 threads", &o.gu0, &r.gu0);
        assert_eq!(o.bits, r.bits);
    }
}

fn orders() -> impl Strategy<Value = Order> {
    prop_oneof![Just(Order::FireThenIntegrate), Just(Order::IntegrateThenFire)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn matches_reference(
        t in 1usize..14, b in 1usize..4, n in 1usize..150, method in 0usize..7,
        order in orders(), per_neuron: bool, with_v0: bool, seed: u64, member in 0usize..15,
        leak in 0u8..LEAKS, before: bool, with_u0: bool,
    ) {
        let family = members_and_li()[member % members_and_li().len()];
        check(&Case {
            t, b, n, method, order, per_neuron, with_v0, seed, family, leak, before, with_u0,
        });
    }
}

#[test]
fn every_method_and_order() {
    for method in 0..methods().len() {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            for (per_neuron, with_v0) in [(false, false), (true, true), (true, false)] {
                check(&Case { per_neuron, with_v0, ..Case::norse(20, 3, 70, method, order, 7) });
            }
        }
    }
}

#[test]
fn layers_wider_than_one_task() {
    for (n, order) in [
        (257, Order::FireThenIntegrate),
        (520, Order::IntegrateThenFire),
        (700, Order::FireThenIntegrate),
    ] {
        check(&Case { per_neuron: true, with_v0: true, ..Case::norse(9, 2, n, 1, order, 11) });
        // The same layers with a current-based leak, V_T before the reset.
        let c = Case { per_neuron: true, with_v0: true, ..Case::norse(9, 2, n, 1, order, 11) };
        check(&Case { leak: 2, before: true, with_u0: true, ..c });
    }
}

#[test]
fn every_family_member() {
    for family in members() {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            for (per_neuron, n) in [(false, 70), (true, 300)] {
                let c = Case {
                    per_neuron,
                    with_v0: per_neuron,
                    family,
                    ..Case::norse(16, 2, n, 1, order, 5)
                };
                check(&c);
                if family.spikes == Spikes::Multi {
                    let r = kernels(&data(&c), Threads::Fixed(1));
                    assert!(r.z.iter().any(|&z| z >= 2.0), "{family:?}: no step with 2+ spikes");
                }
            }
        }
    }
}

/// Every leak (IF, LIF, current-based LIF, a per-neuron mix), every member and the leaky
/// integrator, both orders, V_T after and before the reset, scalar and per-neuron parameters,
/// with and without an initial state: spikes, potentials and currents bitwise the reference's.
#[test]
fn every_leak_member_and_v_out() {
    for leak in 0..LEAKS {
        for family in members_and_li() {
            for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
                for (per_neuron, n) in [(false, 70), (true, 300)] {
                    for before in [false, true] {
                        if before && order == Order::FireThenIntegrate {
                            continue;
                        }
                        let c = Case {
                            per_neuron,
                            with_v0: per_neuron,
                            family,
                            leak,
                            before,
                            with_u0: per_neuron,
                            ..Case::norse(12, 2, n, 1, order, 9 + leak as u64)
                        };
                        check(&c);
                    }
                }
            }
        }
    }
}

/// A leaky cell still fires: the leaky test cases exercise the threshold, not just decay.
#[test]
fn leaky_cells_fire() {
    for leak in 1..LEAKS {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            let c = Case { leak, per_neuron: true, ..Case::norse(16, 2, 70, 1, order, 3) };
            let r = kernels(&data(&c), Threads::Fixed(1));
            let rate = r.z.iter().filter(|&&z| z != 0.0).count() as f64 / r.z.len() as f64;
            assert!(rate > 0.05 && rate < 0.95, "leak {leak} {order:?}: spike rate {rate}");
        }
    }
}

/// U0 and U_T (and their gradients) belong to a cell with a synaptic current: the others
/// refuse them.
#[test]
fn refuses_a_current_without_synapse() {
    let p = params(snnc_ir::Method::Super, 100.0, Order::FireThenIntegrate, vec![1.0], vec![0.0]);
    let cell = IafCell::new(&p, 3).unwrap();
    assert!(!cell.has_current() && !cell.is_leaky());
    let dims = SeqDims { t: 2, b: 1, n: 3 };
    let x = [0.5f32; 6];
    let (mut u, mut gx) = ([0f32; 3], [0f32; 6]);
    assert!(cell
        .forward(dims, &x, None, Some(&[0.0; 3]), IafOutputs::default(), Threads::All)
        .is_err());
    let out = IafOutputs { u_last: Some(&mut u), ..Default::default() };
    assert!(cell.forward(dims, &x, None, None, out, Threads::All).is_err());
    let up = IafUpstream { gu_last: Some(&[0.0; 3]), ..Default::default() };
    let grads = IafGrads { gx: &mut gx, gv0: None, gu0: None };
    assert!(cell.backward(dims, &x, up, grads, Threads::All).is_err());
    let grads = IafGrads { gx: &mut gx, gv0: None, gu0: Some(&mut u) };
    assert!(cell.backward(dims, &x, IafUpstream::default(), grads, Threads::All).is_err());
    let mut p = p;
    p.leak.alpha = vec![0.5];
    let cell = IafCell::new(&p, 3).unwrap();
    assert!(cell.has_current() && cell.is_leaky());
    assert!(cell
        .forward(dims, &x, None, Some(&[0.0; 2]), IafOutputs::default(), Threads::All)
        .is_err());
    // v_out = before_reset needs integrate-then-fire.
    p.v_out = VOut::BeforeReset;
    assert!(IafCell::new(&p, 3).is_err());
}

#[test]
fn refuses_bad_shapes() {
    let p =
        params(snnc_ir::Method::Super, 100.0, Order::FireThenIntegrate, vec![1.0; 3], vec![0.0]);
    assert!(IafCell::new(&p, 4).is_err());
    let cell = IafCell::new(&p, 3).unwrap();
    let dims = SeqDims { t: 2, b: 1, n: 3 };
    let mut z = vec![0f32; 5];
    let out = IafOutputs { z: Some(&mut z), ..Default::default() };
    assert!(cell.forward(dims, &[0.0; 6], None, None, out, Threads::All).is_err());
    assert!(cell
        .forward(dims, &[0.0; 5], None, None, IafOutputs::default(), Threads::All)
        .is_err());
    let mut gx = vec![0f32; 6];
    let up = IafUpstream { gz: Some(&[0.0; 2]), ..Default::default() };
    let grads = IafGrads { gx: &mut gx, gv0: None, gu0: None };
    assert!(cell.backward(dims, &[0.0; 6], up, grads, Threads::All).is_err());
    let out = IafOutputs::default();
    assert!(cell.forward(dims, &[0.0; 6], None, None, out, Threads::Fixed(0)).is_err());
}
