//! Algebra: identities with constants matched by value, and constant folding.
//!
//! Constants are matched by their value, not by their name: exports share one initializer
//! between v_th = 1.0 and the literal 1 of `1 − z`. Every identity keeps the type of the matched
//! term (`x + 0 → x` only when the sum has x's shape), so a broadcast constant never turns a
//! tensor into a scalar. The identities hold for gradients as well as values; where a float
//! identity could change a value (`x·0` for x = ∞, `1 − (1 − z)` for fractional z) it is
//! restricted to binary x and z.
//!
//! Only constants that hold no trainable parameter are matched ([`constant`]): `x + b → x` for a
//! bias initialised to zero would drop the bias, and with it its gradient.

use egg::{rewrite as rw, Id, Subst, Var};

use crate::analysis::EGraph;
use crate::consts::all_equal;
use crate::lang::SnnNode;
use crate::rules::support::{add_checked, constant, custom, mark_value_used, nodes, union, Rule};
use crate::sym::Sym;

fn v(s: &str) -> Var {
    s.parse().expect("variable")
}

/// `?c` is a constant ([`constant`]: no trainable parameter) whose every element equals `x`.
/// Checked last, so that a match is a rewrite: an initializer in `?c` is then recorded as
/// value-used.
fn is(c: &'static str, x: f64) -> impl Fn(&mut EGraph, Id, &Subst) -> bool {
    let c = v(c);
    move |eg, _, s| {
        let hit = constant(eg, s[c]).is_some_and(|t| all_equal(t, x));
        if hit {
            mark_value_used(eg, s[c]);
        }
        hit
    }
}

/// Like [`is`] for several variables at once: true when every one holds `x`, and only then
/// are their initializers marked, so a rewrite that fails on a later variable marks nothing.
fn all_are(cs: &'static [&'static str], x: f64) -> impl Fn(&mut EGraph, Id, &Subst) -> bool {
    let cs: Vec<_> = cs.iter().map(|c| v(c)).collect();
    move |eg, _, s| {
        let hit = cs.iter().all(|&c| constant(eg, s[c]).is_some_and(|t| all_equal(t, x)));
        if hit {
            for &c in &cs {
                mark_value_used(eg, s[c]);
            }
        }
        hit
    }
}

/// The matched term has exactly the type of `?x`.
fn keeps_type(x: &'static str) -> impl Fn(&mut EGraph, Id, &Subst) -> bool {
    let x = v(x);
    move |eg, root, s| {
        let (a, b) = (eg[root].data.single(), eg[s[x]].data.single());
        a.is_some() && a == b
    }
}

/// `?x` is binary (0/1).
fn binary(x: &'static str) -> impl Fn(&mut EGraph, Id, &Subst) -> bool {
    let x = v(x);
    move |eg, _, s| eg[s[x]].data.is_binary()
}

/// `?x` has the dtype `d` (a cast to it changes nothing).
fn dtype_is(x: &'static str, d: snnc_ir::DType) -> impl Fn(&mut EGraph, Id, &Subst) -> bool {
    let x = v(x);
    move |eg, _, s| eg[s[x]].data.single().is_some_and(|t| t.dtype == d)
}

/// The zero tensor of the matched term's type, as a constant.
fn zeros_of_root(name: &str) -> Rule {
    custom(
        name,
        Some(Sym::Mul),
        |eg, c| {
            let mut out = Vec::new();
            let Some(ty) = eg[c].data.single() else { return out };
            for n in nodes(eg, c, |s| *s == Sym::Mul) {
                let (a, b) = (n.args[0], n.args[1]);
                for (x, k) in [(a, b), (b, a)] {
                    let zero = constant(eg, k).is_some_and(|t| all_equal(t, 0.0));
                    if zero && eg[x].data.is_binary() && ty.dtype.is_float() {
                        out.push(vec![x, k]);
                    }
                }
            }
            out
        },
        |eg, c, m| {
            if let Some(&k) = m.get(1) {
                mark_value_used(eg, k);
            }
            let Some(ty) = eg[c].data.single().cloned() else { return Vec::new() };
            let k = eg.analysis.leaves.zeros(ty.dtype, &ty.shape);
            let z = eg.add(SnnNode::leaf(Sym::Const(k)));
            union(eg, c, z).into_iter().collect()
        },
    )
}

/// `(a + b) − a` and `(b + a) − a` are b when a is all zeros, even when a is a parameter (a
/// zero initial state stored as an initializer): the value is b exactly and a's gradient
/// through the two uses is 1 − 1 = 0, which is what a parameter no longer read gets.
fn cancel_zero() -> Rule {
    custom(
        "add-sub-zero",
        Some(Sym::Sub),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| *s == Sym::Sub) {
                let (s, a) = (eg.find(n.args[0]), eg.find(n.args[1]));
                let zero = eg[a].data.value.as_deref().is_some_and(|t| all_equal(t, 0.0));
                if !zero {
                    continue;
                }
                for m in nodes(eg, s, |x| *x == Sym::Add) {
                    let (p, q) = (eg.find(m.args[0]), eg.find(m.args[1]));
                    for (x, b) in [(p, q), (q, p)] {
                        if x == a && eg[b].data.single() == eg[c].data.single() {
                            out.push(vec![b]);
                        }
                    }
                }
            }
            out
        },
        |eg, c, m| union(eg, c, m[0]).into_iter().collect(),
    )
}

