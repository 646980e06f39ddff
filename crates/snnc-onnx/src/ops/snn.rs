//! The `snn` domain (version 1, SPEC §2): IAF, IAFRecurrent, IAFFeedForwardStep, IAFStep.

use snnc_ir::{IafParams, Method, Op, Order, Surrogate};

use super::{Entry, Lowered, NodeCtx};
use crate::attrs;
use crate::proto::SNN_DOMAIN;

macro_rules! snn {
    ($name:literal, $variant:path) => {
        Entry {
            domain: SNN_DOMAIN,
            op_type: $name,
            convert: |c| lower(c, $variant),
            static_inputs: &[],
        }
    };
}

/// The four integrate-and-fire ops.
pub(crate) const OPS: &[Entry] = &[
    snn!("IAF", Op::Iaf),
    snn!("IAFRecurrent", Op::IafRecurrent),
    snn!("IAFFeedForwardStep", Op::IafFeedForwardStep),
    snn!("IAFStep", Op::IafStep),
];

const ATTRS: [&str; 5] = ["v_th", "v_reset", "method", "alpha", "order"];

/// Reads the SPEC §2 attributes; absent ones take the domain defaults (v_th 1, v_reset 0,
/// `super`, alpha 100, fire_then_integrate). Unknown names or values are errors. Whether
/// `v_th`/`v_reset` have length 1 or N is checked by IR type inference.
fn params(ctx: &NodeCtx) -> Result<IafParams, String> {
    let node = ctx.node;
    attrs::check_known(node, &ATTRS)?;
    let defaults = IafParams::default();
    let method = match attrs::string(node, "method")? {
        Some(m) => m.parse::<Method>().map_err(|e| format!("attribute 'method': {e}"))?,
        None => defaults.surrogate.method,
    };
    let alpha = attrs::float(node, "alpha")?.unwrap_or(defaults.surrogate.alpha);
    let surrogate = Surrogate::new(method, alpha).map_err(|e| format!("attribute 'alpha': {e}"))?;
    let order = match attrs::string(node, "order")? {
        Some(o) => o.parse::<Order>().map_err(|e| format!("attribute 'order': {e}"))?,
        None => defaults.order,
    };
    Ok(IafParams {
        v_th: attrs::float_or_floats(node, "v_th")?.unwrap_or(defaults.v_th),
        v_reset: attrs::float_or_floats(node, "v_reset")?.unwrap_or(defaults.v_reset),
        surrogate,
        order,
    })
}

fn lower(ctx: &NodeCtx, make: fn(IafParams) -> Op) -> Result<Lowered, String> {
    Ok(ctx.all(make(params(ctx)?)))
}
