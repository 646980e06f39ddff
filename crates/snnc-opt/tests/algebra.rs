//! The algebra rules: each reaches its goal on a start term and not on a near miss.

mod common;

use common::*;
use snnc_opt::sym::Sym;

fn prelude(body: &str) -> String {
    format!(
        "graph t {{
  input x: f32[2,3]
  weight zero: f32[] = 0.0
  weight one: f32[] = 1.0
  weight two: f32[] = 2.0
  {body}
}}"
    )
}

#[test]
fn add_zero_keeps_the_shape() {
    check(&["add-zero"], "input:0", &prelude("y = Add(x, zero)\n output y"), &prelude(
        "weight zs: f32[4,2,3] = [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]\n y = Add(x, zs)\n output y",
    ));
}

#[test]
fn add_zero_left() {
    check(
        &["add-zero-left"],
        "input:0",
        &prelude("y = Add(zero, x)\n output y"),
        &prelude("y = Add(one, x)\n output y"),
    );
}

#[test]
fn sub_zero() {
    check(
        &["sub-zero"],
        "input:0",
        &prelude("y = Sub(x, zero)\n output y"),
        &prelude("y = Sub(zero, x)\n output y"),
    );
}

#[test]
fn mul_one_and_mul_one_left() {
    check(
        &["mul-one"],
        "input:0",
        &prelude("y = Mul(x, one)\n output y"),
        &prelude("y = Mul(x, two)\n output y"),
    );
    check(
        &["mul-one-left"],
        "input:0",
        &prelude("y = Mul(one, x)\n output y"),
        &prelude("y = Mul(x, one)\n output y"),
    );
}

#[test]
fn one_minus_one_minus_needs_binary_values() {
    let spike =
        "z = Spike(x) {surrogate = \"super:100\"}\n a = Sub(one, z)\n y = Sub(one, a)\n output y";
    check(
        &["one-minus-one-minus"],
        "(spike:super:100 input:0)",
        &prelude(spike),
        &prelude("z = Relu(x)\n a = Sub(one, z)\n y = Sub(one, a)\n output y"),
    );
}

#[test]
fn neg_neg_identity_and_casts() {
    check(
        &["neg-neg"],
        "input:0",
        &prelude("a = Neg(x)\n y = Neg(a)\n output y"),
        &prelude("y = Neg(x)\n output y"),
    );
    check(
        &["identity"],
        "input:0",
        &prelude("y = Identity(x)\n output y"),
        &prelude("y = Relu(x)\n output y"),
    );
    let f64_in = "graph t {\n input x: f64[2]\n y = Cast(x) {to = \"f32\"}\n output y\n}";
    check(&["cast-noop-f32"], "input:0", &prelude("y = Cast(x) {to = \"f32\"}\n output y"), f64_in);
    let f64_noop = "graph t {\n input x: f64[2]\n y = Cast(x) {to = \"f64\"}\n output y\n}";
    check(
        &["cast-noop-f64"],
        "input:0",
        f64_noop,
        &prelude("y = Cast(x) {to = \"f64\"}\n output y"),
    );
}

/// The value of the output class's constant leaf, if it has one.
fn folded(text: &str, rules: &[&str]) -> Option<snnc_ir::Tensor> {
    let (eg, roots) = saturate(text, &named(rules));
    eg[roots[0]].nodes.iter().find_map(|n| match n.sym {
        Sym::Const(k) => Some((*eg.analysis.leaves.consts[k as usize]).clone()),
        _ => None,
    })
}

#[test]
fn mul_zero_gives_a_zero_tensor_not_a_scalar() {
    let spikes = prelude("z = Spike(x) {surrogate = \"super:100\"}\n y = Mul(z, zero)\n output y");
    let z = folded(&spikes, &["mul-zero"]).expect("z·0 folds to zeros");
    assert_eq!(z.shape(), [2, 3]);
    assert!(z.to_f64().iter().all(|&v| v == 0.0));
    // x·0 is NaN for x = ∞: only binary factors vanish.
    assert!(folded(&prelude("y = Mul(x, zero)\n output y"), &["mul-zero"]).is_none());
}

#[test]
fn const_fold_folds_constants_but_not_parameters() {
    let consts = prelude("a = Sub(two, one)\n b = Mul(a, two)\n y = Add(x, b)\n output b");
    let v = folded(&consts, &["const-fold"]).expect("folded");
    assert_eq!(v.as_f32_vec(), Some(vec![2.0]));
    // A weight tensor is a parameter: its gradient must survive, so it is never baked in.
    let params = "graph t {\n weight w: f32[3] = [1, 2, 3]\n weight one: f32[] = 1.0\n y = Add(w, one)\n output y\n}";
    assert!(folded(params, &["const-fold"]).is_none());
}

