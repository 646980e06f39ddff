//! Running a plan's programs.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use snnc_ir::Tensor;
use snnc_kernels::{AlignedBuf, SpikeBits, Threads};
use snnc_plan::{Gradients, Plan, Program, Wrt, NEED_ALWAYS};

use crate::kernels::{self, Ctx};
use crate::store::Store;
use crate::CpuError;

/// Executes a [`Plan`] on the CPU. Keeps its working memory between calls, so repeated runs
/// of the same plan do not allocate the arena again.
///
/// Results are bitwise identical for every [`Threads`] setting.
pub struct Engine<'p> {
    plan: &'p Plan,
    threads: Threads,
    arena: AlignedBuf,
    bits: Vec<SpikeBits>,
    profile: Option<Vec<StepTime>>,
}

/// The time one step took in the last call of a profiling [`Engine`].
#[derive(Debug, Clone, PartialEq)]
pub struct StepTime {
    /// Index of the step in its program.
    pub step: usize,
    /// The kernel's name ([`Kernel::name`](snnc_plan::Kernel::name)).
    pub kernel: &'static str,
    /// The graph node the step comes from.
    pub node: String,
    /// Wall-clock time.
    pub time: Duration,
}

impl<'p> Engine<'p> {
    /// An engine for `plan` using rayon's global pool.
    pub fn new(plan: &'p Plan) -> Self {
        Engine {
            plan,
            threads: Threads::All,
            arena: AlignedBuf::default(),
            bits: Vec::new(),
            profile: None,
        }
    }

    /// The same engine recording the time of every step ([`Engine::profile`]).
    pub fn with_profiling(mut self) -> Self {
        self.profile = Some(Vec::new());
        self
    }

    /// Per-step times of the last [`Engine::run`] or [`Engine::grad`] (empty unless built
    /// [`with_profiling`](Engine::with_profiling)).
    pub fn profile(&self) -> &[StepTime] {
        self.profile.as_deref().unwrap_or(&[])
    }

    /// The same engine with a thread setting.
    pub fn with_threads(mut self, threads: Threads) -> Self {
        self.threads = threads;
        self
    }

    /// The plan.
    pub fn plan(&self) -> &'p Plan {
        self.plan
    }

    /// Runs the inference program on `inputs` (every graph input exactly once, by name, with its
    /// declared shape; float inputs accept f32 or f64). Returns the outputs in graph order, each
    /// in its declared dtype.
    pub fn run(&mut self, given: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, CpuError> {
        let plan = self.plan;
        let ins = plan.bind_inputs(given)?;
        let seeds = vec![Cow::Borrowed(&[][..]); plan.outputs().len()];
        Ok(self.execute(plan.infer(), ins, seeds, NEED_ALWAYS)?.0)
    }

    /// Runs the training program: forward, then backward from the upstream gradients
    /// `grad_outputs` (keyed by output name; a missing output has zero upstream gradient).
    /// Returns the outputs and the gradients `wrt` asks for; gradient steps that lead only to
    /// other values are skipped.
    pub fn grad(
        &mut self,
        given: &[(String, Tensor)],
        grad_outputs: &[(String, Tensor)],
        wrt: Wrt,
    ) -> Result<Gradients, CpuError> {
        let plan = self.plan;
        let ins = plan.bind_inputs(given)?;
        let seeds = plan.bind_grad_outputs(grad_outputs)?;
        let (outputs, grads) = self.execute(plan.train(), ins, seeds, wrt.mask())?;
        Ok(Gradients { outputs, grads })
    }

    /// Sizes the working memory for `prog`.
    fn reserve(&mut self, prog: &Program) -> Result<(), CpuError> {
        if self.arena.len() < prog.arena_len {
            self.arena
                .resize(prog.arena_len)
                .map_err(|_| CpuError::OutOfMemory { bytes: 4 * prog.arena_len })?;
        }
        if self.bits.len() < prog.bits_slots {
            self.bits.resize_with(prog.bits_slots, SpikeBits::default);
        }
        Ok(())
    }

    #[allow(clippy::type_complexity)]
    fn execute(
        &mut self,
        prog: &Program,
        ins: Vec<Cow<[f32]>>,
        seeds: Vec<Cow<[f32]>>,
        mask: u8,
    ) -> Result<(Vec<(String, Tensor)>, Vec<(String, Tensor)>), CpuError> {
        self.reserve(prog)?;
        let (plan, threads) = (self.plan, self.threads);
        let mut store = Store {
            plan,
            prog,
            inputs: ins,
            seeds,
            arena: &mut self.arena[..prog.arena_len],
            bits: &mut self.bits[..prog.bits_slots],
        };
        let node_err = |i: usize, msg: String| {
            let (node, op) = prog
                .steps
                .get(i)
                .and_then(|s| plan.nodes().get(s.node as usize))
                .cloned()
                .unwrap_or_default();
            CpuError::Node { node, op, msg }
        };
        let cx = Ctx { plan, threads };
        let mut outputs = Vec::new();
        let mut profile = self.profile.take().map(|mut p| {
            p.clear();
            p
        });
        let result = threads.install(|| -> Result<(), CpuError> {
            for (i, step) in prog.steps.iter().enumerate() {
                if i == prog.forward_len {
                    outputs = read_outputs(&store)?;
                }
                if step.need & mask == 0 {
                    continue;
                }
                let start = Instant::now();
                let a = step.kernel.access();
                let mut io = store.io(&a.reads, &a.writes).map_err(|m| node_err(i, m))?;
                kernels::run(&step.kernel, &mut io, cx).map_err(|m| node_err(i, m))?;
                if let Some(p) = profile.as_mut() {
                    let node = plan.nodes().get(step.node as usize).map(|n| n.0.clone());
                    let (kernel, node) = (step.kernel.name(), node.unwrap_or_default());
                    p.push(StepTime { step: i, kernel, node, time: start.elapsed() });
                }
            }
            if prog.forward_len == prog.steps.len() {
                outputs = read_outputs(&store)?;
            }
            Ok(())
        });
        self.profile = profile;
        result.map_err(|e| CpuError::Threads(e.to_string()))??;
        let grads = read_grads(&store, mask)?;
        Ok((outputs, grads))
    }
}

fn invalid(m: String) -> CpuError {
    CpuError::Plan(snnc_plan::PlanError::Invalid(m))
}

fn read_outputs(store: &Store) -> Result<Vec<(String, Tensor)>, CpuError> {
    let sigs = store.plan.outputs();
    sigs.iter()
        .zip(&store.prog.outputs)
        .map(|(s, &b)| {
            let data = store.read(b).map_err(invalid)?;
            Ok((s.name.clone(), s.tensor(data).map_err(invalid)?))
        })
        .collect()
}

fn read_grads(store: &Store, mask: u8) -> Result<Vec<(String, Tensor)>, CpuError> {
    let mut out = Vec::new();
    for (t, g) in store.plan.targets().iter().zip(&store.prog.grads) {
        let bit = if t.input { snnc_plan::NEED_INPUTS } else { snnc_plan::NEED_PARAMS };
        if bit & mask == 0 {
            continue;
        }
        let tensor = match g {
            Some(b) => t.sig.tensor(store.read(*b).map_err(invalid)?),
            None => t.sig.tensor(&vec![0.0; t.sig.len()]),
        };
        out.push((t.sig.name.clone(), tensor.map_err(invalid)?));
    }
    Ok(out)
}
