use anyhow::{bail, Context, Result};

use crate::args::{CompileArgs, Target};
use crate::model::ModelFile;

/// `snnc compile`: import, optimize and lower the model to a plan file; with `--target cuda`
/// the plan is also rendered to CUDA C, written to `--emit DIR` as `infer.cu` and `train.cu`.
pub fn compile(a: CompileArgs) -> Result<()> {
    let mut mf = ModelFile::open(&a.model)?;
    if a.emit.is_some() && a.target != Target::Cuda {
        bail!("--emit writes CUDA sources: it needs --target cuda");
    }
    let export = a.reset_grad.export(&mut mf, a.surrogate);
    // Plans for either target hold fused leaky cells: both engines have their kernels.
    let plan = mf.plan(&[], export, true)?;
    let cuda = match a.target {
        Target::Cuda => Some(snnc_cuda::render(&plan).with_context(|| mf.label())?),
        Target::Cpu => None,
    };
    plan.save(&a.output).with_context(|| format!("cannot write {}", a.output.display()))?;
    println!("{}: compiled with {export} to {}", mf.label(), a.output.display());
    println!("{}", plan.summary());
    if let (Some(src), Some(dir)) = (cuda, &a.emit) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for p in [&src.infer, &src.train] {
            let path = dir.join(format!("{}.cu", p.name));
            std::fs::write(&path, &p.code)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {} ({} kernels)", path.display(), p.kernels().len());
        }
    }
    Ok(())
}
