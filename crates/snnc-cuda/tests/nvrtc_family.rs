//! Every member of the integrate-and-fire family (SPEC §1.1), in both update orders, renders
//! to CUDA modules that NVRTC compiles for sm_80 and sm_90, with the neuron kernels neither
//! spilling registers nor using a stack frame. One text-IR model per order holds, for every
//! member, a feed-forward layer (fused IAF with an initial potential, an event-driven
//! spike-linear layer on its spikes, dense for spike counts, and a `SpikeReset`) and, for the
//! single-spike members, a recurrent layer: two small plans instead of one per member, so
//! this stays quick beside the fixtures' compile test (`nvrtc.rs`).
//!
//! The kernels' maths is `snnc_ir::neuron`'s, printed by the same `StepText` as the WGSL
//! kernels, whose results `snnc-wgpu`'s `tests/family.rs` checks against the reference.
//!
//! Needs NVRTC (see `nvrtc.rs`). Run with
//! `cargo test -p snnc-cuda --features nvrtc --test nvrtc_family`.

use snnc_cuda::nvrtc::{self, compile, spills, Output};
use snnc_cuda::{render, CudaError};
use snnc_ir::{Family, Order, Spikes};

const ARCHS: [u32; 2] = [80, 90];

/// `weight name: f32[rows,cols] = [...]`, values in (−0.5, 0.5) (only compiled, never run).
fn weight(name: &str, rows: usize, cols: usize) -> String {
    let row = |r: usize| {
        let v: Vec<String> = (0..cols)
            .map(|c| format!("{:?}", ((r * cols + c) as f32 * 0.37).sin() * 0.5))
            .collect();
        format!("[{}]", v.join(", "))
    };
    let rows: Vec<String> = (0..rows).map(row).collect();
    format!("  weight {name}: f32[{}, {cols}] = [{}]\n", rows.len(), rows.join(", "))
}

/// Layers of every member in `order`: per member `i`, `ff{i}` (IAF), `sl{i}` (SpikeLinear),
/// `sr{i}` (SpikeReset) and, single-spike members only, `rec{i}` (IAFRecurrent).
fn model(order: Order) -> String {
    let mut s = String::from("graph family {\n  input x: f32[4,2,3]\n  input vinit: f32[2,40]\n");
    s.push_str(&weight("w", 40, 3));
    s.push_str(&weight("w2", 5, 40));
    s.push_str(&weight("wr", 40, 40));
    for (i, f) in Family::members().into_iter().enumerate() {
        let fam = format!(
            "threshold = \"{}\", reset = \"{}\", reset_grad = \"{}\", spikes = \"{}\"",
            f.threshold, f.reset, f.reset_grad, f.spikes
        );
        let iaf = format!(
            "v_th = 0.5, v_reset = -0.125, method = \"super\", alpha = 3.0, order = \"{}\", {fam}",
            order.name()
        );
        s.push_str(&format!(
            "  h{i} = Linear(x, w) {{trans_b = true}}\n\
             \x20 @ff{i} zf{i}, vf{i} = IAF(h{i}, vinit) {{{iaf}}}\n\
             \x20 @sl{i} y{i} = SpikeLinear(zf{i}, w2) {{trans_b = true}}\n\
             \x20 @sr{i} zr{i}, vr{i} = SpikeReset(y{i}) {{v_th = 0.25, v_reset = 0.0, \
             method = \"tanh\", alpha = 2.0, {fam}}}\n\
             \x20 output zf{i}, vf{i}, zr{i}, vr{i}\n"
        ));
        if f.spikes == Spikes::Single {
            s.push_str(&format!(
                "  @rec{i} q{i}, qv{i}, qz{i} = IAFRecurrent(x, w, wr, vinit) {{{iaf}}}\n\
                 \x20 output q{i}, qv{i}, qz{i}\n"
            ));
        }
    }
    s.push_str("}\n");
    s
}

/// Compiles both programs of `order`'s model for every architecture: the failures.
fn compile_order(order: Order) -> Vec<String> {
    let g = snnc_text::parse_str(&model(order), None, "<family>").unwrap_or_else(|e| panic!("{e}"));
    let plan = snnc_plan::compile(&g, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let src = render(&plan).unwrap_or_else(|e| panic!("{}: {e}", order.name()));
    let mut fails = Vec::new();
    for prog in [&src.infer, &src.train] {
        for arch in ARCHS {
            let label = format!("{} {}.cu sm_{arch}", order.name(), prog.name);
            let c = match compile(&prog.code, &format!("{}.cu", prog.name), arch, Output::Cubin) {
                Ok(c) => c,
                Err(e) => {
                    fails.push(format!("{label}: {e}"));
                    continue;
                }
            };
            let report = spills(&c.log);
            for k in prog.kernels().into_iter().filter(|k| k.contains("_iaf")) {
                match report.iter().find(|s| s.kernel == k) {
                    None => fails.push(format!("{label}: no ptxas report for {k}")),
                    Some(s) if s.stores > 0 || s.loads > 0 || s.stack > 0 => {
                        fails.push(format!("{label}: {k} spills: {s:?}"))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    fails
}

#[test]
fn every_family_member_compiles_for_sm80_and_sm90() {
    assert!(nvrtc::available(), "{}", CudaError::NoNvrtc);
    let orders = [Order::FireThenIntegrate, Order::IntegrateThenFire];
    let fails: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = orders.iter().map(|&o| s.spawn(move || compile_order(o))).collect();
        hs.into_iter().flat_map(|h| h.join().expect("compile thread")).collect()
    });
    assert!(fails.is_empty(), "{}", fails.join("\n"));
}

/// Each member's own formulas reach the module: the spike test of `ge`, the truncated
/// quotient of spike counts, the subtracting reset, and the detached reset's zero partial.
#[test]
fn each_member_prints_its_own_step() {
    let g = snnc_text::parse_str(&model(Order::IntegrateThenFire), None, "<family>")
        .unwrap_or_else(|e| panic!("{e}"));
    let plan = snnc_plan::compile(&g, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let train = render(&plan).unwrap().train.code;
    for needle in ["(s >= 0.0f ? 1.0f : 0.0f)", "truncf((u / th))", "(u - (zf * th))", "g * 0.0f"] {
        assert!(train.contains(needle), "no '{needle}' in the training module");
    }
}
