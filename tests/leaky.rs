//! The leaky cell (SPEC §1.2, docs/snn-domain.md) from the command line, on
//! `models/text/lif.snn` (Linear → current-based LIF → Linear → leaky integrator read-out):
//! the reference and the CPU engine give the same outputs and gradients (SPEC §5), `snnc check
//! --engine cpu` passes, and the CUDA renderer, which has no leaky kernels yet, refuses the
//! model naming the node (of the optimized graph, whose nodes the optimizer renames: `IAF_1`).

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
fn lif_runs_and_differentiates_alike_on_ref_and_cpu() {
    let tmp = scratch("leaky");
    let m = model();
    let m = m.to_str().unwrap();
    let mut outs = Vec::new();
    let mut grads = Vec::new();
    for engine in ["ref", "cpu"] {
        let o = tmp.join(format!("out-{engine}.npz"));
        let g = tmp.join(format!("grad-{engine}.npz"));
        snnc_ok(&["run", m, "--engine", engine, "--output", o.to_str().unwrap()]);
        snnc_ok(&["grad", m, "--engine", engine, "--output", g.to_str().unwrap()]);
        outs.push(npz(&o));
        grads.push(npz(&g));
    }
    let (want, got) = (&outs[0], &outs[1]);
    let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["mem", "mem_t", "z1", "v1", "u1"]);
    // The layer fires (neither silent nor saturated), and the read-out integrates.
    let r = rate(get(want, "z1"));
    assert!(r > 0.05 && r < 0.8, "spike rate {r}");
    assert!(get(want, "mem").to_f64().iter().any(|&v| v.abs() > 1e-3));
    let mut failures = Vec::new();
    for (n, w) in want {
        if let Err(e) = compare_output(n, get(got, n), w, n == "z1") {
            failures.push(e.to_string());
        }
    }
    let (want, got) = (&grads[0], &grads[1]);
    let names: Vec<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
    for p in ["x", "u0", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] {
        assert!(names.contains(&p), "no gradient for {p}: {names:?}");
        let norm: f64 = get(want, p).to_f64().iter().map(|v| v * v).sum();
        assert!(norm > 1e-8, "the reference's gradient of {p} is zero");
    }
    for (n, w) in want {
        if let Err(e) = compare_grad(n, get(got, n), w) {
            failures.push(e.to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_passes_on_the_cpu_engine() {
    let m = model();
    let out = snnc_ok(&["check", m.to_str().unwrap(), "--engine", "cpu"]);
    assert!(out.contains("all match"), "{out}");
}

#[test]
fn the_cuda_renderer_refuses_the_leaky_cell_by_node() {
    let tmp = scratch("leaky-cuda");
    let plan = tmp.join("lif.plan");
    let m = model();
    let args = ["compile", m.to_str().unwrap(), "-o", plan.to_str().unwrap(), "--target", "cuda"];
    let out = snnc(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("node 'IAF_1' (IAF)") && err.contains("leaky cell"), "{err}");
    assert!(err.contains("alpha_syn"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The CPU target compiles it.
    snnc_ok(&["compile", m.to_str().unwrap(), "-o", plan.to_str().unwrap()]);
}
