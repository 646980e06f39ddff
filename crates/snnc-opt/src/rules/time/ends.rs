//! The ends of a chain that the exporter spells differently from a whole step.
//!
//! * **Head**: the first step from the initial state is folded. Integrate-then-fire from
//!   v₋₁ = 0 is just `reset(I₀)` (the `0 + x` is folded away); a recurrent one is
//!   `reset(lin(x₀, W))` (R·z₋₁ = 0 folded). Fire-then-integrate from v₋₁ = v_reset = 0 gives
//!   v₀ = I₀ (Θ(0 − v_th) = 0 folded). A recurrent first step from a zero state stored as a
//!   multi-element initializer keeps it: `(0 + lin(x₀, W)) + 0`, whose zeros become V0. A step from a known constant state w whose spike the
//!   exporter folded (v = w + I, as in `seed_order_*`) is not a head: starting the sequence at
//!   it with V0 = w would recompute Θ(w − v_th) and give w a surrogate gradient the exported
//!   graph does not have. The chain starts one step later, with V0 = w + I.
//! * **Tail**: the last step's unused reset is pruned, leaving a bare spike: Θ(v + I − v_th)
//!   (integrate then fire) or Θ(v − v_th) (fire then integrate) of the chain's last state.

use std::collections::HashMap;

use egg::Id;
use snnc_ir::{Order, Spikes, Threshold};

use crate::analysis::EGraph;
use crate::consts::all_equal;
use crate::lang::Kind;
use crate::rules::bias::biased_linears;
use crate::rules::reset::multi::counts;
use crate::rules::reset::per_neuron;
use crate::rules::reset::subtract::same_per_neuron;
use crate::rules::step::linears;
use crate::rules::support::{add_parents, args_of, nodes, proj_sources, ty, value};
use crate::rules::time::chain::{output, positions, Step};
use crate::sym::{Bits, Sg, Sym};

/// The initial potential of a re-rolled layer.
#[derive(Debug, Clone)]
pub enum Init {
    /// The op's default, v₋₁ = v_reset.
    Default,
    /// Zero (a new constant; for v_reset ≠ 0).
    Zeros,
    /// This class.
    Class(Id),
    /// The sum of these two classes (a new `Add`).
    Sum(Id, Id),
    /// A new constant: one value, or one per neuron.
    Fill(Vec<Bits>),
}

/// The input of a re-rolled layer whose steps read rows of S widened by columns of ones
/// (`linear-bias-column`) and whose first step lacks some of the biases those columns weigh:
/// the layer reads S widened by a column per bias, of ones where the first step adds that
/// bias and otherwise 0 at the first step and 1 after it.
#[derive(Debug, Clone)]
pub struct Widen {
    /// The sequence S.
    pub base: Id,
    /// Per bias column: whether the first step adds it.
    pub first_has: Vec<bool>,
}

/// A step in front of a chain, at `t`.
pub struct Head {
    /// The step's time index in the sequence.
    pub t: i64,
    /// The initial potential.
    pub v0: Init,
    /// The head step's spike class, when the graph has it.
    pub z: Option<Id>,
    /// The layer's input, when it is not the rows of the chain's sequence.
    pub widen: Option<Widen>,
}

/// The head of a chain starting with `first` at `t0` over `seq`, if the exporter folded one.
pub fn head(eg: &EGraph, first: &Step, seq: Id, t0: i64) -> Option<Head> {
    let t = t0 - 1;
    let at = |c: Id| t >= 0 && positions(eg, c).contains(&(seq, t));
    let mut widen = None;
    let from_zero = if first.neuron.resets_to_zero() { Init::Default } else { Init::Zeros };
    match (first.order, first.rec) {
        (Order::IntegrateThenFire, rec) => {
            for c in proj_sources(eg, first.v, 1) {
                for n in nodes(eg, c, |s| matches!(s, Sym::SpikeReset(p) if *p == first.neuron)) {
                    let a = eg.find(n.args[0]);
                    let v0 = match rec {
                        None => at(a).then_some(from_zero.clone()),
                        Some((z, w, _)) if output(eg, 0, c).is_some_and(|p| eg.find(p) == z) => {
                            zero_terms(eg, a)
                                .into_iter()
                                .find_map(|(l, zs)| {
                                    let lin = linears(eg, l);
                                    lin.iter()
                                        .any(|&(x, w2)| eg.find(w2) == w && at(x))
                                        .then(|| zero_state(&zs, from_zero.clone()))
                                })
                                .or_else(|| {
                                    let (v0, wd) =
                                        biased_head(eg, a, w, seq, t, from_zero.clone())?;
                                    widen = wd;
                                    Some(v0)
                                })
                        }
                        Some(_) => None,
                    };
                    if let Some(v0) = v0 {
                        return Some(Head { t, v0, z: output(eg, 0, c), widen });
                    }
                }
            }
            None
        }
        // v₀ = c + I₀ with c zero-valued (a zero state stored as an initializer): the op starts
        // from V0 = c, whose spike Θ(0 − v_th) is 0 and whose reset to 0 passes c's gradient
        // unchanged (the surrogate term is scaled by v_reset − c = 0), so the gradient is exact.
        (Order::FireThenIntegrate, None) if first.neuron.resets_to_zero() => {
            zero_terms(eg, first.v).into_iter().find_map(|(l, zs)| {
                at(l).then(|| Head { t, v0: zero_state(&zs, Init::Default), z: None, widen: None })
            })
        }
        _ => None,
    }
}

