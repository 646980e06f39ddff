//! The convolution and pooling kernels on the device (lavapipe in CI) against naive f64 loops
//! written in the scatter form (each input tap adds into the outputs it reaches), on small
//! random cases: strides, padding (asymmetric too), dilation, groups, 1-D as height 1, every
//! pooling op, ties for max, accumulation, and a grid wider than one dispatch dimension.
//!
//! Data are multiples of 1/4 and weights of 1/8, so every sum of products is exact in f32 in
//! any order and convolutions, sums and maxima must match bitwise; the averages divide, and
//! are compared to a few f32 roundings.

use snnc_plan::{
    BufId, ConvDwK, ConvDxK, ConvGeom, ConvK, Kernel, PoolBackK, PoolGeom, PoolK, PoolOp,
};

use crate::layout::Layout;
use crate::test_run::run;
use crate::wgsl::render;

/// A xorshift generator of quantized values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `n` values `k / q` with `|k| <= r`.
    fn vals(&mut self, n: usize, r: i64, q: f32) -> Vec<f32> {
        (0..n).map(|_| ((self.next() % (2 * r as u64 + 1)) as i64 - r) as f32 / q).collect()
    }
}

/// Runs `k`, rendered over arena buffers holding `bufs` (buffer `i` is `BufId(i)`), and returns
/// every buffer afterwards.
fn exec(bufs: &[Vec<f32>], k: &Kernel) -> Vec<Vec<f32>> {
    let lens: Vec<usize> = bufs.iter().map(Vec::len).collect();
    let l = Layout::arena_only(&lens);
    let launches = render(3, &l, k).unwrap_or_else(|e| panic!("{}: {e}", k.name()));
    let flat: Vec<f32> = bufs.concat();
    let out = run(&flat, &launches).unwrap_or_else(|e| panic!("{}: {e}", k.name()));
    let mut at = 0;
    lens.iter()
        .map(|&n| {
            at += n;
            out[at - n..at].to_vec()
        })
        .collect()
}

/// Checks `got` against `want` to `tol` relative to `max(|want|, 1)` (0: bitwise).
fn close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        let ok =
            if tol == 0.0 { a == b as f32 } else { (a as f64 - b).abs() <= tol * b.abs().max(1.0) };
        assert!(ok, "{what}: element {i}: got {a}, want {b}");
    }
}

fn b(i: u32) -> BufId {
    BufId(i)
}

// ---- convolution ----

/// The geometry with the output extent of padding `(ph, pb)` rows and `(pw, pr)` columns.
#[allow(clippy::too_many_arguments)]
fn conv_geom(
    [n, c, h, w, m]: [usize; 5],
    [kh, kw]: [usize; 2],
    [sh, sw]: [usize; 2],
    [ph, pb, pw, pr]: [usize; 4],
    [dh, dw]: [usize; 2],
    group: usize,
) -> ConvGeom {
    let oh = (h + ph + pb - dh * (kh - 1) - 1) / sh + 1;
    let ow = (w + pw + pr - dw * (kw - 1) - 1) / sw + 1;
    ConvGeom { n, c, h, w, m, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, group }
}

