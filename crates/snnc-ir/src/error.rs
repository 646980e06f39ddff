use thiserror::Error;

/// Errors raised while building or verifying a graph.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum IrError {
    /// A node is ill-typed or ill-formed; names the node and its op.
    #[error("node '{node}' ({op}): {msg}")]
    Node {
        /// The node's name.
        node: String,
        /// The node's op name.
        op: String,
        /// What is wrong.
        msg: String,
    },
    /// The graph as a whole is ill-formed (dangling edges, duplicate names, missing outputs, …).
    #[error("{0}")]
    Graph(String),
}

impl IrError {
    /// Shorthand for an [`IrError::Node`].
    pub fn node(node: &str, op: &str, msg: impl Into<String>) -> Self {
        IrError::Node { node: node.to_string(), op: op.to_string(), msg: msg.into() }
    }
}
