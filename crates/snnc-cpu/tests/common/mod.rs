//! Shared helpers of the engine tests: fixtures, and the comparisons of SPEC §5.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use snnc_ir::{Graph, Tensor};

/// The fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/fixtures")
}

/// Every fixture folder name (those with a meta.json), sorted.
pub fn all_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures folder")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("meta.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A fixture's meta.json.
pub fn meta(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join(name).join("meta.json")).expect("meta.json");
    serde_json::from_str(&text).expect("meta.json is JSON")
}

/// Reads an `.npz`.
pub fn npz(path: &Path) -> Vec<(String, Tensor)> {
    snnc_arrays::read_npz(path).unwrap_or_else(|e| panic!("{e}"))
}

/// The imported graph of a fixture.
pub fn import(name: &str) -> Graph {
    let path = fixtures().join(name).join("model.onnx");
    snnc_onnx::load_onnx(&path, &Default::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// `name` in `arrays`.
pub fn get<'a>(arrays: &'a [(String, Tensor)], name: &str) -> Option<&'a Tensor> {
    arrays.iter().find(|(n, _)| n == name).map(|(_, t)| t)
}

pub use snnc_interp::{compare_grad, compare_output};

/// Compares every array of `want` with the same-named one of `got`, outputs (`spikes`: names
/// of spike outputs) or gradients (`spikes` = None).
pub fn compare_all(
    what: &str,
    got: &[(String, Tensor)],
    want: &[(String, Tensor)],
    spikes: Option<&[String]>,
    failures: &mut Vec<String>,
) {
    for (n, w) in want {
        let Some(g) = get(got, n) else {
            failures.push(format!("{what}: no '{n}'"));
            continue;
        };
        let r = match spikes {
            Some(s) => compare_output(n, g, w, s.contains(n)),
            None => compare_grad(n, g, w),
        };
        if let Err(e) = r {
            failures.push(format!("{what}: {e}"));
        }
    }
}

/// Whether two lists of tensors are bitwise equal.
pub fn bitwise_eq(a: &[(String, Tensor)], b: &[(String, Tensor)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((n, x), (m, y))| n == m && x.same_bits(y))
}

/// Deterministic uniform values in [lo, hi).
pub fn uniform(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// An f32 tensor of `shape` with values from [`uniform`].
pub fn tensor(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::F32(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), uniform(n, lo, hi, seed)).unwrap(),
    )
}

/// Named tensors.
pub type Named = Vec<(String, Tensor)>;

/// Compiles `g` and checks `snnc_cpu` against the interpreter on `inputs` (outputs to SPEC §5,
/// which makes 0/1 and integer outputs exact; gradients of every target with ones as upstream
/// gradients), 1 vs 2 threads and the reloaded plan bitwise.
pub fn check_graph(g: &Graph, inputs: &[(String, Tensor)], surrogate: snnc_ir::Surrogate) {
    use snnc_cpu::{Engine, Threads, Wrt};
    let margin = snnc_interp::spike_margins(g, inputs).expect("margins");
    assert!(margin > 1e-4, "inputs too close to a threshold: {margin}");
    let plan =
        snnc_plan::compile(g, &snnc_plan::CompileOptions { surrogate, ..Default::default() })
            .unwrap_or_else(|e| panic!("{e}"));
    let loaded =
        snnc_plan::Plan::from_bytes(&plan.to_bytes(), "<memory>".as_ref()).expect("reload");
    let want = snnc_interp::run(g, inputs).expect("interpreter");
    let seeds: Vec<(String, Tensor)> = g
        .outputs()
        .iter()
        .filter(|&&o| g.ty(o).dtype.is_float())
        .enumerate()
        .map(|(i, &o)| (g.value(o).name.clone(), tensor(&g.ty(o).shape, -1.0, 1.0, 100 + i as u64)))
        .collect();
    let opts = snnc_interp::GradOptions { surrogate, ..Default::default() };
    let want_g = snnc_interp::grad(g, inputs, &seeds, &opts).expect("interpreter grad");
    let mut fails = Vec::new();
    let mut first: Option<(Named, Named)> = None;
    for (p, t) in [(&plan, 1), (&plan, 2), (&loaded, 2)] {
        let mut e = Engine::new(p).with_threads(Threads::Fixed(t));
        let out = e.run(inputs).unwrap_or_else(|e| panic!("run: {e}"));
        let gr = e.grad(inputs, &seeds, Wrt::All).unwrap_or_else(|e| panic!("grad: {e}"));
        compare_all("run", &out, &want, Some(&[]), &mut fails);
        compare_all("grad", &gr.grads, &want_g.grads, None, &mut fails);
        if gr.grads.len() != want_g.grads.len() {
            fails.push(format!("{} gradients, want {}", gr.grads.len(), want_g.grads.len()));
        }
        match &first {
            None => first = Some((out, gr.grads)),
            Some((o, gg)) if !bitwise_eq(o, &out) || !bitwise_eq(gg, &gr.grads) => {
                fails.push(format!("not bitwise identical with {t} threads"))
            }
            _ => {}
        }
    }
    assert!(fails.is_empty(), "{}:\n  {}", g.name(), fails.join("\n  "));
}
