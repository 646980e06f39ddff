//! The pruned last step of a chain of leaky integrate-then-fire steps: the exporter drops the
//! last step's unused reset (and current update), leaving a bare spike Θ(v̂ − v_th) of
//! `v̂ = β·v + γ·u + δ` (or a multi-spike count of v̂), with v the chain's last potential and u
//! the next row of the sequence (or `α·u_prev + x` with u_prev the chain's last current). It
//! becomes the layer's last step; the sequence op then reports v̂ itself as V_T
//! (`v_out = before_reset`: snnTorch's `mem`) and u as U_T.

use std::collections::HashMap;

use egg::Id;
use snnc_ir::{Order, Spikes, Threshold};

use crate::analysis::EGraph;
use crate::lang::Kind;
use crate::rules::leak::affine::{all, Forms};
use crate::rules::leak::cell::{
    currents, integrations, leak, Current, Integration, U_DEPTH, V_DEPTH,
};
use crate::rules::leak::step::resets;
use crate::rules::reset::multi::counts;
use crate::rules::reset::per_neuron;
use crate::rules::reset::subtract::same_per_neuron;
use crate::rules::support::{args_of, nodes, proj_sources, ty};
use crate::rules::time::chain::{has_current, output, positions, Step};
use crate::rules::time::ends::Init;
use crate::sym::{Bits, Neuron, Sg, Sym};

/// A spike decision on a potential v̂: its class, surrogate, comparison, threshold (`None`
/// for 1, multi-spike counts only) and whether it counts spikes.
#[derive(Debug, Clone)]
pub struct Fired {
    z: Id,
    sg: Sg,
    threshold: Threshold,
    th: Option<Id>,
    multi: bool,
    vh: Id,
}

/// Every spike of the e-graph whose potential integrates some v, filed under v with the
/// integration.
pub fn fired(eg: &EGraph) -> HashMap<Id, Vec<(Fired, Integration)>> {
    let mut all: Vec<Fired> = Vec::new();
    let probe = Sym::Spike(Sg::of(&Default::default()), Threshold::Gt);
    let Some(classes) = eg.classes_for_op(&Kind::of(&probe)) else { return HashMap::new() };
    for z in classes {
        for n in nodes(eg, z, |s| matches!(s, Sym::Spike(..))) {
            let Sym::Spike(sg, threshold) = n.sym else { continue };
            for d in args_of(eg, n.args[0], &Sym::Sub, 2) {
                all.push(Fired { z, sg, threshold, th: Some(d[1]), multi: false, vh: d[0] });
            }
            if threshold != Threshold::Gt {
                continue;
            }
            let a = eg.find(n.args[0]);
            for p in eg[z].parents() {
                if eg.id_to_node(p).sym != Sym::Mul {
                    continue;
                }
                let m = eg.find(p);
                for (_, th) in counts(eg, m, a) {
                    let f = Fired { z: m, sg, threshold: Threshold::Ge, th, multi: true, vh: a };
                    all.push(f);
                }
            }
        }
    }
    let mut out: HashMap<Id, Vec<(Fired, Integration)>> = HashMap::new();
    for f in all {
        let Some(mut forms) = Forms::new(eg, f.vh) else { continue };
        for i in integrations(&mut forms, eg, f.vh) {
            out.entry(eg.find(i.v)).or_default().push((f.clone(), i));
        }
    }
    out
}

/// The pruned step after a chain of leaky integrate-then-fire steps.
#[derive(Debug, Clone, Copy)]
pub struct Tail {
    /// Its spike (or count) class.
    pub z: Id,
    /// Its potential v̂, before the (pruned) reset.
    pub vh: Id,
    /// Its current u, for a cell with a synapse.
    pub u: Option<Id>,
}

