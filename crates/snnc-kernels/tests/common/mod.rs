//! Shared helpers: a seeded generator, reference graphs run through `snnc_interp`, and the
//! comparisons of SPEC §5.

#![allow(dead_code)]

use ndarray::{ArrayD, IxDyn};
use snnc_interp::{grad, run, spike_margins, GradOptions};
use snnc_ir::{DType, Graph, IafParams, Method, Op, Order, Surrogate, Tensor, TensorType};

/// SplitMix64: small, seeded, reproducible.
pub struct SeedRng(u64);

impl SeedRng {
    pub fn new(seed: u64) -> Self {
        SeedRng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        lo + (hi - lo) * u
    }

    pub fn vec(&mut self, len: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..len).map(|_| self.uniform(lo, hi)).collect()
    }

    /// 0/1 values with P(1) = p.
    pub fn spikes(&mut self, len: usize, p: f32) -> Vec<f32> {
        (0..len).map(|_| if self.uniform(0.0, 1.0) < p { 1.0 } else { 0.0 }).collect()
    }
}

pub fn tensor(shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).expect("shape"))
}

pub fn f32_ty(shape: &[usize]) -> TensorType {
    TensorType::new(DType::F32, shape.to_vec())
}

pub fn data(t: &Tensor) -> Vec<f32> {
    t.as_f32_vec().expect("float tensor")
}

/// Named values of a result list.
pub fn get(list: &[(String, Tensor)], name: &str) -> Vec<f32> {
    let t = list.iter().find(|(n, _)| n == name).map(|(_, t)| t);
    data(t.unwrap_or_else(|| panic!("no value '{name}'")))
}

pub fn params(
    method: Method,
    alpha: f32,
    order: Order,
    v_th: Vec<f32>,
    v_reset: Vec<f32>,
) -> IafParams {
    IafParams {
        v_th,
        v_reset,
        surrogate: Surrogate { method, alpha },
        order,
        family: Default::default(),
        ..Default::default()
    }
}

/// A graph input: name, shape and data (`None`: an omitted optional input).
pub type RefInput<'a> = (&'a str, Vec<usize>, Option<Vec<f32>>);

/// A graph of one `snn` op over graph inputs (every input is a graph input so that it gets a
/// gradient), with every output bound.
pub struct RefGraph {
    pub g: Graph,
    pub inputs: Vec<(String, Tensor)>,
}

impl RefGraph {
    pub fn new(op: Op, inputs: Vec<RefInput<'_>>, outputs: &[&str]) -> Self {
        let mut g = Graph::new("test");
        let mut ids = Vec::new();
        let mut feed = Vec::new();
        for (name, shape, d) in inputs {
            match d {
                Some(d) => {
                    ids.push(Some(g.add_input(name, f32_ty(&shape)).expect("input")));
                    feed.push((name.to_string(), tensor(&shape, &d)));
                }
                None => ids.push(None),
            }
        }
        while ids.last() == Some(&None) {
            ids.pop();
        }
        let outs: Vec<Option<&str>> = outputs.iter().map(|&o| Some(o)).collect();
        let vals = g.add_node("op", op, ids, &outs).expect("node");
        for v in vals.into_iter().flatten() {
            g.add_output(v).expect("output");
        }
        RefGraph { g, inputs: feed }
    }

    pub fn run(&self) -> Vec<(String, Tensor)> {
        run(&self.g, &self.inputs).expect("reference run")
    }

    /// The reference's smallest |Θ argument|.
    pub fn margin(&self) -> f64 {
        spike_margins(&self.g, &self.inputs).expect("margins")
    }

    /// Gradients of every input from the upstream gradients `(output, shape, data)`.
    pub fn grad(&self, up: &[(&str, Vec<usize>, Vec<f32>)]) -> Vec<(String, Tensor)> {
        let up: Vec<_> = up.iter().map(|(n, s, d)| (n.to_string(), tensor(s, d))).collect();
        grad(&self.g, &self.inputs, &up, &GradOptions::default()).expect("reference grad").grads
    }
}

