//! The pooling kernels (sum, average with and without the padding, max with ties) against naive
//! loops over the definition, forward and backward, on random geometries with padding.

use proptest::prelude::*;
use snnc_kernels::{pool2d, pool2d_backward, KernelError, PoolDims, PoolMode, Threads};

const MODES: [PoolMode; 4] =
    [PoolMode::Sum, PoolMode::AvgIncludePad, PoolMode::AvgExcludePad, PoolMode::Max];

/// Deterministic small integers in `0..levels` (ties in max windows are common) scaled by 1/4.
fn values(len: usize, levels: u64, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % levels) as f32 / 4.0 - 1.0
        })
        .collect()
}

/// Every window: `(plane, y index, taps inside as plane indices in row-major order)`.
fn windows(d: &PoolDims) -> Vec<(usize, usize, Vec<usize>)> {
    let mut out = Vec::new();
    for i in 0..d.n {
        for oy in 0..d.oh {
            for ox in 0..d.ow {
                let mut taps = Vec::new();
                for ky in 0..d.kh {
                    for kx in 0..d.kw {
                        let (y, x) = (oy * d.sh + ky, ox * d.sw + kx);
                        if y >= d.ph && y - d.ph < d.h && x >= d.pw && x - d.pw < d.w {
                            taps.push((y - d.ph) * d.w + (x - d.pw));
                        }
                    }
                }
                out.push((i, (i * d.oh + oy) * d.ow + ox, taps));
            }
        }
    }
    out
}

fn divisor(mode: PoolMode, d: &PoolDims, taps: usize) -> f64 {
    match mode {
        PoolMode::AvgIncludePad => (d.kh * d.kw) as f64,
        PoolMode::AvgExcludePad => taps as f64,
        _ => 1.0,
    }
}

/// The first tap holding the largest value (strictly larger replaces).
fn first_max(x: &[f32], taps: &[usize]) -> usize {
    let mut best = taps[0];
    for &t in &taps[1..] {
        if x[t] > x[best] {
            best = t;
        }
    }
    best
}

fn check(d: &PoolDims, x: &[f32], dy: &[f32]) {
    let hw = d.h * d.w;
    for mode in MODES {
        let mut want = vec![0f32; d.n * d.oh * d.ow];
        let mut gx = vec![0f64; x.len()];
        for (i, yi, taps) in windows(d) {
            let plane = &x[i * hw..][..hw];
            if mode == PoolMode::Max {
                let t = first_max(plane, &taps);
                want[yi] = plane[t];
                gx[i * hw + t] += f64::from(dy[yi]);
            } else {
                let sum: f64 = taps.iter().map(|&t| f64::from(plane[t])).sum();
                let div = divisor(mode, d, taps.len());
                want[yi] = (sum / div) as f32;
                for &t in &taps {
                    gx[i * hw + t] += f64::from(dy[yi]) / div;
                }
            }
        }
        let gx: Vec<f32> = gx.into_iter().map(|v| v as f32).collect();
        for th in [Threads::Fixed(1), Threads::Fixed(3)] {
            let mut y = vec![f32::NAN; want.len()];
            pool2d(mode, d, x, &mut y, th).unwrap();
            assert_eq!(y, want, "{mode:?} {d:?}");
            let mut dx = vec![f32::NAN; x.len()];
            pool2d_backward(mode, d, x, dy, &mut dx, false, th).unwrap();
            assert_eq!(dx, gx, "{mode:?} backward {d:?}");
            let mut dx2 = vec![1.0f32; x.len()];
            pool2d_backward(mode, d, x, dy, &mut dx2, true, th).unwrap();
            let want2: Vec<f32> = gx.iter().map(|&v| v + 1.0).collect();
            assert_eq!(dx2, want2, "{mode:?} backward acc {d:?}");
        }
    }
}

