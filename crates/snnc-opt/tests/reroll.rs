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

/// snnTorch's `RLeaky` as exported over three steps: input and recurrent Gemm with biases, the
/// late subtract reset, the first step `((0 + Wx₀ + b) + k) − 0` from a zero state with the
/// folded Gemm(0, R, c) = k, the last step's reset pruned. `step0` replaces the first step's
/// potential (`v0 = …`), `r2` names the last step's recurrent weight.
fn rleaky(step0: &str, r2: &str) -> String {
    rleaky_with(step0, r2, ", c")
}

/// [`rleaky`] with the recurrent Gemms' bias argument `rec_bias` (`", c"`, or `""`: none).
fn rleaky_with(step0: &str, r2: &str, rec_bias: &str) -> String {
    let step = |t: usize, r: &str| {
        let p = t - 1;
        format!(
            "g{t} = Gather(x, t{t}) {{axis = 0}}\n l{t} = Gemm(g{t}, w, b) {{trans_b = true}}
  a{t} = Add(v{p}, l{t})\n r{t} = Gemm(z{p}, {r}{rec_bias}) {{trans_b = true}}\n b{t} = Add(a{t}, r{t})
  v{t} = Sub(b{t}, z{p})\n s{t} = Sub(v{t}, one)\n z{t} = Spike(s{t}) {{surrogate = \"super:100\"}}"
        )
    };
    format!(
        "graph t {{
  input x: f32[3,2,3]
  weight w: f32[4,3] = [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,1.1,1.2]
  weight b: f32[4] = [0.1, 0.2, 0.3, 0.4]
  weight r: f32[4,4] = [0.5,0,0,0,0,0.5,0,0,0,0,0.5,0,0,0,0,0.5]
  weight c: f32[4] = [0.5, 0.6, 0.7, 0.8]
  weight k: f32[2,4] = [0.5, 0.6, 0.7, 0.8, 0.5, 0.6, 0.7, 0.8]
  weight zs: f32[2,4] = [0, 0, 0, 0, 0, 0, 0, 0]
  weight one: f32[] = 1.0
  weight t0: i64[] = 0
  weight t1: i64[] = 1
  weight t2: i64[] = 2
  weight r_other: f32[4,4] = [0.5,0,0,0,0,0.5,0,0,0,0,0.5,0,0,0,0,0.4]
  g0 = Gather(x, t0) {{axis = 0}}\n l0 = Gemm(g0, w, b) {{trans_b = true}}
  {step0}
  s0 = Sub(v0, one)\n z0 = Spike(s0) {{surrogate = \"super:100\"}}
  {}
  {}
  u0 = Unsqueeze(z0) {{axes = [0]}}\n u1 = Unsqueeze(z1) {{axes = [0]}}\n u2 = Unsqueeze(z2) {{axes = [0]}}
  z = Concat(u0, u1, u2) {{axis = 0}}
  output z
}}",
        step(1, "r"),
        step(2, r2)
    )
}

/// The values of the two columns `?o`, `?m` that widen the input of the cell that `goal`
/// (a pattern with those variables) finds in output 0's class after all rules.
fn widening(text: &str, goal: &str) -> Option<(Vec<f64>, Vec<f64>)> {
    use egg::{Pattern, Searcher};
    let (eg, roots) = saturate(text, &named(&[]));
    let p: Pattern<snnc_opt::lang::SnnNode> = goal.parse().unwrap();
    let m = p.search_eclass(&eg, roots[0])?;
    let s = &m.substs[0];
    let val = |v: &str| -> Vec<f64> {
        let t = eg[s[v.parse().unwrap()]].data.value.clone().expect("a constant column");
        t.to_f64().iter().copied().collect()
    };
    Some((val("?o"), val("?m")))
}

/// Rows of a column [3, 2, 1]: 1 everywhere, or 0 at the first step only.
fn column(first: f64) -> Vec<f64> {
    vec![first, first, 1.0, 1.0, 1.0, 1.0]
}

const SNNTORCH_STEP0: &str = "a0 = Add(zs, l0)\n b0 = Add(a0, k)\n v0 = Sub(b0, zs)";

/// The whole layer is one recurrent cell from V0 = k over the sequence widened by a column of
/// ones (b's) and one that is 0 at the first step and 1 after (c's: the export's first step
/// adds k instead), with the biases as weight columns; its last step is the pruned one. A last
/// step with another recurrent weight is no step of this layer.
#[test]
fn rleaky_is_one_recurrent_cell_from_v0_k() {
    let cell = "iafrec:itf:1:0:super:100:gt:subtract:attached:single";
    let goal = format!(
        "(proj:0 ({cell} (concat:2 input:0 ?o ?m) \
         (concat:1 init:0 (unsqueeze:1 init:1) (unsqueeze:1 init:3)) init:2 init:4))"
    );
    let cols = widening(&rleaky(SNNTORCH_STEP0, "r"), &goal);
    assert_eq!(cols, Some((column(1.0), column(0.0))));
    assert!(!reaches(&rleaky(SNNTORCH_STEP0, "r_other"), &[], 0, &goal));
}

/// A first step without the recurrent bias (v₀ = Wx₀ + b, as the generated exports spell it)
/// starts the cell from its default state, with c's column 0 at that step.
#[test]
fn a_first_step_without_the_recurrent_bias_starts_from_the_default_state() {
    let cell = "iafrec:itf:1:0:super:100:gt:subtract:attached:single";
    let goal = format!("(proj:0 ({cell} (concat:2 input:0 ?o ?m) ?w init:2))");
    let cols = widening(&rleaky("v0 = Identity(l0)", "r"), &goal);
    assert_eq!(cols, Some((column(1.0), column(0.0))));
    // Not over the rows the later steps read, whose c column is 1 at the first step too.
    let rows = format!("(proj:0 ({cell} (concat:2 input:0 ?ones) ?w init:2))");
    assert!(!reaches(&rleaky("v0 = Identity(l0)", "r"), &[], 0, &rows));
}

/// With an input bias only, the widened weight's column is that bias and the exported first
/// step is the cell's own: the cell starts from its default state.
#[test]
fn an_input_bias_alone_starts_from_the_default_state() {
    let cell = "iafrec:itf:1:0:super:100:gt:subtract:attached:single";
    let text = rleaky_with("v0 = Identity(l0)", "r", "");
    let goal = format!(
        "(proj:0 ({cell} (concat:2 input:0 ?o) (concat:1 init:0 (unsqueeze:1 init:1)) init:2))"
    );
    assert!(reaches(&text, &[], 0, &goal));
    let other = rleaky_with("v0 = Identity(l0)", "r_other", "");
    assert!(!reaches(&other, &[], 0, &goal));
}

/// A step whose input is a row of two sequences is linked along each: steps 0 and 1 read rows
/// 0, 1 of `s` that are also rows 1, 2 of `alt` (as a layer's spikes are rows of each cell the
/// e-graph has for it), step 2 row 2 of `s` only. The chain over `s` takes all three steps,
/// though the links along `alt` (the first sequence of each row's class) stop at step 1.
#[test]
fn steps_that_read_rows_of_two_sequences_chain_along_each() {
    use egg::{Pattern, Runner, Searcher, SimpleScheduler};
    let text = format!(
        "graph t {{
  input alt: f32[4,2,4]
  input s: f32[3,2,4]
  input v0: f32[2,4]
  weight t0: i64[] = 0
  weight t1: i64[] = 1
  weight t2: i64[] = 2
  g0 = Gather(s, t0) {{axis = 0}}\n g1 = Gather(s, t1) {{axis = 0}}\n g2 = Gather(s, t2) {{axis = 0}}
  h1 = Gather(alt, t1) {{axis = 0}}\n h2 = Gather(alt, t2) {{axis = 0}}
  z0, v1 = IAFFeedForwardStep(g0, v0) {P}
  z1, v2 = IAFFeedForwardStep(g1, v1) {P}
  z2, v3 = IAFFeedForwardStep(g2, v2) {P}
  a = Add(h1, h2)
  output v3, a
}}"
    );
    let g = graph(&text);
    let mut loaded = snnc_opt::convert::from_ir::load(&g).expect("loads");
    let eg = &mut loaded.egraph;
    let class = |eg: &snnc_opt::analysis::EGraph, name: &str| {
        let p: Pattern<snnc_opt::lang::SnnNode> = name.parse().unwrap();
        p.search(eg)[0].eclass
    };
    let pairs: Vec<_> = [
        ("(gather:0 input:1 init:0)", "(gather:0 input:0 init:1)"),
        ("(gather:0 input:1 init:1)", "(gather:0 input:0 init:2)"),
    ]
    .iter()
    .map(|(row, other)| (class(eg, row), class(eg, other)))
    .collect();
    for (a, b) in pairs {
        eg.union(a, b);
    }
    eg.rebuild();
    let runner = Runner::default()
        .with_egraph(loaded.egraph)
        .with_iter_limit(10)
        .with_scheduler(SimpleScheduler)
        .run(&named(&["iaf-reroll"]));
    let root = runner.egraph.find(loaded.roots[0]);
    let goal: Pattern<snnc_opt::lang::SnnNode> =
        "(proj:1 (iaf:fti:1:0:super:100 input:1 input:2))".parse().unwrap();
    assert!(goal.search_eclass(&runner.egraph, root).is_some());
}
