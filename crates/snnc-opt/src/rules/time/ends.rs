//! The ends of a chain that the exporter spells differently from a whole step.
//!
//! * **Head**: the first step from the initial state is folded. Integrate-then-fire from
//!   v₋₁ = 0 is just `reset(I₀)` (the `0 + x` is folded away); a recurrent one is
//!   `reset(lin(x₀, W))` (R·z₋₁ = 0 folded). Fire-then-integrate from v₋₁ = v_reset = 0 gives
//!   v₀ = I₀ (Θ(0 − v_th) = 0 folded), and a step whose state is a known constant w with
//!   Θ(w − v_th) = 0 gives v = w + I (its spike folded to a constant, as in `seed_order_*`): the
//!   chain then starts at that step with V0 = w, which keeps the exported graph's gradient.
//! * **Tail**: the last step's unused reset is pruned, leaving a bare spike: Θ(v + I − v_th)
//!   (integrate then fire) or Θ(v − v_th) (fire then integrate) of the chain's last state.

use std::collections::HashMap;

use egg::Id;
use snnc_ir::Order;

use crate::analysis::EGraph;
use crate::lang::Kind;
use crate::rules::reset::per_neuron;
use crate::rules::step::linears;
use crate::rules::support::{args_of, nodes, proj_sources, ty, value};
use crate::rules::time::chain::{output, positions, Step};
use crate::sym::{Neuron, Sg, Sym};

/// The initial potential of a re-rolled layer.
#[derive(Debug, Clone, Copy)]
pub enum Init {
    /// The op's default, v₋₁ = v_reset.
    Default,
    /// Zero (a new constant; for v_reset ≠ 0).
    Zeros,
    /// This class.
    Class(Id),
}

/// A step in front of a chain, at `t`.
pub struct Head {
    /// The step's time index in the sequence.
    pub t: i64,
    /// The initial potential.
    pub v0: Init,
    /// The head step's spike class, when the graph has it.
    pub z: Option<Id>,
}

/// The head of a chain starting with `first` at `t0` over `seq`, if the exporter folded one.
pub fn head(eg: &EGraph, first: &Step, seq: Id, t0: i64) -> Option<Head> {
    let t = t0 - 1;
    let at = |c: Id| t >= 0 && positions(eg, c).contains(&(seq, t));
    let from_zero = if first.neuron.resets_to_zero() { Init::Default } else { Init::Zeros };
    match (first.order, first.rec) {
        (Order::IntegrateThenFire, rec) => {
            for c in proj_sources(eg, first.v, 1) {
                for n in nodes(eg, c, |s| matches!(s, Sym::SpikeReset(p) if *p == first.neuron)) {
                    let a = eg.find(n.args[0]);
                    let fits = match rec {
                        None => at(a),
                        Some((z, w, _)) => {
                            output(eg, 0, c).is_some_and(|p| eg.find(p) == z)
                                && linears(eg, a).iter().any(|&(x, w2)| eg.find(w2) == w && at(x))
                        }
                    };
                    if fits {
                        return Some(Head { t, v0: from_zero, z: output(eg, 0, c) });
                    }
                }
            }
            None
        }
        (Order::FireThenIntegrate, None) => {
            if first.neuron.resets_to_zero() && at(first.v) {
                return Some(Head { t, v0: Init::Default, z: None });
            }
            for d in args_of(eg, first.v, &Sym::Add, 2) {
                for (w, g) in [(d[0], d[1]), (d[1], d[0])] {
                    if at(g) && quiet(eg, w, first.v, &first.neuron) {
                        return Some(Head { t, v0: Init::Class(w), z: None });
                    }
                }
            }
            None
        }
        _ => None,
    }
}

/// `w` is a known potential of `v`'s type below every threshold: Θ(w − v_th) = 0 everywhere,
/// so a fire-then-integrate step leaves it unreset.
fn quiet(eg: &EGraph, w: Id, v: Id, p: &Neuron) -> bool {
    let (Some(t), Some(tw)) = (value(eg, w), ty(eg, w)) else { return false };
    let Some(vals) = t.as_f32_vec() else { return false };
    if Some(tw) != ty(eg, v) {
        return false;
    }
    let n = tw.shape.last().copied().unwrap_or(1).max(1);
    vals.iter().enumerate().all(|(k, &x)| {
        let th = p.v_th[if p.v_th.len() == 1 { 0 } else { k % n }].get();
        // Θ's argument as the step rounds it; NaN does not fire either.
        (x - th).partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    })
}

/// A spike Θ(a − th): its class, surrogate and threshold class, and for a = u + q the other
/// operand q (`None` when the spike is of u itself).
#[derive(Debug, Clone)]
pub struct Bare {
    z: Id,
    sg: Sg,
    th: Id,
    input: Option<Id>,
}

/// Every spike of the e-graph, keyed by the state it fires on: Θ(u − th) under u, and
/// Θ((u + q) − th) under u (both operand orders).
pub fn bare_spikes(eg: &EGraph) -> HashMap<Id, Vec<Bare>> {
    let mut out: HashMap<Id, Vec<Bare>> = HashMap::new();
    let probe = Sym::Spike(Sg::of(&Default::default()));
    let Some(classes) = eg.classes_for_op(&Kind::of(&probe)) else { return out };
    for z in classes {
        for n in nodes(eg, z, |s| matches!(s, Sym::Spike(_))) {
            let Sym::Spike(sg) = n.sym else { continue };
            for d in args_of(eg, n.args[0], &Sym::Sub, 2) {
                let (a, th) = (d[0], d[1]);
                out.entry(a).or_default().push(Bare { z, sg, th, input: None });
                for s in args_of(eg, a, &Sym::Add, 2) {
                    for (u, q) in [(s[0], s[1]), (s[1], s[0])] {
                        out.entry(u).or_default().push(Bare { z, sg, th, input: Some(q) });
                    }
                }
            }
        }
    }
    out
}

/// The bare spike after a chain whose last step is `last` at `t` over `seq`: its class.
pub fn tail(
    eg: &EGraph,
    spikes: &HashMap<Id, Vec<Bare>>,
    last: &Step,
    seq: Id,
    t: i64,
) -> Option<Id> {
    if last.rec.is_some() {
        return None;
    }
    let v_end = eg.find(output(eg, 1, last.tuple)?);
    if t + 1 >= *ty(eg, seq)?.shape.first()? as i64 {
        return None;
    }
    let n = *ty(eg, v_end)?.shape.last()?;
    let p = &last.neuron;
    spikes.get(&v_end)?.iter().find_map(|b| {
        let fits = b.sg == p.sg && per_neuron(eg, b.th, n).is_some_and(|v| v == p.v_th);
        let input_fits = match (last.order, b.input) {
            (Order::FireThenIntegrate, None) => true,
            (Order::IntegrateThenFire, Some(q)) => positions(eg, q).contains(&(seq, t + 1)),
            _ => false,
        };
        (fits && input_fits).then_some(eg.find(b.z))
    })
}
