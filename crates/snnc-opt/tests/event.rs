//! The event rule: a linear layer over spikes is a spike-linear.

mod common;

use common::*;

#[test]
fn a_linear_over_spikes_is_event_driven() {
    let layer = |input: &str| {
        format!(
            "graph t {{
  input x: f32[5,2,3]
  weight w: f32[4,3] = [1,2,3,4,5,6,7,8,9,10,11,12]
  weight b: f32[4] = [1,2,3,4]
  s = {input}
  y = Linear(s, w, b) {{trans_b = true}}
  output y
}}"
        )
    };
    let spikes = layer("Spike(x) {surrogate = \"super:100\"}");
    check(&["spike-linear"], "(spikelinear:t ?s ?w ?b)", &spikes, &layer("Relu(x)"));
}
