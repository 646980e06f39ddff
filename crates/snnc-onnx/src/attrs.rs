//! Typed access to a node's attributes, with errors that name the attribute.

use tract_onnx::pb::attribute_proto::AttributeType as A;
use tract_onnx::pb::{AttributeProto, NodeProto, TensorProto};

/// Fails on any attribute whose name is not in `known`.
pub(crate) fn check_known(node: &NodeProto, known: &[&str]) -> Result<(), String> {
    for a in &node.attribute {
        if !known.contains(&a.name.as_str()) {
            let expected = if known.is_empty() { "none".to_string() } else { known.join(", ") };
            return Err(format!("unknown attribute '{}' (expected: {expected})", a.name));
        }
    }
    Ok(())
}

fn find<'a>(node: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn type_name(a: &AttributeProto) -> String {
    A::try_from(a.r#type).map_or_else(|_| format!("type {}", a.r#type), |t| t.as_str_name().into())
}

fn typed<'a>(
    node: &'a NodeProto,
    name: &str,
    want: &[A],
    what: &str,
) -> Result<Option<(&'a AttributeProto, A)>, String> {
    let Some(a) = find(node, name) else { return Ok(None) };
    match A::try_from(a.r#type) {
        Ok(t) if want.contains(&t) => Ok(Some((a, t))),
        _ => Err(format!("attribute '{name}' must be {what}, got {}", type_name(a))),
    }
}

/// An optional `FLOAT` attribute.
pub(crate) fn float(node: &NodeProto, name: &str) -> Result<Option<f32>, String> {
    Ok(typed(node, name, &[A::Float], "a float")?.map(|(a, _)| a.f))
}

/// An optional `INT` attribute.
pub(crate) fn int(node: &NodeProto, name: &str) -> Result<Option<i64>, String> {
    Ok(typed(node, name, &[A::Int], "an int")?.map(|(a, _)| a.i))
}

/// An optional `INTS` attribute.
pub(crate) fn ints(node: &NodeProto, name: &str) -> Result<Option<Vec<i64>>, String> {
    Ok(typed(node, name, &[A::Ints], "a list of ints")?.map(|(a, _)| a.ints.clone()))
}

/// An optional `FLOATS` attribute.
pub(crate) fn floats(node: &NodeProto, name: &str) -> Result<Option<Vec<f32>>, String> {
    Ok(typed(node, name, &[A::Floats], "a list of floats")?.map(|(a, _)| a.floats.clone()))
}

/// An optional `FLOAT` or `FLOATS` attribute, as a vector (one value for a `FLOAT`).
pub(crate) fn float_or_floats(node: &NodeProto, name: &str) -> Result<Option<Vec<f32>>, String> {
    let found = typed(node, name, &[A::Float, A::Floats], "a float or a list of floats")?;
    match found {
        Some((a, A::Float)) => Ok(Some(vec![a.f])),
        Some((a, _)) if a.floats.is_empty() => Err(format!("attribute '{name}' is an empty list")),
        Some((a, _)) => Ok(Some(a.floats.clone())),
        None => Ok(None),
    }
}

/// An optional `STRING` attribute (UTF-8).
pub(crate) fn string(node: &NodeProto, name: &str) -> Result<Option<String>, String> {
    match typed(node, name, &[A::String], "a string")? {
        Some((a, _)) => String::from_utf8(a.s.clone())
            .map(Some)
            .map_err(|_| format!("attribute '{name}' is not valid UTF-8")),
        None => Ok(None),
    }
}

/// An optional `TENSOR` attribute.
pub(crate) fn tensor<'a>(
    node: &'a NodeProto,
    name: &str,
) -> Result<Option<&'a TensorProto>, String> {
    match typed(node, name, &[A::Tensor], "a tensor")? {
        Some((a, _)) => {
            a.t.as_ref().map(Some).ok_or_else(|| format!("attribute '{name}' has no tensor"))
        }
        None => Ok(None),
    }
}
