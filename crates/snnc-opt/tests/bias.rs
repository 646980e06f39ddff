//! The bias rules: a recurrent step whose input and recurrent linear maps carry biases
//! (snnTorch's `RLeaky`) becomes a step op whose input is widened by columns of ones and whose
//! weight carries each bias as a column.

mod common;

use common::*;

const RESET: &str = "{v_th = 1.0, v_reset = 0.0, surrogate = \"super:100\"}";

/// One recurrent step: x is input 1, v input 0, the previous spikes `zp` (Θ of input 2, or
/// not a spike at all); w, r, b, c, cb are init 0..4.
fn step(zp: &str, body: &str) -> String {
    format!(
        "graph t {{
  input v: f32[2,4]
  input x: f32[2,3]
  input zin: f32[2,4]
  weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]
  weight r: f32[4,4] = [1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1]
  weight b: f32[4] = [0.1, 0.2, 0.3, 0.4]
  weight c: f32[4] = [0.5, 0.6, 0.7, 0.8]
  weight cb: f32[2,4] = [0.5, 0.6, 0.7, 0.8, 0.5, 0.6, 0.7, 0.8]
  zp = {zp}
  wx = Gemm(x, w, b) {{trans_b = true}}
  {body}
}}"
    )
}

const SPIKE: &str = "Spike(zin) {surrogate = \"super:100\"}";
const NOT_SPIKE: &str = "Identity(zin)";

#[test]
fn the_recurrent_bias_splits_off() {
    let body = "rz = Gemm(zp, r, c) {trans_b = true}\n output rz";
    let rules = ["gemm-to-linear", "linear-split-bias"];
    // Only a recurrent term: the linear map of binary neuron state by a square weight.
    let goal = "(add (linear:t ?z init:1) init:3)";
    check(&rules, goal, &step(SPIKE, body), &step(NOT_SPIKE, body));
}

#[test]
fn the_recurrent_bias_moves_to_the_input_term() {
    let rules = ["gemm-to-linear", "linear-split-bias", "rec-bias-forward"];
    // (v + Wx) + (Rz + c) → (v + (Wx + c)) + Rz.
    let state_first =
        "rz = Gemm(zp, r, c) {trans_b = true}\n a = Add(v, wx)\n y = Add(a, rz)\n output y";
    let goal = "(add (add input:0 (add ?l init:3)) (linear:t ?z init:1))";
    // A term that varies along the batch is no bias: it stays where it is.
    let batch = "r0 = Gemm(zp, r) {trans_b = true}\n rz = Add(r0, cb)
  a = Add(v, wx)\n y = Add(a, rz)\n output y";
    check(&rules, goal, &step(SPIKE, state_first), &step(SPIKE, batch));
    // Wx + (Rz + c) → (Wx + c) + Rz.
    let current_first = "rz = Gemm(zp, r, c) {trans_b = true}\n y = Add(wx, rz)\n output y";
    let goal = "(add (add ?l init:3) (linear:t ?z init:1))";
    check(&rules, goal, &step(SPIKE, current_first), &step(NOT_SPIKE, current_first));
}

#[test]
fn the_input_bias_of_a_recurrent_step_is_a_weight_column() {
    let body =
        "rz = Gemm(zp, r) {trans_b = true}\n cur = Add(wx, rz)\n y = Add(v, cur)\n output wx";
    let rules = ["gemm-to-linear", "linear-bias-column"];
    let goal = "(linear:t (concat:1 input:1 ?ones) (concat:1 init:0 (unsqueeze:1 init:2)))";
    // Beside no recurrent term (the spikes are no spikes), a biased Linear stays as it is.
    check(&rules, goal, &step(SPIKE, body), &step(NOT_SPIKE, body));
}

/// The input term with the recurrent bias moved beside it: one column per bias.
#[test]
fn both_biases_are_weight_columns() {
    let body =
        "rz = Gemm(zp, r) {trans_b = true}\n a = Add(wx, c)\n y = Add(v, a)\n vh = Add(y, rz)
  output a";
    let rules = ["gemm-to-linear", "linear-bias-column"];
    let goal = "(linear:t (concat:1 input:1 ?ones) \
                (concat:1 init:0 (unsqueeze:1 init:2) (unsqueeze:1 init:3)))";
    // A term that varies along the batch is no bias.
    let batch = body.replace("Add(wx, c)", "Add(wx, cb)");
    check(&rules, goal, &step(SPIKE, body), &step(SPIKE, &batch));
}

/// A step whose input is row 1 of a sequence: the widened row is row 1 of the widened sequence.
#[test]
fn a_widened_row_is_a_row_of_the_widened_sequence() {
    let text = "graph t {
  input v: f32[2,4]
  input s: f32[3,2,3]
  input zin: f32[2,4]
  weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]
  weight r: f32[4,4] = [1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1]
  weight b: f32[4] = [0.1, 0.2, 0.3, 0.4]
  weight t1: i64[] = 1
  zp = Spike(zin) {surrogate = \"super:100\"}
  x = Gather(s, t1) {axis = 0}
  wx = Gemm(x, w, b) {trans_b = true}
  rz = Gemm(zp, r) {trans_b = true}
  cur = Add(wx, rz)
  y = Add(v, cur)
  output wx
}";
    let rules = ["gemm-to-linear", "linear-bias-column"];
    let goal = "(linear:t (gather:0 (concat:2 input:1 ?ones) init:3) ?w)";
    assert!(reaches(text, &rules, 0, goal));
}

/// The whole step: both biases end in the step op's weight columns.
#[test]
fn a_step_with_both_biases_is_one_step_op() {
    let body = format!(
        "rz = Gemm(zp, r, c) {{trans_b = true}}\n a = Add(v, wx)\n vh = Add(a, rz)
  z, vn = SpikeReset(vh) {RESET}\n output vn"
    );
    let rules = [
        "gemm-to-linear",
        "linear-split-bias",
        "rec-bias-forward",
        "linear-bias-column",
        "step-rec-itf",
    ];
    let goal = "(proj:1 (recstep:itf:1:0:super:100 (concat:1 input:1 ?o) ?z input:0 \
                (concat:1 init:0 (unsqueeze:1 init:2) (unsqueeze:1 init:3)) init:1))";
    check(&rules, goal, &step(SPIKE, &body), &step(NOT_SPIKE, &body));
}
