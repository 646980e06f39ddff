//! The leaky-cell rules (SPEC §1.2): one step read from the affine form of a potential's update
//! (`leak-step-itf`, feed-forward, with a synapse, recurrent), a leaky integrator's step
//! (`leak-li`), and re-rolling chains of leaky steps (`iaf-reroll` threading U), each with a
//! spelling that must reach its goal and one that must not.

mod common;

use common::*;
use snnc_opt::{optimize, OptOptions};

const RESET: &str = "{v_th = 1.0, v_reset = 0.0, surrogate = \"super:100\"}";

/// The neuron fields of a leaky cell with Norse's family: α, β, γ, v_leak.
fn leaky(a: &str, b: &str, g: &str, vl: &str) -> String {
    format!("1:0:super:100:gt:value:attached:single:leak:{a}:{b}:{g}:{vl}:after")
}

/// Two feed-forward steps over inputs x then x2 [2, 3], from v (and the current u for a
/// synapse): `body` computes `vh{s}` from `{v}`, `{x}`, `{u}` (step 1: v, x, u, s = ""; step 2:
/// vn, x2, cur, s = "2"), reset as Norse does. A leaky step fuses only where it chains.
fn ff(consts: &str, body: &str, outputs: &str) -> String {
    let step = |v: &str, x: &str, u: &str, sfx: &str| {
        body.replace("{v}", v).replace("{x}", x).replace("{u}", u).replace("{s}", sfx)
    };
    format!(
        "graph t {{
  input v: f32[2,3]
  input x: f32[2,3]
  input u: f32[2,3]
  input x2: f32[2,3]
  {consts}
  {}
  z, vn = SpikeReset(vh) {RESET}
  {}
  z2, vn2 = SpikeReset(vh2) {RESET}
  output {outputs}
}}",
        step("v", "x", "u", ""),
        step("vn", "x2", "cur", "2")
    )
}

const HALVES: &str = "weight b: f32[] = 0.5\n  weight g: f32[] = 0.5";
const SCALED: &str = "bv{s} = Mul(b, {v})\n  gx{s} = Mul(g, {x})\n  vh{s} = Add(bv{s}, gx{s})";

#[test]
fn a_leaky_integration_before_a_reset_is_a_leaky_step() {
    let pos = ff(HALVES, SCALED, "vn2, z2");
    // β = 0.5 from a trainable per-neuron parameter: its gradient would be lost in an attribute.
    let trained = "weight b: f32[3] = [0.5, 0.5, 0.5]\n  weight g: f32[] = 0.5";
    let neg = ff(trained, SCALED, "vn2, z2");
    let step = format!("(ffstep:itf:{} input:3 ?v)", leaky("0", "0.5", "0.5", "0"));
    check(&["leak-step-itf"], &format!("(proj:1 {step})"), &pos, &neg);
    assert!(reaches(&pos, &["leak-step-itf"], 1, &format!("(proj:0 {step})")));
    // The first step chains with the second: it fuses too.
    let first = format!("(proj:1 (ffstep:itf:{} input:1 input:0))", leaky("0", "0.5", "0.5", "0"));
    assert!(reaches(&ff(HALVES, SCALED, "vn, z"), &["leak-step-itf"], 0, &first));
}

#[test]
fn a_lone_leaky_sum_stays_arithmetic() {
    // The second step decays by another β: no two steps chain, so neither is a leaky cell.
    let body = SCALED.replace("Mul(b, {v})", "Mul(b{s}, {v})");
    let consts = "weight b: f32[] = 0.5\n  weight b2: f32[] = 0.25\n  weight g: f32[] = 0.5";
    let chained = ff(&consts.replace("0.25", "0.5"), &body, "vn, z");
    let lone = ff(consts, &body, "vn, z");
    let first = format!("(proj:1 (ffstep:itf:{} input:1 input:0))", leaky("0", "0.5", "0.5", "0"));
    check(&["leak-step-itf"], &first, &chained, &lone);
}

