//! What the leaky rules share: reading one step's integration `v̂ = β·v + γ·u + δ` and its
//! current `u = α·u_prev + x` from affine forms, and the cell's parameters (SPEC §1.2).

use egg::Id;
use snnc_ir::{Family, Surrogate, VOut};

use crate::analysis::EGraph;
use crate::rules::leak::affine::{all, Coef, Forms};
use crate::rules::step::linears;
use crate::rules::support::{mark_value_used, proj_sources, ty};
use crate::sym::{Bits, Neuron, Sg, Sym};

/// How deep a potential's form is searched: Norse's `v + γ·((v_leak − v) + u)` is four nodes
/// deep (`Add`, `Mul`, `Add`, `Sub`).
pub const V_DEPTH: usize = 4;

/// How deep a current's form is searched: Norse's recurrent `((u + (−dt·τ_syn)·u) + W·x) + R·z`
/// is four nodes deep.
pub const U_DEPTH: usize = 4;

/// One reading of a potential as a leaky integration: `v̂ = β·v + γ·u + δ`.
#[derive(Debug, Clone)]
pub struct Integration {
    /// The previous potential.
    pub v: Id,
    /// The step's current.
    pub u: Id,
    /// β.
    pub beta: Coef,
    /// γ.
    pub gamma: Coef,
    /// δ = (1 − β)·v_leak.
    pub offset: Coef,
    /// The constant classes read.
    pub consts: Vec<Id>,
}

/// Whether class `c` is a spiking neuron's potential: the potential output of a fused reset
/// or of a spiking step. (An integrator's is not: any decaying sum reads as one, a synaptic
/// current too.)
fn potential(eg: &EGraph, c: Id) -> bool {
    proj_sources(eg, c, 1).into_iter().any(|t| {
        eg[t].nodes.iter().any(|n| match &n.sym {
            Sym::SpikeReset(_) => true,
            Sym::FfStep(p, _) | Sym::RecStep(p, _) => !p.family.is_integrator(),
            _ => false,
        })
    })
}

/// Every reading of class `vh` as `β·v + γ·u + δ` (two leaves), with v no binary value (a
/// potential is never a spike) and u not computed from v (within two nodes). Both leaves are tried as v, unless just one of them is a
/// neuron's potential ([`potential`]): the other reading (`(1 − γ)·u + γ·v` read with the
/// roles swapped) is equal in value but reads the layer's current as its state.
pub fn integrations(forms: &mut Forms, eg: &EGraph, vh: Id) -> Vec<Integration> {
    let mut out = Vec::new();
    for f in forms.of(vh, V_DEPTH) {
        if f.terms.len() != 2 {
            continue;
        }
        let pot = [potential(eg, f.terms[0].0), potential(eg, f.terms[1].0)];
        for (i, j) in [(0, 1), (1, 0)] {
            let ((v, beta), (u, gamma)) = (&f.terms[i], &f.terms[j]);
            if eg[*v].data.is_binary() || (pot[j] && !pot[i]) {
                continue;
            }
            // The current is not computed from the potential: `v + γ·((0 − v) + u)` is also
            // `v + γ·w` with w = (0 − v) + u, which reads no cell's current.
            if forms.of(*u, 2).iter().any(|g| g.coef(*v).is_some()) {
                continue;
            }
            out.push(Integration {
                v: *v,
                u: *u,
                beta: beta.clone(),
                gamma: gamma.clone(),
                offset: f.offset.clone(),
                consts: f.consts.clone(),
            });
        }
    }
    out
}

/// How a step's current u is made.
#[derive(Debug, Clone)]
pub enum Current {
    /// u is the step's input x itself (α = 0).
    Direct,
    /// u = α·prev + x: a synaptic current with state `prev`.
    Synapse {
        /// The step's input.
        x: Id,
        /// The previous current.
        prev: Id,
        /// α.
        alpha: Coef,
        /// The constant classes read.
        consts: Vec<Id>,
    },
}

