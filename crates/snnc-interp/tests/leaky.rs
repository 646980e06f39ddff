//! The leaky cell (SPEC §1.2) on the `snn` ops against its primitive spelling.
//!
//! The primitive graph spells every step with ONNX ops in the order the reference rounds them:
//! `u = α·u + x`, `v̂ = v_leak + β·(v − v_leak) + γ·u`, then `Sub`/`Greater`/`Cast` and the
//! reset. In f64 both spellings round the same way, so outputs agree exactly, and with the
//! surrogate's gradient on both sides the gradients agree to rounding. The op's gradients also
//! match central differences along the smooth path (heaviside surrogate, margins kept).

mod common;

use common::*;
use snnc_interp::{grad, run, spike_margins, GradOptions};
use snnc_ir::{
    DType, Family, Graph, IafParams, Leak, Method, Op, Order, Reset, Surrogate, Tensor, VOut,
    ValueId,
};

const T: usize = 6;
const B: usize = 2;
const N: usize = 3;

fn leak(current: bool) -> Leak {
    Leak {
        alpha: if current { vec![0.5, 0.75, 0.25] } else { vec![0.0] },
        beta: vec![0.875, 0.75, 0.9375],
        gamma: vec![0.25, 0.5, 1.0],
        v_leak: vec![-0.125, 0.0, 0.25],
    }
}

fn params(order: Order, family: Family, current: bool, v_out: VOut) -> IafParams {
    IafParams {
        v_th: vec![0.5, 0.75, 0.375],
        v_reset: vec![-0.25, 0.0, 0.125],
        surrogate: Surrogate::new(Method::Super, 10.0).unwrap(),
        order,
        family,
        leak: leak(current),
        v_out,
        reset_amount: None,
    }
}

fn per_neuron(g: &mut Graph, v: &[f32], name: &str) -> ValueId {
    let vals: Vec<f64> = (0..N).map(|n| v[if v.len() == 1 { 0 } else { n }] as f64).collect();
    constant(g, t64(&[N], &vals), name)
}

/// The `snn.IAF` op over X [T,B,N] with V0 (and U0 with a current); outputs Z (or the
/// potentials of a leaky integrator), V_T and U_T.
fn sequence(p: &IafParams) -> Graph {
    let mut g = Graph::new("seq");
    let x = input(&mut g, "X", DType::F64, &[T, B, N]);
    let v0 = input(&mut g, "V0", DType::F64, &[B, N]);
    let mut args = vec![Some(x), Some(v0)];
    let mut names = vec![Some("Z"), Some("V_T")];
    if p.leak.has_current() {
        args.push(Some(input(&mut g, "U0", DType::F64, &[B, N])));
        names.push(Some("U_T"));
    }
    let outs = g.add_node("cell", Op::Iaf(p.clone()), args, &names).unwrap();
    for o in outs {
        g.add_output(o.unwrap()).unwrap();
    }
    g
}

