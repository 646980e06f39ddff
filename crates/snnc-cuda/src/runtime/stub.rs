//! The stand-in without the `cuda` feature.

use snnc_ir::Tensor;
use snnc_plan::{Plan, StepTime, Wrt};

use crate::{CudaError, Options};

fn off() -> CudaError {
    CudaError::Unavailable(
        "snnc was built without the `cuda` feature (rebuild with `--features cuda`)".into(),
    )
}

/// The name of the GPU the engine would use; without the `cuda` feature, always an error.
pub fn available() -> Result<String, CudaError> {
    Err(off())
}

/// The CUDA engine; without the `cuda` feature it cannot be built.
pub struct Engine<'p> {
    _plan: &'p Plan,
}

impl<'p> Engine<'p> {
    /// Always [`CudaError::Unavailable`] without the `cuda` feature.
    pub fn new(plan: &'p Plan, _options: Options) -> Result<Self, CudaError> {
        let _ = plan;
        Err(off())
    }

    /// Never reached (the engine cannot be built).
    pub fn run(
        &mut self,
        _inputs: &[(String, Tensor)],
    ) -> Result<Vec<(String, Tensor)>, CudaError> {
        Err(off())
    }

    /// Never reached (the engine cannot be built).
    pub fn grad(
        &mut self,
        _inputs: &[(String, Tensor)],
        _grad_outputs: &[(String, Tensor)],
        _wrt: Wrt,
    ) -> Result<Vec<(String, Tensor)>, CudaError> {
        Err(off())
    }

    /// Never reached (the engine cannot be built).
    pub fn profile(&mut self, _training: bool, _wrt: Wrt) -> Result<Vec<StepTime>, CudaError> {
        Err(off())
    }
}
