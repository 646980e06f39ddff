//! ONNX `Where` end to end on `models/text/where_reset.snn`: an integrate-and-fire layer whose
//! hard reset is `Where(spike, v_reset, v̂)` (the condition a comparison, a spike cast back to
//! bool, or `Not` of a comparison) and plain broadcasting cases (a scalar branch, a bool[3] and a
//! bool[2,1] condition). The reference gives the values ONNX defines; the optimizer carries every
//! `Where` through; the optimized stage, `--engine cpu`, a saved plan file and (feature `wgpu`)
//! `--engine wgpu` match the reference's outputs and gradients (SPEC §5). The CUDA renderer's
//! NVRTC test compiles this model's plans with every other text model's.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use snnc_ir::Tensor;

/// The model.
fn model() -> PathBuf {
    root().join("models/text/where_reset.snn")
}

/// The input `x: f32[3,2,4]`: 0.5/24, 1.5/24, … 23.5/24 in a scrambled order, on both sides of
/// the model's 0.5 and none close to it.
fn x_values() -> Vec<f32> {
    (0..24).map(|i| ((i * 7) % 24) as f32 / 24.0 + 0.5 / 24.0).collect()
}

/// Writes [`x_values`] to `dir/x.npy`.
fn input(dir: &Path) -> PathBuf {
    let x = Tensor::from_f32_data(snnc_ir::DType::F32, &[3, 2, 4], &x_values()).unwrap();
    let path = dir.join("x.npy");
    snnc_arrays::write_npy(&path, &x).unwrap();
    path
}

