//! The command line end to end: `inspect` output, Graphviz rendering, the text IR, and clean
//! errors (exit code 1, a message naming the file and the node, no panic) for bad input.

mod common;

use std::process::Command;

use common::*;

/// Runs `snnc` expecting a user error: exit code 1 and a message containing every `needle`.
fn expect_error(args: &[&str], needles: &[&str]) -> String {
    let out = snnc(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "snnc {}: expected exit 1, stderr: {err}",
        args.join(" ")
    );
    assert!(!err.contains("panicked"), "snnc panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks '{n}': {err}");
    }
    err
}

fn ops_txt(name: &str) -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(fixture(name).join("ops.txt")).unwrap();
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(op, n)| {
            let op = op.trim().trim_start_matches("snn.").to_string();
            (op, serde_json::Value::from(n.trim().parse::<u64>().unwrap()))
        })
        .collect()
}

#[test]
fn inspect_json_gives_node_count_and_op_histogram() {
    for name in all_fixtures() {
        let model = fixture(&name).join("model.onnx");
        let out = snnc_ok(&["inspect", model.to_str().unwrap(), "--json"]);
        let doc: serde_json::Value = serde_json::from_str(&out).expect("inspect --json is JSON");
        let want = ops_txt(&name);
        let total: u64 = want.values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(doc["imported"]["nodes"].as_u64(), Some(total), "{name}");
        assert_eq!(doc["imported"]["ops"].as_object(), Some(&want), "{name}");
    }
}

#[test]
fn inspect_text_lists_ops_and_io() {
    let model = fixture("ff_t8").join("model.onnx");
    let out = snnc_ok(&["inspect", model.to_str().unwrap()]);
    assert!(out.contains("nodes: 155"), "{out}");
    assert!(out.contains("Gemm") && out.contains("input   x"), "{out}");
}

#[test]
fn dot_output_renders_with_graphviz() {
    let tmp = scratch("dot");
    for name in ["ff_t8", "custom_recurrent_fti"] {
        let model = fixture(name).join("model.onnx");
        let dot = tmp.join(format!("{name}.dot"));
        snnc_ok(&["inspect", model.to_str().unwrap(), "--dot", dot.to_str().unwrap()]);
        let svg = tmp.join(format!("{name}.svg"));
        let status = Command::new("dot")
            .args(["-Tsvg", "-o", svg.to_str().unwrap(), dot.to_str().unwrap()])
            .status()
            .expect("Graphviz `dot` is installed (apt-get install graphviz)");
        assert!(status.success(), "dot rejected {}", dot.display());
        let svg = std::fs::read_to_string(svg).unwrap();
        assert!(svg.contains("<svg") && svg.contains("Gemm") || svg.contains("IAF"));
    }
}

#[test]
fn run_without_input_uses_a_deterministic_input() {
    let model = fixture("ff_t8").join("model.onnx");
    let a = snnc_ok(&["run", model.to_str().unwrap()]);
    let b = snnc_ok(&["run", model.to_str().unwrap()]);
    assert_eq!(a, b);
    assert!(a.contains("generated input") && a.contains("spikes") && a.contains("rate"), "{a}");
}

#[test]
fn grad_wrt_selects_params_or_inputs() {
    let dir = fixture("ff_t8");
    let tmp = scratch("wrt");
    let m = dir.join("model.onnx");
    let i = dir.join("inputs.npz");
    for (wrt, has_x, has_w) in
        [("params", false, true), ("inputs", true, false), ("all", true, true)]
    {
        let out = tmp.join(format!("{wrt}.npz"));
        snnc_ok(&[
            "grad",
            m.to_str().unwrap(),
            "--input",
            i.to_str().unwrap(),
            "--wrt",
            wrt,
            "--output",
            out.to_str().unwrap(),
        ]);
        let g = npz(&out);
        assert_eq!(g.iter().any(|(n, _)| n == "x"), has_x, "{wrt}");
        assert_eq!(g.iter().any(|(n, _)| n == "fc1.weight"), has_w, "{wrt}");
    }
}

#[test]
fn two_unsupported_ops_are_named_in_one_error() {
    let m = root().join("models/bad/two_unsupported.onnx");
    expect_error(
        &["run", m.to_str().unwrap()],
        &["two_unsupported.onnx", "norm_here", "LpNormalization", "frob_there", "Frobnicate"],
    );
}

#[test]
fn bad_models_are_refused_cleanly() {
    let bad = root().join("models/bad");
    for (file, needle) in [
        ("empty.onnx", "empty.onnx"),
        ("garbage.onnx", "garbage.onnx"),
        ("escaping_external.onnx", "escape.data"),
        ("missing_external.onnx", "missing.data"),
        ("bad_method.onnx", "foo"),
    ] {
        let m = bad.join(file);
        expect_error(&["inspect", m.to_str().unwrap()], &[file, needle]);
    }
    expect_error(&["inspect", bad.join("bad_method.onnx").to_str().unwrap()], &["bad_iaf"]);
    expect_error(&["run", "/nonexistent/model.onnx"], &["/nonexistent/model.onnx"]);
}