/// Every reading of class `u` as `α·prev + x` (no constant term, x's coefficient 1 for every
/// neuron, some α ≠ 0), plus [`Current::Direct`].
pub fn currents(forms: &mut Forms, eg: &EGraph, u: Id) -> Vec<Current> {
    let mut out = vec![Current::Direct];
    for f in forms.of(u, U_DEPTH) {
        if f.terms.len() != 2 || !all(&f.offset, 0.0) {
            continue;
        }
        for (i, j) in [(0, 1), (1, 0)] {
            let ((prev, alpha), (x, k)) = (&f.terms[i], &f.terms[j]);
            // A current is no spike.
            if all(k, 1.0) && !all(alpha, 0.0) && !eg[*prev].data.is_binary() {
                out.push(Current::Synapse {
                    x: *x,
                    prev: *prev,
                    alpha: alpha.clone(),
                    consts: f.consts.clone(),
                });
            }
        }
    }
    out
}

/// A recurrent current: u = [α·prev +] x·Wᵀ + z·Rᵀ.
#[derive(Debug, Clone)]
pub struct RecCurrent {
    /// The step's input x.
    pub x: Id,
    /// The previous step's spikes.
    pub z: Id,
    /// W.
    pub w: Id,
    /// R (square).
    pub r: Id,
    /// The previous current and α, for a synaptic current.
    pub synapse: Option<(Id, Coef)>,
    /// The constant classes read.
    pub consts: Vec<Id>,
}

/// A recurrent term `lin(z, R)` whose input is binary neuron state and whose weight is square.
fn recurrent(eg: &EGraph, c: Id) -> Vec<(Id, Id)> {
    linears(eg, c)
        .into_iter()
        .filter(|&(z, r)| {
            let d = &eg[z].data;
            let square = ty(eg, r).is_some_and(|t| t.rank() == 2 && t.shape[0] == t.shape[1]);
            d.is_binary() && d.state && square
        })
        .collect()
}

/// Every reading of class `u` as `x·Wᵀ + z·Rᵀ` or `α·prev + x·Wᵀ + z·Rᵀ` (coefficients 1 on
/// both products, no constant term).
pub fn rec_currents(forms: &mut Forms, eg: &EGraph, u: Id) -> Vec<RecCurrent> {
    let mut out = Vec::new();
    for f in forms.of(u, U_DEPTH) {
        if f.terms.len() < 2 || !all(&f.offset, 0.0) {
            continue;
        }
        let leaves = f.leaves();
        for &b in &leaves {
            for (z, r) in recurrent(eg, b) {
                for &a in &leaves {
                    if a == b {
                        continue;
                    }
                    for (x, w) in linears(eg, a) {
                        let ones = f.coef(a).is_some_and(|k| all(k, 1.0))
                            && f.coef(b).is_some_and(|k| all(k, 1.0));
                        let rest: Vec<&(Id, Coef)> =
                            f.terms.iter().filter(|t| t.0 != a && t.0 != b).collect();
                        let synapse = match rest.as_slice() {
                            [] => None,
                            [(p, alpha)] if !all(alpha, 0.0) => Some((*p, alpha.clone())),
                            _ => continue,
                        };
                        if ones {
                            out.push(RecCurrent { x, z, w, r, synapse, consts: f.consts.clone() });
                        }
                    }
                }
            }
        }
    }
    out
}

/// Rounds per-neuron values to the f32 attribute: one value when all are equal.
fn bits(c: &Coef) -> Vec<Bits> {
    let v: Vec<Bits> = c.iter().map(|&x| Bits::of(x as f32)).collect();
    if v.iter().all(|b| *b == v[0]) {
        vec![v[0]]
    } else {
        v
    }
}

/// α, β, γ, v_leak of a step with integration `i` and synaptic decay `alpha` (`None`: no
/// synapse), as the optimizer's leak attribute; `None` when the step is the integrate-and-fire
/// cell's (the IF rules' business) or is no leaky cell: β = 1 with a constant term δ ≠ 0
/// (`v + u + δ` drifts by δ every step, which no v_leak expresses), a parameter outside a
/// decaying cell's range (0 ≤ α < 1, 0 < β ≤ 1, γ > 0), or a non-finite value.
pub fn leak(i: &Integration, alpha: Option<&Coef>) -> Option<[Vec<Bits>; 4]> {
    let n = i.beta.len().max(i.gamma.len()).max(i.offset.len());
    let at = |c: &Coef, k: usize| if c.len() == 1 { c[0] } else { c[k] };
    let mut v_leak = Vec::with_capacity(n);
    for k in 0..n {
        let (b, d) = (at(&i.beta, k), at(&i.offset, k));
        v_leak.push(if b != 1.0 {
            d / (1.0 - b)
        } else if d == 0.0 {
            0.0
        } else {
            return None;
        });
    }
    let alpha = alpha.cloned().unwrap_or_else(|| vec![0.0]);
    // A decaying cell's range. A sum has other readings (`v + γ·((0 − v) + u)` is also
    // `(1 − γ)·v + γ·u` with the roles of v and u swapped, or a current `−v + u`), equal
    // in value, which no library's cell is; they would only add dead alternatives.
    let ranges = alpha.iter().all(|&a| (0.0..1.0).contains(&a))
        && i.beta.iter().all(|&b| b > 0.0 && b <= 1.0)
        && i.gamma.iter().all(|&g| g > 0.0);
    if !ranges {
        return None;
    }
    let p = [bits(&alpha), bits(&i.beta), bits(&i.gamma), bits(&v_leak)];
    if p.iter().flatten().any(|b| !b.get().is_finite()) {
        return None;
    }
    let is = |v: &[Bits], x: f32| v.iter().all(|b| b.get() == x);
    if is(&p[0], 0.0) && is(&p[1], 1.0) && is(&p[2], 1.0) {
        return None;
    }
    if alpha.iter().any(|&a| a != 0.0) && is(&p[0], 0.0) {
        return None;
    }
    Some(p)
}