/// The bias columns of a widened weight W' = `Concat(W, Unsqueeze(s₁, [1]), …)`
/// (`linear-bias-column`): (W, [s₁, …]).
fn weight_columns(eg: &EGraph, w: Id) -> Vec<(Id, Vec<Id>)> {
    let mut out = Vec::new();
    for n in nodes(eg, w, |s| *s == Sym::Concat(1)).filter(|n| n.args.len() >= 2) {
        let cols: Option<Vec<Id>> = n.args[1..]
            .iter()
            .map(|&c| args_of(eg, c, &Sym::Unsqueeze(vec![1]), 1).first().map(|u| u[0]))
            .collect();
        if let Some(cols) = cols {
            out.push((eg.find(n.args[0]), cols));
        }
    }
    out
}

/// The sequences S of which class `seq` is `Concat(S, ones [.., k], last axis)`
/// (`linear-bias-column`).
fn narrowed(eg: &EGraph, seq: Id, k: usize) -> Vec<Id> {
    let Some(rank) = ty(eg, seq).map(|t| t.rank() as i64) else { return Vec::new() };
    args_of(eg, seq, &Sym::Concat(rank - 1), 2)
        .into_iter()
        .filter(|d| ty(eg, d[1]).and_then(|t| t.shape.last()) == Some(&k))
        .filter(|d| value(eg, d[1]).is_some_and(|t| all_equal(t, 1.0)))
        .map(|d| d[0])
        .collect()
}

/// The head of a recurrent chain whose steps read rows of [S, 1, …] with the widened weight
/// W' = [W | s₁ | …] (`linear-bias-column`: the input bias b and the recurrent bias c that
/// `rec-bias-forward` moved beside it). The exported first step (at `t`, from the zero state)
/// has no recurrent product, so it lacks c: it integrates `lin(x₀, W, b) + k` or
/// `lin(x₀, W, b)` (or the same without b), k the export's constant for the folded
/// Gemm(0, R, c) (snnTorch's `RLeaky`; the generated exports leave the term out), or
/// `(lin(x₀, W, b) + 0) + 0` (a zero state stored as an initializer, and the folded R·z₋₁).
/// The layer starts at `t` from V0 = k, the sum of the zeros, or `from_zero`, and reads S
/// widened by a column per bias: ones
/// for b, and for c 0 at `t` and 1 after, so c gets exactly the gradient of the steps that add
/// it and k that of the first step.
fn biased_head(
    eg: &EGraph,
    a: Id,
    w: Id,
    seq: Id,
    t: i64,
    from_zero: Init,
) -> Option<(Init, Option<Widen>)> {
    if t < 0 {
        return None;
    }
    let a_ty = ty(eg, a)?;
    // The first step's input term l and the initial state: a constant k (`l + k`, either
    // order), or two zero-valued addends (`(l + 0) + 0`: a zero state stored as an initializer
    // plus the folded R·z₋₁ = 0, sinabs' `IAFRecurrent`), or none.
    let mut terms: Vec<(Id, Init)> = vec![(eg.find(a), from_zero.clone())];
    for d in args_of(eg, a, &Sym::Add, 2) {
        for (l, k) in [(d[0], d[1]), (d[1], d[0])] {
            if !eg[k].data.state && ty(eg, k) == Some(a_ty) {
                terms.push((l, Init::Class(k)));
            }
        }
    }
    for (l, zs) in zero_terms(eg, a) {
        if zs.len() == 2 {
            terms.push((l, zero_state(&zs, from_zero.clone())));
        }
    }
    for (w0, cols) in weight_columns(eg, w) {
        for base in narrowed(eg, seq, cols.len()) {
            let at = |x: Id| positions(eg, x).contains(&(base, t));
            for (l, v0) in &terms {
                let l = *l;
                // The first step's own bias, if any, must be one of the columns.
                let mut biases: Vec<Option<Id>> = biased_linears(eg, l)
                    .into_iter()
                    .filter(|&(x, w2, _)| eg.find(w2) == w0 && at(x))
                    .map(|(_, _, b)| Some(eg.find(b)))
                    .collect();
                if linears(eg, l).iter().any(|&(x, w2)| eg.find(w2) == w0 && at(x)) {
                    biases.push(None);
                }
                for b in biases {
                    if b.is_some_and(|b| !cols.iter().any(|&c| eg.find(c) == b)) {
                        continue;
                    }
                    let first_has: Vec<bool> =
                        cols.iter().map(|&c| Some(eg.find(c)) == b).collect();
                    let v0 = v0.clone();
                    let widen =
                        (!first_has.iter().all(|&h| h)).then_some(Widen { base, first_has });
                    return Some((v0, widen));
                }
            }
        }
    }
    None
}

