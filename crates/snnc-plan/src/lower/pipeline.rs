//! The pass pipeline.

use snnc_ir::{verify, ExportGrad, Graph, ResetGrad, Surrogate};

use crate::lower::ctx::{Lower, Shared};
use crate::lower::{
    assign, backward, bind, fuse, fuse_grad, fuse_linear_iaf, liveness, saved, select,
};
use crate::plan::Program;
use crate::{Plan, PlanError};

/// The lowering passes, in order.
pub const PASSES: [&str; 9] = [
    "verify",
    "select-kernels",
    "plan-saved-tensors",
    "build-backward",
    "fuse-elementwise",
    "fuse-gradients",
    "fuse-linear-iaf",
    "liveness",
    "assign-buffers",
];

/// Options of [`compile`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CompileOptions {
    /// The backward of `Greater`/`Less` (+ `Cast`), the spike of plain exports; the same as
    /// `snnc_interp::GradOptions::surrogate`. Default `super:100`.
    pub surrogate: Surrogate,
    /// Whether plain exports' resets are differentiated through their spike, recorded in the
    /// plan ([`Plan::reset_grad`]); the optimizer has already given it to the cells it fused.
    /// Default `attached`.
    pub reset_grad: ResetGrad,
}

impl From<ExportGrad> for CompileOptions {
    fn from(e: ExportGrad) -> Self {
        CompileOptions { surrogate: e.surrogate, reset_grad: e.reset_grad }
    }
}

/// Compiles `g` (imported or optimized) into a plan with an inference and a training program.
///
/// Fails when the graph does not verify or a node cannot be lowered (naming the node).
pub fn compile(g: &Graph, opts: &CompileOptions) -> Result<Plan, PlanError> {
    verify(g)?;
    let mut shared = bind::shared(g)?;
    let infer = program(g, false, opts, &mut shared)?;
    let train = program(g, true, opts, &mut shared)?;
    let plan = Plan::assemble(
        g,
        ExportGrad::new(opts.surrogate, opts.reset_grad),
        shared.consts,
        shared.packs,
        infer,
        train,
    )?;
    plan.validate()?;
    Ok(plan)
}

/// Runs passes 1–8 for one program.
fn program(
    g: &Graph,
    train: bool,
    opts: &CompileOptions,
    shared: &mut Shared,
) -> Result<Program, PlanError> {
    let mut l = Lower::new(g, train, opts.surrogate, shared);
    if train && opts.reset_grad == ResetGrad::Detached {
        // The cells the optimizer fused carry their own reset_grad; what it left as plain
        // arithmetic drops the same edges the reference drops.
        l.detached = snnc_interp::reset_uses(g);
    }
    bind::values(&mut l);
    select::run(&mut l)?;
    if train {
        saved::run(&mut l)?;
        backward::run(&mut l)?;
    }
    fuse::run(&mut l);
    if train {
        fuse_grad::run(&mut l);
    }
    fuse_linear_iaf::run(&mut l);
    let intervals = liveness::run(&l);
    Ok(assign::run(&l, &intervals))
}
