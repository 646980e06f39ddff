//! The leaky cell (SPEC §1.2) through the wgpu engine's kernels against the reference
//! interpreter, outputs and the gradients of every input (V0, U0, Z0) and weight: LIF with a
//! scalar leak, current-based LIF, per-neuron parameters that mix neurons with and without a
//! current and a leak, `v_out = before_reset` (also on the IF cell), a subtract reset of its
//! own amount (snnTorch's thr/β, per neuron and scalar), and leaky integrators (`spikes = none`), in both update orders, feed-forward (the fused linear + IAF step, then a
//! spike-linear layer on its spikes) and recurrent.
//! A machine without a wgpu adapter fails these tests: the engine is never skipped silently.

mod common;

use common::*;
use snnc_ir::{Order, Tensor};

/// The leaks tested, as IAF attributes: `(label, attributes, has a current)`.
fn leaks() -> Vec<(&'static str, String, bool)> {
    vec![
        ("lif", "beta = 0.875, gamma = 0.5, v_leak = 0.125".into(), false),
        ("cuba", "alpha_syn = 0.75, beta = 0.875, gamma = 0.625, v_leak = -0.0625".into(), true),
        (
            "mixed",
            "alpha_syn = [0.75, 0.0, 0.5, 0.0, 0.625, 0.875, 0.0], \
             beta = [0.875, 1.0, 0.75, 1.0, 0.9375, 1.0, 0.8125], \
             gamma = [0.5, 1.0, 1.0, 1.0, 0.25, 1.0, 0.75], \
             v_leak = [0.0, 0.5, -0.125, 0.0, 0.25, 0.0, 0.125]"
                .into(),
            true,
        ),
        ("box", "beta = [0.875, 1.0, 0.75, 1.0, 0.9375, 1.0, 0.8125]".into(), false),
    ]
}

/// Linear → leaky IAF (with V0, and U0 with a current) → SpikeLinear; `li`: the IAF is a
/// leaky integrator, whose outputs are potentials (`m`, no spike-linear layer).
fn feed_forward(attrs: &str, current: bool, order: Order, li: bool) -> String {
    let (u_in, u_arg, u_out) = if current {
        (format!("  input u0: f32[{B},{N}]\n"), ", u0", ", u1")
    } else {
        (String::new(), "", "")
    };
    let family = if li { "spikes = \"none\", reset = \"none\"" } else { "reset = \"subtract\"" };
    let z = if li { "m" } else { "z1" };
    let tail = if li {
        format!("  output m, v1{u_out}\n")
    } else {
        format!("  h2 = SpikeLinear(z1, w2) {{trans_b = true}}\n  output z1, v1, h2{u_out}\n")
    };
    format!(
        "graph ff {{\n  input x: f32[{T},{B},{K}]\n  input v0: f32[{B},{N}]\n{u_in}{w1}{w2}\
         \x20 h = Linear(x, w1) {{trans_b = true}}\n\
         \x20 @lif {z}, v1{u_out} = IAF(h, v0{u_arg}) {{{p}, method = \"super\", alpha = 3.0, \
         order = \"{order}\", {family}, {attrs}}}\n{tail}}}\n",
        w1 = weight("w1", N, K, 1),
        w2 = weight("w2", 4, N, 2),
        p = neuron_params(),
        order = order.name(),
    )
}

/// A leaky IAFRecurrent with V0, Z0 (and U0 with a current).
fn recurrent(attrs: &str, current: bool, order: Order, li: bool) -> String {
    let (u_in, u_arg, u_out) = if current {
        (format!("  input u0: f32[{B},{N}]\n"), ", u0", ", ut")
    } else {
        (String::new(), "", "")
    };
    // A reset amount is what a subtract reset removes; the other cases reset to a value.
    let family = if li {
        "spikes = \"none\", reset = \"none\""
    } else if attrs.contains("reset_amount") {
        "reset = \"subtract\", reset_grad = \"detached\""
    } else {
        "reset_grad = \"detached\""
    };
    let z = if li { "m" } else { "z" };
    format!(
        "graph rec {{\n  input x: f32[{T},{B},{K}]\n  input v0: f32[{B},{N}]\n  input z0: f32[{B},{N}]\n\
         {u_in}{wi}{wr}\
         \x20 @rnn {z}, vt, zt{u_out} = IAFRecurrent(x, wi, wr, v0, z0{u_arg}) {{{p}, method = \"tanh\", \
         alpha = 2.0, order = \"{order}\", {family}, {attrs}}}\n\
         \x20 output {z}, vt, zt{u_out}\n}}\n",
        wi = weight("wi", N, K, 3),
        wr = weight("wr", N, N, 4),
        p = neuron_params(),
        order = order.name(),
    )
}

