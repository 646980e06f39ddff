//! The leaky cell (SPEC §1.2): its steps read from the affine form of a potential's update
//! ([`affine`]), fused into the step ops with the cell's α, β, γ, v_leak ([`step`], [`li`]),
//! and the ends of a chain of them ([`ends`]; a potential reported before its reset, [`mem`]); `iaf-reroll` re-rolls the chains, threading the
//! synaptic current U as well as V. Only with `OptOptions::leaky` (engines that cannot run a
//! leaky cell get graphs without them).

pub mod affine;
pub mod cell;
pub mod ends;
pub mod li;
pub mod mem;
pub mod step;

use crate::rules::support::Rule;

/// The leaky rules: `leak-step-itf`, `leak-li`, `leak-mem-itf`.
pub fn rules() -> Vec<Rule> {
    let mut r = step::rules();
    r.extend(li::rules());
    r.extend(mem::rules());
    r
}
