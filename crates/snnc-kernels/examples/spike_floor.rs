//! How close the fused spike-linear + IAF pass comes to what the machine allows, at the
//! N-MNIST shape of issue #4 (T = 100, B = 16, 2312 → 512, 5 % spikes), on two threads:
//!
//! * `sums, weights in L2`: only the additions of the weight rows of the active inputs, over
//!   the same packed blocks ([`SpikeWeights`], one 592 KiB block per thread at a time) and
//!   precomputed index lists: the loop the fused pass cannot avoid;
//! * `sums, weights in L1`: the same additions when every active input maps into the first 64
//!   rows of a block (16 KiB), so that no load leaves L1: the arithmetic alone;
//! * `read x`: loading the f32 input once and checking that it is 0/1, the least any consumer
//!   of an f32 spike tensor must do;
//! * `fused, f32 x` / `fused, bits x`: [`spike_linear_iaf`] as the engine calls it.
//!
//! Each round runs all five back to back, so that a busy host slows them alike; medians over
//! the rounds, and the medians over rounds of fused f32 ÷ (sums in L2 + read x) and of fused
//! bits ÷ sums in L2 (the fused pass also builds the index lists and steps the neurons).
//! `cargo run --release -p snnc-kernels --example spike_floor [ROUNDS] [CELL]`, CELL one of
//! `if` (the default), `lif` (β = 0.9: snnTorch's `Leaky`), `cuba` (current-based: α = 0.8,
//! β = 0.9, γ = 0.3) or `li` (a leaky integrator with cuba's parameters), so that the cost
//! of the leak (SPEC §1.2) shows against the IF cell's.

use std::time::Instant;

use snnc_ir::{Family, IafParams, Leak, Order};
use snnc_kernels::{
    spike_linear_iaf, IafCell, IafOutputs, SeqDims, SpikeBits, SpikeInput, SpikeWeights, Threads,
};

const T: usize = 100;
const B: usize = 16;
const INPUTS: usize = 2312;
const OUTPUTS: usize = 512;
const ROWS: usize = T * B;

fn lcg(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Row `r`'s active inputs are `idx[starts[r]..starts[r + 1]]`.
struct RowLists {
    starts: Vec<usize>,
    idx: Vec<u32>,
}

/// The sums of the active rows of a 64-wide block for every row of x, into `out` (`ROWS × 64`).
fn block_sums(block: &[f32], lists: &RowLists, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { block_sums_avx512(block, lists, out) };
    }
    for (r, o) in out.chunks_exact_mut(64).enumerate() {
        let mut acc = [0f32; 64];
        for &i in &lists.idx[lists.starts[r]..lists.starts[r + 1]] {
            let row = &block[i as usize * 64..][..64];
            for k in 0..64 {
                acc[k] += row[k];
            }
        }
        o.copy_from_slice(&acc);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn block_sums_avx512(block: &[f32], lists: &RowLists, out: &mut [f32]) {
    use std::arch::x86_64::*;
    for (r, o) in out.chunks_exact_mut(64).enumerate() {
        let mut acc = [_mm512_setzero_ps(); 4];
        for &i in &lists.idx[lists.starts[r]..lists.starts[r + 1]] {
            let row = &block[i as usize * 64..][..64];
            for (z, a) in acc.iter_mut().enumerate() {
                // SAFETY: z·16 + 16 ≤ 64 = row.len().
                *a = _mm512_add_ps(*a, unsafe { _mm512_loadu_ps(row.as_ptr().add(16 * z)) });
            }
        }
        for (z, a) in acc.into_iter().enumerate() {
            // SAFETY: z·16 + 16 ≤ 64 = o.len().
            unsafe { _mm512_storeu_ps(o.as_mut_ptr().add(16 * z), a) };
        }
    }
}

/// Block sums of all blocks, half of them on each of two threads (this one and one more).
fn sums_two_threads(w: &SpikeWeights, lists: &RowLists, out: &mut [Vec<f32>; 2]) {
    let half = w.blocks() / 2;
    let [mine, theirs] = out;
    std::thread::scope(|s| {
        s.spawn(move || (half..2 * half).for_each(|k| block_sums(w.block(k), lists, theirs)));
        (0..half).for_each(|k| block_sums(w.block(k), lists, mine));
    });
}

/// The number of ones in `part`, and whether every entry is 0 or 1.
fn count(part: &[f32]) -> (usize, bool) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F.
        return unsafe { count_avx512(part) };
    }
    count_scalar(part)
}

fn count_scalar(part: &[f32]) -> (usize, bool) {
    part.iter()
        .fold((0, true), |(n, ok), &v| (n + (v == 1.0) as usize, ok & (v == 0.0 || v == 1.0)))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,popcnt")]
fn count_avx512(part: &[f32]) -> (usize, bool) {
    use std::arch::x86_64::*;
    let (one, zero) = (_mm512_set1_ps(1.0), _mm512_setzero_ps());
    let (mut n, mut bad) = (0usize, 0u16);
    let chunks = part.chunks_exact(16);
    let (rest_n, rest_ok) = count_scalar(chunks.remainder());
    for c in chunks {
        // SAFETY: c holds 16 floats.
        let v = unsafe { _mm512_loadu_ps(c.as_ptr()) };
        let ones = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, one);
        bad |= !(ones | _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(v, zero));
        n += ones.count_ones() as usize;
    }
    (n + rest_n, bad == 0 && rest_ok)
}

