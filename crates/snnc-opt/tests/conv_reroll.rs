//! Re-rolling time over convolutions: per-step convolutions, pools, reshapes and elementwise
//! maps of image rows become one op over T·B images (`time/map.rs`), and IF layers over
//! [B, C, H, W] potentials become cells over the flattened neurons (`time/flatten.rs`); on the
//! spiking-CNN exports (models/cnn) the optimized graph then has one cell per IF layer and a
//! size that does not depend on T.

mod common;

use std::collections::BTreeMap;

use common::*;
use snnc_opt::{optimize, OptOptions, Optimized};

/// A sequence x [3, 2, 2, 4, 4] (T, B, C, H, W), a 3×3 kernel and step indices.
fn images(body: &str) -> String {
    format!(
        "graph t {{
  input x: f32[3,2,2,4,4]
  input x2: f32[3,2,2,4,4]
  weight w: f32[2,2,3,3] = [{}]
  weight t1: i64[] = 1
  weight t2: i64[] = 2
  {body}
}}",
        (0..36).map(|i| format!("{}", i % 5)).collect::<Vec<_>>().join(",")
    )
}

#[test]
fn a_per_step_convolution_is_a_step_of_one_convolution_over_time() {
    let body = |axis: usize| {
        images(&format!(
            "xt = Gather(x, t1) {{axis = {axis}}}\n y = Conv(xt, w) {{pads = [1, 1, 1, 1]}}\n output y"
        ))
    };
    let goal = "(gather:0 (conv::1,1,1,1::1 input:0 ?w) ?t)";
    // A row of the batch axis is no time step: every image keeps its own convolution.
    check(&["conv-hoist-gather"], goal, &body(0), &body(1));
}

#[test]
fn a_per_step_pool_is_a_step_of_one_pool_over_time() {
    let body = |axis: usize| {
        images(&format!(
            "xt = Gather(x, t1) {{axis = {axis}}}\n y = AveragePool(xt) {{kernel_shape = [2, 2], strides = [2, 2]}}\n output y"
        ))
    };
    let goal = "(gather:0 (pool:avg:2,2:2,2: input:0) ?t)";
    check(&["pool-hoist-gather"], goal, &body(0), &body(1));
}

#[test]
fn a_per_step_reshape_is_a_step_of_one_reshape() {
    let body = |axis: usize| {
        images(&format!(
            "xt = Gather(x, t1) {{axis = {axis}}}\n y = Reshape(xt) {{shape = [-1, 32]}}\n output y"
        ))
    };
    let goal = "(gather:0 (reshape:3,2,32 input:0) ?t)";
    check(&["reshape-hoist-gather"], goal, &body(0), &body(1));
}

#[test]
fn elementwise_maps_of_image_rows_are_rows_of_one_map() {
    // sinabs' SumPool spelling after the pool: Sign(a)·Relu(Abs(a)), then a product by 4.
    let sum = |t: &str| {
        images(&format!(
            "weight four: f32[] = 4.0
  a = Gather(x, t1) {{axis = 0}}\n b = Gather(x2, {t}) {{axis = 0}}
  s = Sign(a)\n r = Relu(b)\n m = Mul(s, r)\n y = Mul(m, four)\n output y"
        ))
    };
    let rules = ["map-hoist-gather"];
    let goal = "(gather:0 (mul (mul (sign input:0) (relu input:1)) ?k) ?t)";
    // Rows of two different steps are no row of one map.
    check(&rules, goal, &sum("t1"), &sum("t2"));
    // The [B, N] rows of a dense layer are the neurons' own arithmetic: left per step.
    let dense = "graph t {\n input x: f32[3,2,4]\n weight t1: i64[] = 1\n a = Gather(x, t1) {axis = 0}\n y = Relu(a)\n output y\n}";
    assert!(!reaches(dense, &rules, 0, "(gather:0 (relu input:0) ?t)"));
}

#[test]
fn a_spike_of_image_potentials_is_a_spike_of_the_flattened_ones() {
    let body =
        |shape: &str| format!("graph t {{\n input v: f32[{shape}]\n z = Spike(v)\n output z\n}}");
    let goal = "(reshape:2,2,3,3 (spike:super:100 (reshape:2,18 input:0)))";
    check(&["spike-flatten"], goal, &body("2,2,3,3"), &body("2,18"));
}

#[test]
fn a_reset_of_image_potentials_is_a_reset_of_the_flattened_ones() {
    let body = |shape: &str| {
        format!(
            "graph t {{\n input v: f32[{shape}]\n z, u = SpikeReset(v) {{v_th = 1.0, v_reset = 0.0}}\n output u\n}}"
        )
    };
    let goal = "(reshape:2,2,3,3 (proj:1 (spikereset:1:0:super:100 (reshape:2,18 input:0))))";
    check(&["neuron-flatten"], goal, &body("2,2,3,3"), &body("2,18"));
}

#[test]
fn a_reshape_moves_through_elementwise_arithmetic() {
    let body = |b: &str| {
        format!(
            "graph t {{\n input a: f32[2,2,3,3]\n input b: f32[{b}]\n s = Add(a, b)\n y = Reshape(s) {{shape = [2, 18]}}\n output y\n}}"
        )
    };
    let goal = "(add (reshape:2,18 input:0) (reshape:2,18 input:1))";
    // An operand that broadcasts (a per-column vector) does not reshape with the sum.
    check(&["reshape-push"], goal, &body("2,2,3,3"), &body("3"));
}

#[test]
fn a_reshape_of_a_reshape_is_one_reshape() {
    let body = |inner: &str| {
        format!(
            "graph t {{\n input a: f32[2,2,3,3]\n f = {inner}\n y = Reshape(f) {{shape = [2, 2, 3, 3]}}\n output y\n}}"
        )
    };
    // The flattened potential reshaped back is the potential itself.
    check(
        &["reshape-reshape"],
        "input:0",
        &body("Reshape(a) {shape = [2, 18]}"),
        &body("Transpose(a) {perm = [0, 1, 3, 2]}"),
    );
}

fn optimized(name: &str) -> Optimized {
    let o = optimize(&cnn_fixture(name), &OptOptions::default()).expect("optimizes");
    assert_eq!(o.fell_back, None, "{name}");
    assert_eq!(o.stop_reason, "saturated", "{name}");
    o
}

/// The NIR paper's CNN has five IF layers: three after convolutions, two after linear layers.
const IF_LAYERS: usize = 5;

#[test]
fn cnn_exports_reroll_to_one_graph_for_every_t() {
    for lib in ["norse", "sinabs"] {
        let mut sizes = BTreeMap::new();
        for t in [8, 16, 32] {
            let name = if t == 8 { format!("{lib}_cnn") } else { format!("{lib}_cnn_t{t}") };
            let o = optimized(&name);
            // Every IF layer is one cell over all T steps.
            assert_eq!(o.cells.len(), IF_LAYERS, "{name}: {:?}", o.cells);
            assert!(
                o.cells.iter().all(|c| c.steps == t && c.kind == "IAF"),
                "{name}: {:?}",
                o.cells
            );
            // One convolution per layer, over all T·B images.
            let h = o.graph.op_histogram();
            assert_eq!(h.get("Conv"), Some(&3), "{name}: {h:?}");
            sizes.insert(t, o.graph.nodes().len());
        }
        let first = sizes[&8];
        assert!(sizes.values().all(|&n| n == first), "{lib}: node counts {sizes:?}");
    }
}
