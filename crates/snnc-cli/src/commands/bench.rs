use std::time::Instant;

use anyhow::{bail, Context, Result};
use ndarray::{ArrayD, IxDyn};
use snnc_cpu::Threads;
use snnc_ir::Tensor;

use crate::args::{Engine, Stage, Wrt};
use crate::bench::{
    grad_rel_err, measure, BenchArgs, BenchEngine, EngineReport, Measured, OutputDiff, Progress,
    Report,
};
use crate::exec::Exec;
use crate::inputs::{bind_signature, read_named_arrays, Named};
use crate::model::ModelFile;
use crate::tract_engine::{self, TractModel};

/// `snnc bench`: times each engine on the same input (forward, and with `--train` a training
/// step) and compares its outputs with the reference interpreter's. Only the result goes to
/// stdout; progress goes to stderr.
pub fn bench(a: BenchArgs) -> Result<()> {
    let mf = ModelFile::open(&a.model)?;
    let given = read_named_arrays(&a.inputs, &mf.input_names()?, "input")?;
    let chosen = choose(&mf, &a.engines)?;
    let threads = match a.threads {
        Some(n) => n as usize,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let (runs, warmup) = (a.runs as usize, a.warmup as usize);

    // The reference interpreter on the imported graph: the yardstick for every engine.
    let t0 = Instant::now();
    let reference = match mf.is_plan() {
        true => None,
        false => {
            let p = Progress::start("ref: importing", 0);
            let r = Exec::new(&mf, &given, Some(Engine::Ref), Stage::Imported, a.surrogate)?;
            p.finish();
            Some(r)
        }
    };
    let ref_prepare_ms = ms(t0);
    let t0 = Instant::now();
    let cpu = match chosen.iter().any(|(e, skip)| *e == BenchEngine::Cpu && skip.is_none()) {
        true => {
            let p = Progress::start("cpu: optimizing and compiling", 0);
            let c = Exec::new(&mf, &given, Some(Engine::Cpu), Stage::Optimized, a.surrogate)?;
            p.finish();
            Some(c)
        }
        false => None,
    };
    let cpu_prepare_ms = ms(t0);
    let signature = match (&reference, &cpu) {
        (Some(r), _) => r.inputs(),
        (None, Some(c)) => c.inputs(),
        (None, None) => bail!("{}: no engine to benchmark", mf.label()),
    };
    let (inputs, generated) = bind_signature(&signature, given)?;
    let outputs = reference.as_ref().or(cpu.as_ref()).expect("one engine is ready").outputs();
    let upstream: Named = outputs
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
            let grads = match a.train {
                true => Some(r.grad(&inputs, &upstream, Wrt::Params).with_context(|| mf.label())?),
                false => None,
            };
            p.finish();
            (Some(out), grads)
        }
    };
    let diff = |got: &Named| -> Result<Option<OutputDiff>> {
        want.as_ref().map(|w| OutputDiff::between(got, w)).transpose().with_context(|| mf.label())
    };
    let gdiff = |got: &Named| want_grads.as_ref().map(|w| grad_rel_err(got, w));

    let mut engines = Vec::new();
    for (e, skip) in chosen {
        if let Some(why) = skip {
            engines.push((e, EngineReport::Skipped(why)));
            continue;
        }
        let m = match e {
            BenchEngine::Ref => {
                let r = reference.as_ref().expect("the reference is ready for a model");
                let got = r.run(&inputs)?;
                let forward = measure("ref forward", warmup, runs, || r.run(&inputs).map(drop))?;
                let (train, grad_err) = match &want_grads {
                    Some(_) => {
                        let g = r.grad(&inputs, &upstream, Wrt::Params)?;
                        let run = || r.grad(&inputs, &upstream, Wrt::Params).map(drop);
                        (Some(measure("ref train", warmup, runs, run)?), gdiff(&g))
                    }
                    None => (None, None),
                };
                let diff = diff(&got)?;
                Measured { prepare_ms: ref_prepare_ms, forward, train, diff, grad_err }
            }
            BenchEngine::Cpu => {
                let Some(Exec::Cpu(plan)) = &cpu else { unreachable!("the cpu engine is ready") };
                let mut eng = snnc_cpu::Engine::new(plan).with_threads(Threads::Fixed(threads));
                let label = || mf.label();
                let got = eng.run(&inputs).with_context(label)?;
                let forward = measure("cpu forward", warmup, runs, || {
                    eng.run(&inputs).map(drop).with_context(label)
                })?;
                let (mut train, mut grad_err) = (None, None);
                if a.train {
                    let wrt = snnc_plan::Wrt::Params;
                    let g = eng.grad(&inputs, &upstream, wrt).with_context(label)?.grads;
                    grad_err = gdiff(&g);
                    train = Some(measure("cpu train", warmup, runs, || {
                        eng.grad(&inputs, &upstream, wrt).map(drop).with_context(label)
                    })?);
                }
                let diff = diff(&got)?;
                Measured { prepare_ms: cpu_prepare_ms, forward, train, diff, grad_err }
            }
            BenchEngine::Tract => {
                let t0 = Instant::now();
                let p = Progress::start("tract: loading and optimizing", 0);
                let loaded = TractModel::load(mf.path(), &inputs, threads);
                p.finish();
                let model = match loaded {
                    Ok(m) => m,
                    Err(err) if !a.engines.contains(&BenchEngine::Tract) => {
                        engines.push((e, EngineReport::Skipped(format!("{err:#}"))));
                        continue;
                    }
                    Err(err) => return Err(err),
                };
                let prepare_ms = ms(t0);
                let got = model.run().with_context(|| format!("{}: tract", mf.label()))?;
                let forward = measure("tract forward", warmup, runs, || model.run_only())?;
                let diff = diff(&got)?;
                Measured { prepare_ms, forward, train: None, diff, grad_err: None }
            }
        };
        engines.push((e, EngineReport::Ran(m)));
    }

    let report = Report {
        model: mf.label(),
        runs,
        warmup,
        threads,
        surrogate: a.train.then(|| a.surrogate.to_string()),
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

/// The engines to time, each with the reason it does not apply (then it is reported as
/// skipped). Naming an engine that does not apply is an error.
fn choose(mf: &ModelFile, asked: &[BenchEngine]) -> Result<Vec<(BenchEngine, Option<String>)>> {
    let mut list: Vec<BenchEngine> =
        if asked.is_empty() { BenchEngine::ALL.to_vec() } else { Vec::new() };
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

fn ms(t0: Instant) -> f64 {
    t0.elapsed().as_secs_f64() * 1e3
}
