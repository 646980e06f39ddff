//! Every IR op through the compiled engine, on small hand-built graphs, against the reference
//! interpreter: outputs, gradients of every input and weight, 1 vs 2 threads, save → load.

mod common;

use common::*;
use ndarray::{ArrayD, IxDyn};
use snnc_ir::{
    DType, Family, Graph, IafParams, Leak, Op, Order, Reset, ResetGrad, ResetParams, Spikes,
    Surrogate, Tensor, TensorType, Threshold, VOut, ValueId,
};

fn f32s(shape: &[usize]) -> TensorType {
    TensorType::new(DType::F32, shape.to_vec())
}

fn node(g: &mut Graph, op: Op, ins: &[ValueId], out: &str) -> ValueId {
    let ins = ins.iter().map(|&i| Some(i)).collect();
    g.add_node("", op, ins, &[Some(out)]).unwrap()[0].unwrap()
}

fn scalar(g: &mut Graph, name: &str, x: f32) -> ValueId {
    g.add_initializer(name, Tensor::scalar_f32(x)).unwrap()
}

fn init(g: &mut Graph, name: &str, shape: &[usize], seed: u64) -> ValueId {
    g.add_initializer(name, tensor(shape, -0.5, 0.5, seed)).unwrap()
}

fn i64s(v: &[i64]) -> Tensor {
    Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())
}

#[test]
fn elementwise_ops_with_broadcasting() {
    let mut g = Graph::new("elementwise");
    let a = g.add_input("a", f32s(&[2, 3, 4])).unwrap();
    let b = g.add_input("b", f32s(&[3, 1])).unwrap();
    let c = init(&mut g, "c", &[4], 1);
    let three = scalar(&mut g, "three", 3.0);
    let ab = node(&mut g, Op::Mul, &[a, b], "ab");
    let c3 = node(&mut g, Op::Add, &[c, three], "c3");
    let y1 = node(&mut g, Op::Div, &[ab, c3], "y1");
    let lt = node(&mut g, Op::Less, &[a, c], "lt");
    let sa = node(&mut g, Op::Sigmoid, &[a], "sa");
    let na = node(&mut g, Op::Neg, &[a], "na");
    let ta = node(&mut g, Op::Tanh, &[na], "ta");
    let y2 = node(&mut g, Op::Where, &[lt, sa, ta], "y2");
    let d = node(&mut g, Op::Sub, &[a, b], "d");
    let y3 = node(&mut g, Op::Relu, &[d], "y3");
    let gt = node(&mut g, Op::Greater, &[a, b], "gt");
    let y4 = node(&mut g, Op::Cast { to: DType::F32 }, &[gt], "y4");
    let ten = scalar(&mut g, "ten", 10.0);
    let a10 = node(&mut g, Op::Mul, &[a, ten], "a10");
    let ai = node(&mut g, Op::Cast { to: DType::I64 }, &[a10], "ai");
    let k3 = g.add_initializer("k3", i64s(&[3])).unwrap();
    let y5 = node(&mut g, Op::Div, &[ai, k3], "y5");
    let y6 = node(&mut g, Op::Cast { to: DType::Bool }, &[y5], "y6");
    let sp = node(&mut g, Op::Spike { surrogate: "triangle:2".parse().unwrap() }, &[d], "sp");
    let y7 = node(&mut g, Op::Mul, &[sp, y3], "y7");
    for y in [y1, y2, y3, y4, y5, y6, y7] {
        g.add_output(y).unwrap();
    }
    let inputs = vec![
        ("a".into(), tensor(&[2, 3, 4], -1.0, 1.0, 2)),
        ("b".into(), tensor(&[3, 1], -1.0, 1.0, 3)),
    ];
    check_graph(&g, &inputs, "circ:2".parse().unwrap());
}

