use anyhow::{Context, Result};

use crate::args::CompileArgs;
use crate::model::ModelFile;

/// `snnc compile`: import, optimize and lower the model to a CPU plan file.
pub fn compile(a: CompileArgs) -> Result<()> {
    let mf = ModelFile::open(&a.model)?;
    let plan = mf.plan(&[], a.surrogate)?;
    plan.save(&a.output).with_context(|| format!("cannot write {}", a.output.display()))?;
    println!("{}: compiled with surrogate {} to {}", mf.label(), a.surrogate, a.output.display());
    println!("{}", plan.summary());
    Ok(())
}
