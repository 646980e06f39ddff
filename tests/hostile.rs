//! Hostile input, end to end: every case below must make `snnc` exit with code 1 and one clear
//! message that contains each expected piece (the file, and the node or input where there is
//! one), with no panic, and within a time limit (no hang).
//!
//! The ONNX, text-IR and plan files come from `models/bad` (`models/make_bad_models.py`); the
//! arrays, plans and folders that depend on this machine are made in a scratch folder first.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use snnc_ir::Tensor;

/// Longest any case may take before it counts as a hang.
const LIMIT: Duration = Duration::from_secs(60);

/// One case: what it is, the command line (`{bad}`, `{tmp}`, `{ff}` stand for `models/bad`,
/// the scratch folder and the `ff_t8` fixture's folder) and the pieces the message must have.
struct Case {
    what: &'static str,
    args: &'static str,
    needles: &'static [&'static str],
}

const fn case(what: &'static str, args: &'static str, needles: &'static [&'static str]) -> Case {
    Case { what, args, needles }
}

const CASES: &[Case] = &[
    // ONNX files
    case("empty ONNX", "inspect {bad}/empty.onnx", &["empty.onnx", "empty"]),
    case("garbage ONNX", "run {bad}/garbage.onnx", &["garbage.onnx", "protobuf"]),
    case("truncated ONNX", "run {bad}/truncated.onnx", &["truncated.onnx"]),
    case("missing model", "run {tmp}/nope.onnx", &["nope.onnx"]),
    case(
        "missing external data",
        "run {bad}/missing_external.onnx",
        &["missing_external.onnx", "initializer 'w'", "missing.data"],
    ),
    case(
        "truncated external data",
        "run {bad}/truncated_external.onnx",
        &["truncated_external.onnx", "initializer 'w'", "truncated"],
    ),
    case(
        "external data outside the folder (..)",
        "run {bad}/escaping_external.onnx",
        &["escaping_external.onnx", "initializer 'w'", "leaves the model's folder"],
    ),
    case(
        "external data outside the folder (absolute)",
        "run {bad}/absolute_external.onnx",
        &["absolute_external.onnx", "initializer 'w'", "leaves the model's folder"],
    ),
    case(
        "fixture without its data file",
        "run {tmp}/nodata/model.onnx",
        &["model.onnx", "model.onnx.data"],
    ),
    // graph structure
    case("cycle", "run {bad}/cycle.onnx", &["cycle.onnx", "cycle", "loop_"]),
    case("dangling edge", "run {bad}/dangling.onnx", &["dangling.onnx", "node 'adder'", "'ghost'"]),
    case("output never produced", "run {bad}/no_producer.onnx", &["no_producer.onnx", "'y'"]),
    case(
        "duplicate value name",
        "run {bad}/duplicate_value.onnx",
        &["duplicate_value.onnx", "node 'second'", "'y'"],
    ),
    case(
        "unsupported ops, all named",
        "run {bad}/two_unsupported.onnx",
        &["two_unsupported.onnx", "norm_here", "LpNormalization", "frob_there", "Frobnicate"],
    ),
    // custom-op attributes and weight shapes
    case(
        "unknown method",
        "run {bad}/bad_method.onnx",
        &["bad_method.onnx", "node 'bad_iaf'", "'foo'"],
    ),
    case(
        "unknown order",
        "run {bad}/bad_order.onnx",
        &["bad_order.onnx", "node 'lif'", "'sideways'"],
    ),
    case(
        "v_th of the wrong length",
        "run {bad}/bad_vth_len.onnx",
        &["bad_vth_len.onnx", "node 'lif'", "v_th has 2 values"],
    ),
    case(
        "recurrent weight of the wrong shape",
        "run {bad}/bad_weight_shape.onnx",
        &["bad_weight_shape.onnx", "node 'rec'"],
    ),
    case(
        "Gemm weight of the wrong shape",
        "run {bad}/bad_gemm_shape.onnx",
        &["bad_gemm_shape.onnx", "node 'fc'"],
    ),
    // absurd sizes, refused before allocating
    case("absurd input size", "run {bad}/huge_input.onnx", &["huge_input.onnx", "'x'", "exceeds"]),
    case(
        "absurd initializer size",
        "run {bad}/huge_initializer.onnx",
        &["huge_initializer.onnx", "initializer 'w'", "exceeds"],
    ),
    case(
        "absurd text-IR size",
        "run {bad}/huge.snn",
        &["huge.snn:2:", "more than 2147483648 elements"],
    ),
    case(
        "text IR with a zero dimension next to absurd ones",
        "run {bad}/zero_dim.snn",
        &["zero_dim.snn:2:", "more than 2147483648 elements"],
    ),
    case(
        "npy with a zero dimension next to absurd ones",
        "run {ff}/model.onnx --input x={tmp}/zero_dim.npy",
        &["zero_dim.npy", "exceeds"],
    ),
    case(
        "absurd npy size",
        "run {ff}/model.onnx --input x={tmp}/huge.npy",
        &["huge.npy", "exceeds"],
    ),
    case(
        "absurd --dim",
        "run {bad}/sym_dim.onnx --dim T=1099511627776",
        &["sym_dim.onnx", "'x'", "exceeds"],
    ),
    case("absurd plan payload", "run {bad}/huge.plan", &["huge.plan"]),
    // arrays
    case(
        "npy of the wrong shape",
        "run {ff}/model.onnx --input x={tmp}/shape.npy",
        &["'x'", "f32[8,2,6]", "[8,2,5]"],
    ),
    case(
        "npy of the wrong rank",
        "run {ff}/model.onnx --input x={tmp}/rank.npy",
        &["'x'", "f32[8,2,6]"],
    ),
    case("npy of garbage", "run {ff}/model.onnx --input x={tmp}/garbage.npy", &["garbage.npy"]),
    case("truncated npy", "run {ff}/model.onnx --input x={tmp}/cut.npy", &["cut.npy"]),
    case("npz of garbage", "run {ff}/model.onnx --input {tmp}/garbage.npz", &["garbage.npz"]),
    case(
        "unknown input name",
        "run {ff}/model.onnx --input nope={tmp}/shape.npy",
        &["'nope'", "x"],
    ),
    case(
        "unknown grad-output name",
        "grad {ff}/model.onnx --grad-output nope={tmp}/shape.npy -o {tmp}/g.npz",
        &["'nope'"],
    ),
    case("missing npy", "run {ff}/model.onnx --input x={tmp}/absent.npy", &["absent.npy"]),
    // text IR and plans
    case("garbage text IR", "run {bad}/garbage.snn", &["garbage.snn:4:"]),
    case("truncated text IR", "run {bad}/truncated.snn", &["truncated.snn:3:"]),
    case("binary text IR", "run {tmp}/binary.snn", &["binary.snn", "UTF-8"]),
    case("garbage plan", "run {bad}/garbage.plan", &["garbage.plan"]),
    case("truncated plan", "run {tmp}/cut.plan", &["cut.plan"]),
    case("plan with a flipped bit", "run {tmp}/flipped.plan", &["flipped.plan", "checksum"]),
    case(
        "plan given to the reference engine",
        "run {tmp}/good.plan --engine ref",
        &["good.plan", "compiled plan"],
    ),
    // outputs and options
    case(
        "unwritable --output (run)",
        "run {ff}/model.onnx --output /nonexistent-dir/out.npz",
        &["/nonexistent-dir/out.npz"],
    ),
    case(
        "unwritable --output (grad)",
        "grad {ff}/model.onnx -o /nonexistent-dir/g.npz",
        &["/nonexistent-dir/g.npz"],
    ),
    case(
        "unwritable plan",
        "compile {ff}/model.onnx -o /nonexistent-dir/m.plan",
        &["/nonexistent-dir/m.plan"],
    ),
    case(
        "unwritable --dot",
        "inspect {ff}/model.onnx --dot /nonexistent-dir/g.dot",
        &["/nonexistent-dir/g.dot"],
    ),
    case("output path is a folder", "run {ff}/model.onnx --output {tmp}", &["snnc-test-"]),
    case(
        "unknown surrogate",
        "grad {ff}/model.onnx --surrogate softsign:3 -o {tmp}/g.npz",
        &["softsign"],
    ),
    case("negative alpha", "grad {ff}/model.onnx --surrogate super:-1 -o {tmp}/g.npz", &["alpha"]),
    case(
        "non-numeric alpha",
        "compile {ff}/model.onnx --surrogate tanh:abc -o {tmp}/m.plan",
        &["abc"],
    ),
    case("empty surrogate", "check {ff}/model.onnx --surrogate=", &["surrogate"]),
];

