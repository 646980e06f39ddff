use anyhow::{Context, Result};
use snnc_cpu::Threads;
use snnc_plan::Plan;

use super::{copy_bandwidth, grad_rel_err, measure, step_medians, Measured, OutputDiff, Profile};
use crate::args::Wrt;
use crate::exec::Exec;
use crate::inputs::Named;
use crate::tract_engine::TractModel;

/// What every engine is timed on and compared with.
pub struct Workload<'a> {
    /// The model path, for messages.
    pub label: String,
    /// The inputs, bound to the model's signature.
    pub inputs: &'a Named,
    /// Upstream gradients of the outputs for the training step.
    pub upstream: &'a Named,
    /// The reference interpreter's outputs, when it can run the model.
    pub want: Option<&'a Named>,
    /// The reference interpreter's parameter gradients, when a training step is timed.
    pub want_grads: Option<&'a Named>,
    /// Whether to time a training step.
    pub train: bool,
    /// Untimed runs before the timed ones.
    pub warmup: usize,
    /// Timed runs.
    pub runs: usize,
    /// Whether to profile the cpu engine's steps as well.
    pub profile: bool,
}

impl Workload<'_> {
    fn diff(&self, got: &Named) -> Result<Option<OutputDiff>> {
        self.want
            .map(|w| OutputDiff::between(got, w))
            .transpose()
            .with_context(|| format!("{}: comparing with the reference", self.label))
    }

    fn grad_err(&self, got: &Named) -> Option<(f64, usize)> {
        self.want_grads.map(|w| grad_rel_err(got, w))
    }
}

/// Times the reference interpreter `r` (an [`Exec::Ref`]).
pub fn bench_ref(w: &Workload, r: &Exec, prepare_ms: f64) -> Result<Measured> {
    let label = || w.label.clone();
    let got = r.run(w.inputs).with_context(label)?;
    let forward = measure("ref forward", w.warmup, w.runs, || r.run(w.inputs).map(drop))?;
    let (mut train, mut grad_err) = (None, None);
    if w.train {
        let g = r.grad(w.inputs, w.upstream, Wrt::Params).with_context(label)?;
        grad_err = w.grad_err(&g);
        train = Some(measure("ref train", w.warmup, w.runs, || {
            r.grad(w.inputs, w.upstream, Wrt::Params).map(drop)
        })?);
    }
    Ok(Measured { prepare_ms, forward, train, diff: w.diff(&got)?, grad_err, profile: None })
}

/// Times the CPU engine on `plan` with `threads` worker threads.
pub fn bench_cpu(w: &Workload, plan: &Plan, threads: usize, prepare_ms: f64) -> Result<Measured> {
    let label = || w.label.clone();
    let mut eng = snnc_cpu::Engine::new(plan).with_threads(Threads::Fixed(threads));
    let got = eng.run(w.inputs).with_context(label)?;
    let forward = measure("cpu forward", w.warmup, w.runs, || {
        eng.run(w.inputs).map(drop).with_context(label)
    })?;
    let (mut train, mut grad_err) = (None, None);
    if w.train {
        let wrt = snnc_plan::Wrt::Params;
        let g = eng.grad(w.inputs, w.upstream, wrt).with_context(label)?.grads;
        grad_err = w.grad_err(&g);
        train = Some(measure("cpu train", w.warmup, w.runs, || {
            eng.grad(w.inputs, w.upstream, wrt).map(drop).with_context(label)
        })?);
    }
    let profile = if w.profile { Some(profile_cpu(w, plan, threads)?) } else { None };
    Ok(Measured { prepare_ms, forward, train, diff: w.diff(&got)?, grad_err, profile })
}

/// Per-step medians of the cpu engine over `w.runs` profiled runs (after `w.warmup`).
fn profile_cpu(w: &Workload, plan: &Plan, threads: usize) -> Result<Profile> {
    let label = || w.label.clone();
    let mut eng =
        snnc_cpu::Engine::new(plan).with_threads(Threads::Fixed(threads)).with_profiling();
    let mut forward = Vec::with_capacity(w.runs);
    let mut train = Vec::with_capacity(w.runs);
    for k in 0..w.warmup + w.runs {
        eng.run(w.inputs).with_context(label)?;
        if k >= w.warmup {
            forward.push(eng.profile().to_vec());
        }
        if w.train {
            eng.grad(w.inputs, w.upstream, snnc_plan::Wrt::Params).with_context(label)?;
            if k >= w.warmup {
                train.push(eng.profile().to_vec());
            }
        }
    }
    let profile = Profile {
        forward: step_medians(&forward),
        train: step_medians(&train),
        copy_bytes_per_s: 0.0,
    };
    Ok(profile.with_traffic(plan.infer(), plan.train(), copy_bandwidth(threads)))
}

/// Times tract on the model it loaded (forward only).
pub fn bench_tract(w: &Workload, model: &TractModel, prepare_ms: f64) -> Result<Measured> {
    let got = model.run().with_context(|| format!("{}: tract", w.label))?;
    let forward = measure("tract forward", w.warmup, w.runs, || model.run_only())?;
    Ok(Measured {
        prepare_ms,
        forward,
        train: None,
        diff: w.diff(&got)?,
        grad_err: None,
        profile: None,
    })
}
