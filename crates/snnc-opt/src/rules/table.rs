//! The table of every rule, in family order.

use snnc_ir::{ResetGrad, Surrogate};

use crate::rules::support::Rule;
use crate::rules::{algebra, bias, event, leak, reset, shape, spike, step, time};

/// Every rule, in family order: algebra, shape, spike, reset, bias, step, leak, time, event. `surrogate` is the
/// backward that the spike rules give to the comparisons of plain exports, and `reset_grad`
/// whether the cells the reset rules fuse differentiate their reset through the spike.
pub fn rules(surrogate: &Surrogate, reset_grad: ResetGrad) -> Vec<Rule> {
    rules_with(surrogate, reset_grad, true)
}

/// [`rules`], with the leaky-cell rules (`leak`, SPEC §1.2) only when `leaky` is set.
pub fn rules_with(surrogate: &Surrogate, reset_grad: ResetGrad, leaky: bool) -> Vec<Rule> {
    let mut r = algebra::rules();
    r.extend(shape::rules());
    r.extend(spike::rules(surrogate));
    r.extend(reset::value::rules(reset_grad));
    r.extend(reset::subtract::rules(reset_grad));
    r.extend(reset::masked::rules());
    r.extend(reset::late::rules());
    r.extend(reset::multi::rules(reset_grad));
    r.extend(reset::none::rules());
    r.extend(bias::rules());
    r.extend(step::rules());
    if leaky {
        // The reset it fuses has an amount other than v_th, which only the leaky cell it
        // then forms makes worth fusing.
        r.extend(reset::late_decay::rules(reset_grad));
        r.extend(leak::rules());
    }
    r.extend(time::axis::rules());
    r.extend(time::linear::rules());
    r.extend(time::unhoist::rules());
    r.extend(time::map::rules());
    r.extend(time::flatten::rules());
    r.extend(time::unstack::rules());
    r.extend(time::reroll::rules());
    r.extend(event::rules());
    r
}
