//! Event-driven spike-linear and its weight gradient against the reference `Gemm`.

mod common;

use common::*;
use proptest::prelude::*;
use snnc_ir::Op;
use snnc_kernels::{
    spike_linear, spike_linear_dw, sum_rows, transpose, DwLayout, KernelError, LinearDims,
    SpikeBits, SpikeInput, SpikePath, SpikeWeights, Threads,
};

struct Data {
    dims: LinearDims,
    x: Vec<f32>,
    w: Vec<f32>,
    wt: SpikeWeights,
    bias: Vec<f32>,
    g: Vec<f32>,
}

fn data(rows: usize, i: usize, o: usize, density: f32, seed: u64) -> Data {
    let mut rng = SeedRng::new(seed);
    let x = rng.spikes(rows * i, density);
    let w = rng.vec(o * i, -1.0, 1.0);
    let wt = SpikeWeights::from_out_in(&w, o, i).unwrap();
    let bias = rng.vec(o, -1.0, 1.0);
    let g = rng.vec(rows * o, -1.0, 1.0);
    Data { dims: LinearDims { rows, inputs: i, outputs: o }, x, w, wt, bias, g }
}

fn forward(d: &Data, x: SpikeInput<'_>, path: SpikePath, th: Threads) -> (Vec<f32>, SpikePath) {
    let mut y = vec![f32::NAN; d.dims.rows * d.dims.outputs];
    let took = spike_linear(d.dims, x, &d.wt, Some(&d.bias), &mut y, path, th).unwrap();
    (y, took)
}

fn dw(d: &Data, x: SpikeInput<'_>, layout: DwLayout, path: SpikePath, th: Threads) -> Vec<f32> {
    let mut dw = vec![f32::NAN; d.dims.inputs * d.dims.outputs];
    spike_linear_dw(d.dims, &d.g, x, &mut dw, layout, false, path, th).unwrap();
    dw
}

fn check(rows: usize, i: usize, o: usize, density: f32, seed: u64) {
    let d = data(rows, i, o, density, seed);
    let bits = SpikeBits::from_f32(&d.x, rows, i).unwrap();
    let (xf, xb) = (SpikeInput::F32(&d.x), SpikeInput::Bits(bits.view()));
    let graph = RefGraph::new(
        Op::Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true },
        vec![
            ("x", vec![rows, i], Some(d.x.clone())),
            ("w", vec![o, i], Some(d.w.clone())),
            ("b", vec![o], Some(d.bias.clone())),
        ],
        &["y"],
    );
    let y_ref = get(&graph.run(), "y");
    let (y, took) = forward(&d, xf, SpikePath::Event, Threads::Fixed(1));
    assert_eq!(took, SpikePath::Event);
    assert_sum_close("y event", &y, &y_ref, i);
    let (y_dense, took) = forward(&d, xf, SpikePath::Dense, Threads::Fixed(1));
    assert_eq!(took, SpikePath::Dense);
    assert_sum_close("y dense", &y_dense, &y_ref, i);
    assert_sum_close("y dense vs event", &y_dense, &y, i);
    assert_bits("y from bits", &forward(&d, xb, SpikePath::Event, Threads::Fixed(1)).0, &y);
    assert_bits(
        "y dense from bits",
        &forward(&d, xb, SpikePath::Dense, Threads::Fixed(1)).0,
        &y_dense,
    );

    let grads = graph.grad(&[("y", vec![rows, o], d.g.clone())]);
    let gw_ref = get(&grads, "w");
    let gw = dw(&d, xf, DwLayout::OutIn, SpikePath::Event, Threads::Fixed(1));
    assert_grad("dw event", &gw, &gw_ref);
    assert_grad(
        "dw dense",
        &dw(&d, xf, DwLayout::OutIn, SpikePath::Dense, Threads::Fixed(1)),
        &gw_ref,
    );
    assert_bits(
        "dw from bits",
        &dw(&d, xb, DwLayout::OutIn, SpikePath::Event, Threads::Fixed(1)),
        &gw,
    );
    let gwt = dw(&d, xb, DwLayout::InOut, SpikePath::Event, Threads::Fixed(1));
    let mut back = vec![0f32; i * o];
    transpose(&gwt, i, o, &mut back).unwrap();
    assert_bits("dw [I,O]", &back, &gw);
    let gwt_dense = dw(&d, xb, DwLayout::InOut, SpikePath::Dense, Threads::Fixed(1));
    assert_grad("dw [I,O] dense", &gwt_dense, &gwt);
    let mut gb = vec![0f32; o];
    sum_rows(&d.g, rows, o, &mut gb, false).unwrap();
    assert_grad("db", &gb, &get(&grads, "b"));

    for th in [2, 3] {
        for (path, want) in [(SpikePath::Event, &y), (SpikePath::Dense, &y_dense)] {
            assert_bits("y threads", &forward(&d, xb, path, Threads::Fixed(th)).0, want);
        }
        assert_bits(
            "dw threads",
            &dw(&d, xb, DwLayout::OutIn, SpikePath::Event, Threads::Fixed(th)),
            &gw,
        );
        let gwt_th = dw(&d, xb, DwLayout::InOut, SpikePath::Dense, Threads::Fixed(th));
        assert_bits("dw dense threads", &gwt_th, &gwt_dense);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn matches_reference(
        rows in 1usize..300, i in 1usize..300, o in 1usize..150, density in 0.0f32..1.0, seed: u64,
    ) {
        check(rows, i, o, density, seed);
    }
}

