//! What the wgpu engine's model tests share: deterministic data, text-IR pieces, and the
//! check of the engine against the reference interpreter.

#![allow(dead_code)]

use snnc_ir::{Family, Graph, Tensor};

pub const T: usize = 6;
pub const B: usize = 2;
pub const K: usize = 5;
pub const N: usize = 7;

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

pub fn tensor(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::F32(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), uniform(n, lo, hi, seed)).unwrap(),
    )
}

/// `weight name: f32[rows,cols] = [...]` with values from [`uniform`].
pub fn weight(name: &str, rows: usize, cols: usize, seed: u64) -> String {
    let v = uniform(rows * cols, -0.6, 0.6, seed);
    let rows_text: Vec<String> = v
        .chunks(cols)
        .map(|r| format!("[{}]", r.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ")))
        .collect();
    format!("  weight {name}: f32[{rows},{cols}] = [{}]\n", rows_text.join(", "))
}

/// The family attributes as the text IR spells them (SPEC §1.1).
pub fn family_attrs(f: Family) -> String {
    format!(
        "threshold = \"{}\", reset = \"{}\", reset_grad = \"{}\", spikes = \"{}\"",
        f.threshold, f.reset, f.reset_grad, f.spikes
    )
}

/// Per-neuron thresholds and resets, exact in f32.
pub fn neuron_params() -> String {
    "v_th = [0.5, 0.75, 0.375, 0.625, 0.5, 0.25, 0.875], \
     v_reset = [-0.25, 0.0, 0.125, 0.0, -0.125, 0.0, 0.25]"
        .to_string()
}

/// Compiles `g` and checks the wgpu engine against the interpreter: outputs to SPEC §5 (spikes
/// exactly) and the gradients of every input and weight, with seeded upstream gradients.
pub fn check(label: &str, g: &Graph, inputs: &[(String, Tensor)], fails: &mut Vec<String>) {
    let margin = snnc_interp::spike_margins(g, inputs).expect("margins");
    assert!(margin > 1e-4, "{label}: inputs too close to a threshold: {margin}");
    let plan =
        snnc_plan::compile(g, &Default::default()).unwrap_or_else(|e| panic!("{label}: {e}"));
    let seeds: Vec<(String, Tensor)> = g
        .outputs()
        .iter()
        .enumerate()
        .map(|(i, &o)| (g.value(o).name.clone(), tensor(&g.ty(o).shape, -1.0, 1.0, 100 + i as u64)))
        .collect();
    let want = snnc_interp::run(g, inputs).expect("interpreter");
    let want_g =
        snnc_interp::grad(g, inputs, &seeds, &Default::default()).expect("interpreter grad");
    let engine = snnc_wgpu::Engine::new(&plan).unwrap_or_else(|e| panic!("{label}: {e}"));
    let got = engine.run(inputs).unwrap_or_else(|e| panic!("{label}: run: {e}"));
    let got_g = engine
        .grad(inputs, &seeds, snnc_wgpu::Wrt::All)
        .unwrap_or_else(|e| panic!("{label}: grad: {e}"));
    let spikes = ["z1", "zr", "z", "zt"];
    for (n, w) in &want {
        match got.iter().find(|(m, _)| m == n) {
            None => fails.push(format!("{label}: run: no '{n}'")),
            Some((_, t)) => {
                if let Err(e) = snnc_interp::compare_output(n, t, w, spikes.contains(&n.as_str())) {
                    fails.push(format!("{label}: run: {e}"));
                }
            }
        }
    }
    if got_g.grads.len() != want_g.grads.len() {
        fails.push(format!(
            "{label}: {} gradients, want {}",
            got_g.grads.len(),
            want_g.grads.len()
        ));
    }
    for (n, w) in &want_g.grads {
        match got_g.grads.iter().find(|(m, _)| m == n) {
            None => fails.push(format!("{label}: grad: no '{n}'")),
            Some((_, t)) => {
                if let Err(e) = snnc_interp::compare_grad(n, t, w) {
                    fails.push(format!("{label}: grad: {e}"));
                }
            }
        }
    }
}

pub fn parse(src: &str) -> Graph {
    snnc_text::parse_str(src, None, "<test>").unwrap_or_else(|e| panic!("{e}\n{src}"))
}
