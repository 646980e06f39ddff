//! `snnc inspect` at both stages and `run`/`grad --stage optimized` through the binary: the SPEC
//! §4 JSON keys, the rewrites that fired, the fused cells, the listing and the clustered dot.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

fn inspect_json(name: &str, extra: &[&str]) -> Value {
    let model = fixture(name).join("model.onnx");
    let mut args = vec!["inspect", model.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&snnc_ok(&args)).expect("inspect --json is JSON")
}

#[test]
fn json_has_both_stages_rewrites_cells_and_the_stop_reason() {
    let doc = inspect_json("ff_t8", &[]);
    assert_eq!(doc["imported"]["nodes"], 155);
    assert_eq!(doc["optimized"]["nodes"], 4);
    assert_eq!(doc["optimized"]["ops"]["IAF"], 2);
    assert_eq!(doc["stop_reason"], "saturated");
    for rule in
        ["greater-to-spike", "reset-fuse", "iaf-reroll", "linear-hoist-gather", "spike-linear"]
    {
        assert!(doc["rewrites"][rule].as_u64().unwrap_or(0) > 0, "{rule}: {}", doc["rewrites"]);
    }
    let cells = doc["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    for (c, n) in cells.iter().zip([12, 4]) {
        assert_eq!(c["kind"], "IAF");
        assert_eq!(c["order"], "integrate_then_fire");
        assert_eq!((c["neurons"].as_u64(), c["steps"].as_u64()), (Some(n), Some(8)));
        assert_eq!(c["surrogate"], "super:100");
    }
    let rec = inspect_json("recurrent_t10", &["--surrogate", "tanh:3"]);
    assert_eq!(rec["cells"][0]["kind"], "IAFRecurrent");
    assert_eq!(rec["cells"][0]["surrogate"], "tanh:3");
}

#[test]
fn one_stage_at_a_time() {
    let imported = inspect_json("ff_t8", &["--stage", "imported"]);
    assert!(imported.get("optimized").is_none() && imported["imported"]["nodes"] == 155);
    let optimized = inspect_json("ff_t8", &["--stage", "optimized"]);
    assert!(optimized.get("imported").is_none() && optimized["optimized"]["nodes"] == 4);
}

#[test]
fn the_optimized_size_does_not_depend_on_t() {
    for family in [
        &["ff_t8", "ff_t16", "ff_t32"][..],
        &["recurrent_t10", "recurrent_t20"],
        &["seed_order_t8", "seed_order_t16"],
    ] {
        let sizes: Vec<Value> =
            family.iter().map(|n| inspect_json(n, &[])["optimized"]["nodes"].clone()).collect();
        assert!(sizes.iter().all(|s| *s == sizes[0]), "{family:?}: {sizes:?}");
    }
}

#[test]
fn text_listing_shows_the_fused_graph() {
    let model = fixture("ff_t8").join("model.onnx");
    let out = snnc_ok(&["inspect", model.to_str().unwrap()]);
    for needle in [
        "imported stage",
        "optimized stage",
        "rewrites fired:",
        "iaf-reroll",
        "cells:",
        "= IAF(",
        "... (72 values)",
    ] {
        assert!(out.contains(needle), "missing '{needle}':\n{out}");
    }
}

#[test]
fn dot_groups_each_cell_in_a_cluster() {
    let tmp = scratch("dot-cells");
    let model = fixture("ff_t8").join("model.onnx");
    let dot = tmp.join("g.dot");
    snnc_ok(&["inspect", model.to_str().unwrap(), "--dot", dot.to_str().unwrap()]);
    let text = std::fs::read_to_string(&dot).unwrap();
    assert!(text.contains("subgraph cluster_0") && text.contains("subgraph cluster_1"), "{text}");
    let svg = tmp.join("g.svg");
    let status = Command::new("dot")
        .args(["-Tsvg", "-o", svg.to_str().unwrap(), dot.to_str().unwrap()])
        .status()
        .expect("Graphviz `dot` is installed");
    assert!(status.success());
}

#[test]
fn run_and_grad_interpret_the_optimized_graph() {
    let model = root().join("models/text/steps.snn");
    let out = snnc_ok(&["run", model.to_str().unwrap(), "--stage", "optimized"]);
    assert!(out.contains("optimized") && out.contains("spikes"), "{out}");
    let tmp = scratch("grad-optimized");
    let g = tmp.join("g.npz");
    let out = snnc_ok(&[
        "grad",
        model.to_str().unwrap(),
        "--stage",
        "optimized",
        "-o",
        g.to_str().unwrap(),
    ]);
    assert!(out.contains("d/dx"), "{out}");
}