/// Where with each input broadcast: a [3,1] condition, a [4] weight and a scalar as branches,
/// and a bool weight as the condition; each branch's gradient is summed back to its shape.
#[test]
fn where_broadcasts_every_input() {
    let mut g = Graph::new("where");
    let a = g.add_input("a", f32s(&[2, 3, 4])).unwrap();
    let b = g.add_input("b", f32s(&[3, 1])).unwrap();
    let w = init(&mut g, "w", &[4], 14);
    let zero = scalar(&mut g, "zero", 0.0);
    let c = node(&mut g, Op::Greater, &[b, zero], "c");
    let y1 = node(&mut g, Op::Where, &[c, w, a], "y1");
    let z = node(&mut g, Op::Greater, &[a, zero], "z");
    let nz = node(&mut g, Op::Not, &[z], "nz");
    let y2 = node(&mut g, Op::Where, &[nz, b, zero], "y2");
    let mask = Tensor::Bool(ArrayD::from_shape_vec(IxDyn(&[2, 1, 1]), vec![false, true]).unwrap());
    let m = g.add_initializer("m", mask).unwrap();
    let y3 = node(&mut g, Op::Where, &[m, y1, w], "y3");
    for y in [y1, y2, y3] {
        g.add_output(y).unwrap();
    }
    let inputs = vec![
        ("a".into(), tensor(&[2, 3, 4], -1.0, 1.0, 15)),
        ("b".into(), tensor(&[3, 1], -1.0, 1.0, 16)),
    ];
    check_graph(&g, &inputs, Surrogate::default());
}

#[test]
fn shape_ops() {
    let mut g = Graph::new("shapes");
    let x = g.add_input("x", f32s(&[2, 3, 4])).unwrap();
    let t = node(&mut g, Op::Transpose { perm: vec![2, 0, 1] }, &[x], "t");
    let r = node(&mut g, Op::Reshape { shape: vec![4, -1] }, &[t], "r");
    let idx = g.add_initializer("idx", i64s(&[-1, 0, 2, 2])).unwrap();
    let ga = node(&mut g, Op::Gather { axis: 1 }, &[r, idx], "ga");
    let u = node(&mut g, Op::Unsqueeze { axes: vec![0] }, &[ga], "u");
    let w = init(&mut g, "w", &[1, 4, 2], 4);
    let cc = node(&mut g, Op::Concat { axis: 2 }, &[u, w, u], "cc");
    let s = node(&mut g, Op::Squeeze { axes: vec![0] }, &[cc], "s");
    let id = node(&mut g, Op::Identity, &[s], "id");
    let rt = node(&mut g, Op::Transpose { perm: vec![] }, &[id], "rt");
    let y = node(&mut g, Op::Mul, &[rt, rt], "y");
    g.add_output(y).unwrap();
    g.add_output(ga).unwrap();
    check_graph(&g, &[("x".into(), tensor(&[2, 3, 4], -1.0, 1.0, 5))], Surrogate::default());
}

#[test]
fn gemm_and_matmul() {
    let mut g = Graph::new("products");
    let a = g.add_input("a", f32s(&[5, 3])).unwrap();
    let b = init(&mut g, "b", &[4, 5], 6);
    let c = init(&mut g, "c", &[1, 4], 7);
    let op = Op::Gemm { alpha: 0.5, beta: 2.0, trans_a: true, trans_b: true };
    let y1 =
        g.add_node("", op, vec![Some(a), Some(b), Some(c)], &[Some("y1")]).unwrap()[0].unwrap();
    let c2 = init(&mut g, "c2", &[3, 1], 8);
    let b2 = init(&mut g, "b2", &[4, 2], 9);
    let op2 = Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: false };
    let y2 = g.add_node("", op2, vec![Some(y1), Some(b2)], &[Some("y2")]).unwrap()[0].unwrap();
    let op3 = Op::Gemm { alpha: 1.0, beta: -1.0, trans_a: true, trans_b: false };
    let y3 =
        g.add_node("", op3, vec![Some(a), Some(a), Some(c2)], &[Some("y3")]).unwrap()[0].unwrap();
    let m = g.add_input("m", f32s(&[2, 1, 3, 4])).unwrap();
    let n = init(&mut g, "n", &[3, 4, 5], 10);
    let y4 = node(&mut g, Op::MatMul, &[m, n], "y4");
    let v = g.add_input("v", f32s(&[4])).unwrap();
    let y5 = node(&mut g, Op::MatMul, &[v, n], "y5");
    let y6 = node(&mut g, Op::MatMul, &[m, v], "y6");
    for y in [y1, y2, y3, y4, y5, y6] {
        g.add_output(y).unwrap();
    }
    let inputs = vec![
        ("a".into(), tensor(&[5, 3], -1.0, 1.0, 11)),
        ("m".into(), tensor(&[2, 1, 3, 4], -1.0, 1.0, 12)),
        ("v".into(), tensor(&[4], -1.0, 1.0, 13)),
    ];
    check_graph(&g, &inputs, Surrogate::default());
}

