//! Compiled modules, cached by a hash of their source and target: in memory for the process,
//! and on disk under `$SNNC_CUDA_CACHE` (default: the system temporary directory's
//! `snnc-cuda-cache`), so a plan compiles once per machine.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use crate::nvrtc::{compile, Output};
use crate::CudaError;

/// FNV-1a, 64 bits: stable across builds, unlike the standard library's hasher.
pub(crate) fn source_hash(src: &str, arch: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in src.as_bytes().iter().chain(&arch.to_le_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn memory() -> &'static Mutex<HashMap<u64, Vec<u8>>> {
    static CACHE: OnceLock<Mutex<HashMap<u64, Vec<u8>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn disk_path(key: u64, arch: u32) -> PathBuf {
    let dir = std::env::var_os("SNNC_CUDA_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("snnc-cuda-cache"));
    dir.join(format!("{key:016x}-sm_{arch}.cubin"))
}

/// The CUBIN of `src` for `sm_{arch}`, compiled with NVRTC unless cached.
pub(crate) fn cubin(src: &str, name: &str, arch: u32) -> Result<Vec<u8>, CudaError> {
    let key = source_hash(src, arch);
    if let Some(c) = memory().lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let path = disk_path(key, arch);
    let image = match std::fs::read(&path) {
        Ok(bytes) if !bytes.is_empty() => bytes,
        _ => {
            let c = compile(src, name, arch, Output::Cubin)?;
            if let Some(dir) = path.parent() {
                // A cache that cannot be written only costs a recompilation next time.
                let _ = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, &c.image));
            }
            c.image
        }
    };
    if let Ok(mut m) = memory().lock() {
        m.insert(key, image.clone());
    }
    Ok(image)
}
