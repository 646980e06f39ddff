use snnc_plan::PlanError;
use thiserror::Error;

/// Everything that can go wrong while rendering or executing a plan on a wgpu device.
///
/// Input problems name the input and say what was expected and what was given (the same
/// checks and messages as the CPU engine); kernel failures name the graph node.
#[derive(Debug, Error)]
pub enum WgpuError {
    /// The plan is inconsistent.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// No adapter (GPU, or a software Vulkan driver such as Mesa's lavapipe) was found.
    #[error("no wgpu adapter found ({0}); install a Vulkan driver (on Debian/Ubuntu: apt-get install mesa-vulkan-drivers libvulkan1 for the lavapipe software driver) or run on a machine with a GPU")]
    NoAdapter(String),
    /// The adapter refused to create a device.
    #[error("the wgpu device could not be created: {0}")]
    Device(String),
    /// A WGSL kernel did not compile or a dispatch was refused (a bug of the renderer).
    #[error("wgpu refused the kernel of node '{node}' ({op}): {msg}")]
    Kernel {
        /// The node's name.
        node: String,
        /// The node's op name.
        op: String,
        /// wgpu's message.
        msg: String,
    },
    /// The device could not run or read back the work.
    #[error("wgpu: {0}")]
    Runtime(String),
    /// The plan needs a bigger storage buffer than the device binds.
    #[error(
        "the plan needs a {bytes}-byte storage buffer, the device binds at most {limit} bytes"
    )]
    TooLarge {
        /// The size asked for.
        bytes: u64,
        /// The device's limit.
        limit: u64,
    },
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
    /// A kernel failed (an index out of range, an integer division by zero, …) or the step
    /// cannot be rendered.
    #[error("node '{node}' ({op}): {msg}")]
    Node {
        /// The node's name.
        node: String,
        /// The node's op name.
        op: String,
        /// What went wrong.
        msg: String,
    },
}