fn inputs(recurrent: bool, current: bool) -> Vec<(String, Tensor)> {
    let mut v = vec![
        ("x".to_string(), tensor(&[T, B, K], -0.4, 1.0, 10)),
        ("v0".to_string(), tensor(&[B, N], -0.2, 0.3, 11)),
    ];
    if recurrent {
        v.push(("z0".to_string(), tensor(&[B, N], 0.0, 1.0, 12)));
    }
    if current {
        v.push(("u0".to_string(), tensor(&[B, N], -0.3, 0.5, 13)));
    }
    v
}

/// Every leak, both orders, spiking and integrating, and V_T before the reset; `model` builds
/// the graph.
fn every_leak(recurrent: bool, model: fn(&str, bool, Order, bool) -> String) -> Vec<String> {
    let mut fails = Vec::new();
    let mut cases = Vec::new();
    for (label, attrs, current) in leaks() {
        for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
            cases.push((format!("{label} {}", order.name()), attrs.clone(), current, order, false));
        }
        let before = format!("{attrs}, v_out = \"before_reset\"");
        cases.push((
            format!("{label} before_reset"),
            before,
            current,
            Order::IntegrateThenFire,
            false,
        ));
        cases.push((format!("{label} LI"), attrs.clone(), current, Order::IntegrateThenFire, true));
    }
    let amount = "beta = 0.875, reset_amount = [0.5625, 0.625, 0.5, 0.75, 0.6875, 0.5, 0.59375]";
    for order in [Order::FireThenIntegrate, Order::IntegrateThenFire] {
        cases.push((format!("amount {}", order.name()), amount.into(), false, order, false));
    }
    let scalar = "alpha_syn = 0.75, beta = 0.875, reset_amount = 0.6, v_out = \"before_reset\"";
    cases.push((
        "cuba amount before_reset".into(),
        scalar.into(),
        true,
        Order::IntegrateThenFire,
        false,
    ));
    let before = "v_out = \"before_reset\"".to_string();
    cases.push(("IF before_reset".into(), before.clone(), false, Order::IntegrateThenFire, false));
    cases.push(("LI before_reset".into(), before, false, Order::IntegrateThenFire, true));
    for (label, attrs, current, order, li) in cases {
        let g = parse(&model(&attrs, current, order, li));
        check(&label, &g, &inputs(recurrent, current), &mut fails);
    }
    fails
}

#[test]
fn leaky_feed_forward() {
    let fails = every_leak(false, feed_forward);
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

#[test]
fn leaky_recurrent() {
    let fails = every_leak(true, recurrent);
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

/// The plans of these models hold the leaky cells as IAF kernels (fused with the linear layer
/// feed-forward), so the tests above run the leaky kernels, not a decomposition.
#[test]
fn the_plans_hold_leaky_kernels() {
    let (_, attrs, current) = leaks().remove(1);
    for (src, fused) in [
        (feed_forward(&attrs, current, Order::IntegrateThenFire, false), "linear-event+iaf"),
        (recurrent(&attrs, current, Order::IntegrateThenFire, false), "iaf-recurrent"),
    ] {
        let plan = snnc_plan::compile(&parse(&src), &Default::default()).unwrap();
        let step = plan.infer().steps.iter().find(|s| s.kernel.leaky().is_some()).unwrap();
        assert_eq!(step.kernel.name(), fused);
        let wgsl = snnc_wgpu::Engine::new(&plan).unwrap().wgsl(true).unwrap().join("\n");
        assert!(wgsl.contains("syn = c;") && wgsl.contains("gu = (al * gi);"), "{wgsl}");
    }
}
