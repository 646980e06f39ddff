//! NIR models through the command line: run, grad, check and compile on the reference
//! interpreter and the cpu engine; the options a plan records; refusals that name the node.

mod common;

use common::*;

fn nir(name: &str) -> String {
    root().join("models/nir").join(name).to_string_lossy().into_owned()
}

const RUNNABLE: [&str; 3] =
    ["braille_noDelay_bias_zero.nir", "braille_noDelay_noBias_subtract.nir", "two_lif_neurons.nir"];

#[test]
fn nir_models_run_and_differentiate_on_ref_and_cpu() {
    for name in RUNNABLE {
        let m = nir(name);
        let dir = scratch(&format!("nir-run-{name}"));
        let mut outs = Vec::new();
        for engine in ["ref", "cpu"] {
            let out = dir.join(format!("{engine}.npz"));
            let o = out.to_str().unwrap();
            snnc_ok(&["run", &m, "--dim", "T=24", "--dim", "B=3", "--engine", engine, "-o", o]);
            let arrays = npz(&out);
            assert_eq!(arrays.len(), 1, "{name}: one output");
            outs.push(arrays[0].1.clone());
            let grads = dir.join(format!("{engine}-grads.npz"));
            let g = grads.to_str().unwrap();
            snnc_ok(&["grad", &m, "--dim", "T=24", "--dim", "B=3", "--engine", engine, "-o", g]);
            let grads = npz(&grads);
            let weights: Vec<&String> =
                grads.iter().map(|(k, _)| k).filter(|k| k.ends_with(".weight")).collect();
            assert!(weights.len() >= 2, "{name} on {engine}: weight gradients {weights:?}");
            for (k, t) in &grads {
                assert!(t.to_f64().iter().all(|x| x.is_finite()), "{name} {engine}: {k}");
            }
        }
        assert_eq!(outs[0].shape()[..2], [24, 3], "{name}: [T, B, ...]");
        assert_eq!(outs[0], outs[1], "{name}: ref and cpu outputs agree");
    }
}

#[test]
fn check_compares_ref_and_cpu_on_nir_models() {
    for name in RUNNABLE {
        snnc_ok(&["check", &nir(name), "--dim", "T=16", "--dim", "B=2"]);
    }
}

#[test]
fn braille_spikes_under_its_paper_input_scale() {
    // The generated input (uniform in [0, 1)) drives the recurrent layer to spike at dt = 1e-4.
    let dir = scratch("nir-braille-spikes");
    let out = dir.join("o.npz");
    let m = nir("braille_noDelay_bias_zero.nir");
    let text = snnc_ok(&["run", &m, "--dim", "T=64", "-o", out.to_str().unwrap()]);
    assert!(text.contains("output"), "{text}");
}

#[test]
fn a_plan_records_the_nir_options() {
    let dir = scratch("nir-plan");
    let plan = dir.join("b.plan");
    let p = plan.to_str().unwrap();
    let m = nir("braille_noDelay_noBias_subtract.nir");
    snnc_ok(&[
        "compile",
        &m,
        "-o",
        p,
        "--dt",
        "0.0002",
        "--nir-reset",
        "subtract",
        "--nir-current",
        "paper",
        "--dim",
        "T=8",
    ]);
    let loaded = snnc_plan::Plan::load(&plan).unwrap();
    let meta: Vec<(String, String)> = loaded.meta().to_vec();
    let want = [("nir.dt", "0.0002"), ("nir.reset", "subtract"), ("nir.current", "paper")];
    for (k, v) in want {
        assert!(meta.contains(&(k.to_string(), v.to_string())), "{meta:?}");
    }
    assert_eq!(loaded.inputs()[0].shape, vec![8, 1, 12]);
    let out = dir.join("o.npz");
    snnc_ok(&["run", p, "-o", out.to_str().unwrap()]);
    assert_eq!(npz(&out)[0].1.shape(), &[8, 1, 7]);
}

#[test]
fn the_nir_options_change_the_result() {
    let dir = scratch("nir-options");
    let m = nir("braille_noDelay_noBias_subtract.nir");
    let x = dir.join("x.npy");
    let ones = snnc_ir::Tensor::F32(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[40, 1, 12]), 1.0));
    snnc_arrays::write_npy(&x, &ones).unwrap();
    let run = |extra: &[&str], tag: &str| {
        let out = dir.join(format!("{tag}.npz"));
        let mut args = vec!["run", &m, "--input", x.to_str().unwrap(), "-o", out.to_str().unwrap()];
        args.extend_from_slice(extra);
        snnc_ok(&args);
        npz(&out)[0].1.clone()
    };
    let base = run(&[], "base");
    assert!(base.to_f64().iter().any(|&z| z > 0.0), "the output layer spikes");
    assert_ne!(
        base,
        run(&["--nir-current", "paper"], "paper"),
        "the paper's order delays the current"
    );
    assert_ne!(base, run(&["--dt", "0.0005"], "dt"), "dt sets the decays");
}