#[test]
fn norse_spelling_reads_as_beta_gamma_and_v_leak() {
    // Norse: v + γ·((v_leak − v) + x) with γ = 0.5, v_leak = 0.25: β = 0.5, δ = 0.125.
    let consts = "weight g: f32[] = 0.5\n  weight vl: f32[] = 0.25";
    let body = "d{s} = Sub(vl, {v})\n  s{s} = Add(d{s}, {x})\n  gs{s} = Mul(g, s{s})\n  vh{s} = Add({v}, gs{s})";
    let pos = ff(consts, body, "vn2, z2");
    // An IF step with a constant drift: v + x + 0.25 is no leaky cell (β = 1, δ ≠ 0).
    let drift = "s{s} = Add({v}, {x})\n  vh{s} = Add(s{s}, vl)";
    let neg = ff(consts, drift, "vn2, z2");
    let goal = format!("(proj:1 (ffstep:itf:{} input:3 ?v))", leaky("0", "0.5", "0.5", "0.25"));
    check(&["leak-step-itf"], &goal, &pos, &neg);
}

#[test]
fn a_decaying_current_is_a_synapse() {
    // u_t = 0.5·u + x, v̂ = 0.5·v + 0.25·u_t.
    let consts = "weight a: f32[] = 0.5\n  weight b: f32[] = 0.5\n  weight g: f32[] = 0.25";
    let body = "au{s} = Mul(a, {u})\n  cur{s} = Add(au{s}, {x})\n  bv{s} = Mul(b, {v})\n  \
                gc{s} = Mul(g, cur{s})\n  vh{s} = Add(bv{s}, gc{s})";
    let pos = ff(consts, body, "vn2, z2, cur2");
    // The input enters the current scaled by 2: u_t = 0.5·u + 2·x is no synapse of x.
    let scaled = body.replace("Add(au{s}, {x})", "Add(au{s}, tx{s})");
    let scaled = format!("tx{{s}} = Mul(two, {{x}})\n  {scaled}");
    let neg = ff(&format!("{consts}\n  weight two: f32[] = 2.0"), &scaled, "vn2, z2, cur2");
    let step = format!("(ffstep:itf:{} input:3 ?v ?u)", leaky("0.5", "0.5", "0.25", "0"));
    check(&["leak-step-itf"], &format!("(proj:1 {step})"), &pos, &neg);
    // The step's third output is the new current.
    assert!(reaches(&pos, &["leak-step-itf"], 2, &format!("(proj:2 {step})")));
}

/// Two recurrent steps: step 1 from v with the recurrent input `zp` (made by `state` from
/// zin), step 2 from its reset potential with `zq` (made by `next` from its spikes z).
fn rec(state: &str, next: &str) -> String {
    let step = |v: &str, x: &str, z: &str, s: &str| {
        format!(
            "wx{s} = Gemm({x}, w) {{trans_b = true}}\n  rz{s} = Gemm({z}, r) {{trans_b = true}}\n  \
             cur{s} = Add(wx{s}, rz{s})\n  bv{s} = Mul(b, {v})\n  bc{s} = Mul(b, cur{s})\n  \
             vh{s} = Add(bv{s}, bc{s})"
        )
    };
    format!(
        "graph t {{
  input v: f32[2,4]
  input x: f32[2,3]
  input zin: f32[2,4]
  input x2: f32[2,3]
  weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]
  weight r: f32[4,4] = [1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1]
  weight b: f32[] = 0.5
  {state}
  {}
  z, vn = SpikeReset(vh) {RESET}
  {next}
  {}
  z2, vn2 = SpikeReset(vh2) {RESET}
  output vn2, z2
}}",
        step("v", "x", "zp", ""),
        step("vn", "x2", "zq", "2")
    )
}

#[test]
fn a_recurrent_current_is_a_recurrent_leaky_step() {
    let spikes = rec("zp = Spike(zin) {surrogate = \"super:100\"}", "zq = Identity(z)");
    // The recurrent term must read the previous step's spikes: a plain input is not.
    let plain = rec("zp = Identity(zin)", "zq = Identity(zin)");
    let goal =
        format!("(proj:1 (recstep:itf:{} input:3 ?z ?v ?w ?r))", leaky("0", "0.5", "0.5", "0"));
    check(&["leak-step-itf"], &goal, &spikes, &plain);
}

