//! Data movement: Gather, Concat, Transpose (Reshape-like ops are a plain re-layout).

use ndarray::{concatenate, s, Array3, ArrayD, Axis};
use snnc_ir::normalize_axis;

use crate::forward::linear::stack;
use crate::value::reshaped;

/// How a Gather addresses its data: data viewed as [outer, D, inner] and one resolved index per
/// index element.
pub(crate) struct GatherPlan {
    /// Product of the dims before the axis.
    pub outer: usize,
    /// Size of the gathered axis.
    pub dim: usize,
    /// Product of the dims after the axis.
    pub inner: usize,
    /// Each index, negative ones resolved, in row-major order.
    pub indices: Vec<usize>,
}

impl GatherPlan {
    /// Resolves `indices` against axis `axis` of a `data_shape` tensor; an index outside
    /// [−D, D) is an error.
    pub(crate) fn new(
        data_shape: &[usize],
        indices: &ArrayD<f64>,
        axis: i64,
    ) -> Result<Self, String> {
        let a = normalize_axis(axis, data_shape.len())
            .ok_or_else(|| format!("axis {axis} is out of range for rank {}", data_shape.len()))?;
        let dim = data_shape[a];
        let mut resolved = Vec::with_capacity(indices.len());
        for &i in indices.iter() {
            let r = if i < 0.0 { i + dim as f64 } else { i };
            if !(r >= 0.0 && r < dim as f64) {
                return Err(format!(
                    "index {i} is out of range for axis {axis} of size {dim} (data {data_shape:?})"
                ));
            }
            resolved.push(r as usize);
        }
        Ok(GatherPlan {
            outer: data_shape[..a].iter().product(),
            dim,
            inner: data_shape[a + 1..].iter().product(),
            indices: resolved,
        })
    }
}

/// ONNX Gather; `out_shape` is the result's shape.
pub(crate) fn gather(
    data: &ArrayD<f64>,
    indices: &ArrayD<f64>,
    axis: i64,
    out_shape: &[usize],
) -> Result<ArrayD<f64>, String> {
    let p = GatherPlan::new(data.shape(), indices, axis)?;
    let d3 = stack(data, [p.outer, p.dim, p.inner])?;
    let mut out = Array3::<f64>::zeros((p.outer, p.indices.len(), p.inner));
    for (j, &i) in p.indices.iter().enumerate() {
        out.slice_mut(s![.., j, ..]).assign(&d3.slice(s![.., i, ..]));
    }
    reshaped(&out.into_dyn(), out_shape)
}

/// Concatenation of `parts` along `axis`.
pub(crate) fn concat(parts: &[&ArrayD<f64>], axis: i64) -> Result<ArrayD<f64>, String> {
    let rank = parts.first().map_or(0, |p| p.ndim());
    let a = normalize_axis(axis, rank).ok_or_else(|| format!("axis {axis} is out of range"))?;
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    concatenate(Axis(a), &views).map_err(|e| e.to_string())
}

/// The permutation Transpose applies (`perm`, or the reversal when empty).
pub(crate) fn full_perm(perm: &[usize], rank: usize) -> Vec<usize> {
    if perm.is_empty() {
        (0..rank).rev().collect()
    } else {
        perm.to_vec()
    }
}

/// Output axis `i` is input axis `perm[i]`.
pub(crate) fn transpose(a: &ArrayD<f64>, perm: &[usize]) -> Result<ArrayD<f64>, String> {
    let perm = full_perm(perm, a.ndim());
    let mut seen = vec![false; a.ndim()];
    if perm.len() != a.ndim()
        || perm.iter().any(|&p| p >= a.ndim() || std::mem::replace(&mut seen[p], true))
    {
        return Err(format!("perm {perm:?} is not a permutation of rank {}", a.ndim()));
    }
    Ok(a.view().permuted_axes(perm).to_owned())
}
