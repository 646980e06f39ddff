use std::path::PathBuf;

use snnc_ir::IrError;
use thiserror::Error;

/// Why a `.nir` file could not be read or lowered. Every variant names the file; node-level
/// problems also name the node (its path, `outer/inner` inside nested graphs) and its NIR type.
#[derive(Debug, Error)]
pub enum NirError {
    /// The file could not be read.
    #[error("{}: cannot read the file: {source}", file.display())]
    Io {
        /// The NIR file.
        file: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bytes are not a readable HDF5 file (empty, truncated, garbage).
    #[error("{}: not a readable NIR (HDF5) file: {msg}", file.display())]
    Hdf5 {
        /// The NIR file.
        file: PathBuf,
        /// The HDF5 reader's message.
        msg: String,
    },
    /// The HDF5 layout is not NIR's (no `node` group, no `type`, a graph without nodes).
    #[error("{}: not a NIR graph: {msg}", file.display())]
    Format {
        /// The NIR file.
        file: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A node is malformed: a missing or ill-typed field, inconsistent shapes.
    #[error("{}: node '{node}' ({kind}): {msg}", file.display())]
    Node {
        /// The NIR file.
        file: PathBuf,
        /// The node's path.
        node: String,
        /// The node's NIR type (`LIF`, `Affine`, …).
        kind: String,
        /// What is wrong.
        msg: String,
    },
    /// A graph's edges are malformed (a node that does not exist, an input with inputs).
    #[error("{}: graph '{graph}': {msg}", file.display())]
    Graph {
        /// The NIR file.
        file: PathBuf,
        /// The graph's path (`(root)` for the top level).
        graph: String,
        /// What is wrong.
        msg: String,
    },
    /// A node that parses but that snnc cannot run yet.
    #[error("{}: {kind} node '{node}': {msg}", file.display())]
    Unsupported {
        /// The NIR file.
        file: PathBuf,
        /// The node's path.
        node: String,
        /// The node's NIR type.
        kind: String,
        /// Why.
        msg: String,
    },
    /// The IR rejected the lowered graph as a whole.
    #[error("{}: {source}", file.display())]
    Ir {
        /// The NIR file.
        file: PathBuf,
        /// The IR error.
        source: IrError,
    },
}
