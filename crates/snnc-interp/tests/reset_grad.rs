//! `reset_grad = detached` on plain exports: the interpreter drops the gradient along a spike's
//! reset uses, and only those. Each reset spelling runs a small recurrent two-step layer whose
//! spikes also feed a recurrent Gemm, a next-layer Gemm and the output sequence; the oracle is
//! the same graph with the reset reading the spikes from an extra input fed their values, so
//! the reset treats them as constants by construction.

mod common;

use common::*;
use snnc_interp::{detach_resets, grad, reset_layers, run, GradOptions};
use snnc_ir::{DType, Graph, Op, ResetGrad, Tensor, ValueId};

const N: usize = 4;
const T: usize = 2;
const F: DType = DType::F64;

/// How a step resets its potential `v̂` with the spike.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Spelling {
    /// (1 − z)·v̂ + z·vr.
    Value,
    /// v̂ − z·th.
    Subtract,
    /// v̂·Cast(z == 0).
    Zero,
    /// Where(z, vr, v̂) on the comparison itself.
    Select,
    /// snnTorch: a second comparison on the previous potential, subtracted before the step.
    SnnTorch,
}

const ALL: [Spelling; 5] =
    [Spelling::Value, Spelling::Subtract, Spelling::Zero, Spelling::Select, Spelling::SnnTorch];

fn init(g: &mut Graph, name: &str, shape: &[usize], data: &[f64]) -> ValueId {
    g.add_initializer(name, t64(shape, data)).expect("initializer")
}

fn gemm() -> Op {
    Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true }
}

/// The layer. With `oracle`, every spike value a reset reads is a graph input `zr{t}` instead
/// (bool for `Select`).
fn layer(s: Spelling, oracle: bool) -> Graph {
    let mut g = Graph::new("reset");
    let xs: Vec<_> = (0..T).map(|t| input(&mut g, &format!("x{t}"), F, &[1, N])).collect();
    let th = init(&mut g, "th", &[], &[1.0]);
    let zero = init(&mut g, "zero", &[], &[0.0]);
    let one = init(&mut g, "one", &[], &[1.0]);
    let vr = init(&mut g, "vr", &[], &[-0.2]);
    let r: Vec<f64> = (0..N * N).map(|i| 0.1 * ((i % 5) as f64) - 0.15).collect();
    let rec = init(&mut g, "R", &[N, N], &r);
    let w: Vec<f64> = (0..3 * N).map(|i| 0.3 - 0.07 * i as f64).collect();
    let wout = init(&mut g, "W", &[3, N], &w);
    let reset_input = |g: &mut Graph, t: usize, z: ValueId| -> ValueId {
        if !oracle {
            return z;
        }
        let dtype = if s == Spelling::Select { DType::Bool } else { F };
        input(g, &format!("zr{t}"), dtype, &[1, N])
    };
    let mut v: Option<ValueId> = None;
    let mut z_prev: Option<ValueId> = None;
    let mut seq = Vec::new();
    for (t, &x) in xs.iter().enumerate() {
        let name = |n: &str| format!("{n}{t}");
        // Input current, with the previous spikes through the recurrent weights.
        let i = match z_prev {
            Some(zp) => {
                let rz = op(&mut g, Op::MatMul, &[zp, rec], &name("rz"));
                op(&mut g, Op::Add, &[x, rz], &name("i"))
            }
            None => x,
        };
        let vin = match (v, s) {
            (Some(vp), Spelling::SnnTorch) => {
                // The reset of step t fires again on the previous potential.
                let sp = op(&mut g, Op::Sub, &[vp, th], &name("sp"));
                let cp = op(&mut g, Op::Greater, &[sp, zero], &name("cp"));
                let rp = op(&mut g, Op::Cast { to: F }, &[cp], &name("rp"));
                let rp = reset_input(&mut g, t, rp);
                let sum = op(&mut g, Op::Add, &[vp, i], &name("sum"));
                let rth = op(&mut g, Op::Mul, &[rp, th], &name("rth"));
                op(&mut g, Op::Sub, &[sum, rth], &name("vin"))
            }
            (Some(vp), _) => op(&mut g, Op::Add, &[vp, i], &name("vin")),
            (None, _) => i,
        };
        let sarg = op(&mut g, Op::Sub, &[vin, th], &name("s"));
        let c = op(&mut g, Op::Greater, &[sarg, zero], &name("c"));
        let z = op(&mut g, Op::Cast { to: F }, &[c], &name("z"));
        let vnext = match s {
            Spelling::Value => {
                let zr = reset_input(&mut g, t, z);
                let keep = op(&mut g, Op::Sub, &[one, zr], &name("keep"));
                let kept = op(&mut g, Op::Mul, &[keep, vin], &name("kept"));
                let set = op(&mut g, Op::Mul, &[zr, vr], &name("set"));
                op(&mut g, Op::Add, &[kept, set], &name("v"))
            }
            Spelling::Subtract => {
                let zr = reset_input(&mut g, t, z);
                let zth = op(&mut g, Op::Mul, &[zr, th], &name("zth"));
                op(&mut g, Op::Sub, &[vin, zth], &name("v"))
            }
            Spelling::Zero => {
                let zr = reset_input(&mut g, t, z);
                let eq = op(&mut g, Op::Equal, &[zr, zero], &name("eq"));
                let keep = op(&mut g, Op::Cast { to: F }, &[eq], &name("keep"));
                op(&mut g, Op::Mul, &[vin, keep], &name("v"))
            }
            Spelling::Select => {
                let cr = reset_input(&mut g, t, c);
                op(&mut g, Op::Where, &[cr, vr, vin], &name("v"))
            }
            // snnTorch exposes the potential before the reset; the next step resets it.
            Spelling::SnnTorch => vin,
        };
        let zu = op(&mut g, Op::Unsqueeze { axes: vec![0] }, &[z], &name("zu"));
        seq.push(zu);
        v = Some(vnext);
        z_prev = Some(z);
    }
    let spikes = op(&mut g, Op::Concat { axis: 0 }, &seq, "spikes");
    let out = op(&mut g, gemm(), &[z_prev.unwrap(), wout], "out");
    let vlast = v.unwrap();
    g.add_output(spikes).unwrap();
    g.add_output(out).unwrap();
    g.add_output(vlast).unwrap();
    g
}

