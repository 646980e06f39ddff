use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use snnc_ir::{Tensor, MAX_ELEMENTS};
use zip::write::SimpleFileOptions;

use crate::npy::npy_bytes;
use crate::{read_npy_bytes, ArrayError};

/// Reads every array of an `.npz` archive (compressed or not), keyed by name without `.npy`,
/// in archive order.
pub fn read_npz(path: &Path) -> Result<Vec<(String, Tensor)>, ArrayError> {
    let file = std::fs::File::open(path).map_err(|e| ArrayError::io(path, e))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| ArrayError::format(path, format!("not a valid .npz archive: {e}")))?;
    let mut out = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| ArrayError::format(path, format!("bad archive entry {i}: {e}")))?;
        let name = entry.name().trim_end_matches(".npy").to_string();
        let what = PathBuf::from(format!("{}:{name}", path.display()));
        let max = (MAX_ELEMENTS as u64) * 8 + (1 << 20);
        if entry.size() > max {
            return Err(ArrayError::format(what, format!("entry declares {} bytes", entry.size())));
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .by_ref()
            .take(max)
            .read_to_end(&mut bytes)
            .map_err(|e| ArrayError::format(&what, format!("cannot decompress: {e}")))?;
        out.push((name.clone(), read_npy_bytes(&bytes, &what)?));
    }
    Ok(out)
}

/// Writes arrays to an uncompressed `.npz` archive, one `NAME.npy` entry each.
pub fn write_npz(path: &Path, arrays: &[(&str, &Tensor)]) -> Result<(), ArrayError> {
    let file = std::fs::File::create(path).map_err(|e| ArrayError::io(path, e))?;
    let mut zip = zip::ZipWriter::new(file);
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let zerr = |e: zip::result::ZipError| ArrayError::format(path, e.to_string());
    for (name, t) in arrays {
        zip.start_file(format!("{name}.npy"), opts).map_err(zerr)?;
        zip.write_all(&npy_bytes(t)).map_err(|e| ArrayError::io(path, e))?;
    }
    zip.finish().map_err(zerr)?;
    Ok(())
}
