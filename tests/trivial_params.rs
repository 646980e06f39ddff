//! Trainable parameters initialised to 0 or 1 (a zero bias, a gain of ones, a zero initial
//! state, a zero bias in a recurrent Gemm) and a per-neuron threshold vector stored as an
//! initializer keep their gradients on every engine: the reference interpreter on both stages,
//! `--engine cpu`, a saved plan file and (feature `wgpu`) `--engine wgpu`. Each engine's
//! gradient of every float input and every float initializer of more than one element must be
//! there and equal the imported graph's (SPEC §5).

mod common;

use std::path::Path;

use common::*;

/// The model: `models/text/trivial_params.snn`.
fn model() -> std::path::PathBuf {
    root().join("models/text/trivial_params.snn")
}

/// `snnc grad MODEL ARGS… -o OUT` on the generated input and upstream gradients of ones.
fn grads(model: &Path, tag: &str, args: &[&str]) -> Vec<(String, snnc_ir::Tensor)> {
    let out = scratch(&format!("trivial-{tag}")).join("grads.npz");
    let mut all = vec!["grad", model.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--output", out.to_str().unwrap()]);
    snnc_ok(&all);
    npz(&out)
}

/// The names every engine must report: the float input and every float initializer of more
/// than one element (the model's scalars `one` and `zero` may be absorbed).
const PARAMS: [&str; 9] =
    ["x", "fc1.weight", "fc1.bias", "gain", "W", "R", "rec.bias", "v_th2", "state0"];

/// Compares `got` with the imported graph's gradients for every name in [`PARAMS`].
fn assert_matches(engine: &str, got: &[(String, snnc_ir::Tensor)]) {
    // One scratch folder per caller: the tests run in parallel, and `scratch` empties it.
    let tag = format!("imported-{}", engine.replace(' ', "-"));
    let want = grads(&model(), &tag, &["--stage", "imported"]);
    let mut failures = Vec::new();
    for p in PARAMS {
        match got.iter().find(|(n, _)| n == p) {
            None => failures.push(format!("{engine}: no gradient for `{p}`")),
            Some((_, g)) => {
                if let Err(e) = compare_grad(p, g, get(&want, p)) {
                    failures.push(format!("{engine}: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_imported_graph_has_nonzero_gradients_for_every_parameter() {
    // A zero gradient would make the comparisons below vacuous.
    let want = grads(&model(), "imported-nonzero", &["--stage", "imported"]);
    for p in PARAMS {
        let norm: f64 = get(&want, p).to_f64().iter().map(|v| v * v).sum();
        assert!(norm > 1e-6, "`{p}` has a zero gradient in the imported graph");
    }
}

#[test]
fn reference_optimized_stage_keeps_every_parameter_gradient() {
    assert_matches("ref optimized", &grads(&model(), "opt", &["--stage", "optimized"]));
}

#[test]
fn cpu_engine_keeps_every_parameter_gradient() {
    assert_matches("cpu", &grads(&model(), "cpu", &["--engine", "cpu"]));
}

#[test]
fn a_saved_plan_keeps_every_parameter_gradient() {
    let plan = scratch("trivial-plan").join("model.plan");
    snnc_ok(&["compile", model().to_str().unwrap(), "-o", plan.to_str().unwrap()]);
    assert_matches("plan file", &grads(&plan, "plan-grad", &[]));
}

#[cfg(feature = "wgpu")]
#[test]
fn wgpu_engine_keeps_every_parameter_gradient() {
    assert_matches("wgpu", &grads(&model(), "wgpu", &["--engine", "wgpu"]));
}
