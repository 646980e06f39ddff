use anyhow::{Context, Result};

use crate::args::RunArgs;
use crate::exec::Exec;
use crate::inputs::{bind_signature, read_named_arrays, write_npz};
use crate::model::ModelFile;
use crate::summary::describe;

/// `snnc run`: executes the model on the given (or a generated) input and prints each output.
pub fn run(a: RunArgs) -> Result<()> {
    let mf = ModelFile::open(&a.model)?;
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
    if let Some(path) = &a.output {
        write_npz(path, &outputs)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