fn feed() -> Vec<(String, Tensor)> {
    let x = [[0.7, 1.3, 0.2, 1.1], [0.5, -0.2, 1.5, 0.95]];
    (0..T).map(|t| (format!("x{t}"), t64(&[1, N], &x[t]))).collect()
}

fn opts(reset_grad: ResetGrad) -> GradOptions {
    GradOptions { surrogate: "atan:2".parse().unwrap(), reset_grad }
}

/// The oracle's extra inputs: the values the resets read in the original graph.
fn oracle_feed(s: Spelling, g: &Graph) -> Vec<(String, Tensor)> {
    let mut probe = g.clone();
    let names: Vec<String> = (0..T)
        .map(|t| match s {
            Spelling::Select => format!("c{t}"),
            Spelling::SnnTorch => format!("rp{t}"),
            _ => format!("z{t}"),
        })
        .filter(|n| g.find(n).is_some())
        .collect();
    for n in &names {
        probe.add_output(probe.find(n).unwrap()).unwrap();
    }
    let out = run(&probe, &feed()).unwrap();
    let mut f = feed();
    for (n, t) in out.into_iter().filter(|(n, _)| names.contains(n)) {
        let k = n.trim_start_matches(|c: char| c.is_alphabetic()).to_string();
        f.push((format!("zr{k}"), t));
    }
    f
}

fn grads(
    g: &Graph,
    f: &[(String, Tensor)],
    gouts: &[(String, Tensor)],
    rg: ResetGrad,
) -> Vec<(String, Vec<f64>)> {
    let r = grad(g, f, gouts, &opts(rg)).unwrap();
    r.grads.into_iter().filter(|(n, _)| !n.starts_with("zr")).map(|(n, t)| (n, vals(&t))).collect()
}

