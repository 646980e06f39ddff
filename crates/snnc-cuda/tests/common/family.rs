//! One text-IR model per update order holding every member of the integrate-and-fire family
//! (SPEC §1.1): per member, a feed-forward layer (fused IAF with an initial potential, an
//! event-driven spike-linear layer on its spikes, dense for spike counts, and a `SpikeReset`)
//! and, for the single-spike members, a recurrent layer.

use snnc_ir::{Family, Order, Spikes};
use snnc_plan::Plan;

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
pub fn model(order: Order) -> String {
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

/// The plan of [`model`] for `order`.
pub fn family_plan(order: Order) -> Plan {
    let g = snnc_text::parse_str(&model(order), None, "<family>").unwrap_or_else(|e| panic!("{e}"));
    snnc_plan::compile(&g, &Default::default()).unwrap_or_else(|e| panic!("{e}"))
}
