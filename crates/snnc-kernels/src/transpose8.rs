//! Sequential transposes in 8×8 register tiles (AVX2 shuffles where the CPU has them), for
//! the layout changes inside kernels: a convolution's channels-last accumulator back to
//! channels first, and `dy` to channels last. Element-by-element, these strided copies cost
//! a scalar load and store each (a tenth of the spiking CNN's training time).

/// `dst[c·rows + r] = src[r·cols + c] (+ add[c])` for `src` `[rows, cols]` and `dst`
/// `[cols, rows]`. Each output is the source element, or that element plus `add[c]` in one
/// f32 addition, so every SIMD level writes the same bits.
///
/// Panics if `src` or `dst` is shorter than `rows·cols` or `add` shorter than `cols` (the
/// callers size them from the same shape).
pub(crate) fn transpose_add(
    src: &[f32],
    rows: usize,
    cols: usize,
    add: Option<&[f32]>,
    dst: &mut [f32],
) {
    transpose_block(Block { src, stride: cols, rows, cols }, add, dst, rows);
}

/// A `rows × cols` block of a row-major matrix whose rows are `stride` apart.
#[derive(Clone, Copy)]
pub(crate) struct Block<'a> {
    /// The block's first element and everything after it.
    pub(crate) src: &'a [f32],
    /// Elements between the starts of consecutive rows (at least `cols`).
    pub(crate) stride: usize,
    /// Rows.
    pub(crate) rows: usize,
    /// Columns.
    pub(crate) cols: usize,
}

/// [`transpose_add`] of a strided block: `dst[c·ld + r] = src[r·stride + c] (+ add[c])`, with
/// `ld ≥ rows` the row stride of `dst`.
///
/// Panics if a row or column reaches past `src` or `dst`, if `stride < cols` or `ld < rows`,
/// or if `add` is shorter than `cols`.
pub(crate) fn transpose_block(b: Block, add: Option<&[f32]>, dst: &mut [f32], ld: usize) {
    let Block { src, stride, rows, cols } = b;
    if rows == 0 || cols == 0 {
        return;
    }
    assert!(stride >= cols && ld >= rows, "transpose strides too small");
    let last = |n: usize, s: usize, m: usize| (n - 1).checked_mul(s).and_then(|a| a.checked_add(m));
    let (src_end, dst_end) = (last(rows, stride, cols), last(cols, ld, rows));
    assert!(src_end.is_some_and(|e| e <= src.len()), "transpose source too short");
    assert!(dst_end.is_some_and(|e| e <= dst.len()), "transpose destination too short");
    assert!(add.is_none_or(|a| a.len() >= cols), "transpose addend too short");
    let (r8, c8) = (rows / 8 * 8, cols / 8 * 8);
    #[cfg(target_arch = "x86_64")]
    if crate::simd::level() >= 1 && r8 > 0 && c8 > 0 {
        // SAFETY: level ≥ 1 means the CPU has AVX2; the extents were checked above.
        unsafe { tiles_avx2(b, add, dst, ld, r8, c8) };
        scalar(b, add, dst, ld, r8..rows, 0..cols);
        scalar(b, add, dst, ld, 0..r8, c8..cols);
        return;
    }
    scalar(b, add, dst, ld, 0..rows, 0..cols);
}

/// [`transpose_block`] over the source rows `rs` and columns `cs`, one element at a time.
fn scalar(
    b: Block,
    add: Option<&[f32]>,
    dst: &mut [f32],
    ld: usize,
    rs: std::ops::Range<usize>,
    cs: std::ops::Range<usize>,
) {
    for r in rs {
        for c in cs.clone() {
            let v = b.src[r * b.stride + c];
            dst[c * ld + r] = match add {
                Some(a) => v + a[c],
                None => v,
            };
        }
    }
}