/// Detached: the gradient of the graph whose resets read their spikes as constants.
#[test]
fn detached_equals_the_reset_reading_constant_spikes() {
    for s in ALL {
        let g = layer(s, false);
        let gouts = random_gouts(&g, &feed(), &mut Rng::new(7));
        let got = grads(&g, &feed(), &gouts, ResetGrad::Detached);
        let oracle = layer(s, true);
        let want = grads(&oracle, &oracle_feed(s, &g), &gouts, ResetGrad::Attached);
        assert_eq!(got.len(), want.len(), "{s:?}");
        for ((n, a), (m, b)) in got.iter().zip(&want) {
            assert_eq!(n, m);
            assert_close(&format!("{s:?}: {n}"), a, b, 1e-12);
        }
    }
}

/// Attached differentiates the reset through the spike where the reset has a gradient path
/// (Equal and Where's condition have none), so detached differs there; the spikes fire in
/// this input, and some arguments sit near the threshold.
#[test]
fn attached_differs_where_the_reset_has_a_gradient() {
    for s in [Spelling::Value, Spelling::Subtract, Spelling::SnnTorch] {
        let g = layer(s, false);
        let gouts = random_gouts(&g, &feed(), &mut Rng::new(7));
        let a = grads(&g, &feed(), &gouts, ResetGrad::Attached);
        let d = grads(&g, &feed(), &gouts, ResetGrad::Detached);
        let x = |v: &[(String, Vec<f64>)]| v.iter().find(|(n, _)| n == "x0").unwrap().1.clone();
        let diff: f64 = x(&a).iter().zip(x(&d)).map(|(p, q)| (p - q).abs()).sum();
        assert!(diff > 1e-3, "{s:?}: attached and detached agree ({diff})");
    }
    for s in [Spelling::Zero, Spelling::Select] {
        let g = layer(s, false);
        let gouts = random_gouts(&g, &feed(), &mut Rng::new(7));
        assert_eq!(
            grads(&g, &feed(), &gouts, ResetGrad::Attached),
            grads(&g, &feed(), &gouts, ResetGrad::Detached),
            "{s:?}"
        );
    }
}

/// Uses that are not the reset keep their gradient: with upstream only on the next layer's
/// Gemm and the spike sequence, and no reset in the graph's path to them from the last
/// step's spikes, detached and attached give the last input the same gradient.
#[test]
fn non_reset_uses_keep_their_gradient() {
    for s in ALL {
        let g = layer(s, false);
        let mut gouts = random_gouts(&g, &feed(), &mut Rng::new(3));
        gouts.retain(|(n, _)| n == "out" || n == "spikes");
        let a = grads(&g, &feed(), &gouts, ResetGrad::Attached);
        let d = grads(&g, &feed(), &gouts, ResetGrad::Detached);
        let x1 = |v: &[(String, Vec<f64>)]| v.iter().find(|(n, _)| n == "x1").unwrap().1.clone();
        assert!(x1(&d).iter().any(|v| *v != 0.0), "{s:?}: x1 got no gradient");
        assert_eq!(x1(&a), x1(&d), "{s:?}");
        let w = |v: &[(String, Vec<f64>)]| v.iter().find(|(n, _)| n == "W").unwrap().1.clone();
        assert_eq!(w(&a), w(&d), "{s:?}");
    }
}