fn params(v_th: Vec<f32>, order: Order, surrogate: &str) -> IafParams {
    IafParams {
        v_th,
        v_reset: vec![0.1],
        surrogate: surrogate.parse().unwrap(),
        order,
        family: Default::default(),
        ..Default::default()
    }
}

#[test]
fn fused_snn_ops() {
    fused_snn_graph(Family::NORSE);
}

/// Every member of the IF family (SPEC §1.1) in every IAF op the engine runs: feed-forward,
/// step, spike-reset, and recurrent (single-spike members; spike counts are refused there),
/// outputs and gradients against the reference. A SpikeLinear fed by spike counts is planned
/// dense.
#[test]
fn every_family_member_in_every_iaf_op() {
    for f in Family::members() {
        fused_snn_graph(f);
    }
}

/// The graph of [`fused_snn_ops`] with family member `fam` (Norse's in the recurrent ops when
/// `fam` has spike counts).
fn fused_snn_graph(fam: Family) {
    let rec_fam = if fam.spikes == Spikes::Multi { Family::NORSE } else { fam };
    let (t, b, k, n) = (6, 3, 5, 7);
    let mut g = Graph::new("fused");
    let x = g.add_input("x", f32s(&[t, b, k])).unwrap();
    let w1 = init(&mut g, "w1", &[n, k], 20);
    let b1 = init(&mut g, "b1", &[n], 21);
    let h = g
        .add_node("", Op::Linear { trans_b: true }, vec![Some(x), Some(w1), Some(b1)], &[Some("h")])
        .unwrap()[0]
        .unwrap();
    let th: Vec<f32> = (0..n).map(|i| 0.2 + 0.05 * i as f32).collect();
    let mut p1 = params(th.clone(), Order::IntegrateThenFire, "super:3");
    p1.family = fam;
    let o = g.add_node("", Op::Iaf(p1), vec![Some(h)], &[Some("z1"), Some("v1")]).unwrap();
    let (z1, v1) = (o[0].unwrap(), o[1].unwrap());
    let w2 = init(&mut g, "w2", &[n, 4], 22);
    let h2 = g
        .add_node("", Op::SpikeLinear { trans_b: false }, vec![Some(z1), Some(w2)], &[Some("h2")])
        .unwrap()[0]
        .unwrap();
    let rp = ResetParams {
        v_th: vec![0.05],
        v_reset: vec![-0.1, 0.0, 0.1, 0.2],
        surrogate: "tanh:2".parse().unwrap(),
        family: fam,
        reset_amount: None,
    };
    let o = g.add_node("", Op::SpikeReset(rp), vec![Some(h2)], &[Some("zr"), Some("vr")]).unwrap();
    let (zr, vr) = (o[0].unwrap(), o[1].unwrap());
    let wi = init(&mut g, "wi", &[3, n], 23);
    let r = init(&mut g, "r", &[3, 3], 24);
    let v0 = g.add_input("v0", f32s(&[b, 3])).unwrap();
    let z0 = g.add_input("z0", f32s(&[b, 3])).unwrap();
    let mut p2 = params(vec![0.15], Order::FireThenIntegrate, "heavi_erfc:1.5");
    p2.family = rec_fam;
    let ins = vec![Some(z1), Some(wi), Some(r), Some(v0), Some(z0)];
    let o = g
        .add_node(
            "",
            Op::IafRecurrent(p2.clone()),
            ins,
            &[Some("zrec"), Some("vrec"), Some("zlast")],
        )
        .unwrap();
    let x1 = g.add_input("x1", f32s(&[b, n])).unwrap();
    let wr = g.add_input("wr", f32s(&[3, n])).unwrap();
    let ins = vec![Some(x1), Some(z0), Some(v0), Some(wr), Some(r)];
    let s = g.add_node("", Op::IafStep(p2), ins, &[Some("zs"), Some("vs")]).unwrap();
    let mut p3 = params(vec![0.3], Order::FireThenIntegrate, "circ:1");
    p3.family = fam;
    let f = g
        .add_node(
            "",
            Op::IafFeedForwardStep(p3),
            vec![Some(x1), Some(x1)],
            &[Some("zf"), Some("vf")],
        )
        .unwrap();
    let wx = g.add_input("wx", f32s(&[4, n])).unwrap();
    let h3 = g
        .add_node("", Op::SpikeLinear { trans_b: true }, vec![Some(z1), Some(wx)], &[Some("h3")])
        .unwrap()[0]
        .unwrap();
    for y in [z1, v1, zr, vr, h3] {
        g.add_output(y).unwrap();
    }
    for y in o.into_iter().chain(s).chain(f).flatten() {
        g.add_output(y).unwrap();
    }
    let inputs = vec![
        ("x".into(), tensor(&[t, b, k], -0.3, 1.0, 30)),
        ("v0".into(), tensor(&[b, 3], -0.2, 0.3, 31)),
        ("z0".into(), tensor(&[b, 3], 0.0, 1.0, 32)),
        ("x1".into(), tensor(&[b, n], -0.5, 1.0, 33)),
        ("wr".into(), tensor(&[3, n], -0.5, 0.5, 34)),
        ("wx".into(), tensor(&[4, n], -0.5, 0.5, 35)),
    ];
    check_graph(&g, &inputs, Surrogate::default());
}

