use thiserror::Error;

/// Everything that can go wrong while rendering, compiling or running a plan on CUDA.
#[derive(Debug, Error)]
pub enum CudaError {
    /// The plan cannot be rendered (a size past a CUDA launch limit, an inconsistent plan).
    #[error("cannot render step {step} ({kernel}) for CUDA: {msg}")]
    Render {
        /// Index of the step in its program.
        step: usize,
        /// The kernel's name.
        kernel: &'static str,
        /// What is wrong.
        msg: String,
    },
    /// NVRTC is not installed or cannot be loaded.
    #[error(
        "NVRTC (libnvrtc.so.12) is not available: install it with `python3 -m pip install \
         nvidia-cuda-nvrtc-cu12` and put its lib directory on LD_LIBRARY_PATH, e.g. \
         export LD_LIBRARY_PATH=$(python3 -c 'import nvidia.cuda_nvrtc as m; print(m.__path__[0])')/lib"
    )]
    NoNvrtc,
    /// NVRTC rejected a rendered source (a renderer bug): the compile log.
    #[error("NVRTC failed to compile {name} for {arch}: {log}")]
    Compile {
        /// The module's name.
        name: String,
        /// The target architecture.
        arch: String,
        /// NVRTC's log.
        log: String,
    },
    /// CUDA is not usable here: the feature is off, or no driver or device was found.
    #[error("CUDA is unavailable: {0}")]
    Unavailable(String),
    /// A CUDA driver or cuBLAS call failed.
    #[error("CUDA {call} failed: {msg}")]
    Driver {
        /// The call.
        call: &'static str,
        /// The driver's message.
        msg: String,
    },
    /// An input or upstream gradient does not fit the plan (same rules as the CPU engine).
    #[error("{0}")]
    Input(String),
    /// A kernel reported an error (a Gather index out of range, an integer division by zero,
    /// non-binary spikes).
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