/// `((a + b) + c) − a` (a, b in either order) is `b + c` when a is all zeros, even when a is a
/// parameter: snnTorch's first step from a zero state adds the state and subtracts the folded
/// reset `0·v_th`, both one zero initializer, around the whole input `b + c`. Adding and
/// subtracting zero is exact, and a's gradient through the two uses is 1 − 1 = 0.
fn cancel_zero_nested() -> Rule {
    custom(
        "add-add-sub-zero",
        Some(Sym::Sub),
        |eg, c| {
            let mut out = Vec::new();
            for n in nodes(eg, c, |s| *s == Sym::Sub) {
                let (s, a) = (eg.find(n.args[0]), eg.find(n.args[1]));
                let zero = eg[a].data.value.as_deref().is_some_and(|t| all_equal(t, 0.0));
                if !zero {
                    continue;
                }
                for m in nodes(eg, s, |x| *x == Sym::Add) {
                    let (p, q) = (eg.find(m.args[0]), eg.find(m.args[1]));
                    for (inner, k) in [(p, q), (q, p)] {
                        for d in nodes(eg, inner, |x| *x == Sym::Add) {
                            let (x, y) = (eg.find(d.args[0]), eg.find(d.args[1]));
                            for (z, b) in [(x, y), (y, x)] {
                                if z == a {
                                    out.push(vec![b, k]);
                                }
                            }
                        }
                    }
                }
            }
            out
        },
        |eg, c, m| {
            let Some(s) = add_checked(eg, SnnNode::new(Sym::Add, vec![m[0], m[1]])) else {
                return Vec::new();
            };
            if eg[s].data.single().is_none() || eg[s].data.single() != eg[c].data.single() {
                return Vec::new();
            }
            union(eg, c, s).into_iter().collect()
        },
    )
}

/// Folds classes whose value is known and depends on no parameter into a constant leaf, except
/// values computed from float tensor initializers ([`crate::analysis::Data::init`]): the
/// optimized graph would read the constant instead of the initializer, whose gradient
/// (reported as long as the graph still reads it elsewhere) would then miss that use. The bias
/// rules build such values (`b + c`, `[W | b]`) from a layer's biases, which hold one element
/// for one neuron.
fn const_fold() -> Rule {
    custom(
        "const-fold",
        None,
        |eg, c| {
            let d = &eg[c].data;
            let has_leaf = eg[c].nodes.iter().any(|n| n.sym.is_leaf());
            if d.foldable && d.value.is_some() && !d.init && !has_leaf {
                vec![vec![]]
            } else {
                Vec::new()
            }
        },
        |eg, c, _| {
            let Some(t) = eg[c].data.value.clone() else { return Vec::new() };
            let k = eg.analysis.leaves.intern((*t).clone());
            let leaf = eg.add(SnnNode::leaf(Sym::Const(k)));
            union(eg, c, leaf).into_iter().collect()
        },
    )
}

/// The algebra rules.
pub fn rules() -> Vec<Rule> {
    vec![
        rw!("add-zero"; "(add ?x ?c)" => "?x" if keeps_type("?x") if is("?c", 0.0)),
        rw!("add-zero-left"; "(add ?c ?x)" => "?x" if keeps_type("?x") if is("?c", 0.0)),
        rw!("sub-zero"; "(sub ?x ?c)" => "?x" if keeps_type("?x") if is("?c", 0.0)),
        rw!("mul-one"; "(mul ?x ?c)" => "?x" if keeps_type("?x") if is("?c", 1.0)),
        rw!("mul-one-left"; "(mul ?c ?x)" => "?x" if keeps_type("?x") if is("?c", 1.0)),
        rw!("one-minus-one-minus"; "(sub ?a (sub ?b ?z))" => "?z"
            if binary("?z") if keeps_type("?z") if all_are(&["?a", "?b"], 1.0)),
        rw!("neg-neg"; "(neg (neg ?x))" => "?x"),
        rw!("identity"; "(identity ?x)" => "?x"),
        rw!("cast-noop-f32"; "(cast:f32 ?x)" => "?x" if dtype_is("?x", snnc_ir::DType::F32)),
        rw!("cast-noop-f64"; "(cast:f64 ?x)" => "?x" if dtype_is("?x", snnc_ir::DType::F64)),
        zeros_of_root("mul-zero"),
        cancel_zero(),
        cancel_zero_nested(),
        const_fold(),
    ]
}
