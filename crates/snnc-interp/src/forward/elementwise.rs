//! Elementwise ops: arithmetic, comparisons, Where and the unary activations.

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
