//! Membrane traces: what every neuron cell of a graph did at every step.

use ndarray::Array3;
use snnc_ir::{Graph, Tensor};

use crate::exec::forward;
use crate::iaf::ops::layer;
use crate::iaf::sim::simulate;
use crate::InterpError;

fn stack(steps: &[ndarray::Array2<f64>]) -> Array3<f64> {
    let (b, h) = steps.first().map_or((0, 0), |a| a.dim());
    let mut out = Array3::zeros((steps.len(), b, h));
    for (t, a) in steps.iter().enumerate() {
        out.index_axis_mut(ndarray::Axis(0), t).assign(a);
    }
    out
}

/// Runs `g` on `inputs` and returns the traces of every neuron cell (the four `snn` ops, IF and
/// leaky), each `[T, B, N]` in the cell's value type, keyed `cell/<node name>/<trace>`:
///
/// * `v`: the potential after every step (after its reset);
/// * `v_hat`: the potential before the reset (integrate then fire) — what fires;
/// * `z`: the spikes (spike counts for `spikes = multi`), absent for a leaky integrator;
/// * `u`: the synaptic current, for cells that have one (α ≠ 0).
///
/// A graph with no cell (an unoptimized plain export) gives an empty list.
pub fn record_cells(
    g: &Graph,
    inputs: &[(String, Tensor)],
) -> Result<Vec<(String, Tensor)>, InterpError> {
    let mut out = Vec::new();
    forward(g, inputs, false, |node, args| {
        let Some(p) = node.op.iaf_params() else { return Ok(()) };
        let (cell, src) = layer(&node.op, p, args)?;
        let dtype = cell.dtype;
        let tr = simulate(&cell, &src);
        let key = |what: &str| format!("cell/{}/{what}", node.name);
        let t = |a: Array3<f64>| Tensor::from_f64(dtype, a.into_dyn());
        out.push((key("v"), t(stack(&tr.v[1..]))));
        let v_hat: Vec<_> = tr.steps.iter().map(|s| s.mapv(|f| f.v_hat)).collect();
        if p.order == snnc_ir::Order::IntegrateThenFire && !p.family.is_integrator() {
            out.push((key("v_hat"), t(stack(&v_hat))));
        }
        if !p.family.is_integrator() {
            out.push((key("z"), t(stack(&tr.z[1..]))));
        }
        if p.leak.has_current() {
            out.push((key("u"), t(stack(&tr.u[1..]))));
        }
        Ok(())
    })?;
    Ok(out)
}
