use std::path::PathBuf;

use snnc_ir::IrError;
use thiserror::Error;

/// Why an ONNX file could not be imported. Every variant names the file; node-level problems
/// also name the node and its op (`domain:op_type` outside the default domain).
#[derive(Debug, Error)]
pub enum OnnxError {
    /// The file could not be read.
    #[error("{}: cannot read the file: {source}", file.display())]
    Io {
        /// The model file.
        file: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bytes are not an ONNX model (empty, garbage, truncated protobuf, no graph).
    #[error("{}: not a valid ONNX model: {msg}", file.display())]
    Parse {
        /// The model file.
        file: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A model-level problem (opset, graph outputs, duplicate names, …).
    #[error("{}: {msg}", file.display())]
    Model {
        /// The model file.
        file: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A graph input is ill-declared (type, unknown or unbound symbolic dimension, size).
    #[error("{}: graph input '{input}': {msg}", file.display())]
    Input {
        /// The model file.
        file: PathBuf,
        /// The input's name.
        input: String,
        /// What is wrong.
        msg: String,
    },
    /// An initializer cannot be loaded (element type, data size, external data location).
    #[error("{}: initializer '{name}': {msg}", file.display())]
    Initializer {
        /// The model file.
        file: PathBuf,
        /// The initializer's name.
        name: String,
        /// What is wrong.
        msg: String,
    },
    /// One or more nodes use ops this frontend does not support; all of them are listed.
    #[error("{}: {} unsupported op{}: {}", file.display(), nodes.len(),
        if nodes.len() == 1 { "" } else { "s" }, list_nodes(nodes))]
    Unsupported {
        /// The model file.
        file: PathBuf,
        /// `(node name, op)` for every unsupported node, in model order.
        nodes: Vec<(String, String)>,
    },
    /// A node is malformed, refers to missing values, or fails IR type inference.
    #[error("{}: node '{node}' ({op}): {msg}", file.display())]
    Node {
        /// The model file.
        file: PathBuf,
        /// The node's name (generated as `{op_type}_{index}` when the model leaves it empty).
        node: String,
        /// The op: `op_type`, prefixed with `domain:` outside the default domain.
        op: String,
        /// What is wrong.
        msg: String,
    },
    /// The IR rejected the imported graph as a whole.
    #[error("{}: {source}", file.display())]
    Ir {
        /// The model file.
        file: PathBuf,
        /// The IR error.
        source: IrError,
    },
}

fn list_nodes(nodes: &[(String, String)]) -> String {
    let parts: Vec<String> = nodes.iter().map(|(n, op)| format!("node '{n}' ({op})")).collect();
    parts.join(", ")
}
