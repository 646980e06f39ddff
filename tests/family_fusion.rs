//! What the optimizer makes of every library-export fixture (models/family), from
//! `snnc inspect --json`: one fused cell per spiking layer, with the family the library's
//! cell has (SPEC §1.1), and an optimized graph whose size does not depend on T.

mod common;

use common::*;
use serde_json::Value;

/// Why sinabs' multi-spike `IAFRecurrent` runs its recurrent layer unfused.
const RECURRENT_MULTI: &str = "the recurrent cell ops hand the previous step's spikes to the \
     next as bits (every compiled engine's recurrent kernel sums R's columns of the active \
     neurons), so a recurrent layer whose spikes are counts (sinabs' MultiSpike) stays unfused \
     and runs as exported: correct on every engine, one step at a time, its size growing with T";

/// Fixtures whose optimized graph has more or fewer cells than spiking layers, and why.
const CELLS: &[(&str, usize, &str)] = &[
    ("sinabs_iaf_rec_multi_subtract", 1, RECURRENT_MULTI),
    ("sinabs_iaf_rec_multi_subtract_t8", 1, RECURRENT_MULTI),
    ("sinabs_iaf_rec_multi_subtract_t32", 1, RECURRENT_MULTI),
    (
        "snntorch_leaky_zero",
        3,
        "snnTorch exposes the last layer's potential before its reset, and this export passes V0 \
     (init_leaky's zeros, a parameter) to both of the cells the IF rules read: one \
     integrate-then-fire cell for the spikes, one fire-then-integrate cell for that potential. \
     They are one cell with V_T before the reset only when the fire-then-integrate cell's \
     first decision, on V0, cannot fire, which a given V0 does not promise (leak-mem-itf \
     merges them when V0 is left out, as in the subtract exports)",
    ),
];

fn inspect(name: &str) -> Value {
    let model = family_fixture(name).join("model.onnx");
    let out = snnc_ok(&["inspect", model.to_str().unwrap(), "--json"]);
    serde_json::from_str(&out).expect("inspect --json is JSON")
}

/// The family meta.json records for the library's cell.
fn expected_family(meta: &Value) -> [String; 3] {
    let s = |k: &str| meta[k].as_str().unwrap_or_default().to_string();
    [s("threshold"), s("reset"), s("spikes")]
}

#[test]
fn every_spiking_layer_is_one_fused_cell_of_the_library_family() {
    for name in all_family_fixtures() {
        let doc = inspect(&name);
        let meta = meta_at(&family_fixture(&name));
        let cells = doc["cells"].as_array().unwrap();
        let want = CELLS.iter().find(|c| c.0 == name).map_or(2, |c| c.1);
        assert_eq!(cells.len(), want, "{name}: {}", doc["cells"]);
        assert_eq!(doc["optimizer"]["fell_back"], Value::Null, "{name}");
        let [threshold, reset, spikes] = expected_family(&meta);
        for c in cells {
            assert_eq!(c["threshold"], threshold.as_str(), "{name}: {c}");
            assert_eq!(c["reset"], reset.as_str(), "{name}: {c}");
            assert_eq!(c["spikes"], spikes.as_str(), "{name}: {c}");
        }
    }
}

#[test]
fn optimized_node_count_does_not_depend_on_t() {
    for base in [
        "sj_hard_s",
        "snntorch_leaky_subtract",
        "sinabs_iaf_multi_subtract",
        "sinabs_iaf_rec_single_subtract",
    ] {
        let counts: Vec<(String, u64)> = ["_t8", "", "_t32"]
            .iter()
            .map(|sfx| {
                let name = format!("{base}{sfx}");
                let n = inspect(&name)["optimized"]["nodes"].as_u64().unwrap();
                (name, n)
            })
            .collect();
        assert!(counts.iter().all(|c| c.1 == counts[0].1), "{counts:?}");
        let imported: Vec<u64> = ["_t8", "_t32"]
            .iter()
            .map(|sfx| inspect(&format!("{base}{sfx}"))["imported"]["nodes"].as_u64().unwrap())
            .collect();
        assert!(imported[1] > imported[0], "{base}: the fixtures differ in T: {imported:?}");
    }
}

/// snnTorch's `RLeaky` (a recurrent Linear with a bias, and the input Linear's bias) fuses into
/// one `IAFRecurrent` over all 16 steps, whose input is the sequence widened by two columns
/// and whose weight carries each bias as a column; the next layer fuses over its spikes into
/// one cell that also reports `mem`, the potential before the last reset. The optimized
/// graph's size is that of the Leaky fixtures plus the cell's operands.
#[test]
fn rleaky_is_one_recurrent_cell() {
    let doc = inspect("snntorch_rleaky_subtract");
    let cells = doc["cells"].as_array().unwrap();
    let kinds: Vec<(&str, u64, u64)> = cells
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap(),
                c["neurons"].as_u64().unwrap(),
                c["steps"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds, [("IAFRecurrent", 32, 16), ("IAF", 10, 16)], "{doc}");
    assert_eq!(cells[1]["v_out"], "before_reset", "{}", cells[1]);
    assert_eq!(cells[0]["input_op"], "Concat", "{}", cells[0]);
    let ops = &doc["optimized"]["ops"];
    assert_eq!(ops["IAFRecurrent"], 1, "{ops}");
    assert_eq!(ops["Gemm"], Value::Null, "{ops}");
    assert_eq!(ops["SpikeLinear"], 1, "{ops}");
    assert!(doc["optimized"]["nodes"].as_u64().unwrap() <= 10, "{}", doc["optimized"]);
    assert_eq!(doc["imported"]["nodes"], 256);
}
