//! Best and median times of the sequence kernels (feed-forward forward and backward,
//! recurrent forward and backward, spike-linear → IAF fused) at T = 100, B = 16, N = 512 on
//! two threads, for the IF cell and the leaky cells of SPEC §1.2, so that the cost of the leak
//! shows against the IF cell's at the same size:
//! `cargo run --release -p snnc-kernels --example iaf_leak [RUNS] [CELL…]`, CELL among `if`,
//! `lif` (β = 0.9: snnTorch's `Leaky`), `cuba` (α = 0.8, β = 0.9, γ = 0.3), `li` (a leaky
//! integrator with cuba's parameters);
//! all four by default; `SNNC_THREADS` sets the thread count (default 2).
//!
//! Each kernel writes what the CPU engine asks of it (and what this example measured before the
//! leaky cell existed, so that IF timings compare across versions). The cells run interleaved
//! (one call of each per round), so that a busy host slows them alike; per kernel and order it prints each cell's best and median time, its spike rate, and
//! the median over rounds of its time ÷ the first cell's (the IF cell's by default). The
//! recurrent and spike-linear kernels' cost follows the spike rate, which the leak changes.

use std::time::Instant;

use snnc_ir::{Family, IafParams, Leak, Order};
use snnc_kernels::{
    spike_linear_iaf, IafCell, IafGrads, IafOutputs, IafUpstream, RecurrentGrads, RecurrentInputs,
    RecurrentSaved, RecurrentUpstream, SeqDims, SpikeBits, SpikeInput, SpikeWeights, Threads,
};

const T: usize = 100;
const B: usize = 16;
const N: usize = 512;
const INPUTS: usize = 2312;

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

/// The cell named `which` (see the module docs) of order `order`.
fn cell_params(which: &str, order: Order) -> IafParams {
    let leak = |alpha: f32, gamma: f32| Leak {
        alpha: vec![alpha],
        beta: vec![0.9],
        gamma: vec![gamma],
        v_leak: vec![0.0],
    };
    let p = IafParams { order, ..IafParams::default() };
    match which {
        "if" => p,
        "lif" => IafParams { leak: leak(0.0, 1.0), ..p },
        "cuba" => IafParams { leak: leak(0.8, 0.3), ..p },
        "li" => IafParams { leak: leak(0.8, 0.3), family: Family::LI, ..p },
        other => panic!("unknown cell {other} (if, lif, cuba or li)"),
    }
}

/// One cell's buffers.
struct Bufs {
    z: Vec<f32>,
    v_last: Vec<f32>,
    u_last: Vec<f32>,
    v_pre: Vec<f32>,
    bits: SpikeBits,
    gx: Vec<f32>,
    g_cur: Vec<f32>,
    gr: Vec<f32>,
}

