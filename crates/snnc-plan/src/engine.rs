//! The interface every compiled engine (cpu, wgpu, cuda) implements, so that tools and tests
//! drive them through one code path.

use snnc_ir::Tensor;

use crate::Wrt;

/// A named tensor, as engines take inputs and give outputs and gradients.
pub type Named = Vec<(String, Tensor)>;

/// An engine's failure, with the engine's name and its own error as the source.
#[derive(Debug, thiserror::Error)]
#[error("{engine} engine: {source}")]
pub struct EngineError {
    /// `cpu`, `wgpu` or `cuda`.
    pub engine: &'static str,
    /// The engine's own error.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl EngineError {
    /// Wraps `source`, an error of engine `engine`.
    pub fn new(
        engine: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        EngineError { engine, source: Box::new(source) }
    }
}

/// An engine bound to one [`crate::Plan`]: runs its inference and training programs.
///
/// Contract, the same for every engine: `run` returns the outputs in graph order, in their
/// dtypes; `grad` runs forward and backward from `grad_outputs` (keyed by output name, a
/// missing one is zero) and returns the gradients `wrt` asks for, float graph inputs first,
/// then float initializers, keyed by name. A plan an engine cannot run (a kernel it does not
/// implement) is an error naming the node, never a wrong result.
pub trait Engine {
    /// The engine's name: `cpu`, `wgpu` or `cuda`.
    fn name(&self) -> &'static str;

    /// Runs the inference program on `inputs`.
    fn run(&mut self, inputs: &[(String, Tensor)]) -> Result<Named, EngineError>;

    /// Runs the training program and returns the gradients `wrt` asks for.
    fn grad(
        &mut self,
        inputs: &[(String, Tensor)],
        grad_outputs: &[(String, Tensor)],
        wrt: Wrt,
    ) -> Result<Named, EngineError>;
}
