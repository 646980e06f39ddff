use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use ndarray_npy::WriteNpyExt;
use snnc_ir::{DType, Tensor};

use crate::{parse_header, ArrayError};

/// Decodes the bytes of a `.npy` array; `what` names the source in errors.
pub fn read_npy_bytes(bytes: &[u8], what: &Path) -> Result<Tensor, ArrayError> {
    let h = parse_header(bytes).map_err(|m| ArrayError::format(what, m))?;
    let data = &bytes[h.data_offset..];
    let count: usize = h.shape.iter().product();
    let stored: Vec<usize> =
        if h.fortran_order { h.shape.iter().rev().copied().collect() } else { h.shape.clone() };
    let shape = IxDyn(&stored);
    let chunks = data.chunks_exact(h.item_size).take(count);
    let tensor = match (h.dtype, h.item_size) {
        (DType::F32, _) => Tensor::F32(from_vec(
            what,
            shape,
            chunks.map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect(),
        )?),
        (DType::F64, _) => Tensor::F64(from_vec(
            what,
            shape,
            chunks.map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect(),
        )?),
        (DType::I64, 8) => Tensor::I64(from_vec(
            what,
            shape,
            chunks.map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes"))).collect(),
        )?),
        (DType::I64, _) => Tensor::I64(from_vec(
            what,
            shape,
            chunks.map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes")) as i64).collect(),
        )?),
        (DType::Bool, _) => {
            let v: Vec<bool> = chunks
                .map(|c| match c[0] {
                    0 => Ok(false),
                    1 => Ok(true),
                    b => Err(ArrayError::format(what, format!("invalid bool byte {b}"))),
                })
                .collect::<Result<_, _>>()?;
            Tensor::Bool(from_vec(what, shape, v)?)
        }
    };
    Ok(if h.fortran_order { standard(reversed(tensor)) } else { tensor })
}

/// Reverses the axes (a Fortran-ordered array read as C order is the transpose).
fn reversed(t: Tensor) -> Tensor {
    match t {
        Tensor::F32(a) => Tensor::F32(a.reversed_axes()),
        Tensor::F64(a) => Tensor::F64(a.reversed_axes()),
        Tensor::I64(a) => Tensor::I64(a.reversed_axes()),
        Tensor::Bool(a) => Tensor::Bool(a.reversed_axes()),
    }
}

/// Rewrites a tensor in C (row-major) order.
fn standard(t: Tensor) -> Tensor {
    match t {
        Tensor::F32(a) => Tensor::F32(a.as_standard_layout().into_owned()),
        Tensor::F64(a) => Tensor::F64(a.as_standard_layout().into_owned()),
        Tensor::I64(a) => Tensor::I64(a.as_standard_layout().into_owned()),
        Tensor::Bool(a) => Tensor::Bool(a.as_standard_layout().into_owned()),
    }
}

/// The header checked the element count, so this fails only on a shape the array library
/// refuses for another reason; that is an error naming the file, never a panic.
fn from_vec<T>(what: &Path, shape: IxDyn, v: Vec<T>) -> Result<ArrayD<T>, ArrayError> {
    ArrayD::from_shape_vec(shape, v).map_err(|e| ArrayError::format(what, format!("shape: {e}")))
}

/// Reads a `.npy` file.
pub fn read_npy(path: &Path) -> Result<Tensor, ArrayError> {
    let bytes = std::fs::read(path).map_err(|e| ArrayError::io(path, e))?;
    read_npy_bytes(&bytes, path)
}

/// Encodes a tensor as `.npy` bytes, always in C order.
pub(crate) fn npy_bytes(t: &Tensor) -> Vec<u8> {
    let mut out = Vec::new();
    let r = match &standard(t.clone()) {
        Tensor::F32(a) => a.write_npy(&mut out),
        Tensor::F64(a) => a.write_npy(&mut out),
        Tensor::I64(a) => a.write_npy(&mut out),
        Tensor::Bool(a) => a.write_npy(&mut out),
    };
    r.expect("writing to memory cannot fail");
    out
}

/// Writes a `.npy` file.
pub fn write_npy(path: &Path, t: &Tensor) -> Result<(), ArrayError> {
    std::fs::write(path, npy_bytes(t)).map_err(|e| ArrayError::io(path, e))
}