/// A long unrolled chain: enough buffers that the training program is placed by the linear
/// scan instead of the greedy method.
#[test]
fn long_chain_with_thousands_of_buffers() {
    let mut g = Graph::new("chain");
    let x = g.add_input("x", f32s(&[3, 4])).unwrap();
    let c = init(&mut g, "c", &[4], 40);
    let (mut y, mut s) = (x, x);
    for i in 0..1500 {
        let m = node(&mut g, Op::Mul, &[y, c], &format!("m{i}"));
        y = node(&mut g, Op::Sigmoid, &[m], &format!("y{i}"));
        s = node(&mut g, Op::Add, &[s, y], &format!("s{i}"));
    }
    g.add_output(s).unwrap();
    let plan = snnc_plan::compile(&g, &Default::default()).unwrap();
    assert!(plan.train().stats.buffers > 4096, "{}", plan.summary());
    check_graph(&g, &[("x".into(), tensor(&[3, 4], -1.0, 1.0, 41))], Surrogate::default());
}

/// A leaky configuration (SPEC §1.2) of the IAF ops' tests.
#[derive(Debug, Clone, Copy)]
struct Leaky {
    /// A synaptic current (α ≠ 0): U0 inputs and U_T outputs.
    current: bool,
    /// Per-neuron α, β, γ, v_leak (some neurons without a current, some without a leak).
    per_neuron: bool,
    order: Order,
    /// V_T before the reset (integrate-then-fire only).
    before: bool,
}

/// The leak of `n` neurons for `c`.
fn leak(c: Leaky, n: usize, seed: u64) -> Leak {
    let k = if c.per_neuron { n } else { 1 };
    let v = |lo, hi, s| uniform(k, lo, hi, seed * 10 + s);
    let mut l = Leak {
        alpha: if c.current { v(0.5, 0.9, 1) } else { vec![0.0] },
        beta: v(0.7, 0.95, 2),
        gamma: v(0.5, 1.5, 3),
        v_leak: v(-0.1, 0.1, 4),
    };
    if c.per_neuron && n > 2 {
        // One neuron without a current, one that integrates without a leak.
        if c.current {
            l.alpha[0] = 0.0;
        }
        (l.beta[1], l.gamma[1]) = (1.0, 1.0);
    }
    l
}

/// Leaky parameters of `n` neurons, member `fam`, for `c`.
fn leaky_params(fam: Family, c: Leaky, n: usize, v_th: Vec<f32>, sg: &str, seed: u64) -> IafParams {
    let mut p = params(v_th, c.order, sg);
    p.family = fam;
    p.leak = leak(c, n, seed);
    if c.before {
        p.v_out = VOut::BeforeReset;
    }
    p
}

