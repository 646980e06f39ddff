use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::inputs::Named;

/// How far an engine's outputs are from the reference engine's on the same input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputDiff {
    /// Largest |a − b| over every element of every output.
    pub max_abs_diff: f64,
    /// Largest |a − b| / max(|b|, 1) over the outputs that are not spike tensors (SPEC §5
    /// allows 1e-5).
    pub max_rel_diff: f64,
    /// Elements of spike outputs (reference values all 0 or 1) that differ.
    pub spike_mismatches: usize,
    /// Elements of spike outputs compared.
    pub spike_elements: usize,
}

impl OutputDiff {
    /// Compares `got` with `want` output by output (matched by name); a missing output or a
    /// shape mismatch is an error.
    pub fn between(got: &Named, want: &Named) -> Result<OutputDiff> {
        let mut d = OutputDiff {
            max_abs_diff: 0.0,
            max_rel_diff: 0.0,
            spike_mismatches: 0,
            spike_elements: 0,
        };
        for (name, w) in want {
            let Some((_, g)) = got.iter().find(|(n, _)| n == name) else {
                bail!("output '{name}' is missing");
            };
            if g.shape() != w.shape() {
                bail!("output '{name}': shape {:?}, the reference has {:?}", g.shape(), w.shape());
            }
            let (a, b) = (g.to_f64(), w.to_f64());
            let spikes = b.iter().all(|&y| y == 0.0 || y == 1.0);
            for (x, y) in a.iter().zip(b.iter()) {
                let abs = if x == y { 0.0 } else { (x - y).abs() };
                let abs = if abs.is_nan() { f64::INFINITY } else { abs };
                d.max_abs_diff = d.max_abs_diff.max(abs);
                if spikes {
                    d.spike_elements += 1;
                    d.spike_mismatches += usize::from(x != y);
                } else {
                    d.max_rel_diff = d.max_rel_diff.max(abs / y.abs().max(1.0));
                }
            }
        }
        Ok(d)
    }

    /// True when every spike agrees.
    pub fn spikes_equal(&self) -> bool {
        self.spike_mismatches == 0
    }

    /// The JSON fields this adds to an engine's entry.
    pub fn to_json(self) -> Value {
        json!({
            "max_abs_diff": finite_or_null(self.max_abs_diff),
            "max_rel_diff": finite_or_null(self.max_rel_diff),
            "spikes_equal": self.spikes_equal(),
            "spike_mismatches": self.spike_mismatches,
        })
    }
}

/// Largest ‖a − b‖ / ‖b‖ over the gradients present in both (by name), and how many were
/// compared; a tensor whose reference is all zero counts as 0 when `a` is too, else ∞.
pub fn grad_rel_err(got: &Named, want: &Named) -> (f64, usize) {
    let mut worst = 0.0f64;
    let mut n = 0;
    for (name, w) in want {
        let Some((_, g)) = got.iter().find(|(m, _)| m == name) else { continue };
        n += 1;
        worst = worst.max(snnc_interp::grad_rel_error(g, w));
    }
    (worst, n)
}

/// JSON has no infinity: a non-finite number becomes null.
pub fn finite_or_null(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{ArrayD, IxDyn};
    use snnc_ir::Tensor;

    use super::*;

    fn t(v: &[f32]) -> Tensor {
        Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())
    }

    #[test]
    fn spikes_and_potentials_are_measured_apart() {
        let want = vec![("z".to_string(), t(&[0.0, 1.0, 1.0])), ("v".to_string(), t(&[2.0, 0.5]))];
        let got =
            vec![("v".to_string(), t(&[2.00002, 0.5])), ("z".to_string(), t(&[0.0, 0.0, 1.0]))];
        let d = OutputDiff::between(&got, &want).unwrap();
        assert_eq!((d.spike_mismatches, d.spike_elements), (1, 3));
        assert_eq!(d.max_abs_diff, 1.0);
        assert!((d.max_rel_diff - 1e-5).abs() < 1e-6, "{}", d.max_rel_diff);
        assert!(OutputDiff::between(&got[..1].to_vec(), &want).is_err());
    }

    #[test]
    fn gradient_error_is_relative_per_tensor() {
        let want = vec![("w".to_string(), t(&[3.0, 4.0])), ("b".to_string(), t(&[0.0]))];
        let got = vec![("w".to_string(), t(&[3.0, 4.5]))];
        let (e, n) = grad_rel_err(&got, &want);
        assert_eq!(n, 1);
        assert!((e - 0.1).abs() < 1e-12);
    }
}
