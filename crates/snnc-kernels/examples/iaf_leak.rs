//! Best and median times of the sequence kernels (feed-forward forward and backward,
//! recurrent forward and backward, spike-linear → IAF fused) at T = 100, B = 16, N = 512 on
//! two threads, for the IF cell and the leaky cells of SPEC §1.2, so that the cost of the leak
//! shows against the IF cell's at the same size:
//! `cargo run --release -p snnc-kernels --example iaf_leak [RUNS] [CELL…]`, CELL among `if`,
//! `lif` (β = 0.9, γ = 0.1), `cuba` (α = 0.8 too), `li` (a leaky integrator with a current);
//! all four by default. Each cell runs both orders (`li` has no spikes, so one suffices).

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

fn time(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[0], t[t.len() / 2])
}

/// The cell named `which` (see the module docs) of order `order`.
fn cell_params(which: &str, order: Order) -> IafParams {
    let leak = |alpha: f32| Leak {
        alpha: vec![alpha],
        beta: vec![0.9],
        gamma: vec![0.1],
        v_leak: vec![0.0],
    };
    let p = IafParams { order, ..IafParams::default() };
    match which {
        "if" => p,
        "lif" => IafParams { leak: leak(0.0), ..p },
        "cuba" => IafParams { leak: leak(0.8), ..p },
        "li" => IafParams { leak: leak(0.8), family: Family::LI, ..p },
        other => panic!("unknown cell {other} (if, lif, cuba or li)"),
    }
}

fn main() {
    let runs = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(50);
    let mut cells: Vec<String> = std::env::args().skip(2).collect();
    if cells.is_empty() {
        cells = ["if", "lif", "cuba", "li"].map(String::from).to_vec();
    }
    let th = Threads::Fixed(2);
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
    let report = |name: &str, (best, med): (f64, f64)| {
        println!("  {name:<40} best {best:7.3} ms  median {med:7.3} ms");
    };
    let mut all = Vec::new();
    for which in &cells {
        all.push((which.clone(), Order::FireThenIntegrate));
        if which != "li" {
            all.push((which.clone(), Order::IntegrateThenFire));
        }
    }
    for (which, order) in all {
        let p = cell_params(&which, order);
        let cell = IafCell::new(&p, N).unwrap();
        let current = cell.has_current();
        let mut u_last = vec![0f32; B * N];
        println!("{which} / {}:", order.name());
        let (mut z, mut v_last, mut v_pre) = (vec![0f32; seq], vec![0f32; B * N], vec![0f32; seq]);
        let mut bits = SpikeBits::zeros(T * B, N).unwrap();
        report(
            "forward-inference",
            time(runs, || {
                let out = IafOutputs {
                    z: Some(&mut z),
                    v_last: Some(&mut v_last),
                    u_last: current.then_some(&mut u_last[..]),
                    ..Default::default()
                };
                cell.forward(dims, &x, None, None, out, th).unwrap()
            }),
        );
        report(
            "forward-training",
            time(runs, || {
                let out = IafOutputs {
                    z: Some(&mut z),
                    v_pre: Some(&mut v_pre),
                    v_last: Some(&mut v_last),
                    ..Default::default()
                };
                cell.forward(dims, &x, None, None, out, th).unwrap()
            }),
        );
        let mut gx = vec![0f32; seq];
        report(
            "backward",
            time(runs, || {
                let up = IafUpstream { gz: Some(&gz), ..Default::default() };
                let grads = IafGrads { gx: &mut gx, gv0: None, gu0: None };
                cell.backward(dims, &v_pre, up, grads, th).unwrap()
            }),
        );
        report(
            "recurrent-forward-training",
            time(runs, || {
                let inp = RecurrentInputs { cur: &x, r: &rp, v0: None, z0: None, u0: None };
                let out = IafOutputs {
                    z_bits: Some(&mut bits),
                    v_pre: Some(&mut v_pre),
                    ..Default::default()
                };
                cell.recurrent_forward(dims, inp, out, th).unwrap()
            }),
        );
        let (mut g_cur, mut gr) = (vec![0f32; seq], vec![0f32; N * N]);
        report(
            "recurrent-backward",
            time(runs, || {
                let saved = RecurrentSaved { v_pre: &v_pre, z_bits: bits.view(), z0: None };
                let up = RecurrentUpstream { gz: Some(&gz), ..Default::default() };
                let grads = RecurrentGrads {
                    g_cur: &mut g_cur,
                    gv0: None,
                    gz0: None,
                    gr: Some(&mut gr),
                    gu0: None,
                };
                cell.recurrent_backward(dims, &r, saved, up, grads, th).unwrap()
            }),
        );
        report(
            "spike-linear-iaf (2312→512, 5 %)",
            time(runs, || {
                let out = IafOutputs {
                    z_bits: Some(&mut bits),
                    v_last: Some(&mut v_last),
                    ..Default::default()
                };
                let x = SpikeInput::F32(&xs);
                assert!(spike_linear_iaf(dims, x, &wp, None, &cell, None, None, out, th).unwrap());
            }),
        );
    }
}
