//! What the optimizer makes of every leaky-cell library export (models/leaky), from
//! `snnc inspect --json`: one fused cell per layer, of the kind, parameters (α, β, γ, v_leak,
//! SPEC §1.2) and family (SPEC §1.1) its meta.json records, and an optimized graph whose size
//! does not depend on T. That the fused graphs compute the library's outputs and gradients
//! (`--stage optimized` against outputs.npz and grads_*.npz) is tests/fixtures.rs's
//! `leaky::*::optimized`.

mod common;

use common::*;
use serde_json::Value;

/// Fixtures whose optimized graph has fewer cells than layers, and why.
const UNFUSED: &[(&str, usize, &str)] = &[(
    "sinabs_lif_rec_multi",
    1,
    "the recurrent cell ops hand the previous step's spikes to the next as bits (every \
     compiled engine's recurrent kernel sums R's columns of the active neurons), so sinabs' \
     multi-spike LIFRecurrent, whose recurrent term reads spike counts, stays unfused and \
     runs as exported (correct on every engine, one step at a time)",
)];

fn inspect(name: &str) -> Value {
    let model = leaky_fixture(name).join("model.onnx");
    let out = snnc_ok(&["inspect", model.to_str().unwrap(), "--json"]);
    serde_json::from_str(&out).expect("inspect --json is JSON")
}

/// The cell kind `inspect` reports for a library's cell.
fn kind(cell: &str) -> &'static str {
    match cell {
        "LICell" | "ExpLeak" => "LI",
        "LIFRecurrentCell" | "RLeaky" | "RSynaptic" | "LIFRecurrent" => "LIFRecurrent",
        _ => "LIF",
    }
}

/// The amount a fixture's subtract reset removes where the library subtracts after the decay
/// (meta.json's `deviation`, snnTorch: v_th/β); `None` where it is SPEC §1.1's v_th.
fn reset_amount(meta: &Value) -> Option<f64> {
    let d = &meta["deviation"];
    (d["kind"] == "subtract_after_decay").then(|| d["subtract_amount"].as_f64().unwrap())
}

/// Whether every value of the per-neuron list `got` is within 1e-6 of `want`.
fn close(got: &Value, want: f64) -> bool {
    let v = got.as_array().expect("a list of values");
    !v.is_empty() && v.iter().all(|x| (x.as_f64().unwrap() - want).abs() <= 1e-6)
}

#[test]
fn every_leaky_layer_is_one_fused_cell_with_the_library_parameters() {
    for name in all_leaky_fixtures() {
        let doc = inspect(&name);
        let meta = meta_at(&leaky_fixture(&name));
        let layers = meta["layers"].as_array().unwrap();
        let cells = doc["cells"].as_array().unwrap();
        let unfused = UNFUSED.iter().find(|u| u.0 == name);
        assert_eq!(cells.len(), unfused.map_or(layers.len(), |u| u.1), "{name}: {}", doc["cells"]);
        assert_eq!(doc["optimizer"]["fell_back"], Value::Null, "{name}");
        let amount = reset_amount(&meta);
        // The cells are in node order, which is layer order; an unfused layer's cells are the
        // last ones.
        let layers = &layers[layers.len() - cells.len()..];
        for (c, l) in cells.iter().zip(layers) {
            let k = kind(l["cell"].as_str().unwrap());
            assert_eq!(c["kind"], k, "{name}: {c}");
            for (got, want) in [("alpha_syn", "alpha"), ("beta", "beta"), ("gamma", "gamma")] {
                let w = l[want].as_f64().unwrap();
                assert!(close(&c[got], w), "{name}: {got} {} ≠ {w}", c[got]);
            }
            let vl = l["v_leak"].as_f64().unwrap();
            assert!(close(&c["v_leak"], vl), "{name}: v_leak {} ≠ {vl}", c["v_leak"]);
            assert_eq!(c["reset"], l["reset"], "{name}: {c}");
            assert_eq!(c["spikes"], l["spikes"], "{name}: {c}");
            if k != "LI" {
                assert_eq!(c["threshold"], l["threshold"], "{name}: {c}");
                assert!(close(&c["v_th"], l["v_th"].as_f64().unwrap()), "{name}: {c}");
                assert!(close(&c["v_reset"], l["v_reset"].as_f64().unwrap()), "{name}: {c}");
            }
            if l["reset"] == "subtract" {
                let want = amount.unwrap_or_else(|| l["v_th"].as_f64().unwrap());
                assert!(close(&c["reset_amount"], want), "{name}: reset amount {c}");
            } else {
                assert_eq!(c["reset_amount"], Value::Null, "{name}: {c}");
            }
        }
    }
}

#[test]
fn optimized_node_count_does_not_depend_on_t() {
    for base in [
        "norse_lif",
        "norse_lif_li",
        "sj_lif_hard_s",
        "sinabs_lif_multi",
        "sinabs_lif_rec_single",
        "snntorch_leaky_subtract",
        "snntorch_rleaky",
        "snntorch_rsynaptic",
    ] {
        let docs: Vec<(String, Value)> = ["_t8", "", "_t32"]
            .iter()
            .map(|s| format!("{base}{s}"))
            .map(|n| {
                let d = inspect(&n);
                (n, d)
            })
            .collect();
        let counts: Vec<(&str, u64)> = docs
            .iter()
            .map(|(n, d)| (n.as_str(), d["optimized"]["nodes"].as_u64().unwrap()))
            .collect();
        assert!(counts.iter().all(|c| c.1 == counts[0].1), "{counts:?}");
        let imported: Vec<u64> =
            docs.iter().map(|(_, d)| d["imported"]["nodes"].as_u64().unwrap()).collect();
        assert!(imported[0] < imported[1] && imported[1] < imported[2], "{base}: {imported:?}");
    }
}

#[test]
fn snntorch_subtract_after_decay_folds_to_one_op_per_layer() {
    // snnTorch's state starts at 0 and its first step's reset is 0·thr, which the export
    // folds; the feed-forward layers then read as the cell from its default initial state, so
    // each layer is one op over all T steps beside its Linear (2 Linears + 2 cells), a
    // synaptic one also with the product the export computes its initial current U0 from.
    for (name, nodes) in [("snntorch_leaky_subtract", 4), ("snntorch_synaptic", 6)] {
        let doc = inspect(name);
        assert_eq!(doc["optimized"]["nodes"], nodes, "{name}: {}", doc["optimized"]);
        for c in doc["cells"].as_array().unwrap() {
            assert_eq!(c["steps"], 16, "{name}: {c}");
            assert_eq!(c["v_out"], "before_reset", "{name}: {c}");
        }
    }
}

#[test]
fn norse_cells_fold_their_exported_first_step() {
    // Norse's cells start from `None` (v = v_leak, i = 0), which the export folds into its first
    // step; that step reads as the cell's step from the default initial state, so each layer
    // is one op over all T = 16 steps and the first Linear hoists into it.
    for (name, nodes) in
        [("norse_lif", 6), ("norse_lif_li", 6), ("norse_lif_vleak", 6), ("norse_lifbox", 4)]
    {
        let doc = inspect(name);
        assert_eq!(doc["optimized"]["nodes"], nodes, "{name}: {}", doc["optimized"]);
        for c in doc["cells"].as_array().unwrap() {
            assert_eq!(c["steps"], 16, "{name}: {c}");
        }
    }
}
