//! Reverse mode over a whole graph (backpropagation through time for unrolled or `snn` layers).

use std::collections::HashSet;

use ndarray::{ArrayD, IxDyn};
use snnc_ir::{DType, ExportGrad, Graph, ResetGrad, Surrogate, Tensor};

use crate::backward::eval::eval;
use crate::exec::{args, forward, outputs, Store};
use crate::multi_counts::{multi_counts, threshold};
use crate::reset_uses::reset_uses;
use crate::value::to_tensor;
use crate::InterpError;

/// Options of the reverse pass.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GradOptions {
    /// The backward of Θ where the graph spells the spike as `Greater`/`Less` (+ `Cast`), as plain
    /// exports do (SPEC §3); `Spike` and the `snn` ops use their own. Default `super:100`.
    pub surrogate: Surrogate,
    /// Whether the resets of plain exports are differentiated through their spike. `detached`
    /// drops the gradient along the uses of a spike that the crate docs define as its reset
    /// ("The reset of plain exports"); `Spike`'s resets alike; the `snn` ops and `SpikeReset`
    /// follow their own `reset_grad`. Default `attached`.
    pub reset_grad: ResetGrad,
}

impl From<ExportGrad> for GradOptions {
    fn from(e: ExportGrad) -> Self {
        GradOptions { surrogate: e.surrogate, reset_grad: e.reset_grad }
    }
}

/// The result of [`grad`].
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// The forward outputs, as [`run`](crate::run) returns them.
    pub outputs: Vec<(String, Tensor)>,
    /// One gradient per float graph input (in input order), then one per float initializer (in
    /// value order), keyed by the value's name, with the value's dtype and shape.
    pub grads: Vec<(String, Tensor)>,
}

/// Which values can carry a gradient: float inputs and initializers, and every non-integer
/// value computed from one.
fn needs_grad(g: &Graph) -> Vec<bool> {
    let mut need = vec![false; g.values().len()];
    for &id in g.inputs().iter().chain(g.initializers().keys()) {
        need[id.0] = g.ty(id).dtype.is_float();
    }
    for node in g.nodes() {
        let any = node.inputs.iter().flatten().any(|id| need[id.0]);
        for id in node.outputs.iter().flatten() {
            need[id.0] = any && g.ty(*id).dtype != DType::I64;
        }
    }
    need
}

/// Checks the upstream gradients and places them on their outputs.
fn seed(
    g: &Graph,
    grad_outputs: &[(String, Tensor)],
    grads: &mut Store,
) -> Result<(), InterpError> {
    let slots = crate::exec::slots(g, g.outputs());
    let bound = snnc_ir::bind_grad_outputs(&slots, grad_outputs)?;
    for (&id, t) in g.outputs().iter().zip(bound) {
        if let Some(t) = t {
            grads[id.0] = Some(t.to_f64());
        }
    }
    Ok(())
}

fn accumulate(slot: &mut Option<ArrayD<f64>>, g: ArrayD<f64>) {
    match slot {
        Some(acc) => *acc += &g,
        None => *slot = Some(g),
    }
}

/// Runs `g` forward on `inputs`, then backward from the upstream gradients `grad_outputs`
/// (keyed by output name; a missing output has zero upstream gradient).
///
/// Gradients are accumulated in f64 and rounded to the value's dtype only when returned. See
/// the crate documentation for the reverse rule of each op, in particular for `Greater`/`Less`
/// and `Cast`, which define the surrogate of plain exports.
pub fn grad(
    g: &Graph,
    inputs: &[(String, Tensor)],
    grad_outputs: &[(String, Tensor)],
    opts: &GradOptions,
) -> Result<Gradients, InterpError> {
    let store = forward(g, inputs, true, |_, _| Ok(()))?;
    let outs = outputs(g, &store)?;
    let need = needs_grad(g);
    let mut grads: Store = vec![None; g.values().len()];
    seed(g, grad_outputs, &mut grads)?;
    let detached = match opts.reset_grad {
        ResetGrad::Attached => HashSet::new(),
        ResetGrad::Detached => reset_uses(g),
    };
    let counts = multi_counts(g, &store);
    for (index, node) in g.nodes().iter().enumerate().rev() {
        let gouts: Vec<_> =
            node.outputs.iter().map(|o| o.and_then(|id| grads[id.0].take())).collect();
        if gouts.iter().all(Option::is_none) || !node.inputs.iter().flatten().any(|id| need[id.0]) {
            continue;
        }
        if let Some(c) = counts.get(&index) {
            // A multi-spike count: σ'(v − th) to v, nothing through its comparison or Floor.
            let (Some(gout), Some(v), Some(th)) =
                (&gouts[0], store[c.v.0].as_ref(), threshold(c, &store))
            else {
                continue;
            };
            if need[c.v.0] && gout.shape() == v.shape() {
                let mut gi = gout.clone();
                ndarray::Zip::from(&mut gi).and(v).and(&th).for_each(|g, &v, &t| {
                    *g *= opts.surrogate.derivative(v - t);
                });
                accumulate(&mut grads[c.v.0], gi);
            }
            continue;
        }
        let a = args(g, node, &store)?;
        let gins =
            eval(&node.op, &a, &gouts, &opts.surrogate).map_err(|m| InterpError::node(node, m))?;
        for (s, (slot, gi)) in node.inputs.iter().zip(gins).enumerate() {
            let (Some(id), Some(gi)) = (slot, gi) else { continue };
            if !need[id.0] || detached.contains(&(index, s)) {
                continue;
            }
            let ty = g.ty(*id);
            if gi.shape() != ty.shape.as_slice() {
                let msg = format!(
                    "gradient of '{}' has shape {:?}, expected {ty} (internal error)",
                    g.value(*id).name,
                    gi.shape()
                );
                return Err(InterpError::node(node, msg));
            }
            accumulate(&mut grads[id.0], gi);
        }
    }
    let inputs: HashSet<_> = g.inputs().iter().copied().collect();
    let wrt = g.inputs().iter().chain(g.initializers().keys().filter(|id| !inputs.contains(id)));
    let mut result = Vec::new();
    for &id in wrt {
        let v = g.value(id);
        if v.ty.dtype.is_float() {
            let d = grads[id.0].take().unwrap_or_else(|| ArrayD::zeros(IxDyn(&v.ty.shape)));
            result.push((v.name.clone(), to_tensor(v.ty.dtype, d)));
        }
    }
    Ok(Gradients { outputs: outs, grads: result })
}
