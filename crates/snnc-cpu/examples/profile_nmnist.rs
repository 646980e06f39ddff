//! Per-step times of the N-MNIST network of `benches/models.rs`, forward and training, with
//! spike and dense inputs: `cargo run --release -p snnc-cpu --example profile_nmnist`.

use std::collections::BTreeMap;

use ndarray::{ArrayD, IxDyn};
use snnc_cpu::{Engine, Wrt};
use snnc_ir::{DType, Graph, IafParams, Op, Order, Tensor, TensorType};

include!("../../../benches/nmnist_graph.rs");

/// Mean milliseconds per step over `runs` calls of `f`.
fn profile(
    e: &mut Engine,
    runs: usize,
    mut f: impl FnMut(&mut Engine),
) -> BTreeMap<(usize, &'static str), f64> {
    let mut tot = BTreeMap::new();
    for _ in 0..runs {
        f(e);
        for s in e.profile() {
            *tot.entry((s.step, s.kernel)).or_insert(0.0) +=
                1e3 * s.time.as_secs_f64() / runs as f64;
        }
    }
    tot
}

fn main() {
    let plan = snnc_plan::compile(&nmnist(), &Default::default()).unwrap();
    let gos = grad_outputs();
    for spikes in [true, false] {
        let x = inputs(spikes);
        let mut e = Engine::new(&plan).with_profiling();
        let fwd = profile(&mut e, 10, |e| drop(e.run(&x).unwrap()));
        let train = profile(&mut e, 10, |e| drop(e.grad(&x, &gos, Wrt::Params).unwrap()));
        for (what, t) in [("forward", fwd), ("train", train)] {
            let total: f64 = t.values().sum();
            println!("{what} (spike input: {spikes}): {total:.2} ms");
            for ((i, k), ms) in t {
                println!("  {i:2} {k:20} {ms:8.3} ms");
            }
        }
    }
}
