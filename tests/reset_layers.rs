//! A per-layer `--reset-grad` through the command line: `inspect` numbers the spiking layers
//! with a reset, a list of the wrong length is a user error that names the file and the
//! layers, the optimizer fuses each layer with its own choice, and a `Detach` that stays
//! unfused runs on the compiled engine as on the reference.

mod common;

use common::*;

fn norse_lif_recurrent() -> String {
    leaky_fixture("norse_lif_recurrent").join("model.onnx").to_str().unwrap().to_string()
}

#[test]
fn inspect_numbers_the_layers_and_fuses_each_with_its_choice() {
    let m = norse_lif_recurrent();
    let text = snnc_ok(&["inspect", &m, "--stage", "imported"]);
    assert!(text.contains("layer 1: 16 comparisons from node_gt\n"), "{text}");
    assert!(text.contains("layer 2: 16 comparisons from node_gt_1\n"), "{text}");
    for (flag, want) in [
        ("detached,attached", ["detached", "attached"]),
        ("attached,detached", ["attached", "detached"]),
        ("detached", ["detached", "detached"]),
    ] {
        let out = snnc_ok(&["inspect", &m, "--json", "--reset-grad", flag]);
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let cells: Vec<&str> = doc["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reset_grad"].as_str().unwrap())
            .collect();
        assert_eq!(cells, want, "--reset-grad {flag}");
        assert_eq!(doc["reset_layers"].as_array().unwrap().len(), 2);
        // Detach nodes fuse away with their cells.
        assert!(doc["optimized"]["ops"].get("Detach").is_none(), "{flag}: {}", doc["optimized"]);
    }
}

#[test]
fn a_list_of_the_wrong_length_names_the_file_and_the_layers() {
    let m = norse_lif_recurrent();
    let o = scratch("reset-layers-wrong").join("g.npz");
    let out = snnc(&[
        "grad",
        &m,
        "-o",
        o.to_str().unwrap(),
        "--reset-grad",
        "detached,attached,attached",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("norse_lif_recurrent/model.onnx"), "{err}");
    assert!(err.contains("gives 3 choices, but the model has 2 spiking layers"), "{err}");
    assert!(err.contains("node_gt_1"), "{err}");
    let out = snnc(&["grad", &m, "-o", o.to_str().unwrap(), "--reset-grad", "detached,sideways"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sideways"), "{err}");
}

/// `y = x·Detach(x) + x`: dy/dx = x + 1 (not 2x + 1), on the reference and on the compiled
/// engine, where the `Detach` reaches the plan unfused.
const DETACHED_PRODUCT: &str = r#"graph detached_product {
  input x: f32[2,3]
  d = Detach(x)
  p = Mul(x, d)
  y = Add(p, x)
  output y
}
"#;

#[test]
fn an_unfused_detach_passes_no_gradient_on_every_engine() {
    let dir = scratch("reset-layers-detach");
    let m = dir.join("detach.snn");
    std::fs::write(&m, DETACHED_PRODUCT).unwrap();
    let x = [0.5f32, -1.0, 2.0, 0.25, 3.0, -0.75];
    let xs = dir.join("x.npy");
    let t = snnc_ir::Tensor::from_f64(
        snnc_ir::DType::F32,
        ndarray::ArrayD::from_shape_vec(vec![2, 3], x.iter().map(|&v| f64::from(v)).collect())
            .unwrap(),
    );
    snnc_arrays::write_npy(&xs, &t).unwrap();
    for engine in ["ref", "cpu"] {
        let o = dir.join(format!("g-{engine}.npz"));
        snnc_ok(&[
            "grad",
            m.to_str().unwrap(),
            "--input",
            xs.to_str().unwrap(),
            "-o",
            o.to_str().unwrap(),
            "--engine",
            engine,
        ]);
        let got = npz(&o);
        let g = get(&got, "x").to_f64();
        let want: Vec<f64> = x.iter().map(|&v| f64::from(v) + 1.0).collect();
        assert_eq!(g.iter().copied().collect::<Vec<_>>(), want, "{engine}");
    }
    snnc_ok(&["check", m.to_str().unwrap()]);
}
