//! The cost model: an estimate of the work of one node, in multiply-adds plus a fixed overhead
//! per kernel (so that fusing many small ops into one pays).
//!
//! The same function prices e-nodes during extraction and IR nodes when the optimized graph is
//! compared with the imported one, so "never worse than the imported graph" is judged on one
//! scale.

use snnc_ir::{infer_types, Graph, TensorType};

use crate::sym::Sym;

/// The fixed cost of running one node (a kernel launch, a pass over memory), in multiply-adds.
/// A node's dispatch costs about a microsecond on the cpu engine; much less than this and a
/// small layer's fused cell prices the same as its unfused steps, so that extraction would
/// depend on T (docs/optimizer.md, "Extraction and the cost model").
pub const OVERHEAD: f64 = 512.0;

/// The share of a dense product that an event-driven spike-linear is assumed to cost. Engines
/// may run it dense, so it never costs more than a `Linear`; at the firing rates SNNs run at
/// (mostly under 25%), summing the weight rows of active inputs costs much less.
pub const EVENT_SHARE: f64 = 0.5;

fn numel(t: Option<&TensorType>) -> f64 {
    t.map_or(0.0, |t| t.shape.iter().map(|&d| d as f64).product())
}

fn last(t: Option<&TensorType>) -> f64 {
    t.and_then(|t| t.shape.last()).map_or(1.0, |&d| d as f64)
}

/// The cost of one node with operator `sym`, input types `ins` and output types `outs`.
pub fn node_cost(sym: &Sym, ins: &[Option<&TensorType>], outs: &[TensorType]) -> f64 {
    let out = numel(outs.first());
    let input = |i: usize| ins.get(i).copied().flatten();
    match sym {
        Sym::Input(_) | Sym::Init(_) | Sym::Absent => 0.0,
        // A new constant is as cheap as an initializer, but an existing one is preferred.
        Sym::Const(_) => 1e-3,
        // A projection names an output of its node; it is not a node of its own.
        Sym::Proj(_) => 1e-4,
        Sym::Identity | Sym::Detach | Sym::Unsqueeze(_) | Sym::Squeeze(_) | Sym::Reshape(_) => {
            OVERHEAD / 2.0
        }
        Sym::Gemm { trans_a, .. } => {
            let k = input(0).map_or(1.0, |a| a.shape[usize::from(!*trans_a)] as f64);
            OVERHEAD + out * k
        }
        Sym::MatMul | Sym::Linear { .. } => OVERHEAD + out * last(input(0)),
        // Each output element sums one kernel's worth of products (W's size over M).
        Sym::Conv(_) => {
            let per_out = input(1).map_or(1.0, |w| numel(Some(w)) / w.shape[0].max(1) as f64);
            OVERHEAD + out * per_out
        }
        Sym::Pool(p) => OVERHEAD + out * p.kernel.iter().product::<usize>() as f64,
        Sym::SpikeLinear { .. } => OVERHEAD + EVENT_SHARE * out * last(input(0)),
        Sym::SpikeReset(_) | Sym::FfStep(..) | Sym::Iaf(..) => OVERHEAD + 2.0 * out,
        // The input product X·Wᵀ is dense; the recurrent one reads the previous step's
        // spikes, which the recurrent kernels hand on as bits and sum event-driven (as a
        // `SpikeLinear` does).
        Sym::RecStep(..) | Sym::IafRecurrent(..) => {
            let h = last(outs.first());
            OVERHEAD + 2.0 * out + out * (last(input(0)) + EVENT_SHARE * h)
        }
        _ => OVERHEAD + out,
    }
}

/// The cost of a whole IR graph: the sum of its nodes' costs (each node is paid once).
pub fn graph_cost(g: &Graph) -> f64 {
    g.nodes()
        .iter()
        .map(|n| {
            let ins: Vec<Option<&TensorType>> =
                n.inputs.iter().map(|i| i.map(|v| g.ty(v))).collect();
            let outs = infer_types(&n.op, &ins).unwrap_or_default();
            match Sym::of_op(&n.op) {
                Some(sym) => node_cost(&sym, &ins, &outs),
                None => OVERHEAD / 2.0, // a Constant node
            }
        })
        .sum()
}
