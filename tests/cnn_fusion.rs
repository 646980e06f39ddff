//! What the optimizer makes of the spiking CNNs (models/cnn, and NIR's `cnn_sinabs.nir`), from
//! `snnc inspect --json`: the per-step convolutions, pools and reshapes of the unrolled export
//! become one op over the whole sequence, every IF layer one `IAF` cell over all T steps, and
//! the optimized graph's size does not depend on T. That the optimized graphs compute the
//! library's outputs and gradients is tests/fixtures.rs's `cnn::*` (reference engine).

mod common;

use common::*;
use serde_json::Value;

fn inspect(model: &str, extra: &[&str]) -> Value {
    let mut args = vec!["inspect", model, "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&snnc_ok(&args)).expect("inspect --json is JSON")
}

fn inspect_cnn(name: &str) -> Value {
    inspect(cnn_fixture(name).join("model.onnx").to_str().unwrap(), &[])
}

/// The neurons of the NIR paper's CNN's five IF layers (34×34 input): Conv 5×5 stride 2 pad 1
/// → 16×16×16, Conv 3×3 pad 1 → 16×16×16, SumPool 2 then Conv 3×3 pad 1 → 8×8×8, Linear 256,
/// Linear 10; smallest first.
const NEURONS: [u64; 5] = [10, 256, 512, 4096, 4096];

/// Checks that `doc` has one `IAF` cell of `steps` steps per IF layer and one convolution per
/// conv layer, and returns its optimized node count.
fn rerolled(what: &str, doc: &Value, steps: u64) -> u64 {
    assert_eq!(doc["optimizer"]["fell_back"], Value::Null, "{what}");
    let cells = doc["cells"].as_array().unwrap();
    let mut neurons: Vec<u64> = cells.iter().map(|c| c["neurons"].as_u64().unwrap()).collect();
    neurons.sort_unstable();
    assert_eq!(neurons, NEURONS, "{what}: {}", doc["cells"]);
    for c in cells {
        assert_eq!(c["kind"], "IAF", "{what}: {c}");
        assert_eq!(c["steps"], steps, "{what}: {c}");
    }
    let ops = &doc["optimized"]["ops"];
    assert_eq!(ops["Conv"], 3, "{what}: {ops}");
    doc["optimized"]["nodes"].as_u64().unwrap()
}

/// sinabs squeezes batch and time into one batch-major image axis and transposes it to
/// time-major around each IF layer: with `reshape-window` and `transpose-push` the transposes
/// between the convolutional layers cancel, which leaves the input's (before the first
/// convolution), the one before the flatten, and two around each dense layer's cell; the
/// 16×16×16 layers' 4096-neuron sequences are never transposed.
#[test]
fn sinabs_cnn_transposes_cancel_between_convolutions() {
    for name in ["sinabs_cnn", "sinabs_cnn_t32"] {
        let doc = inspect_cnn(name);
        let ops = &doc["optimized"]["ops"];
        assert_eq!(ops["Transpose"], 6, "{name}: {ops}");
    }
}

#[test]
fn cnn_exports_optimize_to_one_graph_size_for_every_t() {
    for lib in ["norse", "sinabs"] {
        let mut counts = Vec::new();
        let mut imported = Vec::new();
        for (sfx, t) in [("", 8), ("_t16", 16), ("_t32", 32)] {
            let name = format!("{lib}_cnn{sfx}");
            let doc = inspect_cnn(&name);
            assert_eq!(meta_at(&cnn_fixture(&name))["T"], t, "{name}");
            counts.push((name.clone(), rerolled(&name, &doc, t)));
            imported.push(doc["imported"]["nodes"].as_u64().unwrap());
        }
        assert!(counts.iter().all(|c| c.1 == counts[0].1), "{counts:?}");
        assert!(imported[0] < imported[1] && imported[1] < imported[2], "{lib}: {imported:?}");
    }
}

#[test]
fn the_nir_cnn_optimizes_to_one_graph_size_for_every_t() {
    // The NIR frontend unrolls the graph over T (docs/nir.md), every layer per step as Norse's
    // export does; NIR starts from v = 0, which an IF cell's default state (v_reset = 0) is.
    let m = root().join("models/nir/cnn_sinabs.nir");
    let m = m.to_str().unwrap();
    let mut counts = Vec::new();
    let mut imported = Vec::new();
    for t in [4u64, 8] {
        let dim = format!("T={t}");
        let doc = inspect(m, &["--dim", &dim, "--dim", "B=2"]);
        counts.push(rerolled(&dim, &doc, t));
        imported.push(doc["imported"]["nodes"].as_u64().unwrap());
    }
    assert_eq!(counts[0], counts[1], "optimized nodes at T = 4, 8");
    assert!(imported[0] < imported[1], "the imports differ in T: {imported:?}");
}