/// The 8×8 tiles of the first `r8` rows and `c8` columns: eight row loads, the usual
/// unpack / shuffle / lane-permute network, eight column stores.
///
/// # Safety
/// The CPU must have AVX2, `b` and `dst` must hold the extents [`transpose_block`] checks,
/// `add` (if any) `cols` elements, and `r8 ≤ rows`, `c8 ≤ cols` must be multiples of 8.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx")]
unsafe fn tiles_avx2(
    b: Block,
    add: Option<&[f32]>,
    dst: &mut [f32],
    ld: usize,
    r8: usize,
    c8: usize,
) {
    use std::arch::x86_64::*;
    let (s, d, stride) = (b.src.as_ptr(), dst.as_mut_ptr(), b.stride);
    for r0 in (0..r8).step_by(8) {
        for c0 in (0..c8).step_by(8) {
            // SAFETY (every pointer below): r0 + 7 < rows and c0 + 7 < cols, so each row read
            // ends inside `src` and each column written ends inside `dst`.
            let p = unsafe { s.add(r0 * stride + c0) };
            let l = |i: usize| unsafe { _mm256_loadu_ps(p.add(i * stride)) };
            let (a0, a1, a2, a3) = (l(0), l(1), l(2), l(3));
            let (a4, a5, a6, a7) = (l(4), l(5), l(6), l(7));
            let (t0, t1) = (_mm256_unpacklo_ps(a0, a1), _mm256_unpackhi_ps(a0, a1));
            let (t2, t3) = (_mm256_unpacklo_ps(a2, a3), _mm256_unpackhi_ps(a2, a3));
            let (t4, t5) = (_mm256_unpacklo_ps(a4, a5), _mm256_unpackhi_ps(a4, a5));
            let (t6, t7) = (_mm256_unpacklo_ps(a6, a7), _mm256_unpackhi_ps(a6, a7));
            let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            let out = [
                _mm256_permute2f128_ps::<0x20>(u0, u4),
                _mm256_permute2f128_ps::<0x20>(u1, u5),
                _mm256_permute2f128_ps::<0x20>(u2, u6),
                _mm256_permute2f128_ps::<0x20>(u3, u7),
                _mm256_permute2f128_ps::<0x31>(u0, u4),
                _mm256_permute2f128_ps::<0x31>(u1, u5),
                _mm256_permute2f128_ps::<0x31>(u2, u6),
                _mm256_permute2f128_ps::<0x31>(u3, u7),
            ];
            for (j, mut v) in out.into_iter().enumerate() {
                if let Some(a) = add {
                    v = _mm256_add_ps(v, _mm256_set1_ps(a[c0 + j]));
                }
                unsafe { _mm256_storeu_ps(d.add((c0 + j) * ld + r0), v) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block inside a wider matrix into a taller destination: every element of the block
    /// lands where the definition puts it, and nothing else in `dst` is written.
    #[test]
    fn strided_blocks() {
        for (rows, cols, stride, ld) in
            [(9, 17, 20, 11), (16, 16, 40, 16), (8, 3, 3, 9), (3, 8, 8, 3)]
        {
            let src: Vec<f32> = (0..rows * stride).map(|i| i as f32 - 7.5).collect();
            let mut dst = vec![f32::NAN; cols * ld];
            transpose_block(Block { src: &src, stride, rows, cols }, None, &mut dst, ld);
            for c in 0..cols {
                for r in 0..ld {
                    let got = dst[c * ld + r];
                    if r < rows {
                        assert_eq!(got.to_bits(), src[r * stride + c].to_bits(), "({r}, {c})");
                    } else {
                        assert!(got.is_nan(), "({r}, {c}) past the block was written");
                    }
                }
            }
        }
    }

    /// Every shape around the tile size, with and without the addend, against the definition
    /// (bitwise: one addition per element either way).
    #[test]
    fn matches_definition() {
        for rows in [0, 1, 7, 8, 9, 16, 23, 256] {
            for cols in [0, 1, 5, 8, 12, 16, 17, 64] {
                let src: Vec<f32> = (0..rows * cols).map(|i| (i as f32 * 0.37).sin()).collect();
                let add: Vec<f32> = (0..cols).map(|c| c as f32 * 0.25 - 1.0).collect();
                for a in [None, Some(&add[..])] {
                    let mut dst = vec![f32::NAN; rows * cols];
                    transpose_add(&src, rows, cols, a, &mut dst);
                    for r in 0..rows {
                        for c in 0..cols {
                            let want = match a {
                                Some(a) => src[r * cols + c] + a[c],
                                None => src[r * cols + c],
                            };
                            assert_eq!(
                                dst[c * rows + r].to_bits(),
                                want.to_bits(),
                                "{rows}×{cols} ({r}, {c})"
                            );
                        }
                    }
                }
            }
        }
    }
}
