//! Malformed `.nir` files are refused with an error naming the file and the node, never a
//! panic (models/nir/bad, written by models/nir/make_nir_files.py), and the gzip-compressed
//! files of nir 1.0.8 read like the uncompressed ones.

use std::path::{Path, PathBuf};

use snnc_nir::{load_nir, read_nir, read_nir_bytes, NirError, NirOptions};

fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/nir")
}

fn refused(name: &str) -> String {
    let path = models().join("bad").join(name);
    let err = load_nir(&path, &NirOptions::default()).expect_err(name);
    let msg = err.to_string();
    assert!(msg.contains(name), "{name}: the message names the file: {msg}");
    msg
}

#[test]
fn bad_files_name_the_node_and_the_problem() {
    for (name, want) in [
        ("missing_tau.nir", "node 'lif' (LIF): has no field 'tau'"),
        ("string_weight.nir", "node 'fc' (Affine): field 'weight' holds strings, not numbers"),
        ("unknown_type.nir", "node 'mystery' (Spline): unknown NIR node type 'Spline'"),
        ("negative_tau.nir", "node 'lif' (LIF): tau must be positive"),
        ("shape_mismatch.nir", "node 'fc' (Affine):"),
        (
            "nan_weight.nir",
            "node 'fc' (Linear): field 'weight' holds a value that is not a finite f32",
        ),
        ("lif_param_shapes.nir", "node 'lif' (LIF): tau has shape [2] but r has shape [1]"),
        ("no_node_group.nir", "not a NIR graph: the file has no 'node' group"),
        ("numeric_edges.nir", "field 'edges' holds numbers, not strings"),
        ("no_input.nir", "the graph has no Input node"),
    ] {
        let msg = refused(name);
        assert!(msg.contains(want), "{name}: {msg}");
    }
}

#[test]
fn truncated_and_garbage_bytes_are_refused() {
    let path = models().join("two_lif_neurons.nir");
    let bytes = std::fs::read(&path).unwrap();
    for cut in [0, 8, 100, 512, bytes.len() / 2, bytes.len() - 1] {
        let r = read_nir_bytes(Path::new("cut.nir"), bytes[..cut].to_vec());
        let err = r.expect_err("a truncated file");
        assert!(err.to_string().starts_with("cut.nir: "), "{err}");
    }
    let mut flipped = bytes.clone();
    for i in (0..flipped.len()).step_by(97) {
        flipped[i] ^= 0x5a;
    }
    // Garbage either fails to read or reads as something else; it must not panic.
    let _ = read_nir_bytes(Path::new("flipped.nir"), flipped);
    let err = read_nir(&models().join("no-such.nir")).unwrap_err();
    assert!(matches!(err, NirError::Io { .. }), "{err}");
}

#[test]
fn gzip_files_of_nir_1_0_8_read_like_the_originals() {
    let a = read_nir(&models().join("lif_norse.nir")).unwrap();
    let b = read_nir(&models().join("lif_norse_gzip.nir")).unwrap();
    assert_eq!(b.version, "1.0.8");
    assert_eq!(a.graph.nodes.len(), b.graph.nodes.len());
    for (name, node) in &a.graph.nodes {
        let other = &b.graph.nodes[name];
        assert_eq!(node.name(), other.name(), "{name}");
        if let (snnc_nir::NodeKind::Neuron(x), snnc_nir::NodeKind::Neuron(y)) = (node, other) {
            // nir 1.0.8 adds the v_reset of zeros that older files lack.
            assert_eq!(x.tau_mem, y.tau_mem);
            assert_eq!(x.v_threshold, y.v_threshold);
            assert_eq!(x.v_reset, y.v_reset);
        }
    }
}

#[test]
fn bad_options_are_refused() {
    let path = models().join("lif_norse.nir");
    for o in [
        NirOptions { dt: 0.0, ..NirOptions::default() },
        NirOptions { dt: f64::NAN, ..NirOptions::default() },
        NirOptions { steps: 0, ..NirOptions::default() },
    ] {
        assert!(load_nir(&path, &o).is_err(), "{o:?}");
    }
}
