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
use crate::rules::leak::affine::Forms;
use crate::rules::leak::cell::{currents, integrations, leak, Current, Integration};
use crate::rules::reset::multi::counts;
use crate::rules::reset::per_neuron;
use crate::rules::reset::subtract::same_per_neuron;
use crate::rules::support::{args_of, nodes, ty};
use crate::rules::time::chain::{has_current, output, positions, Step};
use crate::sym::{Bits, Sg, Sym};

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
