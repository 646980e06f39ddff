use snnc_ir::{BindError, IrError};
use thiserror::Error;

/// Everything that can go wrong while interpreting a graph.
///
/// Runtime failures name the node (its name and op); input problems name the input and say
/// exactly what was expected and what was given.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InterpError {
    /// The graph itself does not verify.
    #[error("invalid graph: {0}")]
    Graph(#[from] IrError),
    /// The inputs or upstream gradients do not fit the graph.
    #[error(transparent)]
    Bind(#[from] BindError),
    /// A node failed at run time (an index out of range, an integer division by zero, a value
    /// too large, …).
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

impl InterpError {
    /// A [`InterpError::Node`] for `node`.
    pub(crate) fn node(node: &snnc_ir::Node, msg: impl Into<String>) -> Self {
        InterpError::Node {
            node: node.name.clone(),
            op: node.op.name().to_string(),
            msg: msg.into(),
        }
    }
}
