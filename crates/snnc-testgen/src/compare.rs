//! The comparisons of SPEC §5.

use snnc_ir::Tensor;

/// SPEC §5 for outputs: a spike tensor (`spikes`) agrees exactly; anything else to
/// |a − b| ≤ 1e-5·max(|b|, 1). The caller makes sure no spike decision of the run sits within
/// the tolerance of its threshold (`snnc_interp::spike_margins`), where a flip is allowed.
pub fn compare_output(name: &str, got: &Tensor, want: &Tensor, spikes: bool) -> Result<(), String> {
    if got.shape() != want.shape() {
        return Err(format!("{name}: shape {:?} vs {:?}", got.shape(), want.shape()));
    }
    let (a, b) = (got.to_f64(), want.to_f64());
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        let ok = if spikes { x == y } else { (x - y).abs() <= 1e-5 * y.abs().max(1.0) };
        if !ok {
            return Err(format!("{name}[{i}]: got {x}, want {y}"));
        }
    }
    Ok(())
}

/// SPEC §5 for gradients: ‖a − b‖/‖b‖ ≤ 1e-4 per tensor (exactly 0 when the reference is 0).
pub fn compare_grad(name: &str, got: &Tensor, want: &Tensor) -> Result<(), String> {
    if got.shape() != want.shape() {
        return Err(format!("d/d{name}: shape {:?} vs {:?}", got.shape(), want.shape()));
    }
    let (a, b) = (got.to_f64(), want.to_f64());
    let diff = a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    let norm = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    let ok = if norm == 0.0 { diff == 0.0 } else { diff / norm <= 1e-4 };
    if ok {
        Ok(())
    } else {
        Err(format!("d/d{name}: ‖a−b‖ = {diff:e}, ‖b‖ = {norm:e}"))
    }
}