/// The initial state made of the zero-valued addends `zs` ([`zero_terms`]); `none` without any.
fn zero_state(zs: &[Id], none: Init) -> Init {
    match *zs {
        [] => none,
        [c] => Init::Class(c),
        [c1, c2, ..] => Init::Sum(c1, c2),
    }
}

/// The ways class `a` is a term plus up to two zero-valued addends: `(a, [])`, then
/// `(l, [c])` for `l + c` or `c + l`, then `(l, [c1, c2])` for `(l + c1) + c2` (any operand
/// order). A recurrent export from a zero state that is a multi-element initializer adds it
/// to the first step's input (v₋₁ + W·x₀, and again as the folded R·z₋₁): the addends, which
/// no rule may drop (they are parameters), become the sequence op's V0, so the sum is exact
/// (every addend is 0) and the gradient each addend gets is dV0's.
fn zero_terms(eg: &EGraph, a: Id) -> Vec<(Id, Vec<Id>)> {
    let zero = |c: Id| value(eg, c).is_some_and(|t| all_equal(t, 0.0));
    let split = |c: Id| -> Vec<(Id, Id)> {
        args_of(eg, c, &Sym::Add, 2)
            .into_iter()
            .flat_map(|d| [(d[0], d[1]), (d[1], d[0])])
            .filter(|&(_, k)| zero(k))
            .collect()
    };
    let mut out = vec![(a, Vec::new())];
    for (l, c2) in split(a) {
        out.push((l, vec![c2]));
        for (l2, c1) in split(l) {
            out.push((l2, vec![c1, c2]));
        }
    }
    out
}

/// A spike Θ(a − th): its class, surrogate, comparison and threshold class, and for a = u + q
/// the other operand q (`None` when the spike is of u itself). A multi-spike count
/// `[a > 0]·trunc(a / th)` is one too, with `multi` set (and `th` `None` for a threshold of 1).
#[derive(Debug, Clone)]
pub struct Bare {
    z: Id,
    sg: Sg,
    threshold: Threshold,
    th: Option<Id>,
    multi: bool,
    input: Option<Id>,
}

/// Files `b` under the state `a` it fires on, and under u for every a = u + q.
fn file(eg: &EGraph, out: &mut HashMap<Id, Vec<Bare>>, a: Id, b: Bare) {
    for s in args_of(eg, a, &Sym::Add, 2) {
        for (u, q) in [(s[0], s[1]), (s[1], s[0])] {
            out.entry(u).or_default().push(Bare { input: Some(q), ..b.clone() });
        }
    }
    out.entry(eg.find(a)).or_default().push(b);
}

