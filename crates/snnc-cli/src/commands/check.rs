use anyhow::{bail, Result};
use snnc_ir::Tensor;

use crate::args::{CheckArgs, Engine, Stage, Wrt};
use crate::exec::Exec;
use crate::inputs::{bind_signature, generate, read_named_arrays, Named};
use crate::model::ModelFile;

/// `snnc check`: the reference interpreter on the imported graph against a compiled engine
/// (`--engine`: cpu, wgpu or cuda; default cpu), on the same input, forward and backward; fails on
/// any mismatch (SPEC §5).
pub fn check(a: CheckArgs) -> Result<()> {
    let mut mf = ModelFile::open(&a.model)?;
    let given = read_named_arrays(&a.inputs, &mf.input_names()?, "input")?;
    let export = a.reset_grad.export(&mut mf, a.surrogate);
    let reference = Exec::new(&mf, &given, Some(Engine::Ref), Stage::Imported, export)?;
    if a.engine == Engine::Ref {
        bail!(
            "--engine ref: check compares the reference with a compiled engine (cpu, wgpu, cuda)"
        );
    }
    let engine = match a.engine {
        Engine::Ref | Engine::Cpu => "cpu",
        Engine::Wgpu => "wgpu",
        Engine::Cuda => "cuda",
    };
    let compiled = Exec::new(&mf, &given, Some(a.engine), Stage::Optimized, export)?;
    let (inputs, _) = bind_signature(&reference.inputs(), given)?;
    let Exec::Ref { graph, .. } = &reference else { unreachable!("built as the reference") };
    let contract = snnc_interp::Contract::new(graph, &inputs)?;
    let (want, got) = (reference.run(&inputs)?, compiled.run(&inputs)?);
    let outputs = want.len();
    // Spike tensors are those holding only 0 and 1.
    let spikes = |_: &str, w: &Tensor| w.to_f64().iter().all(|&x| x == 0.0 || x == 1.0);
    let mut failures = contract.compare_outputs(&got, &want, spikes);
    let upstream: Named = reference
        .outputs()
        .iter()
        .enumerate()
        .map(|(k, (n, ty))| (n.clone(), generate(ty, 1000 + k as u64)))
        .collect();
    let want = reference.grad(&inputs, &upstream, Wrt::All)?;
    let got = compiled.grad(&inputs, &upstream, Wrt::All)?;
    failures.extend(contract.compare_gradients(&got, &want));
    let compared = want.iter().filter(|(n, _)| got.iter().any(|(m, _)| m == n)).count();
    println!(
        "{}: ref (imported) vs {engine} (optimized plan), {export}: {outputs} outputs, \
         {compared} gradients",
        mf.label(),
    );
    let ex = contract.excused();
    if !ex.none() {
        let elements =
            ex.outputs.iter().flat_map(|(_, m)| m.iter().flatten()).filter(|&&x| x).count();
        println!(
            "  {} spike decisions within 1e-5·max(1, |v_th|) of their threshold: {elements} \
             output elements depending on them not compared, gradients not compared",
            ex.decisions
        );
    }
    if failures.is_empty() {
        println!("  all match");
        return Ok(());
    }
    for f in &failures {
        println!("  MISMATCH {f}");
    }
    bail!("{}: {} mismatches between ref and {engine}", mf.label(), failures.len())
}
