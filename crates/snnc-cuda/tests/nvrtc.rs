//! Every plan's CUDA modules compile with NVRTC for sm_80 and sm_90, and the neuron kernels
//! (the fused integrate-and-fire sequences, forward and reverse) neither spill registers nor
//! use a stack frame, read from the `ptxas -v` report of the real-architecture CUBIN.
//!
//! Needs NVRTC (`python3 -m pip install nvidia-cuda-nvrtc-cu12`, its `lib` folder on
//! `LD_LIBRARY_PATH`); without it these tests fail and say so. Run with
//! `cargo test -p snnc-cuda --features nvrtc --test nvrtc`.

mod common;

use std::collections::BTreeSet;

use common::*;
use snnc_cuda::nvrtc::{self, compile, spills, Output};
use snnc_cuda::{render, CudaError};

const ARCHS: [u32; 2] = [80, 90];

fn require_nvrtc() {
    assert!(nvrtc::available(), "{}", CudaError::NoNvrtc);
}

#[test]
fn nvrtc_is_installed() {
    require_nvrtc();
    let (major, minor) = nvrtc::version().unwrap();
    assert!(major >= 12, "NVRTC {major}.{minor}: CUDA 12 or newer is needed for sm_90");
}

/// Compiles every module of `plans` and returns the failures and the kernels seen.
fn compile_all(plans: &[(String, snnc_plan::Plan)]) -> (Vec<String>, BTreeSet<String>) {
    let (mut fails, mut seen) = (Vec::new(), BTreeSet::new());
    for (label, plan) in plans {
        let src = render(plan).unwrap_or_else(|e| panic!("{label}: {e}"));
        for prog in [&src.infer, &src.train] {
            for arch in ARCHS {
                let name = format!("{}.cu", prog.name);
                let c = match compile(&prog.code, &name, arch, Output::Cubin) {
                    Ok(c) => c,
                    Err(e) => {
                        fails.push(format!("{label} {name} sm_{arch}: {e}"));
                        continue;
                    }
                };
                let report = spills(&c.log);
                for k in prog.kernels() {
                    let Some(s) = report.iter().find(|s| s.kernel == k) else {
                        fails.push(format!("{label} {name} sm_{arch}: no ptxas report for {k}"));
                        continue;
                    };
                    seen.insert(k.to_string());
                    let neuron = k.contains("_iaf");
                    if neuron && (s.stores > 0 || s.loads > 0 || s.stack > 0) {
                        fails.push(format!("{label} {name} sm_{arch}: {k} spills: {s:?}"));
                    }
                }
            }
        }
    }
    (fails, seen)
}

#[test]
fn every_fixture_compiles_for_sm80_and_sm90_without_neuron_spills() {
    require_nvrtc();
    let plans = all_plans();
    let chunks: Vec<_> = plans.chunks(plans.len().div_ceil(2).max(1)).collect();
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = chunks.iter().map(|c| s.spawn(|| compile_all(c))).collect();
        hs.into_iter().map(|h| h.join().expect("compile thread")).collect()
    });
    let mut fails = Vec::new();
    let mut seen = BTreeSet::new();
    for (f, k) in results {
        fails.extend(f);
        seen.extend(k);
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
    for family in ["_iaf", "_iaf_back", "_iaf_recurrent", "_iaf_recurrent_back", "_ew", "_mm"] {
        assert!(seen.iter().any(|k| k.ends_with(family)), "no {family} kernel compiled: {seen:?}");
    }
}

#[test]
fn ptx_output_and_compile_errors() {
    require_nvrtc();
    let ok = compile(
        "extern \"C\" __global__ void k(float* x) { x[0] = 1.0f; }",
        "t.cu",
        80,
        Output::Ptx,
    )
    .unwrap();
    let ptx = String::from_utf8(ok.image).unwrap();
    assert!(ptx.contains(".entry k("), "{ptx}");
    let e = compile("__global__ void k( { }", "bad.cu", 90, Output::Ptx).unwrap_err();
    assert!(matches!(e, CudaError::Compile { .. }), "{e}");
    assert!(e.to_string().contains("bad.cu"), "{e}");
}
