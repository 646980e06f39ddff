//! Every member of the integrate-and-fire family (SPEC §1.1), in both update orders, renders
//! to CUDA modules that NVRTC compiles for sm_80 and sm_90, with the neuron kernels neither
//! spilling registers nor using a stack frame: the two small plans of `common::family`
//! (every member's layers in one model per order) instead of one per member, so this stays
//! quick beside the fixtures' compile test (`nvrtc.rs`).
//!
//! The kernels' maths is `snnc_ir::neuron`'s, printed by the same `StepText` as the WGSL
//! kernels, whose results `snnc-wgpu`'s `tests/family.rs` checks against the reference.
//!
//! Needs NVRTC (see `nvrtc.rs`). Run with
//! `cargo test -p snnc-cuda --features nvrtc --test nvrtc_family`.

mod common;
#[path = "common/nvrtc_spills.rs"]
mod nvrtc_spills;

use common::family::family_plan;
use snnc_cuda::nvrtc;
use snnc_cuda::CudaError;
use snnc_ir::Order;

/// Compiles `order`'s family plan: the failures ([`nvrtc_spills::compile_order`]).
fn compile_order(order: Order) -> Vec<String> {
    nvrtc_spills::compile_order(order, &family_plan(order)).0
}

#[test]
fn every_family_member_compiles_for_sm80_and_sm90() {
    assert!(nvrtc::available(), "{}", CudaError::NoNvrtc);
    let orders = [Order::FireThenIntegrate, Order::IntegrateThenFire];
    let fails: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = orders.iter().map(|&o| s.spawn(move || compile_order(o))).collect();
        hs.into_iter().flat_map(|h| h.join().expect("compile thread")).collect()
    });
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}
