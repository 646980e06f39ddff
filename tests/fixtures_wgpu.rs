//! Every fixture through the `snnc` binary on the wgpu engine (WGSL compute kernels; in CI on
//! Mesa's lavapipe software Vulkan): `snnc run --engine wgpu` and `snnc grad --engine wgpu` for
//! every surrogate the fixture was saved with, against the references saved from Norse/PyTorch
//! (SPEC §5: spikes exactly, potentials to 1e-5, gradients to 1e-4 per tensor), and
//! `snnc check --engine wgpu` (the reference interpreter against the engine on its own input).
//! A machine without a wgpu adapter fails these tests: the engine is never skipped silently.

mod common;

use common::*;
use snnc_ir::Tensor;

/// The largest |a − b| / max(|b|, 1) over the elements (outputs), for the report.
fn max_err(got: &Tensor, want: &Tensor) -> f64 {
    let (a, b) = (got.to_f64(), want.to_f64());
    a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs() / y.abs().max(1.0)).fold(0.0, f64::max)
}

/// ‖a − b‖ / ‖b‖ (0 when both are zero), for the report.
fn rel_err(got: &Tensor, want: &Tensor) -> f64 {
    let (a, b) = (got.to_f64(), want.to_f64());
    let diff = a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    let norm = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    if norm == 0.0 {
        diff
    } else {
        diff / norm
    }
}

/// Runs one fixture forward and backward on the wgpu engine and checks every saved reference;
/// prints the largest errors (run with `--nocapture` to see them).
fn check_fixture(name: &str) {
    let dir = fixture(name);
    let meta = meta(name);
    let tmp = scratch(&format!("wgpu-{name}"));
    let (model, inputs, out) =
        (dir.join("model.onnx"), dir.join("inputs.npz"), tmp.join("out.npz"));
    let (m, i, o) = (model.to_str().unwrap(), inputs.to_str().unwrap(), out.to_str().unwrap());
    snnc_ok(&["run", m, "--input", i, "--output", o, "--engine", "wgpu"]);
    let got = npz(&out);
    let spikes: Vec<&str> =
        meta["spike_outputs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut failures = Vec::new();
    let mut out_err = 0f64;
    for (n, w) in npz(&dir.join("outputs.npz")) {
        let g = get(&got, &n);
        out_err = out_err.max(max_err(g, &w));
        if let Err(e) = compare_output(&n, g, &w, spikes.contains(&n.as_str())) {
            failures.push(format!("run: {e}"));
        }
    }
    let go = dir.join("grad_outputs.npz");
    let mut grad_err = 0f64;
    for case in meta["grads"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let surrogate = case["surrogate"].as_str().unwrap();
        let gpath = tmp.join(file);
        snnc_ok(&[
            "grad",
            m,
            "--input",
            i,
            "--grad-output",
            go.to_str().unwrap(),
            "--surrogate",
            surrogate,
            "--engine",
            "wgpu",
            "--output",
            gpath.to_str().unwrap(),
        ]);
        let got = npz(&gpath);
        for (n, w) in npz(&dir.join(file)) {
            let g = get(&got, &n);
            grad_err = grad_err.max(rel_err(g, &w));
            if let Err(e) = compare_grad(&n, g, &w) {
                failures.push(format!("grad {surrogate}: {e}"));
            }
        }
    }
    let check = snnc(&["check", m, "--engine", "wgpu"]);
    if !check.status.success() {
        failures.push(format!(
            "check --engine wgpu: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        ));
    }
    eprintln!(
        "{name}: outputs max rel err {out_err:.3e}, gradients max rel norm err {grad_err:.3e}"
    );
    assert!(failures.is_empty(), "{name} (wgpu):\n  {}", failures.join("\n  "));
}

macro_rules! fixture_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { check_fixture(stringify!($name)); })*

        /// The list above must name every fixture folder.
        #[test]
        fn every_fixture_is_tested() {
            let listed = vec![$(stringify!($name).to_string()),*];
            assert_eq!(all_fixtures(), listed);
        }
    };
}

fixture_tests!(
    custom_iaf_fti,
    custom_iaf_itf_perneuron,
    custom_recurrent_fti,
    custom_recurrent_itf,
    custom_steps_ff,
    custom_steps_rec,
    ff_t16,
    ff_t32,
    ff_t8,
    recurrent_t10,
    recurrent_t20,
    seed_order_t16,
    seed_order_t8,
);

/// `snnc run --engine wgpu` names the adapter it runs on; no adapter is an error (exit 1).
#[test]
fn adapter_is_found() {
    let model = fixture("ff_t8").join("model.onnx");
    let out = snnc(&["run", model.to_str().unwrap(), "--engine", "wgpu"]);
    assert!(
        out.status.success(),
        "the wgpu engine found no adapter: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("engine wgpu on "), "{text}");
}
