//! One interface over the engines: the reference interpreter on a graph, or a compiled engine
//! (cpu, wgpu, cuda) on a plan through [`snnc_plan::Engine`].

use anyhow::Result;
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
    /// A compiled engine (cpu, wgpu or cuda) on a plan (always from the optimized graph),
    /// driven through [`snnc_plan::Engine`].
    Compiled {
        /// The plan.
        plan: Box<Plan>,
        /// Which engine runs it.
        engine: Engine,
    },
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
        let engine = engine.unwrap_or(default);
        match engine {
            Engine::Ref => {
                let g = mf.load(given)?;
                let graph = Box::new(crate::stage::staged(mf, g, stage, export)?);
                return Ok(Exec::Ref { graph, export });
            }
            Engine::Cpu => {}
            Engine::Wgpu => wgpu_available()?,
            Engine::Cuda => {
                snnc_cuda::available()?;
            }
        }
        Ok(Exec::Compiled {
            plan: Box::new(mf.plan(given, export, crate::stage::compiled_leaky(engine))?),
            engine,
        })
    }

    /// The declared inputs, in order.
    pub fn inputs(&self) -> Vec<(String, TensorType)> {
        match self {
            Exec::Ref { graph: g, .. } => {
                g.inputs().iter().map(|&i| (g.value(i).name.clone(), g.ty(i).clone())).collect()
            }
            Exec::Compiled { plan, .. } => plan_signature(plan),
        }
    }

    /// The declared outputs, in order.
    pub fn outputs(&self) -> Vec<(String, TensorType)> {
        match self {
            Exec::Ref { graph: g, .. } => {
                g.outputs().iter().map(|&i| (g.value(i).name.clone(), g.ty(i).clone())).collect()
            }
            Exec::Compiled { plan, .. } => plan
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
            Exec::Compiled { engine: Engine::Wgpu, .. } => match wgpu_device() {
                Some(d) => format!("compiled plan, engine wgpu on {d}"),
                None => "compiled plan, engine wgpu".to_string(),
            },
            Exec::Compiled { engine, .. } => format!("compiled plan, engine {}", engine.name()),
        }
    }

    /// Runs forward.
    pub fn run(&self, inputs: &Named) -> Result<Named> {
        Ok(match self {
            Exec::Ref { graph, .. } => snnc_interp::run(graph, inputs)?,
            Exec::Compiled { plan, engine } => engine_for(*engine, plan)?.run(inputs)?,
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
            Exec::Compiled { plan, engine } => {
                let w = match wrt {
                    Wrt::All => snnc_plan::Wrt::All,
                    Wrt::Inputs => snnc_plan::Wrt::Inputs,
                    Wrt::Params => snnc_plan::Wrt::Params,
                };
                Ok(engine_for(*engine, plan)?.grad(inputs, upstream, w)?)
            }
        }
    }
}

/// Compiled engine `engine` on `plan`, behind the engines' common interface.
pub fn engine_for(engine: Engine, plan: &Plan) -> Result<Box<dyn snnc_plan::Engine + '_>> {
    Ok(match engine {
        Engine::Cpu => Box::new(snnc_cpu::Engine::new(plan)),
        Engine::Wgpu => wgpu_engine(plan)?,
        Engine::Cuda => Box::new(snnc_cuda::Engine::new(plan, snnc_cuda::Options::default())?),
        Engine::Ref => anyhow::bail!("the reference interpreter runs graphs, not plans"),
    })
}

/// The wgpu engine on `plan` (the process's shared device).
#[cfg(feature = "wgpu")]
fn wgpu_engine(plan: &Plan) -> Result<Box<dyn snnc_plan::Engine + '_>> {
    use anyhow::Context;
    Ok(Box::new(snnc_wgpu::Engine::new(plan).context("--engine wgpu")?))
}

/// Opens the device, so that a missing adapter is reported before any work.
#[cfg(feature = "wgpu")]
fn wgpu_available() -> Result<()> {
    use anyhow::Context;
    snnc_wgpu::Gpu::shared().context("--engine wgpu")?;
    Ok(())
}

/// The device the wgpu engine runs on.
#[cfg(feature = "wgpu")]
fn wgpu_device() -> Option<String> {
    snnc_wgpu::Gpu::shared().ok().map(|g| g.describe())
}

#[cfg(not(feature = "wgpu"))]
const NO_WGPU: &str = "--engine wgpu: this snnc was built without the wgpu engine; rebuild with \
                       `cargo build -p snnc-cli --features wgpu`";

/// Without the `wgpu` feature there is no wgpu engine.
#[cfg(not(feature = "wgpu"))]
fn wgpu_engine(_plan: &Plan) -> Result<Box<dyn snnc_plan::Engine + '_>> {
    anyhow::bail!(NO_WGPU)
}

/// Without the `wgpu` feature there is no wgpu engine.
#[cfg(not(feature = "wgpu"))]
fn wgpu_available() -> Result<()> {
    anyhow::bail!(NO_WGPU)
}

/// Without the `wgpu` feature there is no device.
#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> Option<String> {
    None
}
