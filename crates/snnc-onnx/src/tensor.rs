//! ONNX `TensorProto` → IR [`Tensor`]: raw, typed and external data.

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use snnc_ir::{DType, Tensor, TensorType};
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::TensorProto;

use crate::external;

/// The IR type for an ONNX element-type code (int32 is widened to i64).
pub(crate) fn dtype_of(code: i32) -> Result<DType, String> {
    match DataType::try_from(code) {
        Ok(DataType::Float) => Ok(DType::F32),
        Ok(DataType::Double) => Ok(DType::F64),
        Ok(DataType::Int64 | DataType::Int32) => Ok(DType::I64),
        Ok(DataType::Bool) => Ok(DType::Bool),
        Ok(other) => Err(format!(
            "element type {} is not supported (float, double, int64, int32 and bool are)",
            other.as_str_name()
        )),
        Err(_) => Err(format!("unknown element type code {code}")),
    }
}

/// Bytes per element as stored in `raw_data` or external data.
fn stored_size(code: i32) -> usize {
    match DataType::try_from(code) {
        Ok(DataType::Double | DataType::Int64) => 8,
        Ok(DataType::Bool) => 1,
        _ => 4,
    }
}

/// Loads `t`, reading external data from inside `model_dir`. Sizes are checked against the
/// declared dimensions (and [`snnc_ir::MAX_ELEMENTS`]) before anything large is allocated.
pub(crate) fn load(t: &TensorProto, model_dir: &Path) -> Result<Tensor, String> {
    let dtype = dtype_of(t.data_type)?;
    if t.segment.is_some() {
        return Err("segmented tensors are not supported".into());
    }
    let mut shape = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        shape.push(usize::try_from(d).map_err(|_| format!("negative dimension {d}"))?);
    }
    let ty = TensorType::new(dtype, shape.clone());
    let n = ty.checked_len().ok_or_else(|| {
        format!("declared shape {shape:?} exceeds the limit of {} elements", snnc_ir::MAX_ELEMENTS)
    })?;
    let esize = stored_size(t.data_type);
    if external::is_external(t) {
        let bytes = external::read(t, model_dir, n * esize)?;
        return from_raw(t.data_type, &shape, &bytes);
    }
    if !t.raw_data.is_empty() {
        if t.raw_data.len() != n * esize {
            return Err(format!(
                "raw_data has {} bytes but shape {shape:?} needs {}",
                t.raw_data.len(),
                n * esize
            ));
        }
        return from_raw(t.data_type, &shape, &t.raw_data);
    }
    from_typed(t, dtype, &shape, n)
}

fn array<T>(shape: &[usize], data: Vec<T>) -> Result<ArrayD<T>, String> {
    ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|e| format!("bad data for {shape:?}: {e}"))
}

fn check_len(field: &str, have: usize, n: usize) -> Result<(), String> {
    if have == n {
        Ok(())
    } else {
        Err(format!("{field} has {have} values but the shape needs {n}"))
    }
}

fn from_typed(t: &TensorProto, dtype: DType, shape: &[usize], n: usize) -> Result<Tensor, String> {
    let is_i32 = t.data_type == DataType::Int32 as i32;
    match dtype {
        DType::F32 => {
            check_len("float_data", t.float_data.len(), n)?;
            Ok(Tensor::F32(array(shape, t.float_data.clone())?))
        }
        DType::F64 => {
            check_len("double_data", t.double_data.len(), n)?;
            Ok(Tensor::F64(array(shape, t.double_data.clone())?))
        }
        DType::I64 if is_i32 => {
            check_len("int32_data", t.int32_data.len(), n)?;
            Ok(Tensor::I64(array(shape, t.int32_data.iter().map(|&x| i64::from(x)).collect())?))
        }
        DType::I64 => {
            check_len("int64_data", t.int64_data.len(), n)?;
            Ok(Tensor::I64(array(shape, t.int64_data.clone())?))
        }
        DType::Bool => {
            check_len("int32_data", t.int32_data.len(), n)?;
            Ok(Tensor::Bool(array(shape, t.int32_data.iter().map(|&x| x != 0).collect())?))
        }
    }
}

fn le<const N: usize>(c: &[u8]) -> [u8; N] {
    let mut b = [0u8; N];
    b.copy_from_slice(c);
    b
}

fn from_raw(code: i32, shape: &[usize], raw: &[u8]) -> Result<Tensor, String> {
    match DataType::try_from(code) {
        Ok(DataType::Float) => {
            let v = raw.chunks_exact(4).map(|c| f32::from_le_bytes(le(c))).collect();
            Ok(Tensor::F32(array(shape, v)?))
        }
        Ok(DataType::Double) => {
            let v = raw.chunks_exact(8).map(|c| f64::from_le_bytes(le(c))).collect();
            Ok(Tensor::F64(array(shape, v)?))
        }
        Ok(DataType::Int64) => {
            let v = raw.chunks_exact(8).map(|c| i64::from_le_bytes(le(c))).collect();
            Ok(Tensor::I64(array(shape, v)?))
        }
        Ok(DataType::Int32) => {
            let v = raw.chunks_exact(4).map(|c| i64::from(i32::from_le_bytes(le(c)))).collect();
            Ok(Tensor::I64(array(shape, v)?))
        }
        Ok(DataType::Bool) => {
            Ok(Tensor::Bool(array(shape, raw.iter().map(|&b| b != 0).collect())?))
        }
        _ => Err(format!("unsupported element type code {code}")),
    }
}
