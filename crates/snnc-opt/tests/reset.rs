//! The reset rules: `(1 − z)·v + z·v_reset` with z = Θ(v − v_th) is one fused spike-and-reset.

mod common;

use common::*;

fn graph_with(reset: &str, spike_of: &str) -> String {
    graph_with_th(reset, spike_of, "th = Constant() {value = f32[3] [1.0, 0.9, 1.1]}")
}

fn graph_with_th(reset: &str, spike_of: &str, th: &str) -> String {
    format!(
        "graph t {{
  input v: f32[2,3]
  input w: f32[2,3]
  weight one: f32[] = 1.0
  weight vr: f32[] = 0.5
  {th}
  s = Sub({spike_of}, th)
  z = Spike(s) {{surrogate = \"super:100\"}}
  nz = Sub(one, z)
  keep = Mul(nz, v)
  {reset}
  output out, z
}}"
    )
}

#[test]
fn reset_fuse_gives_the_potential_and_the_spike() {
    let general = "rst = Mul(z, vr)\n out = Add(keep, rst)";
    let goal = "(proj:1 (spikereset:1,0.9,1.1:0.5:super:100 input:0))";
    // The spike must be Θ of the potential that is reset, not of another one.
    check(&["reset-fuse"], goal, &graph_with(general, "v"), &graph_with(general, "w"));
    let spike = "(proj:0 (spikereset:1,0.9,1.1:0.5:super:100 input:0))";
    assert!(reaches(&graph_with(general, "v"), &["reset-fuse"], 1, spike));
    // Operands in other orders.
    let swapped = "rst = Mul(vr, z)\n out = Add(rst, keep)";
    assert!(reaches(&graph_with(swapped, "v"), &["reset-fuse"], 0, goal));
}

#[test]
fn reset_to_zero_is_a_select() {
    let zero = "out = Identity(keep)";
    let goal = "(proj:1 (spikereset:1,0.9,1.1:0:super:100 input:0))";
    let rules = ["reset-zero-select", "identity"];
    check(&rules, goal, &graph_with(zero, "v"), &graph_with(zero, "w"));
}

/// A per-neuron threshold stored as an initializer is a trainable parameter: as a `SpikeReset`
/// attribute it would get no gradient, so the reset is not fused (the layer runs unfused).
#[test]
fn a_threshold_parameter_is_not_absorbed() {
    let general = "rst = Mul(z, vr)\n out = Add(keep, rst)";
    let th = "weight th: f32[3] = [1.0, 0.9, 1.1]";
    let goal = "(proj:1 (spikereset:1,0.9,1.1:0.5:super:100 input:0))";
    assert!(!reaches(&graph_with_th(general, "v", th), &["reset-fuse"], 0, goal));
    let zero = "out = Identity(keep)";
    let goal = "(proj:1 (spikereset:1,0.9,1.1:0:super:100 input:0))";
    let rules = ["reset-zero-select", "identity"];
    assert!(!reaches(&graph_with_th(zero, "v", th), &rules, 0, goal));
}

