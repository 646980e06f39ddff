//! `snnc export --nir` round trip: the export of NIR files and ONNX fixtures is read, written
//! and read again by the Python `nir` package (node types and parameters survive; each neuron
//! of an original NIR file has a twin), then `snnc run` of the export gives the original's
//! outputs on the same input. Python's `nir` is required: without it this test fails.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tmp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("nirx-export-{}-{name}", std::process::id()))
}

fn snnc(args: &[&str]) -> String {
    let out =
        Command::new(env!("CARGO_BIN_EXE_snnc")).args(args).current_dir(root()).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "snnc {args:?} failed:\n{text}");
    text
}

fn python(args: &[&str]) -> String {
    let script = root().join("tests/nir_export_check.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is needed for this test (pip install nir==1.0.8): {e}")
        });
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{script:?} {args:?} failed (is the Python `nir` package installed? scripts/setup.sh \
         installs nir==1.0.8):\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// One model: its path, the import options, the exported outputs, the input shape, and the
/// node-type histogram the export must have.
struct Case {
    model: &'static str,
    opts: &'static [&'static str],
    outputs: &'static [&'static str],
    input: &'static str,
    types: &'static str,
}

const CASES: &[Case] = &[
    Case {
        model: "models/nir/two_lif_neurons.nir",
        opts: &[],
        outputs: &["out"],
        input: "40,2,1",
        types: r#"{"Input": 1, "LIF": 2, "Linear": 2, "Output": 1}"#,
    },
    Case {
        model: "models/nir/braille_noDelay_bias_zero.nir",
        opts: &[],
        outputs: &["output"],
        input: "40,2,12",
        types: r#"{"Affine": 3, "CubaLIF": 2, "Input": 1, "Output": 1}"#,
    },
    Case {
        model: "models/nir/braille_noDelay_noBias_subtract.nir",
        opts: &["--nir-reset", "subtract"],
        outputs: &["output"],
        input: "40,2,12",
        types: r#"{"CubaLIF": 2, "Input": 1, "Linear": 3, "Output": 1}"#,
    },
    Case {
        model: "models/fixtures/ff_t8/model.onnx",
        opts: &[],
        outputs: &["spikes"],
        input: "8,2,6",
        types: r#"{"Affine": 2, "IF": 2, "Input": 1, "Output": 1}"#,
    },
    Case {
        model: "models/leaky/norse_lif/model.onnx",
        opts: &[],
        outputs: &["spikes"],
        input: "16,4,20",
        types: r#"{"Affine": 2, "CubaLIF": 2, "Input": 1, "Output": 1}"#,
    },
];

#[test]
fn exports_survive_python_nir_and_run_the_same() {
    for (i, c) in CASES.iter().enumerate() {
        let out = tmp(&format!("{i}.nir"));
        let (o, outs) = (out.to_str().unwrap(), c.outputs.join(","));
        let t = c.input.split(',').next().unwrap();
        let dim = format!("T={t}");
        let mut args = vec!["export", "--nir", o, c.model, "--outputs", &outs, "--dim", &dim];
        args.extend(c.opts);
        snnc(&args);
        let again = tmp(&format!("{i}-again.nir"));
        let mut py = vec!["roundtrip", o, again.to_str().unwrap()];
        if c.model.ends_with(".nir") {
            py.push(c.model);
        }
        assert_eq!(python(&py).trim(), c.types, "{}", c.model);
        let x = tmp(&format!("{i}-x.npy"));
        python(&["input", c.input, x.to_str().unwrap()]);
        let (a, b) = (tmp(&format!("{i}-a.npz")), tmp(&format!("{i}-b.npz")));
        for (m, r) in [(c.model, &a), (o, &b)] {
            let mut run = vec!["run", m, "--input", x.to_str().unwrap(), "-o", r.to_str().unwrap()];
            run.extend(c.opts);
            snnc(&run);
        }
        let mut cmp = vec!["compare", a.to_str().unwrap(), b.to_str().unwrap()];
        cmp.extend(c.outputs);
        python(&cmp);
        for p in [&out, &again, &x, &a, &b] {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[test]
fn what_nir_cannot_express_is_refused_naming_the_node() {
    let out = tmp("refused.nir");
    let o = out.to_str().unwrap();
    for (model, extra, want) in [
        ("models/fixtures/ff_t8/model.onnx", vec![], "node 'IAF_3' (IAF) outputs a final state"),
        (
            "models/fixtures/seed_order_t8/model.onnx",
            vec!["--outputs", "spikes"],
            "fire_then_integrate",
        ),
        (
            "models/leaky/sj_lif_soft_s/model.onnx",
            vec!["--outputs", "spikes"],
            "node 'IAF_9' (IAF): spikes at v ≥ v_th",
        ),
    ] {
        let mut args = vec!["export", "--nir", o, model];
        args.extend(extra);
        let r = Command::new(env!("CARGO_BIN_EXE_snnc"))
            .args(&args)
            .current_dir(root())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{model}: {err}");
        assert!(err.contains(want) && err.contains(model), "{model}: {err}");
        assert!(!out.exists(), "{model}: a refused export wrote a file");
    }
}