const KERNELS: [&str; 6] = [
    "forward-inference",
    "forward-training",
    "backward",
    "recurrent-forward-training",
    "recurrent-backward",
    "spike-linear-iaf (2312→512, 5 %)",
];

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(50);
    let mut names: Vec<String> = std::env::args().skip(2).collect();
    if names.is_empty() {
        names = ["if", "lif", "cuba", "li"].map(String::from).to_vec();
    }
    let threads = std::env::var("SNNC_THREADS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let th = Threads::Fixed(threads);
    let dims = SeqDims { t: T, b: B, n: N };
    let seq = T * B * N;
    let x = vec(seq, -0.2, 0.5, 3);
    let gz = vec(seq, -1.0, 1.0, 4);
    let r = vec(N * N, -0.05, 0.05, 6);
    let rp = SpikeWeights::from_out_in(&r, N, N).unwrap();
    let mut rr = lcg(8);
    let w: Vec<f32> = (0..N * INPUTS).map(|_| rr() * 0.1 - 0.05).collect();
    let wp = SpikeWeights::from_out_in(&w, N, INPUTS).unwrap();
    let xs: Vec<f32> = (0..T * B * INPUTS).map(|_| if rr() < 0.05 { 1.0 } else { 0.0 }).collect();
    println!("T = {T}, B = {B}, N = {N}, {threads} thread(s), {runs} rounds");
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        let cells: Vec<IafCell> =
            names.iter().map(|n| IafCell::new(&cell_params(n, order), N).unwrap()).collect();
        let mut bufs: Vec<Bufs> = cells
            .iter()
            .map(|_| Bufs {
                z: vec![0f32; seq],
                v_last: vec![0f32; B * N],
                u_last: vec![0f32; B * N],
                v_pre: vec![0f32; seq],
                bits: SpikeBits::zeros(T * B, N).unwrap(),
                gx: vec![0f32; seq],
                g_cur: vec![0f32; seq],
                gr: vec![0f32; N * N],
            })
            .collect();
        println!("{}:", order.name());
        for (k, kernel) in KERNELS.iter().enumerate() {
            let call = |cell: &IafCell, b: &mut Bufs| {
                let current = cell.has_current();
                match k {
                    0 => {
                        let out = IafOutputs {
                            z: Some(&mut b.z),
                            v_last: Some(&mut b.v_last),
                            u_last: current.then_some(&mut b.u_last[..]),
                            ..Default::default()
                        };
                        cell.forward(dims, &x, None, None, out, th).unwrap()
                    }
                    1 => {
                        let out = IafOutputs {
                            z: Some(&mut b.z),
                            v_pre: Some(&mut b.v_pre),
                            v_last: Some(&mut b.v_last),
                            ..Default::default()
                        };
                        cell.forward(dims, &x, None, None, out, th).unwrap()
                    }
                    2 => {
                        let up = IafUpstream { gz: Some(&gz), ..Default::default() };
                        let grads = IafGrads { gx: &mut b.gx, gv0: None, gu0: None };
                        cell.backward(dims, &b.v_pre, up, grads, th).unwrap()
                    }
                    3 => {
                        let inp = RecurrentInputs { cur: &x, r: &rp, v0: None, z0: None, u0: None };
                        let out = IafOutputs {
                            z_bits: Some(&mut b.bits),
                            v_pre: Some(&mut b.v_pre),
                            ..Default::default()
                        };
                        cell.recurrent_forward(dims, inp, out, th).unwrap()
                    }
                    4 => {
                        let saved =
                            RecurrentSaved { v_pre: &b.v_pre, z_bits: b.bits.view(), z0: None };
                        let up = RecurrentUpstream { gz: Some(&gz), ..Default::default() };
                        let grads = RecurrentGrads {
                            g_cur: &mut b.g_cur,
                            gv0: None,
                            gz0: None,
                            gr: Some(&mut b.gr),
                            gu0: None,
                        };
                        cell.recurrent_backward(dims, &r, saved, up, grads, th).unwrap()
                    }
                    _ => {
                        let out = IafOutputs {
                            z_bits: Some(&mut b.bits),
                            v_last: Some(&mut b.v_last),
                            ..Default::default()
                        };
                        let x = SpikeInput::F32(&xs);
                        let fused = spike_linear_iaf(dims, x, &wp, None, cell, None, None, out, th);
                        assert!(fused.unwrap());
                    }
                }
            };
            let mut times = vec![Vec::with_capacity(runs); cells.len()];
            for round in 0..=runs {
                for (i, (cell, b)) in cells.iter().zip(bufs.iter_mut()).enumerate() {
                    let s = Instant::now();
                    call(cell, b);
                    // Round 0 warms caches and thread pools.
                    if round > 0 {
                        times[i].push(s.elapsed().as_secs_f64() * 1e3);
                    }
                }
            }
            println!("  {kernel}:");
            let ratios: Vec<f64> = (0..cells.len())
                .map(|i| median((0..runs).map(|r| times[i][r] / times[0][r]).collect()))
                .collect();
            for (i, name) in names.iter().enumerate() {
                // The forward kernels write f32 spikes, the others bits.
                let ones = match k {
                    0 | 1 => bufs[i].z.iter().filter(|&&v| v != 0.0).count(),
                    _ => bufs[i].bits.count_ones(),
                };
                let rate = if cells[i].family().is_integrator() {
                    "   (LI)".to_string()
                } else {
                    format!("{:6.1} %", 100.0 * ones as f64 / seq as f64)
                };
                let mut t = times[i].clone();
                t.sort_by(f64::total_cmp);
                println!(
                    "    {name:<5} best {:7.3} ms  median {:7.3} ms  spikes {rate}  ÷ {}: {:.2}",
                    t[0],
                    t[t.len() / 2],
                    names[0],
                    ratios[i]
                );
            }
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
