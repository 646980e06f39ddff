//! Reverse rules of the data-movement ops.

use ndarray::{s, Array3, ArrayD, Axis, Slice};
use snnc_ir::normalize_axis;

use crate::forward::linear::stack;
use crate::forward::shape::{full_perm, GatherPlan};
use crate::value::reshaped;

/// Gather: each output element's gradient is added to the data element it was read from
/// (repeated indices accumulate).
pub(crate) fn gather_back(
    data_shape: &[usize],
    indices: &ArrayD<f64>,
    axis: i64,
    g: &ArrayD<f64>,
) -> Result<ArrayD<f64>, String> {
    let p = GatherPlan::new(data_shape, indices, axis)?;
    let g3 = stack(g, [p.outer, p.indices.len(), p.inner])?;
    let mut gd = Array3::<f64>::zeros((p.outer, p.dim, p.inner));
    for (j, &i) in p.indices.iter().enumerate() {
        let mut dst = gd.slice_mut(s![.., i, ..]);
        dst += &g3.slice(s![.., j, ..]);
    }
    reshaped(&gd.into_dyn(), data_shape)
}

/// Concat: the gradient is cut back into the parts' extents along the axis.
pub(crate) fn concat_back(
    shapes: &[&[usize]],
    axis: i64,
    g: &ArrayD<f64>,
) -> Result<Vec<Option<ArrayD<f64>>>, String> {
    let a = normalize_axis(axis, g.ndim()).ok_or_else(|| format!("axis {axis} is out of range"))?;
    let mut start = 0usize;
    let mut out = Vec::with_capacity(shapes.len());
    for sh in shapes {
        let len = *sh.get(a).ok_or("part of the wrong rank (internal error)")?;
        let end = start + len;
        if end > g.shape()[a] {
            return Err("parts longer than the result (internal error)".into());
        }
        out.push(Some(g.slice_axis(Axis(a), Slice::from(start..end)).to_owned()));
        start = end;
    }
    Ok(out)
}

/// Transpose: the gradient is permuted by the inverse permutation.
pub(crate) fn transpose_back(perm: &[usize], g: &ArrayD<f64>) -> Result<ArrayD<f64>, String> {
    let perm = full_perm(perm, g.ndim());
    let mut inv = vec![0usize; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        *inv.get_mut(p).ok_or("bad permutation (internal error)")? = i;
    }
    if inv.len() != g.ndim() {
        return Err("bad permutation (internal error)".into());
    }
    Ok(g.view().permuted_axes(inv).to_owned())
}
