//! Reading the protobuf and checking the model-level declarations (graph, opsets).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use tract_onnx::pb::{GraphProto, ModelProto, NodeProto};
use tract_onnx::prelude::Framework;

use crate::OnnxError;

/// The default-domain opsets this frontend implements.
pub(crate) const DEFAULT_OPSETS: std::ops::RangeInclusive<i64> = 13..=20;
/// The custom SNN domain and its only version.
pub(crate) const SNN_DOMAIN: &str = "snn";

/// `""` and `"ai.onnx"` both name the default domain; both become `""`.
pub(crate) fn normalize_domain(domain: &str) -> &str {
    if domain == "ai.onnx" {
        ""
    } else {
        domain
    }
}

/// How a node's op is shown in messages: `op_type`, or `domain:op_type` outside the default domain.
pub(crate) fn op_label(node: &NodeProto) -> String {
    match normalize_domain(&node.domain) {
        "" => node.op_type.clone(),
        d => format!("{d}:{}", node.op_type),
    }
}

/// Reads and decodes `path`; the decoded model has a graph.
pub(crate) fn read_model(path: &Path) -> Result<ModelProto, OnnxError> {
    let file = path.to_path_buf();
    let bytes =
        std::fs::read(path).map_err(|source| OnnxError::Io { file: file.clone(), source })?;
    decode_model(&bytes, path)
}

/// Decodes the bytes of a model file (`file` names it in errors); the decoded model has a graph.
pub(crate) fn decode_model(bytes: &[u8], file: &Path) -> Result<ModelProto, OnnxError> {
    let file = file.to_path_buf();
    let parse = |msg: String| OnnxError::Parse { file: file.clone(), msg };
    if bytes.is_empty() {
        return Err(parse("the file is empty".into()));
    }
    let decoded =
        catch_unwind(AssertUnwindSafe(|| tract_onnx::onnx().proto_model_for_read(&mut &bytes[..])));
    let model = match decoded {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return Err(parse(format!("protobuf decoding failed: {e}"))),
        Err(_) => return Err(parse("the protobuf decoder panicked".into())),
    };
    match &model.graph {
        Some(g) if !g.output.is_empty() => Ok(model),
        Some(_) => Err(parse("the graph declares no outputs".into())),
        None => Err(parse("the model has no graph".into())),
    }
}

/// The model's graph (present after [`read_model`]).
pub(crate) fn graph<'a>(model: &'a ModelProto, file: &Path) -> Result<&'a GraphProto, OnnxError> {
    model
        .graph
        .as_ref()
        .ok_or_else(|| OnnxError::Parse { file: file.to_path_buf(), msg: "no graph".into() })
}

/// Checks the opset imports and returns the default-domain opset version.
///
/// The default domain must be imported at a version in 13–20 when a node uses it; `snn` must be
/// version 1 when a node uses it. Imports of other domains are declarations only: a node that
/// uses such a domain is reported as unsupported later, with every other unsupported node.
pub(crate) fn check_opsets(model: &ModelProto, file: &Path) -> Result<i64, OnnxError> {
    let err = |msg: String| OnnxError::Model { file: PathBuf::from(file), msg };
    let mut default = None;
    let mut snn = None;
    for imp in &model.opset_import {
        match normalize_domain(&imp.domain) {
            "" => default = Some(imp.version),
            SNN_DOMAIN => snn = Some(imp.version),
            _ => {}
        }
    }
    let nodes = model.graph.as_ref().map(|g| g.node.as_slice()).unwrap_or_default();
    let uses = |d: &str| nodes.iter().any(|n| normalize_domain(&n.domain) == d);
    if let Some(v) = default {
        if !DEFAULT_OPSETS.contains(&v) {
            return Err(err(format!(
                "default-domain opset {v} is not supported (supported: {}–{})",
                DEFAULT_OPSETS.start(),
                DEFAULT_OPSETS.end()
            )));
        }
    } else if uses("") {
        return Err(err("the model does not import an opset for the default domain".into()));
    }
    match snn {
        Some(1) => {}
        Some(v) => {
            return Err(err(format!("domain 'snn' version {v} is not supported (supported: 1)")))
        }
        None if uses(SNN_DOMAIN) => {
            return Err(err("nodes use domain 'snn' but the model does not import it".into()))
        }
        None => {}
    }
    Ok(default.unwrap_or(*DEFAULT_OPSETS.end()))
}

/// The folder external data is resolved against (the model file's parent, or `.`).
pub(crate) fn model_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