/// Every spike of the e-graph, keyed by the state it fires on: Θ(u − th) under u, and
/// Θ((u + q) − th) under u (both operand orders); the same for multi-spike counts.
pub fn bare_spikes(eg: &EGraph) -> HashMap<Id, Vec<Bare>> {
    let mut out: HashMap<Id, Vec<Bare>> = HashMap::new();
    let probe = Sym::Spike(Sg::of(&Default::default()), Threshold::Gt);
    let Some(classes) = eg.classes_for_op(&Kind::of(&probe)) else { return out };
    for z in classes {
        for n in nodes(eg, z, |s| matches!(s, Sym::Spike(..))) {
            let Sym::Spike(sg, threshold) = n.sym else { continue };
            for d in args_of(eg, n.args[0], &Sym::Sub, 2) {
                let b = Bare { z, sg, threshold, th: Some(d[1]), multi: false, input: None };
                file(eg, &mut out, d[0], b);
            }
            if threshold != Threshold::Gt {
                continue;
            }
            let a = eg.find(n.args[0]);
            for m in counts_of(eg, z, a) {
                let b = Bare {
                    z: m.0,
                    sg,
                    threshold: Threshold::Ge,
                    th: m.1,
                    multi: true,
                    input: None,
                };
                file(eg, &mut out, a, b);
            }
        }
    }
    out
}

/// The counts `[a > 0]·trunc(a / th)` built on the positive-part spike class `pos` of `a`:
/// (count class, threshold class or `None` for 1).
fn counts_of(eg: &EGraph, pos: Id, a: Id) -> Vec<(Id, Option<Id>)> {
    let mut out = Vec::new();
    for p in eg[pos].parents() {
        let n = eg.id_to_node(p);
        if n.sym != Sym::Mul {
            continue;
        }
        let m = eg.find(p);
        out.extend(counts(eg, m, a).into_iter().map(|(_, th)| (m, th)));
    }
    out.sort();
    out.dedup();
    out
}

/// The bare spike after a chain whose last step is `last` at `t` over `seq`: its class. A
/// recurrent chain's bare spike fires on `v + (lin(x, W) + lin(z, R))` or
/// `(v + lin(x, W)) + lin(z, R)` (integrate then fire) of the last state v and spikes z, with
/// x the next row, or on v itself (fire then integrate).
pub fn tail(
    eg: &EGraph,
    spikes: &HashMap<Id, Vec<Bare>>,
    last: &Step,
    seq: Id,
    t: i64,
) -> Option<Id> {
    let v_end = eg.find(output(eg, 1, last.tuple)?);
    if t + 1 >= *ty(eg, seq)?.shape.first()? as i64 {
        return None;
    }
    let n = *ty(eg, v_end)?.shape.last()?;
    let p = &last.neuron;
    let fits = |b: &Bare| {
        let th = match b.th {
            Some(th) => per_neuron(eg, th, n),
            None => Some(vec![Bits::of(1.0)]),
        };
        b.sg == p.sg
            && b.threshold == p.family.threshold
            && b.multi == (p.family.spikes == Spikes::Multi)
            && th.is_some_and(|v| same_per_neuron(&v, &p.v_th))
    };
    let Some((_, w, r)) = last.rec else {
        return spikes.get(&v_end)?.iter().find_map(|b| {
            let input_fits = match (last.order, b.input) {
                (Order::FireThenIntegrate, None) => true,
                (Order::IntegrateThenFire, Some(q)) => positions(eg, q).contains(&(seq, t + 1)),
                _ => false,
            };
            (fits(b) && input_fits).then_some(eg.find(b.z))
        });
    };
    let states = match last.order {
        Order::FireThenIntegrate => vec![v_end],
        Order::IntegrateThenFire => {
            let z_end = eg.find(output(eg, 0, last.tuple)?);
            let input = |l: Id| {
                linears(eg, l)
                    .iter()
                    .any(|&(x, w2)| eg.find(w2) == w && positions(eg, x).contains(&(seq, t + 1)))
            };
            let rec = |q: Id| {
                linears(eg, q).iter().any(|&(z, r2)| eg.find(z) == z_end && eg.find(r2) == r)
            };
            let mut out = Vec::new();
            for (sum, other) in add_parents(eg, v_end) {
                let both = args_of(eg, other, &Sym::Add, 2)
                    .into_iter()
                    .any(|d| (input(d[0]) && rec(d[1])) || (input(d[1]) && rec(d[0])));
                if both {
                    out.push(sum);
                }
                if input(other) {
                    out.extend(
                        add_parents(eg, sum).into_iter().filter(|&(_, q)| rec(q)).map(|s| s.0),
                    );
                }
            }
            out
        }
    };
    states.into_iter().find_map(|c| {
        spikes.get(&c)?.iter().find(|b| b.input.is_none() && fits(b)).map(|b| eg.find(b.z))
    })
}
