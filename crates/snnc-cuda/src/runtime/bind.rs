//! The caller's tensors as f32 data in plan order, checked with the CPU engine's rules and
//! messages, and device data back to tensors.

use snnc_ir::{DType, Tensor, TensorType};
use snnc_plan::{Plan, Sig};

use crate::CudaError;

fn f32_data(t: &Tensor) -> Vec<f32> {
    match t {
        Tensor::F32(a) => a.iter().copied().collect(),
        Tensor::F64(a) => a.iter().map(|&x| x as f32).collect(),
        Tensor::I64(a) => a.iter().map(|&x| x as f32).collect(),
        Tensor::Bool(a) => a.iter().map(|&x| f32::from(u8::from(x))).collect(),
    }
}

fn ty(s: &Sig) -> String {
    TensorType::new(s.dtype, s.shape.clone()).to_string()
}

fn names(sigs: &[Sig]) -> String {
    sigs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Every graph input's data, in plan order.
pub(crate) fn inputs(plan: &Plan, given: &[(String, Tensor)]) -> Result<Vec<Vec<f32>>, CudaError> {
    let sigs = plan.inputs();
    let mut out: Vec<Option<Vec<f32>>> = vec![None; sigs.len()];
    for (name, t) in given {
        let Some(i) = sigs.iter().position(|s| &s.name == name) else {
            return Err(CudaError::Input(format!(
                "unknown input '{name}' (the graph's inputs are: {})",
                names(sigs)
            )));
        };
        if out[i].is_some() {
            return Err(CudaError::Input(format!("input '{name}' is given more than once")));
        }
        let s = &sigs[i];
        let ok = s.dtype == t.dtype() || (s.dtype.is_float() && t.dtype().is_float());
        if !ok || t.shape() != s.shape.as_slice() {
            return Err(CudaError::Input(format!(
                "input '{name}': expected {}, got {}",
                ty(s),
                t.tensor_type()
            )));
        }
        out[i] = Some(f32_data(t));
    }
    out.into_iter()
        .zip(sigs)
        .map(|(d, s)| {
            d.ok_or_else(|| {
                CudaError::Input(format!("missing input '{}' (expected {})", s.name, ty(s)))
            })
        })
        .collect()
}

/// Every output's upstream gradient, in plan order (zeros when not given).
pub(crate) fn seeds(plan: &Plan, given: &[(String, Tensor)]) -> Result<Vec<Vec<f32>>, CudaError> {
    let sigs = plan.outputs();
    let mut out: Vec<Option<Vec<f32>>> = vec![None; sigs.len()];
    for (name, t) in given {
        let Some(i) = sigs.iter().position(|s| &s.name == name) else {
            return Err(CudaError::Input(format!(
                "gradient given for '{name}', which is not a graph output (the outputs are: {})",
                names(sigs)
            )));
        };
        if out[i].is_some() {
            return Err(CudaError::Input(format!(
                "gradient for output '{name}' is given more than once"
            )));
        }
        let s = &sigs[i];
        if s.dtype == DType::I64 || !t.dtype().is_float() || t.shape() != s.shape.as_slice() {
            return Err(CudaError::Input(format!(
                "gradient for output '{name}': expected float data of shape {:?}, got {}",
                s.shape,
                t.tensor_type()
            )));
        }
        out[i] = Some(f32_data(t));
    }
    Ok(out.into_iter().zip(sigs).map(|(d, s)| d.unwrap_or_else(|| vec![0.0; s.len()])).collect())
}

/// f32 data as a tensor of the value's dtype and shape.
pub(crate) fn to_tensor(s: &Sig, data: Vec<f32>) -> Result<Tensor, CudaError> {
    let shape = ndarray::IxDyn(&s.shape);
    let bad = |_| CudaError::Input(format!("value '{}' has the wrong number of elements", s.name));
    Ok(match s.dtype {
        DType::F32 => Tensor::F32(ndarray::ArrayD::from_shape_vec(shape, data).map_err(bad)?),
        DType::F64 => Tensor::F64(
            ndarray::ArrayD::from_shape_vec(shape, data.iter().map(|&x| f64::from(x)).collect())
                .map_err(bad)?,
        ),
        DType::I64 => Tensor::I64(
            ndarray::ArrayD::from_shape_vec(shape, data.iter().map(|&x| x as i64).collect())
                .map_err(bad)?,
        ),
        DType::Bool => Tensor::Bool(
            ndarray::ArrayD::from_shape_vec(shape, data.iter().map(|&x| x != 0.0).collect())
                .map_err(bad)?,
        ),
    })
}

/// Whether data suits the event-driven kernels: all 0/1 with at most 30 % ones (the CPU
/// engine's crossover).
pub(crate) fn event_suits(x: &[f32]) -> bool {
    let mut ones = 0usize;
    for &v in x {
        if v == 1.0 {
            ones += 1;
        } else if v != 0.0 {
            return false;
        }
    }
    x.is_empty() || (ones as f64) / (x.len() as f64) <= 0.3
}
