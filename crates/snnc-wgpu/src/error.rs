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
    /// The inputs or upstream gradients do not fit the plan.
    #[error(transparent)]
    Bind(#[from] snnc_ir::BindError),
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
