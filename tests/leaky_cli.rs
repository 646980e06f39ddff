//! The leaky cell through the command line: `inspect` shows α, β, γ and v_leak, `run --record`
//! writes its current, and the reference runs it.

mod common;

use common::*;

const LIF: &str = r#"graph lif {
  input x: f32[6,2,3]
  z, v, u = IAF(x) {v_th = 0.5, v_reset = 0.0, method = "super", alpha = 10.0, order = "integrate_then_fire", reset = "subtract", alpha_syn = 0.5, beta = [0.9, 0.8, 0.7], gamma = 0.25, v_leak = -0.125}
  p = IAF(z) {v_th = 1.0, v_reset = 0.0, method = "super", alpha = 10.0, order = "integrate_then_fire", spikes = "none", reset = "none", beta = 0.5, gamma = 0.5}
  output z, v, u, p
}
"#;

fn model(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    let m = dir.join("lif.snn");
    std::fs::write(&m, LIF).unwrap();
    m
}

#[test]
fn inspect_shows_the_leak() {
    let m = model("leaky-inspect");
    let text = snnc_ok(&["inspect", m.to_str().unwrap()]);
    assert!(text.contains("LIF '"), "a leaky cell is listed as LIF: {text}");
    assert!(text.contains("α = 0.5, β = [0.9, 0.8, 0.7], γ = 0.25, v_leak = -0.125"), "{text}");
    assert!(text.contains("LI '"), "the integrator is listed as LI: {text}");
    let json: serde_json::Value =
        serde_json::from_str(&snnc_ok(&["inspect", m.to_str().unwrap(), "--json"])).unwrap();
    let cells = json["cells"].as_array().unwrap();
    let lif = cells.iter().find(|c| c["kind"] == "LIF").expect("a LIF cell");
    assert_eq!(lif["alpha_syn"], serde_json::json!([0.5]));
    assert_eq!(lif["beta"].as_array().unwrap().len(), 3);
    assert_eq!(lif["v_leak"][0].as_f64().unwrap(), -0.125);
    let li = cells.iter().find(|c| c["kind"] == "LI").expect("an LI cell");
    assert_eq!(li["spikes"], "none");
}

#[test]
fn record_writes_the_current_and_the_integrators_potential() {
    let m = model("leaky-record");
    let out = scratch("leaky-record-out").join("rec.npz");
    snnc_ok(&["run", m.to_str().unwrap(), "--record", "--output", out.to_str().unwrap()]);
    let arrays = npz(&out);
    let key = |suffix: &str| -> Vec<String> {
        arrays.iter().map(|(k, _)| k.clone()).filter(|k| k.ends_with(suffix)).collect()
    };
    assert_eq!(key("/u").len(), 1, "the current of the one cell that has one");
    assert_eq!(key("/z").len(), 1, "the integrator has no spikes");
    let u = get(&arrays, &key("/u")[0]).to_f64();
    let last_u = u.index_axis(ndarray::Axis(0), 5).to_owned().into_dyn();
    assert_eq!(last_u, get(&arrays, "u").to_f64(), "the last current is U_T");
    let li_v = key("/v")
        .into_iter()
        .find(|k| !key("/u").iter().any(|u| u.trim_end_matches("/u") == k.trim_end_matches("/v")))
        .unwrap();
    assert_eq!(
        get(&arrays, &li_v).to_f64(),
        get(&arrays, "p").to_f64(),
        "LI's output is its potential"
    );
}
