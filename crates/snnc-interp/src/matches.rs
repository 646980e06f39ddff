//! SPEC §5, "what matches": the comparisons every check against the reference uses.

use ndarray::ArrayD;
use snnc_ir::Tensor;

/// SPEC §5 for an output tensor that no undecided spike reaches: [`compare_output_except`]
/// with nothing excused.
pub fn compare_output(name: &str, got: &Tensor, want: &Tensor, spikes: bool) -> Result<(), String> {
    compare_output_except(name, got, want, spikes, None)
}

/// SPEC §5 for an output tensor: a spike tensor (`spikes`) agrees exactly; any other agrees
/// to |a − b| ≤ 1e-5·max(|b|, 1) per element. Elements set in `excused` (the output's shape;
/// see [`excused`](crate::excused)) depend on a reference decision within the tolerance of its
/// threshold and are not compared.
///
/// The error names the tensor and gives the shape mismatch, or how many elements differ and
/// the first of them.
pub fn compare_output_except(
    name: &str,
    got: &Tensor,
    want: &Tensor,
    spikes: bool,
    excused: Option<&ArrayD<bool>>,
) -> Result<(), String> {
    if got.shape() != want.shape() {
        return Err(format!("{name}: shape {:?} vs {:?}", got.shape(), want.shape()));
    }
    if let Some(m) = excused.filter(|m| m.shape() != want.shape()) {
        return Err(format!("{name}: excused mask {:?} vs {:?}", m.shape(), want.shape()));
    }
    let (a, b) = (got.to_f64(), want.to_f64());
    let close =
        |x: f64, y: f64| if spikes { x == y } else { (x - y).abs() <= 1e-5 * y.abs().max(1.0) };
    let flags: Vec<bool> = match excused {
        Some(m) => m.iter().copied().collect(),
        None => vec![false; b.len()],
    };
    let mut bad = a
        .iter()
        .zip(b.iter())
        .zip(&flags)
        .enumerate()
        .filter(|(_, ((&x, &y), &ex))| !ex && !close(x, y));
    let Some((i, ((x, y), _))) = bad.next() else { return Ok(()) };
    let n = 1 + bad.count();
    let excused = flags.iter().filter(|&&e| e).count();
    let note = if excused > 0 { format!(" ({excused} excused)") } else { String::new() };
    Err(format!("{name}: {n} of {} elements differ{note}; first [{i}]: got {x}, want {y}", b.len()))
}

/// ‖a − b‖ and ‖b‖ of a gradient `got` against the reference `want` (in f64), or `None` when
/// their shapes differ.
pub fn grad_distance(got: &Tensor, want: &Tensor) -> Option<(f64, f64)> {
    if got.shape() != want.shape() {
        return None;
    }
    let (a, b) = (got.to_f64(), want.to_f64());
    let diff = a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    let norm = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    Some((diff, norm))
}

/// ‖a − b‖/‖b‖ as SPEC §5 reads it: 0 when the two are equal, +∞ when the shapes differ, when
/// an all-zero reference is missed, or when the error is NaN.
pub fn grad_rel_error(got: &Tensor, want: &Tensor) -> f64 {
    match grad_distance(got, want) {
        None => f64::INFINITY,
        Some((0.0, _)) => 0.0,
        Some((diff, norm)) => {
            let rel = diff / norm;
            if rel.is_nan() {
                f64::INFINITY
            } else {
                rel
            }
        }
    }
}

/// SPEC §5 for a gradient tensor: ‖a − b‖/‖b‖ ≤ 1e-4 ([`grad_rel_error`]), so exactly equal
/// when the reference is all zeros. The error names the tensor (`d/dNAME`) and gives both
/// norms.
pub fn compare_grad(name: &str, got: &Tensor, want: &Tensor) -> Result<(), String> {
    let Some((diff, norm)) = grad_distance(got, want) else {
        return Err(format!("d/d{name}: shape {:?} vs {:?}", got.shape(), want.shape()));
    };
    let rel = grad_rel_error(got, want);
    if rel <= 1e-4 {
        return Ok(());
    }
    Err(format!("d/d{name}: relative error {rel:.3e} (‖a−b‖ = {diff:e}, ‖b‖ = {norm:e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    fn t(v: &[f32]) -> Tensor {
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())
    }

    #[test]
    fn outputs_and_gradients_per_spec() {
        assert!(compare_output("v", &t(&[1.0, 2e5]), &t(&[1.000009, 2.00001e5]), false).is_ok());
        let e = compare_output("v", &t(&[1.0, 0.5, 3.0]), &t(&[1.0, 0.6, 3.1]), false).unwrap_err();
        assert!(e.contains("v: 2 of 3 elements differ; first [1]"), "{e}");
        assert!(compare_output("z", &t(&[1.0, 0.0]), &t(&[1.0, 0.0]), true).is_ok());
        assert!(compare_output("z", &t(&[1.0, 1e-9]), &t(&[1.0, 0.0]), true).is_err());
        assert!(compare_output("z", &t(&[1.0]), &t(&[1.0, 0.0]), true)
            .unwrap_err()
            .contains("shape"));
        assert!(compare_grad("w", &t(&[1.0, 2.0]), &t(&[1.0, 2.0001])).is_ok());
        let e = compare_grad("w", &t(&[1.0, 2.0]), &t(&[1.0, 2.001])).unwrap_err();
        assert!(e.starts_with("d/dw: relative error"), "{e}");
        assert!(compare_grad("b", &t(&[0.0]), &t(&[0.0])).is_ok());
        assert!(compare_grad("b", &t(&[1e-30]), &t(&[0.0])).is_err());
    }
}
