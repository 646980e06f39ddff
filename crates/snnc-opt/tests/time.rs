//! The time rules: linear layers over time, joining steps into sequences, and re-rolling chains
//! of steps into one sequence op.

mod common;

use common::*;

const W: &str = "weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]\n  weight b: f32[4] = [1,2,3,4]";

fn seq(body: &str) -> String {
    format!(
        "graph t {{
  input x: f32[5,2,3]
  {W}
  weight t1: i64[] = 1
  weight t2: i64[] = 2
  {body}
}}"
    )
}

#[test]
fn gemm_is_linear() {
    let pos = "graph t {\n input x: f32[2,3]\n weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]\n weight b: f32[4] = [1,2,3,4]\n y = Gemm(x, w, b) {trans_b = true}\n output y\n}";
    let neg = pos.replace("trans_b = true}", "trans_b = true, alpha = 2.0}");
    check(&["gemm-to-linear"], "(linear:t input:0 ?w ?b)", pos, &neg);
}

#[test]
fn matmul_by_a_matrix_is_linear() {
    let pos = "graph t {\n input x: f32[5,2,3]\n weight w: f32[3,4] = [1,2,3,4,5,6,7,8,9,10,11,12]\n y = MatMul(x, w)\n output y\n}";
    let neg =
        "graph t {\n input x: f32[5,2,3]\n input w: f32[5,3,4]\n y = MatMul(x, w)\n output y\n}";
    check(&["matmul-to-linear"], "(linear:n input:0 ?w)", pos, neg);
}

#[test]
fn bias_joins_a_linear() {
    let pos = "graph t {\n input x: f32[5,2,3]\n weight w: f32[3,4] = [1,2,3,4,5,6,7,8,9,10,11,12]\n weight b: f32[4] = [1,2,3,4]\n m = MatMul(x, w)\n y = Add(m, b)\n output y\n}";
    // A bias per row is not a Linear bias.
    let neg = pos.replace("weight b: f32[4] = [1,2,3,4]", "weight b: f32[2,4] = [1,2,3,4,5,6,7,8]");
    check(&["matmul-to-linear", "linear-bias"], "(linear:n input:0 ?w ?b)", pos, &neg);
}

#[test]
fn a_per_step_gemm_is_a_step_of_one_gemm_over_time() {
    let pos = seq("xt = Gather(x, t1) {axis = 0}\n y = Gemm(xt, w, b) {trans_b = true}\n output y");
    let neg = "graph t {\n input x: f32[2,5,3]\n weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]\n weight b: f32[4] = [1,2,3,4]\n weight t1: i64[] = 1\n xt = Gather(x, t1) {axis = 1}\n y = Gemm(xt, w, b) {trans_b = true}\n output y\n}";
    let rules = ["gemm-to-linear", "linear-hoist-gather"];
    check(&rules, "(gather:0 (linear:t input:0 ?w ?b) ?t)", &pos, neg);
}

#[test]
fn stacked_steps_are_the_sequence() {
    let body = |a: &str, b: &str| {
        seq(&format!(
            "weight t0: i64[] = 0\n weight t3: i64[] = 3\n weight t4: i64[] = 4
  g0 = Gather(x, t0) {{axis = 0}}\n g1 = Gather(x, t1) {{axis = 0}}\n g2 = Gather(x, t2) {{axis = 0}}
  g3 = Gather(x, t3) {{axis = 0}}\n g4 = Gather(x, t4) {{axis = 0}}
  u0 = Unsqueeze({a}) {{axes = [0]}}\n u1 = Unsqueeze(g1) {{axes = [0]}}\n u2 = Unsqueeze(g2) {{axes = [0]}}
  u3 = Unsqueeze(g3) {{axes = [0]}}\n u4 = Unsqueeze({b}) {{axes = [0]}}
  y = Concat(u0, u1, u2, u3, u4) {{axis = 0}}\n output y"
        ))
    };
    check(&["concat-unstack"], "input:0", &body("g0", "g4"), &body("g1", "g4"));
    // A run inside a longer concatenation is a slice of the sequence.
    assert!(reaches(
        &body("g1", "g0"),
        &["concat-unstack"],
        0,
        "(concat:0 ?a (gather:0 input:0 ?i) ?b)"
    ));
}

#[test]
fn hoisting_keeps_the_matched_products_weight_layout() {
    // A square weight: w and its transpose type-check alike, so only the layout flag
    // tells x·w from x·wᵀ. The step's class holds Linear:n(xt, w) and, after
    // `linear-transposed`, Linear:t(xt, Transpose(w)); each hoists with its own flag.
    let text = "graph t {
  input x: f32[5,2,3]
  weight w: f32[3,3] = [1,2,3,4,5,6,7,8,9]
  weight t1: i64[] = 1
  xt = Gather(x, t1) {axis = 0}
  y = MatMul(xt, w)
  output y
}";
    let rules = ["matmul-to-linear", "linear-transposed", "linear-hoist-gather"];
    assert!(reaches(text, &rules, 0, "(gather:0 (linear:n input:0 init:0) ?t)"));
    assert!(reaches(text, &rules, 0, "(gather:0 (linear:t input:0 (transpose:1,0 init:0)) ?t)"));
    assert!(!reaches(text, &rules, 0, "(gather:0 (linear:t input:0 init:0) ?t)"));
    assert!(!reaches(text, &rules, 0, "(gather:0 (linear:n input:0 (transpose:1,0 init:0)) ?t)"));
}