/// Reads `x` on two threads, returning the number of ones (and whether all were 0/1).
fn read_x(x: &[f32]) -> (usize, bool) {
    let (a, b) = x.split_at(x.len() / 2);
    std::thread::scope(|s| {
        let h = s.spawn(move || count(b));
        let (n, ok) = count(a);
        let (m, ok2) = h.join().unwrap_or((0, false));
        (n + m, ok && ok2)
    })
}

/// The cell named `which` (see the module docs).
fn cell_params(which: &str) -> IafParams {
    let leak = |alpha: f32, gamma: f32| Leak {
        alpha: vec![alpha],
        beta: vec![0.9],
        gamma: vec![gamma],
        v_leak: vec![0.0],
    };
    let order = Order::IntegrateThenFire;
    match which {
        "if" => IafParams::default(),
        "lif" => IafParams { leak: leak(0.0, 1.0), order, ..IafParams::default() },
        "cuba" => IafParams { leak: leak(0.8, 0.3), order, ..IafParams::default() },
        "li" => IafParams { leak: leak(0.8, 0.3), family: Family::LI, ..IafParams::default() },
        other => panic!("unknown cell {other} (if, lif, cuba or li)"),
    }
}

fn millis(f: impl FnOnce()) -> f64 {
    let s = Instant::now();
    f();
    s.elapsed().as_secs_f64() * 1e3
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100usize).max(1);
    let mut r = lcg(8);
    let w: Vec<f32> = (0..OUTPUTS * INPUTS).map(|_| r() * 0.1 - 0.05).collect();
    let wp = SpikeWeights::from_out_in(&w, OUTPUTS, INPUTS).unwrap();
    assert_eq!(wp.width(), 64, "the sums loop here is written for 64-wide blocks");
    let bias: Vec<f32> = (0..OUTPUTS).map(|_| r() * 0.2 - 0.1).collect();
    let x: Vec<f32> = (0..ROWS * INPUTS).map(|_| if r() < 0.05 { 1.0 } else { 0.0 }).collect();
    let bits = SpikeBits::from_f32(&x, ROWS, INPUTS).unwrap();
    let mut lists = RowLists { starts: vec![0], idx: Vec::new() };
    for row in x.chunks_exact(INPUTS) {
        lists.idx.extend(row.iter().enumerate().filter(|(_, &v)| v == 1.0).map(|(i, _)| i as u32));
        lists.starts.push(lists.idx.len());
    }
    let in_l1 =
        RowLists { starts: lists.starts.clone(), idx: lists.idx.iter().map(|i| i % 64).collect() };
    let which = std::env::args().nth(2).unwrap_or_else(|| "if".into());
    let cell = IafCell::new(&cell_params(&which), OUTPUTS).unwrap();
    let seq = SeqDims { t: T, b: B, n: OUTPUTS };
    let mut z_bits = SpikeBits::zeros(ROWS, OUTPUTS).unwrap();
    let mut v_last = vec![0f32; B * OUTPUTS];
    let mut sums = [vec![0f32; ROWS * 64], vec![0f32; ROWS * 64]];
    let mut fused = |x: SpikeInput<'_>| {
        let out = IafOutputs {
            z: None,
            z_bits: Some(&mut z_bits),
            v_pre: None,
            v_last: Some(&mut v_last),
            z_last: None,
            u_last: None,
        };
        let b = Some(&bias[..]);
        let done = spike_linear_iaf(seq, x, &wp, b, &cell, None, None, out, Threads::Fixed(2));
        assert!(done.unwrap(), "5 % spikes take the event path");
    };
    let names =
        ["sums, weights in L2", "sums, weights in L1", "read x", "fused, f32 x", "fused, bits x"];
    let mut times = vec![Vec::with_capacity(rounds); names.len()];
    let (mut ratio, mut ratio_bits) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for round in 0..=rounds {
        let t = [
            millis(|| sums_two_threads(&wp, &lists, &mut sums)),
            millis(|| sums_two_threads(&wp, &in_l1, &mut sums)),
            millis(|| assert!(std::hint::black_box(read_x(&x)).1)),
            millis(|| fused(SpikeInput::F32(&x))),
            millis(|| fused(SpikeInput::Bits(bits.view()))),
        ];
        // Round 0 warms caches and thread pools.
        if round > 0 {
            ratio.push(t[3] / (t[0] + t[2]));
            ratio_bits.push(t[4] / t[0]);
            for (v, ti) in times.iter_mut().zip(t) {
                v.push(ti);
            }
        }
    }
    println!(
        "N-MNIST layer 1 (rows {ROWS}, {INPUTS} → {OUTPUTS}, 5 % spikes), {which} cell, \
         2 threads, medians of {rounds} rounds:"
    );
    for (name, v) in names.iter().zip(&mut times) {
        println!("  {name:<22} {:7.3} ms", median(v));
    }
    println!(
        "  fused f32 ÷ (sums in L2 + read x): {:.2} (median of per-round ratios)",
        median(&mut ratio)
    );
    println!("  fused bits ÷ sums in L2:           {:.2}", median(&mut ratio_bits));
}