/// Two steps of sinabs' multi-spike LIF as exported (β = 0.8): the count
/// `[v > 0]·trunc(v / th)` spelled `Cast(Greater(v, 0))·(Sign(d)·Floor(Abs(d)))`, the first
/// step's subtract reset, and the last step's count with its reset pruned. With `th` given,
/// d = v / th and the reset subtracts z·th; without, the threshold is 1: d = v, and it
/// subtracts z.
fn multi_steps(th: Option<f32>) -> String {
    let (w, d0, d1, k0) = match th {
        Some(t) => (
            format!("weight th: f32[] = {t}"),
            "d0 = Div(x0, th)\n  ",
            "d1 = Div(v1, th)\n  ",
            "k0 = Mul(z0, th)\n  r0 = Sub(x0, k0)",
        ),
        None => (String::new(), "", "", "r0 = Sub(x0, z0)"),
    };
    let (e0, e1) = if th.is_some() { ("d0", "d1") } else { ("x0", "v1") };
    format!(
        "graph t {{
  input x0: f32[2,3]
  input x1: f32[2,3]
  weight zero: f32[] = 0.0
  weight beta: f32[] = 0.8
  {w}
  {d0}p0 = Greater(x0, zero)
  c0 = Cast(p0) {{to = \"f32\"}}
  a0 = Abs({e0})
  f0 = Floor(a0)
  s0 = Sign({e0})
  t0 = Mul(f0, s0)
  z0 = Mul(c0, t0)
  {k0}
  l0 = Mul(beta, r0)
  v1 = Add(l0, x1)
  {d1}p1 = Greater(v1, zero)
  c1 = Cast(p1) {{to = \"f32\"}}
  a1 = Abs({e1})
  f1 = Floor(a1)
  s1 = Sign({e1})
  t1 = Mul(f1, s1)
  z1 = Mul(c1, t1)
  output z0, z1
}}"
    )
}

/// The last step's count, which no reset reads, differentiates as the count of the plain
/// export (σ'(v − th), the reference's rule for that spelling, SPEC §1.1) in the optimized
/// graph too: it becomes the spike output of a fused multi-spike op. Left as
/// `Spike(v)·trunc(v / th)` it passed back `trunc(v / th)·σ'(v)`, and every earlier step's
/// gradient through the potential was off with it (sinabs' LIF exports, 20–30 %).
#[test]
fn a_count_without_reset_keeps_the_gradient_of_the_count() {
    use snnc_interp::{grad, GradOptions};
    use snnc_ir::{DType, Surrogate, Tensor};
    use snnc_opt::{optimize, OptOptions};

    let f = |v: &[f32]| Tensor::from_f32_data(DType::F32, &[2, 3], v).unwrap();
    let inputs = vec![
        ("x0".to_string(), f(&[1.3, 2.6, -0.4, 0.45, 3.2, 0.9])),
        ("x1".to_string(), f(&[0.7, -0.2, 1.9, 0.8, 0.35, 2.3])),
    ];
    let upstream = vec![
        ("z0".to_string(), f(&[0.5, -1.0, 0.25, 2.0, -0.75, 1.5])),
        ("z1".to_string(), f(&[1.0, 0.5, -2.0, -0.5, 1.25, 0.75])),
    ];
    for th in [None, Some(0.6)] {
        let g = graph(&multi_steps(th));
        for sg in ["exp:2", "super:1", "triangle:1"] {
            let surrogate: Surrogate = sg.parse().unwrap();
            let opts = OptOptions { surrogate, ..Default::default() };
            let o = optimize(&g, &opts).expect("optimizes").graph;
            let hist = o.op_histogram();
            assert_eq!(hist.get("Spike"), None, "th {th:?}, {sg}: {hist:?}");
            let go = GradOptions { surrogate, ..Default::default() };
            let want = grad(&g, &inputs, &upstream, &go).unwrap();
            let got = grad(&o, &inputs, &upstream, &go).unwrap();
            assert_eq!(got.outputs, want.outputs, "th {th:?}, {sg}");
            let of = |g: &[(String, Tensor)], n: &str| {
                g.iter().find(|(m, _)| m == n).map(|(_, t)| t.to_f64()).unwrap()
            };
            for n in ["x0", "x1"] {
                let (a, b) = (of(&got.grads, n), of(&want.grads, n));
                let close = a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() <= 1e-6);
                assert!(close, "th {th:?}, {sg}: gradient of {n}: {a:?} vs {b:?}");
            }
        }
    }
}

/// snnTorch's `RLeaky` resets late with its two currents added one after the other:
/// `((v + i₁) + i₂) − z` with z = Θ(v − 1) is `((v − z) + i₁) + i₂`. A spike of another
/// potential is no reset of v.
#[test]
fn a_late_reset_two_sums_deep() {
    let text = |spike_of: &str| {
        format!(
            "graph t {{
  input v: f32[2,3]
  input i1: f32[2,3]
  input i2: f32[2,3]
  input w: f32[2,3]
  weight one: f32[] = 1.0
  s = Sub({spike_of}, one)
  z = Spike(s) {{surrogate = \"super:100\"}}
  a = Add(v, i1)\n b = Add(a, i2)\n out = Sub(b, z)
  output out
}}"
        )
    };
    let goal = "(add (add (sub input:0 ?z) input:1) input:2)";
    check(&["reset-late-rec"], goal, &text("v"), &text("w"));
}

/// snnTorch's subtract reset after a decay (β = 0.8): `(β·v + i₁) − z·th` with z = Θ(v − th)
/// is `β·(v − z·th/β) + i₁`, a fused reset of amount th/β = 1.25 (per neuron with a β per
/// neuron); `RLeaky`'s two sums become one current, `β·(…) + (i₁ + i₂)`. A spike of another
/// potential, a decay of 1 (the late reset without a decay) and a decay stored as a trainable
/// parameter match nothing.
#[test]
fn a_late_reset_after_a_decay_removes_th_over_beta() {
    let text = |spike_of: &str, beta: &str, sum: &str| {
        format!(
            "graph t {{
  input v: f32[2,3]
  input i1: f32[2,3]
  input i2: f32[2,3]
  input w: f32[2,3]
  th = Constant() {{value = f32[] 1.0}}
  {beta}
  s = Sub({spike_of}, th)
  z = Spike(s) {{surrogate = \"super:100\"}}
  m = Mul(b, v)\n a = Add(m, i1)\n {sum}\n k = Mul(z, th)\n out = Sub(c, k)
  output out
}}"
        )
    };
    let goal = |amount: &str, current: &str| {
        let reset = format!("spikereset:1:0:super:100:gt:subtract:attached:single:amount:{amount}");
        format!("(add (mul ?b (proj:1 ({reset} input:0))) {current})")
    };
    let decay = "b = Constant() {value = f32[] 0.8}";
    let rules = ["reset-late-decay", "identity"];
    let one_sum = "c = Identity(a)";
    let g = goal("1.25", "input:1");
    check(&rules, &g, &text("v", decay, one_sum), &text("w", decay, one_sum));
    let one = "b = Constant() {value = f32[] 1.0}";
    assert!(!reaches(&text("v", one, one_sum), &rules, 0, &goal("1", "input:1")));
    let per_neuron = "b = Constant() {value = f32[3] [0.8, 0.5, 1.0]}";
    let g = goal("1.25,2,1", "input:1");
    assert!(reaches(&text("v", per_neuron, one_sum), &rules, 0, &g));
    let param = "weight b: f32[3] = [0.8, 0.5, 1.0]";
    assert!(!reaches(&text("v", param, one_sum), &rules, 0, &g));
    let two_sums = "c = Add(a, i2)";
    let g = goal("1.25", "(add input:1 input:2)");
    let rule = ["reset-late-decay"];
    check(&rule, &g, &text("v", decay, two_sums), &text("w", decay, two_sums));
}
