//! Checking and converting the caller's tensors: graph inputs and upstream gradients, with
//! the same rules as `snnc_interp`.

use std::borrow::Cow;
use std::collections::HashSet;

use snnc_ir::{DType, Tensor, TensorType};
use snnc_plan::{Plan, Sig};

use crate::WgpuError;

/// `t` as f32 values (borrowed when it already is contiguous f32).
pub(crate) fn f32_data(t: &Tensor) -> Cow<'_, [f32]> {
    match t {
        Tensor::F32(a) => match a.as_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(a.iter().copied().collect()),
        },
        Tensor::F64(a) => Cow::Owned(a.iter().map(|&x| x as f32).collect()),
        Tensor::I64(a) => Cow::Owned(a.iter().map(|&x| x as f32).collect()),
        Tensor::Bool(a) => Cow::Owned(a.iter().map(|&x| f32::from(u8::from(x))).collect()),
    }
}

fn ty(s: &Sig) -> String {
    TensorType::new(s.dtype, s.shape.clone()).to_string()
}

fn accepts(want: DType, got: DType) -> bool {
    want == got || (want.is_float() && got.is_float())
}

/// The data of every graph input, in plan order.
pub(crate) fn inputs<'t>(
    plan: &Plan,
    given: &'t [(String, Tensor)],
) -> Result<Vec<Cow<'t, [f32]>>, WgpuError> {
    let sigs = plan.inputs();
    let mut out: Vec<Option<Cow<'t, [f32]>>> = vec![None; sigs.len()];
    for (name, t) in given {
        let Some(i) = sigs.iter().position(|s| &s.name == name) else {
            let known: Vec<_> = sigs.iter().map(|s| s.name.as_str()).collect();
            return Err(WgpuError::UnknownInput { name: name.clone(), known: known.join(", ") });
        };
        if out[i].is_some() {
            return Err(WgpuError::DuplicateInput(name.clone()));
        }
        let s = &sigs[i];
        if !accepts(s.dtype, t.dtype()) || t.shape() != s.shape.as_slice() {
            let got = t.tensor_type().to_string();
            return Err(WgpuError::InputType { name: name.clone(), expected: ty(s), got });
        }
        out[i] = Some(f32_data(t));
    }
    out.into_iter()
        .zip(sigs)
        .map(|(d, s)| {
            d.ok_or_else(|| WgpuError::MissingInput { name: s.name.clone(), expected: ty(s) })
        })
        .collect()
}

/// The upstream gradient of every output, in plan order (`None`: zero).
pub(crate) fn seeds<'t>(
    plan: &Plan,
    given: &'t [(String, Tensor)],
) -> Result<Vec<Option<Cow<'t, [f32]>>>, WgpuError> {
    let sigs = plan.outputs();
    let mut out: Vec<Option<Cow<'t, [f32]>>> = vec![None; sigs.len()];
    let mut seen = HashSet::new();
    for (name, t) in given {
        let Some(i) = sigs.iter().position(|s| &s.name == name) else {
            let known: Vec<_> = sigs.iter().map(|s| s.name.as_str()).collect();
            return Err(WgpuError::UnknownGradOutput {
                name: name.clone(),
                known: known.join(", "),
            });
        };
        if !seen.insert(i) {
            return Err(WgpuError::DuplicateGradOutput(name.clone()));
        }
        let s = &sigs[i];
        let got = t.tensor_type().to_string();
        if s.dtype == DType::I64 {
            let expected = "none: an integer output has no gradient".to_string();
            return Err(WgpuError::GradOutputType { name: name.clone(), expected, got });
        }
        if !t.dtype().is_float() || t.shape() != s.shape.as_slice() {
            let expected = format!("float data of shape {:?}", s.shape);
            return Err(WgpuError::GradOutputType { name: name.clone(), expected, got });
        }
        out[i] = Some(f32_data(t));
    }
    Ok(out)
}

/// f32 data as a tensor of the value's dtype and shape.
pub(crate) fn to_tensor(s: &Sig, data: &[f32]) -> Result<Tensor, String> {
    let shape = ndarray::IxDyn(&s.shape);
    let err = |_| format!("value '{}' has {} elements, not {:?}", s.name, data.len(), s.shape);
    Ok(match s.dtype {
        DType::F32 => {
            Tensor::F32(ndarray::ArrayD::from_shape_vec(shape, data.to_vec()).map_err(err)?)
        }
        DType::F64 => Tensor::F64(
            ndarray::ArrayD::from_shape_vec(shape, data.iter().map(|&x| f64::from(x)).collect())
                .map_err(err)?,
        ),
        DType::I64 => Tensor::I64(
            ndarray::ArrayD::from_shape_vec(shape, data.iter().map(|&x| x as i64).collect())
                .map_err(err)?,
        ),
        DType::Bool => Tensor::Bool(
            ndarray::ArrayD::from_shape_vec(shape, data.iter().map(|&x| x != 0.0).collect())
                .map_err(err)?,
        ),
    })
}
