//! Best-of-N and median times of the event-driven spike-linear kernels at the N-MNIST shape
//! (rows 1600, I = 2312, O = 512, 5 % spikes), for A/B comparisons on a busy machine where
//! criterion's means are dominated by other processes:
//! `cargo run --release -p snnc-kernels --example spike_min_time [RUNS]`.

use std::time::Instant;

use snnc_ir::IafParams;
use snnc_kernels::{
    spike_linear, spike_linear_dw, spike_linear_iaf, DwLayout, IafCell, IafOutputs, LinearDims,
    SeqDims, SpikeBits, SpikeInput, SpikePath, SpikeWeights, Threads,
};

fn lcg(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// (best, median) milliseconds of `runs` calls of `f`.
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

fn main() {
    let runs = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(40);
    let (rows, i, o) = (1600, 2312, 512);
    let dims = LinearDims { rows, inputs: i, outputs: o };
    let mut r = lcg(8);
    let w: Vec<f32> = (0..o * i).map(|_| r() * 0.1 - 0.05).collect();
    let wp = SpikeWeights::from_out_in(&w, o, i).unwrap();
    let bias: Vec<f32> = (0..o).map(|_| r() * 0.2 - 0.1).collect();
    let x: Vec<f32> = (0..rows * i).map(|_| if r() < 0.05 { 1.0 } else { 0.0 }).collect();
    let bits = SpikeBits::from_f32(&x, rows, i).unwrap();
    let g: Vec<f32> = (0..rows * o).map(|_| r() * 2.0 - 1.0).collect();
    let (mut y, mut dw) = (vec![0f32; rows * o], vec![0f32; i * o]);
    let cell = IafCell::new(&IafParams::default(), o).unwrap();
    let seq = SeqDims { t: 100, b: rows / 100, n: o };
    let mut zb = SpikeBits::zeros(rows, o).unwrap();
    let mut v_last = vec![0f32; seq.b * o];
    for th in [1, 2] {
        let t = Threads::Fixed(th);
        let (best, med) = time(runs, || {
            std::hint::black_box(SpikeBits::from_f32(&x, rows, i).unwrap());
        });
        println!("pack f32 input threads {th}: best {best:7.3} ms  median {med:7.3} ms");
        let cases: [(&str, SpikeInput); 2] =
            [("f32", SpikeInput::F32(&x)), ("bits", SpikeInput::Bits(bits.view()))];
        for (label, inp) in cases {
            let (best, med) = time(runs, || {
                let out = IafOutputs {
                    z: None,
                    z_bits: Some(&mut zb),
                    v_pre: None,
                    v_last: Some(&mut v_last),
                    z_last: None,
                    u_last: None,
                };
                let r = spike_linear_iaf(seq, inp, &wp, Some(&bias), &cell, None, None, out, t);
                assert!(r.unwrap());
            });
            println!("linear+iaf {label:4} threads {th}: best {best:7.3} ms  median {med:7.3} ms");
        }
        let cases: [(&str, SpikeInput); 2] =
            [("f32", SpikeInput::F32(&x)), ("bits", SpikeInput::Bits(bits.view()))];
        for (label, inp) in cases {
            let (best, med) = time(runs, || {
                spike_linear(dims, inp, &wp, Some(&bias), &mut y, SpikePath::Event, t).unwrap();
            });
            println!("forward {label:4} threads {th}: best {best:7.3} ms  median {med:7.3} ms");
        }
        for layout in [DwLayout::OutIn, DwLayout::InOut] {
            let cases: [(&str, SpikeInput); 2] =
                [("f32", SpikeInput::F32(&x)), ("bits", SpikeInput::Bits(bits.view()))];
            for (label, inp) in cases {
                let (best, med) = time(runs, || {
                    spike_linear_dw(dims, &g, inp, &mut dw, layout, false, SpikePath::Event, t)
                        .unwrap();
                });
                println!(
                    "dW {layout:?} {label:4} threads {th}: best {best:7.3} ms  median {med:7.3} ms"
                );
            }
        }
    }
}
