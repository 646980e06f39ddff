//! What an optimization run reports: the rewrites that fired, why it stopped, and the fused
//! cells (integrate-and-fire sequence ops) of the result.

use std::collections::BTreeMap;

use snnc_ir::{Family, Graph, Leak, Op, Order, Surrogate, VOut};

/// One integrate-and-fire cell of a graph: a sequence op and what it runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The node's name.
    pub node: String,
    /// `IAF` or `IAFRecurrent`; `LIF` or `LIFRecurrent` for a leaky cell (some α ≠ 0, β ≠ 1
    /// or γ ≠ 1), `LI` for a leaky integrator.
    pub kind: &'static str,
    /// Update order.
    pub order: Order,
    /// Neurons per batch row (N, or H for a recurrent layer).
    pub neurons: usize,
    /// Time steps T.
    pub steps: usize,
    /// Batch size B.
    pub batch: usize,
    /// The surrogate of its spikes.
    pub surrogate: Surrogate,
    /// Threshold(s).
    pub v_th: Vec<f32>,
    /// Reset potential(s).
    pub v_reset: Vec<f32>,
    /// The op computing its input sequence (`Linear`, `SpikeLinear`, …), if a node does.
    pub input_op: Option<String>,
    /// Whether the initial potential is given (else v₋₁ = v_reset).
    pub has_v0: bool,
    /// Threshold, reset, reset gradient and spike count (SPEC §1.1).
    pub family: Family,
    /// α, β, γ and v_leak (SPEC §1.2).
    pub leak: Leak,
    /// Which potential V_T reports.
    pub v_out: VOut,
    /// What the `subtract` reset removes per spike (`None`: v_th).
    pub reset_amount: Option<Vec<f32>>,
}

/// The cells of `g`, in node order.
pub fn cells(g: &Graph) -> Vec<Cell> {
    let producers = g.producers();
    g.nodes()
        .iter()
        .filter_map(|n| {
            let (kind, p) = match &n.op {
                Op::Iaf(p) if p.family.is_integrator() => ("LI", p),
                Op::Iaf(p) if !p.leak.is_if() => ("LIF", p),
                Op::Iaf(p) => ("IAF", p),
                Op::IafRecurrent(p) if !p.leak.is_if() => ("LIFRecurrent", p),
                Op::IafRecurrent(p) => ("IAFRecurrent", p),
                _ => return None,
            };
            let x = g.ty(n.input(0)?);
            let z = g.ty(n.output(0).or(n.output(1))?);
            let v0 = if matches!(n.op, Op::Iaf(_)) { 1 } else { 3 };
            Some(Cell {
                node: n.name.clone(),
                kind,
                order: p.order,
                neurons: *z.shape.last()?,
                steps: x.shape[0],
                batch: x.shape[1],
                surrogate: p.surrogate,
                v_th: p.v_th.clone(),
                v_reset: p.v_reset.clone(),
                input_op: producers[n.input(0)?.0].map(|i| g.nodes()[i].op.name().to_string()),
                has_v0: n.input(v0).is_some(),
                family: p.family,
                leak: p.leak.clone(),
                v_out: p.v_out,
                reset_amount: p.reset_amount.clone(),
            })
        })
        .collect()
}

/// The result of [`optimize`](crate::optimize).
#[derive(Debug, Clone)]
pub struct Optimized {
    /// The optimized graph (verified), or the imported one when [`Optimized::fell_back`] says
    /// why.
    pub graph: Graph,
    /// How many times each rule changed the e-graph (rules that never fired are absent).
    pub rewrites: BTreeMap<String, usize>,
    /// Why the rewriting stopped: `saturated`, or the limit that was hit.
    pub stop_reason: String,
    /// Rewrite iterations run.
    pub iterations: usize,
    /// E-nodes and e-classes at the end.
    pub egraph_nodes: usize,
    /// See `egraph_nodes`.
    pub egraph_classes: usize,
    /// Cost-model cost of the imported graph.
    pub imported_cost: f64,
    /// Cost-model cost of the returned graph.
    pub optimized_cost: f64,
    /// When the imported graph is returned unchanged: why (the extraction was not cheaper, or
    /// failed).
    pub fell_back: Option<String>,
    /// The integrate-and-fire cells of the returned graph.
    pub cells: Vec<Cell>,
    /// Seconds spent (rewriting, extraction, conversion).
    pub seconds: f64,
}
