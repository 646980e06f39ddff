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

use common::leaky::leaky_plan;
use snnc_cuda::nvrtc::{self, compile, spills, Output};
use snnc_cuda::{render, CudaError};
use snnc_ir::Order;

const ARCHS: [u32; 2] = [80, 90];

/// Compiles both programs of `order`'s model for every architecture: the failures, and the
/// neuron kernels compiled.
fn compile_order(order: Order) -> (Vec<String>, usize) {
    let plan = leaky_plan(order);
    let src = render(&plan).unwrap_or_else(|e| panic!("{}: {e}", order.name()));
    let (mut fails, mut neurons) = (Vec::new(), 0);
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
                neurons += 1;
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
    (fails, neurons)
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
