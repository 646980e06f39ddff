//! The fused spike-linear → IAF kernel against the two kernels it fuses, run one after the
//! other: every output bitwise equal, for any thread count.

mod common;

use common::*;
use proptest::prelude::*;
use snnc_ir::{Family, Order, Spikes, VOut};
use snnc_kernels::{
    spike_linear, spike_linear_iaf, IafCell, IafOutputs, KernelError, LinearDims, SeqDims,
    SpikeBits, SpikeInput, SpikePath, SpikeWeights, Threads, DENSE_CROSSOVER,
};

#[derive(Debug, Clone, Copy)]
struct Case {
    t: usize,
    b: usize,
    i: usize,
    n: usize,
    density: f32,
    order: Order,
    per_neuron: bool,
    with_v0: bool,
    with_bias: bool,
    seed: u64,
    family: Family,
    /// Which leak ([`leak`]); with a current, U0 is given when `with_v0`.
    leak: u8,
    /// V_T before the reset (integrate-then-fire only).
    before: bool,
}

impl Case {
    /// Norse's IF cell, V_T after the reset.
    #[allow(clippy::too_many_arguments)]
    fn norse(
        t: usize,
        b: usize,
        i: usize,
        n: usize,
        density: f32,
        order: Order,
        seed: u64,
    ) -> Self {
        Case {
            t,
            b,
            i,
            n,
            density,
            order,
            per_neuron: false,
            with_v0: false,
            with_bias: false,
            seed,
            family: Family::NORSE,
            leak: 0,
            before: false,
        }
    }
}

/// Every output an IAF kernel can write.
#[derive(Debug, PartialEq)]
struct Out {
    z: Vec<u32>,
    bits: SpikeBits,
    v_pre: Vec<u32>,
    v_last: Vec<u32>,
    z_last: Vec<u32>,
    u_last: Vec<u32>,
}

fn to_bits(v: Vec<f32>) -> Vec<u32> {
    v.into_iter().map(f32::to_bits).collect()
}

struct Data {
    x: Vec<f32>,
    w: SpikeWeights,
    bias: Option<Vec<f32>>,
    cell: IafCell,
    v0: Option<Vec<f32>>,
    u0: Option<Vec<f32>>,
    dims: SeqDims,
    inputs: usize,
}

fn data(c: &Case) -> Data {
    let mut rng = SeedRng::new(c.seed);
    let rows = c.t * c.b;
    let x = rng.spikes(rows * c.i, c.density);
    let w = rng.vec(c.n * c.i, -0.6, 0.8);
    let w = SpikeWeights::from_out_in(&w, c.n, c.i).unwrap();
    let bias = c.with_bias.then(|| rng.vec(c.n, -0.2, 0.4));
    let k = if c.per_neuron { c.n } else { 1 };
    let (v_th, v_reset) = (rng.vec(k, 0.4, 1.5), rng.vec(k, -0.3, 0.2));
    let (method, alpha) = methods()[1];
    let mut p = params(method, alpha, c.order, v_th, v_reset);
    p.family = c.family;
    p.leak = leak(c.leak, k, &mut rng);
    if c.before && c.order == Order::IntegrateThenFire {
        p.v_out = VOut::BeforeReset;
    }
    let cell = IafCell::new(&p, c.n).unwrap();
    let v0 = c.with_v0.then(|| rng.vec(c.b * c.n, -0.5, 1.5));
    let u0 = (c.with_v0 && cell.has_current()).then(|| rng.vec(c.b * c.n, -0.5, 0.8));
    let dims = SeqDims { t: c.t, b: c.b, n: c.n };
    Data { x, w, bias, cell, v0, u0, dims, inputs: c.i }
}

