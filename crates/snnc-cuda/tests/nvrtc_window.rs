//! The window kernels (convolution forward, input gradient, weight and bias gradients; every
//! pooling op forward and backward) render to modules that NVRTC compiles for sm_80 and sm_90
//! over many geometries (`common::window`: strides, asymmetric padding, dilation, groups,
//! depthwise, 1-D as height 1, a CNN-sized layer, an output with no rows), with every one of their kernels neither
//! spilling registers nor using a stack frame.
//!
//! The kernels' formulations are the WGSL ones, which `snnc-wgpu`'s window tests check against
//! naive loops on the device.
//!
//! The sinabs CNN fixture's plans (models/cnn/sinabs_cnn, imported and optimized) compile too,
//! with every window kernel free of spills (the Norse export, one convolution per layer and
//! step, holds the same kernels many times over and takes NVRTC minutes).
//!
//! Needs NVRTC (see `nvrtc.rs`). Run with
//! `cargo test -p snnc-cuda --features nvrtc --test nvrtc_window`.

mod common;
#[path = "common/nvrtc_spills.rs"]
mod nvrtc_spills;

use common::window::{conv_program, edge_program, host_plan, pool_program};
use snnc_cuda::{nvrtc, render_program, CudaError};
use snnc_plan::Program;

/// The kernels each window step renders, by name suffix.
const FAMILIES: [&str; 6] = ["_conv", "_conv_dx", "_conv_dw", "_conv_db", "_pool", "_pool_back"];

/// Renders `prog` and compiles it, checking every kernel: the failures, the kernels compiled.
fn compile(label: &str, prog: &Program) -> (Vec<String>, Vec<String>) {
    let src = render_program(&host_plan(), prog, label).unwrap_or_else(|e| panic!("{label}: {e}"));
    let kernels: Vec<String> = src.kernels().iter().map(|k| k.to_string()).collect();
    let (fails, checked) = nvrtc_spills::compile_module(label, &src, |_| true);
    assert_eq!(checked, 2 * kernels.len(), "{label}: every kernel checked on both archs");
    (fails, kernels)
}

#[test]
fn every_window_kernel_compiles_for_sm80_and_sm90_without_spills() {
    assert!(nvrtc::available(), "{}", CudaError::NoNvrtc);
    let progs = [("conv", conv_program()), ("pool", pool_program()), ("edge", edge_program())];
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = progs.iter().map(|(l, p)| s.spawn(move || compile(l, p))).collect();
        hs.into_iter().map(|h| h.join().expect("compile thread")).collect()
    });
    let mut fails = Vec::new();
    let mut kernels = Vec::new();
    for (f, k) in results {
        fails.extend(f);
        kernels.extend(k);
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
    for family in FAMILIES {
        let n = kernels.iter().filter(|k| k.ends_with(family)).count();
        assert!(n >= 4, "only {n} {family} kernels compiled: {kernels:?}");
    }
    // One kernel per pooling step: every op over every geometry, forward and backward.
    let pool_steps = pool_program().steps.len();
    assert_eq!(kernels.iter().filter(|k| k.contains("_pool")).count(), pool_steps);
}

/// Whether kernel `k` is one the window steps render.
fn is_window(k: &str) -> bool {
    FAMILIES.iter().any(|f| k.ends_with(f))
}

#[test]
fn the_sinabs_cnn_compiles_for_sm80_and_sm90_without_window_spills() {
    assert!(nvrtc::available(), "{}", CudaError::NoNvrtc);
    let plans: Vec<_> = common::fixture_plans("cnn/sinabs_cnn");
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = plans
            .iter()
            .map(|(label, plan)| {
                s.spawn(move || {
                    let src = snnc_cuda::render(plan).unwrap_or_else(|e| panic!("{label}: {e}"));
                    let mut out = (Vec::new(), 0);
                    for prog in [&src.infer, &src.train] {
                        let (f, n) = nvrtc_spills::compile_module(label, prog, is_window);
                        out.0.extend(f);
                        out.1 += n;
                    }
                    (label, out)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("compile thread")).collect()
    });
    let mut fails = Vec::new();
    for (label, (f, n)) in results {
        fails.extend(f);
        assert!(n > 0, "{label}: no window kernel compiled");
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}
