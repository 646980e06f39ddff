//! Kernel benchmarks (`cargo bench -p snnc-kernels --bench kernels`).
//!
//! * GEMM crates at 512³ and at the N-MNIST layer shape (M = T·B = 1600, K = 2312, N = 512,
//!   weights stored [N, K] and used transposed): `gemm` (through `sgemm`, all threads and one)
//!   against `matrixmultiply` (its own threading);
//! * the fused IAF sequence kernel at T = 100, B = 16, N = 512: forward for inference, forward
//!   saving for training, backward;
//! * the recurrent IAF kernel at T = 100, B = 16, H = 512, forward and backward;
//! * spike-linear at the N-MNIST shape: event-driven (f32 and bit-packed input) against the
//!   dense GEMM path over a sweep of densities (the crossover), and the event-driven dW.
//!
//! Throughput is reported in elements/s where one element is one floating-point operation
//! (2·M·N·K for a GEMM), so `Gelem/s` reads as GFLOP/s.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use snnc_ir::{IafParams, Order};
use snnc_kernels::{
    sgemm, spike_linear, spike_linear_dw, DwLayout, IafCell, IafGrads, IafOutputs, IafUpstream,
    LinearDims, RecurrentGrads, RecurrentInputs, RecurrentSaved, RecurrentUpstream, SeqDims,
    SpikeBits, SpikeInput, SpikePath, SpikeWeights, Threads,
};

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

fn spikes(len: usize, p: f32, seed: u64) -> Vec<f32> {
    let mut r = lcg(seed);
    (0..len).map(|_| if r() < p { 1.0 } else { 0.0 }).collect()
}

fn gemm_crates(c: &mut Criterion) {
    for (name, m, n, k) in [("512^3", 512, 512, 512), ("nmnist", 1600, 512, 2312)] {
        let mut g = c.benchmark_group(format!("gemm/{name}"));
        g.throughput(Throughput::Elements(2 * (m * n * k) as u64));
        let a = vec(m * k, -1.0, 1.0, 1);
        let w = vec(n * k, -1.0, 1.0, 2);
        let mut out = vec![0f32; m * n];
        for (label, th) in
            [("gemm-all-threads", Threads::All), ("gemm-1-thread", Threads::Fixed(1))]
        {
            g.bench_function(label, |bch| {
                bch.iter(|| sgemm(m, n, k, &a, k, 1, &w, 1, k, &mut out, n, false, th).unwrap())
            });
        }
        g.bench_function("matrixmultiply-threading", |bch| {
            bch.iter(|| unsafe {
                let (kk, nn) = (k as isize, n as isize);
                matrixmultiply::sgemm(
                    m,
                    k,
                    n,
                    1.0,
                    a.as_ptr(),
                    kk,
                    1,
                    w.as_ptr(),
                    1,
                    kk,
                    0.0,
                    out.as_mut_ptr(),
                    nn,
                    1,
                )
            })
        });
        g.finish();
    }
}

const T: usize = 100;
const B: usize = 16;
const N: usize = 512;

fn iaf(c: &mut Criterion) {
    let mut g = c.benchmark_group("iaf/T100-B16-N512");
    let dims = SeqDims { t: T, b: B, n: N };
    let seq = T * B * N;
    g.throughput(Throughput::Elements(seq as u64));
    let x = vec(seq, -0.2, 0.5, 3);
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let cell = IafCell::new(&IafParams { order, ..IafParams::default() }, N).unwrap();
        let (mut z, mut v_last, mut v_pre) = (vec![0f32; seq], vec![0f32; B * N], vec![0f32; seq]);
        let mut bits = SpikeBits::zeros(T * B, N).unwrap();
        let o = order.name();
        g.bench_function(format!("forward-inference/{o}"), |bch| {
            bch.iter(|| {
                let out =
                    IafOutputs { z: Some(&mut z), v_last: Some(&mut v_last), ..Default::default() };
                cell.forward(dims, &x, None, None, out, Threads::All).unwrap()
            })
        });
        g.bench_function(format!("forward-training/{o}"), |bch| {
            bch.iter(|| {
                let out = IafOutputs {
                    z_bits: Some(&mut bits),
                    v_pre: Some(&mut v_pre),
                    v_last: Some(&mut v_last),
                    ..Default::default()
                };
                cell.forward(dims, &x, None, None, out, Threads::All).unwrap()
            })
        });
        let gz = vec(seq, -1.0, 1.0, 4);
        let mut gx = vec![0f32; seq];
        g.bench_function(format!("backward/{o}"), |bch| {
            bch.iter(|| {
                let up = IafUpstream { gz: Some(&gz), ..Default::default() };
                let grads = IafGrads { gx: &mut gx, gv0: None, gu0: None };
                cell.backward(dims, &v_pre, up, grads, Threads::All).unwrap()
            })
        });
    }
    g.finish();
}

