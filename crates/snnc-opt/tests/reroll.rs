//! The `iaf-reroll` rule: chains of steps over consecutive rows of a sequence become one sequence
//! op, with the exporter's folded first step and pruned last reset.

mod common;

use common::*;

const P: &str = "{v_th = 1.0, v_reset = 0.0, surrogate = \"super:100\"}";
const STEP: &str =
    "{v_th = 1.0, v_reset = 0.0, surrogate = \"super:100\", order = \"fire_then_integrate\"}";

fn ff_steps(order: [i64; 3]) -> String {
    format!(
        "graph t {{
  input x: f32[3,2,4]
  input v0: f32[2,4]
  weight t0: i64[] = {}
  weight t1: i64[] = {}
  weight t2: i64[] = {}
  g0 = Gather(x, t0) {{axis = 0}}\n g1 = Gather(x, t1) {{axis = 0}}\n g2 = Gather(x, t2) {{axis = 0}}
  z0, v1 = IAFFeedForwardStep(g0, v0) {STEP}
  z1, v2 = IAFFeedForwardStep(g1, v1) {STEP}
  z2, v3 = IAFFeedForwardStep(g2, v2) {STEP}
  u0 = Unsqueeze(z0) {{axes = [0]}}\n u1 = Unsqueeze(z1) {{axes = [0]}}\n u2 = Unsqueeze(z2) {{axes = [0]}}
  z = Concat(u0, u1, u2) {{axis = 0}}
  output z, v3
}}",
        order[0], order[1], order[2]
    )
}

#[test]
fn a_chain_of_step_ops_is_one_sequence_op() {
    let rules = ["iaf-reroll", "concat-unstack"];
    let goal = "(proj:0 (iaf:fti:1:0:super:100 input:0 input:1))";
    check(&rules, goal, &ff_steps([0, 1, 2]), &ff_steps([0, 2, 1]));
    assert!(reaches(
        &ff_steps([0, 1, 2]),
        &rules,
        1,
        "(proj:1 (iaf:fti:1:0:super:100 input:0 input:1))"
    ));
}

fn rec_steps(w2: &str) -> String {
    format!(
        "graph t {{
  input x: f32[2,2,3]
  input z0: f32[2,4]
  input v0: f32[2,4]
  weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]
  weight w2: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]
  weight r: f32[4,4] = [1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1]
  weight t0: i64[] = 0
  weight t1: i64[] = 1
  g0 = Gather(x, t0) {{axis = 0}}\n g1 = Gather(x, t1) {{axis = 0}}
  z1, v1 = IAFStep(g0, z0, v0, w, r) {P}
  z2, v2 = IAFStep(g1, z1, v1, {w2}, r) {P}
  output v2, z2
}}"
    )
}

#[test]
fn recurrent_steps_share_their_weights() {
    let goal = "(proj:1 (iafrec:fti:1:0:super:100 input:0 ?w ?r input:2 input:1))";
    check(&["iaf-reroll"], goal, &rec_steps("w"), &rec_steps("w2"));
    assert!(reaches(
        &rec_steps("w"),
        &["iaf-reroll"],
        1,
        "(proj:2 (iafrec:fti:1:0:super:100 input:0 ?w ?r input:2 input:1))"
    ));
}

/// Integrate-then-fire as exported: the first step from v = 0 is folded to reset(x₀) and the
/// last step's reset is pruned to a bare spike Θ(v + x₂ − th).
fn exported_itf(tail_th: &str) -> String {
    format!(
        "graph t {{
  input x: f32[3,2,4]
  weight one: f32[] = 1.0
  weight two: f32[] = 2.0
  weight t0: i64[] = 0
  weight t1: i64[] = 1
  weight t2: i64[] = 2
  g0 = Gather(x, t0) {{axis = 0}}\n g1 = Gather(x, t1) {{axis = 0}}\n g2 = Gather(x, t2) {{axis = 0}}
  z0, v0 = SpikeReset(g0) {P}
  vh1 = Add(v0, g1)
  z1, v1 = SpikeReset(vh1) {P}
  vh2 = Add(v1, g2)
  s2 = Sub(vh2, {tail_th})
  z2 = Spike(s2) {{surrogate = \"super:100\"}}
  u0 = Unsqueeze(z0) {{axes = [0]}}\n u1 = Unsqueeze(z1) {{axes = [0]}}\n u2 = Unsqueeze(z2) {{axes = [0]}}
  z = Concat(u0, u1, u2) {{axis = 0}}
  output z
}}"
    )
}

#[test]
fn folded_first_step_and_pruned_last_reset() {
    let rules = ["step-ff-itf", "iaf-reroll", "concat-unstack"];
    let goal = "(proj:0 (iaf:itf:1:0:super:100 input:0))";
    // A bare spike with another threshold is not this layer's last step.
    check(&rules, goal, &exported_itf("one"), &exported_itf("two"));
}

/// Fire-then-integrate whose first steps the exporter folded: the state before step 1 is the
/// constant `w` + x₁ (its spike Θ(w − th) folded to 0).
fn exported_fti(w: &str) -> String {
    format!(
        "graph t {{
  weight w: f32[2,4] = {w}
  input x: f32[4,2,4]
  weight t1: i64[] = 1
  weight t2: i64[] = 2
  weight t3: i64[] = 3
  g1 = Gather(x, t1) {{axis = 0}}\n g2 = Gather(x, t2) {{axis = 0}}\n g3 = Gather(x, t3) {{axis = 0}}
  v1 = Add(w, g1)
  z2, r2 = SpikeReset(v1) {P}
  v2 = Add(r2, g2)
  z3, r3 = SpikeReset(v2) {P}
  v3 = Add(r3, g3)
  output v3
}}"
    )
}

#[test]
fn a_constant_state_is_not_the_initial_potential() {
    let rules = ["step-ff-fti", "iaf-reroll"];
    // Starting at step 1 from V0 = w would recompute the spike Θ(w − v_th) that the export froze
    // and give w a surrogate gradient; the chain starts at step 2 from V0 = w + x₁ instead.
    let quiet = exported_fti("[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]");
    assert!(reaches(&quiet, &rules, 0, "(proj:1 (iaf:fti:1:0:super:100 ?s (add init:0 ?g)))"));
    assert!(!reaches(&quiet, &rules, 0, "(proj:1 (iaf:fti:1:0:super:100 ?s init:0))"));
}

#[test]
fn a_folded_first_step_with_a_nonzero_reset_starts_from_an_explicit_zero_state() {
    let text = exported_itf("one").replace("v_reset = 0.0", "v_reset = 0.5");
    let rules = ["step-ff-itf", "iaf-reroll", "concat-unstack"];
    // v₋₁ = 0 is not the default v_reset, so the sequence op gets V0 = 0 as a constant.
    assert!(reaches(&text, &rules, 0, "(proj:0 (iaf:itf:1:0.5:super:100 input:0 ?v0))"));
    assert!(!reaches(&text, &rules, 0, "(proj:0 (iaf:itf:1:0.5:super:100 input:0))"));
}
