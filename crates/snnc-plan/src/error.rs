use std::path::PathBuf;

use snnc_ir::IrError;
use thiserror::Error;

/// Everything that can go wrong while compiling, saving or loading a plan.
#[derive(Debug, Error)]
pub enum PlanError {
    /// The graph does not verify.
    #[error("invalid graph: {0}")]
    Graph(#[from] IrError),
    /// A node cannot be lowered (names the node and its op).
    #[error("node '{node}' ({op}): {msg}")]
    Node {
        /// The node's name.
        node: String,
        /// The node's op name.
        op: String,
        /// What is wrong.
        msg: String,
    },
    /// The plan file could not be read or written.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The plan file is not a valid plan of this version (corrupt, truncated, another format
    /// version, or inconsistent contents).
    #[error("{file}: {msg}")]
    File {
        /// The file (`<memory>` for bytes that did not come from a file).
        file: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A plan's contents are inconsistent (found by [`Plan::validate`](crate::Plan::validate)).
    #[error("invalid plan: {0}")]
    Invalid(String),
}

impl PlanError {
    /// A [`PlanError::Node`] for `node`.
    pub(crate) fn node(node: &snnc_ir::Node, msg: impl Into<String>) -> Self {
        PlanError::Node { node: node.name.clone(), op: node.op.name().to_string(), msg: msg.into() }
    }
}
