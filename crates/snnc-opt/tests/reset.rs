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
