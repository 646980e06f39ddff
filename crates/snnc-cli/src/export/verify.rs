//! The export's check: the NIR graph, read back as snnc reads `.nir` files, must compute what
//! the model computes, on a deterministic random input.

use std::path::Path;

use snnc_ir::{DType, Graph, Tensor};
use snnc_nir::{NirFile, NirOptions};

/// Lowers `nir` with `o` (T and B set to the model's) and runs it and `model` on the same input
/// with the reference interpreter; every exported output must agree to 1e-4 (relative).
/// Returns the largest difference.
pub fn verify(file: &Path, model: &Graph, nir: &NirFile, o: &NirOptions) -> Result<f64, String> {
    let back = snnc_nir::lower(file, nir, o).map_err(|e| format!("reading it back: {e}"))?;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut inputs = Vec::new();
    for &i in model.inputs() {
        let ty = model.ty(i);
        let data: Vec<f32> = (0..ty.shape.iter().product::<usize>())
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 0.5
            })
            .collect();
        let t = Tensor::from_f32_data(DType::F32, &ty.shape, &data)?;
        inputs.push((model.value(i).name.clone(), t));
    }
    let want = snnc_interp::run(model, &inputs).map_err(|e| format!("running the model: {e}"))?;
    let got = snnc_interp::run(&back, &inputs).map_err(|e| format!("running the export: {e}"))?;
    let mut worst = 0.0f64;
    for (name, g) in &got {
        let Some((_, w)) = want.iter().find(|(n, _)| n == name) else {
            return Err(format!("the export has an output '{name}' the model has not"));
        };
        let (g, w) = (g.to_f64(), w.to_f64());
        if g.shape() != w.shape() {
            return Err(format!(
                "output '{name}': shape {:?}, the model's is {:?}",
                g.shape(),
                w.shape()
            ));
        }
        for (a, b) in g.iter().zip(w.iter()) {
            let d = (a - b).abs() / (1.0 + b.abs());
            if d > 1e-4 || d.is_nan() {
                return Err(format!(
                    "output '{name}' differs from the model's (read back: {a}, model: {b}); the \
                     cells' NIR equivalent does not compute the same thing"
                ));
            }
            worst = worst.max(d);
        }
    }
    Ok(worst)
}
