//! Convolution benchmarks (`cargo bench -p snnc-kernels --bench conv`): the event-driven path
//! against the dense one (im2col + GEMM) on the three Conv layers of the N-MNIST spiking CNN
//! at B = 16, T = 100 (1600 images), over input densities 1–50 %: the crossover behind
//! `CONV_EVENT_CROSSOVER` (docs/conv.md records the numbers); then dW, event-driven against
//! im2col + GEMM over densities 5–30 % (`CONV_DW_EVENT_CROSSOVER`), dX and the 2×2 sum pool at
//! 5 %.
//!
//! Throughput is in elements/s where one element is one multiply-add of the dense product, so
//! both paths of a layer read on the same scale.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use snnc_kernels::{
    conv2d, conv2d_dw, conv2d_dx, pool2d, ConvDims, ConvPath, PoolDims, PoolMode, Threads,
};

/// Images: B = 16 × T = 100.
const N: usize = 1600;

fn lcg(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn vec(len: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut r = lcg(seed);
    (0..len).map(|_| lo + (hi - lo) * r()).collect()
}

fn spikes(len: usize, p: f64, seed: u64) -> Vec<f32> {
    let mut r = lcg(seed);
    (0..len).map(|_| if f64::from(r()) < p { 1.0 } else { 0.0 }).collect()
}

/// The CNN's layers: `(name, c, h, m, k, stride, pad)`, square images and kernels.
const LAYERS: [(&str, usize, usize, usize, usize, usize, usize); 3] = [
    ("conv1-2x34x34-16-5x5s2p1", 2, 34, 16, 5, 2, 1),
    ("conv2-16x16x16-16-3x3p1", 16, 16, 16, 3, 1, 1),
    ("conv3-16x8x8-8-3x3p1", 16, 8, 8, 3, 1, 1),
];

fn dims(c: usize, h: usize, m: usize, k: usize, s: usize, p: usize) -> ConvDims {
    let o = (h + 2 * p - k) / s + 1;
    ConvDims {
        n: N,
        c,
        h,
        w: h,
        m,
        oh: o,
        ow: o,
        kh: k,
        kw: k,
        sh: s,
        sw: s,
        ph: p,
        pw: p,
        dh: 1,
        dw: 1,
        group: 1,
    }
}

fn macs(d: &ConvDims) -> u64 {
    (d.n * d.m * d.oh * d.ow * d.c * d.kh * d.kw) as u64
}

fn forward(c: &mut Criterion) {
    for (name, ch, h, m, k, s, p) in LAYERS {
        let d = dims(ch, h, m, k, s, p);
        let w = vec(m * ch * k * k, -0.5, 0.5, 1);
        let b = vec(m, -0.1, 0.1, 2);
        let mut y = vec![0f32; d.n * m * d.oh * d.ow];
        let mut g = c.benchmark_group(format!("conv/{name}"));
        g.throughput(Throughput::Elements(macs(&d)));
        for density in [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5] {
            let x = spikes(d.n * ch * h * h, density, 3);
            let pct = format!("{}%", (density * 100.0).round());
            for (label, path) in [("event", ConvPath::Event), ("dense", ConvPath::Dense)] {
                g.bench_function(BenchmarkId::new(label, &pct), |bch| {
                    bch.iter(|| conv2d(&d, &x, &w, Some(&b), &mut y, path, Threads::All).unwrap())
                });
            }
        }
        g.finish();
    }
}

fn backward(c: &mut Criterion) {
    for (name, ch, h, m, k, s, p) in LAYERS {
        let d = dims(ch, h, m, k, s, p);
        let w = vec(m * ch * k * k, -0.5, 0.5, 1);
        let dy = vec(d.n * m * d.oh * d.ow, -1.0, 1.0, 4);
        let (mut dw, mut db) = (vec![0f32; w.len()], vec![0f32; m]);
        let mut dx = vec![0f32; d.n * ch * h * h];
        let mut g = c.benchmark_group(format!("conv-backward/{name}"));
        g.throughput(Throughput::Elements(macs(&d)));
        for density in [0.05, 0.1, 0.15, 0.2, 0.3] {
            let x = spikes(d.n * ch * h * h, density, 5);
            let pct = format!("{}%", (density * 100.0).round());
            for (label, path) in [("dw-event", ConvPath::Event), ("dw-dense", ConvPath::Dense)] {
                g.bench_function(BenchmarkId::new(label, &pct), |bch| {
                    bch.iter(|| {
                        let (dw, db) = (Some(&mut dw[..]), Some(&mut db[..]));
                        conv2d_dw(&d, &dy, &x, dw, db, false, path, Threads::All).unwrap()
                    })
                });
            }
        }
        g.bench_function("dx", |bch| {
            bch.iter(|| conv2d_dx(&d, &dy, &w, &mut dx, false, Threads::All).unwrap())
        });
        g.finish();
    }
}

fn pool(c: &mut Criterion) {
    let d = PoolDims {
        n: N * 16,
        h: 16,
        w: 16,
        oh: 8,
        ow: 8,
        kh: 2,
        kw: 2,
        sh: 2,
        sw: 2,
        ph: 0,
        pw: 0,
    };
    let x = spikes(d.n * 256, 0.05, 6);
    let mut y = vec![0f32; d.n * 64];
    c.bench_function("sumpool-2x2/1600x16x16x16", |bch| {
        bch.iter(|| pool2d(PoolMode::Sum, &d, &x, &mut y, Threads::All).unwrap())
    });
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = forward, backward, pool
}
criterion_main!(benches);
