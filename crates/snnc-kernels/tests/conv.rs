//! The convolution kernels (forward on both paths, dX, dW and the bias gradient) against naive
//! loops over the definition, on random geometries: strides, padding, dilation, groups, 1-D
//! (height 1). Values are small multiples of powers of two, so every sum is exact in f32 and
//! the kernels must match the f64 loops bitwise, whatever the path and the thread count.

use proptest::prelude::*;
use snnc_kernels::{
    conv2d, conv2d_dw, conv2d_dx, ConvDims, ConvPath, ConvRun, KernelError, Threads,
    CONV_EVENT_CROSSOVER,
};

/// Deterministic values: a multiple of 1/8 in [−2, 2], zero with probability `zero`.
fn values(len: usize, zero: f64, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    (0..len)
        .map(|_| {
            if (next() % 1000) as f64 / 1000.0 < zero {
                0.0
            } else {
                ((next() % 33) as f32 - 16.0) / 8.0
            }
        })
        .collect()
}

/// The input tap of output `o` through kernel tap `k`, if inside (`None` in the padding).
fn tap(o: usize, k: usize, s: usize, d: usize, p: usize, len: usize) -> Option<usize> {
    (o * s + k * d).checked_sub(p).filter(|&i| i < len)
}

/// Calls `f(x_index, w_index, y_index)` for every product term of the convolution.
fn each_term(d: &ConvDims, mut f: impl FnMut(usize, usize, usize)) {
    let (cg, mg) = (d.c / d.group, d.m / d.group);
    for i in 0..d.n {
        for o in 0..d.m {
            for oy in 0..d.oh {
                for ox in 0..d.ow {
                    let yi = ((i * d.m + o) * d.oh + oy) * d.ow + ox;
                    for c in 0..cg {
                        let xc = i * d.c + (o / mg) * cg + c;
                        for ky in 0..d.kh {
                            let Some(iy) = tap(oy, ky, d.sh, d.dh, d.ph, d.h) else { continue };
                            for kx in 0..d.kw {
                                let Some(ix) = tap(ox, kx, d.sw, d.dw, d.pw, d.w) else {
                                    continue;
                                };
                                let wi = ((o * cg + c) * d.kh + ky) * d.kw + kx;
                                f((xc * d.h + iy) * d.w + ix, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

struct Case {
    d: ConvDims,
    x: Vec<f32>,
    w: Vec<f32>,
    b: Vec<f32>,
    dy: Vec<f32>,
}

/// The output extent of one axis, if the window fits.
fn extent(len: usize, k: usize, s: usize, d: usize, p: (usize, usize)) -> Option<usize> {
    let (padded, reach) = (len + p.0 + p.1, d * (k - 1) + 1);
    (padded >= reach).then(|| (padded - reach) / s + 1)
}

#[allow(clippy::too_many_arguments)]
fn case(
    (n, group, cg, mg): (usize, usize, usize, usize),
    (h, w): (usize, usize),
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    (dh, dw): (usize, usize),
    (pt, pb, pl, pr): (usize, usize, usize, usize),
    zero: f64,
    seed: u64,
) -> Option<Case> {
    let oh = extent(h, kh, sh, dh, (pt, pb))?;
    let ow = extent(w, kw, sw, dw, (pl, pr))?;
    let (c, m) = (group * cg, group * mg);
    let d = ConvDims { n, c, h, w, m, oh, ow, kh, kw, sh, sw, ph: pt, pw: pl, dh, dw, group };
    Some(Case {
        x: values(n * c * h * w, zero, seed),
        w: values(m * cg * kh * kw, 0.1, seed + 1),
        b: values(m, 0.0, seed + 2),
        dy: values(n * m * oh * ow, 0.2, seed + 3),
        d,
    })
}

fn naive_forward(k: &Case) -> Vec<f32> {
    let d = &k.d;
    let p = d.oh * d.ow;
    let mut y = vec![0f64; d.n * d.m * p];
    each_term(d, |xi, wi, yi| y[yi] += f64::from(k.x[xi]) * f64::from(k.w[wi]));
    y.iter().enumerate().map(|(i, &v)| (v + f64::from(k.b[(i / p) % d.m])) as f32).collect()
}

fn naive_grads(k: &Case) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let d = &k.d;
    let (mut gx, mut gw) = (vec![0f64; k.x.len()], vec![0f64; k.w.len()]);
    each_term(d, |xi, wi, yi| {
        gx[xi] += f64::from(k.dy[yi]) * f64::from(k.w[wi]);
        gw[wi] += f64::from(k.dy[yi]) * f64::from(k.x[xi]);
    });
    let p = d.oh * d.ow;
    let mut gb = vec![0f64; d.m];
    for (i, &g) in k.dy.iter().enumerate() {
        gb[(i / p) % d.m] += f64::from(g);
    }
    let f = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect();
    (f(gx), f(gw), f(gb))
}

fn check(k: &Case) {
    let want = naive_forward(k);
    for path in [ConvPath::Event, ConvPath::Dense, ConvPath::Auto] {
        for th in [Threads::Fixed(1), Threads::Fixed(3)] {
            let mut y = vec![f32::NAN; want.len()];
            let run = conv2d(&k.d, &k.x, &k.w, Some(&k.b), &mut y, path, th).unwrap();
            assert_eq!(run.event + run.dense, k.d.n);
            match path {
                ConvPath::Event => assert_eq!(run.event, k.d.n),
                ConvPath::Dense => assert_eq!(run.dense, k.d.n),
                ConvPath::Auto => {}
            }
            assert_eq!(y, want, "{path:?} {th:?} {:?}", k.d);
        }
    }
    let (gx, gw, gb) = naive_grads(k);
    for th in [Threads::Fixed(1), Threads::Fixed(3)] {
        let mut dx = vec![f32::NAN; gx.len()];
        conv2d_dx(&k.d, &k.dy, &k.w, &mut dx, false, th).unwrap();
        assert_eq!(dx, gx, "dx {th:?} {:?}", k.d);
        // Accumulating adds to what is there.
        let mut dx2 = vec![0.5f32; gx.len()];
        conv2d_dx(&k.d, &k.dy, &k.w, &mut dx2, true, th).unwrap();
        let want2: Vec<f32> = gx.iter().map(|&v| v + 0.5).collect();
        assert_eq!(dx2, want2, "dx acc {:?}", k.d);
        for path in [ConvPath::Event, ConvPath::Dense, ConvPath::Auto] {
            let (mut dw, mut db) = (vec![f32::NAN; gw.len()], vec![f32::NAN; gb.len()]);
            conv2d_dw(&k.d, &k.dy, &k.x, Some(&mut dw), Some(&mut db), false, path, th).unwrap();
            assert_eq!(dw, gw, "dw {path:?} {th:?} {:?}", k.d);
            assert_eq!(db, gb, "db {path:?} {th:?} {:?}", k.d);
            let mut dw2 = vec![0.25f32; gw.len()];
            conv2d_dw(&k.d, &k.dy, &k.x, Some(&mut dw2), None, true, path, th).unwrap();
            let want2: Vec<f32> = gw.iter().map(|&v| v + 0.25).collect();
            assert_eq!(dw2, want2, "dw acc {path:?} {:?}", k.d);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random 2-D geometries (and 1-D ones, when the height and the kernel height are 1).
    #[test]
    fn conv_matches_the_definition(
        chans in (1usize..4, 1usize..4, 1usize..4, 1usize..4),
        hw in (1usize..8, 1usize..9),
        k in (1usize..4, 1usize..4),
        s in (1usize..4, 1usize..4),
        dil in (1usize..3, 1usize..3),
        pads in (0usize..3, 0usize..3, 0usize..3, 0usize..3),
        zero in 0.0f64..1.0,
        seed in any::<u64>(),
    ) {
        let c = case(chans, hw, k, s, dil, pads, zero, seed);
        prop_assume!(c.is_some());
        check(&c.unwrap());
    }
}

/// The N-MNIST CNN's first layer (5×5, stride 2, padding 1) on sparse and dense images.
#[test]
fn nmnist_first_layer() {
    for zero in [0.97, 0.5] {
        check(
            &case((3, 1, 2, 4), (12, 12), (5, 5), (2, 2), (1, 1), (1, 1, 1, 1), zero, 7).unwrap(),
        );
    }
}

/// Conv1d as the 2-D conv of height 1: stride, padding on both ends, dilation and groups.
#[test]
fn one_dimensional() {
    check(&case((2, 2, 3, 2), (1, 11), (1, 3), (1, 2), (1, 2), (0, 0, 2, 1), 0.6, 3).unwrap());
}

/// A bias-less conv writes the sums alone; an inconsistent geometry or buffer is an error.
#[test]
fn no_bias_and_bad_shapes() {
    let k = case((2, 1, 2, 3), (5, 5), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1), 0.5, 11).unwrap();
    let mut want = vec![0f64; k.d.n * k.d.m * k.d.oh * k.d.ow];
    each_term(&k.d, |xi, wi, yi| want[yi] += f64::from(k.x[xi]) * f64::from(k.w[wi]));
    let want: Vec<f32> = want.into_iter().map(|v| v as f32).collect();
    for path in [ConvPath::Event, ConvPath::Dense] {
        let mut y = vec![f32::NAN; want.len()];
        conv2d(&k.d, &k.x, &k.w, None, &mut y, path, Threads::All).unwrap();
        assert_eq!(y, want);
    }
    let mut y = vec![0f32; want.len()];
    let short = &k.x[1..];
    assert!(matches!(
        conv2d(&k.d, short, &k.w, None, &mut y, ConvPath::Auto, Threads::All),
        Err(KernelError::Len { .. })
    ));
    let bad = ConvDims { group: 2, ..k.d };
    assert!(matches!(
        conv2d(&bad, &k.x, &k.w, None, &mut y, ConvPath::Auto, Threads::All),
        Err(KernelError::Param(_))
    ));
    let zero = ConvDims { sh: 0, ..k.d };
    assert!(conv2d_dx(&zero, &k.dy, &k.w, &mut y, false, Threads::All).is_err());
    let huge = ConvDims { oh: usize::MAX / 2, ..k.d };
    assert!(conv2d(&huge, &k.x, &k.w, None, &mut y, ConvPath::Auto, Threads::All).is_err());
}

/// `Auto` decides per image from its own density: images at the crossover are scattered, one
/// nonzero more takes the dense path, and both give the definition's sums.
#[test]
fn auto_picks_each_images_path_at_the_crossover() {
    let mut k = case((4, 1, 2, 3), (10, 10), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), 0.0, 5).unwrap();
    let img = k.d.c * k.d.h * k.d.w;
    let at = (CONV_EVENT_CROSSOVER * img as f64).floor() as usize;
    // Images 0 and 2 at the crossover, 1 and 3 one nonzero above it.
    for (i, x) in k.x.chunks_exact_mut(img).enumerate() {
        let nnz = if i % 2 == 0 { at } else { at + 1 };
        for (j, v) in x.iter_mut().enumerate() {
            *v = if j < nnz { 1.0 + (j % 3) as f32 } else { 0.0 };
        }
    }
    let want = naive_forward(&k);
    let mut y = vec![f32::NAN; want.len()];
    let run = conv2d(&k.d, &k.x, &k.w, Some(&k.b), &mut y, ConvPath::Auto, Threads::All).unwrap();
    assert_eq!(run, ConvRun { event: 2, dense: 2 });
    assert_eq!(y, want);
}
