//! The example models in `models/text`, and the generator of `npz_weights.npz`.

mod common;

use std::path::Path;

use common::*;
use snnc_ir::{Graph, Tensor};
use snnc_text::parse_file;

fn load(name: &str) -> Graph {
    let g = parse_file(&models_dir().join(name)).unwrap_or_else(|e| panic!("{e}"));
    snnc_ir::verify(&g).unwrap_or_else(|e| panic!("{name}: {e}"));
    g
}

fn weight<'a>(g: &'a Graph, name: &str) -> &'a Tensor {
    g.initializer(g.find(name).unwrap_or_else(|| panic!("no {name}"))).expect("initializer")
}

fn out_types(g: &Graph) -> Vec<String> {
    g.outputs().iter().map(|&o| format!("{}:{}", g.value(o).name, g.ty(o))).collect()
}

/// Writes `npz_weights.npz`: ff2's fc1.weight, fc1.bias and fc2.weight.
fn write_npz_weights(path: &Path) {
    let ff2 = load("ff2.snn");
    let keys = ["fc1.weight", "fc1.bias", "fc2.weight"];
    let arrays: Vec<(&str, &Tensor)> = keys.iter().map(|&k| (k, weight(&ff2, k))).collect();
    snnc_arrays::write_npz(path, &arrays).unwrap();
}

/// With `SNNC_REGENERATE=1` this rewrites the committed archive (after changing ff2.snn).
#[test]
fn npz_weights_archive_is_up_to_date() {
    if std::env::var_os("SNNC_REGENERATE").is_some() {
        write_npz_weights(&models_dir().join("npz_weights.npz"));
    }
    let dir = temp_dir("regen");
    let fresh = dir.join("npz_weights.npz");
    write_npz_weights(&fresh);
    let committed = std::fs::read(models_dir().join("npz_weights.npz")).unwrap();
    assert!(
        std::fs::read(&fresh).unwrap() == committed,
        "models/text/npz_weights.npz is stale: rerun this test with SNNC_REGENERATE=1"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ff2_is_a_two_layer_feed_forward_network() {
    let g = load("ff2.snn");
    assert_eq!(out_types(&g), ["spikes:f32[4,2,4]", "v_final:f32[2,4]"]);
    assert_eq!(g.op_histogram().get("IAF"), Some(&2));
    assert_eq!(g.inputs().len(), 1);
    assert_eq!(g.initializers().len(), 4);
    assert!(g.find_node("lif1").is_some() && g.find_node("lif2").is_some());
}

#[test]
fn npz_weights_matches_ff2() {
    let (a, b) = (load("ff2.snn"), load("npz_weights.snn"));
    for k in ["fc1.weight", "fc1.bias", "fc2.weight"] {
        assert!(weight(&a, k).same_bits(weight(&b, k)), "{k}");
    }
    assert_eq!(out_types(&a), out_types(&b));
}

#[test]
fn recurrent_uses_iaf_recurrent() {
    let g = load("recurrent.snn");
    assert_eq!(
        out_types(&g),
        ["z:f32[4,2,5]", "readout:f32[4,2,2]", "v_t:f32[2,5]", "z_t:f32[2,5]"]
    );
    assert_eq!(g.op_histogram().get("IAFRecurrent"), Some(&1));
}

#[test]
fn steps_is_the_exported_primitive_pattern() {
    let g = load("steps.snn");
    assert_eq!(out_types(&g), ["spikes:f32[2,2,3]", "v1:f32[2,3]"]);
    let ops: Vec<&str> = g.nodes().iter().map(|n| n.op.name()).collect();
    let step = ["Gather", "Gemm", "Add", "Sub", "Greater", "Cast", "Sub", "Mul", "Mul", "Add"];
    let body = &ops[3..];
    assert_eq!(&body[..10], step);
    assert_eq!(&body[10..20], step);
    assert_eq!(&body[20..], ["Unsqueeze", "Unsqueeze", "Concat"]);
}

#[test]
fn where_reset_selects_with_broadcasting_conditions() {
    let g = load("where_reset.snn");
    assert_eq!(
        out_types(&g),
        ["spikes:f32[3,2,3]", "v2:f32[2,3]", "xs:f32[3,2,4]", "hold:f32[2,3]", "mix:f32[2,3]"]
    );
    assert_eq!(g.op_histogram().get("Where"), Some(&6));
    let conds: Vec<String> = g
        .nodes()
        .iter()
        .filter(|n| n.op.name() == "Where")
        .map(|n| g.ty(n.input(0).unwrap()).to_string())
        .collect();
    let (step, plain) = ("bool[2,3]", ["bool[3,2,4]", "bool[3]", "bool[2,1]"]);
    assert_eq!(conds[..3], [step; 3]);
    assert_eq!(conds[3..], plain);
}

#[test]
fn the_example_in_the_docs_parses() {
    let doc = std::fs::read_to_string(models_dir().join("../../docs/text-ir.md")).unwrap();
    let start = doc.find("```\n# ff2.snn").unwrap() + 4;
    let block = &doc[start..start + doc[start..].find("```").unwrap()];
    let dir = temp_dir("doc");
    let fc1 = weight(&load("ff2.snn"), "fc1.weight").clone();
    snnc_arrays::write_npz(&dir.join("ff2.npz"), &[("fc1.weight", &fc1)]).unwrap();
    std::fs::write(dir.join("ff2.snn"), block).unwrap();
    let g = parse_file(&dir.join("ff2.snn")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out_types(&g), ["spikes:f32[4,2,12]", "v_final:f32[2,12]"]);
    let _ = std::fs::remove_dir_all(&dir);
}