/// The bare spike after a chain of leaky integrate-then-fire steps whose last step is `last`
/// at `t` over `seq`.
pub fn tail(
    eg: &EGraph,
    fired: &HashMap<Id, Vec<(Fired, Integration)>>,
    last: &Step,
    seq: Id,
    t: i64,
) -> Option<Tail> {
    let p = &last.neuron;
    if last.rec.is_some() || last.order != Order::IntegrateThenFire || p.is_if() {
        return None;
    }
    if p.family.spikes == Spikes::None || t + 1 >= *ty(eg, seq)?.shape.first()? as i64 {
        return None;
    }
    let v_end = eg.find(output(eg, 1, last.tuple)?);
    let n = *ty(eg, v_end)?.shape.last()?;
    let next = |x: Id| positions(eg, x).contains(&(seq, t + 1));
    for (f, i) in fired.get(&v_end)? {
        let th = match f.th {
            Some(th) => per_neuron(eg, th, n),
            None => Some(vec![Bits::of(1.0)]),
        };
        let fits = f.sg == p.sg
            && f.threshold == p.family.threshold
            && f.multi == (p.family.spikes == Spikes::Multi)
            && th.is_some_and(|v| same_per_neuron(&v, &p.v_th));
        if !fits {
            continue;
        }
        let Some(mut forms) = Forms::new(eg, f.vh) else { continue };
        for c in currents(&mut forms, eg, i.u) {
            let ok = match &c {
                Current::Direct => !has_current(p) && next(i.u),
                Current::Synapse { x, prev, .. } => {
                    has_current(p)
                        && next(*x)
                        && output(eg, 2, last.tuple).is_some_and(|o| eg.find(o) == *prev)
                }
            };
            let alpha = match &c {
                Current::Direct => None,
                Current::Synapse { alpha, .. } => Some(alpha),
            };
            if ok && leak(i, alpha).as_ref() == Some(&p.leak.0) {
                let u = has_current(p).then_some(i.u);
                return Some(Tail { z: eg.find(f.z), vh: eg.find(f.vh), u });
            }
        }
    }
    None
}

/// Whether the per-neuron coefficient `c` is the cell parameter `p` (rounded to f32, or within
/// a relative 1e-9: the head's constants may combine along other nodes than the chain's).
fn is_param(c: &[f64], p: &[Bits]) -> bool {
    let n = c.len().max(p.len());
    let at_c = |k: usize| if c.len() == 1 { c[0] } else { c[k] };
    let at_p = |k: usize| f64::from(if p.len() == 1 { p[0] } else { p[k] }.get());
    (c.len() == p.len() || c.len() == 1 || p.len() == 1)
        && (0..n).all(|k| {
            let (x, y) = (at_c(k), at_p(k));
            Bits::of(x as f32) == Bits::of(y as f32) || (x - y).abs() <= 1e-9 * y.abs().max(1.0)
        })
}

