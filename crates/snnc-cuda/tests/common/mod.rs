//! The plans the CUDA tests render: every fixture and every text-IR model, compiled from the
//! imported graph and from the optimized one.

#![allow(dead_code)]

pub mod family;
pub mod leaky;
pub mod window;

use std::path::{Path, PathBuf};

use snnc_ir::Graph;
use snnc_plan::{compile, CompileOptions, Plan};

/// The repository's `models` folder.
pub fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// Library exports whose unfused plans hold every elementwise op the three libraries' IF
/// exports add (GreaterOrEqual and Slice; Equal; Abs, Sign and Floor): compiling every
/// `models/family` fixture would take NVRTC many minutes for the same kernels.
const FAMILY: [&str; 3] = ["sj_hard_s", "sinabs_iaf_single_reset", "sinabs_iaf_multi_subtract"];

/// Leaky-cell exports (models/leaky) whose plans hold, between them, the fused leaky kernels
/// of every kind: LIF and LI with V_T before the reset (Norse), a recurrent LIF, a recurrent
/// current-based LIF (snnTorch), a current-based LIF (sinabs); the rest of
/// models/leaky adds no kernel these lack (`nvrtc_leaky.rs` covers the remaining variants).
const LEAKY: [&str; 4] =
    ["norse_lif_li", "norse_lif_recurrent", "snntorch_rsynaptic", "sinabs_lif_syn"];

/// Every fixture folder of `models/fixtures` (those with a model.onnx), sorted, then the
/// library exports of [`FAMILY`] and [`LEAKY`], as `models/`-relative paths.
pub fn fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(models().join("fixtures"))
        .expect("fixtures folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("model.onnx").is_file())
        .map(|e| format!("fixtures/{}", e.file_name().to_string_lossy()))
        .collect();
    v.sort();
    v.extend(FAMILY.iter().map(|f| format!("family/{f}")));
    v.extend(LEAKY.iter().map(|f| format!("leaky/{f}")));
    v
}

fn plan(g: &Graph, label: &str) -> Plan {
    compile(g, &CompileOptions::default()).unwrap_or_else(|e| panic!("{label}: {e}"))
}

fn both_stages(label: &str, g: Graph, out: &mut Vec<(String, Plan)>) {
    let opt = snnc_opt::optimize(&g, &Default::default())
        .unwrap_or_else(|e| panic!("{label}: {e}"))
        .graph;
    out.push((format!("{label} (imported)"), plan(&g, label)));
    out.push((format!("{label} (optimized)"), plan(&opt, label)));
}

/// One fixture's plans, imported and optimized; `name` is a folder of `models/fixtures`, or a
/// `models/`-relative path such as `family/sj_hard_s`.
pub fn fixture_plans(name: &str) -> Vec<(String, Plan)> {
    let dir =
        if name.contains('/') { models().join(name) } else { models().join("fixtures").join(name) };
    let path = dir.join("model.onnx");
    let g = snnc_onnx::load_onnx(&path, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    both_stages(name, g, &mut out);
    out
}

/// Every fixture's and every text model's plans.
pub fn all_plans() -> Vec<(String, Plan)> {
    let mut out = Vec::new();
    for f in fixtures() {
        out.extend(fixture_plans(&f));
    }
    let mut texts: Vec<PathBuf> = std::fs::read_dir(models().join("text"))
        .expect("text models")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "snn"))
        .collect();
    texts.sort();
    for p in texts {
        let g = snnc_text::parse_file(&p).unwrap_or_else(|e| panic!("{e}"));
        both_stages(&p.file_name().unwrap().to_string_lossy(), g, &mut out);
    }
    out
}