fn recurrent(c: &mut Criterion) {
    let mut g = c.benchmark_group("recurrent/T100-B16-H512");
    let dims = SeqDims { t: T, b: B, n: N };
    let seq = T * B * N;
    let cell = IafCell::new(&IafParams::default(), N).unwrap();
    let cur = vec(seq, -0.1, 0.4, 5);
    let r = vec(N * N, -0.05, 0.05, 6);
    let rp = SpikeWeights::from_out_in(&r, N, N).unwrap();
    let (mut v_pre, mut bits) = (vec![0f32; seq], SpikeBits::zeros(T * B, N).unwrap());
    g.bench_function("forward-training", |bch| {
        bch.iter(|| {
            let inp = RecurrentInputs { cur: &cur, r: &rp, v0: None, z0: None, u0: None };
            let out = IafOutputs {
                z_bits: Some(&mut bits),
                v_pre: Some(&mut v_pre),
                ..Default::default()
            };
            cell.recurrent_forward(dims, inp, out, Threads::All).unwrap()
        })
    });
    let gz = vec(seq, -1.0, 1.0, 7);
    let (mut g_cur, mut gr) = (vec![0f32; seq], vec![0f32; N * N]);
    g.bench_function("backward", |bch| {
        bch.iter(|| {
            let saved = RecurrentSaved { v_pre: &v_pre, z_bits: bits.view(), z0: None };
            let up = RecurrentUpstream { gz: Some(&gz), ..Default::default() };
            let grads = RecurrentGrads {
                g_cur: &mut g_cur,
                gv0: None,
                gz0: None,
                gr: Some(&mut gr),
                gu0: None,
            };
            cell.recurrent_backward(dims, &r, saved, up, grads, Threads::All).unwrap()
        })
    });
    g.finish();
}

fn spike_linear_bench(c: &mut Criterion) {
    let (rows, i, o) = (T * B, 2312, 512);
    let dims = LinearDims { rows, inputs: i, outputs: o };
    let w = vec(o * i, -0.05, 0.05, 8);
    let wp = SpikeWeights::from_out_in(&w, o, i).unwrap();
    let bias = vec(o, -0.1, 0.1, 9);
    let mut y = vec![0f32; rows * o];
    let mut g = c.benchmark_group("spike-linear/1600x2312x512");
    g.throughput(Throughput::Elements(2 * (rows * i * o) as u64));
    for density in [0.01f32, 0.05, 0.1, 0.2, 0.3, 0.5] {
        let x = spikes(rows * i, density, 10);
        let bits = SpikeBits::from_f32(&x, rows, i).unwrap();
        let pct = (density * 100.0).round();
        for (label, input, path) in [
            ("event-f32", SpikeInput::F32(&x), SpikePath::Event),
            ("event-bits", SpikeInput::Bits(bits.view()), SpikePath::Event),
            ("dense-f32", SpikeInput::F32(&x), SpikePath::Dense),
        ] {
            if label == "event-bits" && density != 0.05 {
                continue;
            }
            g.bench_with_input(BenchmarkId::new(label, format!("{pct}%")), &input, |bch, &inp| {
                bch.iter(|| {
                    spike_linear(dims, inp, &wp, Some(&bias), &mut y, path, Threads::All).unwrap()
                })
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("spike-linear-dw/1600x2312x512");
    g.throughput(Throughput::Elements(2 * (rows * i * o) as u64));
    let gy = vec(rows * o, -1.0, 1.0, 11);
    let mut dw = vec![0f32; i * o];
    for density in [0.05f32, 0.2] {
        let x = spikes(rows * i, density, 12);
        let bits = SpikeBits::from_f32(&x, rows, i).unwrap();
        let pct = (density * 100.0).round();
        for (label, layout, path) in [
            ("event-OutIn", DwLayout::OutIn, SpikePath::Event),
            ("event-InOut", DwLayout::InOut, SpikePath::Event),
            ("dense-OutIn", DwLayout::OutIn, SpikePath::Dense),
        ] {
            let x = SpikeInput::Bits(bits.view());
            g.bench_function(BenchmarkId::new(label, format!("{pct}%")), |bch| {
                bch.iter(|| {
                    spike_linear_dw(dims, &gy, x, &mut dw, layout, false, path, Threads::All)
                        .unwrap()
                })
            });
        }
    }
    g.finish();
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
    targets = gemm_crates, iaf, recurrent, spike_linear_bench
}
criterion_main!(benches);