/// `1 − (2 − z)` matches `one-minus-one-minus` on its outer constant only; the rewrite does not
/// apply, so `one` keeps its gradient (it is not turned into a constant the optimized graph
/// relies on), while `1 − (1 − z)` does rely on both.
#[test]
fn a_failed_one_minus_one_minus_marks_no_value_used() {
    let opts = snnc_opt::OptOptions::default();
    let spike = "z = Spike(x) {surrogate = \"super:100\"}";
    let g = graph(&prelude(&format!("{spike}\n a = Sub(two, z)\n y = Sub(one, a)\n output y")));
    let opt = snnc_opt::optimize(&g, &opts).unwrap();
    // Marking `one` would make the extracted graph hold it as a `Constant` node, dearer than
    // the imported graph, and the optimizer would fall back to the latter.
    assert!(opt.fell_back.is_none(), "{:?}", opt.fell_back);
    let o = opt.graph;
    for w in ["one", "two"] {
        let id = o.find(w).unwrap_or_else(|| panic!("'{w}' is gone"));
        assert!(o.initializer(id).is_some(), "'{w}' is no longer a parameter");
    }
    let g = graph(&prelude(&format!("{spike}\n a = Sub(one, z)\n y = Sub(one, a)\n output y")));
    let o = snnc_opt::optimize(&g, &opts).unwrap().graph;
    assert!(o.find("one").is_none_or(|id| o.initializer(id).is_none()), "{o:?}");
}

/// A bias initialised to zero and a gain of ones are trainable parameters (float initializers
/// of more than one element): the identities leave them in place, so they keep their gradients.
#[test]
fn zero_and_one_parameters_are_not_absorbed() {
    let body = "weight b: f32[3] = [0, 0, 0]\n weight g: f32[3] = [1, 1, 1]
  h = Add(x, b)\n y = Mul(h, g)\n output y";
    let rules = ["add-zero", "mul-one", "mul-one-left", "add-zero-left", "const-fold"];
    assert!(!reaches(&prelude(body), &rules, 0, "input:0"));
    let ones = "weight o: f32[3] = [1, 1, 1]\n z = Spike(x) {surrogate = \"super:100\"}
  a = Sub(o, z)\n y = Sub(o, a)\n output y";
    let goal = "(spike:super:100 input:0)";
    assert!(!reaches(&prelude(ones), &["one-minus-one-minus"], 0, goal));
}

/// The whole optimizer keeps both parameters as initializers that the optimized graph reads.
#[test]
fn the_optimizer_keeps_zero_and_one_parameters_in_the_graph() {
    let text = prelude(
        "weight b: f32[3] = [0, 0, 0]\n weight g: f32[3] = [1, 1, 1]
  h = Add(x, b)\n y = Mul(h, g)\n output y",
    );
    let o = snnc_opt::optimize(&graph(&text), &snnc_opt::OptOptions::default()).expect("optimizes");
    let g = &o.graph;
    for name in ["b", "g"] {
        let id = g.find(name).unwrap_or_else(|| panic!("`{name}` left the optimized graph"));
        assert!(g.initializer(id).is_some(), "`{name}` is not an initializer");
        let read = g.nodes().iter().any(|n| n.inputs.contains(&Some(id)));
        assert!(read, "no node of the optimized graph reads `{name}`");
    }
}

/// snnTorch's first step from a zero state: `((0 + x) + y) − 0`, the zero a parameter
/// (`[2, 3]` initializer). The result is `x + y`; a nonzero initializer is no such zero.
#[test]
fn add_add_sub_zero_cancels_a_zero_parameter_around_a_sum() {
    let text = |zs: &str| {
        format!(
            "graph t {{
  input x: f32[2,3]
  input y: f32[2,3]
  weight zs: f32[2,3] = {zs}
  a = Add(zs, x)\n b = Add(a, y)\n out = Sub(b, zs)
  output out
}}"
        )
    };
    check(
        &["add-add-sub-zero"],
        "(add input:0 input:1)",
        &text("[0, 0, 0, 0, 0, 0]"),
        &text("[0, 0, 0, 0, 0, 1]"),
    );
}

/// A sum of two one-element bias vectors (one neuron's input and recurrent biases, as the bias
/// rules add them) is no parameter, but folding it would take the biases' gradients away from
/// that use while the graph still reads them elsewhere: it stays a sum. Scalar initializers
/// (the exporters' literals) fold as before.
#[test]
fn const_fold_leaves_values_of_vector_initializers() {
    let text = |ty: &str| {
        format!(
            "graph t {{
  weight b: {ty} = [0.5]
  weight c: {ty} = [0.25]
  y = Add(b, c)
  output y
}}"
        )
    };
    assert!(folded(&text("f32[1]"), &["const-fold"]).is_none());
    let scalars =
        "graph t {\n weight b: f32[] = 0.5\n weight c: f32[] = 0.25\n y = Add(b, c)\n output y\n}";
    assert_eq!(folded(scalars, &["const-fold"]).and_then(|t| t.as_f32_vec()), Some(vec![0.75]));
}
