//! The spike rules: a comparison cast to float is Θ of the difference, with the compile-time
//! surrogate.

mod common;

use common::*;

const F32: &str = "graph t {
  input a: f32[2,3]
  input b: f32[2,3]
  g = Greater(a, b)
  y = Cast(g) {to = \"f32\"}
  output y
}";

#[test]
fn greater_cast_is_theta_of_the_difference() {
    let not_cast =
        "graph t {\n input a: f32[2]\n input b: f32[2]\n y = Greater(a, b)\n output y\n}";
    check(&["greater-to-spike"], "(spike:super:100 (sub input:0 input:1))", F32, not_cast);
}

#[test]
fn less_cast_is_theta_of_the_mirrored_difference() {
    let less = F32.replace("Greater", "Less");
    // Cast to f64 of f32 values: Θ would keep f32, so the rule must not fire.
    let to_f64 = less.replace("to = \"f32\"", "to = \"f64\"");
    check(&["less-to-spike"], "(spike:super:100 (sub input:1 input:0))", &less, &to_f64);
}

#[test]
fn f64_variants() {
    let f64 = F32.replace("f32[", "f64[").replace("to = \"f32\"", "to = \"f64\"");
    check(&["greater-to-spike-f64"], "(spike:super:100 (sub input:0 input:1))", &f64, F32);
    let less = f64.replace("Greater", "Less");
    check(
        &["less-to-spike-f64"],
        "(spike:super:100 (sub input:1 input:0))",
        &less,
        &F32.replace("Greater", "Less"),
    );
}

#[test]
fn the_surrogate_is_the_compile_time_choice() {
    let (eg, roots) = {
        let rules = snnc_opt::rules::rules(&"tanh:3".parse().unwrap(), Default::default());
        let picked: Vec<_> =
            rules.into_iter().filter(|r| r.name.as_str() == "greater-to-spike").collect();
        saturate(F32, &picked)
    };
    let has = |p: &str| {
        let p: egg::Pattern<snnc_opt::lang::SnnNode> = p.parse().unwrap();
        egg::Searcher::search_eclass(&p, &eg, roots[0]).is_some()
    };
    assert!(has("(spike:tanh:3 (sub input:0 input:1))"));
    assert!(!has("(spike:super:100 (sub input:0 input:1))"));
}
