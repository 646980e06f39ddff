//! Running plans on a GPU. With the feature `cuda`: NVRTC, the driver API and cuBLAS, loaded at
//! run time; without it, a stand-in whose every entry point says that CUDA is unavailable.

#[cfg(feature = "cuda")]
mod bind;
#[cfg(feature = "cuda")]
mod blas;
#[cfg(feature = "cuda")]
mod cache;
#[cfg(feature = "cuda")]
mod engine;
mod options;
mod plan_engine;
#[cfg(not(feature = "cuda"))]
mod stub;

#[cfg(feature = "cuda")]
pub use engine::{available, Engine};
pub use options::Options;
#[cfg(not(feature = "cuda"))]
pub use stub::{available, Engine};

use snnc_ir::Tensor;
use snnc_plan::{Plan, Wrt};

use crate::CudaError;

/// Runs `plan`'s inference program on the first GPU; outputs in graph order, like
/// `snnc_cpu::run`.
pub fn run(plan: &Plan, inputs: &[(String, Tensor)]) -> Result<Vec<(String, Tensor)>, CudaError> {
    Engine::new(plan, Options::default())?.run(inputs)
}

/// Runs `plan`'s training program on the first GPU and returns the gradients `wrt` asks for,
/// keyed like `snnc_cpu::grad` (float graph inputs, then float initializers).
pub fn grad(
    plan: &Plan,
    inputs: &[(String, Tensor)],
    grad_outputs: &[(String, Tensor)],
    wrt: Wrt,
) -> Result<Vec<(String, Tensor)>, CudaError> {
    Engine::new(plan, Options::default())?.grad(inputs, grad_outputs, wrt)
}
