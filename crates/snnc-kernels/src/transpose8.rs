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
    let len = rows.checked_mul(cols).expect("transpose size overflows");
    assert!(src.len() >= len && dst.len() >= len, "transpose buffers too short");
    assert!(add.is_none_or(|a| a.len() >= cols), "transpose addend too short");
    let (r8, c8) = (rows / 8 * 8, cols / 8 * 8);
    #[cfg(target_arch = "x86_64")]
    if crate::simd::level() >= 1 && r8 > 0 && c8 > 0 {
        // SAFETY: level ≥ 1 means the CPU has AVX2; the lengths were checked above.
        unsafe { tiles_avx2(src, rows, cols, add, dst, r8, c8) };
        scalar(src, rows, cols, add, dst, r8..rows, 0..cols);
        scalar(src, rows, cols, add, dst, 0..r8, c8..cols);
        return;
    }
    scalar(src, rows, cols, add, dst, 0..rows, 0..cols);
}

/// [`transpose_add`] over the source rows `rs` and columns `cs`, one element at a time.
fn scalar(
    src: &[f32],
    rows: usize,
    cols: usize,
    add: Option<&[f32]>,
    dst: &mut [f32],
    rs: std::ops::Range<usize>,
    cs: std::ops::Range<usize>,
) {
    for r in rs {
        for c in cs.clone() {
            let v = src[r * cols + c];
            dst[c * rows + r] = match add {
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
/// The CPU must have AVX2, `src` and `dst` must hold `rows·cols` elements, `add` (if any)
/// `cols`, and `r8 ≤ rows`, `c8 ≤ cols` must be multiples of 8.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx")]
unsafe fn tiles_avx2(
    src: &[f32],
    rows: usize,
    cols: usize,
    add: Option<&[f32]>,
    dst: &mut [f32],
    r8: usize,
    c8: usize,
) {
    use std::arch::x86_64::*;
    let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
    for r0 in (0..r8).step_by(8) {
        for c0 in (0..c8).step_by(8) {
            // SAFETY (every pointer below): r0 + 7 < rows and c0 + 7 < cols, so each row read
            // ends inside `src` and each column written ends inside `dst`.
            let p = unsafe { s.add(r0 * cols + c0) };
            let l = |i: usize| unsafe { _mm256_loadu_ps(p.add(i * cols)) };
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
                unsafe { _mm256_storeu_ps(d.add((c0 + j) * rows + r0), v) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
