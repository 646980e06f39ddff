//! Spike: a comparison cast to float is Θ of a difference, with the surrogate chosen at compile
//! time.
//!
//! Plain exports lose the surrogate (SPEC §3): `Cast(Greater(x, c), float)` is the spike, and
//! the reference defines its backward as the `--surrogate` at x − c (and −surrogate for c). That
//! is exactly the backward of Θ(x − c) with the same surrogate, and x > c ⟺ x − c > 0 holds in
//! IEEE arithmetic (NaN compares false on both sides), so the rewrite keeps values and
//! gradients. `≥` (SpikingJelly, sinabs) is the `ge` Θ the same way: x ≥ c ⟺ x − c ≥ 0, since
//! with gradual underflow x − c is zero exactly when x equals c.

use egg::{Id, Pattern, Rewrite, Subst, Var};
use snnc_ir::{DType, Surrogate, Threshold};

use crate::analysis::EGraph;
use crate::rules::support::Rule;
use crate::sym::{Sg, Sym};

fn v(s: &str) -> Var {
    s.parse().expect("variable")
}

/// The rule that turns `Cast(cmp(a, b), to)` into Θ of `diff` (`(sub ?a ?b)` or its mirror).
fn rule(name: &str, cmp: &str, to: DType, diff: &str, sg: &Surrogate) -> Rule {
    let lhs: Pattern<_> = format!("(cast:{to} ({cmp} ?a ?b))").parse().expect("pattern");
    let threshold = if cmp.ends_with("orequal") { Threshold::Ge } else { Threshold::Gt };
    let spike = Sym::Spike(Sg::of(sg), threshold);
    let rhs: Pattern<_> = format!("({spike} {diff})").parse().expect("pattern");
    let a = v("?a");
    // Θ keeps the dtype of its argument, so the cast must be to the compared values' dtype.
    let same_dtype = move |eg: &mut EGraph, _: Id, s: &Subst| {
        eg[s[a]].data.single().is_some_and(|t| t.dtype == to)
    };
    Rewrite::new(name, lhs, egg::ConditionalApplier { condition: same_dtype, applier: rhs })
        .expect("rule")
}

/// The spike rules, producing Θ with surrogate `sg`.
pub fn rules(sg: &Surrogate) -> Vec<Rule> {
    vec![
        rule("greater-to-spike", "greater", DType::F32, "(sub ?a ?b)", sg),
        rule("less-to-spike", "less", DType::F32, "(sub ?b ?a)", sg),
        rule("greater-to-spike-f64", "greater", DType::F64, "(sub ?a ?b)", sg),
        rule("less-to-spike-f64", "less", DType::F64, "(sub ?b ?a)", sg),
        rule("greater-equal-to-spike", "greaterorequal", DType::F32, "(sub ?a ?b)", sg),
        rule("less-equal-to-spike", "lessorequal", DType::F32, "(sub ?b ?a)", sg),
        rule("greater-equal-to-spike-f64", "greaterorequal", DType::F64, "(sub ?a ?b)", sg),
        rule("less-equal-to-spike-f64", "lessorequal", DType::F64, "(sub ?b ?a)", sg),
    ]
}