/// `base` with the leak `p` (V_T after the reset).
pub fn with_leak(base: &Neuron, p: [Vec<Bits>; 4]) -> Neuron {
    Neuron { leak: (p, VOut::AfterReset), ..base.clone() }
}

/// The leaky integrator (no threshold, no reset) with leak `p`: the threshold and reset
/// potential are the `LI` op's defaults, which it never reads.
pub fn integrator(p: [Vec<Bits>; 4]) -> Neuron {
    Neuron {
        v_th: vec![Bits::of(1.0)],
        v_reset: vec![Bits::of(0.0)],
        sg: Sg::of(&Surrogate::default()),
        family: Family::LI,
        leak: (p, VOut::AfterReset),
        amount: None,
    }
}

/// Marks the constants of forms a rule absorbed into a cell's parameters as value-used.
pub fn absorb(eg: &mut EGraph, consts: &[Id]) {
    for &c in consts {
        mark_value_used(eg, c);
    }
}

/// Whether two integrations have the same β, γ and δ (to a relative 1e-9: both are computed
/// from the same constants, possibly along different nodes).
pub fn same_leak(a: &Integration, b: &Integration) -> bool {
    let eq = |x: &Coef, y: &Coef| {
        let n = x.len().max(y.len());
        let at = |c: &Coef, k: usize| if c.len() == 1 { c[0] } else { c[k] };
        (x.len() == y.len() || x.len() == 1 || y.len() == 1)
            && (0..n).all(|k| (at(x, k) - at(y, k)).abs() <= 1e-9 * at(x, k).abs().max(1.0))
    };
    eq(&a.beta, &b.beta) && eq(&a.gamma, &b.gamma) && eq(&a.offset, &b.offset)
}

/// The classes that compute from class `c` through at most `depth` elementwise ops (`Add`,
/// `Sub`, `Mul`, `Div`, `Neg`), `c` excluded.
pub fn sums_over(eg: &EGraph, c: Id, depth: usize) -> Vec<Id> {
    let mut seen = vec![eg.find(c)];
    let mut frontier = vec![eg.find(c)];
    for _ in 0..depth {
        let mut next = Vec::new();
        for c in frontier {
            for p in eg[c].parents() {
                if matches!(
                    eg.id_to_node(p).sym,
                    Sym::Add | Sym::Sub | Sym::Mul | Sym::Div | Sym::Neg
                ) {
                    let up = eg.find(p);
                    if !seen.contains(&up) {
                        seen.push(up);
                        next.push(up);
                    }
                }
            }
        }
        frontier = next;
    }
    seen.remove(0);
    seen
}

/// Whether class `a` integrates potential `v` the way `i` does.
pub fn integrates(eg: &EGraph, a: Id, v: Id, i: &Integration) -> bool {
    let Some(mut forms) = Forms::new(eg, a) else { return false };
    let v = eg.find(v);
    integrations(&mut forms, eg, a).iter().any(|j| eg.find(j.v) == v && same_leak(i, j))
}

/// Whether class `a` integrates some potential the way `i` does.
pub fn integrated(eg: &EGraph, a: Id, i: &Integration) -> bool {
    let Some(mut forms) = Forms::new(eg, a) else { return false };
    integrations(&mut forms, eg, a).iter().any(|j| same_leak(i, j))
}