#[test]
fn typical_shapes() {
    check(400, 2312 / 4, 512 / 4, 0.05, 1);
    check(64, 130, 65, 0.5, 2);
    check(3, 64, 64, 1.0, 3);
    check(5, 7, 3, 0.0, 4);
}

#[test]
fn auto_picks_by_density() {
    for (density, want) in [(0.02, SpikePath::Event), (0.9, SpikePath::Dense)] {
        let d = data(100, 200, 40, density, 5);
        assert_eq!(forward(&d, SpikeInput::F32(&d.x), SpikePath::Auto, Threads::All).1, want);
        let mut out = vec![0f32; 200 * 40];
        let got = spike_linear_dw(
            d.dims,
            &d.g,
            SpikeInput::F32(&d.x),
            &mut out,
            DwLayout::OutIn,
            false,
            SpikePath::Auto,
            Threads::All,
        );
        assert_eq!(got, Ok(want));
    }
}

#[test]
fn packing_layouts_agree() {
    let mut rng = SeedRng::new(8);
    for (i, o) in [(5, 3), (40, 20), (33, 64), (70, 130)] {
        let w = rng.vec(o * i, -1.0, 1.0);
        let mut wt = vec![0f32; i * o];
        transpose(&w, o, i, &mut wt).unwrap();
        let a = SpikeWeights::from_out_in(&w, o, i).unwrap();
        assert_eq!(a, SpikeWeights::from_in_out(&wt, i, o).unwrap());
        let mut b = SpikeWeights::zeros(i, o).unwrap();
        b.repack_out_in(&w).unwrap();
        assert_eq!(a, b);
        for k in 0..a.blocks() {
            for c in 0..a.width() {
                let oc = k * a.width() + c;
                let want = if oc < o { w[oc * i + 2] } else { 0.0 };
                assert_eq!(a.block(k)[2 * a.width() + c], want);
            }
        }
    }
}

#[test]
fn accumulates_into_dw() {
    let d = data(50, 70, 30, 0.2, 6);
    let x = SpikeInput::F32(&d.x);
    let once = dw(&d, x, DwLayout::OutIn, SpikePath::Event, Threads::All);
    let mut twice = once.clone();
    spike_linear_dw(
        d.dims,
        &d.g,
        x,
        &mut twice,
        DwLayout::OutIn,
        true,
        SpikePath::Event,
        Threads::All,
    )
    .unwrap();
    let doubled: Vec<f32> = once.iter().map(|v| v + v).collect();
    assert_bits("accumulated", &twice, &doubled);
}

#[test]
fn refuses_non_binary_and_bad_shapes() {
    let mut d = data(4, 6, 3, 0.5, 7);
    d.x[9] = 0.5;
    let mut y = vec![0f32; 12];
    for path in [SpikePath::Auto, SpikePath::Event, SpikePath::Dense] {
        let r =
            spike_linear(d.dims, SpikeInput::F32(&d.x), &d.wt, None, &mut y, path, Threads::All);
        assert!(matches!(r, Err(KernelError::NotBinary { index: 9, .. })), "{r:?}");
    }
    assert!(SpikeBits::from_f32(&d.x, 4, 6).is_err());
    d.x[9] = 1.0;
    let small = SpikeWeights::zeros(5, 3).unwrap();
    let r = spike_linear(
        d.dims,
        SpikeInput::F32(&d.x),
        &small,
        None,
        &mut y,
        SpikePath::Auto,
        Threads::All,
    );
    assert!(matches!(r, Err(KernelError::Layout { .. })));
    let bits = SpikeBits::zeros(5, 6).unwrap();
    let r = spike_linear(
        d.dims,
        SpikeInput::Bits(bits.view()),
        &d.wt,
        None,
        &mut y,
        SpikePath::Auto,
        Threads::All,
    );
    assert!(matches!(r, Err(KernelError::Layout { .. })));
}

/// The first non-binary entry is found wherever it is: in a whole 16-lane chunk, in a row's
/// tail, as a NaN; and negative zero counts as 0.
#[test]
fn refuses_non_binary_anywhere_in_wide_rows() {
    for (rows, i) in [(3, 50), (2, 1000), (5, 16)] {
        let mut d = data(rows, i, 3, 0.3, 11);
        let mut y = vec![0f32; rows * 3];
        let mut fine = d.x.clone();
        let zero = (i + 1..fine.len()).find(|&k| fine[k] == 0.0).expect("a zero entry");
        fine[zero] = -0.0;
        let want = forward(&d, SpikeInput::F32(&d.x), SpikePath::Event, Threads::All).0;
        let got = forward(&d, SpikeInput::F32(&fine), SpikePath::Event, Threads::All).0;
        assert!(want.iter().zip(&got).all(|(a, b)| a.to_bits() == b.to_bits()));
        for bad_at in [0, i / 2, i - 1, i + 17, rows * i - 1] {
            for value in [0.5, f32::NAN, 2.0, -1.0] {
                d.x = fine.clone();
                d.x[bad_at] = value;
                let r = spike_linear(
                    d.dims,
                    SpikeInput::F32(&d.x),
                    &d.wt,
                    None,
                    &mut y,
                    SpikePath::Event,
                    Threads::All,
                );
                assert!(
                    matches!(r, Err(KernelError::NotBinary { index, .. }) if index == bad_at),
                    "{rows}×{i}, {value} at {bad_at}: {r:?}"
                );
            }
        }
    }
}
