//! The optimizer's entry point: load, rewrite (bounded), extract, convert, verify, compare.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use egg::{Runner, SimpleScheduler, StopReason};
use snnc_ir::{verify, Graph, ResetGrad, Surrogate};

use crate::convert::{from_ir::load, to_ir::build};
use crate::extract::{cost::graph_cost, dag::extract};
use crate::report::{cells, Optimized};
use crate::rules::rules_with;
use crate::OptError;

/// Options of [`optimize`].
#[derive(Debug, Clone, PartialEq)]
pub struct OptOptions {
    /// The surrogate gradient of the spikes of plain exports (their `Greater`/`Less` + `Cast`),
    /// which the optimized graph's `Spike` ops carry. It must be the one the gradient is
    /// computed with (`--surrogate`); default `super:100`.
    pub surrogate: Surrogate,
    /// Whether the resets of plain exports' cells are differentiated through the spike
    /// (`--reset-grad`; an export loses `detach()`, SPEC §1.1); default `attached`.
    pub reset_grad: ResetGrad,
    /// Stop rewriting when the e-graph has this many e-nodes.
    pub node_limit: usize,
    /// Stop rewriting after this many iterations.
    pub iter_limit: usize,
    /// Stop rewriting after this long.
    pub time_limit: Duration,
    /// Whether to fuse leaky cells (SPEC §1.2: LIF, current-based LIF, LI) from the arithmetic
    /// of plain exports (the `leak` rules); default true. Whoever compiles for an engine that
    /// cannot run a leaky cell passes false, and gets a graph whose leaky layers stay as
    /// exported (imported leaky `snn` ops are kept and re-rolled either way).
    pub leaky: bool,
}

impl Default for OptOptions {
    fn default() -> Self {
        OptOptions {
            surrogate: Surrogate::default(),
            reset_grad: ResetGrad::default(),
            node_limit: 2_000_000,
            iter_limit: 60,
            time_limit: Duration::from_secs(60),
            leaky: true,
        }
    }
}

fn reason(r: &StopReason) -> String {
    match r {
        StopReason::Saturated => "saturated".into(),
        StopReason::IterationLimit(n) => format!("iteration limit ({n})"),
        StopReason::NodeLimit(n) => format!("node limit ({n})"),
        StopReason::TimeLimit(s) => format!("time limit ({s:.1} s)"),
        StopReason::Other(s) => s.clone(),
    }
}

/// Optimizes `g`: rewrites it in an e-graph with every rule of [`rules`](crate::rules::rules)
/// (without the leaky ones unless [`OptOptions::leaky`])
/// until saturation or a limit, extracts the cheapest graph DAG-aware, converts it back and
/// verifies it. When that graph is not cheaper than `g` by the cost model, or extraction fails,
/// `g` itself is returned and [`Optimized::fell_back`] says why.
pub fn optimize(g: &Graph, opts: &OptOptions) -> Result<Optimized, OptError> {
    let start = Instant::now();
    verify(g)?;
    let loaded = load(g)?;
    let runner = Runner::default()
        .with_egraph(loaded.egraph)
        .with_node_limit(opts.node_limit)
        .with_iter_limit(opts.iter_limit)
        .with_time_limit(opts.time_limit)
        .with_scheduler(SimpleScheduler)
        .run(&rules_with(&opts.surrogate, opts.reset_grad, opts.leaky));
    let mut rewrites: BTreeMap<String, usize> = BTreeMap::new();
    for it in &runner.iterations {
        for (name, n) in &it.applied {
            *rewrites.entry(name.to_string()).or_default() += n;
        }
    }
    let stop_reason = runner.stop_reason.as_ref().map_or("not run".into(), reason);
    let eg = &runner.egraph;
    let imported_cost = graph_cost(g);
    let candidate = extract(eg, &loaded.roots)
        .map_err(|_| "no acyclic extraction of an output".to_string())
        .and_then(|choice| build(eg, &choice, &loaded.roots, g))
        .and_then(|out| verify(&out).map(|_| out).map_err(|e| format!("verifier: {e}")));
    let (graph, fell_back) = match candidate {
        Ok(out) if graph_cost(&out) <= imported_cost => (out, None),
        Ok(out) => {
            let why = format!(
                "the extracted graph costs {:.0}, the imported one {imported_cost:.0}",
                graph_cost(&out)
            );
            (g.clone(), Some(why))
        }
        Err(e) => (g.clone(), Some(e)),
    };
    Ok(Optimized {
        optimized_cost: graph_cost(&graph),
        cells: cells(&graph),
        graph,
        rewrites,
        stop_reason,
        iterations: runner.iterations.len(),
        egraph_nodes: eg.total_number_of_nodes(),
        egraph_classes: eg.number_of_classes(),
        imported_cost,
        fell_back,
        seconds: start.elapsed().as_secs_f64(),
    })
}
