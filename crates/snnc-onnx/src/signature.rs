//! Graph inputs: their declared types, symbolic dimensions and bindings.

use std::collections::HashSet;
use std::path::Path;

use snnc_ir::{DType, TensorType};
use tract_onnx::pb::tensor_shape_proto::dimension::Value as Dim;
use tract_onnx::pb::type_proto::Value as TypeValue;
use tract_onnx::pb::{GraphProto, ValueInfoProto};

use crate::{proto, tensor, ImportOptions, OnnxError};

/// One declared dimension of a graph input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DeclDim {
    /// A fixed size.
    Fixed(usize),
    /// A `dim_param` name.
    Symbolic(String),
    /// Neither a value nor a name.
    Unknown,
}

/// The runtime inputs of `g`: its declared inputs that are not initializers, in order.
pub(crate) fn runtime_inputs(g: &GraphProto) -> Vec<&ValueInfoProto> {
    let inits: HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
    g.input.iter().filter(|v| !inits.contains(v.name.as_str())).collect()
}

/// The element type and declared dimensions of a graph input.
pub(crate) fn declared(v: &ValueInfoProto) -> Result<(DType, Vec<DeclDim>), String> {
    let t = match v.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(TypeValue::TensorType(t)) => t,
        None => return Err("has no tensor type (only tensor inputs are supported)".into()),
    };
    let dtype = tensor::dtype_of(t.elem_type)?;
    let shape = t.shape.as_ref().ok_or("has no declared shape")?;
    let mut dims = Vec::with_capacity(shape.dim.len());
    for (i, d) in shape.dim.iter().enumerate() {
        dims.push(match &d.value {
            Some(Dim::DimValue(x)) if *x > 0 => DeclDim::Fixed(
                usize::try_from(*x).map_err(|_| format!("dimension {i} ({x}) is too large"))?,
            ),
            Some(Dim::DimValue(x)) => {
                return Err(format!("dimension {i} is {x}; dimensions must be positive"))
            }
            Some(Dim::DimParam(p)) if !p.is_empty() => DeclDim::Symbolic(p.clone()),
            _ => DeclDim::Unknown,
        });
    }
    Ok((dtype, dims))
}

/// The concrete type of a graph input, with symbolic dimensions bound from `opts`.
pub(crate) fn bind(v: &ValueInfoProto, opts: &ImportOptions) -> Result<TensorType, String> {
    let (dtype, dims) = declared(v)?;
    let hint = opts.input_shapes.get(&v.name).filter(|h| h.len() == dims.len());
    let mut shape = Vec::with_capacity(dims.len());
    for (i, d) in dims.iter().enumerate() {
        shape.push(match (d, hint.map(|h| h[i])) {
            (DeclDim::Fixed(x), _) => *x,
            (_, Some(x)) if x > 0 => x,
            (DeclDim::Symbolic(p), _) => match opts.dims.get(p) {
                Some(0) => return Err(format!("dimension '{p}' is bound to 0; sizes must be positive")),
                Some(&x) => x,
                None => {
                    return Err(format!(
                        "dimension {i} is the symbolic '{p}', which has no binding (bind it, e.g. {p}=SIZE)"
                    ))
                }
            },
            (DeclDim::Unknown, _) => {
                return Err(format!("dimension {i} has neither a size nor a name"))
            }
        });
    }
    let ty = TensorType::new(dtype, shape);
    if ty.checked_len().is_none() {
        return Err(format!(
            "declared type {ty} exceeds the limit of {} elements",
            snnc_ir::MAX_ELEMENTS
        ));
    }
    Ok(ty)
}

/// A model's runtime inputs: name, declared dimensions (`None` where symbolic or unknown) and
/// element type, in graph order.
pub type InputSignature = Vec<(String, Vec<Option<usize>>, DType)>;

/// The runtime inputs of the model at `path` (graph inputs that are not initializers), each
/// with its declared dimensions (`None` for a symbolic or unknown dimension) and element type
/// (int32 is reported as [`DType::I64`]). Lets a caller generate inputs or bind dimensions
/// before calling [`load_onnx`](crate::load_onnx).
pub fn input_signature(path: &Path) -> Result<InputSignature, OnnxError> {
    let model = proto::read_model(path)?;
    let g = proto::graph(&model, path)?;
    let mut out = Vec::new();
    for v in runtime_inputs(g) {
        let (dtype, dims) = declared(v).map_err(|msg| OnnxError::Input {
            file: path.to_path_buf(),
            input: v.name.clone(),
            msg,
        })?;
        let dims = dims
            .into_iter()
            .map(|d| match d {
                DeclDim::Fixed(x) => Some(x),
                _ => None,
            })
            .collect();
        out.push((v.name.clone(), dims, dtype));
    }
    Ok(out)
}
