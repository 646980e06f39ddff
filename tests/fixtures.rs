//! Every fixture on every engine, through the `snnc` binary: the Norse exports and `snn`
//! custom-op models of models/fixtures, the SpikingJelly, snnTorch and sinabs exports of
//! models/family, the leaky cells of all four libraries (models/leaky), and the spiking CNNs
//! of Norse and sinabs (models/cnn). Each runs on the reference interpreter at both stages
//! (the graph as imported, and as optimized), and on every compiled engine through the
//! engines' common interface (`snnc_plan::Engine`): cpu from the ONNX file and from a plan
//! saved by `snnc compile`, wgpu (feature `wgpu`; lavapipe in CI) and cuda (feature `cuda` and
//! `--cfg snnc_gpu`: on a GPU machine, `scripts/gpu-check.sh`). One test body for every
//! fixture and engine.
//!
//! Outputs equal the saved references (the library's own; SPEC §5: spikes exactly, potentials
//! to 1e-5) and gradients match the library's autograd to 1e-4 per tensor for every surrogate
//! (and reset gradient) a fixture was saved with. On the compiled engines `snnc check` also
//! compares the engine with the reference on the fixture's input, forward and backward, with
//! the first saved case's surrogate. A
//! machine without the engine's device fails its tests: no engine is skipped silently.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use snnc_ir::Tensor;

/// A fixture that the compiled engines must refuse on some modes, with the reason: there
/// `snnc run` (or `snnc compile`, for a plan) must exit with code 1 and a message that names
/// a node of `op` and says the reason.
struct Refused {
    fixture: &'static str,
    modes: &'static [&'static str],
    op: &'static str,
    why: &'static str,
}

/// None at present: every fixture runs on every engine.
const REFUSED: &[Refused] = &[];

/// Checks that `mode` refuses `model` as `r` says: exit code 1, the op and the reason named.
fn check_refused(model: &str, tmp: &Path, mode: &str, r: &Refused) {
    let plan = tmp.join("model.plan");
    let args: Vec<&str> = match mode {
        "plan" => vec!["compile", model, "-o", plan.to_str().unwrap()],
        _ => [&["run", model][..], &engine_args(mode)].concat(),
    };
    let out = snnc(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{} ({mode}) must be refused: {err}", r.fixture);
    assert!(
        err.contains(&format!("({})", r.op)) && err.contains(r.why) && err.contains("node '"),
        "{} ({mode}): the refusal must name a {} node and say '{}': {err}",
        r.fixture,
        r.op,
        r.why
    );
}

/// The largest |a − b| / max(|b|, 1) over the elements (outputs), for the report.
fn max_err(got: &Tensor, want: &Tensor) -> f64 {
    let (a, b) = (got.to_f64(), want.to_f64());
    a.iter().zip(b.iter()).map(|(x, y)| (x - y).abs() / y.abs().max(1.0)).fold(0.0, f64::max)
}

/// ‖a − b‖ / ‖b‖ (‖a − b‖ when b is zero), for the report.
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

/// The `snnc` flags that pick the engine for `mode`.
fn engine_args(mode: &str) -> Vec<&str> {
    match mode {
        "imported" | "optimized" => vec!["--engine", "ref", "--stage", mode],
        "plan" => vec!["--engine", "cpu"],
        engine => vec!["--engine", engine],
    }
}

/// The model for `mode`: the ONNX file, or a plan compiled from it with `choices` (the
/// compile-time flags).
fn model_for(mode: &str, model: &str, tmp: &Path, choices: &[&str]) -> String {
    if mode != "plan" {
        return model.to_string();
    }
    let plan = tmp.join(format!("model-{}.plan", choices.join("_").replace([':', '-'], "_")));
    let p = plan.to_str().unwrap();
    let mut args = vec!["compile", model, "-o", p];
    args.extend(choices);
    snnc_ok(&args);
    p.to_string()
}

/// The compile-time choices of one saved gradient case: the surrogate, and the reset gradient
/// when the case names one.
fn choices(case: &serde_json::Value) -> Vec<String> {
    let mut c = vec!["--surrogate".to_string(), case["surrogate"].as_str().unwrap().to_string()];
    // One choice, or one per spiking layer (Norse's recurrent LIF network mixes them).
    let rg = match &case["reset_grad"] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(l) => {
            Some(l.iter().map(|r| r.as_str().unwrap()).collect::<Vec<_>>().join(","))
        }
        _ => None,
    };
    if let Some(rg) = rg {
        c.extend(["--reset-grad".to_string(), rg]);
    }
    c
}

