//! NIR imports fuse: `snnc inspect --json` of two_lif_neurons and the Braille RNNs shows one
//! fused cell per NIR neuron node, with SPEC §1.2's parameters at dt = 1e-4. NIR starts from
//! v = 0, u = 0: a feed-forward cell reads its folded first step as the cell's step from that
//! state and covers all T steps; a recurrent one (and the cell after it) peels the first step,
//! covering T − 1 steps from the state the peeled step computed.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn cells(model: &str, extra: &[&str]) -> Vec<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_snnc"))
        .args(["inspect", model, "--json", "--stage", "optimized", "--dim", "T=12"])
        .args(extra)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["cells"].as_array().unwrap().clone()
}

fn close(v: &Value, want: f64) -> bool {
    v.as_array()
        .unwrap()
        .iter()
        .all(|x| (x.as_f64().unwrap() - want).abs() <= 1e-5 * (1.0 + want.abs()))
}

/// (kind, neurons, α, β, γ, v_leak, reset) of each cell.
fn check(model: &str, extra: &[&str], steps: u64, want: &[(&str, u64, f64, f64, f64, f64, &str)]) {
    let cs = cells(model, extra);
    assert_eq!(cs.len(), want.len(), "{model}: {cs:#?}");
    for (c, w) in cs.iter().zip(want) {
        assert_eq!(c["kind"], w.0, "{model}: {c:#}");
        assert_eq!(c["neurons"], w.1, "{model}: {c:#}");
        assert_eq!(c["steps"], steps, "{model}: {c:#}");
        assert_eq!(c["order"], "integrate_then_fire", "{model}: {c:#}");
        assert_eq!(c["reset"], w.6, "{model}: {c:#}");
        assert!(close(&c["alpha_syn"], w.2) && close(&c["beta"], w.3), "{model}: {c:#}");
        assert!(close(&c["gamma"], w.4) && close(&c["v_leak"], w.5), "{model}: {c:#}");
    }
}

#[test]
fn two_lif_neurons_fuses_into_two_lif_cells() {
    // tau = 0.01, r = 1, v_leak = 1.2 and 0: β = 1 − dt/τ = 0.99, γ = dt·r/τ = 0.01.
    check(
        "models/nir/two_lif_neurons.nir",
        &[],
        12,
        &[("LIF", 1, 0.0, 0.99, 0.01, 1.2, "value"), ("LIF", 1, 0.0, 0.99, 0.01, 0.0, "value")],
    );
}

#[test]
fn braille_rnns_fuse_into_a_recurrent_and_a_feed_forward_cuba_cell() {
    // bias_zero: lif1 τ_syn = 2.22e-4, τ_mem = 1e-3, r = 10: α = 0.55, β = 0.9, γ = 1
    // (w_in·dt/τ_syn = 1); lif2 τ_syn = 2e-4, τ_mem = 2.22e-4, r = 2.22: α = 0.5, β = 0.55, γ = 1.
    check(
        "models/nir/braille_noDelay_bias_zero.nir",
        &[],
        11,
        &[
            ("LIFRecurrent", 38, 0.55, 0.9, 1.0, 0.0, "value"),
            ("LIF", 7, 0.5, 0.55, 1.0, 0.0, "value"),
        ],
    );
    // noBias_subtract (40 hidden neurons): lif1 τ_syn = 4e-4, τ_mem = 6.67e-4, r = 6.67:
    // α = 0.75, β = 0.85; lif2 τ_syn = 1.82e-4, τ_mem = 3.33e-4, r = 3.33: α = 0.45, β = 0.7; γ = 1.
    check(
        "models/nir/braille_noDelay_noBias_subtract.nir",
        &["--nir-reset", "subtract"],
        11,
        &[
            ("LIFRecurrent", 40, 0.75, 0.85, 1.0, 0.0, "subtract"),
            ("LIF", 7, 0.45, 0.7, 1.0, 0.0, "subtract"),
        ],
    );
}