/// `detach()` put back on every layer's resets (`--reset-grad` per layer) is the global
/// `detached`: the one layer of each spelling is found with all its comparisons, and the
/// graph with `Detach` on its reset uses differentiates, attached, as the original does
/// detached.
#[test]
fn detaching_each_layer_equals_detached() {
    for s in ALL {
        let g = layer(s, false);
        let layers = reset_layers(&g);
        let comparisons = if s == Spelling::SnnTorch { T + 1 } else { T };
        assert_eq!(layers.len(), 1, "{s:?}: {layers:?}");
        assert_eq!(layers[0].comparisons.len(), comparisons, "{s:?}");
        let d = detach_resets(&g, &layers, &[true]).unwrap();
        let detaches = d.nodes().iter().filter(|n| n.op == Op::Detach).count();
        assert!(detaches >= 1 && detaches <= comparisons, "{s:?}: {detaches} Detach nodes");
        let gouts = random_gouts(&g, &feed(), &mut Rng::new(7));
        let want = grads(&g, &feed(), &gouts, ResetGrad::Detached);
        assert_eq!(grads(&d, &feed(), &gouts, ResetGrad::Attached), want, "{s:?}");
        let same = detach_resets(&g, &layers, &[false]).unwrap();
        let attached = grads(&g, &feed(), &gouts, ResetGrad::Attached);
        assert_eq!(grads(&same, &feed(), &gouts, ResetGrad::Attached), attached, "{s:?}");
    }
}

/// Two layers in a row (the second integrates the first's spikes through a Gemm) are two
/// layers, numbered from the input; detaching both is the global `detached`, and detaching
/// one gives neither global choice's gradient.
#[test]
fn layers_are_numbered_from_the_input_and_detach_alone() {
    let mut g = Graph::new("two");
    let x = input(&mut g, "x", F, &[1, N]);
    let th = init(&mut g, "th", &[], &[0.5]);
    let zero = init(&mut g, "zero", &[], &[0.0]);
    let w: Vec<f64> = (0..N * N).map(|i| 0.2 * ((i % 7) as f64) - 0.3).collect();
    let w = init(&mut g, "W", &[N, N], &w);
    let mut cur = x;
    for l in 0..2 {
        let mut v: Option<ValueId> = None;
        let mut zs = Vec::new();
        for t in 0..T {
            let name = |n: &str| format!("{n}{l}_{t}");
            let vin = match v {
                Some(vp) => op(&mut g, Op::Add, &[vp, cur], &name("vin")),
                None => cur,
            };
            let s = op(&mut g, Op::Sub, &[vin, th], &name("s"));
            let c = op(&mut g, Op::Greater, &[s, zero], &name("c"));
            let z = op(&mut g, Op::Cast { to: F }, &[c], &name("z"));
            let zth = op(&mut g, Op::Mul, &[z, th], &name("zth"));
            v = Some(op(&mut g, Op::Sub, &[vin, zth], &name("v")));
            zs.push(z);
        }
        let sum = op(&mut g, Op::Add, &[zs[0], zs[1]], &format!("sum{l}"));
        cur = op(&mut g, gemm(), &[sum, w], &format!("next{l}"));
        g.add_output(v.unwrap()).unwrap();
    }
    g.add_output(cur).unwrap();
    let f = vec![("x".to_string(), t64(&[1, N], &[0.9, 0.3, 1.4, 0.6]))];
    let layers = reset_layers(&g);
    assert_eq!(layers.len(), 2);
    let first = |k: usize| g.nodes()[layers[k].comparisons[0]].name.clone();
    assert_eq!((first(0), first(1)), ("c0_0".to_string(), "c1_0".to_string()));
    let gouts = random_gouts(&g, &f, &mut Rng::new(5));
    let both = grads(&g, &f, &gouts, ResetGrad::Detached);
    let none = grads(&g, &f, &gouts, ResetGrad::Attached);
    let mixed: Vec<_> = [[true, false], [false, true]]
        .iter()
        .map(|w| grads(&detach_resets(&g, &layers, w).unwrap(), &f, &gouts, ResetGrad::Attached))
        .collect();
    let both_again =
        grads(&detach_resets(&g, &layers, &[true, true]).unwrap(), &f, &gouts, ResetGrad::Attached);
    assert_eq!(both_again, both);
    for m in &mixed {
        assert_ne!(m, &both, "a mixed choice is not the global detached");
        assert_ne!(m, &none, "a mixed choice is not the global attached");
    }
}
