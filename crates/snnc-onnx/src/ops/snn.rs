//! The `snn` domain (version 1, SPEC §2): IAF, IAFRecurrent, IAFFeedForwardStep, IAFStep.

use std::str::FromStr;

use snnc_ir::{Family, IafParams, Method, Op, Order, Surrogate};

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

const ATTRS: [&str; 9] =
    ["v_th", "v_reset", "method", "alpha", "order", "threshold", "reset", "reset_grad", "spikes"];

/// The string attribute `name` parsed as `T`, or `default` when absent.
fn choice<T: FromStr<Err = String>>(ctx: &NodeCtx, name: &str, default: T) -> Result<T, String> {
    match attrs::string(ctx.node, name)? {
        Some(s) => s.parse::<T>().map_err(|e| format!("attribute '{name}': {e}")),
        None => Ok(default),
    }
}

/// Reads the SPEC §2 attributes; absent ones take the domain defaults (v_th 1, v_reset 0,
/// `super`, alpha 100, fire_then_integrate, Norse's family choices `gt`, `value`, `attached`,
/// `single`). Unknown names or values, and choices that do not go together, are errors.
/// Whether `v_th`/`v_reset` have length 1 or N is checked by IR type inference.
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
    let order: Order = choice(ctx, "order", defaults.order)?;
    let d = defaults.family;
    let family = Family {
        threshold: choice(ctx, "threshold", d.threshold)?,
        reset: choice(ctx, "reset", d.reset)?,
        reset_grad: choice(ctx, "reset_grad", d.reset_grad)?,
        spikes: choice(ctx, "spikes", d.spikes)?,
    };
    family.check()?;
    Ok(IafParams {
        v_th: attrs::float_or_floats(node, "v_th")?.unwrap_or(defaults.v_th),
        v_reset: attrs::float_or_floats(node, "v_reset")?.unwrap_or(defaults.v_reset),
        surrogate,
        order,
        family,
    })
}

fn lower(ctx: &NodeCtx, make: fn(IafParams) -> Op) -> Result<Lowered, String> {
    Ok(ctx.all(make(params(ctx)?)))
}