fn f32s(shape: &[usize], fill: f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::F32(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), vec![fill; n]).unwrap())
}

/// Makes the scratch files the cases name.
fn setup(tmp: &Path) {
    let ff = fixture("ff_t8");
    snnc_arrays::write_npy(&tmp.join("shape.npy"), &f32s(&[8, 2, 5], 0.5)).unwrap();
    snnc_arrays::write_npy(&tmp.join("rank.npy"), &f32s(&[8, 12], 0.5)).unwrap();
    std::fs::write(tmp.join("garbage.npy"), b"\x93NUMPY\x01\x00garbage garbage").unwrap();
    std::fs::write(tmp.join("garbage.npz"), b"PK\x03\x04 not really a zip file").unwrap();
    let good = std::fs::read(ff.join("inputs.npz")).unwrap();
    let x = snnc_arrays::read_npz(&ff.join("inputs.npz")).unwrap();
    snnc_arrays::write_npy(&tmp.join("x.npy"), &x[0].1).unwrap();
    let xb = std::fs::read(tmp.join("x.npy")).unwrap();
    std::fs::write(tmp.join("cut.npy"), &xb[..xb.len() - 7]).unwrap();
    assert!(!good.is_empty());
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1048576), }";
    let mut huge = b"\x93NUMPY\x01\x00".to_vec();
    let pad = 64 - (10 + header.len() + 1) % 64;
    let h = format!("{header}{}\n", " ".repeat(pad));
    huge.extend_from_slice(&(h.len() as u16).to_le_bytes());
    huge.extend_from_slice(h.as_bytes());
    huge.extend_from_slice(&[0; 64]);
    std::fs::write(tmp.join("huge.npy"), huge).unwrap();
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 0), }";
    let mut zero = b"\x93NUMPY\x01\x00".to_vec();
    zero.extend_from_slice(&(header.len() as u16).to_le_bytes());
    zero.extend_from_slice(header.as_bytes());
    std::fs::write(tmp.join("zero_dim.npy"), zero).unwrap();
    std::fs::write(tmp.join("binary.snn"), b"graph g {\n  input x: f32[2]\xff\xfe\n}\n").unwrap();
    std::fs::create_dir_all(tmp.join("nodata")).unwrap();
    std::fs::copy(ff.join("model.onnx"), tmp.join("nodata/model.onnx")).unwrap();
    let plan = tmp.join("good.plan");
    snnc_ok(&["compile", ff.join("model.onnx").to_str().unwrap(), "-o", plan.to_str().unwrap()]);
    let bytes = std::fs::read(&plan).unwrap();
    std::fs::write(tmp.join("cut.plan"), &bytes[..bytes.len() / 2]).unwrap();
    let mut flipped = bytes.clone();
    let k = flipped.len() - 5;
    flipped[k] ^= 0x40;
    std::fs::write(tmp.join("flipped.plan"), flipped).unwrap();
}

