use snnc_ir::{DType, MAX_ELEMENTS};

/// The parsed header of a `.npy` array.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyHeader {
    /// Element type (`<f4`, `<f8`, `<i8`, `<i4`, `|b1` are supported; `<i4` reads as i64).
    pub dtype: DType,
    /// Bytes per element in the file.
    pub item_size: usize,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Offset of the data after the header.
    pub data_offset: usize,
    /// True when the data is stored in Fortran (column-major) order.
    pub fortran_order: bool,
}

/// Parses and checks a `.npy` header: magic, version, dtype, memory order, and that the declared
/// shape fits both [`MAX_ELEMENTS`] and the bytes that follow the header.
pub fn parse_header(bytes: &[u8]) -> Result<NpyHeader, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a NumPy .npy array (bad magic)".into());
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => {
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let end =
        start.checked_add(len).filter(|&e| e <= bytes.len()).ok_or("truncated .npy header")?;
    let text = std::str::from_utf8(&bytes[start..end]).map_err(|_| "header is not text")?;
    let descr = dict_value(text, "descr").ok_or("header has no 'descr'")?;
    let fortran = dict_value(text, "fortran_order").ok_or("header has no 'fortran_order'")?;
    let shape_text = dict_value(text, "shape").ok_or("header has no 'shape'")?;
    let fortran_order = match fortran.trim() {
        "False" => false,
        "True" => true,
        other => return Err(format!("bad fortran_order '{other}'")),
    };
    let (dtype, item_size) = match descr.trim().trim_matches(|c| c == '\'' || c == '"') {
        "<f4" => (DType::F32, 4),
        "<f8" => (DType::F64, 8),
        "<i8" => (DType::I64, 8),
        "<i4" => (DType::I64, 4),
        "|b1" => (DType::Bool, 1),
        other => {
            return Err(format!(
                "unsupported dtype '{other}' (expected float32, float64, int64, int32 or bool)"
            ))
        }
    };
    let inner = shape_text.trim().strip_prefix('(').and_then(|s| s.strip_suffix(')'));
    let inner = inner.ok_or_else(|| format!("bad shape '{shape_text}'"))?;
    // A Python tuple: `()`, `(n,)`, `(a, b)` or `(a, b,)`; no empty items otherwise.
    let mut parts: Vec<&str> = match inner.trim() {
        "" => Vec::new(),
        items => items.split(',').map(str::trim).collect(),
    };
    if parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    let digits = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let shape = parts
        .iter()
        .map(|p| p.parse::<usize>().ok().filter(|_| digits(p)))
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| format!("bad shape '{shape_text}'"))?;
    let count = snnc_ir::shape_len(&shape).ok_or_else(|| {
        format!("declared shape {shape:?} exceeds the limit of {MAX_ELEMENTS} elements")
    })?;
    let need = count * item_size;
    if bytes.len() - end < need {
        return Err(format!(
            "truncated data: shape {shape:?} needs {need} bytes, the file has {}",
            bytes.len() - end
        ));
    }
    Ok(NpyHeader { dtype, item_size, shape, data_offset: end, fortran_order })
}

/// The text after `'key':` up to the next top-level comma or closing brace.
fn dict_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("'{key}':");
    let rest = &text[text.find(&pat)? + pat.len()..];
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' | '}' if depth == 0 => return Some(&rest[..i]),
            _ => {}
        }
    }
    None
}