fn integrator(fired: bool) -> String {
    let fire = if fired {
        "weight one: f32[] = 1.0\n  s = Sub(vn2, one)\n  z = Spike(s) {surrogate = \"super:100\"}\n  output vn2, z"
    } else {
        "output vn2"
    };
    format!(
        "graph t {{
  input v: f32[2,3]
  input x: f32[2,3]
  input x2: f32[2,3]
  weight b: f32[] = 0.5
  weight g: f32[] = 0.25
  bv = Mul(b, v)
  gx = Mul(g, x)
  vn = Add(bv, gx)
  bv2 = Mul(b, vn)
  gx2 = Mul(g, x2)
  vn2 = Add(bv2, gx2)
  {fire}
}}"
    )
}

#[test]
fn a_leaky_sum_nothing_fires_on_is_an_integrator_step() {
    let li = "1:0:super:100:gt:none:attached:none:leak:0:0.5:0.25:0:after";
    let goal = format!("(proj:0 (ffstep:fti:{li} input:2 ?v))");
    // The same sums with a spike of the last are a spiking cell's potentials.
    check(&["leak-li"], &goal, &integrator(false), &integrator(true));
}

const STEP: &str = "{v_th = 1.0, v_reset = 0.0, surrogate = \"super:100\", order = \
                    \"integrate_then_fire\", alpha_syn = 0.5, beta = 0.5, gamma = 0.5}";

/// Three leaky steps with a synapse over the rows of x; `u2` is the current the last one
/// starts from.
fn leaky_steps(u2: &str) -> String {
    format!(
        "graph t {{
  input x: f32[3,2,4]
  input v0: f32[2,4]
  input u0: f32[2,4]
  weight t0: i64[] = 0
  weight t1: i64[] = 1
  weight t2: i64[] = 2
  g0 = Gather(x, t0) {{axis = 0}}\n g1 = Gather(x, t1) {{axis = 0}}\n g2 = Gather(x, t2) {{axis = 0}}
  z0, v1, u1 = IAFFeedForwardStep(g0, v0, u0) {STEP}
  z1, v2, w2 = IAFFeedForwardStep(g1, v1, u1) {STEP}
  z2, v3, u3 = IAFFeedForwardStep(g2, v2, {u2}) {STEP}
  a0 = Unsqueeze(z0) {{axes = [0]}}\n a1 = Unsqueeze(z1) {{axes = [0]}}\n a2 = Unsqueeze(z2) {{axes = [0]}}
  z = Concat(a0, a1, a2) {{axis = 0}}
  output z, v3, u3
}}"
    )
}

#[test]
fn a_chain_of_leaky_steps_threads_its_current() {
    let rules = ["iaf-reroll", "concat-unstack"];
    let op = format!("(iaf:itf:{} input:0 input:1 input:2)", leaky("0.5", "0.5", "0.5", "0"));
    // The last step must start from the current the step before it gave.
    check(&rules, &format!("(proj:0 {op})"), &leaky_steps("w2"), &leaky_steps("u1"));
    let steps = leaky_steps("w2");
    assert!(reaches(&steps, &rules, 1, &format!("(proj:1 {op})")));
    assert!(reaches(&steps, &rules, 2, &format!("(proj:2 {op})")));
}

/// An exported leaky layer: three whole steps from v0 over rows 0..2 of x, and the last step
/// pruned to a bare spike of its potential against threshold `th`.
fn exported_leaky(th: &str) -> String {
    let step = |t: usize, from: &str| {
        format!(
            "g{t} = Gather(x, t{t}) {{axis = 0}}\n  bv{t} = Mul(b, {from})\n  gx{t} = Mul(b, g{t})\n  \
             vh{t} = Add(bv{t}, gx{t})\n"
        )
    };
    format!(
        "graph t {{
  input x: f32[4,2,4]
  input v0: f32[2,4]
  weight b: f32[] = 0.5
  weight one: f32[] = 1.0
  weight two: f32[] = 2.0
  weight t0: i64[] = 0
  weight t1: i64[] = 1
  weight t2: i64[] = 2
  weight t3: i64[] = 3
  {}  z0, r0 = SpikeReset(vh0) {RESET}
  {}  z1, r1 = SpikeReset(vh1) {RESET}
  {}  z2, r2 = SpikeReset(vh2) {RESET}
  {}  s3 = Sub(vh3, {th})
  z3 = Spike(s3) {{surrogate = \"super:100\"}}
  a0 = Unsqueeze(z0) {{axes = [0]}}\n a1 = Unsqueeze(z1) {{axes = [0]}}
  a2 = Unsqueeze(z2) {{axes = [0]}}\n a3 = Unsqueeze(z3) {{axes = [0]}}
  z = Concat(a0, a1, a2, a3) {{axis = 0}}
  output z, vh3
}}",
        step(0, "v0"),
        step(1, "r0"),
        step(2, "r1"),
        step(3, "r2")
    )
}

