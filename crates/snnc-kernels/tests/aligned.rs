//! The cache-line-aligned buffer behind packed weights and the engine's arena.

use snnc_kernels::{AlignedBuf, SpikeWeights};

fn aligned(s: &[f32]) -> bool {
    (s.as_ptr() as usize).is_multiple_of(64)
}

#[test]
fn starts_on_a_cache_line_and_is_zeroed() {
    for len in [0, 1, 15, 16, 17, 1000, 4097] {
        let b = AlignedBuf::zeros(len).unwrap();
        assert_eq!(b.len(), len);
        assert_eq!(b.is_empty(), len == 0);
        assert!(b.iter().all(|&v| v == 0.0));
        if len > 0 {
            assert!(aligned(&b), "len {len}");
        }
    }
}

#[test]
fn resize_keeps_values_and_zeroes_new_ones() {
    let mut b = AlignedBuf::zeros(20).unwrap();
    for (i, v) in b.iter_mut().enumerate() {
        *v = i as f32 + 1.0;
    }
    b.resize(5).unwrap();
    assert_eq!(&b[..], &[1.0, 2.0, 3.0, 4.0, 5.0]);
    b.resize(40).unwrap();
    assert!(aligned(&b));
    assert_eq!(&b[..5], &[1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!(b[5..].iter().all(|&v| v == 0.0), "{:?}", &b[..]);
    let c = b.clone();
    assert_eq!(c, b);
    assert!(aligned(&c));
}

#[test]
fn packed_weight_blocks_start_on_cache_lines() {
    for (i, o) in [(7, 3), (2312, 512), (33, 100), (5, 40)] {
        let w = SpikeWeights::zeros(i, o).unwrap();
        for k in 0..w.blocks() {
            assert!(aligned(w.block(k)), "{i}→{o} block {k}");
            assert!(w.width().is_multiple_of(16));
        }
    }
}