/// Cases covering strides, asymmetric padding, dilation, groups, 1-D, and strides wider than
/// the kernel (input rows no output reads).
fn conv_cases() -> Vec<ConvGeom> {
    vec![
        conv_geom([2, 3, 5, 6, 4], [3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 1),
        conv_geom([2, 4, 7, 6, 6], [3, 2], [2, 1], [1, 0, 2, 1], [2, 1], 2),
        conv_geom([1, 3, 6, 5, 6], [2, 3], [2, 2], [0, 1, 1, 0], [1, 2], 3),
        conv_geom([3, 2, 1, 11, 3], [1, 3], [1, 2], [0, 0, 1, 2], [1, 2], 1),
        conv_geom([2, 2, 8, 8, 2], [2, 2], [3, 3], [0, 0, 0, 0], [1, 1], 1),
        conv_geom([2, 4, 5, 5, 4], [3, 3], [1, 1], [2, 2, 2, 2], [2, 2], 4),
    ]
}

/// Calls `f(x index, w index, y index)` for every tap of every output that reads the input.
fn each_tap(g: &ConvGeom, mut f: impl FnMut(usize, usize, usize)) {
    let (cg, mg) = (g.c / g.group, g.m / g.group);
    for i in 0..g.n {
        for o in 0..g.m {
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let yi = ((i * g.m + o) * g.oh + oy) * g.ow + ox;
                    for c in 0..cg {
                        let ci = (o / mg) * cg + c;
                        for ky in 0..g.kh {
                            let iy = (oy * g.sh + ky * g.dh) as isize - g.ph as isize;
                            if iy < 0 || iy >= g.h as isize {
                                continue;
                            }
                            for kx in 0..g.kw {
                                let ix = (ox * g.sw + kx * g.dw) as isize - g.pw as isize;
                                if ix < 0 || ix >= g.w as isize {
                                    continue;
                                }
                                let xi = ((i * g.c + ci) * g.h + iy as usize) * g.w + ix as usize;
                                let wi = ((o * cg + c) * g.kh + ky) * g.kw + kx;
                                f(xi, wi, yi);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn sizes(g: &ConvGeom) -> (usize, usize, usize) {
    (g.n * g.c * g.h * g.w, g.m * (g.c / g.group) * g.kh * g.kw, g.n * g.m * g.oh * g.ow)
}

#[test]
fn conv_forward_matches_the_loops() {
    let mut rng = Rng(0x5eed_0001);
    for (ci, g) in conv_cases().into_iter().enumerate() {
        for bias in [false, true] {
            let (xn, wn, yn) = sizes(&g);
            let (x, w, bv) = (rng.vals(xn, 8, 4.0), rng.vals(wn, 8, 8.0), rng.vals(g.m, 8, 4.0));
            let mut want = vec![0.0f64; yn];
            each_tap(&g, |xi, wi, yi| want[yi] += x[xi] as f64 * w[wi] as f64);
            if bias {
                for (yi, v) in want.iter_mut().enumerate() {
                    *v += bv[(yi / (g.oh * g.ow)) % g.m] as f64;
                }
            }
            let k = Kernel::Conv(ConvK {
                g,
                x: b(0),
                w: b(1),
                bias: bias.then_some(b(2)),
                y: b(3),
                event: ci % 2 == 1,
            });
            let out = exec(&[x, w, bv, vec![7.0; yn]], &k);
            close(&format!("conv case {ci} bias {bias}"), &out[3], &want, 0.0);
        }
    }
}

#[test]
fn conv_input_gradient_matches_the_loops() {
    let mut rng = Rng(0x5eed_0002);
    for (ci, g) in conv_cases().into_iter().enumerate() {
        for acc in [false, true] {
            let (xn, wn, yn) = sizes(&g);
            let (dy, w, dx0) = (rng.vals(yn, 8, 4.0), rng.vals(wn, 8, 8.0), rng.vals(xn, 8, 4.0));
            let mut want: Vec<f64> =
                if acc { dx0.iter().map(|&v| v as f64).collect() } else { vec![0.0; xn] };
            each_tap(&g, |xi, wi, yi| want[xi] += dy[yi] as f64 * w[wi] as f64);
            let k = Kernel::ConvDx(ConvDxK { g, dy: b(0), w: b(1), dx: b(2), acc });
            let out = exec(&[dy, w, dx0], &k);
            close(&format!("conv dx case {ci} acc {acc}"), &out[2], &want, 0.0);
        }
    }
}

#[test]
fn conv_weight_and_bias_gradients_match_the_loops() {
    let mut rng = Rng(0x5eed_0003);
    for (ci, g) in conv_cases().into_iter().enumerate() {
        for (dw_on, db_on, acc) in
            [(true, true, false), (true, true, true), (true, false, false), (false, true, true)]
        {
            let (xn, wn, yn) = sizes(&g);
            let (dy, x) = (rng.vals(yn, 8, 4.0), rng.vals(xn, 8, 8.0));
            let (dw0, db0) = (rng.vals(wn, 8, 4.0), rng.vals(g.m, 8, 4.0));
            let start = |v: &[f32]| -> Vec<f64> {
                v.iter().map(|&a| if acc { a as f64 } else { 0.0 }).collect()
            };
            let (mut want_w, mut want_b) = (start(&dw0), start(&db0));
            each_tap(&g, |xi, wi, yi| want_w[wi] += dy[yi] as f64 * x[xi] as f64);
            for (yi, &v) in dy.iter().enumerate() {
                want_b[(yi / (g.oh * g.ow)) % g.m] += v as f64;
            }
            let k = Kernel::ConvDw(ConvDwK {
                g,
                dy: b(0),
                x: b(1),
                dw: dw_on.then_some(b(2)),
                db: db_on.then_some(b(3)),
                acc,
            });
            let out = exec(&[dy, x, dw0.clone(), db0.clone()], &k);
            let what = format!("conv dw case {ci} (dw {dw_on}, db {db_on}, acc {acc})");
            let untouched = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<_>>();
            close(&what, &out[2], &if dw_on { want_w } else { untouched(&dw0) }, 0.0);
            close(&what, &out[3], &if db_on { want_b } else { untouched(&db0) }, 0.0);
        }
    }
}

#[test]
fn invalid_convolutions_are_refused() {
    let g = conv_geom([1, 4, 5, 5, 6], [3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 2);
    let (xn, wn, yn) = sizes(&g);
    let l = Layout::arena_only(&[xn, wn, 6, yn]);
    let conv = |g: ConvGeom, y: u32| {
        Kernel::Conv(ConvK { g, x: b(0), w: b(1), bias: Some(b(2)), y: b(y), event: false })
    };
    assert!(render(0, &l, &conv(g, 3)).is_ok());
    let refusals = [
        (conv(ConvGeom { group: 3, ..g }, 3), "groups"),
        (conv(ConvGeom { group: 0, ..g }, 3), "groups"),
        (conv(ConvGeom { sh: 0, ..g }, 3), "zero stride"),
        (conv(ConvGeom { dw: 0, ..g }, 3), "dilation"),
        (conv(g, 2), "expected"),
        (conv(ConvGeom { oh: usize::MAX / 2, ..g }, 3), "overflow"),
        (Kernel::ConvDx(ConvDxK { g, dy: b(3), w: b(1), dx: b(2), acc: false }), "dx"),
        (
            Kernel::ConvDw(ConvDwK {
                g,
                dy: b(3),
                x: b(0),
                dw: Some(b(1)),
                db: Some(b(0)),
                acc: false,
            }),
            "db",
        ),
    ];
    for (k, what) in refusals {
        let e = render(0, &l, &k).expect_err(what);
        assert!(e.contains(what) && e.contains("invalid plan"), "{what}: {e}");
    }
}

// ---- pooling ----

fn pool_geom(
    [n, h, w]: [usize; 3],
    [kh, kw]: [usize; 2],
    [sh, sw]: [usize; 2],
    [ph, pb, pw, pr]: [usize; 4],
) -> PoolGeom {
    let oh = (h + ph + pb - kh) / sh + 1;
    let ow = (w + pw + pr - kw) / sw + 1;
    PoolGeom { n, h, w, oh, ow, kh, kw, sh, sw, ph, pw }
}

fn pool_cases() -> Vec<PoolGeom> {
    vec![
        pool_geom([3, 4, 6], [2, 2], [2, 2], [0, 0, 0, 0]),
        pool_geom([2, 5, 5], [3, 3], [2, 2], [1, 1, 1, 1]),
        pool_geom([4, 1, 9], [1, 3], [1, 1], [0, 0, 1, 1]),
        pool_geom([2, 6, 7], [3, 2], [1, 2], [1, 0, 1, 1]),
        pool_geom([2, 7, 7], [2, 2], [3, 3], [1, 0, 0, 1]),
    ]
}

const OPS: [PoolOp; 4] = [PoolOp::Sum, PoolOp::AvgIncludePad, PoolOp::AvgExcludePad, PoolOp::Max];

/// Calls `f(y index, taps inside the input in row-major order)` for every window.
fn each_window(g: &PoolGeom, mut f: impl FnMut(usize, &[usize])) {
    for p in 0..g.n {
        for oy in 0..g.oh {
            for ox in 0..g.ow {
                let mut taps = Vec::new();
                for ky in 0..g.kh {
                    let iy = (oy * g.sh + ky) as isize - g.ph as isize;
                    for kx in 0..g.kw {
                        let ix = (ox * g.sw + kx) as isize - g.pw as isize;
                        if iy >= 0 && iy < g.h as isize && ix >= 0 && ix < g.w as isize {
                            taps.push((p * g.h + iy as usize) * g.w + ix as usize);
                        }
                    }
                }
                f((p * g.oh + oy) * g.ow + ox, &taps);
            }
        }
    }
}

/// The tap max pooling picks: the first largest.
fn arg_max(x: &[f32], taps: &[usize]) -> Option<usize> {
    taps.iter().copied().fold(None, |best, t| match best {
        Some(b) if x[t] <= x[b] => Some(b),
        _ => Some(t),
    })
}

/// The divisor of a window's sum.
fn divisor(op: PoolOp, g: &PoolGeom, taps: usize) -> f64 {
    match op {
        PoolOp::AvgIncludePad => (g.kh * g.kw) as f64,
        PoolOp::AvgExcludePad => taps as f64,
        PoolOp::Sum | PoolOp::Max => 1.0,
    }
}

/// The tolerance of `op`'s results: exact but for the averages' divisions.
fn tol(op: PoolOp) -> f64 {
    match op {
        PoolOp::AvgIncludePad | PoolOp::AvgExcludePad => 4e-6,
        PoolOp::Sum | PoolOp::Max => 0.0,
    }
}

/// Inputs with many ties (few levels), some planes all equal.
fn pool_input(rng: &mut Rng, g: &PoolGeom) -> Vec<f32> {
    let mut x = rng.vals(g.n * g.h * g.w, 2, 4.0);
    let plane = g.h * g.w;
    x[..plane].iter_mut().for_each(|v| *v = 0.25);
    x
}

#[test]
fn pool_forward_matches_the_loops() {
    let mut rng = Rng(0x5eed_0004);
    for (ci, g) in pool_cases().into_iter().enumerate() {
        for op in OPS {
            let x = pool_input(&mut rng, &g);
            let yn = g.n * g.oh * g.ow;
            let mut want = vec![0.0; yn];
            each_window(&g, |yi, taps| {
                want[yi] = match op {
                    PoolOp::Max => arg_max(&x, taps).map_or(f64::NEG_INFINITY, |t| x[t] as f64),
                    _ => {
                        taps.iter().map(|&t| x[t] as f64).sum::<f64>() / divisor(op, &g, taps.len())
                    }
                }
            });
            let k = Kernel::Pool(PoolK { op, g, x: b(0), y: b(1) });
            let out = exec(&[x, vec![7.0; yn]], &k);
            close(&format!("pool {op:?} case {ci}"), &out[1], &want, tol(op));
        }
    }
}

#[test]
fn pool_gradient_matches_the_loops() {
    let mut rng = Rng(0x5eed_0005);
    for (ci, g) in pool_cases().into_iter().enumerate() {
        for op in OPS {
            for acc in [false, true] {
                let x = pool_input(&mut rng, &g);
                let (xn, yn) = (x.len(), g.n * g.oh * g.ow);
                let (dy, dx0) = (rng.vals(yn, 8, 4.0), rng.vals(xn, 8, 4.0));
                let mut want: Vec<f64> =
                    if acc { dx0.iter().map(|&v| v as f64).collect() } else { vec![0.0; xn] };
                each_window(&g, |yi, taps| match op {
                    PoolOp::Max => {
                        if let Some(t) = arg_max(&x, taps) {
                            want[t] += dy[yi] as f64;
                        }
                    }
                    _ => {
                        for &t in taps {
                            want[t] += dy[yi] as f64 / divisor(op, &g, taps.len());
                        }
                    }
                });
                let k = Kernel::PoolBack(PoolBackK { op, g, x: b(0), dy: b(1), dx: b(2), acc });
                let out = exec(&[x, dy, dx0], &k);
                close(&format!("pool back {op:?} case {ci} acc {acc}"), &out[2], &want, tol(op));
            }
        }
    }
}

/// More windows than one dispatch dimension holds (65 535 workgroups of 64): the grid folds
/// into a second dimension and every element is still written once.
#[test]
fn pooling_past_one_grid_dimension() {
    let n = 65_535 * 64 + 100;
    let g = pool_geom([n, 1, 1], [1, 1], [1, 1], [0, 0, 0, 0]);
    let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32).collect();
    let k = Kernel::Pool(PoolK { op: PoolOp::Sum, g, x: b(0), y: b(1) });
    let out = exec(&[x.clone(), vec![-1.0; n]], &k);
    assert!(out[1] == x, "pool over {n} planes");
    let k =
        Kernel::PoolBack(PoolBackK { op: PoolOp::Max, g, x: b(0), dy: b(0), dx: b(1), acc: true });
    let out = exec(&[x.clone(), vec![1.0; n]], &k);
    assert!(out[1].iter().zip(&x).all(|(&a, &v)| a == v + 1.0), "pool back over {n} planes");
}

#[test]
fn invalid_poolings_are_refused() {
    let g = pool_geom([2, 4, 4], [2, 2], [2, 2], [0, 0, 0, 0]);
    let l = Layout::arena_only(&[32, 8]);
    let pool = |g: PoolGeom| Kernel::Pool(PoolK { op: PoolOp::Max, g, x: b(0), y: b(1) });
    assert!(render(0, &l, &pool(g)).is_ok());
    for (k, what) in [
        (pool(PoolGeom { sw: 0, ..g }), "zero stride"),
        (pool(PoolGeom { kh: 0, ..g }), "empty window"),
        (pool(PoolGeom { n: 3, ..g }), "expected"),
        (
            Kernel::PoolBack(PoolBackK {
                op: PoolOp::Sum,
                g,
                x: b(0),
                dy: b(1),
                dx: b(1),
                acc: false,
            }),
            "dx",
        ),
    ] {
        let e = render(0, &l, &k).expect_err(what);
        assert!(e.contains(what) && e.contains("invalid plan"), "{what}: {e}");
    }
}
