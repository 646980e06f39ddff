//! One interface over the engines: the reference interpreter on a graph, or the CPU or CUDA
//! engine on a compiled plan.

use anyhow::{Context, Result};
use snnc_ir::{ExportGrad, Graph, Tensor, TensorType};
use snnc_plan::Plan;

use crate::args::{Engine, Stage, Wrt};
use crate::inputs::Named;
use crate::model::{plan_signature, ModelFile};

/// What executes the model.
pub enum Exec {
    /// The reference interpreter on a graph (imported or optimized).
    Ref {
        /// The graph.
        graph: Box<Graph>,
        /// Backward of the spikes and resets of plain exports.
        export: ExportGrad,
    },
    /// The CPU engine on a compiled plan (always from the optimized graph).
    Cpu(Box<Plan>),
    /// The wgpu engine on a compiled plan.
    #[cfg(feature = "wgpu")]
    Wgpu(Box<Plan>),
    /// The CUDA engine on a compiled plan.
    Cuda(Box<Plan>),
}

impl Exec {
    /// Prepares `engine` for the model; `stage` applies to the reference engine, `export` to
    /// the gradients of plain exports (the interpreter's and the optimized plan's).
    pub fn new(
        mf: &ModelFile,
        given: &[(String, Tensor)],
        engine: Option<Engine>,
        stage: Stage,
        export: ExportGrad,
    ) -> Result<Self> {
        let default = if mf.is_plan() { Engine::Cpu } else { Engine::Ref };
        Ok(match engine.unwrap_or(default) {
            Engine::Ref => {
                let g = mf.load(given)?;
                Exec::Ref { graph: Box::new(crate::stage::staged(mf, g, stage, export)?), export }
            }
            Engine::Cpu => Exec::Cpu(Box::new(mf.plan(given, export)?)),
            Engine::Wgpu => wgpu_exec(mf.plan(given, export)?)?,
            Engine::Cuda => {
                snnc_cuda::available()?;
                Exec::Cuda(Box::new(mf.plan(given, export)?))
            }
        })
    }

    /// The declared inputs, in order.
    pub fn inputs(&self) -> Vec<(String, TensorType)> {
        match self {
            Exec::Ref { graph: g, .. } => {
                g.inputs().iter().map(|&i| (g.value(i).name.clone(), g.ty(i).clone())).collect()
            }
            Exec::Cpu(p) | Exec::Cuda(p) => plan_signature(p),
            #[cfg(feature = "wgpu")]
            Exec::Wgpu(p) => plan_signature(p),
        }
    }

    /// The declared outputs, in order.
    pub fn outputs(&self) -> Vec<(String, TensorType)> {
        match self {
            Exec::Ref { graph: g, .. } => {
                g.outputs().iter().map(|&i| (g.value(i).name.clone(), g.ty(i).clone())).collect()
            }
            Exec::Cpu(p) | Exec::Cuda(p) => p
                .outputs()
                .iter()
                .map(|s| (s.name.clone(), TensorType::new(s.dtype, s.shape.clone())))
                .collect(),
            #[cfg(feature = "wgpu")]
            Exec::Wgpu(p) => p
                .outputs()
                .iter()
                .map(|s| (s.name.clone(), TensorType::new(s.dtype, s.shape.clone())))
                .collect(),
        }
    }

    /// A short description: engine and size.
    pub fn describe(&self) -> String {
        match self {
            Exec::Ref { graph, .. } => format!("{} nodes, engine ref", graph.nodes().len()),
            Exec::Cpu(_) => "compiled plan, engine cpu".to_string(),
            #[cfg(feature = "wgpu")]
            Exec::Wgpu(_) => match snnc_wgpu::Gpu::shared() {
                Ok(g) => format!("compiled plan, engine wgpu on {}", g.describe()),
                Err(_) => "compiled plan, engine wgpu".to_string(),
            },
            Exec::Cuda(_) => "compiled plan, engine cuda".to_string(),
        }
    }

    /// Runs forward.
    pub fn run(&self, inputs: &Named) -> Result<Named> {
        Ok(match self {
            Exec::Ref { graph, .. } => snnc_interp::run(graph, inputs)?,
            Exec::Cpu(p) => snnc_cpu::run(p, inputs)?,
            #[cfg(feature = "wgpu")]
            Exec::Wgpu(p) => snnc_wgpu::run(p, inputs).context("wgpu engine")?,
            Exec::Cuda(p) => snnc_cuda::run(p, inputs)?,
        })
    }

    /// BPTT gradients for the values `wrt` selects, keyed by value name.
    pub fn grad(&self, inputs: &Named, upstream: &Named, wrt: Wrt) -> Result<Named> {
        match self {
            Exec::Ref { graph: g, export } => {
                let opts = snnc_interp::GradOptions::from(*export);
                let all = snnc_interp::grad(g, inputs, upstream, &opts)?.grads;
                let is_input = |n: &str| g.find(n).is_some_and(|id| g.inputs().contains(&id));
                Ok(all
                    .into_iter()
                    .filter(|(n, _)| match wrt {
                        Wrt::All => true,
                        Wrt::Inputs => is_input(n),
                        Wrt::Params => !is_input(n),
                    })
                    .collect())
            }
            Exec::Cpu(p) | Exec::Cuda(p) => {
                let w = match wrt {
                    Wrt::All => snnc_plan::Wrt::All,
                    Wrt::Inputs => snnc_plan::Wrt::Inputs,
                    Wrt::Params => snnc_plan::Wrt::Params,
                };
                match self {
                    Exec::Cuda(_) => snnc_cuda::grad(p, inputs, upstream, w).context("cuda engine"),
                    _ => snnc_cpu::grad(p, inputs, upstream, w).context("cpu engine"),
                }
            }
            #[cfg(feature = "wgpu")]
            Exec::Wgpu(p) => {
                let w = match wrt {
                    Wrt::All => snnc_plan::Wrt::All,
                    Wrt::Inputs => snnc_plan::Wrt::Inputs,
                    Wrt::Params => snnc_plan::Wrt::Params,
                };
                snnc_wgpu::grad(p, inputs, upstream, w).context("wgpu engine")
            }
        }
    }
}

/// The wgpu engine on `plan`, after opening the device (so a missing adapter is reported
/// before any work).
#[cfg(feature = "wgpu")]
fn wgpu_exec(plan: Plan) -> Result<Exec> {
    snnc_wgpu::Gpu::shared().context("--engine wgpu")?;
    Ok(Exec::Wgpu(Box::new(plan)))
}

/// Without the `wgpu` feature there is no wgpu engine.
#[cfg(not(feature = "wgpu"))]
fn wgpu_exec(_plan: Plan) -> Result<Exec> {
    anyhow::bail!(
        "--engine wgpu: this snnc was built without the wgpu engine; rebuild with \
         `cargo build -p snnc-cli --features wgpu`"
    )
}