fn extent(len: usize, k: usize, s: usize, p: (usize, usize)) -> Option<usize> {
    let padded = len + p.0 + p.1;
    (padded >= k).then(|| (padded - k) / s + 1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random geometries with padding smaller than the window (as the IR requires) and values
    /// from 3 levels, so that max windows often tie.
    #[test]
    fn pools_match_the_definition(
        n in 1usize..5,
        hw in (1usize..8, 1usize..8),
        k in (1usize..4, 1usize..4),
        s in (1usize..4, 1usize..4),
        pads in (0usize..3, 0usize..3, 0usize..3, 0usize..3),
        seed in any::<u64>(),
    ) {
        let (kh, kw) = k;
        prop_assume!(pads.0 < kh && pads.1 < kh && pads.2 < kw && pads.3 < kw);
        let oh = extent(hw.0, kh, s.0, (pads.0, pads.1));
        let ow = extent(hw.1, kw, s.1, (pads.2, pads.3));
        prop_assume!(oh.is_some() && ow.is_some());
        let d = PoolDims {
            n, h: hw.0, w: hw.1, oh: oh.unwrap(), ow: ow.unwrap(), kh, kw,
            sh: s.0, sw: s.1, ph: pads.0, pw: pads.2,
        };
        let x = values(n * d.h * d.w, 3, seed);
        let dy = values(n * d.oh * d.ow, 9, seed + 1);
        check(&d, &x, &dy);
    }
}

/// AveragePool excluding the padding divides the border windows by fewer taps; max ties go
/// to the first tap in row-major order; 1-D pooling is height 1.
#[test]
fn borders_ties_and_1d() {
    let d = PoolDims { n: 2, h: 5, w: 5, oh: 3, ow: 3, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 };
    let x = vec![1.0f32; 50];
    let mut y = vec![0f32; 18];
    pool2d(PoolMode::AvgExcludePad, &d, &x, &mut y, Threads::All).unwrap();
    assert!(y.iter().all(|&v| v == 1.0), "{y:?}");
    pool2d(PoolMode::AvgIncludePad, &d, &x, &mut y, Threads::All).unwrap();
    assert_eq!(y[0], (4.0f64 / 9.0) as f32);
    // All taps tie: the whole gradient goes to the first tap inside each window.
    let dy = vec![1.0f32; 18];
    let mut dx = vec![0f32; 50];
    pool2d_backward(PoolMode::Max, &d, &x, &dy, &mut dx, false, Threads::All).unwrap();
    assert_eq!(dx.iter().sum::<f32>(), 18.0);
    assert_eq!((dx[0], dx[1], dx[5]), (1.0, 1.0, 1.0));
    check(&d, &values(50, 2, 5), &values(18, 5, 6));
    let line =
        PoolDims { n: 3, h: 1, w: 9, oh: 1, ow: 4, kh: 1, kw: 3, sh: 1, sw: 2, ph: 0, pw: 1 };
    check(&line, &values(27, 3, 8), &values(12, 7, 9));
}

#[test]
fn bad_shapes_are_errors() {
    let d = PoolDims { n: 1, h: 4, w: 4, oh: 2, ow: 2, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 };
    let mut y = vec![0f32; 4];
    assert!(matches!(
        pool2d(PoolMode::Sum, &d, &[0.0; 15], &mut y, Threads::All),
        Err(KernelError::Len { .. })
    ));
    let z = PoolDims { sw: 0, ..d };
    assert!(pool2d(PoolMode::Max, &z, &[0.0; 16], &mut y, Threads::All).is_err());
}

/// Windows that tile the plane (kernel = stride, no padding: the fast path) on even sizes, on
/// floor-mode remainders (the last row and column belong to no window, so their gradient is
/// 0), and on a plane of −0, whose sum must stay −0 as on the general path.
#[test]
fn tiled_windows() {
    for (h, w, kh, kw) in [(8, 8, 2, 2), (7, 9, 2, 2), (6, 7, 3, 1), (5, 8, 1, 4), (9, 9, 3, 3)] {
        let (oh, ow) = (h / kh, w / kw);
        let d = PoolDims { n: 5, h, w, oh, ow, kh, kw, sh: kh, sw: kw, ph: 0, pw: 0 };
        check(&d, &values(5 * h * w, 7, (h * w) as u64), &values(5 * oh * ow, 9, 3));
    }
    let d = PoolDims { n: 1, h: 2, w: 4, oh: 1, ow: 2, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 };
    let mut y = vec![0f32; 2];
    pool2d(PoolMode::Sum, &d, &[-0.0; 8], &mut y, Threads::All).unwrap();
    assert!(y.iter().all(|v| v.to_bits() == (-0.0f32).to_bits()), "{y:?}");
}
