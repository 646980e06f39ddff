use anyhow::{Context, Result};

use crate::args::RunArgs;
use crate::exec::Exec;
use crate::inputs::{bind_signature, read_named_arrays, write_npz};
use crate::model::ModelFile;
use crate::summary::describe;

/// `snnc run`: executes the model on the given (or a generated) input and prints each output.
pub fn run(a: RunArgs) -> Result<()> {
    let mf = ModelFile::open(&a.model)?;
    if a.record && mf.is_plan() {
        // The traces come from the reference interpreter on the optimized graph, which a
        // compiled plan no longer holds: refuse before running anything.
        anyhow::bail!(
            "{}: --record needs the model's graph, and a compiled plan keeps none; record from \
             the .onnx, .nir or .snn file the plan was compiled from",
            mf.label()
        );
    }
    let given = read_named_arrays(&a.inputs, &mf.input_names()?, "input")?;
    let exec = Exec::new(&mf, &given, a.engine, a.stage, snnc_ir::ExportGrad::default())?;
    let (inputs, generated) = bind_signature(&exec.inputs(), given)?;
    if !generated.is_empty() {
        println!("generated input (uniform [0,1), fixed seed): {}", generated.join(", "));
    }
    let outputs = exec.run(&inputs).with_context(|| mf.label())?;
    let stage = if a.stage == crate::args::Stage::Optimized { ", optimized" } else { "" };
    println!("{} ({}{stage}):", mf.label(), exec.describe());
    for (name, t) in &outputs {
        println!("  {}", describe(name, t));
    }
    let mut arrays = outputs;
    if a.record {
        let traces = record(&mf, &inputs)?;
        println!("recorded {} traces of {} cells", traces.len(), cells_in(&traces));
        arrays.extend(traces);
    }
    if let Some(path) = &a.output {
        write_npz(path, &arrays)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The traces of every cell of the optimized graph on `inputs` ([`snnc_interp::record_cells`]).
/// A graph the optimizer found no cell in records nothing, which is an error: the user asked
/// for traces and would otherwise get a file without them.
fn record(
    mf: &ModelFile,
    inputs: &[(String, snnc_ir::Tensor)],
) -> Result<Vec<(String, snnc_ir::Tensor)>> {
    let g = mf.load(inputs)?;
    let opt = crate::stage::optimized(mf, &g, snnc_ir::ExportGrad::default(), true)?;
    let traces = snnc_interp::record_cells(&opt.graph, inputs).with_context(|| mf.label())?;
    if traces.is_empty() {
        anyhow::bail!(
            "{}: --record found no neuron cell in the optimized graph (`snnc inspect` lists the \
             cells); nothing to record",
            mf.label()
        );
    }
    Ok(traces)
}

fn cells_in(traces: &[(String, snnc_ir::Tensor)]) -> usize {
    let mut names: Vec<&str> =
        traces.iter().filter_map(|(k, _)| k.rsplit_once('/').map(|p| p.0)).collect();
    names.dedup();
    names.len()
}
