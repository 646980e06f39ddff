//! The bodies of the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs` call these), kept here so the
//! normal test suite replays the committed corpus through the same code on a stable toolchain.
//!
//! Each body feeds arbitrary bytes to one reader. Errors are expected; what a body asserts is
//! the reader's contract: no panic, an error that names the source, and, when the bytes are
//! accepted, a result that holds up (an imported graph verifies, a parsed text graph prints
//! and parses back to itself, a decoded array re-encodes to the same values, a loaded plan
//! runs or fails cleanly).

use std::path::Path;

use snnc_ir::{Tensor, TensorType};
use snnc_plan::{Plan, FORMAT_VERSION, MAGIC};

/// Plans whose programs or inputs are larger than this many f32 elements are loaded but not
/// run, so a crafted plan cannot make a fuzz iteration slow.
const RUN_LIMIT: usize = 1 << 16;

fn assert_named(what: &str, msg: &str, label: &str) {
    assert!(msg.contains(label), "{what} error does not name '{label}': {msg}");
}

/// ONNX frontend: bytes → [`snnc_onnx::load_onnx_bytes`] (external data resolved in a folder
/// that does not exist, so nothing outside the bytes is read).
pub fn onnx(data: &[u8]) {
    let path = Path::new("/nonexistent-snnc-fuzz/model.onnx");
    match snnc_onnx::load_onnx_bytes(data, path, &Default::default()) {
        Ok(g) => {
            if let Err(e) = snnc_ir::verify(&g) {
                panic!("an imported graph fails the verifier: {e}");
            }
            run_small_graph(&g);
        }
        Err(e) => assert_named("ONNX", &e.to_string(), "model.onnx"),
    }
}

/// Text-IR parser: UTF-8 bytes → [`snnc_text::parse_str`]; an accepted graph verifies, and
/// printing it gives text that parses back to the same graph.
pub fn text(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else { return };
    match snnc_text::parse_str(src, None, "fuzz.snn") {
        Ok(g) => {
            // Text IR holds graphs without outputs too (it prints any graph); the verifier,
            // which consumers run next, refuses those. Anything else must verify.
            if let (false, Err(e)) = (g.outputs().is_empty(), snnc_ir::verify(&g)) {
                panic!("a parsed graph fails the verifier: {e}");
            }
            let printed = snnc_text::print(&g);
            let back = snnc_text::parse_str(&printed, None, "printed.snn")
                .unwrap_or_else(|e| panic!("printed graph does not parse: {e}\n{printed}"));
            if let Some(d) = snnc_text::graph_diff(&g, &back) {
                panic!("printing and parsing changes the graph: {d}\n{printed}");
            }
            run_small_graph(&g);
        }
        Err(e) => assert_named("text-IR", &e.to_string(), "fuzz.snn"),
    }
}

/// `.npy` reader: bytes → [`snnc_arrays::read_npy_bytes`]; an accepted array has as many
/// elements as its shape, and writing and reading it back gives the same values.
pub fn npy(data: &[u8]) {
    match snnc_arrays::read_npy_bytes(data, Path::new("fuzz.npy")) {
        Ok(t) => {
            assert_eq!(t.len(), t.shape().iter().product::<usize>(), "element count");
            let dir = std::env::temp_dir().join(format!("snnc-fuzz-npy-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let p = dir.join("a.npy");
            snnc_arrays::write_npy(&p, &t).expect("write npy");
            let back = snnc_arrays::read_npy(&p).expect("read back");
            assert_eq!(back.dtype(), t.dtype(), "dtype after a round trip");
            assert_eq!(back.shape(), t.shape(), "shape after a round trip");
            assert!(back.same_bits(&t), "values change in a round trip");
        }
        Err(e) => assert_named("npy", &e.to_string(), "fuzz.npy"),
    }
}

/// Frames `payload` as a plan file with a correct header (magic, version, length, CRC-32), so
/// the fuzzer reaches the payload decoder instead of stopping at the checksum.
pub fn plan_file_of_payload(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Plan loader: the first byte picks the framing (even: the rest is a payload, framed with a
/// valid header by [`plan_file_of_payload`]; odd: the rest is a whole file), then
/// [`Plan::from_bytes`]. A plan that loads is run (inference and every gradient) on
/// deterministic inputs when it is small: errors are fine, panics are not.
pub fn plan(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let bytes = if mode % 2 == 0 { plan_file_of_payload(rest) } else { rest.to_vec() };
    match Plan::from_bytes(&bytes, Path::new("fuzz.plan")) {
        Ok(p) => run_small_plan(&p),
        Err(e) => assert_named("plan", &e.to_string(), "fuzz.plan"),
    }
}

/// Deterministic values for a value of type `ty` (input number `k`).
fn fill(name: &str, ty: &TensorType, k: usize) -> (String, Tensor) {
    let n = ty.shape.iter().product::<usize>();
    let vals = (0..n).map(|i| ((i * 7 + k * 3) % 11) as f64 / 10.0).collect();
    let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&ty.shape), vals).expect("shape");
    (name.to_string(), Tensor::from_f64(ty.dtype, a))
}

/// Runs a small accepted graph through the interpreter (forward and backward) and through the
/// CPU engine on its compiled plan: errors are fine, panics are not.
fn run_small_graph(g: &snnc_ir::Graph) {
    let total = g.values().iter().map(|v| v.ty.shape.iter().product::<usize>()).sum::<usize>();
    if total > RUN_LIMIT || g.nodes().len() > 64 {
        return;
    }
    let inputs: Vec<_> = g
        .inputs()
        .iter()
        .enumerate()
        .map(|(k, &id)| fill(&g.value(id).name, g.ty(id), k))
        .collect();
    let seeds: Vec<_> = g
        .outputs()
        .iter()
        .enumerate()
        .map(|(k, &id)| fill(&g.value(id).name, g.ty(id), k + 50))
        .collect();
    let _ = snnc_interp::run(g, &inputs);
    let _ = snnc_interp::grad(g, &inputs, &seeds, &Default::default());
    if let Ok(plan) = snnc_plan::compile(g, &Default::default()) {
        run_small_plan(&plan);
    }
}

fn run_small_plan(p: &Plan) {
    let sizes = p.inputs().iter().chain(p.outputs()).map(|s| s.len());
    let total = sizes.chain([p.infer().arena_len, p.train().arena_len]).sum::<usize>();
    if total > RUN_LIMIT {
        return;
    }
    let sig =
        |s: &snnc_plan::Sig, k: usize| fill(&s.name, &TensorType::new(s.dtype, s.shape.clone()), k);
    let inputs: Vec<_> = p.inputs().iter().enumerate().map(|(k, s)| sig(s, k)).collect();
    let seeds: Vec<_> = p.outputs().iter().enumerate().map(|(k, s)| sig(s, k + 50)).collect();
    let mut e = snnc_cpu::Engine::new(p).with_threads(snnc_cpu::Threads::Fixed(1));
    let _ = e.run(&inputs);
    let _ = e.grad(&inputs, &seeds, snnc_cpu::Wrt::All);
}

/// A fuzz target's body.
pub type Body = fn(&[u8]);

/// Every target: (name, body), in the order CI runs them.
pub const TARGETS: [(&str, Body); 4] =
    [("onnx", onnx), ("text", text), ("plan", plan), ("npy", npy)];
