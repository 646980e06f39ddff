//! The CUDA engine behind the engines' common interface ([`snnc_plan::Engine`]), with or
//! without the `cuda` feature (without it, no engine can be built).

use snnc_ir::Tensor;
use snnc_plan::{EngineError, Named, Wrt};

use super::Engine;

impl snnc_plan::Engine for Engine<'_> {
    fn name(&self) -> &'static str {
        "cuda"
    }

    fn run(&mut self, inputs: &[(String, Tensor)]) -> Result<Named, EngineError> {
        Engine::run(self, inputs).map_err(|e| EngineError::new("cuda", e))
    }

    fn grad(
        &mut self,
        inputs: &[(String, Tensor)],
        grad_outputs: &[(String, Tensor)],
        wrt: Wrt,
    ) -> Result<Named, EngineError> {
        Engine::grad(self, inputs, grad_outputs, wrt).map_err(|e| EngineError::new("cuda", e))
    }
}
