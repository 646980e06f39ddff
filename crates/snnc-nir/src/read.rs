//! Reading a `.nir` file: HDF5 bytes → [`NirFile`].

use std::path::Path;

use crate::graph::parse_graph;
use crate::h5::{read_tree, Data};
use crate::{NirError, NirGraph};

/// The largest `.nir` file read (1 GiB), checked before reading.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// A `.nir` file, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct NirFile {
    /// The `version` string of the nir package that wrote it.
    pub version: String,
    /// The top-level graph.
    pub graph: NirGraph,
}

/// Reads and parses the `.nir` file at `path`: every node's fields and shapes are checked, and
/// nested graphs are parsed, but edges are not resolved (see [`lower`](crate::lower)).
pub fn read_nir(path: &Path) -> Result<NirFile, NirError> {
    let io = |source| NirError::Io { file: path.to_path_buf(), source };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(NirError::Format {
            file: path.to_path_buf(),
            msg: format!("the file has {len} bytes, more than the limit of {MAX_FILE_BYTES}"),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    read_nir_bytes(path, bytes)
}

/// As [`read_nir`], from the file's bytes (`path` only names it in messages).
pub fn read_nir_bytes(path: &Path, bytes: Vec<u8>) -> Result<NirFile, NirError> {
    let file = path.to_path_buf();
    let tree = read_tree(bytes).map_err(|msg| NirError::Hdf5 { file: file.clone(), msg })?;
    let format = |msg: &str| NirError::Format { file: file.clone(), msg: msg.to_string() };
    let version = match tree.data.get("version") {
        Some(Data::Str { values, .. }) if values.len() == 1 => values[0].clone(),
        Some(_) => return Err(format("'version' is not a string")),
        None => return Err(format("the file has no 'version'")),
    };
    let node = tree.groups.get("node").ok_or_else(|| format("the file has no 'node' group"))?;
    match node.data.get("type") {
        Some(Data::Str { values, .. }) if values.len() == 1 && values[0] == "NIRGraph" => {}
        _ => return Err(format("the 'node' group is not a NIRGraph")),
    }
    let graph = parse_graph("", node, 0).map_err(|f| NirError::Node {
        file: file.clone(),
        node: f.node,
        kind: f.kind,
        msg: f.msg,
    })?;
    Ok(NirFile { version, graph })
}

/// The names of the top-level Input nodes (the lowered graph's inputs), in order.
pub fn input_names(nir: &NirFile) -> Vec<String> {
    nir.graph
        .nodes
        .iter()
        .filter(|(_, k)| matches!(k, crate::NodeKind::Input(_)))
        .map(|(n, _)| n.clone())
        .collect()
}
