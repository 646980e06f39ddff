//! `snnc bench` end to end: every engine timed on the same input, outputs compared with the
//! reference, training steps, plan files, custom-op models that tract cannot run, bad arguments.

mod common;

use common::*;
use serde_json::Value;

/// Runs `snnc bench ARGS --json` and parses stdout, which must hold nothing but the JSON.
fn bench_json(args: &[&str]) -> Value {
    let mut all = vec!["bench"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = snnc_ok(&all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bench --json is not JSON ({e}): {out}"))
}

fn model(name: &str) -> String {
    fixture(name).join("model.onnx").to_string_lossy().into_owned()
}

fn inputs(name: &str) -> String {
    fixture(name).join("inputs.npz").to_string_lossy().into_owned()
}

/// Asserts that `v` holds positive timings of `runs` runs.
fn assert_timed(v: &Value, runs: u64, what: &str) {
    for key in ["median_ms", "min_ms", "mean_ms"] {
        let x = v[key].as_f64().unwrap_or_else(|| panic!("{what}: no {key} in {v}"));
        assert!(x > 0.0 && x.is_finite(), "{what}: {key} = {x}");
    }
    assert!(v["min_ms"].as_f64() <= v["median_ms"].as_f64(), "{what}: min above median: {v}");
    assert_eq!(v["runs"].as_u64(), Some(runs), "{what}: {v}");
}

/// SPEC §5 against the reference: spikes equal, potentials to relative 1e-5.
fn assert_matches_reference(e: &Value, what: &str) {
    assert_eq!(e["spikes_equal"], Value::Bool(true), "{what}: {e}");
    let rel = e["max_rel_diff"].as_f64().unwrap_or_else(|| panic!("{what}: no max_rel_diff"));
    assert!(rel <= 1e-5, "{what}: max_rel_diff {rel}");
    assert!(e["max_abs_diff"].as_f64().is_some(), "{what}: no max_abs_diff: {e}");
}

#[test]
fn every_engine_is_timed_and_matches_the_reference() {
    let doc = bench_json(&[&model("ff_t8"), "--input", &inputs("ff_t8"), "--runs", "2"]);
    assert_eq!(doc["runs"].as_u64(), Some(2));
    assert_eq!(doc["inputs"]["x"]["generated"], Value::Bool(false), "{doc}");
    let engines = doc["engines"].as_object().expect("engines object");
    assert_eq!(engines.len(), 3, "{doc}");
    for name in ["cpu", "ref", "tract"] {
        let e = &engines[name];
        assert_timed(e, 2, name);
        assert_timed(&e["forward"], 2, name);
        assert_eq!(e["median_ms"], e["forward"]["median_ms"], "{name}");
        assert!(e.get("train").is_none(), "{name}: train without --train");
        assert_matches_reference(e, name);
    }
    assert_eq!(engines["ref"]["max_abs_diff"].as_f64(), Some(0.0));
    let vs_ref = engines["cpu"]["forward"]["vs_ref"].as_f64().expect("cpu speed-up vs ref");
    let ratio = engines["ref"]["median_ms"].as_f64().unwrap()
        / engines["cpu"]["median_ms"].as_f64().unwrap();
    assert!((vs_ref - ratio).abs() <= 1e-9 * ratio, "{vs_ref} vs {ratio}");
    assert!(engines["cpu"]["forward"]["vs_tract"].as_f64().is_some());
}

#[test]
fn train_times_forward_and_parameter_gradients() {
    let doc = bench_json(&[
        &model("recurrent_t10"),
        "--runs",
        "2",
        "--warmup",
        "0",
        "--train",
        "--threads",
        "2",
    ]);
    assert_eq!(doc["threads"].as_u64(), Some(2));
    assert_eq!(doc["inputs"]["x"]["generated"], Value::Bool(true), "{doc}");
    for name in ["cpu", "ref"] {
        let t = &doc["engines"][name]["train"];
        assert_timed(t, 2, &format!("{name} train"));
        assert!(t["grads_compared"].as_u64().unwrap_or(0) > 0, "{name}: {t}");
        let err = t["grad_rel_err"].as_f64().unwrap_or_else(|| panic!("{name}: {t}"));
        assert!(err <= 1e-4, "{name}: gradient relative error {err}");
    }
    let tract = &doc["engines"]["tract"];
    assert_timed(tract, 2, "tract");
    assert!(tract.get("train").is_none(), "tract has no training step: {tract}");
}

/// `--profile` adds the cpu engine's per-step medians: every forward step of the inference
/// program, and a training program that runs the forward steps and then backward ones.
#[test]
fn profile_lists_every_cpu_step() {
    let args = [&model("ff_t8")[..], "--engine", "cpu", "--runs", "3", "--warmup", "0"];
    let plain = bench_json(&[&args[..], &["--train"]].concat());
    assert!(plain["engines"]["cpu"].get("profile").is_none(), "{plain}");
    let doc = bench_json(&[&args[..], &["--train", "--profile"]].concat());
    let p = &doc["engines"]["cpu"]["profile"];
    let steps = |mode: &str| -> Vec<(u64, String)> {
        let list = p[mode].as_array().unwrap_or_else(|| panic!("no {mode} profile: {p}"));
        list.iter()
            .map(|s| {
                let ms = s["median_ms"].as_f64().unwrap_or(-1.0);
                assert!(ms >= 0.0 && ms.is_finite(), "{mode}: {s}");
                assert!(!s["node"].as_str().unwrap_or("").is_empty(), "{mode}: {s}");
                (s["step"].as_u64().unwrap(), s["kernel"].as_str().unwrap().to_string())
            })
            .collect()
    };
    let (fwd, train) = (steps("forward"), steps("train"));
    let kernels: Vec<&str> = fwd.iter().map(|(_, k)| k.as_str()).collect();
    assert!(kernels.iter().any(|k| k.ends_with("iaf")), "{kernels:?}");
    assert!(fwd.windows(2).all(|w| w[0].0 < w[1].0), "steps out of order: {fwd:?}");
    assert!(train.len() > fwd.len(), "training adds backward steps: {train:?}");
    assert!(train.iter().any(|(_, k)| k == "iaf-back"), "{train:?}");
    let table = snnc_ok(&[&["bench"][..], &args[..], &["--profile"]].concat());
    assert!(table.contains("cpu forward steps (median ms"), "{table}");
}

#[test]
fn a_plan_file_benches_the_cpu_engine_only() {
    let tmp = scratch("bench-plan");
    let plan = tmp.join("ff8.plan");
    snnc_ok(&["compile", &model("ff_t8"), "-o", plan.to_str().unwrap()]);
    let doc = bench_json(&[plan.to_str().unwrap(), "--runs", "2"]);
    let engines = doc["engines"].as_object().unwrap();
    assert_timed(&engines["cpu"], 2, "cpu");
    for name in ["ref", "tract"] {
        assert!(engines[name]["skipped"].is_string(), "{name}: {doc}");
        assert!(engines[name].get("median_ms").is_none(), "{name}: {doc}");
    }
    let out = snnc(&["bench", plan.to_str().unwrap(), "--engine", "ref"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ff8.plan"));
}

#[test]
fn tract_is_skipped_for_custom_ops_and_refused_when_named() {
    let doc = bench_json(&[
        &model("custom_iaf_fti"),
        "--input",
        &inputs("custom_iaf_fti"),
        "--runs",
        "1",
    ]);
    let engines = &doc["engines"];
    let why = engines["tract"]["skipped"].as_str().unwrap_or_else(|| panic!("{doc}"));
    assert!(why.contains("snn") && why.contains("IAF"), "{why}");
    for name in ["cpu", "ref"] {
        assert_timed(&engines[name], 1, name);
        assert_matches_reference(&engines[name], name);
    }

    let out = snnc(&["bench", &model("custom_iaf_fti"), "--engine", "cpu,tract"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("custom_iaf_fti/model.onnx") && err.contains("tract"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn engines_can_be_picked_and_the_table_lists_them() {
    let out = snnc_ok(&["bench", &model("ff_t8"), "--engine", "cpu,ref", "--runs", "1", "--train"]);
    let rows: Vec<&str> = out.lines().collect();
    assert!(rows.iter().any(|l| l.starts_with("engine") && l.contains("median ms")), "{out}");
    for (engine, mode) in
        [("cpu", "forward"), ("cpu", "train"), ("ref", "forward"), ("ref", "train")]
    {
        assert!(
            rows.iter().any(|l| l.split_whitespace().take(2).eq([engine, mode])),
            "no {engine} {mode} row: {out}"
        );
    }
    assert!(!rows.iter().any(|l| l.starts_with("tract")), "{out}");
}

#[test]
fn bad_bench_arguments_are_refused() {
    for args in [
        vec!["bench", "models/fixtures/ff_t8/model.onnx", "--runs", "0"],
        vec!["bench", "models/fixtures/ff_t8/model.onnx", "--threads", "0"],
        vec!["bench", "models/fixtures/ff_t8/model.onnx", "--engine", "gpu"],
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| if a.ends_with(".onnx") { model("ff_t8") } else { a.to_string() })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = snnc(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = snnc(&["bench", "no/such/model.onnx"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/model.onnx"));
}