/// SPEC §5 potentials: |a − b| ≤ 1e-5·max(|b|, 1) everywhere.
pub fn assert_close(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let tol = 1e-5 * y.abs().max(1.0);
        assert!((x - y).abs() <= tol, "{what}[{i}]: {x} vs reference {y}");
    }
}

/// A sum of `k` f32 terms against the reference's f64 sum rounded once: the f32 rounding error
/// grows like √k, so |a − b| ≤ 1e-5·√k·max(|b|, 1).
pub fn assert_sum_close(what: &str, a: &[f32], b: &[f32], k: usize) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = (k.max(1) as f32).sqrt();
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let tol = 1e-5 * scale * y.abs().max(1.0);
        assert!((x - y).abs() <= tol, "{what}[{i}]: {x} vs reference {y} (k = {k})");
    }
}

/// SPEC §5 gradients: ‖a − b‖ ≤ 1e-4·‖b‖ (with a floor for all-zero references).
pub fn assert_grad(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let diff: f64 = a.iter().zip(b).map(|(&x, &y)| ((x - y) as f64).powi(2)).sum::<f64>().sqrt();
    let norm: f64 = b.iter().map(|&y| (y as f64).powi(2)).sum::<f64>().sqrt();
    assert!(diff <= 1e-4 * norm.max(1e-6), "{what}: ‖a−b‖ = {diff:e}, ‖b‖ = {norm:e}");
}

/// Bitwise equality.
pub fn assert_bits(what: &str, a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.to_bits(), y.to_bits(), "{what}[{i}]: {x} vs {y}");
    }
}

/// Every surrogate method with a sharpness suited to it.
pub fn methods() -> Vec<(Method, f32)> {
    vec![
        (Method::Heaviside, 1.0),
        (Method::Super, 100.0),
        (Method::Super, 1.0),
        (Method::Triangle, 1.0),
        (Method::Tanh, 2.0),
        (Method::Circ, 3.0),
        (Method::HeaviErfc, 2.0),
    ]
}

/// Every valid member of the integrate-and-fire family (SPEC §1.1).
pub fn members() -> Vec<snnc_ir::Family> {
    snnc_ir::Family::members()
}

/// Every member the kernels compute: the spiking members and the leaky integrator (LI).
pub fn members_and_li() -> Vec<snnc_ir::Family> {
    let mut m = snnc_ir::Family::members();
    m.push(snnc_ir::Family::LI);
    m
}

/// The leaks (SPEC §1.2) the kernel tests run, for `k` parameter values (1 or N):
/// 0: the IF cell; 1: LIF (β, γ, v_leak, no current); 2: current-based LIF (α too);
/// 3: a mix per value, some without a current (α = 0) and some without a leak (β = γ = 1),
/// so that the per-neuron special cases meet the general ones in one population.
pub const LEAKS: u8 = 4;

pub fn leak(kind: u8, k: usize, rng: &mut SeedRng) -> snnc_ir::Leak {
    let mut l = snnc_ir::Leak::default();
    match kind {
        0 => {}
        1 => {
            l.beta = rng.vec(k, 0.75, 0.98);
            l.gamma = rng.vec(k, 0.5, 1.5);
            l.v_leak = rng.vec(k, -0.1, 0.1);
        }
        2 => {
            l.alpha = rng.vec(k, 0.5, 0.9);
            l.beta = rng.vec(k, 0.75, 0.98);
            l.gamma = rng.vec(k, 0.3, 1.2);
            l.v_leak = rng.vec(k, -0.1, 0.1);
        }
        _ => {
            let mut pick = |i: usize, every: usize, lo: f32, hi: f32, plain: f32| {
                let v = rng.uniform(lo, hi);
                if i % every == every - 1 {
                    plain
                } else {
                    v
                }
            };
            l.alpha = (0..k).map(|i| pick(i, 3, 0.5, 0.9, 0.0)).collect();
            l.beta = (0..k).map(|i| pick(i, 4, 0.75, 0.98, 1.0)).collect();
            l.gamma = (0..k).map(|i| pick(i, 4, 0.3, 1.2, 1.0)).collect();
            l.v_leak = (0..k).map(|i| pick(i, 2, -0.1, 0.1, 0.0)).collect();
        }
    }
    l
}