/// Runs fixture `dir` (named `name`) in `mode` and checks every saved reference.
fn check(dir: PathBuf, name: &str, mode: &str) {
    let meta = meta_at(&dir);
    let tmp = scratch(&format!("fixtures-{mode}-{name}"));
    let (model, inputs, out) =
        (dir.join("model.onnx"), dir.join("inputs.npz"), tmp.join("out.npz"));
    let (m, i, o) = (model.to_str().unwrap(), inputs.to_str().unwrap(), out.to_str().unwrap());
    if let Some(r) = REFUSED.iter().find(|r| r.fixture == name && r.modes.contains(&mode)) {
        check_refused(m, &tmp, mode, r);
        eprintln!("{name} ({mode}): refused as expected ({})", r.why);
        return;
    }
    let run_model = model_for(mode, m, &tmp, &[]);
    let mut args = vec!["run", run_model.as_str(), "--input", i, "--output", o];
    args.extend(engine_args(mode));
    snnc_ok(&args);
    let got = npz(&out);
    let spikes: Vec<&str> =
        meta["spike_outputs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut failures = Vec::new();
    let (mut out_err, mut grad_err) = (0f64, 0f64);
    for (n, w) in npz(&dir.join("outputs.npz")) {
        out_err = out_err.max(max_err(get(&got, &n), &w));
        if let Err(e) = compare_output(&n, get(&got, &n), &w, spikes.contains(&n.as_str())) {
            failures.push(format!("run: {e}"));
        }
    }
    let go = dir.join("grad_outputs.npz");
    for case in meta["grads"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let file = case["file"].as_str().unwrap();
        let owned = choices(case);
        let choices: Vec<&str> = owned.iter().map(String::as_str).collect();
        let gpath = tmp.join(file);
        let gm = model_for(mode, m, &tmp, &choices);
        let mut args = vec!["grad", gm.as_str(), "--input", i, "--grad-output"];
        args.extend([go.to_str().unwrap(), "--output", gpath.to_str().unwrap()]);
        args.extend(&choices);
        args.extend(engine_args(mode));
        snnc_ok(&args);
        let got = npz(&gpath);
        for (n, w) in npz(&dir.join(file)) {
            let g = get(&got, &n);
            assert_eq!(g.shape(), w.shape(), "{name} ({mode}): gradient of {n}");
            grad_err = grad_err.max(rel_err(g, &w));
            if let Err(e) = compare_grad(&n, g, &w) {
                failures.push(format!("grad {}: {e}", choices.join(" ")));
            }
        }
    }
    eprintln!(
        "{name} ({mode}): outputs max rel err {out_err:.3e}, gradients max rel norm err \
         {grad_err:.3e}"
    );
    if matches!(mode, "cpu" | "wgpu" | "cuda") {
        // With the first saved case's choices, the surrogate the library trained with (a
        // fixture saved only for its outputs, like `sj_hard_s_t8`, takes its base's).
        let saved = |m: &serde_json::Value| m["grads"].as_array().and_then(|c| c.first()).cloned();
        let base = || {
            let b = ["_t8", "_t32"].iter().find_map(|s| name.strip_suffix(s))?;
            saved(&meta_at(&dir.with_file_name(b)))
        };
        let first = saved(&meta).or_else(base);
        let mut args = vec!["check", m, "--input", i, "--engine", mode];
        let owned = first.as_ref().map(choices).unwrap_or_default();
        args.extend(owned.iter().map(String::as_str));
        let out = snnc(&args);
        if !out.status.success() {
            failures.push(format!(
                "check --engine {mode}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{name} ({mode}):\n  {}", failures.join("\n  "));
}

/// One module per mode, one test per fixture in each.
macro_rules! modes {
    ($dir:ident; $($name:ident),* $(,)?) => {
        /// The graphs as imported.
        mod imported {
            $(#[test] fn $name() { super::run(stringify!($name), "imported"); })*
        }
        /// The graphs as optimized.
        mod optimized {
            $(#[test] fn $name() { super::run(stringify!($name), "optimized"); })*
        }
        /// The CPU engine on the ONNX file.
        mod cpu {
            $(#[test] fn $name() { super::run(stringify!($name), "cpu"); })*
        }
        /// The CPU engine on a plan written by `snnc compile`.
        mod plan {
            $(#[test] fn $name() { super::run(stringify!($name), "plan"); })*
        }
        /// The wgpu engine (lavapipe in CI).
        #[cfg(feature = "wgpu")]
        mod wgpu {
            $(#[test] fn $name() { super::run(stringify!($name), "wgpu"); })*
        }
        /// The CUDA engine, on a GPU machine: scripts/gpu-check.sh builds these with
        /// `RUSTFLAGS=--cfg snnc_gpu` (a GPU is required, so the workspace's `--all-features`
        /// test run on machines without one leaves them out rather than failing them).
        #[cfg(all(feature = "cuda", snnc_gpu))]
        mod cuda {
            $(#[test] fn $name() { super::run(stringify!($name), "cuda"); })*
        }

        fn run(name: &str, mode: &str) {
            super::check(super::$dir(name), name, mode);
        }

        /// The fixtures listed, which must be every folder of the set.
        const LISTED: &[&str] = &[$(stringify!($name)),*];
    };
}

/// The Norse exports and `snn` custom-op models (models/fixtures).
mod norse {
    use super::*;

    modes!(fixture;
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

    /// The list above must name every fixture folder.
    #[test]
    fn every_fixture_is_tested() {
        assert_eq!(all_fixtures(), LISTED);
    }
}

/// The SpikingJelly, snnTorch and sinabs exports (models/family).
mod family {
    use super::*;

    modes!(family_fixture;
        sinabs_iaf_multi_subtract,
        sinabs_iaf_multi_subtract_t32,
        sinabs_iaf_multi_subtract_t8,
        sinabs_iaf_rec_multi_subtract,
        sinabs_iaf_rec_multi_subtract_t32,
        sinabs_iaf_rec_multi_subtract_t8,
        sinabs_iaf_rec_single_subtract,
        sinabs_iaf_rec_single_subtract_t32,
        sinabs_iaf_rec_single_subtract_t8,
        sinabs_iaf_single_reset,
        sinabs_iaf_single_subtract,
        sj_hard_detach_s,
        sj_hard_m,
        sj_hard_s,
        sj_hard_s_t32,
        sj_hard_s_t8,
        sj_soft_detach_m,
        sj_soft_detach_s,
        sj_soft_s,
        snntorch_leaky_none,
        snntorch_leaky_subtract,
        snntorch_leaky_subtract_t32,
        snntorch_leaky_subtract_t8,
        snntorch_leaky_zero,
        snntorch_rleaky_subtract,
    );

    /// The list above must name every fixture folder.
    #[test]
    fn every_family_fixture_is_tested() {
        assert_eq!(all_family_fixtures(), LISTED);
    }
}

/// The leaky cells of Norse, snnTorch, SpikingJelly and sinabs (models/leaky).
mod leaky {
    use super::*;

    modes!(leaky_fixture;
        norse_lif,
        norse_lif_li,
        norse_lif_li_t32,
        norse_lif_li_t8,
        norse_lif_recurrent,
        norse_lif_t32,
        norse_lif_t8,
        norse_lif_vleak,
        norse_lifbox,
        sinabs_lif_explea,
        sinabs_lif_multi,
        sinabs_lif_multi_t32,
        sinabs_lif_multi_t8,
        sinabs_lif_rec_multi,
        sinabs_lif_rec_single,
        sinabs_lif_rec_single_t32,
        sinabs_lif_rec_single_t8,
        sinabs_lif_single,
        sinabs_lif_syn,
        sj_lif_hard_m,
        sj_lif_hard_s,
        sj_lif_hard_s_t32,
        sj_lif_hard_s_t8,
        sj_lif_nodecay_hard_s,
        sj_lif_nodecay_soft_m,
        sj_lif_nodecay_soft_s,
        sj_lif_soft_s,
        snntorch_leaky_subtract,
        snntorch_leaky_subtract_t32,
        snntorch_leaky_subtract_t8,
        snntorch_leaky_zero,
        snntorch_rleaky,
        snntorch_rleaky_t32,
        snntorch_rleaky_t8,
        snntorch_rsynaptic,
        snntorch_rsynaptic_t32,
        snntorch_rsynaptic_t8,
        snntorch_synaptic,
    );

    /// The list above must name every fixture folder.
    #[test]
    fn every_leaky_fixture_is_tested() {
        assert_eq!(all_leaky_fixtures(), LISTED);
    }
}

/// The spiking CNNs of Norse and sinabs (models/cnn): run and differentiated on the reference
/// interpreter and on every compiled engine (cpu from the ONNX file and from a saved plan,
/// wgpu, cuda).
mod cnn {
    use super::*;

    modes!(cnn_fixture;
        norse_cnn,
        norse_cnn_t16,
        norse_cnn_t32,
        sinabs_cnn,
        sinabs_cnn_t16,
        sinabs_cnn_t32,
    );

    /// The list above must name every fixture folder.
    #[test]
    fn every_cnn_fixture_is_tested() {
        assert_eq!(all_cnn_fixtures(), LISTED);
    }
}

/// `snnc run --engine wgpu` names the adapter it runs on; no adapter is an error (exit 1).
#[cfg(feature = "wgpu")]
#[test]
fn wgpu_adapter_is_found() {
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
