//! Entry points that read and write text IR.

use std::path::Path;

use snnc_ir::Graph;

use crate::error::TextError;
use crate::lexer::position_of_byte;
use crate::npz::NpzFiles;
use crate::printer::{render, External};

/// Parses the text IR in `src`.
///
/// `npz(...)` references are resolved in `base_dir` (refused when it is `None`); the
/// one-argument form `npz("key")` reads `<stem of file_label>.npz`. Errors read
/// `FILE_LABEL:LINE:COL: message`.
pub fn parse_str(src: &str, base_dir: Option<&Path>, file_label: &str) -> Result<Graph, TextError> {
    crate::parser::parse(src, NpzFiles::new(base_dir, file_label))
        .map_err(|(pos, msg)| TextError::at(file_label, pos, msg))
}

/// Reads and parses a text-IR file; `npz(...)` paths are resolved in the file's folder and may
/// not leave it.
pub fn parse_file(path: &Path) -> Result<Graph, TextError> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| TextError::io(&label, e.to_string()))?;
    let src = match std::str::from_utf8(&bytes) {
        Ok(s) => s,
        Err(e) => {
            let pos = position_of_byte(&bytes, e.valid_up_to());
            return Err(TextError::at(&label, pos, "the file is not valid UTF-8 text"));
        }
    };
    let base = path.parent().unwrap_or(Path::new(""));
    let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    crate::parser::parse(src, NpzFiles::new(Some(base), &file_name))
        .map_err(|(pos, msg)| TextError::at(&label, pos, msg))
}

/// Writes `g` to `path` as text IR. Tensors (weights and `Constant` values) with more than
/// `inline_limit` elements go to `<stem>.npz` beside it, referenced as
/// `npz("<stem>.npz", "KEY")`; the archive is written only when some tensor goes there.
pub fn write_file(g: &Graph, path: &Path, inline_limit: usize) -> Result<(), TextError> {
    let label = path.display().to_string();
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| TextError::io(&label, "the file name must be valid UTF-8"))?;
    let npz_name = format!("{stem}.npz");
    let mut ext = Some(External::new(npz_name.clone(), inline_limit));
    let text = render(g, &mut ext);
    if let Some(ext) = ext.filter(|e| !e.arrays.is_empty()) {
        let npz_path = path.with_file_name(&npz_name);
        let arrays: Vec<(&str, &snnc_ir::Tensor)> =
            ext.arrays.iter().map(|(k, t)| (k.as_str(), t)).collect();
        snnc_arrays::write_npz(&npz_path, &arrays)
            .map_err(|e| TextError::io(npz_path.display(), e.to_string()))?;
    }
    std::fs::write(path, text).map_err(|e| TextError::io(&label, e.to_string()))
}
