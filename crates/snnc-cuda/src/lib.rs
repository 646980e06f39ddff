//! snnc's CUDA backend.
//!
//! [`render`] turns a compiled [`Plan`](snnc_plan::Plan) into CUDA C: one module (`.cu`
//! source) per program, inference and training, with one or more `extern "C"` kernels per
//! step and the launch of each ([`Launch`]: grid, block, shared memory, arguments as plan
//! buffers). The source is a pure function of the plan: every size, stride, threshold and
//! surrogate is a constant in the text, so the same plan always renders the same bytes.
//!
//! * integrate-and-fire layers are one thread per neuron with the whole time loop inside
//!   (forward and reverse), spikes saved bit-packed (`u32` words, one bit per neuron);
//! * recurrent layers are one thread block per batch row (spikes of the previous step in
//!   shared memory, the recurrent product event-driven);
//! * spike-linear layers and their weight gradients skip inactive inputs;
//! * elementwise programs are straight-line code over registers;
//! * dense products are a tiled kernel of the module, which the runtime replaces by cuBLAS
//!   where the operand layout allows ([`GemmDesc`]).
//!
//! Kernels are compiled with `--fmad=false` so that every f32 operation rounds like the CPU
//! engine's (spikes and potentials of the IAF kernels are bitwise the CPU engine's).
//!
//! With the feature `nvrtc`, [`nvrtc`] compiles rendered sources with NVRTC (loaded at run
//! time; no GPU or driver needed). With the feature `cuda`, [`run`] and [`grad`] execute a plan
//! on the first GPU, mirroring `snnc_cpu`'s API; without it (or without a driver) they return
//! [`CudaError::Unavailable`].

#![warn(missing_docs)]

mod error;
#[cfg(feature = "nvrtc")]
pub mod nvrtc;
mod render;
mod runtime;

pub use error::CudaError;
pub use render::{
    render, render_program, Arg, GemmDesc, GemmOperand, Launch, ProgramSource, Source, StepCode,
    BITS_PER_WORD,
};
pub use runtime::{available, grad, run, Engine, Options};
pub use snnc_plan::Wrt;
