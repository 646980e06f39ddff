//! The GEMM wrapper against the reference `Gemm`, with strided (transposed) operands.

mod common;

use common::*;
use proptest::prelude::*;
use snnc_ir::Op;
use snnc_kernels::{sgemm, KernelError, Threads};

/// Runs C = op(A)·op(B) through `sgemm` with A and/or B stored transposed, against the reference.
fn check(m: usize, n: usize, k: usize, ta: bool, tb: bool, seed: u64) {
    let mut rng = SeedRng::new(seed);
    let a = rng.vec(m * k, -1.0, 1.0);
    let b = rng.vec(k * n, -1.0, 1.0);
    let (a_shape, a_rs, a_cs) = if ta { (vec![k, m], 1, m) } else { (vec![m, k], k, 1) };
    let (b_shape, b_rs, b_cs) = if tb { (vec![n, k], 1, k) } else { (vec![k, n], n, 1) };
    let graph = RefGraph::new(
        Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: ta, trans_b: tb },
        vec![("a", a_shape, Some(a.clone())), ("b", b_shape, Some(b.clone()))],
        &["c"],
    );
    let want = get(&graph.run(), "c");
    let mut c = vec![f32::NAN; m * n];
    sgemm(m, n, k, &a, a_rs, a_cs, &b, b_rs, b_cs, &mut c, n, false, Threads::Fixed(1)).unwrap();
    assert_sum_close("c", &c, &want, k);
    for th in [2, 3] {
        let mut c2 = vec![0f32; m * n];
        sgemm(m, n, k, &a, a_rs, a_cs, &b, b_rs, b_cs, &mut c2, n, false, Threads::Fixed(th))
            .unwrap();
        assert_bits("threads", &c2, &c);
    }
    let mut acc = c.clone();
    sgemm(m, n, k, &a, a_rs, a_cs, &b, b_rs, b_cs, &mut acc, n, true, Threads::All).unwrap();
    let doubled: Vec<f32> = c.iter().map(|v| v + v).collect();
    assert_sum_close("accumulate", &acc, &doubled, k);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn matches_reference(m in 1usize..70, n in 1usize..70, k in 1usize..200, ta: bool, tb: bool, seed: u64) {
        check(m, n, k, ta, tb, seed);
    }
}

#[test]
fn larger_shapes_are_thread_independent() {
    check(300, 260, 700, false, true, 1);
    check(1, 512, 2312, false, true, 2);
    check(160, 10, 512, true, false, 3);
}

#[test]
fn padded_rows_and_empty_k() {
    let a = [1.0f32, 2.0, 3.0, 4.0];
    let b = [1.0f32, 0.0, 0.0, 1.0];
    let mut c = [9.0f32; 6];
    sgemm(2, 2, 2, &a, 2, 1, &b, 2, 1, &mut c, 3, false, Threads::All).unwrap();
    assert_eq!(c, [1.0, 2.0, 9.0, 3.0, 4.0, 9.0]);
    sgemm(2, 2, 0, &[], 0, 0, &[], 0, 0, &mut c, 3, false, Threads::All).unwrap();
    assert_eq!(c, [0.0, 0.0, 9.0, 0.0, 0.0, 9.0]);
}

#[test]
fn refuses_out_of_bounds_operands() {
    let a = [0f32; 6];
    let mut c = [0f32; 4];
    let r = sgemm(2, 2, 3, &a, 3, 1, &a[..5], 2, 1, &mut c, 2, false, Threads::All);
    assert!(matches!(r, Err(KernelError::Layout { what: "sgemm B", .. })), "{r:?}");
    let r = sgemm(2, 2, 3, &a, 3, 1, &a, 2, 1, &mut c, 1, false, Threads::All);
    assert!(r.is_err());
    let r = sgemm(2, 2, 3, &a, usize::MAX, 1, &a, 2, 1, &mut c, 2, false, Threads::All);
    assert!(r.is_err());
    let r = sgemm(2, 2, 3, &a, 3, 1, &a, 2, 1, &mut c, 2, false, Threads::Fixed(0));
    assert!(matches!(r, Err(KernelError::Pool(_))));
}

/// A zero stride along the inner dimension would let a one-element buffer stand for any `k`:
/// refused at once instead of computing for hours (found by the plan fuzzer: k ≈ 2.5·10¹¹).
#[test]
fn refuses_a_zero_stride_along_the_inner_dimension() {
    let (a, b, mut c) = ([1f32; 4], [1f32; 12], [0f32; 24]);
    let k = 249_108_103_168;
    let r = sgemm(2, 12, k, &a, 0, 0, &b, 0, 1, &mut c, 12, false, Threads::All);
    assert!(matches!(r, Err(KernelError::Layout { what: "sgemm", .. })), "{r:?}");
    let r = sgemm(2, 12, k, &a, 1, 1, &b, 0, 1, &mut c, 12, false, Threads::All);
    assert!(r.is_err(), "{r:?}");
    // k = 1 reads one element per row and column whatever the strides are.
    sgemm(2, 2, 1, &a, 1, 0, &a, 0, 1, &mut c, 2, false, Threads::All).unwrap();
    assert_eq!(&c[..4], &[1.0; 4]);
}