/// Runs `snnc args` and returns (exit code, stderr, how long it took); kills it past [`LIMIT`].
fn run_limited(args: &[String]) -> (Option<i32>, String, Duration) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_snnc"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("snnc starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).ok();
        s
    });
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break Some(st);
        }
        if start.elapsed() > LIMIT {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let err = reader.join().unwrap_or_default();
    (status.and_then(|s| s.code()), err, start.elapsed())
}

fn expand(args: &str, tmp: &Path) -> Vec<String> {
    let bad = root().join("models/bad");
    let ff = fixture("ff_t8");
    args.split(' ')
        .map(|a| {
            a.replace("{bad}", bad.to_str().unwrap())
                .replace("{tmp}", tmp.to_str().unwrap())
                .replace("{ff}", ff.to_str().unwrap())
        })
        .collect()
}

#[test]
fn hostile_inputs_are_refused_cleanly_and_quickly() {
    let tmp: PathBuf = scratch("hostile");
    setup(&tmp);
    let mut failures = Vec::new();
    for c in CASES {
        let args = expand(c.args, &tmp);
        let (code, err, took) = run_limited(&args);
        let mut why = Vec::new();
        match code {
            None if took > LIMIT => why.push(format!("still running after {LIMIT:?}")),
            Some(1) => {}
            other => why.push(format!("exit code {other:?}, expected 1")),
        }
        if err.contains("panicked") || err.contains("RUST_BACKTRACE") {
            why.push("panicked".into());
        }
        let lines = err.lines().filter(|l| !l.trim().is_empty()).count();
        if lines == 0 {
            why.push("no message".into());
        }
        for n in c.needles {
            if !err.contains(n) {
                why.push(format!("message lacks '{n}'"));
            }
        }
        if !why.is_empty() {
            failures.push(format!(
                "{} (snnc {}): {}\n    stderr: {err}",
                c.what,
                c.args,
                why.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n  {}",
        failures.len(),
        CASES.len(),
        failures.join("\n  ")
    );
}

#[test]
fn every_file_in_models_bad_has_a_case() {
    let names: Vec<String> = std::fs::read_dir(root().join("models/bad"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".data"))
        .collect();
    for n in names {
        let used = CASES.iter().any(|c| c.args.contains(&format!("{{bad}}/{n}")));
        assert!(used, "models/bad/{n} is not exercised by any case");
    }
}
