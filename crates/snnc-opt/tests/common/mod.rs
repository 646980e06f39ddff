//! Helpers of the optimizer tests: build an e-graph from a text-IR snippet, saturate it with some
//! rules, and ask whether a class contains a pattern (egg's `tests/math.rs` style).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use egg::{Id, Pattern, Runner, Searcher, SimpleScheduler};
use snnc_ir::{Graph, Surrogate};
use snnc_opt::analysis::EGraph;
use snnc_opt::convert::from_ir::load;
use snnc_opt::lang::SnnNode;
use snnc_opt::rules::{rules, Rule};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root")
}

/// A fixture's model, imported.
pub fn fixture(name: &str) -> Graph {
    let p = root().join("models/fixtures").join(name).join("model.onnx");
    snnc_onnx::load_onnx(&p, &Default::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// A spiking-CNN fixture's model (models/cnn), imported.
pub fn cnn_fixture(name: &str) -> Graph {
    let p = root().join("models/cnn").join(name).join("model.onnx");
    snnc_onnx::load_onnx(&p, &Default::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses a text-IR graph.
pub fn graph(text: &str) -> Graph {
    snnc_text::parse_str(text, None, "test.snn").unwrap_or_else(|e| panic!("{e}"))
}

/// The rules called `names` (all of them when `names` is empty), with surrogate super:100.
pub fn named(names: &[&str]) -> Vec<Rule> {
    let all = rules(&Surrogate::default(), Default::default());
    if names.is_empty() {
        return all;
    }
    let picked: Vec<Rule> = all.into_iter().filter(|r| names.contains(&r.name.as_str())).collect();
    assert_eq!(picked.len(), names.len(), "unknown rule among {names:?}");
    picked
}

/// Loads `text` and rewrites it with `rules` to saturation (bounded); returns the e-graph and
/// the class of each graph output.
pub fn saturate(text: &str, rules: &[Rule]) -> (EGraph, Vec<Id>) {
    let loaded = load(&graph(text)).expect("loads");
    let runner = Runner::default()
        .with_egraph(loaded.egraph)
        .with_iter_limit(30)
        .with_node_limit(100_000)
        .with_scheduler(SimpleScheduler)
        .run(rules);
    let roots = loaded.roots.iter().map(|&r| runner.egraph.find(r)).collect();
    (runner.egraph, roots)
}

/// Whether the class of output `out` contains `goal` after rewriting `text` with `rules`.
pub fn reaches(text: &str, rules: &[&str], out: usize, goal: &str) -> bool {
    let (eg, roots) = saturate(text, &named(rules));
    let p: Pattern<SnnNode> = goal.parse().unwrap_or_else(|e| panic!("pattern {goal}: {e:?}"));
    p.search_eclass(&eg, roots[out]).is_some()
}

/// Asserts that `text` reaches `goal` with `rules` and that `negative` does not.
pub fn check(rules: &[&str], goal: &str, positive: &str, negative: &str) {
    assert!(reaches(positive, rules, 0, goal), "{rules:?} should reach {goal}");
    assert!(!reaches(negative, rules, 0, goal), "{rules:?} should not reach {goal}");
}
