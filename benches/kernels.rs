//! Kernel benchmarks (`cargo bench -p snnc-kernels --bench kernels`).
//!
//! * GEMM crates at 512³ and at the N-MNIST layer shape (M = T·B = 1600, K = 2312, N = 512,
//!   weights stored [N, K] and used transposed): `gemm` (through `sgemm`, all threads and one)
//!   against `matrixmultiply` (its own threading);
//! * the fused IAF sequence kernel at T = 100, B = 16, N = 512: forward for inference, forward
//!   saving for training, backward;
//! * the recurrent IAF kernel at T = 100, B = 16, H = 512, forward and backward;
//! * spike-linear at the N-MNIST shape: event-driven (f32 and bit-packed input) against the
//!   dense GEMM path over a sweep of densities (the crossover), and the event-driven dW;
//! * the fused spike-linear → IAF layer at the N-MNIST first layer's shape (T·B = 1600 rows,
//!   2312 inputs at 5 %, 512 neurons) for the IF cell and Norse's LIF cell (current, β, γ,
//!   V_T before the reset), with the outputs the plan asks for at inference and in training,
//!   against spike-linear then [`IafCell::forward`] apart.
//!
//! Throughput is reported in elements/s where one element is one floating-point operation
//! (2·M·N·K for a GEMM), so `Gelem/s` reads as GFLOP/s.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use snnc_ir::{IafParams, Order, VOut};
use snnc_kernels::{
    sgemm, spike_linear, spike_linear_dw, spike_linear_iaf, DwLayout, IafCell, IafGrads,
    IafOutputs, IafUpstream, LinearDims, RecurrentGrads, RecurrentInputs, RecurrentSaved,
    RecurrentUpstream, SeqDims, SpikeBits, SpikeInput, SpikePath, SpikeWeights, Threads,
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

/// The N-MNIST MLP's first layer as the IF cell and as Norse's `LIFCell` (dt = 1 ms,
/// τ_syn⁻¹ = 200, τ_mem⁻¹ = 100: α = 0.8, β = 0.9, γ = 0.1), both integrate-then-fire.
fn first_layer_cells() -> [(&'static str, IafCell); 2] {
    let order = Order::IntegrateThenFire;
    let iaf = IafCell::new(&IafParams { order, ..IafParams::default() }, N).unwrap();
    let mut p = IafParams { order, v_out: VOut::BeforeReset, ..IafParams::default() };
    (p.leak.alpha, p.leak.beta, p.leak.gamma) = (vec![0.8], vec![0.9], vec![0.1]);
    [("if", iaf), ("lif", IafCell::new(&p, N).unwrap())]
}

/// The buffers the fused layer writes.
struct Sinks {
    bits: SpikeBits,
    v_pre: Vec<f32>,
    v_last: Vec<f32>,
    u_last: Vec<f32>,
}

impl Sinks {
    /// What the plan asks `cell` for: the spikes as bits and V_T, U_T for a cell with a
    /// current, and in training the pre-reset potentials.
    fn outputs(&mut self, cell: &IafCell, training: bool) -> IafOutputs<'_> {
        IafOutputs {
            z_bits: Some(&mut self.bits),
            v_pre: training.then_some(&mut self.v_pre[..]),
            v_last: Some(&mut self.v_last),
            u_last: cell.has_current().then_some(&mut self.u_last[..]),
            ..Default::default()
        }
    }
}

fn spike_linear_iaf_bench(c: &mut Criterion) {
    let (rows, i) = (T * B, 2312);
    let dims = SeqDims { t: T, b: B, n: N };
    let ldims = LinearDims { rows, inputs: i, outputs: N };
    let w = vec(N * i, -0.05, 0.05, 13);
    let wp = SpikeWeights::from_out_in(&w, N, i).unwrap();
    let bias = vec(N, -0.1, 0.1, 14);
    let x = spikes(rows * i, 0.05, 15);
    let (v0, u0) = (vec![0f32; B * N], vec![0f32; B * N]);
    let mut sinks = Sinks {
        bits: SpikeBits::zeros(rows, N).unwrap(),
        v_pre: vec![0f32; rows * N],
        v_last: vec![0f32; B * N],
        u_last: vec![0f32; B * N],
    };
    let mut y = vec![0f32; rows * N];
    let mut g = c.benchmark_group("spike-linear-iaf/1600x2312x512-5%");
    g.throughput(Throughput::Elements(2 * (rows * i * N) as u64));
    let th = Threads::All;
    for (name, cell) in first_layer_cells() {
        // As the engine calls the kernels: V0 given, and U0 for a cell with a current.
        let u0 = cell.has_current().then_some(&u0[..]);
        for training in [false, true] {
            let mode = if training { "training" } else { "inference" };
            g.bench_function(format!("fused/{name}/{mode}"), |bch| {
                bch.iter(|| {
                    let (x, outs) = (SpikeInput::F32(&x), sinks.outputs(&cell, training));
                    let bias = Some(&bias[..]);
                    let fused =
                        spike_linear_iaf(dims, x, &wp, bias, &cell, Some(&v0), u0, outs, th);
                    assert!(fused.unwrap())
                })
            });
            g.bench_function(format!("apart/{name}/{mode}"), |bch| {
                bch.iter(|| {
                    let (x, path) = (SpikeInput::F32(&x), SpikePath::Event);
                    spike_linear(ldims, x, &wp, Some(&bias), &mut y, path, th).unwrap();
                    let outs = sinks.outputs(&cell, training);
                    cell.forward(dims, &y, Some(&v0), u0, outs, th).unwrap()
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
    targets = gemm_crates, iaf, recurrent, spike_linear_bench, spike_linear_iaf_bench
}
criterion_main!(benches);
