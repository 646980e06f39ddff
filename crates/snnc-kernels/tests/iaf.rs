//! The feed-forward IAF sequence kernel against the reference interpreter.

mod common;

use common::*;
use proptest::prelude::*;
use snnc_ir::{Family, Op, Order, Spikes};
use snnc_kernels::{IafCell, IafOutputs, SeqDims, SpikeBits, Threads};

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
}

/// Everything the kernels produce for one case.
struct Run {
    z: Vec<f32>,
    bits: SpikeBits,
    v_pre: Vec<f32>,
    v_last: Vec<f32>,
    gx: Vec<f32>,
    gv0: Vec<f32>,
}

struct Data {
    cell: IafCell,
    params: snnc_ir::IafParams,
    dims: SeqDims,
    x: Vec<f32>,
    v0: Option<Vec<f32>>,
    gz: Vec<f32>,
    gv: Vec<f32>,
}

fn data(c: &Case) -> Data {
    let mut rng = SeedRng::new(c.seed);
    let (method, alpha) = methods()[c.method];
    let k = if c.per_neuron { c.n } else { 1 };
    let v_th = rng.vec(k, 0.4, 1.5);
    let v_reset = rng.vec(k, -0.3, 0.2);
    let mut params = params(method, alpha, c.order, v_th, v_reset);
    params.family = c.family;
    let dims = SeqDims { t: c.t, b: c.b, n: c.n };
    // Spike counts need currents of several thresholds to reach 2 and more spikes.
    let hi = if c.family.spikes == Spikes::Multi { 3.5 } else { 0.9 };
    let x = rng.vec(c.t * c.b * c.n, -0.4, hi);
    let v0 = c.with_v0.then(|| rng.vec(c.b * c.n, -0.5, 1.5));
    let gz = rng.vec(c.t * c.b * c.n, -1.0, 1.0);
    let gv = rng.vec(c.b * c.n, -1.0, 1.0);
    let cell = IafCell::new(&params, c.n).expect("cell");
    Data { cell, params, dims, x, v0, gz, gv }
}

fn kernels(d: &Data, threads: Threads) -> Run {
    let (seq, state) = (d.dims.seq_len().unwrap(), d.dims.state_len().unwrap());
    let mut z = vec![0f32; seq];
    let mut bits = SpikeBits::zeros(d.dims.t * d.dims.b, d.dims.n).unwrap();
    let mut v_pre = vec![0f32; seq];
    let mut v_last = vec![0f32; state];
    // Spike counts cannot be bit-packed.
    let single = d.cell.family().spikes == Spikes::Single;
    let out = IafOutputs {
        z: Some(&mut z),
        z_bits: single.then_some(&mut bits),
        v_pre: Some(&mut v_pre),
        v_last: Some(&mut v_last),
        z_last: None,
    };
    d.cell.forward(d.dims, &d.x, d.v0.as_deref(), out, threads).expect("forward");
    let mut gx = vec![0f32; seq];
    let mut gv0 = vec![0f32; state];
    d.cell
        .backward(d.dims, &v_pre, Some(&d.gz), Some(&d.gv), &mut gx, Some(&mut gv0), threads)
        .expect("backward");
    Run { z, bits, v_pre, v_last, gx, gv0 }
}

fn check(c: &Case) {
    let d = data(c);
    let (t, b, n) = (c.t, c.b, c.n);
    let r = kernels(&d, Threads::Fixed(1));
    let graph = RefGraph::new(
        Op::Iaf(d.params.clone()),
        vec![("x", vec![t, b, n], Some(d.x.clone())), ("v0", vec![b, n], d.v0.clone())],
        &["z", "v_t"],
    );
    let out = graph.run();
    assert_bits("z", &r.z, &get(&out, "z"));
    assert_bits("v_t", &r.v_last, &get(&out, "v_t"));
    if c.family.spikes == Spikes::Single {
        let mut unpacked = vec![0f32; r.z.len()];
        r.bits.to_f32(&mut unpacked).unwrap();
        assert_bits("bits", &unpacked, &r.z);
    }
    let pre0 = match c.order {
        Order::FireThenIntegrate => {
            d.v0.clone().unwrap_or_else(|| (0..b * n).map(|i| d.params.v_reset_at(i % n)).collect())
        }
        Order::IntegrateThenFire => r.v_pre[..b * n].to_vec(),
    };
    assert_bits("v_pre[0]", &r.v_pre[..b * n], &pre0);
    let grads =
        graph.grad(&[("z", vec![t, b, n], d.gz.clone()), ("v_t", vec![b, n], d.gv.clone())]);
    assert_grad("gx", &r.gx, &get(&grads, "x"));
    if c.with_v0 {
        assert_grad("gv0", &r.gv0, &get(&grads, "v0"));
    }
    for threads in [2, 3] {
        let o = kernels(&d, Threads::Fixed(threads));
        assert_bits("z threads", &o.z, &r.z);
        assert_bits("v_pre threads", &o.v_pre, &r.v_pre);
        assert_bits("v_last threads", &o.v_last, &r.v_last);
        assert_bits("gx threads", &o.gx, &r.gx);
        assert_bits("gv0 threads", &o.gv0, &r.gv0);
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
        order in orders(), per_neuron: bool, with_v0: bool, seed: u64, member in 0usize..14,
    ) {
        let family = members()[member % members().len()];
        check(&Case { t, b, n, method, order, per_neuron, with_v0, seed, family });
    }
}

#[test]
fn every_method_and_order() {
    for method in 0..methods().len() {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            for (per_neuron, with_v0) in [(false, false), (true, true), (true, false)] {
                let c = Case {
                    t: 20,
                    b: 3,
                    n: 70,
                    method,
                    order,
                    per_neuron,
                    with_v0,
                    seed: 7,
                    family: Family::NORSE,
                };
                check(&c);
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
        let c = Case {
            t: 9,
            b: 2,
            n,
            method: 1,
            order,
            per_neuron: true,
            with_v0: true,
            seed: 11,
            family: Family::NORSE,
        };
        check(&c);
    }
}

#[test]
fn every_family_member() {
    for family in members() {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            for (per_neuron, n) in [(false, 70), (true, 300)] {
                let c = Case {
                    t: 16,
                    b: 2,
                    n,
                    method: 1,
                    order,
                    per_neuron,
                    with_v0: per_neuron,
                    seed: 5,
                    family,
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

#[test]
fn refuses_bad_shapes() {
    let p =
        params(snnc_ir::Method::Super, 100.0, Order::FireThenIntegrate, vec![1.0; 3], vec![0.0]);
    assert!(IafCell::new(&p, 4).is_err());
    let cell = IafCell::new(&p, 3).unwrap();
    let dims = SeqDims { t: 2, b: 1, n: 3 };
    let mut z = vec![0f32; 5];
    let out = IafOutputs { z: Some(&mut z), ..Default::default() };
    assert!(cell.forward(dims, &[0.0; 6], None, out, Threads::All).is_err());
    assert!(cell.forward(dims, &[0.0; 5], None, IafOutputs::default(), Threads::All).is_err());
    let mut gx = vec![0f32; 6];
    assert!(cell
        .backward(dims, &[0.0; 6], Some(&[0.0; 2]), None, &mut gx, None, Threads::All)
        .is_err());
    assert!(cell.forward(dims, &[0.0; 6], None, IafOutputs::default(), Threads::Fixed(0)).is_err());
}
