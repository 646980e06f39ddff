//! How values are held: f64 arrays rounded to their declared dtype.

use ndarray::{ArrayD, IxDyn};
use snnc_ir::{DType, Tensor, TensorType};

/// One input of a node as an op implementation sees it: the data and its static type.
#[derive(Clone, Copy)]
pub(crate) struct Arg<'a> {
    /// The value, as f64 (bool as 0/1, i64 exact below 2⁵³).
    pub data: &'a ArrayD<f64>,
    /// The value's declared type.
    pub ty: &'a TensorType,
}

/// Rounds one element to what `dtype` stores: f32 rounds to nearest, i64 truncates toward zero
/// (saturating; NaN gives 0), bool is `x != 0` as 0/1. The same rules as
/// [`Tensor::from_f64`].
pub(crate) fn round_elem(dtype: DType, x: f64) -> f64 {
    match dtype {
        DType::F32 => x as f32 as f64,
        DType::F64 => x,
        DType::I64 => (x as i64) as f64,
        DType::Bool => {
            if x != 0.0 {
                1.0
            } else {
                0.0
            }
        }
    }
}

/// Rounds every element of `a` to `dtype`.
pub(crate) fn round_to(dtype: DType, a: ArrayD<f64>) -> ArrayD<f64> {
    if dtype == DType::F64 {
        a
    } else {
        a.mapv_into(|x| round_elem(dtype, x))
    }
}

/// The f64 form of `t`, rounded to `dtype`.
pub(crate) fn from_tensor(dtype: DType, t: &Tensor) -> ArrayD<f64> {
    round_to(dtype, t.to_f64())
}

/// The tensor of `dtype` holding `a`.
pub(crate) fn to_tensor(dtype: DType, a: ArrayD<f64>) -> Tensor {
    Tensor::from_f64(dtype, a)
}

/// `a`'s elements (in row-major order) laid out in `shape`; the counts must agree.
pub(crate) fn reshaped(a: &ArrayD<f64>, shape: &[usize]) -> Result<ArrayD<f64>, String> {
    ArrayD::from_shape_vec(IxDyn(shape), a.iter().copied().collect())
        .map_err(|_| format!("cannot lay out {} elements as {shape:?} (internal error)", a.len()))
}
