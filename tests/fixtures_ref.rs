//! Every fixture through the `snnc` binary: the reference engine at both stages (the graph as
//! imported, and as the optimizer rewrote it), the CPU engine from the ONNX file, and the CPU
//! engine from a plan saved by `snnc compile`. Outputs equal the references saved from
//! Norse/PyTorch (spikes exactly, potentials to 1e-5) and gradients match autograd's to 1e-4 per
//! tensor for every surrogate the fixture was saved with. One test body, four ways to run.

mod common;

use common::*;

/// How a test runs the model: the reference engine on the `imported` or `optimized` graph,
/// the `cpu` engine on the ONNX file, or the CPU engine on a compiled `plan` file.
fn engine_args(mode: &str) -> Vec<&str> {
    match mode {
        "imported" | "optimized" => vec!["--engine", "ref", "--stage", mode],
        _ => vec!["--engine", "cpu"],
    }
}

/// The model path for `mode`: the ONNX file, or (for `plan`) a plan compiled from it with
/// `surrogate` into `tmp`.
fn model_for(mode: &str, model: &str, tmp: &std::path::Path, surrogate: &str) -> String {
    if mode != "plan" {
        return model.to_string();
    }
    let plan = tmp.join(format!("model-{}.plan", surrogate.replace(':', "_")));
    let p = plan.to_str().unwrap();
    snnc_ok(&["compile", model, "-o", p, "--surrogate", surrogate]);
    p.to_string()
}

/// Runs `snnc run` and `snnc grad` for one fixture in `mode` and checks every saved reference.
fn check_fixture(name: &str, stage: &str) {
    let dir = fixture(name);
    let meta = meta(name);
    let tmp = scratch(&format!("ref-{stage}-{name}"));
    let model = dir.join("model.onnx");
    let inputs = dir.join("inputs.npz");
    let out = tmp.join("out.npz");
    let (m, i, o) = (model.to_str().unwrap(), inputs.to_str().unwrap(), out.to_str().unwrap());
    let run_model = model_for(stage, m, &tmp, "super:100");
    let mut args = vec!["run", run_model.as_str(), "--input", i, "--output", o];
    args.extend(engine_args(stage));
    snnc_ok(&args);
    let got = npz(&out);
    let want = npz(&dir.join("outputs.npz"));
    let spikes: Vec<&str> =
        meta["spike_outputs"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut failures = Vec::new();
    for (n, w) in &want {
        if let Err(e) = compare_output(n, get(&got, n), w, spikes.contains(&n.as_str())) {
            failures.push(format!("run: {e}"));
        }
    }
    let go = dir.join("grad_outputs.npz");
    for case in meta["grads"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let surrogate = case["surrogate"].as_str().unwrap();
        let gpath = tmp.join(file);
        let gm = model_for(stage, m, &tmp, surrogate);
        let mut args = engine_args(stage);
        args.extend([
            "grad",
            gm.as_str(),
            "--input",
            i,
            "--grad-output",
            go.to_str().unwrap(),
            "--surrogate",
            surrogate,
            "--output",
            gpath.to_str().unwrap(),
        ]);
        args.rotate_left(engine_args(stage).len());
        snnc_ok(&args);
        let got = npz(&gpath);
        for (n, w) in npz(&dir.join(file)) {
            if let Err(e) = compare_grad(&n, get(&got, &n), &w) {
                failures.push(format!("grad {surrogate}: {e}"));
            }
        }
    }
    assert!(failures.is_empty(), "{name} ({stage}):\n  {}", failures.join("\n  "));
}

macro_rules! fixture_tests {
    ($($name:ident),* $(,)?) => {
        /// The graphs as imported.
        mod imported {
            $(#[test] fn $name() { super::check_fixture(stringify!($name), "imported"); })*
        }
        /// The graphs as optimized.
        mod optimized {
            $(#[test] fn $name() { super::check_fixture(stringify!($name), "optimized"); })*
        }
        /// The CPU engine on the ONNX file (optimized, compiled, run).
        mod cpu {
            $(#[test] fn $name() { super::check_fixture(stringify!($name), "cpu"); })*
        }
        /// The CPU engine on a plan written by `snnc compile`.
        mod plan {
            $(#[test] fn $name() { super::check_fixture(stringify!($name), "plan"); })*
        }
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
