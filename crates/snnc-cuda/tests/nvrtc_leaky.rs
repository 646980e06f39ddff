//! Every variant of the leaky cell (SPEC §1.2) that the CUDA kernels print differently (with
//! and without a synaptic current, scalar and per-neuron parameters, leaky integrators, V_T
//! before the reset), feed-forward (fused with the linear layer) and recurrent, forward and
//! reverse time, in both update orders: the two small plans of `common::leaky` render to
//! modules that NVRTC compiles for sm_80 and sm_90, with the neuron kernels neither spilling
//! registers nor using a stack frame.
//!
//! The kernels' maths is `snnc_plan::CellText`'s, printed by the same code as the WGSL
//! kernels, whose results `snnc-wgpu`'s `tests/leaky.rs` checks against the reference.
//!
//! Needs NVRTC (see `nvrtc.rs`). Run with
//! `cargo test -p snnc-cuda --features nvrtc --test nvrtc_leaky`.

mod common;
#[path = "common/nvrtc_spills.rs"]
mod nvrtc_spills;

use common::leaky::leaky_plan;
use snnc_cuda::nvrtc;
use snnc_cuda::CudaError;
use snnc_ir::Order;

/// Compiles `order`'s leaky plan ([`nvrtc_spills::compile_order`]).
fn compile_order(order: Order) -> (Vec<String>, usize) {
    nvrtc_spills::compile_order(order, &leaky_plan(order))
}

#[test]
fn every_leaky_variant_compiles_for_sm80_and_sm90() {
    assert!(nvrtc::available(), "{}", CudaError::NoNvrtc);
    let orders = [Order::FireThenIntegrate, Order::IntegrateThenFire];
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = orders.iter().map(|&o| s.spawn(move || compile_order(o))).collect();
        hs.into_iter().map(|h| h.join().expect("compile thread")).collect()
    });
    let mut fails = Vec::new();
    for (f, neurons) in results {
        fails.extend(f);
        assert!(neurons >= 4 * 6, "only {neurons} neuron kernels compiled");
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}
