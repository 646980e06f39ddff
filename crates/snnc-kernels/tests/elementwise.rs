//! Bit packing and the elementwise helpers.

mod common;

use common::*;
use snnc_kernels::{add_bias_rows, sum_rows, transpose, SpikeBits, Threads};

#[test]
fn bits_round_trip_and_slice() {
    let mut rng = SeedRng::new(1);
    let (rows, cols) = (7, 130);
    let x = rng.spikes(rows * cols, 0.3);
    let bits = SpikeBits::from_f32(&x, rows, cols).unwrap();
    assert_eq!(bits.words_per_row(), 3);
    assert_eq!(bits.count_ones(), x.iter().filter(|&&v| v == 1.0).count());
    let mut back = vec![0f32; rows * cols];
    bits.to_f32(&mut back).unwrap();
    assert_bits("round trip", &back, &x);
    let part = bits.view().slice_rows(2, 5).unwrap();
    assert_eq!(part.rows(), 3);
    for r in 0..3 {
        for c in 0..cols {
            assert_eq!(part.get(r, c), x[(r + 2) * cols + c] == 1.0);
        }
    }
    assert!(bits.view().slice_rows(5, 8).is_err());
    assert!(!bits.get(7, 0));
}

#[test]
fn transpose_bias_and_row_sums() {
    let mut rng = SeedRng::new(2);
    let (rows, cols) = (37, 70);
    let a = rng.vec(rows * cols, -1.0, 1.0);
    let mut t = vec![0f32; rows * cols];
    transpose(&a, rows, cols, &mut t).unwrap();
    for r in 0..rows {
        for c in 0..cols {
            assert_eq!(t[c * rows + r], a[r * cols + c]);
        }
    }
    let bias = rng.vec(cols, -1.0, 1.0);
    let mut y = a.clone();
    add_bias_rows(&mut y, rows, cols, &bias).unwrap();
    assert_eq!(y[3 * cols + 5], a[3 * cols + 5] + bias[5]);
    let mut s = vec![0f32; cols];
    sum_rows(&a, rows, cols, &mut s, false).unwrap();
    let want: f32 = (0..rows).fold(0.0, |acc, r| acc + a[r * cols + 9]);
    assert_eq!(s[9], want);
    let sums = |th| {
        let mut s = vec![0f32; cols];
        Threads::Fixed(th).install(|| sum_rows(&a, rows, cols, &mut s, false)).unwrap().unwrap();
        s
    };
    assert_bits("threads", &sums(1), &sums(3));
    assert!(transpose(&a, rows, cols + 1, &mut t).is_err());
}

#[test]
fn packing_matches_a_plain_loop_for_every_length() {
    let mut rng = SeedRng::new(3);
    for cols in 1..=200 {
        let x = rng.spikes(2 * cols, 0.4);
        let bits = SpikeBits::from_f32(&x, 2, cols).unwrap();
        for r in 0..2 {
            for c in 0..cols {
                assert_eq!(bits.get(r, c), x[r * cols + c] == 1.0, "cols {cols} ({r}, {c})");
            }
            let last = bits.words()[(r + 1) * bits.words_per_row() - 1];
            let used = cols - 64 * (bits.words_per_row() - 1);
            if used < 64 {
                assert_eq!(last >> used, 0, "padding bits are zero");
            }
        }
    }
}

#[test]
fn non_binary_values_are_found_anywhere() {
    use snnc_kernels::{spike_linear, spike_linear_dw, DwLayout, KernelError, LinearDims};
    use snnc_kernels::{SpikeInput, SpikePath, SpikeWeights};
    let (rows, i, o) = (3, 150, 5);
    let dims = LinearDims { rows, inputs: i, outputs: o };
    let w = SpikeWeights::zeros(i, o).unwrap();
    let g = vec![0f32; rows * o];
    for (index, value) in [(0, 0.5), (17, f32::NAN), (149, 2.0), (301, -1.0), (449, 1e-30)] {
        let mut x = vec![0f32; rows * i];
        x[index] = value;
        x[5] = -0.0;
        let bad = |r: Result<_, KernelError>| matches!(r, Err(KernelError::NotBinary { index: k, .. }) if k == index);
        assert!(bad(SpikeBits::from_f32(&x, rows, i).map(|_| ())), "{index}");
        for path in [SpikePath::Auto, SpikePath::Event, SpikePath::Dense] {
            let mut y = vec![0f32; rows * o];
            let r = spike_linear(dims, SpikeInput::F32(&x), &w, None, &mut y, path, Threads::All);
            assert!(bad(r.map(|_| ())), "forward {index} {path:?}");
            let mut dw = vec![0f32; i * o];
            let x = SpikeInput::F32(&x);
            let r =
                spike_linear_dw(dims, &g, x, &mut dw, DwLayout::OutIn, false, path, Threads::All);
            assert!(bad(r.map(|_| ())), "dw {index} {path:?}");
        }
    }
}
