//! Times the standard layer `Linear(N, N)` + IAF (integrate-then-fire, `super:100`) on the CUDA
//! engine: the IR graph is built in code (no model file: N = 16384 is 1 GiB of weights),
//! compiled to a plan, and run with inputs already on the GPU.
//!
//! `cargo run --release -p snnc-cuda --features cuda --example bench_layer -- T B N [N…]`
//! prints one JSON line per N: `{"impl": "snnc-cuda", "t": T, "b": B, "n": N,
//! "fwd_ms": median, "fwdbwd_ms": median, "runs": k}`. TF32 tensor cores are allowed for the
//! GEMMs (`SNNC_BENCH_TF32=0` turns them off). `SNNC_BENCH_PROFILE=1` adds one line per
//! training step with its median time (`{"impl": "snnc-cuda-step", "n", "step", "kernel",
//! "node", "ms"}`).

use std::time::{Duration, Instant};

use ndarray::{ArrayD, IxDyn};
use snnc_cuda::{Engine, Options, Wrt};
use snnc_ir::{DType, Graph, IafParams, Op, Order, Tensor, TensorType};
use snnc_plan::{compile, CompileOptions, Plan};

/// A deterministic uniform generator in [lo, hi) (xorshift64*).
fn uniform(len: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let u = (s.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32;
            lo + (hi - lo) * u
        })
        .collect()
}

fn tensor(shape: &[usize], data: Vec<f32>) -> Tensor {
    Tensor::F32(ArrayD::from_shape_vec(IxDyn(shape), data).expect("shape"))
}

/// `z = IAF(Linear(x, W, b))` over `[t, b, n]`.
fn layer(t: usize, b: usize, n: usize) -> Result<Plan, Box<dyn std::error::Error>> {
    let mut g = Graph::new(format!("linear_iaf_n{n}"));
    let x = g.add_input("x", TensorType::new(DType::F32, vec![t, b, n]))?;
    let bound = 1.0 / (n as f32).sqrt();
    let w = g.add_initializer("weight", tensor(&[n, n], uniform(n * n, -bound, bound, 1)))?;
    let bias = g.add_initializer("bias", tensor(&[n], uniform(n, -bound, bound, 2)))?;
    let y = g.add_node(
        "fc",
        Op::Linear { trans_b: true },
        vec![Some(x), Some(w), Some(bias)],
        &[Some("y")],
    )?[0]
        .ok_or("Linear has an output")?;
    let params = IafParams { order: Order::IntegrateThenFire, ..IafParams::default() };
    let z = g.add_node("lif", Op::Iaf(params), vec![Some(y)], &[Some("z"), None])?[0]
        .ok_or("IAF has an output")?;
    g.add_output(z)?;
    snnc_ir::verify(&g)?;
    Ok(compile(&g, &CompileOptions::default())?)
}

/// The median time of `f`, run at least 3 times and until about `budget` has passed.
fn median(
    budget: Duration,
    mut f: impl FnMut() -> Result<(), snnc_cuda::CudaError>,
) -> Result<(f64, usize), snnc_cuda::CudaError> {
    f()?;
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < 3 || (start.elapsed() < budget && times.len() < 50) {
        let t0 = Instant::now();
        f()?;
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times.len()))
}

/// One JSON line per step of the training program: its median time over 5 profiled runs
/// (each step waited for on its own, so the sum exceeds `fwdbwd_ms` by the launch gaps).
fn print_profile(e: &mut Engine, n: usize) -> Result<(), snnc_cuda::CudaError> {
    let runs: Vec<_> = (0..5).map(|_| e.profile(true, Wrt::Params)).collect::<Result<_, _>>()?;
    for (k, s) in runs[0].iter().enumerate() {
        let mut t: Vec<f64> = runs.iter().map(|r| r[k].time.as_secs_f64() * 1e3).collect();
        t.sort_by(f64::total_cmp);
        println!(
            "{{\"impl\": \"snnc-cuda-step\", \"n\": {n}, \"step\": {}, \"kernel\": \"{}\", \
             \"node\": \"{}\", \"ms\": {:.4}}}",
            s.step, s.kernel, s.node, t[2]
        );
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
    let [t, b, ns @ ..] = args.as_slice() else {
        return Err("usage: bench_layer T B N [N…]".into());
    };
    let tf32 = std::env::var("SNNC_BENCH_TF32").map_or(true, |v| v != "0");
    let profile = std::env::var("SNNC_BENCH_PROFILE").is_ok_and(|v| v == "1");
    for &n in ns {
        let plan = layer(*t, *b, n)?;
        let mut e = Engine::new(&plan, Options { tf32, ..Options::default() })?;
        let x = tensor(&[*t, *b, n], uniform(t * b * n, 0.0, 1.0, 3));
        let ones = tensor(&[*t, *b, n], vec![1.0; t * b * n]);
        e.load(&[("x".to_string(), x)], &[("z".to_string(), ones)])?;
        let budget = Duration::from_secs(2);
        let (fwd, runs) = median(budget, || e.execute(false, Wrt::Params))?;
        let (fwdbwd, _) = median(budget, || e.execute(true, Wrt::Params))?;
        println!(
            "{{\"impl\": \"snnc-cuda\", \"t\": {t}, \"b\": {b}, \"n\": {n}, \"fwd_ms\": {fwd:.4}, \
             \"fwdbwd_ms\": {fwdbwd:.4}, \"runs\": {runs}, \"tf32\": {tf32}}}"
        );
        if profile {
            print_profile(&mut e, n)?;
        }
    }
    Ok(())
}
