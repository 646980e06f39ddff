//! The distance of every spike decision from its threshold.

use ndarray::{ArrayD, Zip};
use snnc_ir::{broadcast_shapes, Graph, Op, Tensor};

use crate::broadcast::view_as;
use crate::exec::forward;
use crate::iaf::ops::trajectory;
use crate::value::Arg;
use crate::InterpError;

/// |x|, with NaN counting as 0 (a decision on NaN is as uncertain as one at the threshold).
fn margin(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.abs()
    }
}

fn min_abs_diff(a: &ArrayD<f64>, b: &ArrayD<f64>) -> Result<f64, String> {
    let shape = broadcast_shapes(a.shape(), b.shape()).ok_or("operands do not broadcast")?;
    let (a, b) = (view_as(a, &shape)?, view_as(b, &shape)?);
    Ok(Zip::from(&a).and(&b).fold(f64::INFINITY, |m, &x, &y| m.min(margin(x - y))))
}

/// The smallest |Θ argument| of one node's spike decisions (∞ for other nodes).
fn node_margin(op: &Op, args: &[Option<Arg>]) -> Result<f64, String> {
    let data =
        |i: usize| args.get(i).copied().flatten().ok_or_else(|| format!("input {i} is missing"));
    match op {
        Op::Greater | Op::Less | Op::GreaterOrEqual | Op::LessOrEqual
            if data(0)?.ty.dtype.is_float() =>
        {
            min_abs_diff(data(0)?.data, data(1)?.data)
        }
        Op::Spike { .. } => Ok(data(0)?.data.iter().fold(f64::INFINITY, |m, &x| m.min(margin(x)))),
        // Floor jumps at every integer: its decision is the distance to the nearest one.
        Op::Floor => {
            Ok(data(0)?.data.iter().fold(f64::INFINITY, |m, &x| m.min(margin(x - x.round()))))
        }
        Op::SpikeReset(p) => {
            let v = data(0)?.data;
            let n = v.shape().last().copied().unwrap_or(1).max(1);
            let th = |k: usize| p.v_th[if p.v_th.len() == 1 { 0 } else { k % n }] as f64;
            Ok(v.iter().enumerate().fold(f64::INFINITY, |m, (k, &x)| m.min(margin(x - th(k)))))
        }
        Op::Iaf(p) | Op::IafRecurrent(p) | Op::IafFeedForwardStep(p) | Op::IafStep(p)
            if p.family.is_integrator() =>
        {
            Ok(f64::INFINITY)
        }
        Op::Iaf(p) | Op::IafRecurrent(p) | Op::IafFeedForwardStep(p) | Op::IafStep(p) => {
            let tr = trajectory(op, p, args)?;
            Ok(tr
                .steps
                .iter()
                .flat_map(|s| s.iter())
                .fold(f64::INFINITY, |m, f| m.min(margin(f.s))))
        }
        _ => Ok(f64::INFINITY),
    }
}

/// Runs `g` on `inputs` and returns the smallest |Θ argument| over every spike decision made:
/// `a − b` of each float `Greater(a, b)`/`Less(a, b)` (the spike of plain exports), the input
/// of each `Spike`, and `s` of every neuron and step of the `snn` ops. NaN counts as 0; a graph
/// without decisions gives +∞.
///
/// SPEC §5 lets a compiled engine disagree on a spike only where this argument is within
/// 1e-5·max(1, |v_th|) of zero, so a margin above that means every spike must agree.
pub fn spike_margins(g: &Graph, inputs: &[(String, Tensor)]) -> Result<f64, InterpError> {
    let mut min = f64::INFINITY;
    forward(g, inputs, false, |node, args| {
        min = min.min(node_margin(&node.op, args)?);
        Ok(())
    })?;
    Ok(min)
}
