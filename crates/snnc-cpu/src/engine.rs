//! Running a plan's programs.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use snnc_ir::Tensor;
use snnc_kernels::{AlignedBuf, SpikeBits, Threads};
use snnc_plan::{BufId, Gradients, Kernel, Plan, Program, StepTime, Wrt, NEED_ALWAYS};

use crate::kernels::{self, fused, Ctx};
use crate::schedule::{schedule, Task};
use crate::store::{Io, Store};
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
    infer: Vec<Task>,
    train: Vec<Task>,
    scratch: Vec<SpikeBits>,
}

impl<'p> Engine<'p> {
    /// An engine for `plan` using rayon's global pool, running the plan's fused linear + IAF
    /// steps as one pass each (and handing spikes between them as bits where it can).
    pub fn new(plan: &'p Plan) -> Self {
        let mut e = Engine {
            plan,
            threads: Threads::All,
            arena: AlignedBuf::default(),
            bits: Vec::new(),
            profile: None,
            infer: Vec::new(),
            train: Vec::new(),
            scratch: Vec::new(),
        };
        e.set_fusion(true);
        e
    }

    /// The same engine with step fusion on (the default) or off. Off, each fused linear + IAF
    /// step of the plan runs as its two parts, writing the currents, and spikes always go
    /// through the arena as f32; results are bitwise the same either way (tested).
    pub fn with_fusion(mut self, fuse: bool) -> Self {
        self.set_fusion(fuse);
        self
    }

    fn set_fusion(&mut self, fuse: bool) {
        let (infer, a) = schedule(self.plan.infer(), fuse);
        let (train, b) = schedule(self.plan.train(), fuse);
        (self.infer, self.train) = (infer, train);
        self.scratch.resize_with(a.max(b), SpikeBits::default);
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
        Ok(self.execute(false, ins, seeds, NEED_ALWAYS)?.0)
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
        let (outputs, grads) = self.execute(true, ins, seeds, wrt.mask())?;
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
        training: bool,
        ins: Vec<Cow<[f32]>>,
        seeds: Vec<Cow<[f32]>>,
        mask: u8,
    ) -> Result<(Vec<(String, Tensor)>, Vec<(String, Tensor)>), CpuError> {
        let plan = self.plan;
        let prog = if training { plan.train() } else { plan.infer() };
        self.reserve(prog)?;
        let threads = self.threads;
        let tasks = if training { &self.train } else { &self.infer };
        let mut store = Store {
            plan,
            prog,
            inputs: ins,
            seeds,
            arena: &mut self.arena[..prog.arena_len],
            bits: &mut self.bits[..prog.bits_slots],
        };
        let scratch = &mut self.scratch;
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
        let mut outputs = None;
        let mut profile = self.profile.take().map(|mut p| {
            p.clear();
            p
        });
        let result = threads.install(|| -> Result<(), CpuError> {
            for &task in tasks {
                let first = task.step();
                if first >= prog.forward_len && outputs.is_none() {
                    outputs = Some(read_outputs(&store)?);
                }
                if prog.steps[first].need & mask == 0 {
                    continue;
                }
                let start = Instant::now();
                run_task(task, prog, &mut store, scratch, cx).map_err(|(i, m)| node_err(i, m))?;
                if let Some(p) = profile.as_mut() {
                    p.push(step_time(plan, prog, task, start.elapsed()));
                }
            }
            if outputs.is_none() {
                outputs = Some(read_outputs(&store)?);
            }
            Ok(())
        });
        self.profile = profile;
        result.map_err(|e| CpuError::Threads(e.to_string()))??;
        let grads = read_grads(&store, mask)?;
        Ok((outputs.unwrap_or_default(), grads))
    }
}

/// The buffers of step `i`, less `skip` (an input the task reads from the scratch bits).
fn step_io<'s>(
    store: &'s mut Store,
    prog: &Program,
    i: usize,
    skip: Option<BufId>,
) -> Result<Io<'s>, String> {
    let a = prog.steps[i].kernel.access();
    let reads: Vec<BufId> = a.reads.into_iter().filter(|&b| Some(b) != skip).collect();
    store.io(&reads, &a.writes)
}

/// Runs one task; an error names the step it comes from.
fn run_task(
    task: Task,
    prog: &Program,
    store: &mut Store,
    scratch: &mut [SpikeBits],
    cx: Ctx,
) -> Result<(), (usize, String)> {
    let i = task.step();
    let kernel = &prog.steps[i].kernel;
    let e = |m: String| (i, m);
    let misfit = || (i, "the engine scheduled a step as a kernel it is not".to_string());
    match task {
        Task::Step(_) => {
            let mut io = step_io(store, prog, i, None).map_err(e)?;
            kernels::run(kernel, &mut io, cx).map_err(e)
        }
        Task::Apart(_) => {
            let Kernel::LinearIaf(k) = kernel else { return Err(misfit()) };
            let mut io = step_io(store, prog, i, None).map_err(e)?;
            fused::linear_iaf_apart(&k.linear, &k.iaf, &mut io, cx).map_err(e)
        }
        Task::LinearIaf { bits, from, .. } => {
            let Kernel::LinearIaf(k) = kernel else { return Err(misfit()) };
            let skip = from.map(|_| k.linear.x);
            let mut io = step_io(store, prog, i, skip).map_err(e)?;
            // The sink is taken out of the scratch while the source is borrowed from it.
            let mut sink = bits.and_then(|k| scratch.get_mut(k)).map(std::mem::take);
            let source = match from {
                Some(k) => Some(scratch.get(k).ok_or((i, "missing scratch bits".to_string()))?),
                None => None,
            };
            let r = fused::linear_iaf(&k.linear, &k.iaf, &mut io, cx, source, sink.as_mut());
            if let (Some(k), Some(s)) = (bits, sink) {
                scratch[k] = s;
            }
            r.map_err(e)
        }
        Task::LinearBits { from, .. } => {
            let Kernel::Linear(l) = kernel else { return Err(misfit()) };
            let mut io = step_io(store, prog, i, Some(l.x)).map_err(e)?;
            let x = scratch.get(from).ok_or((i, "missing scratch bits".into()))?;
            fused::linear_bits(l, &mut io, x, cx).map_err(e)
        }
    }
}

/// The profile entry of a task that took `time`.
fn step_time(plan: &Plan, prog: &Program, task: Task, time: Duration) -> StepTime {
    let i = task.step();
    let step = &prog.steps[i];
    let name = |n: u32| plan.nodes().get(n as usize).map_or("", |n| n.0.as_str());
    let node = match &step.kernel {
        Kernel::LinearIaf(k) => format!("{}+{}", name(step.node), name(k.iaf_node)),
        _ => name(step.node).to_string(),
    };
    let kernel = match task {
        Task::Step(_) => step.kernel.name(),
        Task::Apart(_) => "linear-event,iaf",
        Task::LinearIaf { from: None, .. } => "linear-event+iaf",
        Task::LinearIaf { from: Some(_), .. } => "linear-event(bits)+iaf",
        Task::LinearBits { .. } => "linear-event(bits)",
    };
    StepTime { step: i, steps: 1, kernel, node, time }
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
