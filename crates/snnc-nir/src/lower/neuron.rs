//! One time step of a NIR neuron (SPEC §1.2's leaky cell in the Euler discretization), as the
//! arithmetic an unrolled export spells it with: `u = α·u + w·x`, `v̂ = β·v + γ·u + c`,
//! `z = Cast(v̂ − v_th > 0)`, then the reset.

use snnc_ir::{DType, IrError, Op, Tensor, ValueId};

use super::emit::Emit;
use crate::{Array, CurrentOrder, NeuronNode, NirOptions, NirReset};

/// A neuron node's per-step constants.
pub(crate) struct Consts {
    /// The synapse: α and the input's factor w_in·dt/τ_syn (current-based neurons).
    syn: Option<(ValueId, Option<ValueId>)>,
    /// β, absent when 1.
    beta: Option<ValueId>,
    /// γ, absent when 1.
    gamma: Option<ValueId>,
    /// (1 − β)·v_leak, absent when 0.
    drift: Option<ValueId>,
    /// v_th and v_reset (absent when 0) of a spiking neuron.
    fire: Option<(ValueId, Option<ValueId>)>,
    zero: ValueId,
    one: ValueId,
    shape: Vec<usize>,
}

/// A neuron node's state between steps (`None`: zero, the initial state).
#[derive(Default)]
pub(crate) struct State {
    /// The potential after the last reset.
    pub v: Option<ValueId>,
    /// The synaptic current.
    pub u: Option<ValueId>,
}

fn opt_param(e: &mut Emit, base: &str, a: &Array, skip: f32) -> Result<Option<ValueId>, IrError> {
    if a.all(skip) {
        Ok(None)
    } else {
        e.param(base, a).map(Some)
    }
}

/// Creates the constants of `n` (named after `name`) under `o`'s time step.
pub(crate) fn consts(
    e: &mut Emit,
    name: &str,
    n: &NeuronNode,
    o: &NirOptions,
) -> Result<Consts, IrError> {
    let dt = o.dt;
    let f = |a: &Array, g: &dyn Fn(f64) -> f64| a.map(|x| g(x as f64) as f32);
    let (beta, gamma, drift) = match &n.tau_mem {
        Some(tau) => {
            let beta = f(tau, &|t| 1.0 - dt / t);
            let gamma = n.r.zip(tau, |r, t| (dt * r as f64 / t as f64) as f32);
            let v_leak = n.v_leak.clone().unwrap_or_else(|| Array::scalar(0.0));
            let drift = v_leak.zip(tau, |l, t| (dt / t as f64 * l as f64) as f32);
            (beta, gamma, drift)
        }
        // I and IF integrate v += r·x with no dt, as NIR's frameworks do.
        None => (Array::scalar(1.0), n.r.clone(), Array::scalar(0.0)),
    };
    let syn = match (&n.tau_syn, &n.w_in) {
        (Some(ts), Some(w)) => {
            let alpha = e.param(&format!("{name}/alpha"), &f(ts, &|t| 1.0 - dt / t))?;
            let gain = w.zip(ts, |w, t| (w as f64 * dt / t as f64) as f32);
            Some((alpha, opt_param(e, &format!("{name}/w_in"), &gain, 1.0)?))
        }
        _ => None,
    };
    let fire = match (&n.v_threshold, &n.v_reset) {
        (Some(th), Some(r)) => Some((
            e.param(&format!("{name}/v_th"), th)?,
            opt_param(e, &format!("{name}/v_reset"), r, 0.0)?,
        )),
        _ => None,
    };
    Ok(Consts {
        syn,
        beta: opt_param(e, &format!("{name}/beta"), &beta, 1.0)?,
        gamma: opt_param(e, &format!("{name}/gamma"), &gamma, 1.0)?,
        drift: opt_param(e, &format!("{name}/drift"), &drift, 0.0)?,
        fire,
        zero: e.constant(&format!("{name}/zero"), Tensor::scalar_f32(0.0))?,
        one: e.constant(&format!("{name}/one"), Tensor::scalar_f32(1.0))?,
        shape: n.shape().to_vec(),
    })
}

/// One step of the neuron with input `x` (`None`: no input this step); returns its output
/// (spikes, or the potential of an integrator) and updates `st`.
pub(crate) fn step(
    e: &mut Emit,
    base: &str,
    c: &Consts,
    o: &NirOptions,
    x: Option<ValueId>,
    st: &mut State,
) -> Result<ValueId, IrError> {
    let mul = |e: &mut Emit,
               a: Option<ValueId>,
               k: Option<ValueId>|
     -> Result<Option<ValueId>, IrError> {
        match (a, k) {
            (Some(a), Some(k)) => e.op(base, Op::Mul, &[a, k]).map(Some),
            (a, _) => Ok(a),
        }
    };
    let feed = match c.syn {
        Some((alpha, gain)) => {
            let xin = mul(e, x, gain)?;
            let decayed = mul(e, st.u, Some(alpha))?;
            let u = e.add(base, decayed, xin)?;
            let feed = match o.current {
                CurrentOrder::Spec => u,
                CurrentOrder::Paper => st.u,
            };
            st.u = u;
            feed
        }
        None => x,
    };
    let leak = mul(e, st.v, c.beta)?;
    let input = mul(e, feed, c.gamma)?;
    let sum = e.add(base, leak, input)?;
    let v_hat = match e.add(base, sum, c.drift)? {
        Some(v) => v,
        None => e.zeros(base, &c.shape)?,
    };
    let Some((th, v_reset)) = c.fire else {
        st.v = Some(v_hat);
        return Ok(v_hat);
    };
    let s = e.op(base, Op::Sub, &[v_hat, th])?;
    let gt = e.op(base, Op::Greater, &[s, c.zero])?;
    let z = e.op(base, Op::Cast { to: DType::F32 }, &[gt])?;
    let v = match o.reset {
        NirReset::Value => {
            let keep = e.op(base, Op::Sub, &[c.one, z])?;
            let kept = e.op(base, Op::Mul, &[keep, v_hat])?;
            match v_reset {
                Some(r) => {
                    let to = e.op(base, Op::Mul, &[z, r])?;
                    e.op(base, Op::Add, &[kept, to])?
                }
                None => kept,
            }
        }
        NirReset::Subtract => {
            let drop = e.op(base, Op::Mul, &[z, th])?;
            e.op(base, Op::Sub, &[v_hat, drop])?
        }
    };
    st.v = Some(v);
    Ok(z)
}