/// The exported first step in front of a leaky feed-forward chain (integrate then fire)
/// starting with `first` at `t0` over `seq`, when the exporter folded its constant initial
/// state (Norse's `LIFCell` from `None`: v₋₁ = v_leak, the current a zero tensor): its
/// potential reads `γ·u₀ + δ′` (one leaf, the cell's γ) and its current u₀ is the row x₀ at
/// `t0 − 1` (`Direct`) or `k·c + x₀` (a synapse from the state c). The layer then starts at
/// `t0 − 1` from the constant V0 = v_leak + (δ′ − v_leak)/β (the potential for which the cell's
/// step gives δ′), when that is a default initial state (0 or v_leak), and U0 = (k/α)·c (absent for `Direct`, a zero current), so that the op's
/// `α·U0 + x₀` is u₀ and c's gradient k·du₀ is exactly the export's.
pub fn head(eg: &EGraph, first: &Step, seq: Id, t0: i64) -> Option<LeakHead> {
    let t = t0 - 1;
    let p = &first.neuron;
    // An integrator neither fires nor resets: its steps integrate alike in either order.
    let itf = first.order == Order::IntegrateThenFire || p.family.is_integrator();
    if t < 0 || first.rec.is_some() || !itf || p.is_if() {
        return None;
    }
    let at = |c: Id| positions(eg, c).contains(&(seq, t));
    let [alpha, beta, gamma, v_leak] = &p.leak.0;
    // The head's potential v̂₀ and its output-0 class (spikes; v̂₀ itself for an integrator).
    let cands: Vec<(Id, Id)> = if p.family.is_integrator() {
        vec![(first.v, first.v)]
    } else {
        let reset = Neuron { leak: Neuron::if_leak(), ..p.clone() };
        proj_sources(eg, first.v, 1)
            .into_iter()
            .flat_map(|c| {
                let z = output(eg, 0, c);
                resets(eg, c)
                    .into_iter()
                    .filter(|(q, _)| *q == reset)
                    .filter_map(move |(_, vh)| Some((vh, z?)))
            })
            .collect()
    };
    for (vh, z) in cands {
        let Some(mut forms) = Forms::new(eg, vh) else { continue };
        for f in forms.of(vh, V_DEPTH) {
            let [(u, g)] = f.terms.as_slice() else { continue };
            if !is_param(g, gamma) {
                continue;
            }
            let u = eg.find(*u);
            let mut consts = f.consts.clone();
            let u0 = if has_current(p) {
                if first.u.map(|c| eg.find(c)) != Some(u) || alpha.iter().any(|a| a.get() == 0.0) {
                    continue;
                }
                // u₀ is the row x₀ itself, or k·c + x₀ (c may be a zero-valued, hence binary,
                // initializer: the current's state before the first step).
                let found = if at(u) {
                    Some(None)
                } else {
                    let Some(mut uf) = Forms::new(eg, u) else { continue };
                    uf.of(u, U_DEPTH).into_iter().find_map(|g| {
                        if g.terms.len() != 2 || !all(&g.offset, 0.0) {
                            return None;
                        }
                        [(0, 1), (1, 0)].into_iter().find_map(|(i, j)| {
                            let ((x, one), (c, k)) = (&g.terms[i], &g.terms[j]);
                            if !at(*x) || !all(one, 1.0) || k.contains(&0.0) {
                                return None;
                            }
                            consts.extend(g.consts.iter().copied());
                            let scale = if is_param(k, alpha) {
                                None
                            } else {
                                let n = k.len().max(alpha.len());
                                let at_k = |i: usize| if k.len() == 1 { k[0] } else { k[i] };
                                let at_a = |i: usize| {
                                    let a = if alpha.len() == 1 { alpha[0] } else { alpha[i] };
                                    f64::from(a.get())
                                };
                                Some((0..n).map(|i| Bits::of((at_k(i) / at_a(i)) as f32)).collect())
                            };
                            Some(Some((*c, scale)))
                        })
                    })
                };
                match found {
                    Some(u0) => u0,
                    None => continue,
                }
            } else {
                if !at(u) {
                    continue;
                }
                None
            };
            // v̂₀ = v_leak + β·(v₋₁ − v_leak) + γ·u₀ = γ·u₀ + δ′: v₋₁ must be a default
            // initial state (SPEC §1.2: v_leak for Norse, 0 for the others), to the rounding
            // of the export's f32 constants.
            let n = f.offset.len().max(beta.len()).max(v_leak.len());
            let pick =
                |v: &[Bits], i: usize| f64::from(if v.len() == 1 { v[0] } else { v[i] }.get());
            let d = |i: usize| if f.offset.len() == 1 { f.offset[0] } else { f.offset[i] };
            let v0: Option<Vec<Bits>> = (0..n)
                .map(|i| {
                    let vl = pick(v_leak, i);
                    let v = vl + (d(i) - vl) / pick(beta, i);
                    let tol = 1e-5 * vl.abs().max(d(i).abs()).max(1e-30);
                    if v.abs() <= tol {
                        Some(Bits::of(0.0))
                    } else if (v - vl).abs() <= tol {
                        Some(Bits::of(vl as f32))
                    } else {
                        None
                    }
                })
                .collect();
            let Some(v0) = v0 else { continue };
            let v0 = if v0.iter().all(|b| b.get() == 0.0) { Init::Zeros } else { Init::Fill(v0) };
            return Some(LeakHead { t, v0, z: eg.find(z), u0, consts });
        }
    }
    None
}

/// The folded first step in front of a leaky chain ([`head`]).
#[derive(Debug, Clone)]
pub struct LeakHead {
    /// Its time index.
    pub t: i64,
    /// The initial potential.
    pub v0: Init,
    /// Its output-0 class (spikes, or an integrator's potential).
    pub z: Id,
    /// The initial current: a class and the per-neuron factor it is scaled by (`None`: a zero
    /// current).
    pub u0: Option<(Id, Option<Vec<Bits>>)>,
    /// The constants the readings absorbed.
    pub consts: Vec<Id>,
}