#[test]
fn bad_arguments_are_user_errors() {
    let dir = fixture("ff_t8");
    let m = dir.join("model.onnx");
    let m = m.to_str().unwrap();
    let tmp = scratch("badargs");
    let out = tmp.join("g.npz");
    let o = out.to_str().unwrap();
    expect_error(&["grad", m, "--surrogate", "softsign:3", "--output", o], &["softsign"]);
    expect_error(&["grad", m, "--surrogate", "super:-1", "--output", o], &["alpha"]);
    let unknown = ["unknown reset_grad 'sideways'", "attached or detached"];
    for cmd in [
        &["grad", m, "--output", o][..],
        &["compile", m, "-o", o],
        &["inspect", m],
        &["check", m],
        &["bench", m],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--reset-grad", "sideways"]);
        expect_error(&args, &unknown);
    }
    expect_error(&["run", m, "--input", "nope=whatever.npy"], &["nope", "x"]);
    let wrong = tmp.join("wrong.npy");
    snnc_arrays::write_npy(&wrong, &snnc_ir::Tensor::scalar_f32(1.0)).unwrap();
    expect_error(&["run", m, "--input", &format!("x={}", wrong.display())], &["'x'", "f32[8,2,6]"]);
    let garbage = tmp.join("garbage.npy");
    std::fs::write(&garbage, b"not an array").unwrap();
    expect_error(&["run", m, "--input", garbage.to_str().unwrap()], &["garbage.npy"]);
    let unwritable = "/nonexistent-dir/out.npz";
    expect_error(&["run", m, "--output", unwritable], &[unwritable]);
}

#[test]
fn text_ir_models_run_differentiate_and_report_positions() {
    let text = root().join("models/text");
    let ff2 = text.join("ff2.snn");
    let out = snnc_ok(&["run", ff2.to_str().unwrap()]);
    assert!(out.contains("spikes") && out.contains("f32[4,2,4]"), "{out}");
    let tmp = scratch("text");
    let g = tmp.join("g.npz");
    snnc_ok(&["grad", text.join("recurrent.snn").to_str().unwrap(), "-o", g.to_str().unwrap()]);
    let names: Vec<String> = npz(&g).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["x", "w_in", "w_rec", "readout.weight"]);
    let bad = tmp.join("bad.snn");
    std::fs::write(&bad, "graph g {\n  input x: f32[2]\n  y = Frob(x)\n  output y\n}\n").unwrap();
    expect_error(&["run", bad.to_str().unwrap()], &["bad.snn:3:", "Frob"]);
}

#[test]
fn check_compares_reference_and_cpu_engines() {
    let mut failures = Vec::new();
    for name in all_fixtures() {
        let model = fixture(&name).join("model.onnx");
        let out = snnc(&["check", model.to_str().unwrap(), "--surrogate", "tanh:2"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !stdout.contains("all match") {
            failures.push(format!("{name}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_excuses_a_decision_at_its_threshold() {
    // custom_iaf_fti fires before it integrates, with v_th = 1: V0[0,0] = 1 + 5e-6 puts one
    // decision within SPEC §5's tolerance of its threshold.
    let dir = fixture("custom_iaf_fti");
    let mut inputs = npz(&dir.join("inputs.npz"));
    let v0 = &mut inputs.iter_mut().find(|(n, _)| n == "V0").unwrap().1;
    let mut v = v0.to_f64();
    v[[0, 0]] = 1.000005;
    *v0 = snnc_ir::Tensor::from_f64(snnc_ir::DType::F32, v);
    let tmp = scratch("check-near");
    let file = tmp.join("inputs.npz");
    let named: Vec<(&str, &snnc_ir::Tensor)> =
        inputs.iter().map(|(n, t)| (n.as_str(), t)).collect();
    snnc_arrays::write_npz(&file, &named).unwrap();
    let model = dir.join("model.onnx");
    let out = snnc_ok(&["check", model.to_str().unwrap(), "--input", file.to_str().unwrap()]);
    assert!(out.contains("1 spike decisions within"), "{out}");
    assert!(out.contains("gradients not compared") && out.contains("all match"), "{out}");
}

#[test]
fn compiled_plans_run_and_corrupt_plans_are_refused() {
    let tmp = scratch("plans");
    let dir = fixture("ff_t8");
    let plan = tmp.join("ff.plan");
    let p = plan.to_str().unwrap();
    snnc_ok(&["compile", dir.join("model.onnx").to_str().unwrap(), "-o", p]);
    let a = snnc_ok(&["run", p]);
    let b = snnc_ok(&["run", dir.join("model.onnx").to_str().unwrap(), "--engine", "cpu"]);
    assert_eq!(a.lines().skip(2).collect::<Vec<_>>(), b.lines().skip(2).collect::<Vec<_>>());
    expect_error(&["run", p, "--engine", "ref"], &["ff.plan", "compiled plan"]);
    let bytes = std::fs::read(&plan).unwrap();
    let cut = tmp.join("cut.plan");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    expect_error(&["run", cut.to_str().unwrap()], &["cut.plan"]);
    let mut flipped = bytes.clone();
    let k = flipped.len() - 5;
    flipped[k] ^= 0x40;
    let bad = tmp.join("flipped.plan");
    std::fs::write(&bad, &flipped).unwrap();
    expect_error(&["run", bad.to_str().unwrap()], &["flipped.plan"]);
}
