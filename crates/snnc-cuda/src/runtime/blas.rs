//! Dense products through cuBLAS (column-major): row-major `C = A·B` is `Cᵀ = Bᵀ·Aᵀ`.

use std::ffi::c_int;

use cudarc::cublas::{result, sys};

use crate::{CudaError, GemmDesc};

/// How a row-major-strided matrix `rows × cols` (element (i, j) at `i·rs + j·cs`) is passed so
/// that cuBLAS sees its transpose: the operation and the leading dimension, or `None` when the
/// strides fit neither layout.
fn layout(
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
) -> Option<(sys::cublasOperation_t, c_int)> {
    let fit = |v: usize| c_int::try_from(v).ok();
    if (cs == 1 || cols == 1) && (rows == 1 || rs >= cols) {
        return Some((sys::cublasOperation_t::CUBLAS_OP_N, fit(rs.max(cols).max(1))?));
    }
    if (rs == 1 || rows == 1) && (cols == 1 || cs >= rows) {
        return Some((sys::cublasOperation_t::CUBLAS_OP_T, fit(cs.max(rows).max(1))?));
    }
    None
}

/// Whether cuBLAS can compute `g`.
pub(crate) fn fits(g: &GemmDesc) -> bool {
    let dims = [g.m, g.n, g.k].iter().all(|&d| c_int::try_from(d).is_ok());
    dims && layout(g.m, g.k, g.a.rs, g.a.cs).is_some()
        && layout(g.k, g.n, g.b.rs, g.b.cs).is_some()
        && c_int::try_from(g.c_rs.max(g.n).max(1)).is_ok()
}

/// Computes `g` with the operands at device addresses `a`, `b`, `c` (offsets already applied).
///
/// # Safety
/// The addresses must hold the operands `g` describes, on the handle's stream.
pub(crate) unsafe fn sgemm(
    handle: sys::cublasHandle_t,
    g: &GemmDesc,
    a: u64,
    b: u64,
    c: u64,
) -> Result<(), CudaError> {
    let err = |msg: String| CudaError::Driver { call: "cublasSgemm", msg };
    let (op_a, lda) = layout(g.m, g.k, g.a.rs, g.a.cs).ok_or_else(|| err("layout".into()))?;
    let (op_b, ldb) = layout(g.k, g.n, g.b.rs, g.b.cs).ok_or_else(|| err("layout".into()))?;
    let ldc = c_int::try_from(g.c_rs.max(g.n).max(1)).map_err(|_| err("ldc".into()))?;
    let beta: f32 = if g.acc { 1.0 } else { 0.0 };
    // SAFETY: the caller's contract; alpha and beta live until the call returns.
    unsafe {
        result::sgemm(
            handle,
            op_b,
            op_a,
            g.n as c_int,
            g.m as c_int,
            g.k as c_int,
            &g.alpha,
            b as *const f32,
            ldb,
            a as *const f32,
            lda,
            &beta,
            c as *mut f32,
            ldc,
        )
    }
    .map_err(|e| err(format!("{e:?}")))
}
