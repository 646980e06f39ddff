//! Every member of the integrate-and-fire family (SPEC §1.1), in both update orders, through
//! the wgpu engine's kernels against the reference interpreter: a feed-forward model (the fused
//! IAF sequence with an initial potential, an event-driven spike-linear layer on its spikes,
//! dense for spike counts, and a `SpikeReset`) and a recurrent one (`IAFRecurrent` with initial
//! potential and spikes), forward outputs and the gradients of every input and weight. The
//! models are text IR built here, so the family attributes go through the text frontend.
//! Recurrent layers with spike counts are refused at compile time, naming the node.
//! A machine without a wgpu adapter fails these tests: the engine is never skipped silently.
//! The leaky cells (SPEC §1.2) are in `tests/leaky.rs`.

mod common;

use common::*;
use snnc_ir::{Family, Order, Spikes, Tensor};

/// Linear → IAF (with V0) → SpikeLinear → SpikeReset.
fn feed_forward(f: Family, order: Order) -> String {
    let fam = family_attrs(f);
    format!(
        "graph ff {{\n  input x: f32[{T},{B},{K}]\n  input v0: f32[{B},{N}]\n{w1}{w2}\
         \x20 h = Linear(x, w1) {{trans_b = true}}\n\
         \x20 z1, v1 = IAF(h, v0) {{{p}, method = \"super\", alpha = 3.0, order = \"{order}\", {fam}}}\n\
         \x20 h2 = SpikeLinear(z1, w2) {{trans_b = true}}\n\
         \x20 zr, vr = SpikeReset(h2) {{v_th = 0.25, v_reset = [-0.1, 0.0, 0.1, 0.2], \
         method = \"triangle\", alpha = 2.0, {fam}}}\n\
         \x20 output z1, v1, h2, zr, vr\n}}\n",
        w1 = weight("w1", N, K, 1),
        w2 = weight("w2", 4, N, 2),
        p = neuron_params(),
        order = order.name(),
    )
}

/// IAFRecurrent with V0 and Z0.
fn recurrent(f: Family, order: Order) -> String {
    format!(
        "graph rec {{\n  input x: f32[{T},{B},{K}]\n  input v0: f32[{B},{N}]\n  input z0: f32[{B},{N}]\n\
         {wi}{wr}\
         \x20 @rnn z, vt, zt = IAFRecurrent(x, wi, wr, v0, z0) {{{p}, method = \"tanh\", alpha = 2.0, \
         order = \"{order}\", {fam}}}\n\
         \x20 output z, vt, zt\n}}\n",
        wi = weight("wi", N, K, 3),
        wr = weight("wr", N, N, 4),
        p = neuron_params(),
        order = order.name(),
        fam = family_attrs(f),
    )
}

fn inputs(recurrent: bool) -> Vec<(String, Tensor)> {
    let mut v = vec![
        ("x".to_string(), tensor(&[T, B, K], -0.4, 1.0, 10)),
        ("v0".to_string(), tensor(&[B, N], -0.2, 0.3, 11)),
    ];
    if recurrent {
        v.push(("z0".to_string(), tensor(&[B, N], 0.0, 1.0, 12)));
    }
    v
}

#[test]
fn every_family_member_feed_forward() {
    let mut fails = Vec::new();
    for f in Family::members() {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            let label = format!("ff [{}] {}", f.describe(), order.name());
            check(&label, &parse(&feed_forward(f, order)), &inputs(false), &mut fails);
        }
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

#[test]
fn every_family_member_recurrent() {
    let mut fails = Vec::new();
    for f in Family::members() {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            let label = format!("recurrent [{}] {}", f.describe(), order.name());
            let g = parse(&recurrent(f, order));
            if f.spikes == Spikes::Multi {
                // Spike counts cannot travel between steps as bits: refused, naming the node.
                let e = snnc_plan::compile(&g, &Default::default()).unwrap_err().to_string();
                assert!(e.contains("rnn") && e.contains("spikes = multi"), "{label}: {e}");
                continue;
            }
            check(&label, &g, &inputs(true), &mut fails);
        }
    }
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}
