//! The wgpu engine behind the engines' common interface ([`snnc_plan::Engine`]).

use snnc_ir::Tensor;
use snnc_plan::{EngineError, Named, Wrt};

use crate::Engine;

impl snnc_plan::Engine for Engine<'_> {
    fn name(&self) -> &'static str {
        "wgpu"
    }

    fn run(&mut self, inputs: &[(String, Tensor)]) -> Result<Named, EngineError> {
        Engine::run(self, inputs).map_err(|e| EngineError::new("wgpu", e))
    }

    fn grad(
        &mut self,
        inputs: &[(String, Tensor)],
        grad_outputs: &[(String, Tensor)],
        wrt: Wrt,
    ) -> Result<Named, EngineError> {
        Engine::grad(self, inputs, grad_outputs, wrt)
            .map(|g| g.grads)
            .map_err(|e| EngineError::new("wgpu", e))
    }
}
