//! snnTorch's late reset: its state is the potential before the reset, and step t subtracts
//! the reset of step t − 1 after integrating, `(v + I) − z·v_th` with z = Θ(v − v_th). That is
//! `(v − z·v_th) + I`, the reset of v followed by the integration, which the subtract rule
//! fuses and the step rules then see as a whole step.
//!
//! The two sums round differently, so this rule (unlike the others) may move a potential by an
//! ulp, and with it a spike that sits exactly at the threshold: SPEC §5 excuses exactly those.

use egg::Id;

use crate::analysis::EGraph;
use crate::lang::SnnNode;
use crate::rules::reset::cell::{pairs, spikes_of};
use crate::rules::support::{add_checked, args_of, custom, ty, union, value, Rule};
use crate::sym::Sym;

/// The (v, I, p) with `(v + I) − p` in class `c`, p a multiple of a spike of v.
fn late(eg: &EGraph, c: Id) -> Vec<Vec<Id>> {
    let mut out = Vec::new();
    if value(eg, c).is_some() {
        return out;
    }
    for d in args_of(eg, c, &Sym::Sub, 2) {
        let (a, p) = (d[0], d[1]);
        for (v, i) in pairs(eg, a, &Sym::Add) {
            let direct = !spikes_of(eg, p, v).is_empty();
            let scaled =
                pairs(eg, p, &Sym::Mul).iter().any(|&(z, _)| !spikes_of(eg, z, v).is_empty());
            if direct || scaled {
                out.push(vec![v, i, p]);
            }
        }
    }
    out
}

fn reassociate() -> Rule {
    custom("reset-late", Some(Sym::Sub), late, |eg, c, m| {
        let (v, i, p) = (m[0], m[1], m[2]);
        let Some(r) = add_checked(eg, SnnNode::new(Sym::Sub, vec![v, p])) else {
            return Vec::new();
        };
        if ty(eg, r) != ty(eg, v) {
            return Vec::new();
        }
        let Some(s) = add_checked(eg, SnnNode::new(Sym::Add, vec![r, i])) else {
            return Vec::new();
        };
        if ty(eg, s).is_none() || ty(eg, s) != ty(eg, c) {
            return Vec::new();
        }
        union(eg, c, s).into_iter().collect()
    })
}

/// Whether `p` is a spike of `v` or a multiple of one.
fn resets(eg: &EGraph, p: Id, v: Id) -> bool {
    !spikes_of(eg, p, v).is_empty()
        || pairs(eg, p, &Sym::Mul).iter().any(|&(z, _)| !spikes_of(eg, z, v).is_empty())
}

/// The (v, I₁, I₂, p) with `((v + I₁) + I₂) − p` in class `c`, p a multiple of a spike of v:
/// snnTorch's `RLeaky`, whose input and recurrent currents are added to the state one after
/// the other before the late reset.
fn late_nested(eg: &EGraph, c: Id) -> Vec<Vec<Id>> {
    let mut out = Vec::new();
    if value(eg, c).is_some() {
        return out;
    }
    for d in args_of(eg, c, &Sym::Sub, 2) {
        let (a, p) = (d[0], d[1]);
        for (s, i2) in pairs(eg, a, &Sym::Add) {
            for (v, i1) in pairs(eg, s, &Sym::Add) {
                if resets(eg, p, v) {
                    out.push(vec![v, i1, i2, p]);
                }
            }
        }
    }
    out
}

/// Adds `op(a, b)` when it has type `want` (or any type when `None`).
fn add_typed(eg: &mut EGraph, op: Sym, a: Id, b: Id, want: Option<Id>) -> Option<Id> {
    let n = add_checked(eg, SnnNode::new(op, vec![a, b]))?;
    let ok = ty(eg, n).is_some() && want.is_none_or(|w| ty(eg, n) == ty(eg, w));
    ok.then_some(n)
}

/// `((v + I₁) + I₂) − p → ((v − p) + I₁) + I₂`: the late reset of [`reassociate`] where the
/// step's input is two sums deep.
fn reassociate_nested() -> Rule {
    custom("reset-late-rec", Some(Sym::Sub), late_nested, |eg, c, m| {
        let (v, i1, i2, p) = (m[0], m[1], m[2], m[3]);
        let Some(r) = add_typed(eg, Sym::Sub, v, p, Some(v)) else { return Vec::new() };
        let Some(s) = add_typed(eg, Sym::Add, r, i1, None) else { return Vec::new() };
        let Some(u) = add_typed(eg, Sym::Add, s, i2, Some(c)) else { return Vec::new() };
        union(eg, c, u).into_iter().collect()
    })
}

/// The late-reset rules.
pub fn rules() -> Vec<Rule> {
    vec![reassociate(), reassociate_nested()]
}
