use ndarray::{ArrayD, IxDyn};

use crate::{DType, TensorType};

/// A constant tensor (an initializer, a `Constant` node's value, or an interpreter value).
#[derive(Debug, Clone, PartialEq)]
pub enum Tensor {
    /// float32 data.
    F32(ArrayD<f32>),
    /// float64 data.
    F64(ArrayD<f64>),
    /// int64 data.
    I64(ArrayD<i64>),
    /// boolean data.
    Bool(ArrayD<bool>),
}

impl Tensor {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Tensor::F32(_) => DType::F32,
            Tensor::F64(_) => DType::F64,
            Tensor::I64(_) => DType::I64,
            Tensor::Bool(_) => DType::Bool,
        }
    }

    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        match self {
            Tensor::F32(a) => a.shape(),
            Tensor::F64(a) => a.shape(),
            Tensor::I64(a) => a.shape(),
            Tensor::Bool(a) => a.shape(),
        }
    }

    /// The element count.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Type of this tensor as a graph value.
    pub fn tensor_type(&self) -> TensorType {
        TensorType::new(self.dtype(), self.shape().to_vec())
    }

    /// Every element converted to f64 (booleans as 0/1; i64 beyond 2⁵³ loses precision).
    pub fn to_f64(&self) -> ArrayD<f64> {
        match self {
            Tensor::F32(a) => a.mapv(f64::from),
            Tensor::F64(a) => a.clone(),
            Tensor::I64(a) => a.mapv(|x| x as f64),
            Tensor::Bool(a) => a.mapv(|x| if x { 1.0 } else { 0.0 }),
        }
    }

    /// Converts f64 data to `dtype`, rounding to nearest for f32, truncating toward zero for i64
    /// (as ONNX `Cast` does), and `x != 0` for bool.
    pub fn from_f64(dtype: DType, data: ArrayD<f64>) -> Tensor {
        match dtype {
            DType::F32 => Tensor::F32(data.mapv(|x| x as f32)),
            DType::F64 => Tensor::F64(data),
            DType::I64 => Tensor::I64(data.mapv(|x| x as i64)),
            DType::Bool => Tensor::Bool(data.mapv(|x| x != 0.0)),
        }
    }

    /// A tensor of `dtype` and `shape` filled with zeros (false).
    pub fn zeros(dtype: DType, shape: &[usize]) -> Tensor {
        Tensor::from_f64(dtype, ArrayD::zeros(IxDyn(shape)))
    }

    /// A rank-0 f32 tensor.
    pub fn scalar_f32(x: f32) -> Tensor {
        Tensor::F32(ArrayD::from_elem(IxDyn(&[]), x))
    }

    /// The elements as i64 in row-major order, if this is an integer tensor.
    pub fn as_i64_vec(&self) -> Option<Vec<i64>> {
        match self {
            Tensor::I64(a) => Some(a.iter().copied().collect()),
            _ => None,
        }
    }

    /// The elements as f32 in row-major order, if this is a float tensor.
    pub fn as_f32_vec(&self) -> Option<Vec<f32>> {
        match self {
            Tensor::F32(a) => Some(a.iter().copied().collect()),
            Tensor::F64(a) => Some(a.iter().map(|&x| x as f32).collect()),
            _ => None,
        }
    }

    /// Whether `other` has the same dtype, shape and bit patterns (so NaNs of one payload are
    /// equal, and 0.0 and −0.0 are not).
    pub fn same_bits(&self, other: &Tensor) -> bool {
        match (self, other) {
            (Tensor::F32(a), Tensor::F32(b)) => {
                a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
            }
            (Tensor::F64(a), Tensor::F64(b)) => {
                a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
            }
            (Tensor::I64(a), Tensor::I64(b)) => a == b,
            (Tensor::Bool(a), Tensor::Bool(b)) => a == b,
            _ => false,
        }
    }

    /// Every element as f32 in row-major order (booleans as 0/1, i64 rounded), borrowed when
    /// the tensor already is contiguous f32.
    pub fn to_f32_data(&self) -> std::borrow::Cow<'_, [f32]> {
        use std::borrow::Cow;
        match self {
            Tensor::F32(a) => match a.as_slice() {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(a.iter().copied().collect()),
            },
            Tensor::F64(a) => Cow::Owned(a.iter().map(|&x| x as f32).collect()),
            Tensor::I64(a) => Cow::Owned(a.iter().map(|&x| x as f32).collect()),
            Tensor::Bool(a) => Cow::Owned(a.iter().map(|&x| f32::from(u8::from(x))).collect()),
        }
    }

    /// A tensor of `dtype` and `shape` from f32 data (i64 truncated toward zero, bool as
    /// `x != 0`). Fails when `data` does not have `shape`'s element count.
    pub fn from_f32_data(dtype: DType, shape: &[usize], data: &[f32]) -> Result<Tensor, String> {
        let err = |_| format!("{} elements do not make a tensor of shape {shape:?}", data.len());
        let shape = IxDyn(shape);
        Ok(match dtype {
            DType::F32 => Tensor::F32(ArrayD::from_shape_vec(shape, data.to_vec()).map_err(err)?),
            DType::F64 => Tensor::F64(
                ArrayD::from_shape_vec(shape, data.iter().map(|&x| f64::from(x)).collect())
                    .map_err(err)?,
            ),
            DType::I64 => Tensor::I64(
                ArrayD::from_shape_vec(shape, data.iter().map(|&x| x as i64).collect())
                    .map_err(err)?,
            ),
            DType::Bool => Tensor::Bool(
                ArrayD::from_shape_vec(shape, data.iter().map(|&x| x != 0.0).collect())
                    .map_err(err)?,
            ),
        })
    }
}
