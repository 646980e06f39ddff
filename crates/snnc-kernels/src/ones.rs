//! The index of every active entry of one row, appended to a list: from 0/1 floats or from
//! bits. The event-driven kernels build their row lists with these.

/// Appends the indices of the 1.0 entries of `row` to `idx`, in increasing order. Returns the
/// index of the first entry that is neither 0.0 nor 1.0 (then `idx` holds an unspecified
/// prefix of the indices).
pub(crate) fn push_ones(row: &[f32], idx: &mut Vec<u32>) -> Option<usize> {
    debug_assert!(u32::try_from(row.len()).is_ok());
    #[cfg(target_arch = "x86_64")]
    if crate::simd::level() == 2 {
        // SAFETY: level 2 means the CPU has AVX-512F.
        return unsafe { push_ones_avx512(row, idx) };
    }
    for (c, &v) in row.iter().enumerate() {
        if v == 1.0 {
            idx.push(c as u32);
        } else if v != 0.0 {
            return Some(c);
        }
    }
    None
}

/// [`push_ones`] with AVX-512: per 16 entries, two compares give the masks of ones and zeros,
/// and the indices of the ones are compressed in a register and stored whole (a compress
/// straight to memory is slow on some CPUs), advancing by their count.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
unsafe fn push_ones_avx512(row: &[f32], idx: &mut Vec<u32>) -> Option<usize> {
    use std::arch::x86_64::*;
    let (one, zero) = (_mm512_set1_ps(1.0), _mm512_setzero_ps());
    let full = row.len() / 16;
    // Every whole chunk stores 16 lanes, of which at most 16 are kept.
    idx.reserve(row.len() + 16);
    let base = idx.len();
    let mut len = base;
    let mut lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let sixteen = _mm512_set1_epi32(16);
    for k in 0..full {
        // SAFETY: k·16 + 16 ≤ row.len().
        let v = unsafe { _mm512_loadu_ps(row.as_ptr().add(k * 16)) };
        let ones = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, one);
        let zeros = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, zero);
        if ones | zeros != 0xffff {
            // SAFETY: the first `len` entries are initialized.
            unsafe { idx.set_len(len) };
            return Some(k * 16 + (!(ones | zeros)).trailing_zeros() as usize);
        }
        let kept = _mm512_maskz_compress_epi32(ones, lanes);
        // SAFETY: len + 16 ≤ base + k·16 + 16 ≤ base + row.len() + 16 ≤ capacity.
        unsafe { _mm512_storeu_si512(idx.as_mut_ptr().add(len).cast(), kept) };
        len += ones.count_ones() as usize;
        lanes = _mm512_add_epi32(lanes, sixteen);
    }
    // SAFETY: every entry below `len` was written above.
    unsafe { idx.set_len(len) };
    for (j, &v) in row[full * 16..].iter().enumerate() {
        if v == 1.0 {
            idx.push((full * 16 + j) as u32);
        } else if v != 0.0 {
            return Some(full * 16 + j);
        }
    }
    None
}

/// Appends `c` for every set bit `c` of `words` (bit `c % 64` of word `c / 64`) to `idx`, in
/// increasing order. `64·words.len()` must fit in u32.
pub(crate) fn push_set_bits(words: &[u64], idx: &mut Vec<u32>) {
    let ones: usize = words.iter().map(|w| w.count_ones() as usize).sum();
    let start = idx.len();
    idx.resize(start + ones + 16, 0);
    let mut at = start;
    for (wi, &word) in words.iter().enumerate() {
        at = push_rows(word, (wi * 64) as u32, idx, at);
    }
    idx.truncate(at);
}

/// Writes `base + j` for every set bit `j` of `mask`, increasing, at `idx[at..]`; returns the
/// position after them. `idx` must have 16 entries of slack past the last one written.
#[inline(always)]
pub(crate) fn push_rows(mask: u64, base: u32, idx: &mut [u32], at: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::level() == 2 {
        // Every store starts at or before `at + ones` and writes 16 lanes.
        assert!(at + mask.count_ones() as usize + 16 <= idx.len(), "push_rows needs slack");
        // SAFETY: level 2 means AVX-512F; the stores stay within `idx` (checked above).
        return unsafe { push_rows_avx512(mask, base, idx, at) };
    }
    push_rows_portable(mask, base, idx, at)
}

/// [`push_rows`] one bit at a time.
fn push_rows_portable(mask: u64, base: u32, idx: &mut [u32], at: usize) -> usize {
    let (mut m, mut at) = (mask, at);
    while m != 0 {
        idx[at] = base + m.trailing_zeros();
        at += 1;
        m &= m - 1;
    }
    at
}

/// [`push_rows`] with AVX-512: each 16 bits are the mask that compresses 16 lane indices, and
/// all four are stored whether empty or not, so no branch depends on where the bits are
/// (walking them, or skipping empty pieces, mispredicts about every other time at 5 % spikes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
unsafe fn push_rows_avx512(mask: u64, base: u32, idx: &mut [u32], at: usize) -> usize {
    use std::arch::x86_64::*;
    let mut at = at;
    let mut lanes = _mm512_add_epi32(
        _mm512_set1_epi32(base as i32),
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    );
    for q in 0..4 {
        let m = (mask >> (16 * q)) as u16;
        let kept = _mm512_maskz_compress_epi32(m, lanes);
        debug_assert!(at + 16 <= idx.len());
        // SAFETY: the caller keeps 16 entries of slack past the last one written.
        unsafe { _mm512_storeu_si512(idx.as_mut_ptr().add(at).cast(), kept) };
        at += m.count_ones() as usize;
        lanes = _mm512_add_epi32(lanes, _mm512_set1_epi32(16));
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The set bits of `words`, walked one by one.
    fn walk(words: &[u64]) -> Vec<u32> {
        (0..words.len() * 64)
            .filter(|&c| words[c / 64] >> (c % 64) & 1 == 1)
            .map(|c| c as u32)
            .collect()
    }

    #[test]
    fn set_bits_are_listed_in_order_after_what_was_there() {
        let mut s = 0x2545_f491_4f6c_dd1du64;
        let mut rand = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut rows: Vec<Vec<u64>> = vec![vec![], vec![0], vec![!0], vec![1 << 63, 1, 0, 1 << 15]];
        rows.extend((1..40).map(|n| (0..n).map(|_| rand() & rand() & rand()).collect()));
        rows.extend((1..10).map(|n| (0..n).map(|_| rand()).collect()));
        for words in &rows {
            let want: Vec<u32> = [7u32, 3].into_iter().chain(walk(words)).collect();
            let mut got = vec![7, 3];
            push_set_bits(words, &mut got);
            assert_eq!(got, want, "{words:x?}");
            // Each path of push_rows on its own, word by word, into a buffer with slack.
            type Push = fn(u64, u32, &mut [u32], usize) -> usize;
            let mut paths: Vec<(&str, Push)> = vec![("portable", push_rows_portable)];
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F.
                paths.push(("avx512", |m, b, idx, at| unsafe { push_rows_avx512(m, b, idx, at) }));
            }
            for (path, push) in paths {
                let mut got = vec![0; 2 + 64 * words.len() + 16];
                got[..2].copy_from_slice(&[7, 3]);
                let mut at = 2;
                for (wi, &w) in words.iter().enumerate() {
                    at = push(w, (wi * 64) as u32, &mut got, at);
                }
                got.truncate(at);
                assert_eq!(got, want, "{path} {words:x?}");
            }
        }
    }
}
