//! ONNX external data: resolved strictly inside the model's folder, size-checked before reading.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use tract_onnx::pb::TensorProto;

/// True when `t` stores its data in an external file.
pub(crate) fn is_external(t: &TensorProto) -> bool {
    t.data_location == Some(tract_onnx::pb::tensor_proto::DataLocation::External as i32)
}

fn entry<'a>(t: &'a TensorProto, key: &str) -> Option<&'a str> {
    t.external_data.iter().find(|e| e.key == key).map(|e| e.value.as_str())
}

fn parse_u64(t: &TensorProto, key: &str) -> Result<Option<u64>, String> {
    entry(t, key)
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| format!("external data {key} '{v}' is not a number"))
        })
        .transpose()
}

/// Resolves `location` inside `model_dir`: it must be a relative path without `..`, and after
/// following symlinks it must still lie inside the (canonical) model folder. Nothing is read.
pub(crate) fn resolve(model_dir: &Path, location: &str) -> Result<PathBuf, String> {
    let loc = Path::new(location);
    if location.is_empty() {
        return Err("external data location is empty".into());
    }
    if !loc.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
        return Err(format!(
            "external data location '{location}' leaves the model's folder \
             (it must be a relative path without '..')"
        ));
    }
    let dir = model_dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve the model's folder {}: {e}", model_dir.display()))?;
    let joined = dir.join(loc);
    let real = joined.canonicalize().map_err(|e| {
        format!("external data file '{location}' ({}) cannot be opened: {e}", joined.display())
    })?;
    if !real.starts_with(&dir) {
        return Err(format!(
            "external data location '{location}' resolves to {}, outside the model's folder {}",
            real.display(),
            dir.display()
        ));
    }
    if !real.is_file() {
        return Err(format!("external data location '{location}' is not a regular file"));
    }
    Ok(real)
}

/// Reads exactly `expected` bytes of `t`'s external data from inside `model_dir`.
///
/// The location, offset and length are checked against the file's size before any allocation,
/// so a truncated or missing file is an error, never a panic or a huge allocation.
pub(crate) fn read(t: &TensorProto, model_dir: &Path, expected: usize) -> Result<Vec<u8>, String> {
    let location = entry(t, "location").ok_or("external data has no 'location' entry")?;
    let path = resolve(model_dir, location)?;
    let offset = parse_u64(t, "offset")?.unwrap_or(0);
    if let Some(len) = parse_u64(t, "length")? {
        if len != expected as u64 {
            return Err(format!(
                "external data length {len} does not match the tensor's {expected} bytes"
            ));
        }
    }
    let mut file = File::open(&path)
        .map_err(|e| format!("external data file '{location}' cannot be opened: {e}"))?;
    let size = file.metadata().map_err(|e| format!("external data file '{location}': {e}"))?.len();
    let end = offset.checked_add(expected as u64).ok_or("external data offset overflows")?;
    if end > size {
        return Err(format!(
            "external data file '{location}' is truncated: the tensor needs bytes {offset}..{end} \
             but the file has {size} bytes"
        ));
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| format!("external data file '{location}': {e}"))?;
    let mut buf = vec![0u8; expected];
    file.read_exact(&mut buf)
        .map_err(|e| format!("external data file '{location}' cannot be read: {e}"))?;
    Ok(buf)
}
