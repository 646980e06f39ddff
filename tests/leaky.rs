//! The leaky cell (SPEC §1.2, docs/snn-domain.md) from the command line, on
//! `models/text/lif.snn` (Linear → current-based LIF → Linear → leaky integrator read-out):
//! the reference and the CPU engine (and the wgpu engine, in a build with it) give the same
//! outputs and gradients (SPEC §5), `snnc check --engine cpu` (and `wgpu`) passes, and
//! `snnc compile --target cuda` renders the fused leaky kernels.

mod common;

use std::path::PathBuf;

use common::*;

fn model() -> PathBuf {
    root().join("models/text/lif.snn")
}

/// The spike rate of a 0/1 tensor.
fn rate(t: &snnc_ir::Tensor) -> f64 {
    let v = t.to_f64();
    v.iter().filter(|&&x| x != 0.0).count() as f64 / v.len() as f64
}

#[test]
fn lif_runs_and_differentiates_alike_on_ref_and_the_compiled_engines() {
    let tmp = scratch("leaky");
    let m = model();
    let m = m.to_str().unwrap();
    let mut outs = Vec::new();
    let mut grads = Vec::new();
    let mut engines = vec!["ref", "cpu"];
    if cfg!(feature = "wgpu") {
        engines.push("wgpu");
    }
    for engine in engines.iter().copied() {
        let o = tmp.join(format!("out-{engine}.npz"));
        let g = tmp.join(format!("grad-{engine}.npz"));
        snnc_ok(&["run", m, "--engine", engine, "--output", o.to_str().unwrap()]);
        snnc_ok(&["grad", m, "--engine", engine, "--output", g.to_str().unwrap()]);
        outs.push(npz(&o));
        grads.push(npz(&g));
    }
    let want = &outs[0];
    let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["mem", "mem_t", "z1", "v1", "u1"]);
    // The layer fires (neither silent nor saturated), and the read-out integrates.
    let r = rate(get(want, "z1"));
    assert!(r > 0.05 && r < 0.8, "spike rate {r}");
    assert!(get(want, "mem").to_f64().iter().any(|&v| v.abs() > 1e-3));
    let wantg = &grads[0];
    let names: Vec<&str> = wantg.iter().map(|(n, _)| n.as_str()).collect();
    for p in ["x", "u0", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] {
        assert!(names.contains(&p), "no gradient for {p}: {names:?}");
        let norm: f64 = get(wantg, p).to_f64().iter().map(|v| v * v).sum();
        assert!(norm > 1e-8, "the reference's gradient of {p} is zero");
    }
    let mut failures = Vec::new();
    for (i, engine) in engines.iter().enumerate().skip(1) {
        for (n, w) in want {
            if let Err(e) = compare_output(n, get(&outs[i], n), w, n == "z1") {
                failures.push(format!("{engine}: {e}"));
            }
        }
        for (n, w) in wantg {
            if let Err(e) = compare_grad(n, get(&grads[i], n), w) {
                failures.push(format!("{engine}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_passes_on_the_compiled_engines() {
    let m = model();
    let out = snnc_ok(&["check", m.to_str().unwrap(), "--engine", "cpu"]);
    assert!(out.contains("all match"), "{out}");
    if cfg!(feature = "wgpu") {
        let out = snnc_ok(&["check", m.to_str().unwrap(), "--engine", "wgpu"]);
        assert!(out.contains("all match"), "{out}");
    }
}

/// `snnc compile --target cuda` fuses the leaky cells and renders their kernels: the
/// current-based LIF's synaptic current and leak, the read-out's potentials as its output.
#[test]
fn the_cuda_target_renders_the_leaky_cells() {
    let tmp = scratch("leaky-cuda");
    let plan = tmp.join("lif.plan");
    let emit = tmp.join("cu");
    let m = model();
    let (m, p, e) = (m.to_str().unwrap(), plan.to_str().unwrap(), emit.to_str().unwrap());
    let out = snnc_ok(&["compile", m, "-o", p, "--target", "cuda", "--emit", e]);
    // Both layers are fused with their linear layers: the LIF layer, and the read-out, whose
    // input layer reads the LIF layer's spikes.
    assert!(out.contains("linear-event+iaf 2") && out.contains("iaf-back 2"), "{out}");
    let train = std::fs::read_to_string(emit.join("train.cu")).unwrap();
    for needle in ["float syn", "syn = c;", "const float bt", "gu = (al * gi);", "z[off] = v;"] {
        assert!(train.contains(needle), "no '{needle}' in train.cu");
    }
}
