//! The table of every rule, in family order.

use snnc_ir::{ResetGrad, Surrogate};

use crate::rules::support::Rule;
use crate::rules::{algebra, bias, event, reset, shape, spike, step, time};

/// Every rule, in family order: algebra, shape, spike, reset, bias, step, time, event. `surrogate` is the
/// backward that the spike rules give to the comparisons of plain exports, and `reset_grad`
/// whether the cells the reset rules fuse differentiate their reset through the spike.
pub fn rules(surrogate: &Surrogate, reset_grad: ResetGrad) -> Vec<Rule> {
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
    r.extend(time::axis::rules());
    r.extend(time::linear::rules());
    r.extend(time::unstack::rules());
    r.extend(time::reroll::rules());
    r.extend(event::rules());
    r
}