/// Adds node `name` with inputs `ins` and outputs `outs`, leaving out trailing absent slots
/// (a cell without a current has no U slot).
fn add(
    g: &mut Graph,
    name: &str,
    op: Op,
    mut ins: Vec<Option<ValueId>>,
    outs: &[Option<&str>],
) -> Vec<Option<ValueId>> {
    while ins.last() == Some(&None) {
        ins.pop();
    }
    let k = outs.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    g.add_node(name, op, ins, &outs[..k]).unwrap()
}

/// Adds graph input `name` `[b, n]` when the cell has a current (the U0 / U input slot).
fn u_input(g: &mut Graph, c: Leaky, name: &str, shape: &[usize]) -> Option<ValueId> {
    c.current.then(|| g.add_input(name, f32s(shape)).unwrap())
}

/// Every IAF op with a leaky cell of member `fam` (the leaky integrator included): a linear
/// layer into a feed-forward layer (fused), its spikes through a spike-linear into a second
/// one (the fused event-driven pass on real spikes), a recurrent layer, both step ops; U0 and
/// U_T of every op with a current; outputs and gradients of every input and weight against
/// the reference. Inputs are drawn until no spike sits near its threshold.
fn leaky_snn_graph(fam: Family, c: Leaky) {
    let li = fam.is_integrator();
    let (t, b, k, n, h) = (6, 3, 5, 7, 4);
    let mut g = Graph::new("leaky");
    let x = g.add_input("x", f32s(&[t, b, k])).unwrap();
    let w1 = init(&mut g, "w1", &[n, k], 60);
    let b1 = init(&mut g, "b1", &[n], 61);
    let hh = g
        .add_node("", Op::Linear { trans_b: true }, vec![Some(x), Some(w1), Some(b1)], &[Some("h")])
        .unwrap()[0]
        .unwrap();
    let th: Vec<f32> = (0..n).map(|i| 0.2 + 0.05 * i as f32).collect();
    let p1 = leaky_params(fam, c, n, th, "super:3", 1);
    let u0 = u_input(&mut g, c, "u0", &[b, n]);
    let outs = [Some("z1"), Some("v1"), c.current.then_some("u1")];
    let o1 = add(&mut g, "lif1", Op::Iaf(p1), vec![Some(hh), None, u0], &outs);
    let z1 = o1[0].unwrap();
    // Spikes go through a spike-linear layer; a leaky integrator's potentials through a
    // linear one.
    let w2 = init(&mut g, "w2", &[h, n], 62);
    let lin = if li { Op::Linear { trans_b: true } } else { Op::SpikeLinear { trans_b: true } };
    let h2 = g.add_node("", lin, vec![Some(z1), Some(w2)], &[Some("h2")]).unwrap()[0].unwrap();
    let v0 = g.add_input("v0", f32s(&[b, h])).unwrap();
    let p2 = leaky_params(fam, c, h, vec![0.25], "triangle:1", 2);
    let u0b = u_input(&mut g, c, "u0b", &[b, h]);
    let outs = [Some("z2"), Some("v2"), c.current.then_some("u2")];
    let o2 = add(&mut g, "lif2", Op::Iaf(p2), vec![Some(h2), Some(v0), u0b], &outs);
    let wi = init(&mut g, "wi", &[h, n], 63);
    let r = init(&mut g, "r", &[h, h], 64);
    let z0 = g.add_input("z0", f32s(&[b, h])).unwrap();
    let p3 = leaky_params(fam, c, h, vec![0.15], "heavi_erfc:1.5", 3);
    let u0r = u_input(&mut g, c, "u0r", &[b, h]);
    let ins = vec![Some(z1), Some(wi), Some(r), Some(v0), Some(z0), u0r];
    let outs = [Some("zrec"), Some("vrec"), Some("zlast"), c.current.then_some("urec")];
    let o3 = add(&mut g, "lifrec", Op::IafRecurrent(p3.clone()), ins, &outs);
    let x1 = g.add_input("x1", f32s(&[b, n])).unwrap();
    let wr = g.add_input("wr", f32s(&[h, n])).unwrap();
    let ins = vec![Some(x1), Some(z0), Some(v0), Some(wr), Some(r), u0r];
    let outs = [Some("zs"), Some("vs"), c.current.then_some("us")];
    let o4 = add(&mut g, "lifstep", Op::IafStep(p3), ins, &outs);
    let p5 = leaky_params(fam, c, n, vec![0.3], "circ:1", 5);
    let u0f = u_input(&mut g, c, "u0f", &[b, n]);
    let outs = [Some("zf"), Some("vf"), c.current.then_some("uf")];
    let o5 = add(&mut g, "lifff", Op::IafFeedForwardStep(p5), vec![Some(x1), Some(x1), u0f], &outs);
    for y in [o1, o2, o3, o4, o5].into_iter().flatten().flatten() {
        g.add_output(y).unwrap();
    }
    let mut shapes = vec![
        ("x", vec![t, b, k], -0.3, 1.0),
        ("v0", vec![b, h], -0.2, 0.3),
        ("z0", vec![b, h], 0.0, 1.0),
        ("x1", vec![b, n], -0.5, 1.0),
        ("wr", vec![h, n], -0.5, 0.5),
    ];
    if c.current {
        for u in ["u0", "u0f"] {
            shapes.push((u, vec![b, n], -0.3, 0.5));
        }
        for u in ["u0b", "u0r"] {
            shapes.push((u, vec![b, h], -0.3, 0.5));
        }
    }
    for seed in 0..40 {
        let inputs: Vec<(String, Tensor)> = shapes
            .iter()
            .enumerate()
            .map(|(i, (name, s, lo, hi))| {
                (name.to_string(), tensor(s, *lo, *hi, 1000 * seed + i as u64))
            })
            .collect();
        if snnc_interp::spike_margins(&g, &inputs).expect("margins") > 1e-4 {
            check_graph(&g, &inputs, Surrogate::default());
            return;
        }
    }
    panic!("{fam:?} {c:?}: every input sat near a threshold");
}

