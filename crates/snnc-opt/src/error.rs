//! The optimizer's error type.

use thiserror::Error;

/// Why a graph could not be optimized.
#[derive(Debug, Error)]
pub enum OptError {
    /// The input graph does not pass the verifier.
    #[error("the imported graph is invalid: {0}")]
    Invalid(#[from] snnc_ir::IrError),
    /// The input graph could not be loaded into the e-graph.
    #[error("cannot load the graph into the e-graph: {0}")]
    Import(String),
}
