//! Every fixture in `models/fixtures/*/model.onnx` imports and matches its `meta.json`/`ops.txt`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use snnc_ir::{Graph, Op};
use snnc_onnx::{input_signature, load_onnx, ImportOptions};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("models/fixtures exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.join("model.onnx").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 11, "expected the 11 fixtures, found {}", dirs.len());
    dirs
}

fn meta(dir: &Path) -> Json {
    let text = std::fs::read_to_string(dir.join("meta.json")).expect("meta.json");
    serde_json::from_str(&text).expect("meta.json parses")
}

fn names(v: &Json) -> Vec<String> {
    v.as_array().expect("array").iter().map(|x| x.as_str().expect("string").to_string()).collect()
}

fn load(dir: &Path) -> Graph {
    let g = load_onnx(&dir.join("model.onnx"), &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    snnc_ir::verify(&g).unwrap_or_else(|e| panic!("{}: verify: {e}", dir.display()));
    g
}

fn value_names(g: &Graph, ids: &[snnc_ir::ValueId]) -> Vec<String> {
    ids.iter().map(|&id| g.value(id).name.clone()).collect()
}

#[test]
fn every_fixture_imports_and_verifies_with_its_inputs_and_outputs() {
    for dir in fixtures() {
        let g = load(&dir);
        let m = meta(&dir);
        assert_eq!(value_names(&g, g.inputs()), names(&m["inputs"]), "{}", dir.display());
        assert_eq!(value_names(&g, g.outputs()), names(&m["outputs"]), "{}", dir.display());
        let sig = input_signature(&dir.join("model.onnx")).expect("signature");
        let sig_names: Vec<String> = sig.iter().map(|(n, _, _)| n.clone()).collect();
        assert_eq!(sig_names, names(&m["inputs"]), "{}", dir.display());
        let inputs = snnc_arrays::read_npz(&dir.join("inputs.npz")).expect("inputs.npz");
        for (name, dims, dtype) in &sig {
            let (_, t) = inputs.iter().find(|(n, _)| n == name).expect("input in inputs.npz");
            let dims: Vec<usize> = dims.iter().map(|d| d.expect("fixed dims")).collect();
            assert_eq!(dims, t.shape(), "{}: input {name}", dir.display());
            assert_eq!(*dtype, t.dtype(), "{}: input {name}", dir.display());
        }
    }
}

#[test]
fn every_fixture_has_its_initializers_and_gradient_keys() {
    for dir in fixtures() {
        let g = load(&dir);
        let m = meta(&dir);
        let inits: BTreeMap<String, Vec<usize>> = g
            .initializers()
            .iter()
            .map(|(&id, t)| (g.value(id).name.clone(), t.shape().to_vec()))
            .collect();
        for (name, shape) in m["initializers"].as_object().expect("initializers") {
            let shape: Vec<usize> = shape
                .as_array()
                .expect("shape")
                .iter()
                .map(|d| d.as_u64().expect("dim") as usize)
                .collect();
            assert_eq!(inits.get(name), Some(&shape), "{}: initializer {name}", dir.display());
        }
        let inputs = value_names(&g, g.inputs());
        for grads in m["grads"].as_array().expect("grads") {
            let file = dir.join(grads["file"].as_str().expect("file"));
            for (key, t) in snnc_arrays::read_npz(&file).expect("grads npz") {
                let id =
                    g.find(&key).unwrap_or_else(|| panic!("{}: no value {key}", dir.display()));
                assert!(inits.contains_key(&key) || inputs.contains(&key), "{key}");
                assert_eq!(g.ty(id).shape, t.shape(), "{}: gradient {key}", dir.display());
            }
        }
    }
}

fn ops_txt(dir: &Path) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(dir.join("ops.txt")).expect("ops.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (op, n) = l.split_once(':').expect("op: count");
            let op = op.trim().strip_prefix("snn.").unwrap_or(op.trim()).to_string();
            (op, n.trim().parse().expect("count"))
        })
        .collect()
}

#[test]
fn every_fixture_has_the_op_histogram_of_its_ops_txt() {
    for dir in fixtures() {
        let g = load(&dir);
        assert_eq!(g.op_histogram(), ops_txt(&dir), "{}", dir.display());
    }
}

fn f32s(v: &Json) -> Vec<f32> {
    match v {
        Json::Array(a) => a.iter().map(|x| x.as_f64().expect("number") as f32).collect(),
        x => vec![x.as_f64().expect("number") as f32],
    }
}

#[test]
fn custom_op_fixtures_carry_their_snn_attributes() {
    let mut checked = 0;
    for dir in fixtures() {
        let m = meta(&dir);
        let Some(attrs) = m["snn_attributes"].as_object() else { continue };
        let g = load(&dir);
        for (node, a) in attrs {
            let n = g.find_node(node).unwrap_or_else(|| panic!("{}: node {node}", dir.display()));
            let p = n.op.iaf_params().expect("an IAF op");
            assert_eq!(p.v_th, f32s(&a["v_th"]), "{node}");
            assert_eq!(p.v_reset, f32s(&a["v_reset"]), "{node}");
            assert_eq!(p.surrogate.method.name(), a["method"].as_str().expect("method"));
            assert_eq!(p.surrogate.alpha, a["alpha"].as_f64().expect("alpha") as f32);
            assert_eq!(p.order.name(), a["order"].as_str().expect("order"));
            checked += 1;
        }
    }
    assert!(checked >= 12, "checked {checked} snn nodes");
}

#[test]
fn norse_export_gemms_keep_their_attributes() {
    let g = load(&fixtures().into_iter().find(|d| d.ends_with("ff_t8")).expect("ff_t8"));
    let gemms: Vec<_> = g.nodes().iter().filter(|n| n.op.name() == "Gemm").collect();
    assert_eq!(gemms.len(), 16);
    for n in gemms {
        assert!(matches!(n.op, Op::Gemm { trans_b: true, trans_a: false, .. }), "{:?}", n.op);
    }
}