/// The leaky cell in every IAF op: LIF and current-based LIF, scalar and per-neuron
/// parameters, both orders, V_T after and before the reset, for Norse's cell, a few other
/// members (single and multiple spikes) and the leaky integrator.
#[test]
fn leaky_cells_in_every_iaf_op() {
    let members = [
        Family::NORSE,
        Family { reset: Reset::Subtract, reset_grad: ResetGrad::Detached, ..Family::NORSE },
        Family { threshold: Threshold::Ge, reset: Reset::None, ..Family::NORSE },
        Family::LI,
    ];
    for fam in members {
        for (current, per_neuron) in [(false, false), (true, false), (true, true)] {
            for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
                for before in [false, true] {
                    if before && order == Order::FireThenIntegrate {
                        continue;
                    }
                    leaky_snn_graph(fam, Leaky { current, per_neuron, order, before });
                }
            }
        }
    }
}

/// Spike counts (`spikes = multi`) with a leak, in the feed-forward ops (the recurrent ones
/// refuse spike counts whatever the leak).
#[test]
fn leaky_multi_spikes() {
    let fam = Family {
        threshold: Threshold::Ge,
        reset: Reset::Subtract,
        spikes: Spikes::Multi,
        ..Family::NORSE
    };
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let c = Leaky { current: true, per_neuron: true, order, before: false };
        let (t, b, n) = (6, 3, 7);
        let mut g = Graph::new("multi");
        let x = g.add_input("x", f32s(&[t, b, n])).unwrap();
        let u0 = g.add_input("u0", f32s(&[b, n])).unwrap();
        let p = leaky_params(fam, c, n, vec![0.2], "super:3", 7);
        let o = g
            .add_node(
                "lif",
                Op::Iaf(p),
                vec![Some(x), None, Some(u0)],
                &[Some("z"), Some("v"), Some("u")],
            )
            .unwrap();
        for y in o.into_iter().flatten() {
            g.add_output(y).unwrap();
        }
        let inputs = vec![
            ("x".into(), tensor(&[t, b, n], -0.2, 1.5, 70)),
            ("u0".into(), tensor(&[b, n], -0.3, 0.5, 71)),
        ];
        check_graph(&g, &inputs, Surrogate::default());
    }
}
