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
    #[cfg(target_arch = "x86_64")]
    if crate::simd::level() == 2 {
        // SAFETY: level 2 means the CPU has AVX-512F.
        return unsafe { push_set_bits_avx512(words, idx) };
    }
    for (wi, &word) in words.iter().enumerate() {
        let mut w = word;
        while w != 0 {
            idx.push((wi * 64) as u32 + w.trailing_zeros());
            w &= w - 1;
        }
    }
}

/// [`push_set_bits`] with AVX-512: each 16 bits are the mask that compresses 16 lane indices,
/// so no branch depends on where the bits are (walking them mispredicts at the end of nearly
/// every word).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
unsafe fn push_set_bits_avx512(words: &[u64], idx: &mut Vec<u32>) {
    use std::arch::x86_64::*;
    // Every 16 bits store 16 lanes, of which at most 16 are kept.
    idx.reserve(words.len() * 64 + 16);
    let mut len = idx.len();
    let mut lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    let sixteen = _mm512_set1_epi32(16);
    for &word in words {
        for q in 0..4 {
            let mask = (word >> (16 * q)) as u16;
            let kept = _mm512_maskz_compress_epi32(mask, lanes);
            // SAFETY: len + 16 ≤ (initial len) + 64·words.len() + 16 ≤ capacity.
            unsafe { _mm512_storeu_si512(idx.as_mut_ptr().add(len).cast(), kept) };
            len += mask.count_ones() as usize;
            lanes = _mm512_add_epi32(lanes, sixteen);
        }
    }
    // SAFETY: every entry below `len` was written above.
    unsafe { idx.set_len(len) };
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
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut got = vec![7, 3];
                // SAFETY: the CPU has AVX-512F.
                unsafe { push_set_bits_avx512(words, &mut got) };
                assert_eq!(got, want, "avx512 {words:x?}");
            }
        }
    }
}
