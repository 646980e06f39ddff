//! One text-IR model per update order holding every variant of the leaky cell (SPEC §1.2)
//! the CUDA kernels print differently: per variant, a feed-forward layer (the fused linear +
//! IAF step with V0, and U0 with a current; spiking ones feed an event-driven spike-linear
//! layer) and a recurrent layer (V0, Z0, and U0 with a current). Variants: a scalar leak
//! (LIF), a current (CUBA), per-neuron parameters mixing neurons with and without a current
//! and a leak, a per-neuron leak without a current, leaky integrators (with and without a
//! current), V_T before the reset (integrate-then-fire only; also on the IF cell), and a
//! subtract reset of its own amount (snnTorch's thr/β; per neuron, and scalar with V_T before
//! the reset).

use snnc_ir::Order;
use snnc_plan::Plan;

/// `(name, attributes, has a current, leaky integrator, integrate-then-fire only)`.
const VARIANTS: [(&str, &str, bool, bool, bool); 10] = [
    ("lif", "beta = 0.875, gamma = 0.5, v_leak = 0.125", false, false, false),
    ("cuba", "alpha_syn = 0.75, beta = 0.875, gamma = 0.625", true, false, false),
    (
        "mixed",
        "alpha_syn = [0.75, 0.0, 0.5, 0.0], beta = [0.875, 1.0, 0.75, 1.0], \
         gamma = [0.5, 1.0, 1.0, 1.0], v_leak = [0.0, 0.5, -0.125, 0.0]",
        true,
        false,
        false,
    ),
    ("box", "beta = [0.875, 1.0, 0.75, 0.9375]", false, false, false),
    ("li", "beta = 0.875, gamma = 0.25", false, true, false),
    ("cuba_li", "alpha_syn = 0.5, beta = 0.875, gamma = 0.25", true, true, false),
    ("before", "alpha_syn = 0.5, beta = 0.875, v_out = \"before_reset\"", true, false, true),
    ("if_before", "v_out = \"before_reset\"", false, false, true),
    (
        "amount",
        "alpha_syn = 0.5, beta = 0.875, reset_amount = [0.5625, 0.625, 0.5, 0.75]",
        true,
        false,
        false,
    ),
    (
        "amount_before",
        "beta = 0.875, reset_amount = 0.5714286, v_out = \"before_reset\"",
        false,
        false,
        true,
    ),
];

/// `weight name: f32[rows,cols] = [...]`, values in (−0.5, 0.5) (only compiled, never run).
fn weight(name: &str, rows: usize, cols: usize) -> String {
    let row = |r: usize| {
        let v: Vec<String> = (0..cols)
            .map(|c| format!("{:?}", ((r * cols + c) as f32 * 0.41).sin() * 0.5))
            .collect();
        format!("[{}]", v.join(", "))
    };
    let rows: Vec<String> = (0..rows).map(row).collect();
    format!("  weight {name}: f32[{}, {cols}] = [{}]\n", rows.len(), rows.join(", "))
}

/// Every variant's layers in `order` (the integrate-then-fire-only ones in that order only).
pub fn model(order: Order) -> String {
    let mut s = String::from(
        "graph leaky {\n  input x: f32[4,2,3]\n  input vinit: f32[2,4]\n  input uinit: f32[2,4]\n",
    );
    s.push_str(&weight("w", 4, 3));
    s.push_str(&weight("w2", 5, 4));
    s.push_str(&weight("wr", 4, 4));
    for (i, (name, attrs, current, li, itf)) in VARIANTS.into_iter().enumerate() {
        if itf && order != Order::IntegrateThenFire {
            continue;
        }
        let family =
            if li { "spikes = \"none\", reset = \"none\"" } else { "reset = \"subtract\"" };
        let p = format!(
            "v_th = 0.5, v_reset = -0.125, method = \"super\", alpha = 3.0, order = \"{}\", \
             {family}, {attrs}",
            order.name()
        );
        let (u_arg, ff_u, rec_u) = if current {
            (", uinit", format!(", uf{i}"), format!(", qu{i}"))
        } else {
            ("", String::new(), String::new())
        };
        s.push_str(&format!(
            "  h{i} = Linear(x, w) {{trans_b = true}}\n\
             \x20 @{name}_ff zf{i}, vf{i}{ff_u} = IAF(h{i}, vinit{u_arg}) {{{p}}}\n\
             \x20 output zf{i}, vf{i}{ff_u}\n\
             \x20 @{name}_rec q{i}, qv{i}, qz{i}{rec_u} = IAFRecurrent(x, w, wr, vinit, _{u_arg}) {{{p}}}\n\
             \x20 output q{i}, qv{i}, qz{i}{rec_u}\n"
        ));
        if !li {
            s.push_str(&format!(
                "  @{name}_sl y{i} = SpikeLinear(zf{i}, w2) {{trans_b = true}}\n  output y{i}\n"
            ));
        }
    }
    s.push_str("}\n");
    s
}

/// The plan of [`model`] for `order`.
pub fn leaky_plan(order: Order) -> Plan {
    let src = model(order);
    let g = snnc_text::parse_str(&src, None, "<leaky>").unwrap_or_else(|e| panic!("{e}\n{src}"));
    snnc_plan::compile(&g, &Default::default()).unwrap_or_else(|e| panic!("{e}"))
}
