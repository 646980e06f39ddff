//! `--engine cuda` and `compile --target cuda` from the command line. Where CUDA is unavailable
//! (built without the `cuda` feature, or no driver or GPU) the engine is a user error: exit
//! code 1 and a message saying so, never a panic.

mod common;

use common::*;

/// Runs `snnc` with `--engine cuda`: on a machine without CUDA it must fail cleanly, saying
/// that CUDA is unavailable (and, without the feature, how to build it in).
fn cuda_or_unavailable(args: &[&str]) {
    let out = snnc(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "snnc {}: {err}", args.join(" "));
    if !cfg!(feature = "cuda") {
        assert_eq!(out.status.code(), Some(1), "snnc {}: {err}", args.join(" "));
        assert!(err.contains("CUDA is unavailable"), "{err}");
        assert!(err.contains("--features cuda"), "{err}");
    } else if out.status.code() != Some(0) {
        assert_eq!(out.status.code(), Some(1), "snnc {}: {err}", args.join(" "));
        assert!(err.contains("CUDA is unavailable") || err.contains("NVRTC"), "{err}");
    }
}

#[test]
fn engine_cuda_without_cuda_is_a_clean_error() {
    let dir = fixture("ff_t8");
    let model = dir.join("model.onnx");
    let (m, inputs) = (model.to_str().unwrap(), dir.join("inputs.npz"));
    let grads = scratch("cuda_cli").join("g.npz");
    cuda_or_unavailable(&["run", m, "--engine", "cuda"]);
    cuda_or_unavailable(&[
        "grad",
        m,
        "--input",
        inputs.to_str().unwrap(),
        "--engine",
        "cuda",
        "-o",
        grads.to_str().unwrap(),
    ]);
    cuda_or_unavailable(&["check", m, "--engine", "cuda"]);
}

#[test]
fn compile_target_cuda_emits_one_module_per_program() {
    let tmp = scratch("cuda_emit");
    let plan = tmp.join("r.plan");
    let emit = tmp.join("cu");
    let model = fixture("recurrent_t10").join("model.onnx");
    let m = model.to_str().unwrap();
    let args = [
        "compile",
        m,
        "-o",
        plan.to_str().unwrap(),
        "--target",
        "cuda",
        "--emit",
        emit.to_str().unwrap(),
    ];
    let out = snnc_ok(&args);
    assert!(out.contains("infer.cu") && out.contains("train.cu"), "{out}");
    for name in ["infer.cu", "train.cu"] {
        let code = std::fs::read_to_string(emit.join(name)).unwrap();
        assert!(code.contains("extern \"C\" __global__"), "{name}");
        assert!(code.contains("_iaf_recurrent("), "{name}: the recurrent layer's kernel");
    }
    let train = std::fs::read_to_string(emit.join("train.cu")).unwrap();
    assert!(train.contains("_iaf_recurrent_back("), "the training module has the backward");
    // The plan file is the same as for the CPU target: it runs on the CPU engine.
    let run = snnc_ok(&["run", plan.to_str().unwrap()]);
    assert!(run.contains("engine cpu"), "{run}");
    let out = snnc(&["compile", m, "-o", plan.to_str().unwrap(), "--emit", emit.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target cuda"));
}
