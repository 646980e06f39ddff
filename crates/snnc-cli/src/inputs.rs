use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ndarray::{ArrayD, IxDyn};
use snnc_ir::{DType, Tensor, TensorType};

/// Named arrays, in order.
pub type Named = Vec<(String, Tensor)>;

/// Reads array arguments (`NAME=FILE.npy`, `FILE.npz`, or a bare `FILE.npy` when exactly one
/// name is expected) into named tensors, checking every name against `names`.
///
/// `what` is "input" or "output" for messages.
pub fn read_named_arrays(
    specs: &[String],
    names: &[String],
    what: &str,
) -> Result<Vec<(String, Tensor)>> {
    let mut out: Vec<(String, Tensor)> = Vec::new();
    for spec in specs {
        let (name, file) = match spec.split_once('=') {
            Some((n, f)) if names.iter().any(|x| x == n) => (Some(n.to_string()), PathBuf::from(f)),
            Some((n, _)) if !Path::new(spec).exists() => {
                bail!(
                    "unknown {what} '{n}' in '{spec}'; the model's {what}s are: {}",
                    names.join(", ")
                )
            }
            _ => (None, PathBuf::from(spec)),
        };
        let arrays = if name.is_none() && file.extension().is_some_and(|e| e == "npz") {
            let all = snnc_arrays::read_npz(&file)?;
            for (n, _) in &all {
                if !names.contains(n) {
                    bail!(
                        "{}: array '{n}' is not a model {what}; the model's {what}s are: {}",
                        file.display(),
                        names.join(", ")
                    );
                }
            }
            all
        } else {
            let name = match name {
                Some(n) => n,
                None if names.len() == 1 => names[0].clone(),
                None => bail!(
                    "'{spec}': the model has {} {what}s ({}); use NAME=FILE.npy",
                    names.len(),
                    names.join(", ")
                ),
            };
            vec![(name, snnc_arrays::read_npy(&file)?)]
        };
        for (n, t) in arrays {
            if out.iter().any(|(m, _)| *m == n) {
                bail!("{what} '{n}' is given more than once");
            }
            out.push((n, t));
        }
    }
    Ok(out)
}

/// Checks `given` against the declared inputs (name and type) and fills missing inputs with
/// deterministic data: uniform in [0, 1) from a fixed seed per input (so runs are repeatable).
/// Returns the inputs in declaration order and the names that were generated.
pub fn bind_signature(
    sig: &[(String, TensorType)],
    given: Vec<(String, Tensor)>,
) -> Result<(Named, Vec<String>)> {
    let mut bound = Vec::new();
    let mut generated = Vec::new();
    for (k, (name, ty)) in sig.iter().enumerate() {
        match given.iter().find(|(n, _)| n == name) {
            Some((n, t)) => {
                check_input(n, t, ty)?;
                bound.push((n.clone(), to_dtype(t.clone(), ty.dtype)));
            }
            None => {
                generated.push(name.clone());
                bound.push((name.clone(), generate(ty, k as u64)));
            }
        }
    }
    for (n, _) in &given {
        if !sig.iter().any(|(m, _)| m == n) {
            let names: Vec<_> = sig.iter().map(|(m, _)| m.as_str()).collect();
            bail!("unknown input '{n}'; the model's inputs are: {}", names.join(", "));
        }
    }
    Ok((bound, generated))
}

fn check_input(name: &str, t: &Tensor, ty: &TensorType) -> Result<()> {
    let dtype_ok = t.dtype() == ty.dtype || (ty.dtype.is_float() && t.dtype().is_float());
    if !dtype_ok || t.shape() != ty.shape.as_slice() {
        bail!("input '{name}': the model expects {ty}, the array is {}", t.tensor_type());
    }
    Ok(())
}

/// Deterministic pseudo-random data of type `ty` (SplitMix64 stream `seed`).
pub fn generate(ty: &TensorType, seed: u64) -> Tensor {
    let n: usize = ty.shape.iter().product();
    let mut state = 0x5EED_0000_0000_0000u64 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let data: Vec<f64> = (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let arr = ArrayD::from_shape_vec(IxDyn(&ty.shape), data).expect("length matches shape");
    match ty.dtype {
        DType::Bool => Tensor::Bool(arr.mapv(|x| x < 0.5)),
        DType::I64 => Tensor::I64(arr.mapv(|_| 0)),
        d => Tensor::from_f64(d, arr),
    }
}

/// Converts a float tensor to the value's declared dtype (f64 arrays are accepted for f32).
pub fn to_dtype(t: Tensor, dtype: DType) -> Tensor {
    if t.dtype() == dtype {
        t
    } else {
        Tensor::from_f64(dtype, t.to_f64())
    }
}

/// Writes named tensors to an `.npz`, with a message naming the file on failure.
pub fn write_npz(path: &Path, arrays: &[(String, Tensor)]) -> Result<()> {
    let refs: Vec<(&str, &Tensor)> = arrays.iter().map(|(n, t)| (n.as_str(), t)).collect();
    snnc_arrays::write_npz(path, &refs).with_context(|| format!("cannot write {}", path.display()))
}