/// Runs `f` with buffers for every output (NaN-filled, so an unwritten element shows).
fn outputs(d: &Data, f: impl FnOnce(IafOutputs<'_>)) -> Out {
    let (seq, state) = (d.dims.seq_len().unwrap(), d.dims.state_len().unwrap());
    let (mut z, mut v_pre) = (vec![f32::NAN; seq], vec![f32::NAN; seq]);
    let (mut v_last, mut z_last) = (vec![f32::NAN; state], vec![f32::NAN; state]);
    let mut u_last = vec![f32::NAN; state];
    let mut bits = SpikeBits::zeros(d.dims.t * d.dims.b, d.dims.n).unwrap();
    // Spike counts cannot be bit-packed.
    let single = d.cell.family().spikes != Spikes::Multi;
    f(IafOutputs {
        z: Some(&mut z),
        z_bits: single.then_some(&mut bits),
        v_pre: Some(&mut v_pre),
        v_last: Some(&mut v_last),
        z_last: Some(&mut z_last),
        u_last: d.cell.has_current().then_some(&mut u_last[..]),
    });
    Out {
        z: to_bits(z),
        bits,
        v_pre: to_bits(v_pre),
        v_last: to_bits(v_last),
        z_last: to_bits(z_last),
        u_last: to_bits(u_last),
    }
}

fn apart(d: &Data) -> Out {
    let rows = d.dims.t * d.dims.b;
    let mut y = vec![f32::NAN; rows * d.dims.n];
    let dims = LinearDims { rows, inputs: d.inputs, outputs: d.dims.n };
    let x = SpikeInput::F32(&d.x);
    let th = Threads::Fixed(1);
    spike_linear(dims, x, &d.w, d.bias.as_deref(), &mut y, SpikePath::Event, th).unwrap();
    let (v0, u0) = (d.v0.as_deref(), d.u0.as_deref());
    outputs(d, |out| d.cell.forward(d.dims, &y, v0, u0, out, th).unwrap())
}

/// The fused kernel's outputs, or `None` when it declines (spikes above the crossover).
fn fused(d: &Data, x: SpikeInput<'_>, threads: Threads) -> Option<Out> {
    let (bias, v0, u0) = (d.bias.as_deref(), d.v0.as_deref(), d.u0.as_deref());
    let mut event = false;
    let out = outputs(d, |out| {
        event = spike_linear_iaf(d.dims, x, &d.w, bias, &d.cell, v0, u0, out, threads).unwrap();
    });
    event.then_some(out)
}

fn check(c: &Case) {
    let d = data(c);
    let want = apart(&d);
    let bits = SpikeBits::from_f32(&d.x, c.t * c.b, c.i).unwrap();
    let ones = d.x.iter().filter(|&&v| v == 1.0).count();
    let dense = ones as f64 > DENSE_CROSSOVER * d.x.len() as f64;
    let want = (!dense).then_some(want);
    for th in [Threads::Fixed(1), Threads::Fixed(2), Threads::Fixed(3)] {
        assert!(fused(&d, SpikeInput::F32(&d.x), th) == want, "{c:?} {th:?} from f32");
        assert!(fused(&d, SpikeInput::Bits(bits.view()), th) == want, "{c:?} {th:?} from bits");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn equals_the_two_kernels_apart(
        t in 0usize..9, b in 0usize..20, i in 1usize..90, n in 1usize..150,
        density in 0.0f32..0.4, fti: bool, per_neuron: bool, with_v0: bool, with_bias: bool,
        seed: u64, leak in 0u8..LEAKS, li: bool, before: bool,
    ) {
        let order = if fti { Order::FireThenIntegrate } else { Order::IntegrateThenFire };
        let family = if li { Family::LI } else { Family::NORSE };
        check(&Case {
            t, b, i, n, density, order, per_neuron, with_v0, with_bias, seed, family, leak,
            before,
        });
    }
}

/// Block widths 16, 32 and 64 (one block, several, a ragged last one), both orders.
#[test]
fn every_block_width_and_order() {
    for n in [1, 10, 16, 17, 32, 33, 64, 100, 130, 512] {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            let c = Case {
                per_neuron: n % 2 == 0,
                with_v0: n % 3 != 0,
                with_bias: true,
                ..Case::norse(7, 5, 70, n, 0.1, order, n as u64)
            };
            check(&c);
            check(&Case { leak: 2, before: true, ..c });
        }
    }
}

/// Every member of the family and the leaky integrator, with every leak, on the 64-wide
/// register path and on ragged widths, V_T after and before the reset.
#[test]
fn every_family_member_and_leak() {
    for family in members_and_li() {
        for leak in 0..LEAKS {
            for (n, order) in [
                (64, Order::FireThenIntegrate),
                (128, Order::IntegrateThenFire),
                (70, Order::FireThenIntegrate),
                (33, Order::IntegrateThenFire),
            ] {
                let c = Case {
                    per_neuron: n % 2 == 0,
                    with_v0: n != 64,
                    with_bias: true,
                    family,
                    leak,
                    before: n == 128,
                    ..Case::norse(9, 3, 60, n, 0.2, order, n as u64 + 3)
                };
                check(&c);
            }
        }
    }
}

#[test]
fn refuses_wrong_shapes_and_reports_non_binary_input() {
    let c = Case::norse(3, 2, 8, 5, 0.3, Order::FireThenIntegrate, 1);
    let d = data(&c);
    let th = Threads::Fixed(2);
    let x = SpikeInput::F32(&d.x);
    let mut z = [0f32; 30];
    let out = IafOutputs::default;
    let run = |dims, x, w, v0, out| spike_linear_iaf(dims, x, w, None, &d.cell, v0, None, out, th);
    assert!(run(SeqDims { t: 2, ..d.dims }, x, &d.w, None, out()).is_err());
    let other = SpikeWeights::from_out_in(&[0.0; 5 * 9], 5, 9).unwrap();
    assert!(run(d.dims, x, &other, None, out()).is_err());
    let short = IafOutputs { z: Some(&mut z[..29]), ..out() };
    assert!(run(d.dims, x, &d.w, None, short).is_err());
    assert!(run(d.dims, x, &d.w, Some(&[0.0; 3]), out()).is_err());
    let mut bad = d.x.clone();
    bad[17] = 0.5;
    let err = run(d.dims, SpikeInput::F32(&bad), &d.w, None, out()).unwrap_err();
    assert!(matches!(err, KernelError::NotBinary { index: 17, .. }), "{err}");
    // Lists are built part by part (64 rows) as tasks need them: a bad entry in a late part,
    // with several threads racing to build, is still the error.
    let big = data(&Case { t: 40, b: 4, ..c });
    for threads in [1, 2, 3] {
        let mut bad = big.x.clone();
        bad[150 * 8 + 3] = 2.0;
        let x = SpikeInput::F32(&bad);
        let th = Threads::Fixed(threads);
        let err = spike_linear_iaf(big.dims, x, &big.w, None, &big.cell, None, None, out(), th);
        assert!(matches!(err, Err(KernelError::NotBinary { index: 1203, .. })), "{err:?}");
    }
}

/// Above the crossover density the kernel declines, as `SpikePath::Auto` takes the GEMM.
#[test]
fn dense_spikes_are_declined_like_the_auto_path() {
    for (p, dense) in [(0.05, false), (0.6, true)] {
        let c =
            Case { with_bias: true, ..Case::norse(8, 5, 50, 7, p, Order::IntegrateThenFire, 3) };
        let d = data(&c);
        let (x, th) = (SpikeInput::F32(&d.x), Threads::Fixed(1));
        let mut z = vec![0f32; 8 * 5 * 7];
        let out = IafOutputs { z: Some(&mut z), ..Default::default() };
        let bias = d.bias.as_deref();
        let event = spike_linear_iaf(d.dims, x, &d.w, bias, &d.cell, None, None, out, th);
        assert_eq!(event.unwrap(), !dense, "density {p}");
        let mut y = vec![0f32; 40 * 7];
        let dims = LinearDims { rows: 40, inputs: 50, outputs: 7 };
        let took = spike_linear(dims, x, &d.w, d.bias.as_deref(), &mut y, SpikePath::Auto, th);
        assert_eq!(took.unwrap() == SpikePath::Dense, dense, "density {p}");
    }
}

/// Any subset of the outputs (the engine asks for bits and the final potential only, say) is
/// written exactly as in a run that asks for all of them, and nothing else is touched.
#[test]
fn every_subset_of_outputs_is_the_full_runs() {
    for n in [64, 130] {
        let order = Order::IntegrateThenFire;
        let c = Case {
            per_neuron: true,
            with_bias: true,
            ..Case::norse(6, 3, 40, n, 0.1, order, 7 + n as u64)
        };
        let d = data(&c);
        let x = SpikeInput::F32(&d.x);
        let full = fused(&d, x, Threads::Fixed(2)).expect("sparse enough for the event path");
        let (seq, state) = (d.dims.seq_len().unwrap(), d.dims.state_len().unwrap());
        for mask in 0u32..32 {
            let (mut z, mut v_pre) = (vec![f32::NAN; seq], vec![f32::NAN; seq]);
            let (mut v_last, mut z_last) = (vec![f32::NAN; state], vec![f32::NAN; state]);
            let mut bits = SpikeBits::zeros(d.dims.t * d.dims.b, d.dims.n).unwrap();
            let on = |k: u32| mask & (1 << k) != 0;
            let out = IafOutputs {
                z: on(0).then_some(&mut z[..]),
                z_bits: on(1).then_some(&mut bits),
                v_pre: on(2).then_some(&mut v_pre[..]),
                v_last: on(3).then_some(&mut v_last[..]),
                z_last: on(4).then_some(&mut z_last[..]),
                u_last: None,
            };
            let th = Threads::Fixed(2);
            let bias = d.bias.as_deref();
            assert!(spike_linear_iaf(d.dims, x, &d.w, bias, &d.cell, None, None, out, th).unwrap());
            let untouched = |v: Vec<f32>| v.iter().all(|x| x.is_nan());
            let pick = |k, got: Vec<f32>, want: &Vec<u32>| {
                if on(k) {
                    assert_eq!(&to_bits(got), want, "n {n} mask {mask:05b} output {k}");
                } else {
                    assert!(untouched(got), "n {n} mask {mask:05b} wrote output {k}");
                }
            };
            pick(0, z, &full.z);
            pick(2, v_pre, &full.v_pre);
            pick(3, v_last, &full.v_last);
            pick(4, z_last, &full.z_last);
            let no_bits = SpikeBits::zeros(d.dims.t * d.dims.b, d.dims.n).unwrap();
            assert!(bits == if on(1) { full.bits.clone() } else { no_bits }, "n {n} {mask:05b}");
        }
    }
}
