//! The optimizer preserves gradients: for every fixture and surrogate, `snnc grad` on the
//! optimized graph gives every float input and initializer that both graphs have the same
//! gradient as the imported graph (SPEC §5), and keeps every tensor the fixture's saved
//! gradients name (the model's parameters and inputs). An initializer only the imported graph
//! has is a constant the optimizer folded into an op attribute (a threshold literal, say).

mod common;

use common::*;

/// Surrogates beyond the fixture's own: `tanh:2` once exposed a surrogate path the optimizer
/// added to an exporter constant.
const EXTRA_SURROGATES: [&str; 2] = ["tanh:2", "triangle:0.5"];

fn grads(name: &str, stage: &str, surrogate: &str) -> Vec<(String, snnc_ir::Tensor)> {
    let dir = fixture(name);
    let tmp = scratch(&format!("stages-{name}-{stage}-{}", surrogate.replace(':', "_")));
    let out = tmp.join("grads.npz");
    snnc_ok(&[
        "grad",
        dir.join("model.onnx").to_str().unwrap(),
        "--input",
        dir.join("inputs.npz").to_str().unwrap(),
        "--grad-output",
        dir.join("grad_outputs.npz").to_str().unwrap(),
        "--surrogate",
        surrogate,
        "--stage",
        stage,
        "--output",
        out.to_str().unwrap(),
    ]);
    npz(&out)
}

#[test]
fn optimized_gradients_match_imported_for_every_tensor() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for name in all_fixtures() {
        let meta = meta(&name);
        let saved: Vec<(String, String)> = meta["grads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["surrogate"].as_str().unwrap().into(), c["file"].as_str().unwrap().into()))
            .collect();
        let mut surrogates: Vec<String> = saved.iter().map(|(s, _)| s.clone()).collect();
        surrogates.extend(EXTRA_SURROGATES.iter().map(|s| s.to_string()));
        let params: Vec<String> =
            npz(&fixture(&name).join(&saved[0].1)).into_iter().map(|(n, _)| n).collect();
        for s in &surrogates {
            let imported = grads(&name, "imported", s);
            let optimized = grads(&name, "optimized", s);
            for p in &params {
                if !optimized.iter().any(|(n, _)| n == p) {
                    failures.push(format!("{name} {s}: optimized graph lost `{p}`"));
                }
            }
            for (n, want) in &imported {
                if let Some((_, got)) = optimized.iter().find(|(m, _)| m == n) {
                    compared += 1;
                    if let Err(e) = compare_grad(n, got, want) {
                        failures.push(format!("{name} {s}: {e}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared > 100, "only {compared} gradients compared");
}
