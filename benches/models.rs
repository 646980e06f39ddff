//! Whole-model benchmarks of the CPU engine (`cargo bench -p snnc-cpu --bench models`).
//!
//! The N-MNIST-sized network of issue #4, Linear 2312→512 → IAF → Linear 512→10 → IAF with
//! T = 100, B = 16, built by hand with the IR ops the optimizer produces for a Norse export
//! (`Linear` on the graph input, `IAF`, `SpikeLinear` on the hidden spikes, `IAF`):
//!
//! * `forward/spikes-5%` and `train/spikes-5%`: inputs are spikes at 5 % (the first layer runs
//!   event-driven after the engine finds the input binary); training is forward plus the
//!   parameter gradients (`--wrt params`);
//! * `forward/dense` and `train/dense`: real-valued inputs in [0, 1) (dense GEMM);
//! * `gemm-only`: one GEMM of the first layer's size (1600 × 2312 → 512) by the same GEMM
//!   crate, which `forward/dense` should be within 1.2× of.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::{ArrayD, IxDyn};
use snnc_cpu::{Engine, Threads, Wrt};
use snnc_ir::{DType, Graph, IafParams, Op, Order, Tensor, TensorType};
use snnc_kernels::sgemm;
use snnc_plan::{compile, Plan};

include!("nmnist_graph.rs");

fn models(c: &mut Criterion) {
    let plan: Plan = compile(&nmnist(), &Default::default()).unwrap();
    let mut g = c.benchmark_group("nmnist");
    g.sample_size(20).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(1));
    let gos = grad_outputs();
    for (label, spikes) in [("spikes-5%", true), ("dense", false)] {
        let x = inputs(spikes);
        let mut e = Engine::new(&plan).with_threads(Threads::All);
        g.bench_function(format!("forward/{label}"), |b| b.iter(|| e.run(&x).unwrap()));
        g.bench_function(format!("train/{label}"), |b| {
            b.iter(|| e.grad(&x, &gos, Wrt::Params).unwrap())
        });
    }
    let (m, k, n) = (T * B, I, H);
    let a = uniform(&[m, k], 0.0, 1.0, 11).as_f32_vec().unwrap();
    let w = uniform(&[n, k], -1.0, 1.0, 12).as_f32_vec().unwrap();
    let mut y = vec![0f32; m * n];
    g.bench_function("gemm-only", |b| {
        b.iter(|| sgemm(m, n, k, &a, k, 1, &w, 1, k, &mut y, n, false, Threads::All).unwrap())
    });
    g.finish();
}

criterion_group!(benches, models);
criterion_main!(benches);
