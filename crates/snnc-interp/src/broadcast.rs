//! NumPy broadcasting of operands and the matching reduction of gradients.

use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};

/// `a` viewed with shape `shape` under NumPy broadcasting rules.
pub(crate) fn view_as<'a>(
    a: &'a ArrayD<f64>,
    shape: &[usize],
) -> Result<ArrayViewD<'a, f64>, String> {
    a.broadcast(IxDyn(shape))
        .ok_or_else(|| format!("cannot broadcast {:?} to {shape:?}", a.shape()))
}

/// Sums a gradient `g` (of the broadcast result's shape) back down to an operand's `shape`: the
/// leading axes the operand lacks are summed away, and axes where the operand has size 1 are
/// summed keeping the axis.
pub(crate) fn reduce_to(mut g: ArrayD<f64>, shape: &[usize]) -> Result<ArrayD<f64>, String> {
    if g.ndim() < shape.len() {
        return Err(format!("cannot reduce {:?} to {shape:?}", g.shape()));
    }
    while g.ndim() > shape.len() {
        g = g.sum_axis(Axis(0));
    }
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 && g.shape()[i] != 1 {
            g = g.sum_axis(Axis(i)).insert_axis(Axis(i));
        }
    }
    if g.shape() != shape {
        return Err(format!("cannot reduce {:?} to {shape:?}", g.shape()));
    }
    Ok(g)
}
