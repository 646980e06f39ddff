//! The `snn` domain (version 1, SPEC §2): IAF, IAFRecurrent, IAFFeedForwardStep, IAFStep, and
//! the leaky cell's names for the same ops (docs/snn-domain.md): `LIF`, `LIFRecurrent`,
//! `LIFFeedForwardStep`, `LIFStep` take the same attributes, and `LI` is `IAF` with no
//! threshold (`spikes = none`, `reset = none`).

use std::str::FromStr;

use snnc_ir::{Family, IafParams, Leak, Method, Op, Order, Surrogate, VOut};

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

/// `LI`: a leaky integrator, `IAF` with `spikes = none` and `reset = none`.
fn lower_li(ctx: &NodeCtx) -> Result<Lowered, String> {
    for name in
        ["threshold", "reset", "reset_grad", "spikes", "v_th", "v_reset", "v_out", "reset_amount"]
    {
        if ctx.node.attribute.iter().any(|a| a.name == name) {
            return Err(format!("LI has no threshold: attribute '{name}' does not apply"));
        }
    }
    let mut p = params(ctx)?;
    p.family = Family::LI;
    Ok(ctx.all(Op::Iaf(p)))
}

/// The four integrate-and-fire ops.
pub(crate) const OPS: &[Entry] = &[
    snn!("IAF", Op::Iaf),
    snn!("IAFRecurrent", Op::IafRecurrent),
    snn!("IAFFeedForwardStep", Op::IafFeedForwardStep),
    snn!("IAFStep", Op::IafStep),
    snn!("LIF", Op::Iaf),
    snn!("LIFRecurrent", Op::IafRecurrent),
    snn!("LIFFeedForwardStep", Op::IafFeedForwardStep),
    snn!("LIFStep", Op::IafStep),
    Entry { domain: SNN_DOMAIN, op_type: "LI", convert: lower_li, static_inputs: &[] },
];

const ATTRS: [&str; 15] = [
    "v_th",
    "v_reset",
    "method",
    "alpha",
    "order",
    "threshold",
    "reset",
    "reset_grad",
    "spikes",
    "alpha_syn",
    "beta",
    "gamma",
    "v_leak",
    "v_out",
    "reset_amount",
];

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
    let dl = Leak::default();
    let floats = |name: &str, d: Vec<f32>| -> Result<Vec<f32>, String> {
        Ok(attrs::float_or_floats(node, name)?.unwrap_or(d))
    };
    let leak = Leak {
        alpha: floats("alpha_syn", dl.alpha)?,
        beta: floats("beta", dl.beta)?,
        gamma: floats("gamma", dl.gamma)?,
        v_leak: floats("v_leak", dl.v_leak)?,
    };
    Ok(IafParams {
        v_th: floats("v_th", defaults.v_th)?,
        v_reset: floats("v_reset", defaults.v_reset)?,
        surrogate,
        order,
        family,
        leak,
        v_out: choice(ctx, "v_out", VOut::AfterReset)?,
        // Absent: the reset removes v_th (SPEC §1.1).
        reset_amount: attrs::float_or_floats(node, "reset_amount")?,
    })
}

fn lower(ctx: &NodeCtx, make: fn(IafParams) -> Op) -> Result<Lowered, String> {
    Ok(ctx.all(make(params(ctx)?)))
}