/// The same layer as plain ops, unrolled over T.
fn primitives(p: &IafParams) -> Graph {
    let mut g = Graph::new("prims");
    let x = input(&mut g, "X", DType::F64, &[T, B, N]);
    let mut v = input(&mut g, "V0", DType::F64, &[B, N]);
    let current = p.leak.has_current();
    let mut u = current.then(|| input(&mut g, "U0", DType::F64, &[B, N]));
    let g_ = &mut g;
    let th = per_neuron(g_, &p.v_th, "th");
    let rd = p.reset_amount.as_ref().map_or(th, |a| per_neuron(g_, a, "rd"));
    let r = per_neuron(g_, &p.v_reset, "r");
    let (al, be, ga, vl) = (
        per_neuron(g_, &p.leak.alpha, "alpha"),
        per_neuron(g_, &p.leak.beta, "beta"),
        per_neuron(g_, &p.leak.gamma, "gamma"),
        per_neuron(g_, &p.leak.v_leak, "vleak"),
    );
    let one = constant(g_, t64(&[], &[1.0]), "one");
    let zero = constant(g_, t64(&[], &[0.0]), "zero");
    let li = p.family.is_integrator();
    let (mut outs, mut last_hat) = (Vec::new(), None);
    for t in 0..T {
        let n = |s: &str| format!("{s}{t}");
        let idx = constant(g_, ti64(&[], &[t as i64]), &n("t"));
        let xt = op(g_, Op::Gather { axis: 0 }, &[x, idx], &n("x"));
        let ut = match u {
            Some(u) => {
                let au = op(g_, Op::Mul, &[al, u], &n("au"));
                op(g_, Op::Add, &[au, xt], &n("u"))
            }
            None => xt,
        };
        if current {
            u = Some(ut);
        }
        let integrate = |g: &mut Graph, w: ValueId| {
            let d = op(g, Op::Sub, &[w, vl], &n("d"));
            let bd = op(g, Op::Mul, &[be, d], &n("bd"));
            let lk = op(g, Op::Add, &[vl, bd], &n("lk"));
            let gu = op(g, Op::Mul, &[ga, ut], &n("gu"));
            op(g, Op::Add, &[lk, gu], &n("vh"))
        };
        let fire = |g: &mut Graph, w: ValueId| {
            let s = op(g, Op::Sub, &[w, th], &n("s"));
            let c = op(g, Op::Greater, &[s, zero], &n("gt"));
            let z = op(g, Op::Cast { to: DType::F64 }, &[c], &n("z"));
            let after = match p.family.reset {
                Reset::Value => {
                    let omz = op(g, Op::Sub, &[one, z], &n("omz"));
                    let keep = op(g, Op::Mul, &[omz, w], &n("keep"));
                    let rs = op(g, Op::Mul, &[z, r], &n("rs"));
                    op(g, Op::Add, &[keep, rs], &n("after"))
                }
                Reset::Subtract => {
                    let zt = op(g, Op::Mul, &[z, rd], &n("zt"));
                    op(g, Op::Sub, &[w, zt], &n("after"))
                }
                Reset::None => w,
            };
            (z, after)
        };
        let (z, next) = if li {
            let vh = integrate(g_, v);
            (vh, vh)
        } else {
            match p.order {
                Order::FireThenIntegrate => {
                    let (z, after) = fire(g_, v);
                    (z, integrate(g_, after))
                }
                Order::IntegrateThenFire => {
                    let vh = integrate(g_, v);
                    last_hat = Some(vh);
                    fire(g_, vh)
                }
            }
        };
        outs.push(op(g_, Op::Unsqueeze { axes: vec![0] }, &[z], &n("zu")));
        v = next;
    }
    let zs = op(g_, Op::Concat { axis: 0 }, &outs, "Z");
    let vt = match (p.v_out, last_hat) {
        (VOut::BeforeReset, Some(h)) => h,
        _ => v,
    };
    let vt = op(g_, Op::Identity, &[vt], "V_T");
    g.add_output(zs).unwrap();
    g.add_output(vt).unwrap();
    if let Some(u) = u {
        let ut = op(&mut g, Op::Identity, &[u], "U_T");
        g.add_output(ut).unwrap();
    }
    g
}

fn feed(p: &IafParams, seed: u64) -> Vec<(String, Tensor)> {
    let mut rng = Rng::new(seed);
    let mut f = vec![
        ("X".to_string(), rng.tensor(&[T, B, N], -0.5, 1.5)),
        ("V0".to_string(), rng.tensor(&[B, N], -0.3, 0.6)),
    ];
    if p.leak.has_current() {
        f.push(("U0".to_string(), rng.tensor(&[B, N], -0.5, 0.5)));
    }
    f
}

/// Every combination the cell offers: both orders, value/subtract resets, attached and
/// detached, with and without a current, V_T after and before the reset, the leaky
/// integrator, and a subtract reset of its own amount (per neuron, and scalar).
fn cases() -> Vec<IafParams> {
    let mut out = Vec::new();
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        for reset in [Reset::Value, Reset::Subtract] {
            for current in [false, true] {
                let family = Family { reset, ..Family::NORSE };
                out.push(params(order, family, current, VOut::AfterReset));
            }
        }
        out.push(params(order, Family::LI, true, VOut::AfterReset));
        out.push(params(order, Family::LI, false, VOut::AfterReset));
    }
    for current in [false, true] {
        let family = Family { reset: Reset::Subtract, ..Family::NORSE };
        out.push(params(Order::IntegrateThenFire, family, current, VOut::BeforeReset));
    }
    let family = Family { reset: Reset::Subtract, ..Family::NORSE };
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let amount = Some(vec![0.625, 0.875, 0.5]);
        out.push(IafParams {
            reset_amount: amount,
            ..params(order, family, true, VOut::AfterReset)
        });
    }
    let scalar = Some(vec![0.5625]);
    let before = params(Order::IntegrateThenFire, family, false, VOut::BeforeReset);
    out.push(IafParams { reset_amount: scalar, ..before });
    out
}

#[test]
fn op_matches_its_primitive_spelling_forward_and_backward() {
    let opts = GradOptions {
        surrogate: Surrogate::new(Method::Super, 10.0).unwrap(),
        ..Default::default()
    };
    for p in cases() {
        let (seq, prims) = (sequence(&p), primitives(&p));
        for seed in 0..4 {
            let f = feed(&p, seed);
            let (a, b) = (run(&seq, &f).unwrap(), run(&prims, &f).unwrap());
            assert_eq!(a.len(), b.len());
            for ((name, x), (_, y)) in a.iter().zip(&b) {
                assert_eq!(vals(x), vals(y), "{name} of {p:?}");
            }
            let spikes: f64 = vals(&a[0].1).iter().filter(|&&z| z == 1.0).count() as f64;
            assert!(p.family.is_integrator() || spikes > 0.0, "no spikes for {p:?}");
            let gouts = random_gouts(&seq, &f, &mut Rng::new(seed + 10));
            let (ga, gb) =
                (grad(&seq, &f, &gouts, &opts).unwrap(), grad(&prims, &f, &gouts, &opts).unwrap());
            for (name, _) in &f {
                assert_close(
                    &format!("d/d{name} of {p:?}"),
                    &vals(get(&ga.grads, name)),
                    &vals(get(&gb.grads, name)),
                    1e-12,
                );
            }
        }
    }
}

