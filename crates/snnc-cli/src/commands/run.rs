use anyhow::{Context, Result};

use crate::args::RunArgs;
use crate::inputs::{bind_inputs, read_named_arrays, write_npz};
use crate::model::ModelFile;
use crate::summary::describe;

/// `snnc run`: executes the model on the given (or a generated) input and prints each output.
pub fn run(a: RunArgs) -> Result<()> {
    let mf = ModelFile::open(&a.model)?;
    let given = read_named_arrays(&a.inputs, &mf.input_names()?, "input")?;
    let g = mf.load(&given)?;
    let g = crate::stage::staged(&mf, g, a.stage, snnc_ir::Surrogate::default())?;
    let (inputs, generated) = bind_inputs(&g, given)?;
    if !generated.is_empty() {
        println!("generated input (uniform [0,1), fixed seed): {}", generated.join(", "));
    }
    let outputs = snnc_interp::run(&g, &inputs).with_context(|| mf.label())?;
    let stage = if a.stage == crate::args::Stage::Optimized { ", optimized" } else { "" };
    println!("{} ({} nodes{stage}), engine ref:", mf.label(), g.nodes().len());
    for (name, t) in &outputs {
        println!("  {}", describe(name, t));
    }
    if let Some(path) = &a.output {
        write_npz(path, &outputs)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
