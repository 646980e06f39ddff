//! Writing a [`NirFile`] as the HDF5 layout the `nir` Python package writes (1.0.x): a
//! `version` string and a `node` group holding the `NIRGraph` (`type`, `nodes/<name>/…`,
//! `edges` [E, 2]). Strings are variable-length UTF-8 (h5py's `string_dtype()`), parameters
//! float32 arrays, `Input`/`Output` shapes int64. Nested graphs and the convolution and pooling
//! nodes are not written (snnc never produces them).

use std::path::Path;

use hdf5_pure::{FileBuilder, GroupBuilder};

use crate::{Array, NirError, NirFile, NirGraph, NodeKind};

/// The `version` string written: the nir release whose layout the file follows.
pub const WRITTEN_VERSION: &str = "1.0.8";

/// Serializes `nir` to HDF5 bytes (`path` only names the file in messages).
pub fn write_nir_bytes(path: &Path, nir: &NirFile) -> Result<Vec<u8>, NirError> {
    let mut fb = FileBuilder::new();
    fb.create_dataset("version").with_vlen_strings(&[nir.version.as_str()]).with_shape(&[]);
    let mut node = fb.create_group("node");
    graph_group(path, &mut node, &nir.graph)?;
    fb.add_group(node.finish());
    fb.finish().map_err(|e| NirError::Hdf5 { file: path.to_path_buf(), msg: e.to_string() })
}

/// Writes `nir` to `path`.
pub fn write_nir(path: &Path, nir: &NirFile) -> Result<(), NirError> {
    let bytes = write_nir_bytes(path, nir)?;
    std::fs::write(path, bytes).map_err(|source| NirError::Io { file: path.to_path_buf(), source })
}

fn string(g: &mut GroupBuilder, name: &str, value: &str) {
    g.create_dataset(name).with_vlen_strings(&[value]).with_shape(&[]);
}

fn array(g: &mut GroupBuilder, name: &str, a: &Array) {
    let shape: Vec<u64> = a.shape.iter().map(|&d| d as u64).collect();
    g.create_dataset(name).with_f32_data(&a.data).with_shape(&shape);
}

fn graph_group(path: &Path, g: &mut GroupBuilder, graph: &NirGraph) -> Result<(), NirError> {
    string(g, "type", "NIRGraph");
    let flat: Vec<&str> = graph.edges.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]).collect();
    g.create_dataset("edges").with_vlen_strings(&flat).with_shape(&[graph.edges.len() as u64, 2]);
    let mut nodes = g.create_group("nodes");
    for (name, kind) in &graph.nodes {
        if name.is_empty() || name.contains('/') || name == "." {
            return Err(NirError::Node {
                file: path.to_path_buf(),
                node: name.clone(),
                kind: kind.name().into(),
                msg: "a NIR node name must be non-empty and hold no '/'".into(),
            });
        }
        let mut n = nodes.create_group(name);
        node_group(path, name, &mut n, kind)?;
        nodes.add_group(n.finish());
    }
    g.add_group(nodes.finish());
    Ok(())
}

fn node_group(path: &Path, name: &str, g: &mut GroupBuilder, k: &NodeKind) -> Result<(), NirError> {
    string(g, "type", k.name());
    match k {
        NodeKind::Input(i) => shape(g, &i.shape),
        NodeKind::Output(o) => shape(g, &o.shape),
        NodeKind::Affine(a) => {
            array(g, "weight", &a.weight);
            if let Some(b) = &a.bias {
                array(g, "bias", b);
            }
        }
        NodeKind::Scale(s) => array(g, "scale", &s.scale),
        NodeKind::Threshold(t) => array(g, "threshold", &t.threshold),
        NodeKind::Neuron(n) => {
            array(g, "r", &n.r);
            let tau = if n.kind.current_based() { "tau_mem" } else { "tau" };
            let fields = [
                (tau, &n.tau_mem),
                ("tau_syn", &n.tau_syn),
                ("v_leak", &n.v_leak),
                ("v_threshold", &n.v_threshold),
                ("v_reset", &n.v_reset),
                ("w_in", &n.w_in),
            ];
            for (f, v) in fields {
                if let Some(v) = v {
                    array(g, f, v);
                }
            }
        }
        other => {
            return Err(NirError::Unsupported {
                file: path.to_path_buf(),
                node: name.to_string(),
                kind: other.name().into(),
                msg: "snnc does not write this node type".into(),
            })
        }
    }
    Ok(())
}

fn shape(g: &mut GroupBuilder, s: &[usize]) {
    let v: Vec<i64> = s.iter().map(|&d| d as i64).collect();
    g.create_dataset("shape").with_i64_data(&v).with_shape(&[v.len() as u64]);
}
