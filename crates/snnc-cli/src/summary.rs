use snnc_ir::Tensor;

/// One line describing a tensor: its type and, for binary (0/1) tensors, the spike rate;
/// otherwise min, max and mean.
pub fn describe(name: &str, t: &Tensor) -> String {
    let ty = t.tensor_type();
    let data = t.to_f64();
    if data.is_empty() {
        return format!("{name:<16} {ty}  (empty)");
    }
    let binary = data.iter().all(|&x| x == 0.0 || x == 1.0);
    let n = data.len() as f64;
    if binary && t.dtype().is_float() || t.dtype() == snnc_ir::DType::Bool {
        let ones = data.iter().filter(|&&x| x == 1.0).count();
        format!(
            "{name:<16} {ty}  spikes {ones}/{}  rate {:.2}%",
            data.len(),
            100.0 * ones as f64 / n
        )
    } else {
        let min = data.iter().copied().fold(f64::INFINITY, f64::min);
        let max = data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mean = data.iter().sum::<f64>() / n;
        format!("{name:<16} {ty}  min {min:.6}  max {max:.6}  mean {mean:.6}")
    }
}

/// The Euclidean norm of a tensor, for gradient summaries.
pub fn norm(t: &Tensor) -> f64 {
    t.to_f64().iter().map(|x| x * x).sum::<f64>().sqrt()
}
