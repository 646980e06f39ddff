//! Every member of the integrate-and-fire family (SPEC §1.1), in both update orders, through
//! the wgpu engine's kernels against the reference interpreter: a feed-forward model (the fused
//! IAF sequence with an initial potential, an event-driven spike-linear layer on its spikes,
//! dense for spike counts, and a `SpikeReset`) and a recurrent one (`IAFRecurrent` with initial
//! potential and spikes), forward outputs and the gradients of every input and weight. The
//! models are text IR built here, so the family attributes go through the text frontend.
//! Recurrent layers with spike counts are refused at compile time, naming the node.
//! A machine without a wgpu adapter fails these tests: the engine is never skipped silently.

use snnc_ir::{Family, Graph, Order, Spikes, Tensor};

const T: usize = 6;
const B: usize = 2;
const K: usize = 5;
const N: usize = 7;

/// Deterministic uniform values in [lo, hi).
fn uniform(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

fn tensor(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::F32(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), uniform(n, lo, hi, seed)).unwrap(),
    )
}

/// `weight name: f32[rows,cols] = [...]` with values from [`uniform`].
fn weight(name: &str, rows: usize, cols: usize, seed: u64) -> String {
    let v = uniform(rows * cols, -0.6, 0.6, seed);
    let rows_text: Vec<String> = v
        .chunks(cols)
        .map(|r| format!("[{}]", r.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ")))
        .collect();
    format!("  weight {name}: f32[{rows},{cols}] = [{}]\n", rows_text.join(", "))
}

/// The family attributes as the text IR spells them (SPEC §1.1).
fn family_attrs(f: Family) -> String {
    format!(
        "threshold = \"{}\", reset = \"{}\", reset_grad = \"{}\", spikes = \"{}\"",
        f.threshold, f.reset, f.reset_grad, f.spikes
    )
}

/// Per-neuron thresholds and resets, exact in f32.
fn neuron_params() -> String {
    "v_th = [0.5, 0.75, 0.375, 0.625, 0.5, 0.25, 0.875], \
     v_reset = [-0.25, 0.0, 0.125, 0.0, -0.125, 0.0, 0.25]"
        .to_string()
}

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

/// Compiles `g` and checks the wgpu engine against the interpreter: outputs to SPEC §5 (spikes
/// exactly) and the gradients of every input and weight, with seeded upstream gradients.
fn check(label: &str, g: &Graph, inputs: &[(String, Tensor)], fails: &mut Vec<String>) {
    let margin = snnc_interp::spike_margins(g, inputs).expect("margins");
    assert!(margin > 1e-4, "{label}: inputs too close to a threshold: {margin}");
    let plan =
        snnc_plan::compile(g, &Default::default()).unwrap_or_else(|e| panic!("{label}: {e}"));
    let seeds: Vec<(String, Tensor)> = g
        .outputs()
        .iter()
        .enumerate()
        .map(|(i, &o)| (g.value(o).name.clone(), tensor(&g.ty(o).shape, -1.0, 1.0, 100 + i as u64)))
        .collect();
    let want = snnc_interp::run(g, inputs).expect("interpreter");
    let want_g =
        snnc_interp::grad(g, inputs, &seeds, &Default::default()).expect("interpreter grad");
    let engine = snnc_wgpu::Engine::new(&plan).unwrap_or_else(|e| panic!("{label}: {e}"));
    let got = engine.run(inputs).unwrap_or_else(|e| panic!("{label}: run: {e}"));
    let got_g = engine
        .grad(inputs, &seeds, snnc_wgpu::Wrt::All)
        .unwrap_or_else(|e| panic!("{label}: grad: {e}"));
    let spikes = ["z1", "zr", "z", "zt"];
    for (n, w) in &want {
        match got.iter().find(|(m, _)| m == n) {
            None => fails.push(format!("{label}: run: no '{n}'")),
            Some((_, t)) => {
                if let Err(e) = snnc_interp::compare_output(n, t, w, spikes.contains(&n.as_str())) {
                    fails.push(format!("{label}: run: {e}"));
                }
            }
        }
    }
    if got_g.grads.len() != want_g.grads.len() {
        fails.push(format!(
            "{label}: {} gradients, want {}",
            got_g.grads.len(),
            want_g.grads.len()
        ));
    }
    for (n, w) in &want_g.grads {
        match got_g.grads.iter().find(|(m, _)| m == n) {
            None => fails.push(format!("{label}: grad: no '{n}'")),
            Some((_, t)) => {
                if let Err(e) = snnc_interp::compare_grad(n, t, w) {
                    fails.push(format!("{label}: grad: {e}"));
                }
            }
        }
    }
}

fn parse(src: &str) -> Graph {
    snnc_text::parse_str(src, None, "<test>").unwrap_or_else(|e| panic!("{e}\n{src}"))
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

/// The leaky cell (SPEC §1.2) has no WGSL kernels yet: running or differentiating a plan with
/// one is refused, naming the IAF node (not the linear layer it is fused with), never computed
/// as an IF cell.
#[test]
fn leaky_cells_are_refused_by_node() {
    let ff = feed_forward(Family::NORSE, Order::IntegrateThenFire);
    for attrs in ["alpha_syn = 0.8", "beta = 0.9", "v_out = \"before_reset\""] {
        let src =
            ff.replace("z1, v1 = IAF(h, v0) {", &format!("@lif z1, v1 = IAF(h, v0) {{{attrs}, "));
        let src = if attrs.starts_with("alpha_syn") {
            src.replace("@lif z1, v1 =", "@lif z1, v1, u1 =")
        } else {
            src
        };
        let g = parse(&src);
        let plan = snnc_plan::compile(&g, &Default::default()).unwrap();
        let engine = snnc_wgpu::Engine::new(&plan).unwrap();
        let e = engine.run(&inputs(false)).unwrap_err().to_string();
        assert!(e.contains("'lif'") && e.contains("leaky cell"), "{attrs}: {e}");
        let e = engine.wgsl(true).unwrap_err().to_string();
        assert!(e.contains("'lif'") && e.contains("leaky cell"), "{attrs}: {e}");
    }
    let li = ff.replace(
        "z1, v1 = IAF(h, v0) {",
        "@li z1, v1 = IAF(h, v0) {spikes = \"none\", reset = \"none\", beta = 0.9, ",
    );
    // The LI node takes no threshold choices: drop the family's.
    let li = li.replacen(&format!(", {}", family_attrs(Family::NORSE)), "", 1);
    let g = parse(&li);
    let plan = snnc_plan::compile(&g, &Default::default()).unwrap();
    let engine = snnc_wgpu::Engine::new(&plan).unwrap();
    let e = engine.run(&inputs(false)).unwrap_err().to_string();
    assert!(e.contains("'li'") && e.contains("spikes = none"), "{e}");
}
