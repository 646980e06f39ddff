//! Dense single-precision matrix product through the `gemm` crate (the fastest of the crates
//! measured on the target machine; see `benches/kernels.rs`).

use gemm::Parallelism;

use crate::{KernelError, Threads};

/// Checks that an `rows × cols` matrix with strides (`rs`, `cs`) fits in `len` elements.
fn check_fits(
    what: &'static str,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
    len: usize,
) -> Result<(), KernelError> {
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let last = (rows - 1)
        .checked_mul(rs)
        .and_then(|a| (cols - 1).checked_mul(cs).and_then(|b| a.checked_add(b)))
        .and_then(|x| x.checked_add(1))
        .ok_or(KernelError::Overflow(what))?;
    if last > len || isize::try_from(last).is_err() {
        return Err(KernelError::Layout {
            what,
            msg: format!(
                "{rows}×{cols} with strides ({rs}, {cs}) needs {last} elements, buffer has {len}"
            ),
        });
    }
    Ok(())
}

/// `C = A·B` (or `C += A·B` when `accumulate`) in f32.
///
/// * `A` is `m × k`: element (i, p) at `a[i·a_rs + p·a_cs]`;
/// * `B` is `k × n`: element (p, j) at `b[p·b_rs + j·b_cs]`;
/// * `C` is `m × n`, row-major with row stride `c_rs ≥ n`: element (i, j) at `c[i·c_rs + j]`.
///
/// Strides make transposed operands free: `X·Wᵀ` with `W` stored `[n, k]` row-major is
/// `b_rs = 1, b_cs = k`. With `accumulate = false` the old contents of `C` are ignored (NaN in
/// `C` does not propagate). Each element of `C` is reduced over `k` in an order that does not
/// depend on `threads`, so results are bitwise identical for any thread count.
///
/// Errors when an operand reaches past its buffer, when rows of `C` would overlap, when `A` or
/// `B` has a zero stride along `k` (with `k > 1`), or when a size overflows.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    a_rs: usize,
    a_cs: usize,
    b: &[f32],
    b_rs: usize,
    b_cs: usize,
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
    threads: Threads,
) -> Result<(), KernelError> {
    if !checked(m, n, k, (a, a_rs, a_cs), (b, b_rs, b_cs), c, c_rs, accumulate)? {
        return Ok(());
    }
    let par = match threads {
        Threads::Fixed(1) => Parallelism::None,
        _ => Parallelism::Rayon(0),
    };
    threads.install(|| raw(m, n, k, (a, a_rs, a_cs), (b, b_rs, b_cs), c, c_rs, accumulate, par))
}

/// [`sgemm`] on the calling thread, for kernels that are already parallel over their own
/// tasks (moving into a [`Threads`] pool from inside a task would serialize the tasks).
#[allow(clippy::too_many_arguments)]
pub(crate) fn sgemm_seq(
    m: usize,
    n: usize,
    k: usize,
    a: (&[f32], usize, usize),
    b: (&[f32], usize, usize),
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
) -> Result<(), KernelError> {
    if checked(m, n, k, a, b, c, c_rs, accumulate)? {
        raw(m, n, k, a, b, c, c_rs, accumulate, Parallelism::None);
    }
    Ok(())
}

/// Checks the operands of a product; `Ok(false)` when nothing is left to compute (an empty
/// product, or `k = 0`, whose zero fill is done here).
#[allow(clippy::too_many_arguments)]
fn checked(
    m: usize,
    n: usize,
    k: usize,
    (a, a_rs, a_cs): (&[f32], usize, usize),
    (b, b_rs, b_cs): (&[f32], usize, usize),
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
) -> Result<bool, KernelError> {
    check_fits("sgemm A", m, k, a_rs, a_cs, a.len())?;
    check_fits("sgemm B", k, n, b_rs, b_cs, b.len())?;
    check_fits("sgemm C", m, n, c_rs, 1, c.len())?;
    if m > 1 && c_rs < n {
        return Err(KernelError::Layout {
            what: "sgemm C",
            msg: format!("row stride {c_rs} is smaller than the row length {n}"),
        });
    }
    // The inner dimension must lie in memory, so that the work is bounded by the buffers.
    if m > 0 && n > 0 && k > 1 && (a_cs == 0 || b_rs == 0) {
        return Err(KernelError::Layout {
            what: "sgemm",
            msg: format!("a zero stride along the inner dimension of length {k}"),
        });
    }
    if m == 0 || n == 0 {
        return Ok(false);
    }
    if k == 0 {
        if !accumulate {
            for i in 0..m {
                c[i * c_rs..i * c_rs + n].fill(0.0);
            }
        }
        return Ok(false);
    }
    Ok(true)
}

/// The product itself, on operands [`checked`] accepted.
#[allow(clippy::too_many_arguments)]
fn raw(
    m: usize,
    n: usize,
    k: usize,
    (a, a_rs, a_cs): (&[f32], usize, usize),
    (b, b_rs, b_cs): (&[f32], usize, usize),
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
    par: Parallelism,
) {
    // SAFETY: [`checked`] accepted every operand: each extent fits its buffer (all offsets
    // fit in isize), C's rows do not overlap, and C is borrowed mutably while A and B are
    // shared, so no operand aliases C.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            c_rs as isize,
            accumulate,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            par,
        )
    }
}
