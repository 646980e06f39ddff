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

/// The late-reset rule.
pub fn rules() -> Vec<Rule> {
    vec![reassociate()]
}
