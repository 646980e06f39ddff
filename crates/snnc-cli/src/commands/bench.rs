use std::time::Instant;

use anyhow::{bail, Context, Result};
use ndarray::{ArrayD, IxDyn};
use snnc_ir::Tensor;

use crate::args::{Engine, Stage, Wrt};
use crate::bench::{
    bench_cpu, bench_ref, bench_tract, BenchArgs, BenchEngine, EngineReport, Progress, Report,
    Workload,
};
use crate::exec::Exec;
use crate::inputs::{bind_signature, read_named_arrays, Named};
use crate::model::ModelFile;
use crate::tract_engine::{self, TractModel};

/// `snnc bench`: times each engine on the same input (forward, and with `--train` a training
/// step) and compares its outputs with the reference interpreter's. Only the result goes to
/// stdout; progress goes to stderr.
pub fn bench(a: BenchArgs) -> Result<()> {
    let mut mf = ModelFile::open(&a.model)?;
    let given = read_named_arrays(&a.inputs, &mf.input_names()?, "input")?;
    let chosen = choose(&mf, &a.engines)?;
    let export = a.reset_grad.export(&mut mf, a.surrogate);
    let threads = match a.threads {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };

    // The reference interpreter on the imported graph is the yardstick for every engine.
    let (reference, ref_prepare_ms) = if mf.is_plan() {
        (None, 0.0)
    } else {
        let r = prepare("ref: importing", || {
            Exec::new(&mf, &given, Some(Engine::Ref), Stage::Imported, export)
        })?;
        (Some(r.0), r.1)
    };
    let (cpu, cpu_prepare_ms) =
        if chosen.iter().any(|(e, skip)| *e == BenchEngine::Cpu && skip.is_none()) {
            let c = prepare("cpu: optimizing and compiling", || {
                Exec::new(&mf, &given, Some(Engine::Cpu), Stage::Optimized, export)
            })?;
            (Some(c.0), c.1)
        } else {
            (None, 0.0)
        };
    let Some(first) = reference.as_ref().or(cpu.as_ref()) else {
        bail!("{}: no engine to benchmark", mf.label())
    };
    let (inputs, generated) = bind_signature(&first.inputs(), given)?;
    let upstream: Named = first
        .outputs()
        .iter()
        .map(|(n, ty)| {
            (n.clone(), Tensor::from_f64(ty.dtype, ArrayD::from_elem(IxDyn(&ty.shape), 1.0)))
        })
        .collect();

    let (want, want_grads) = match &reference {
        None => (None, None),
        Some(r) => {
            let p = Progress::start("ref: reference outputs", 0);
            let out = r.run(&inputs).with_context(|| mf.label())?;
            let grads = if a.train {
                Some(r.grad(&inputs, &upstream, Wrt::Params).with_context(|| mf.label())?)
            } else {
                None
            };
            p.finish();
            (Some(out), grads)
        }
    };
    let work = Workload {
        label: mf.label(),
        inputs: &inputs,
        upstream: &upstream,
        want: want.as_ref(),
        want_grads: want_grads.as_ref(),
        train: a.train,
        warmup: a.warmup as usize,
        runs: a.runs as usize,
        profile: a.profile,
    };

    let mut engines = Vec::new();
    for (e, skip) in chosen {
        let report = match (e, skip) {
            (_, Some(why)) => EngineReport::Skipped(why),
            (BenchEngine::Ref, None) => {
                let r = reference.as_ref().expect("a model has a reference");
                EngineReport::Ran(bench_ref(&work, r, ref_prepare_ms)?)
            }
            (BenchEngine::Cpu, None) => {
                let Some(Exec::Compiled { plan, .. }) = &cpu else {
                    unreachable!("cpu was prepared")
                };
                EngineReport::Ran(bench_cpu(&work, plan, threads, cpu_prepare_ms)?)
            }
            (BenchEngine::Tract, None) => {
                let loaded = prepare("tract: loading and optimizing", || {
                    TractModel::load(mf.path(), &inputs, threads)
                });
                match loaded {
                    Ok((model, ms)) => EngineReport::Ran(bench_tract(&work, &model, ms)?),
                    // tract is a peer: when the user did not ask for it, its failure to load a
                    // model is a finding to report, not an error.
                    Err(err) if !a.engines.contains(&e) => {
                        EngineReport::Skipped(format!("{err:#}"))
                    }
                    Err(err) => return Err(err),
                }
            }
        };
        engines.push((e, report));
    }

    let report = Report {
        model: mf.label(),
        runs: work.runs,
        warmup: work.warmup,
        threads,
        surrogate: a.train.then(|| a.surrogate.to_string()),
        reset_grad: a.train.then(|| a.reset_grad.to_string()),
        inputs: inputs
            .iter()
            .map(|(n, t)| (n.clone(), t.shape().to_vec(), generated.contains(n)))
            .collect(),
        engines,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

/// Runs `f` under a progress display and returns its result with the time it took, in ms.
fn prepare<T>(label: &str, f: impl FnOnce() -> Result<T>) -> Result<(T, f64)> {
    let t0 = Instant::now();
    let p = Progress::start(label, 0);
    let out = f()?;
    p.finish();
    Ok((out, t0.elapsed().as_secs_f64() * 1e3))
}

/// The engines to time, each with the reason it does not apply (then it is reported as
/// skipped). Naming an engine that does not apply is an error.
fn choose(mf: &ModelFile, asked: &[BenchEngine]) -> Result<Vec<(BenchEngine, Option<String>)>> {
    let mut list = if asked.is_empty() { BenchEngine::ALL.to_vec() } else { Vec::new() };
    for e in asked {
        if !list.contains(e) {
            list.push(*e);
        }
    }
    let mut out = Vec::new();
    for e in list {
        let why = match e {
            BenchEngine::Cpu => None,
            BenchEngine::Ref if mf.is_plan() => {
                Some("a compiled plan has no graph to interpret".to_string())
            }
            BenchEngine::Ref => None,
            BenchEngine::Tract if mf.is_plan() => {
                Some("a compiled plan is not an ONNX file".to_string())
            }
            BenchEngine::Tract if !mf.is_onnx() => {
                Some("the model is not an ONNX file".to_string())
            }
            BenchEngine::Tract => tract_engine::unsupported(mf.path())?,
        };
        if let (Some(why), true) = (&why, asked.contains(&e)) {
            bail!("{}: the {} engine cannot run this model: {why}", mf.label(), e.name());
        }
        out.push((e, why));
    }
    Ok(out)
}
