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

use common::family::family_plan;
use snnc_cuda::nvrtc::{self, compile, spills, Output};
use snnc_cuda::{render, CudaError};
use snnc_ir::Order;

const ARCHS: [u32; 2] = [80, 90];

/// Compiles both programs of `order`'s model for every architecture: the failures.
fn compile_order(order: Order) -> Vec<String> {
    let src = render(&family_plan(order)).unwrap_or_else(|e| panic!("{}: {e}", order.name()));
    let mut fails = Vec::new();
    for prog in [&src.infer, &src.train] {
        for arch in ARCHS {
            let label = format!("{} {}.cu sm_{arch}", order.name(), prog.name);
            let c = match compile(&prog.code, &format!("{}.cu", prog.name), arch, Output::Cubin) {
                Ok(c) => c,
                Err(e) => {
                    fails.push(format!("{label}: {e}"));
                    continue;
                }
            };
            let report = spills(&c.log);
            for k in prog.kernels().into_iter().filter(|k| k.contains("_iaf")) {
                match report.iter().find(|s| s.kernel == k) {
                    None => fails.push(format!("{label}: no ptxas report for {k}")),
                    Some(s) if s.stores > 0 || s.loads > 0 || s.stack > 0 => {
                        fails.push(format!("{label}: {k} spills: {s:?}"))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    fails
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
