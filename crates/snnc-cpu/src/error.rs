use snnc_plan::PlanError;
use thiserror::Error;

/// Everything that can go wrong while executing a plan.
///
/// Input problems name the input and say what was expected and what was given (the same
/// checks as `snnc_interp`); runtime failures name the graph node whose kernel failed.
#[derive(Debug, Error)]
pub enum CpuError {
    /// The plan is inconsistent.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The inputs or upstream gradients do not fit the plan.
    #[error(transparent)]
    Bind(#[from] snnc_ir::BindError),
    /// A kernel failed (an index out of range, an integer division by zero, …).
    #[error("node '{node}' ({op}): {msg}")]
    Node {
        /// The node's name.
        node: String,
        /// The node's op name.
        op: String,
        /// What went wrong.
        msg: String,
    },
    /// The working memory could not be allocated.
    #[error("cannot allocate {bytes} bytes of working memory")]
    OutOfMemory {
        /// The size asked for.
        bytes: usize,
    },
    /// The thread pool could not be set up.
    #[error("threads: {0}")]
    Threads(String),
}
