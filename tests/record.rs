//! `snnc run --record`: every cell's traces in the output file, consistent with the outputs.

mod common;

use common::*;

/// The Norse export's two cells: potentials, pre-reset potentials and spikes per step; the last
/// cell's spikes are the model's spike output and its last potential the model's V_T.
#[test]
fn record_writes_every_cells_traces() {
    let tmp = scratch("record");
    let out = tmp.join("rec.npz");
    let model = fixture("ff_t16").join("model.onnx");
    let text =
        snnc_ok(&["run", model.to_str().unwrap(), "--record", "--output", out.to_str().unwrap()]);
    assert!(text.contains("recorded 6 traces of 2 cells"), "{text}");
    let arrays = npz(&out);
    let keys: Vec<&str> = arrays.iter().map(|(k, _)| k.as_str()).collect();
    let cells: Vec<&str> = keys.iter().filter_map(|k| k.strip_prefix("cell/")).collect();
    assert_eq!(cells.len(), 6, "{keys:?}");
    let last = cells.iter().filter_map(|k| k.strip_suffix("/z")).max().unwrap().to_string();
    let z = get(&arrays, &format!("cell/{last}/z")).to_f64();
    assert_eq!(z, get(&arrays, "spikes").to_f64(), "the last cell's spikes are the output");
    let v = get(&arrays, &format!("cell/{last}/v")).to_f64();
    let t = v.shape()[0];
    let v_t = v.index_axis(ndarray::Axis(0), t - 1).to_owned().into_dyn();
    assert_eq!(v_t, get(&arrays, "v_final").to_f64(), "the last potential is V_T");
    for (k, a) in &arrays {
        if k.starts_with("cell/") {
            assert_eq!(a.shape()[0], 16, "{k} has T steps");
        }
    }
}

/// `--record` needs `--output`, and a graph without cells is an error, not an empty record.
#[test]
fn record_refuses_what_it_cannot_do() {
    let model = fixture("ff_t16").join("model.onnx");
    let out = snnc(&["run", model.to_str().unwrap(), "--record"]);
    assert_eq!(out.status.code(), Some(1), "a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--output"));
    let tmp = scratch("record-none");
    let text_model = tmp.join("relu.snn");
    std::fs::write(&text_model, "graph g {\n  input x: f32[4,2,3]\n  y = Relu(x)\n  output y\n}\n")
        .unwrap();
    let o = tmp.join("o.npz");
    let out =
        snnc(&["run", text_model.to_str().unwrap(), "--record", "--output", o.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no neuron cell") && err.contains("relu.snn"), "{err}");
    // A compiled plan has no graph to record from: a clear refusal, before any output.
    let plan = tmp.join("m.plan");
    snnc_ok(&["compile", model.to_str().unwrap(), "-o", plan.to_str().unwrap()]);
    let out = snnc(&["run", plan.to_str().unwrap(), "--record", "--output", o.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("compiled plan") && err.contains("m.plan"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "nothing ran");
    assert!(!o.exists(), "no file written");
}
