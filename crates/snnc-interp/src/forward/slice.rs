//! Slice: strided windows of a tensor, forward and reverse.

use ndarray::{ArrayD, IxDyn, SliceInfoElem};
use snnc_ir::{AxisSlice, SliceSpec};

/// The ndarray slice of each axis (ndarray's negative steps count from the window's end, so
/// a backward walk is the forward window `[start − (len−1)·|step|, start]` reversed).
fn elems(axes: &[AxisSlice]) -> Vec<SliceInfoElem> {
    axes.iter()
        .map(|a| {
            if a.len == 0 {
                return SliceInfoElem::Slice { start: 0, end: Some(0), step: 1 };
            }
            if a.step > 0 {
                let end = a.start as i64 + (a.len as i64 - 1) * a.step + 1;
                SliceInfoElem::Slice {
                    start: a.start as isize,
                    end: Some(end as isize),
                    step: a.step as isize,
                }
            } else {
                let first = a.start as i64 + (a.len as i64 - 1) * a.step;
                SliceInfoElem::Slice {
                    start: first as isize,
                    end: Some(a.start as isize + 1),
                    step: a.step as isize,
                }
            }
        })
        .collect()
}

/// ONNX Slice of `x`.
pub(crate) fn slice(x: &ArrayD<f64>, spec: &SliceSpec) -> Result<ArrayD<f64>, String> {
    let axes = spec.resolve(x.shape())?;
    let info = elems(&axes);
    Ok(x.slice(info.as_slice()).to_owned())
}

/// Slice's reverse: the gradient `g` scattered into zeros of the input's shape.
pub(crate) fn slice_back(
    shape: &[usize],
    spec: &SliceSpec,
    g: &ArrayD<f64>,
) -> Result<ArrayD<f64>, String> {
    let axes = spec.resolve(shape)?;
    let mut out = ArrayD::zeros(IxDyn(shape));
    let info = elems(&axes);
    let mut window = out.slice_mut(info.as_slice());
    if window.shape() != g.shape() {
        return Err(format!(
            "gradient {:?} does not fit the slice {:?} (internal error)",
            g.shape(),
            window.shape()
        ));
    }
    window.assign(g);
    Ok(out)
}
