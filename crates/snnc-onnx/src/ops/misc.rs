//! Constant, Identity and Cast (an int32 target is carried as i64, like int32 data).

use snnc_ir::{Op, Tensor};

use super::{Entry, Lowered, NodeCtx};
use crate::{attrs, tensor};

/// Constant, Identity and Cast.
pub(crate) const OPS: &[Entry] = &[
    Entry { domain: "", op_type: "Constant", convert: constant, static_inputs: &[] },
    Entry { domain: "", op_type: "Identity", convert: identity, static_inputs: &[] },
    Entry { domain: "", op_type: "Cast", convert: cast, static_inputs: &[] },
];

const CONSTANT_ATTRS: [&str; 5] =
    ["value", "value_float", "value_floats", "value_int", "value_ints"];

fn constant(ctx: &NodeCtx) -> Result<Lowered, String> {
    let node = ctx.node;
    if let Some(a) = node.attribute.iter().find(|a| !CONSTANT_ATTRS.contains(&a.name.as_str())) {
        return Err(format!(
            "attribute '{}' is not supported (expected one of {})",
            a.name,
            CONSTANT_ATTRS.join(", ")
        ));
    }
    if node.attribute.len() != 1 {
        return Err(format!("needs exactly one value attribute, has {}", node.attribute.len()));
    }
    let value = if let Some(t) = attrs::tensor(node, "value")? {
        tensor::load(t, ctx.model_dir).map_err(|e| format!("attribute 'value': {e}"))?
    } else if let Some(x) = attrs::float(node, "value_float")? {
        Tensor::scalar_f32(x)
    } else if let Some(v) = attrs::floats(node, "value_floats")? {
        Tensor::F32(ndarray::Array1::from(v).into_dyn())
    } else if let Some(x) = attrs::int(node, "value_int")? {
        Tensor::I64(ndarray::arr0(x).into_dyn())
    } else if let Some(v) = attrs::ints(node, "value_ints")? {
        Tensor::I64(ndarray::Array1::from(v).into_dyn())
    } else {
        return Err("has no value".into());
    };
    Ok(Lowered { op: Op::Constant { value }, inputs: Vec::new() })
}

fn identity(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &[])?;
    Ok(ctx.all(Op::Identity))
}

fn cast(ctx: &NodeCtx) -> Result<Lowered, String> {
    attrs::check_known(ctx.node, &["to", "saturate"])?;
    let code = attrs::int(ctx.node, "to")?.ok_or("attribute 'to' is required")?;
    let to = i32::try_from(code)
        .map_err(|_| format!("unknown target type code {code}"))
        .and_then(tensor::dtype_of)
        .map_err(|e| format!("attribute 'to': {e}"))?;
    Ok(ctx.all(Op::Cast { to }))
}