#[test]
fn refused_nir_files_exit_1_naming_the_file_and_the_node() {
    let name = "braille_noDelay_bias_zero_subgraph.nir";
    let want = "graph 'lif1': edge 'input' → 'lif' names node 'lif', which does not exist";
    let out = snnc(&["run", &nir(name)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{name}: {err}");
    assert!(err.contains(name) && err.contains(want), "{name}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let dir = scratch("nir-bad");
    let bytes = std::fs::read(nir("two_lif_neurons.nir")).unwrap();
    let cut = dir.join("cut.nir");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    let out = snnc(&["inspect", cut.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cut.nir") && !err.contains("panicked"), "{err}");
    let out = snnc(&["run", &nir("two_lif_neurons.nir"), "--dt=0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dt must be a positive number"));
}

#[test]
fn the_sinabs_cnn_runs_and_differentiates_on_ref_and_cpu() {
    // NIR's Flatten(start_dim=0) is over the per-sample shape: T and B stay.
    let dir = scratch("nir-cnn");
    let m = nir("cnn_sinabs.nir");
    let (t, b) = (10, 2);
    let mut s: u64 = 7;
    let x = ndarray::ArrayD::from_shape_fn(ndarray::IxDyn(&[t, b, 2, 34, 34]), |_| {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        f32::from(u8::from((s >> 33) % 100 < 5))
    });
    let xp = dir.join("x.npy");
    snnc_arrays::write_npy(&xp, &snnc_ir::Tensor::F32(x)).unwrap();
    let xs = xp.to_str().unwrap();
    let dims = ["--dim", "T=10", "--dim", "B=2"];
    let mut outs = Vec::new();
    let mut all_grads = Vec::new();
    for engine in ["ref", "cpu"] {
        let out = dir.join(format!("{engine}.npz"));
        let mut args =
            vec!["run", &m, "--engine", engine, "--input", xs, "-o", out.to_str().unwrap()];
        args.extend_from_slice(&dims);
        snnc_ok(&args);
        let y = npz(&out);
        assert_eq!(y.len(), 1);
        assert_eq!(y[0].1.shape(), &[t, b, 10]);
        assert!(y[0].1.to_f64().iter().all(|&z| z == 0.0 || z == 1.0), "{engine}: spikes");
        assert!(y[0].1.to_f64().iter().any(|&z| z > 0.0), "{engine}: the output IF layer fires");
        outs.push(y[0].1.clone());

        let grads = dir.join(format!("{engine}-g.npz"));
        let mut args =
            vec!["grad", &m, "--engine", engine, "--input", xs, "-o", grads.to_str().unwrap()];
        args.extend_from_slice(&dims);
        snnc_ok(&args);
        let grads = npz(&grads);
        for w in ["0.weight", "0.bias", "2.weight", "5.weight", "9.weight", "11.weight"] {
            let g = get(&grads, w);
            assert!(g.to_f64().iter().all(|v| v.is_finite()), "{engine} {w}");
            assert!(g.to_f64().iter().any(|&v| v != 0.0), "{engine} {w}: a gradient reaches it");
        }
        assert_eq!(get(&grads, "0.weight").shape(), &[16, 2, 5, 5]);
        all_grads.push(grads);
    }
    assert_eq!(outs[0], outs[1], "ref and cpu spikes agree");
    // The cpu engine sums in f32, the interpreter in f64: gradients agree to SPEC §5's 1e-4.
    for (name, want) in &all_grads[0] {
        let (a, w) = (get(&all_grads[1], name).to_f64(), want.to_f64());
        assert_eq!(a.len(), w.len(), "{name}");
        for (x, y) in a.iter().zip(&w) {
            assert!((x - y).abs() <= 1e-4 * y.abs().max(1.0), "{name}: cpu {x} ref {y}");
        }
    }
    let mut args = vec!["check", &m, "--input", xs];
    args.extend_from_slice(&dims);
    snnc_ok(&args);
}
