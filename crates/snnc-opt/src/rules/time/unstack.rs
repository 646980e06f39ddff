//! Joining steps back into a sequence: `Concat(Unsqueeze(Gather(S, t), 0) for t = a..b)` along
//! axis 0 is the slice S[a..b], and S itself when it covers all of S. The exports collect the
//! per-step spikes this way; once each step's spike is a `Gather` of a sequence op's output,
//! the collection is that output.

use egg::Id;
use ndarray::{ArrayD, IxDyn};
use snnc_ir::Tensor;

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::support::{add_checked, custom, index_of, nodes, ty, union, Rule};
use crate::sym::Sym;

/// A part of a concatenation: an input kept as it is, or rows `start..start + len` of `seq`.
enum Part {
    Keep(Id),
    Rows { seq: Id, start: i64, len: i64 },
}

/// (sequence, step) for every `Unsqueeze(Gather(S, t), axes = [0])` in class `c`, with t
/// counted from the front.
fn steps(eg: &EGraph, c: Id) -> Vec<(Id, i64)> {
    let mut out = Vec::new();
    for u in nodes(eg, c, |s| *s == Sym::Unsqueeze(vec![0])) {
        for g in nodes(eg, u.args[0], |s| *s == Sym::Gather(0)) {
            let (seq, len) = (eg.find(g.args[0]), ty(eg, g.args[0]).map(|t| t.shape[0] as i64));
            if let (Some(t), Some(len)) = (index_of(eg, g.args[1]), len) {
                let t = if t < 0 { t + len } else { t };
                if (0..len).contains(&t) {
                    out.push((seq, t));
                }
            }
        }
    }
    out
}

/// The ways to split the inputs of a concatenation into runs of consecutive steps of one
/// sequence: maximal runs of any sequence (longest first at each position), and, for each
/// sequence with a run of two or more steps, maximal runs of that sequence only (the rest
/// kept). The second kind matters where two sequences (the two update orders' cells of one
/// layer) overlap: the first run of one would otherwise hide a longer, later run of the other.
fn plans(eg: &EGraph, args: &[Id]) -> Vec<Vec<Part>> {
    let cands: Vec<Vec<(Id, i64)>> = args.iter().map(|&a| steps(eg, a)).collect();
    let mut seqs: Vec<Id> = cands.iter().flatten().map(|c| c.0).collect();
    seqs.sort_unstable();
    seqs.dedup();
    let mut out: Vec<Vec<Part>> = plan(args, &cands, None).into_iter().collect();
    for s in seqs {
        out.extend(plan(args, &cands, Some(s)));
    }
    out
}

/// [`plans`] with the sequences `only` allows (all when `None`): `None` when no run has two or
/// more steps.
fn plan(args: &[Id], cands: &[Vec<(Id, i64)>], only: Option<Id>) -> Option<Vec<Part>> {
    let cands: Vec<Vec<(Id, i64)>> = cands
        .iter()
        .map(|cs| cs.iter().copied().filter(|c| only.is_none_or(|s| c.0 == s)).collect())
        .collect();
    let mut parts = Vec::new();
    let mut j = 0;
    let mut joined = false;
    while j < args.len() {
        let run = |&(seq, t): &(Id, i64)| {
            (1..args.len() - j).take_while(|&k| cands[j + k].contains(&(seq, t + k as i64))).count()
                + 1
        };
        match cands[j].iter().max_by_key(|c| run(c)) {
            Some(c) if run(c) >= 2 => {
                let len = run(c);
                parts.push(Part::Rows { seq: c.0, start: c.1, len: len as i64 });
                joined = true;
                j += len;
            }
            _ => {
                parts.push(Part::Keep(args[j]));
                j += 1;
            }
        }
    }
    joined.then_some(parts)
}

/// The class of rows `start..start + len` of `seq` (`seq` itself when that is all of it).
pub fn rows(eg: &mut EGraph, seq: Id, start: i64, len: i64) -> Option<Id> {
    let total = ty(eg, seq)?.shape.first().copied()? as i64;
    if start == 0 && len == total {
        return Some(eg.find(seq));
    }
    let idx: Vec<i64> = (start..start + len).collect();
    let t = Tensor::I64(ArrayD::from_shape_vec(IxDyn(&[idx.len()]), idx).ok()?);
    let k = eg.analysis.leaves.intern(t);
    let i = eg.add(SnnNode::leaf(Sym::Const(k)));
    add_checked(eg, SnnNode::new(Sym::Gather(0), vec![seq, i]))
}

fn concat_args(eg: &EGraph, c: Id) -> Vec<Vec<Id>> {
    nodes(eg, c, |s| *s == Sym::Concat(0)).map(|n| n.args.clone()).collect()
}

/// The `concat-unstack` rule.
pub fn rules() -> Vec<crate::rules::support::Rule> {
    let rule: Rule = custom(
        "concat-unstack",
        Some(Sym::Concat(0)),
        |eg, c| {
            let any = concat_args(eg, c).iter().any(|a| !plans(eg, a).is_empty());
            if any {
                vec![vec![]]
            } else {
                Vec::new()
            }
        },
        |eg, c, _| {
            let mut changed = Vec::new();
            let all: Vec<Vec<Part>> =
                concat_args(eg, c).iter().flat_map(|a| plans(eg, a)).collect();
            for parts in all {
                let ids: Option<Vec<Id>> = parts
                    .into_iter()
                    .map(|p| match p {
                        Part::Keep(a) => Some(a),
                        Part::Rows { seq, start, len } => rows(eg, seq, start, len),
                    })
                    .collect();
                let Some(ids) = ids else { continue };
                let whole = match ids.len() {
                    1 => Some(ids[0]),
                    _ => add_checked(eg, SnnNode::new(Sym::Concat(0), ids)),
                };
                if let Some(w) = whole.filter(|&w| ty(eg, w).is_some() && ty(eg, w) == ty(eg, c)) {
                    changed.extend(union(eg, c, w));
                }
            }
            changed
        },
    );
    vec![rule]
}