#[test]
fn a_pruned_last_leaky_step_ends_the_layer() {
    let rules = ["leak-step-itf", "iaf-reroll", "concat-unstack"];
    let op = format!(
        "(iaf:itf:{} input:0 input:1)",
        leaky("0", "0.5", "0.5", "0").replace(":after", ":before")
    );
    // A bare spike against another threshold is not this layer's last step.
    check(&rules, &format!("(proj:0 {op})"), &exported_leaky("one"), &exported_leaky("two"));
    // The last potential, before its (pruned) reset, is the op's V_T.
    assert!(reaches(&exported_leaky("one"), &rules, 1, &format!("(proj:1 {op})")));
}

/// A leaky fixture of models/leaky, imported.
fn leaky_fixture(name: &str) -> snnc_ir::Graph {
    let p = root().join("models/leaky").join(name).join("model.onnx");
    snnc_onnx::load_onnx(&p, &Default::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn leaky_fusion_is_an_option() {
    let g = leaky_fixture("norse_lif_t8");
    let on = optimize(&g, &OptOptions::default()).expect("optimizes");
    let kinds: Vec<&str> = on.cells.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, ["LIF", "LIF"], "{:?}", on.cells);
    let off =
        optimize(&g, &OptOptions { leaky: false, ..OptOptions::default() }).expect("optimizes");
    assert!(off.cells.is_empty(), "{:?}", off.cells);
    assert!(off.graph.nodes().iter().all(|n| n.op.iaf_params().is_none_or(|p| p.leak.is_if())));
    assert!(!off.rewrites.keys().any(|r| r.starts_with("leak-")), "{:?}", off.rewrites);
}

/// A layer whose spikes come from an integrate-then-fire cell and whose final potential from a
/// fire-then-integrate cell over the same input (snnTorch's `mem`, as the IF rules read it),
/// with `v0` passed to both cells, or not, and reset potential `v_reset`.
fn two_views(v0: bool, v_reset: &str) -> String {
    let attrs = |order: &str| {
        format!("{{v_th = 1.0, v_reset = {v_reset}, method = \"super\", alpha = 100.0, order = \"{order}\", reset = \"subtract\"}}")
    };
    let args = if v0 { "x, v0" } else { "x" };
    format!(
        "graph t {{
  input x: f32[4,2,3]
  input v0: f32[2,3]
  z, vt = IAF({args}) {}
  z2, mem = IAF({args}) {}
  output z, mem
}}",
        attrs("integrate_then_fire"),
        attrs("fire_then_integrate")
    )
}

/// The cells of `text` after optimizing: (order, V_T before the reset) of each.
fn cells_of(text: &str) -> Vec<(snnc_ir::Order, bool)> {
    let out = optimize(&graph(text), &OptOptions::default()).expect("optimizes");
    out.graph
        .nodes()
        .iter()
        .filter_map(|n| n.op.iaf_params())
        .map(|p| (p.order, p.v_out == snnc_ir::VOut::BeforeReset))
        .collect()
}

#[test]
fn spikes_and_the_potential_before_the_reset_are_one_cell() {
    use snnc_ir::Order::{FireThenIntegrate as Fti, IntegrateThenFire as Itf};
    assert_eq!(cells_of(&two_views(false, "0.0")), [(Itf, true)]);
    // A given V0 might fire at the fire-then-integrate cell's first decision.
    assert_eq!(cells_of(&two_views(true, "0.0")), [(Itf, false), (Fti, false)]);
    // So does a default V0 (v_reset) at the threshold.
    assert_eq!(cells_of(&two_views(false, "1.0")), [(Itf, false), (Fti, false)]);
}