/// `snnc run` (or `snnc grad` when `grad`) of `model` on the test input with `args`, in a
/// scratch folder named after `tag` (tests run in parallel: one tag per call).
fn outputs(model: &Path, tag: &str, grad: bool, args: &[&str]) -> Vec<(String, Tensor)> {
    let dir = scratch(&format!("where-{tag}"));
    let (x, out) = (input(&dir), dir.join("out.npz"));
    let cmd = if grad { "grad" } else { "run" };
    let mut all = vec![cmd, model.to_str().unwrap(), "--input", x.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", out.to_str().unwrap()]);
    snnc_ok(&all);
    npz(&out)
}

/// Outputs and gradients (upstream gradients of ones) of `model` with `args`.
type Results = (Vec<(String, Tensor)>, Vec<(String, Tensor)>);

/// [`outputs`] forward, then backward.
fn run_and_grad(model: &Path, tag: &str, args: &[&str]) -> Results {
    (outputs(model, tag, false, args), outputs(model, &format!("{tag}-grad"), true, args))
}

/// The reference on the imported graph.
fn reference(tag: &str) -> Results {
    run_and_grad(&model(), &format!("ref-{tag}"), &["--stage", "imported"])
}

/// The gradients every engine must report (SPEC §5): the float input and every float
/// initializer of more than one element. The scalars `one`, `zero` and `half` may be absorbed
/// into the optimized graph's ops; when an engine reports them they must match too.
const REQUIRED: [&str; 4] = ["x", "fc.weight", "fc.bias", "vr"];

/// Compares an engine's outputs and gradients with the reference's.
fn assert_matches(engine: &str, got: Results) {
    let (want_out, want_grad) = reference(&engine.replace(' ', "-"));
    let mut failures = Vec::new();
    for (n, w) in &want_out {
        if let Err(e) = compare_output(n, get(&got.0, n), w, n == "spikes") {
            failures.push(format!("{engine}: {e}"));
        }
    }
    for (n, w) in &want_grad {
        match got.1.iter().find(|(m, _)| m == n) {
            None if REQUIRED.contains(&n.as_str()) => {
                failures.push(format!("{engine}: no gradient for `{n}`"))
            }
            None => {}
            Some((_, g)) => {
                if let Err(e) = compare_grad(n, g, w) {
                    failures.push(format!("{engine}: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The values of an f32 tensor.
fn f32s(t: &Tensor) -> Vec<f32> {
    t.as_f32_vec().expect("an f32 tensor")
}

#[test]
fn the_reference_selects_and_broadcasts_as_onnx_defines() {
    let x = x_values();
    let (out, grads) = reference("values");
    let xs: Vec<f32> = x.iter().map(|&v| if v > 0.5 { v } else { 0.0 }).collect();
    assert_eq!(f32s(get(&out, "xs")), xs, "Where(x > 0.5, x, 0)");
    let (v2, bias, vr) = (f32s(get(&out, "v2")), [0.104f32, -0.052, 0.213], [0.0f32, -0.2, 0.15]);
    let keep = [true, false, true];
    let hold: Vec<f32> = (0..6).map(|i| if keep[i % 3] { v2[i] } else { bias[i % 3] }).collect();
    assert_eq!(f32s(get(&out, "hold")), hold, "Where(bool[3], f32[2,3], f32[3])");
    assert_eq!(f32s(get(&out, "mix"))[..3], vr, "row 0 of Where(bool[2,1], i1, vr) is vr");
    let spikes = f32s(get(&out, "spikes"));
    let fired = spikes.iter().filter(|&&s| s == 1.0).count();
    assert!(fired > 0 && fired < spikes.len(), "{fired} spikes of {}", spikes.len());
    let last = &spikes[12..];
    assert!(last.contains(&1.0) && last.contains(&0.0), "step 2 resets some neurons: {last:?}");
    for (i, &z) in last.iter().enumerate() {
        if z == 1.0 {
            assert_eq!(v2[i], vr[i % 3], "a neuron that fired at step 2 is reset to its vr");
        }
    }
    // Where's condition takes no gradient, so `half` (only compared with) gets none. With
    // upstream gradients of ones vr gets 1 from mix's row 0 plus the (non-negative) gradient of
    // every reset it provided.
    assert_eq!(f32s(get(&grads, "half")), [0.0]);
    assert!(f32s(get(&grads, "vr")).iter().all(|&g| g >= 1.0), "{:?}", get(&grads, "vr"));
}

#[test]
fn the_optimizer_carries_every_where_through() {
    let json = snnc_ok(&["inspect", model().to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    for stage in ["imported", "optimized"] {
        assert_eq!(v[stage]["ops"]["Where"], 6, "{stage}: {}", v[stage]["ops"]);
    }
}

#[test]
fn the_optimized_stage_matches() {
    assert_matches("ref optimized", run_and_grad(&model(), "opt", &["--stage", "optimized"]));
}

#[test]
fn the_cpu_engine_matches() {
    let m = model();
    assert_matches("cpu", run_and_grad(&m, "cpu", &["--engine", "cpu"]));
    check(&m, "cpu", "triangle:0.5");
}

#[test]
fn a_saved_plan_matches() {
    let plan = scratch("where-compiled").join("model.plan");
    snnc_ok(&["compile", model().to_str().unwrap(), "-o", plan.to_str().unwrap()]);
    assert_matches("plan file", run_and_grad(&plan, "plan", &[]));
}

/// `snnc check MODEL --engine ENGINE --surrogate S` on the generated input: every output and
/// gradient compared (no spike decision near its threshold) and all match.
fn check(m: &Path, engine: &str, surrogate: &str) {
    let out =
        snnc_ok(&["check", m.to_str().unwrap(), "--engine", engine, "--surrogate", surrogate]);
    // Every gradient the engine reports is compared; how many depends on which scalars the
    // optimizer absorbed (README: they have no entry then).
    assert!(out.contains("5 outputs, ") && out.contains("all match"), "{out}");
    assert!(!out.contains("not compared"), "{out}");
}

#[cfg(feature = "wgpu")]
#[test]
fn the_wgpu_engine_matches() {
    let m = model();
    assert_matches("wgpu", run_and_grad(&m, "wgpu", &["--engine", "wgpu"]));
    check(&m, "wgpu", "triangle:0.5");
}
