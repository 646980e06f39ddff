//! Elementwise ops: arithmetic, comparisons, logic, rounding, Where, Max/Min/Clip and the unary
//! activations.

use ndarray::{ArrayD, Zip};

use crate::broadcast::view_as;

/// `f(a, b)` elementwise with both operands broadcast to `shape`.
pub(crate) fn binary(
    a: &ArrayD<f64>,
    b: &ArrayD<f64>,
    shape: &[usize],
    f: impl Fn(f64, f64) -> f64,
) -> Result<ArrayD<f64>, String> {
    let (a, b) = (view_as(a, shape)?, view_as(b, shape)?);
    Ok(Zip::from(&a).and(&b).map_collect(|&x, &y| f(x, y)))
}

/// Integer division: the divisor must not be zero (the quotient is truncated toward zero when it
/// is rounded to i64).
pub(crate) fn check_int_divisor(b: &ArrayD<f64>) -> Result<(), String> {
    if b.iter().any(|&x| x == 0.0) {
        Err("integer division by zero".into())
    } else {
        Ok(())
    }
}

/// Θ(x): 1 if x > 0, else 0 (0, −0 and NaN give 0).
pub(crate) fn theta(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else {
        0.0
    }
}

/// Comparison result as 0/1.
pub(crate) fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// max(x, 0), keeping NaN.
pub(crate) fn relu(x: f64) -> f64 {
    if x < 0.0 {
        0.0
    } else {
        x
    }
}

/// The logistic function 1 / (1 + e^−x).
pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// where(c, x, y) with all three broadcast to `shape`.
pub(crate) fn select(
    c: &ArrayD<f64>,
    x: &ArrayD<f64>,
    y: &ArrayD<f64>,
    shape: &[usize],
) -> Result<ArrayD<f64>, String> {
    let (c, x, y) = (view_as(c, shape)?, view_as(x, shape)?, view_as(y, shape)?);
    Ok(Zip::from(&c).and(&x).and(&y).map_collect(|&c, &x, &y| if c != 0.0 { x } else { y }))
}

/// max(a, b), NaN if either is NaN (ONNX Max, `torch.maximum`).
pub(crate) fn max_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// min(a, b), NaN if either is NaN.
pub(crate) fn min_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// −1, 0 or 1 by the sign of x; zeros and NaN are returned as they are.
pub(crate) fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// Clip: `min(max(x, lo), hi)` with absent bounds skipped, all broadcast to `shape`.
pub(crate) fn clip(
    x: &ArrayD<f64>,
    lo: Option<&ArrayD<f64>>,
    hi: Option<&ArrayD<f64>>,
    shape: &[usize],
) -> Result<ArrayD<f64>, String> {
    let mut y = view_as(x, shape)?.to_owned();
    if let Some(lo) = lo {
        y = binary(&y, lo, shape, max_nan)?;
    }
    if let Some(hi) = hi {
        y = binary(&y, hi, shape, min_nan)?;
    }
    Ok(y)
}
