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
    /// A value was passed for a name that is not a graph input.
    #[error("unknown input '{name}' (the graph's inputs are: {known})")]
    UnknownInput {
        /// The name that was passed.
        name: String,
        /// The graph's input names, comma-separated.
        known: String,
    },
    /// A graph input was given more than once.
    #[error("input '{0}' is given more than once")]
    DuplicateInput(String),
    /// A graph input was not given.
    #[error("missing input '{name}' (expected {expected})")]
    MissingInput {
        /// The input's name.
        name: String,
        /// Its declared type, e.g. `f32[8,2,5]`.
        expected: String,
    },
    /// A graph input was given with the wrong element type or shape.
    #[error("input '{name}': expected {expected}, got {got}")]
    InputType {
        /// The input's name.
        name: String,
        /// The declared type.
        expected: String,
        /// The type of the given data.
        got: String,
    },
    /// An upstream gradient was passed for a name that is not a graph output.
    #[error("gradient given for '{name}', which is not a graph output (the outputs are: {known})")]
    UnknownGradOutput {
        /// The name that was passed.
        name: String,
        /// The graph's output names, comma-separated.
        known: String,
    },
    /// An upstream gradient was given more than once for the same output.
    #[error("gradient for output '{0}' is given more than once")]
    DuplicateGradOutput(String),
    /// An upstream gradient does not fit its output.
    #[error("gradient for output '{name}': expected {expected}, got {got}")]
    GradOutputType {
        /// The output's name.
        name: String,
        /// What is accepted.
        expected: String,
        /// What was given.
        got: String,
    },
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
