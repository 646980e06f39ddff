//! Helpers shared by the interpreter tests: tensors, graph building, random data, finite
//! differences.
#![allow(dead_code)]

pub mod layers;

use ndarray::{ArrayD, IxDyn};
use snnc_interp::{grad, run, GradOptions};
use snnc_ir::{DType, Graph, Op, Tensor, TensorType, ValueId};

pub fn t64(shape: &[usize], data: &[f64]) -> Tensor {
    Tensor::F64(ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).expect("shape"))
}

pub fn t32(shape: &[usize], data: &[f32]) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).expect("shape"))
}

pub fn ti64(shape: &[usize], data: &[i64]) -> Tensor {
    Tensor::I64(ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).expect("shape"))
}

pub fn tbool(shape: &[usize], data: &[bool]) -> Tensor {
    Tensor::Bool(ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).expect("shape"))
}

pub fn tt(dtype: DType, shape: &[usize]) -> TensorType {
    TensorType::new(dtype, shape.to_vec())
}

/// Declares a graph input.
pub fn input(g: &mut Graph, name: &str, dtype: DType, shape: &[usize]) -> ValueId {
    g.add_input(name, tt(dtype, shape)).expect("input")
}

/// Adds a single-output node whose node and output are both called `out`.
pub fn op(g: &mut Graph, op: Op, inputs: &[ValueId], out: &str) -> ValueId {
    let ins = inputs.iter().map(|&i| Some(i)).collect();
    g.add_node(out, op, ins, &[Some(out)]).expect("node")[0].expect("bound")
}

/// A `Constant` node.
pub fn constant(g: &mut Graph, value: Tensor, out: &str) -> ValueId {
    op(g, Op::Constant { value }, &[], out)
}

/// The f64 elements of a tensor in row-major order.
pub fn vals(t: &Tensor) -> Vec<f64> {
    t.to_f64().iter().copied().collect()
}

/// The tensor called `name` in a name-keyed list.
pub fn get<'a>(list: &'a [(String, Tensor)], name: &str) -> &'a Tensor {
    &list.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no '{name}' in list")).1
}

pub fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}[{i}]: got {g}, want {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

/// Runs a one-output graph and returns that output's values and shape.
pub fn run1(g: &Graph, inputs: &[(String, Tensor)]) -> (Vec<f64>, Vec<usize>) {
    let out = run(g, inputs).expect("run");
    (vals(&out[0].1), out[0].1.shape().to_vec())
}

/// Deterministic xorshift random numbers.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.uniform(lo, hi)).collect()
    }

    /// An f64 tensor of uniform values.
    pub fn tensor(&mut self, shape: &[usize], lo: f64, hi: f64) -> Tensor {
        let n = shape.iter().product();
        t64(shape, &self.vec(n, lo, hi))
    }
}

/// Random upstream gradients (in [−1, 1]) for every float output of `g`.
pub fn random_gouts(
    g: &Graph,
    inputs: &[(String, Tensor)],
    rng: &mut Rng,
) -> Vec<(String, Tensor)> {
    run(g, inputs)
        .expect("run")
        .into_iter()
        .filter(|(_, t)| t.dtype().is_float())
        .map(|(n, t)| (n, rng.tensor(t.shape(), -1.0, 1.0)))
        .collect()
}

/// L = Σ_outputs Σ gout·out.
pub fn loss(outputs: &[(String, Tensor)], gouts: &[(String, Tensor)]) -> f64 {
    gouts
        .iter()
        .map(|(n, gt)| vals(get(outputs, n)).iter().zip(vals(gt)).map(|(o, g)| o * g).sum::<f64>())
        .sum()
}

/// Checks the analytic gradient of every float graph input against central differences of
/// L = Σ gout·out with step `h`: per tensor, ‖fd − an‖ ≤ tol·(‖an‖ + 1e-3·√n).
pub fn fd_check(
    g: &Graph,
    inputs: &[(String, Tensor)],
    gouts: &[(String, Tensor)],
    opts: &GradOptions,
    h: f64,
    tol: f64,
) {
    let an = grad(g, inputs, gouts, opts).expect("grad");
    for (k, (name, t)) in inputs.iter().enumerate() {
        if !t.dtype().is_float() {
            continue;
        }
        let mut fd = Vec::with_capacity(t.len());
        for e in 0..t.len() {
            let eval = |d: f64| {
                let mut ins = inputs.to_vec();
                let mut a = ins[k].1.to_f64();
                if let Some(x) = a.iter_mut().nth(e) {
                    *x += d;
                }
                ins[k].1 = Tensor::F64(a);
                loss(&run(g, &ins).expect("run"), gouts)
            };
            fd.push((eval(h) - eval(-h)) / (2.0 * h));
        }
        let a = vals(get(&an.grads, name));
        let err: f64 = a.iter().zip(&fd).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
        let norm: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
        let bound = tol * (norm + 1e-3 * (a.len() as f64).sqrt());
        assert!(err <= bound, "gradient of '{name}': |fd - analytic| = {err} > {bound}\nanalytic {a:?}\n      fd {fd:?}");
    }
}