#[test]
fn gradients_match_central_differences() {
    let heaviside = Surrogate::new(Method::Heaviside, 1.0).unwrap();
    for mut p in cases() {
        p.surrogate = heaviside;
        let g = sequence(&p);
        let f = (0..200)
            .map(|s| feed(&p, s))
            .find(|f| spike_margins(&g, f).unwrap() >= 1e-3)
            .expect("a feed with margins");
        let gouts = random_gouts(&g, &f, &mut Rng::new(5));
        fd_check(
            &g,
            &f,
            &gouts,
            &GradOptions { surrogate: heaviside, ..Default::default() },
            1e-6,
            1e-6,
        );
    }
}

/// A chain of feed-forward steps threading V and U is the sequence op.
#[test]
fn step_chain_threads_the_current() {
    let family = Family { reset: Reset::Subtract, ..Family::NORSE };
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let p = params(order, family, true, VOut::AfterReset);
        let mut g = Graph::new("steps");
        let x = input(&mut g, "X", DType::F64, &[T, B, N]);
        let mut v = input(&mut g, "V0", DType::F64, &[B, N]);
        let mut u = input(&mut g, "U0", DType::F64, &[B, N]);
        let mut zs = Vec::new();
        for t in 0..T {
            let idx = constant(&mut g, ti64(&[], &[t as i64]), &format!("t{t}"));
            let xt = op(&mut g, Op::Gather { axis: 0 }, &[x, idx], &format!("x{t}"));
            let names = [format!("z{t}"), format!("v{t}"), format!("u{t}")];
            let outs = g
                .add_node(
                    &format!("step{t}"),
                    Op::IafFeedForwardStep(p.clone()),
                    vec![Some(xt), Some(v), Some(u)],
                    &[Some(&names[0]), Some(&names[1]), Some(&names[2])],
                )
                .unwrap();
            let z = outs[0].unwrap();
            (v, u) = (outs[1].unwrap(), outs[2].unwrap());
            zs.push(op(&mut g, Op::Unsqueeze { axes: vec![0] }, &[z], &format!("zu{t}")));
        }
        let z = op(&mut g, Op::Concat { axis: 0 }, &zs, "Z");
        let vt = op(&mut g, Op::Identity, &[v], "V_T");
        let ut = op(&mut g, Op::Identity, &[u], "U_T");
        for o in [z, vt, ut] {
            g.add_output(o).unwrap();
        }
        let seq = sequence(&p);
        let opts = GradOptions::default();
        for seed in 0..3 {
            let f = feed(&p, seed);
            let (a, b) = (run(&seq, &f).unwrap(), run(&g, &f).unwrap());
            for ((name, x), (_, y)) in a.iter().zip(&b) {
                assert_eq!(vals(x), vals(y), "{name}");
            }
            let gouts = random_gouts(&seq, &f, &mut Rng::new(seed));
            let (ga, gb) =
                (grad(&seq, &f, &gouts, &opts).unwrap(), grad(&g, &f, &gouts, &opts).unwrap());
            for (name, _) in &f {
                assert_close(name, &vals(get(&ga.grads, name)), &vals(get(&gb.grads, name)), 1e-12);
            }
        }
    }
}

/// A current state on a cell without a current (one input too many), and v_out = before_reset with the other order,
/// are refused by type inference.
#[test]
fn misuse_is_refused() {
    let p = params(Order::IntegrateThenFire, Family::NORSE, false, VOut::AfterReset);
    let mut g = Graph::new("bad");
    let x = input(&mut g, "X", DType::F64, &[T, B, N]);
    let v0 = input(&mut g, "V0", DType::F64, &[B, N]);
    let u0 = input(&mut g, "U0", DType::F64, &[B, N]);
    let err = g.add_node("c", Op::Iaf(p), vec![Some(x), Some(v0), Some(u0)], &[Some("Z")]);
    assert!(format!("{:?}", err.unwrap_err()).contains("takes 1..2 inputs"));
    let q = params(Order::FireThenIntegrate, Family::NORSE, false, VOut::BeforeReset);
    let err = g.add_node("d", Op::Iaf(q), vec![Some(x)], &[Some("Z2")]);
    assert!(format!("{:?}", err.unwrap_err()).contains("before_reset"));
}
