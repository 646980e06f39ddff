//! The caller's tensors as f32 data in plan order (checked by `snnc_plan`'s binding, with the
//! CPU engine's rules and messages), and device data back to tensors.

use snnc_ir::Tensor;
use snnc_plan::{Plan, Sig};

use crate::CudaError;

/// Every graph input's data, in plan order.
pub(crate) fn inputs(plan: &Plan, given: &[(String, Tensor)]) -> Result<Vec<Vec<f32>>, CudaError> {
    let bound = plan.bind_inputs(given).map_err(|e| CudaError::Input(e.to_string()))?;
    Ok(bound.into_iter().map(|d| d.into_owned()).collect())
}

/// Every output's upstream gradient, in plan order (zeros when not given).
pub(crate) fn seeds(plan: &Plan, given: &[(String, Tensor)]) -> Result<Vec<Vec<f32>>, CudaError> {
    let bound = plan.bind_grad_outputs(given).map_err(|e| CudaError::Input(e.to_string()))?;
    Ok(bound.into_iter().map(|d| d.into_owned()).collect())
}

/// f32 data as a tensor of the value's dtype and shape.
pub(crate) fn to_tensor(s: &Sig, data: Vec<f32>) -> Result<Tensor, CudaError> {
    s.tensor(&data).map_err(CudaError::Input)
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
