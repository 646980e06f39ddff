//! A recurrent layer's input that the exporter already hoisted out of the loop.
//!
//! A library that applies its input layer to the whole sequence before the loop (sinabs'
//! `IAFRecurrent` after an `nn.Linear` on `[B, T, N]`) exports each step's input term as a row
//! of one `Linear`: `v + (Gather(Linear(S, W, b), t) + lin(z′, R, c))`. The recurrent step
//! rules, and the head of a recurrent chain, read the input term as `lin(x, W)` with x a row,
//! as unrolled exports spell it, so `linear-unhoist-gather` adds that spelling,
//! Linear(Gather(S, t), W) + b, to the row's class (the two are equal; `linear-hoist-gather`
//! is the same equation read the other way). It applies to every row of a sequence `Linear`
//! that some step adds to a recurrent term (the first step, which has none, included), and
//! only to rows without a per-step product: feed-forward layers, whose steps read the rows as
//! they are, and unrolled exports, which spell the product in the loop already, get none.

use egg::Id;

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::bias::biased_linears;
use crate::rules::step::{recurrent, recurrent_pair};
use crate::rules::support::{add_checked, custom, index_of, nodes, ty, union, Rule};
use crate::sym::Sym;

/// Whether class `c` holds a recurrent term `lin(z′, R)` or `lin(z′, R, c)`.
fn has_recurrent_term(eg: &EGraph, c: Id) -> bool {
    !recurrent(eg, c).is_empty()
        || biased_linears(eg, c).iter().any(|&(z, r, _)| recurrent_pair(eg, z, r))
}

/// Whether class `l` holds a `Linear` (the sequence product whose rows the steps read).
fn is_sequence_linear(eg: &EGraph, l: Id) -> bool {
    nodes(eg, l, |s| matches!(s, Sym::Linear { .. })).next().is_some()
}

/// The sequences L of the rows `Gather(L, t)` (axis 0, t a constant index) that an `Add` of
/// class `c` adds to a recurrent term, where L is a `Linear`.
fn sequences_beside_recurrent(eg: &EGraph, c: Id) -> Vec<Id> {
    let mut out = Vec::new();
    for n in nodes(eg, c, |s| *s == Sym::Add) {
        for (row, other) in [(n.args[0], n.args[1]), (n.args[1], n.args[0])] {
            let seqs: Vec<Id> = nodes(eg, row, |s| *s == Sym::Gather(0))
                .filter(|g| index_of(eg, g.args[1]).is_some() && is_sequence_linear(eg, g.args[0]))
                .map(|g| eg.find(g.args[0]))
                .collect();
            if !seqs.is_empty() && !has_step_product(eg, row) && has_recurrent_term(eg, other) {
                out.extend(seqs);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Whether class `row` already has a per-step product (the export spelled the step's input
/// layer inside the loop): such a row needs no second spelling.
fn has_step_product(eg: &EGraph, row: Id) -> bool {
    nodes(eg, row, |s| matches!(s, Sym::Linear { .. } | Sym::Gemm { .. } | Sym::MatMul))
        .next()
        .is_some()
}

/// Every row `Gather(L, t)` of class `l` with a constant t that has no per-step product yet:
/// (row class, t class).
fn rows_of(eg: &EGraph, l: Id) -> Vec<(Id, Id)> {
    let mut out: Vec<(Id, Id)> = eg[eg.find(l)]
        .parents()
        .map(|p| (p, eg.id_to_node(p)))
        .filter(|(_, n)| n.sym == Sym::Gather(0) && n.args.len() == 2)
        .filter(|(_, n)| eg.find(n.args[0]) == eg.find(l) && index_of(eg, n.args[1]).is_some())
        .map(|(p, n)| (eg.find(p), eg.find(n.args[1])))
        .filter(|&(row, _)| !has_step_product(eg, row))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `linear-unhoist-gather`: every row Gather(Linear(S, W[, b]), t) of a sequence that a step
/// adds to a recurrent term gains Linear(Gather(S, t), W) [+ b].
fn unhoist() -> Rule {
    custom(
        "linear-unhoist-gather",
        Some(Sym::Add),
        |eg, c| sequences_beside_recurrent(eg, c).into_iter().map(|l| vec![l]).collect(),
        |eg, _, m| {
            let l = m[0];
            let linears: Vec<SnnNode> =
                nodes(eg, l, |s| matches!(s, Sym::Linear { .. })).cloned().collect();
            let mut changed = Vec::new();
            for (row, t) in rows_of(eg, l) {
                for lin in &linears {
                    changed.extend(unhoist_row(eg, row, t, lin));
                }
            }
            changed
        },
    )
}

/// Adds Linear(Gather(S, t), W) [+ b] for the sequence product `lin` = Linear(S, W[, b]) and
/// unions it with `row`.
fn unhoist_row(eg: &mut EGraph, row: Id, t: Id, lin: &SnnNode) -> Option<Id> {
    let x = add_checked(eg, SnnNode::new(Sym::Gather(0), vec![lin.args[0], t]))?;
    // The bias is added apart, so that the rules that spell a per-step weight
    // (`linear-transposed`) and a bias (`linear-bias`) read the product as theirs.
    let mut n = add_checked(eg, SnnNode::new(lin.sym.clone(), vec![x, lin.args[1]]))?;
    if let Some(&b) = lin.args.get(2) {
        n = add_checked(eg, SnnNode::new(Sym::Add, vec![n, b]))?;
    }
    if ty(eg, n).is_none() || ty(eg, n) != ty(eg, row) || eg.find(n) == eg.find(row) {
        return None;
    }
    union(eg, row, n)
}

/// The rule of this file.
pub fn rules() -> Vec<Rule> {
    vec![unhoist()]
}
